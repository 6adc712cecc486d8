package invariants

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// The bounds of Theorem 1 exist only for a positive deficiency margin c:
// with c ≤ 0 (or NaN) there is no margin and so no bound, and DeltaBound,
// EtaBound, Rate, Horizon, RateAtEtaBound and HorizonAtEtaBound return NaN
// — the one representation of "undefined" in this module (null in every JSON the command writes, shown
// as undefined in its text). They are also NaN for a non-positive or
// non-finite ‖Φ‖_F, N < 1 or a NaN argument, so that a NaN can never make a
// hypothesis hold.
//
// The bounds are homogeneous in (c, ‖Φ‖_F), so they are computed
// scale-free: through the ratio c/‖Φ‖_F and one power of ‖Φ‖_F, or, when a
// factor would leave float64's normal range although the bound does not,
// in logarithms (monomial). A bound that is itself beyond float64's range
// is +Inf or 0, never NaN.

// DeltaBound is Theorem 1's imbalance bound (T1):
// δ* = c² / (256 N³ ‖Φ‖_F^{2(N−1)/N}) = (c/‖Φ‖_F)² ‖Φ‖_F^{2/N} / (256 N³).
// NaN (undefined) unless c > 0.
func DeltaBound(c float64, N int, phiF float64) float64 {
	if !marginOK(c, N, phiF) {
		return math.NaN()
	}
	n := float64(N)
	k := 1 / (256 * n * n * n)
	if r := c / phiF; normal(r) {
		return monomial(k, r, 2, phiF, 2/n)
	}
	return monomial(k, c, 2, phiF, -2*(n-1)/n)
}

// EtaBound is Theorem 1's step-size bound (T1):
// η* = c^{(4N−2)/N} / (6144 N³ ‖Φ‖_F^{(6N−4)/N})
// = (c/‖Φ‖_F)^{4−2/N} ‖Φ‖_F^{−2(N−1)/N} / (6144 N³). NaN (undefined)
// unless c > 0.
func EtaBound(c float64, N int, phiF float64) float64 {
	if !marginOK(c, N, phiF) {
		return math.NaN()
	}
	n := float64(N)
	k := 1 / (6144 * n * n * n)
	if r := c / phiF; normal(r) {
		return monomial(k, r, 4-2/n, phiF, -2*(n-1)/n)
	}
	return monomial(k, c, (4*n-2)/n, phiF, -(6*n-4)/n)
}

// Rate is the per-step contraction exponent of L1 and T1: η c^{2(N−1)/N}
// (dimensionless). NaN (undefined) unless c > 0 and η ≥ 0.
func Rate(eta, c float64, N int) float64 {
	if !(c > 0) || math.IsInf(c, 0) || N < 1 || !(eta >= 0) || math.IsInf(eta, 0) {
		return math.NaN()
	}
	if eta == 0 {
		return 0
	}
	n := float64(N)
	return monomial(eta, c, 2*(n-1)/n)
}

// Horizon is Theorem 1's iteration bound T(ε) = log(ℓ(0)/ε) / (η c^{2(N−1)/N}):
// for every T ≥ Horizon, ℓ(T) ≤ ε. It is 0 when ℓ(0) ≤ ε, +Inf when η = 0,
// and NaN (undefined) unless c > 0, ε > 0, ℓ(0) ≥ 0 and η ≥ 0.
func Horizon(loss0, eps, eta, c float64, N int) float64 {
	rate := Rate(eta, c, N)
	if math.IsNaN(rate) || !(eps > 0) || math.IsInf(eps, 0) || !(loss0 >= 0) || math.IsInf(loss0, 0) {
		return math.NaN()
	}
	if loss0 <= eps {
		return 0
	}
	if eta == 0 {
		return math.Inf(1)
	}
	l := LnRatio(loss0, eps)
	n := float64(N)
	return monomial(l, eta, -1, c, -2*(n-1)/n)
}

