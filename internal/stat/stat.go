// Package stat holds the exact statistics behind dlnverify's probabilistic
// claim checks (T2, L8, CL2, CL3 of CLAIMS.md): Clopper–Pearson binomial
// confidence bounds and the one-sided tests built on them, plus a few
// closed-form moments of the χ and sphere-coordinate distributions that the
// claims' bounds use.
//
// Conventions. A Monte Carlo batch is k successes in n independent trials of
// an event with unknown probability p. All bounds are exact (conservative):
// for every p, P(p < Lower) ≤ α and P(p > Upper) ≤ α over the draw of k.
// "Confidence 1−α" always refers to one side. Functions return errors, never
// panic, on bad input (n < 1, k outside 0..n, α outside (0, 1)).
package stat

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/stat/distuv"
)

func checkBinomial(k, n int, alpha float64) error {
	if n < 1 {
		return fmt.Errorf("stat: need n ≥ 1 trials (got %d)", n)
	}
	if k < 0 || k > n {
		return fmt.Errorf("stat: successes k = %d outside 0..n = %d", k, n)
	}
	if !(alpha > 0 && alpha < 1) {
		return fmt.Errorf("stat: α = %v must lie in (0, 1)", alpha)
	}
	return nil
}

// LowerBound is the one-sided Clopper–Pearson lower confidence bound at
// confidence 1−α: the α-quantile of Beta(k, n−k+1), and 0 when k = 0. It is
// the p at which P(Bin(n, p) ≥ k) = α.
func LowerBound(k, n int, alpha float64) (float64, error) {
	if err := checkBinomial(k, n, alpha); err != nil {
		return math.NaN(), err
	}
	if k == 0 {
		return 0, nil
	}
	if k == n { // closed form; avoids the incomplete-beta inversion at its edge
		return math.Pow(alpha, 1/float64(n)), nil
	}
	return distuv.Beta{Alpha: float64(k), Beta: float64(n - k + 1)}.Quantile(alpha), nil
}

// UpperBound is the one-sided Clopper–Pearson upper confidence bound at
// confidence 1−α: the (1−α)-quantile of Beta(k+1, n−k), and 1 when k = n.
// It is the p at which P(Bin(n, p) ≤ k) = α.
func UpperBound(k, n int, alpha float64) (float64, error) {
	if err := checkBinomial(k, n, alpha); err != nil {
		return math.NaN(), err
	}
	if k == n {
		return 1, nil
	}
	if k == 0 {
		return 1 - math.Pow(alpha, 1/float64(n)), nil
	}
	return distuv.Beta{Alpha: float64(k + 1), Beta: float64(n - k)}.Quantile(1 - alpha), nil
}

// Interval is the two-sided Clopper–Pearson interval at confidence 1−α
// (α/2 on each side), as R's binom.test reports it.
func Interval(k, n int, alpha float64) (lo, hi float64, err error) {
	if lo, err = LowerBound(k, n, alpha/2); err != nil {
		return math.NaN(), math.NaN(), err
	}
	hi, err = UpperBound(k, n, alpha/2)
	return lo, hi, err
}

// Verdict is the outcome of a one-sided test of a claimed bound on p.
type Verdict struct {
	K, N     int
	Estimate float64 // k/n
	Claimed  float64 // the claimed bound p₀
	Alpha    float64 // one-sided error level; the confidence is 1−α
	// Bound is the confidence bound compared with Claimed: the upper bound
	// for an at-least claim, the lower bound for an at-most claim.
	Bound float64
	// Refuted is true when the sample refutes the claim at confidence 1−α.
	// For a true claim this happens with probability ≤ α.
	Refuted bool
}

// Slack is how far the confidence bound lies on the safe side of the claim
// (≥ 0 not refuted), in probability units.
func (v Verdict) Slack(atLeast bool) float64 {
	if atLeast {
		return v.Bound - v.Claimed
	}
	return v.Claimed - v.Bound
}

