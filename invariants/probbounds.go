package invariants

import (
	"math"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/stat"
)

// The probabilistic claims' bounds (CLAIMS.md CL2, CL3, L8, T2). The
// properties in proofs_test check them by Monte Carlo; the formulas live
// here, with Theorem 1's, so that each bound of the paper has one home.

// CL2Bound is Claim 2's bound on P(δ-balanced) for the customary
// initialisation with i.i.d. N(0, s²) entries (CL2):
// max{0, 1 − 10 δ⁻² N s⁴ d_max³}, with the factor N (the weaker reading of
// the sheet's U detail N vs N−1).
func CL2Bound(delta float64, N int, s float64, dMax int) float64 {
	return cl2BoundWithFactor(float64(N), delta, s, dMax)
}

// CL2BoundNMinus1 is the stronger reading of CL2, factor N−1 (one term per
// adjacent pair of layers): max{0, 1 − 10 δ⁻² (N−1) s⁴ d_max³}.
func CL2BoundNMinus1(delta float64, N int, s float64, dMax int) float64 {
	return cl2BoundWithFactor(float64(N-1), delta, s, dMax)
}

func cl2BoundWithFactor(factor, delta, s float64, dMax int) float64 {
	d := float64(dMax)
	return math.Max(0, 1-10*factor*math.Pow(s, 4)*d*d*d/(delta*delta))
}

// CL3Moments returns E[M] and E[1/M] for M = ‖W_{1:N}‖ under i.i.d.
// N(0, s²) layers with widths dims (d_N = 1), CL3: s^N ∏_{j<N} E χ_{d_j} and
// s^{−N} ∏_{j<N} E[1/χ_{d_j}] (the latter +Inf if some d_j = 1, j < N).
func CL3Moments(dims []int, s float64) (meanM, meanInvM float64) {
	N := len(dims) - 1
	meanM, meanInvM = math.Pow(s, float64(N)), math.Pow(s, -float64(N))
	for j := 0; j < N; j++ {
		meanM *= stat.ChiMean(dims[j])
		meanInvM *= stat.ChiInverseMean(dims[j])
	}
	return meanM, meanInvM
}

// CL3SmallStdBound is the tested small-s form of CL3:
// P(margin ≥ c) ≥ ½ − f_max(d_0)·(c E[1/M] + E[M]/(2‖Φ‖)), f_max the
// largest density of one coordinate of a uniform unit vector in R^{d_0}.
func CL3SmallStdBound(dims []int, s, phiNorm, c float64) float64 {
	m, inv := CL3Moments(dims, s)
	f := stat.SphereCoordinateDensityMax(dims[0])
	return 0.5 - f*(c*inv+m/(2*phiNorm))
}

// CL3LargeStdBound is the tested large-s form of CL3:
// P(margin > 0) ≤ min{½, 2‖Φ‖ E[1/M]}.
func CL3LargeStdBound(dims []int, s, phiNorm float64) float64 {
	_, inv := CL3Moments(dims, s)
	return math.Min(0.5, 2*phiNorm*inv)
}

// L8Bound is Lemma 8's (reconstructed) probability bound
// (1 − ε)(3 − 4F(2/√b₁))/2, F the standard normal CDF; it is negative
// (trivial) for b₁ ≲ 8.8.
func L8Bound(eps, b1 float64) float64 {
	return (1 - eps) * (3 - 4*stat.NormalCDF(2/math.Sqrt(b1))) / 2
}

// L8Margin is Lemma 8's margin ‖Φ‖/(b₂ d).
func L8Margin(phiNorm, b2 float64, d int) float64 { return phiNorm / (b2 * float64(d)) }

// T2Bound is Theorem 2's proof-route probability bound for a margin
// s²d_0/(2‖Φ‖): (1 − 2e^{−d_0/16})(3 − 4F(2√(2/a)))/2.
func T2Bound(d0 int, a float64) float64 {
	return (1 - 2*math.Exp(-float64(d0)/16)) * (3 - 4*stat.NormalCDF(2*math.Sqrt(2/a))) / 2
}

// T2Margin is the margin s²d_0/(2‖Φ‖) of Theorem 2's proof.
func T2Margin(s float64, d0 int, phiNorm float64) float64 {
	return s * s * float64(d0) / (2 * phiNorm)
}

// T2EtaBound is Theorem 2's (R) step size
// (s²d_0)^{4−2/N} / (10⁵N³‖Φ‖^{10−6/N}), computed scale-free (monomial).
// NaN unless s, ‖Φ‖ > 0 and N ≥ 1.
func T2EtaBound(s float64, d0, N int, phiNorm float64) float64 {
	if !(s > 0) || math.IsInf(s, 0) || d0 < 1 || N < 1 || !(phiNorm > 0) || math.IsInf(phiNorm, 0) {
		return math.NaN()
	}
	n := float64(N)
	p := 4 - 2/n
	return monomial(1/(1e5*n*n*n), s, 2*p, float64(d0), p, phiNorm, -(10 - 6/n))
}

// T2Horizon is Theorem 2's (R) iteration bound
// (4/η)[ln 4·(‖Φ‖/(s²d_0))^{2−2/N} + ‖Φ‖^{2/N−2} ln(‖Φ‖²/(8ε))], each term
// computed scale-free. NaN unless η, s, ‖Φ‖, ε > 0 and N ≥ 1.
func T2Horizon(eta, s float64, d0, N int, phiNorm, eps float64) float64 {
	for _, x := range []float64{eta, s, phiNorm, eps} {
		if !(x > 0) || math.IsInf(x, 0) {
			return math.NaN()
		}
	}
	if d0 < 1 || N < 1 {
		return math.NaN()
	}
	n := float64(N)
	q := 2 - 2/n
	first := monomial(4*math.Log(4), phiNorm, q, s, -2*q, float64(d0), -q, eta, -1)
	l := 2*linalg.Log(phiNorm) - math.Log(8) - linalg.Log(eps)
	second := 0.0
	if l != 0 {
		second = math.Copysign(monomial(4*math.Abs(l), phiNorm, -q, eta, -1), l)
	}
	return first + second
}