// RateAtEtaBound is the per-step contraction exponent of L1 and T1 at
// Theorem 1's step η = η* (T1): η*·c^{2(N−1)/N} = (c/‖Φ‖_F)^{6−4/N} / (6144 N³),
// dimensionless and scale-free (a function of c/‖Φ‖_F and N only, so it is
// representable whenever c/‖Φ‖_F is not extreme even if η* itself over- or
// underflows; e.g. 2.37344e-07 for c/‖Φ‖_F = ½, N = 3 at any scale).
// Computed from the ratio, or in logarithms when the ratio leaves float64's
// normal range. NaN (undefined) only without a margin: unless c > 0, ‖Φ‖_F > 0
// (both finite) and N ≥ 1.
func RateAtEtaBound(c float64, N int, phiF float64) float64 {
	if !marginOK(c, N, phiF) {
		return math.NaN()
	}
	n := float64(N)
	k, p := 1/(6144*n*n*n), 6-4/n
	if r := c / phiF; normal(r) {
		return monomial(k, r, p)
	}
	return monomial(k, c, p, phiF, -p)
}

// HorizonAtEtaBound is Theorem 1's iteration bound at η = η* (T1):
// T(ε) = ln(ℓ(0)/ε) / RateAtEtaBound(c, N, ‖Φ‖_F)
// = 6144 N³ (‖Φ‖_F/c)^{6−4/N} ln(ℓ(0)/ε), in steps, scale-free. It takes
// lnRatio = ln(ℓ(0)/ε) (so a ratio beyond float64's range still gives a
// finite T; see LnRatio). It is 0 when lnRatio ≤ 0 (ℓ(0) ≤ ε), +Inf only when
// T itself is beyond float64's range, and NaN (undefined) only without a
// margin (as RateAtEtaBound) or for a NaN or +Inf lnRatio.
func HorizonAtEtaBound(lnRatio, c float64, N int, phiF float64) float64 {
	if !marginOK(c, N, phiF) || math.IsNaN(lnRatio) || math.IsInf(lnRatio, 1) {
		return math.NaN()
	}
	if lnRatio <= 0 {
		return 0
	}
	n := float64(N)
	k, p := lnRatio*(6144*n*n*n), 6-4/n
	if r := c / phiF; normal(r) {
		return monomial(k, r, -p)
	}
	return monomial(k, c, -p, phiF, p)
}

// LnRatio is ln(a/b) for a ≥ 0 and b > 0, computed without forming a/b when
// the quotient would leave float64's normal range (−Inf for a = 0; NaN for a
// negative, NaN or infinite argument or b ≤ 0).
func LnRatio(a, b float64) float64 {
	if !(a >= 0) || !(b > 0) || math.IsInf(a, 0) || math.IsInf(b, 0) {
		return math.NaN()
	}
	if a == 0 {
		return math.Inf(-1)
	}
	if q := a / b; normal(q) {
		return math.Log(q)
	}
	return linalg.Log(a) - linalg.Log(b)
}

// SpectralBound is Lemma 2's (reconstructed) layer bound (L2 C(t)):
// ‖W_j(t)‖_σ ≤ (4‖Φ‖_F)^{1/N}. NaN for ‖Φ‖_F < 0 or N < 1.
func SpectralBound(N int, phiF float64) float64 {
	if N < 1 || !(phiF >= 0) || math.IsInf(phiF, 0) {
		return math.NaN()
	}
	if phiF == 0 {
		return 0
	}
	n := float64(N)
	return monomial(math.Pow(4, 1/n), phiF, 1/n)
}

// L6Bound is Lemma 6's bound 2^{1/N} C^{2/N} on ‖W_jW_jᵀ‖_σ, valid when the
// layers are ν-balanced with ν ≤ L6Nu(C, N) and ‖W_{1:N}‖_σ ≤ C.
func L6Bound(C float64, N int) float64 {
	n := float64(N)
	return math.Pow(2, 1/n) * linalg.Pow(C, 2/n)
}

// L6Nu is Lemma 6's balance requirement C^{2/N} / (30 N²).
func L6Nu(C float64, N int) float64 {
	n := float64(N)
	return linalg.Pow(C, 2/n) / (30 * n * n)
}

// marginOK reports whether Theorem 1's bounds are defined at (c, N, ‖Φ‖_F).
func marginOK(c float64, N int, phiF float64) bool {
	return c > 0 && !math.IsInf(c, 0) && N >= 1 && phiF > 0 && !math.IsInf(phiF, 0)
}

// normal reports whether x is a positive normal float64.
func normal(x float64) bool { return x >= 0x1p-1022 && x <= math.MaxFloat64 }