// String reads like "k/n = p̂ (confidence bound B at α = 1e-06) vs claimed p₀, refuted=false".
func (v Verdict) String() string {
	return fmt.Sprintf("%d/%d = %.4f (confidence bound %.4f at α = %.2g) vs claimed %.4f, refuted=%v",
		v.K, v.N, v.Estimate, v.Bound, v.Alpha, v.Claimed, v.Refuted)
}

// AtLeast tests the claim "p ≥ p0": the sample refutes it at confidence 1−α
// iff the one-sided upper bound UpperBound(k, n, α) is below p0. A claim
// p0 ≤ 0 can never be refuted.
func AtLeast(k, n int, p0, alpha float64) (Verdict, error) {
	v := Verdict{K: k, N: n, Claimed: p0, Alpha: alpha}
	if math.IsNaN(p0) {
		return v, fmt.Errorf("stat: claimed bound is NaN")
	}
	u, err := UpperBound(k, n, alpha)
	if err != nil {
		return v, err
	}
	v.Estimate, v.Bound, v.Refuted = float64(k)/float64(n), u, u < p0
	return v, nil
}

// AtMost tests the claim "p ≤ p0": refuted at confidence 1−α iff the
// one-sided lower bound LowerBound(k, n, α) exceeds p0.
func AtMost(k, n int, p0, alpha float64) (Verdict, error) {
	v := Verdict{K: k, N: n, Claimed: p0, Alpha: alpha}
	if math.IsNaN(p0) {
		return v, fmt.Errorf("stat: claimed bound is NaN")
	}
	l, err := LowerBound(k, n, alpha)
	if err != nil {
		return v, err
	}
	v.Estimate, v.Bound, v.Refuted = float64(k)/float64(n), l, l > p0
	return v, nil
}

// NormalCDF is the standard normal CDF F (the F of L8 and T2).
func NormalCDF(x float64) float64 { return 0.5 * math.Erfc(-x/math.Sqrt2) }

// ChiMean is E[χ_k] = √2 Γ((k+1)/2) / Γ(k/2), the mean norm of a standard
// Gaussian vector in R^k (NaN for k < 1).
func ChiMean(k int) float64 {
	if k < 1 {
		return math.NaN()
	}
	a, _ := math.Lgamma(float64(k+1) / 2)
	b, _ := math.Lgamma(float64(k) / 2)
	return math.Sqrt2 * math.Exp(a-b)
}

// ChiInverseMean is E[1/χ_k] = Γ((k−1)/2) / (√2 Γ(k/2)), finite for k ≥ 2
// (+Inf for k = 1, NaN for k < 1).
func ChiInverseMean(k int) float64 {
	switch {
	case k < 1:
		return math.NaN()
	case k == 1:
		return math.Inf(1)
	}
	a, _ := math.Lgamma(float64(k-1) / 2)
	b, _ := math.Lgamma(float64(k) / 2)
	return math.Exp(a-b) / math.Sqrt2
}

// SphereCoordinateDensityMax is the largest value of the density of one
// coordinate u₁ of a uniform point on the unit sphere S^{d−1} ⊂ R^d,
// attained at 0: Γ(d/2) / (√π Γ((d−1)/2)). It is < √((d−1)/(2π)). NaN for
// d < 2; for d = 2 the density is unbounded (+Inf).
func SphereCoordinateDensityMax(d int) float64 {
	switch {
	case d < 2:
		return math.NaN()
	case d == 2:
		return math.Inf(1)
	}
	a, _ := math.Lgamma(float64(d) / 2)
	b, _ := math.Lgamma(float64(d-1) / 2)
	return math.Exp(a-b) / math.Sqrt(math.Pi)
}

// ChiSquareWindow is P(lo ≤ χ²_k ≤ hi) for 0 ≤ lo ≤ hi (NaN on bad input).
func ChiSquareWindow(k int, lo, hi float64) float64 {
	if k < 1 || !(lo >= 0) || !(hi >= lo) {
		return math.NaN()
	}
	c := distuv.ChiSquared{K: float64(k)}
	if math.IsInf(hi, 1) {
		return c.Survival(lo)
	}
	return c.CDF(hi) - c.CDF(lo)
}