// monomial returns k·x₁^{p₁}·x₂^{p₂}⋯ for positive finite k and x_i (the
// arguments after k alternate base, exponent). It multiplies the powers
// directly while every factor and partial product is a normal float64
// (relative error a few ulps per factor), and otherwise sums logarithms
// (relative error about (|ln k| + Σ|p_i ln x_i|)·u), so a result inside
// float64's range never overflows or underflows on the way; one outside is
// +Inf or 0.
func monomial(k float64, xp ...float64) float64 {
	v := k
	direct := normal(v)
	for i := 0; direct && i < len(xp); i += 2 {
		f := linalg.Pow(xp[i], xp[i+1])
		v *= f
		direct = normal(f) && normal(v)
	}
	if direct {
		return v
	}
	l := linalg.Log(k)
	for i := 0; i < len(xp); i += 2 {
		l += xp[i+1] * linalg.Log(xp[i])
	}
	return math.Exp(l)
}

// ResidualMargin is R1's margin for the residual start W_j = I:
// c = 1 − 2‖Φ − I‖_F, positive exactly when ‖Φ − I‖_F < ½.
func ResidualMargin(phi mat.Matrix) float64 {
	r, c := phi.Dims()
	if r != c {
		return math.NaN()
	}
	var d mat.Dense
	d.Sub(phi, linalg.Identity(r))
	return 1 - 2*mat.Norm(&d, 2)
}

// WidthsOK reports Theorem 1's architecture condition (A1):
// min(d_1..d_{N−1}) ≥ min(d_0, d_N).
func WidthsOK(dims []int) bool {
	r := min(dims[0], dims[len(dims)-1])
	for _, d := range dims[1 : len(dims)-1] {
		if d < r {
			return false
		}
	}
	return true
}

// Theorem1 is what Theorem 1 asks of a start, measured.
type Theorem1 struct {
	N          int
	Dims       []int
	PhiF       float64 // ‖Φ‖_F
	SigmaMinPh float64 // σ_min(Φ)
	C          float64 // the margin used: the measured margin, or the caller's c if smaller; ≤ 0: no margin
	Delta      float64 // measured imbalance
	DeltaBound float64 // T1's δ bound at C; NaN (undefined) unless C > 0
	Eta        float64
	EtaBound   float64 // T1's η bound at C; NaN (undefined) unless C > 0
	WidthsOK   bool
}

// Holds reports whether every hypothesis of Theorem 1 holds: c > 0,
// δ ≤ DeltaBound, η ≤ EtaBound and the width condition. Any NaN makes it
// false.
func (h Theorem1) Holds() bool {
	return h.C > 0 && h.Delta <= h.DeltaBound && h.Eta > 0 && h.Eta <= h.EtaBound && h.WidthsOK
}

// CheckTheorem1 measures Theorem 1's hypotheses for a start n, target Φ and
// step η. With c > 0 it tests the theorem at that margin (which must not
// exceed the measured one for Holds to be true); with c ≤ 0 it uses the
// measured margin. A NaN c gives C = NaN, so Holds is false. Without a
// positive margin (C ≤ 0 or NaN) DeltaBound and EtaBound are NaN: no
// margin, no bound. A Φ whose shape does not fit n gives NaN for C, PhiF,
// SigmaMinPh and both bounds.
func CheckTheorem1(n *model.Net, phi mat.Matrix, eta, c float64) Theorem1 {
	h := Theorem1{N: n.N(), Dims: n.Dims(), Eta: eta, Delta: Imbalance(n)}
	h.WidthsOK = WidthsOK(h.Dims)
	if n.CheckTarget(phi) != nil {
		nan := math.NaN()
		h.C, h.PhiF, h.SigmaMinPh, h.DeltaBound, h.EtaBound = nan, nan, nan, nan, nan
		return h
	}
	h.PhiF = Frobenius(phi)
	h.SigmaMinPh = SigmaMin(phi)
	measured := NetMargin(n, phi)
	h.C = measured
	if c > 0 || math.IsNaN(c) { // a NaN claim must not fall back to the measured margin
		h.C = c
		if !(c <= measured) {
			h.C = math.NaN() // a claimed margin the start does not have
		}
	}
	h.DeltaBound = DeltaBound(h.C, h.N, h.PhiF)
	h.EtaBound = EtaBound(h.C, h.N, h.PhiF)
	return h
}
