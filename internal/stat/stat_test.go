package stat

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

// binomPMF is computed directly in log space (lgamma), independently of the
// incomplete-beta routines the bounds use.
func binomPMF(k, n int, p float64) float64 {
	if p == 0 {
		if k == 0 {
			return 1
		}
		return 0
	}
	if p == 1 {
		if k == n {
			return 1
		}
		return 0
	}
	a, _ := math.Lgamma(float64(n + 1))
	b, _ := math.Lgamma(float64(k + 1))
	c, _ := math.Lgamma(float64(n - k + 1))
	return math.Exp(a - b - c + float64(k)*math.Log(p) + float64(n-k)*math.Log1p(-p))
}

func binomCDF(k, n int, p float64) float64 { // P(Bin(n,p) ≤ k)
	s := 0.0
	for i := 0; i <= k; i++ {
		s += binomPMF(i, n, p)
	}
	return s
}

func binomUpperTail(k, n int, p float64) float64 { // P(Bin(n,p) ≥ k), summed directly (no 1 − CDF cancellation)
	s := 0.0
	for i := k; i <= n; i++ {
		s += binomPMF(i, n, p)
	}
	return s
}

// Reference values: R 4.x, binom.test(k, n)$conf.int (two-sided 95 %).
func TestIntervalMatchesR(t *testing.T) {
	cases := []struct {
		k, n   int
		lo, hi float64
	}{
		{5, 20, 0.08657147, 0.49104587},
		{1, 10, 0.002528579, 0.445016117},
		{0, 10, 0, 0.3084971},
		{10, 10, 0.6915029, 1},
	}
	for _, c := range cases {
		lo, hi, err := Interval(c.k, c.n, 0.05)
		if err != nil {
			t.Fatal(err)
		}
		// R prints 7 significant digits: compare to that.
		if math.Abs(lo-c.lo) > 5e-8*math.Max(1, c.lo) || math.Abs(hi-c.hi) > 5e-8 {
			t.Errorf("binom.test(%d, %d): got [%.9f, %.9f], R gives [%.9f, %.9f]", c.k, c.n, lo, hi, c.lo, c.hi)
		}
	}
}

// The bounds solve their defining equations: P(Bin(n, U) ≤ k) = α and
// P(Bin(n, L) ≥ k) = α, checked with a direct binomial sum.
func TestBoundsSolveDefiningEquations(t *testing.T) {
	rapidtb.CheckT(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 400).Draw(t, "n")
		k := rapid.IntRange(0, n).Draw(t, "k")
		alpha := math.Pow(10, -float64(rapid.IntRange(1, 8).Draw(t, "minusLog10Alpha")))
		u, err := UpperBound(k, n, alpha)
		if err != nil {
			t.Fatal(err)
		}
		l, err := LowerBound(k, n, alpha)
		if err != nil {
			t.Fatal(err)
		}
		est := float64(k) / float64(n)
		if !(l <= est && est <= u && l >= 0 && u <= 1) {
			t.Fatalf("k=%d n=%d α=%g: not 0 ≤ L=%v ≤ k/n ≤ U=%v ≤ 1", k, n, alpha, l, u)
		}
		// Tolerance: the sums have n+1 terms each exact to a few ulps;
		// the quantile inversion is accurate to ~1e-12 relative.
		tol := 1e-9 * alpha
		if k < n {
			if got := binomCDF(k, n, u); math.Abs(got-alpha) > tol+1e-13 {
				t.Fatalf("k=%d n=%d α=%g: P(Bin(n,U) ≤ k) = %.12g at U = %v", k, n, alpha, got, u)
			}
		}
		if k > 0 {
			if got := binomUpperTail(k, n, l); math.Abs(got-alpha) > tol+1e-13 {
				t.Fatalf("k=%d n=%d α=%g: P(Bin(n,L) ≥ k) = %.12g at L = %v", k, n, alpha, got, l)
			}
		}
	})
}

// Exact coverage: for a true p, the probability (over k ~ Bin(n, p)) that
// AtLeast(k, n, p, α) refutes the true claim is at most α; likewise AtMost.
func TestFalseRefutationRateAtMostAlpha(t *testing.T) {
	rapidtb.CheckT(t, func(t *rapid.T) {
		n := rapid.IntRange(1, 200).Draw(t, "n")
		p := float64(rapid.IntRange(0, 1000).Draw(t, "pMille")) / 1000
		alpha := []float64{0.1, 0.01, 1e-3}[rapid.IntRange(0, 2).Draw(t, "alphaIndex")]
		var up, down float64
		for k := 0; k <= n; k++ {
			a, err := AtLeast(k, n, p, alpha)
			if err != nil {
				t.Fatal(err)
			}
			b, err := AtMost(k, n, p, alpha)
			if err != nil {
				t.Fatal(err)
			}
			if a.Refuted {
				up += binomPMF(k, n, p)
			}
			if b.Refuted {
				down += binomPMF(k, n, p)
			}
		}
		if up > alpha*(1+1e-9) || down > alpha*(1+1e-9) {
			t.Fatalf("n=%d p=%v α=%v: false refutation rates %v (at-least), %v (at-most)", n, p, alpha, up, down)
		}
	})
}

func TestEdgeCases(t *testing.T) {
	const alpha = 1e-3
	if l, _ := LowerBound(0, 50, alpha); l != 0 {
		t.Errorf("LowerBound(0, 50) = %v, want 0", l)
	}
	if u, _ := UpperBound(50, 50, alpha); u != 1 {
		t.Errorf("UpperBound(50, 50) = %v, want 1", u)
	}
	// k = 0: U solves (1−U)^n = α; k = n: L solves L^n = α.
	if u, _ := UpperBound(0, 50, alpha); math.Abs(math.Pow(1-u, 50)-alpha) > 1e-15 {
		t.Errorf("UpperBound(0, 50) = %v does not solve (1−U)^50 = α", u)
	}
	if l, _ := LowerBound(50, 50, alpha); math.Abs(math.Pow(l, 50)-alpha) > 1e-15 {
		t.Errorf("LowerBound(50, 50) = %v does not solve L^50 = α", l)
	}
	// n successes can never refute "p ≥ p0"; 0 successes never refute "p ≤ p0".
	if v, _ := AtLeast(50, 50, 1, alpha); v.Refuted {
		t.Errorf("50/50 refuted p ≥ 1")
	}
	if v, _ := AtMost(0, 50, 0, alpha); v.Refuted {
		t.Errorf("0/50 refuted p ≤ 0")
	}
	// 0 successes in 50 refutes p ≥ 0.2 at 99.9 %: (0.8)^50 ≈ 1.4e-5 < α.
	if v, _ := AtLeast(0, 50, 0.2, alpha); !v.Refuted {
		t.Errorf("0/50 did not refute p ≥ 0.2: %v", v)
	}
	if v, _ := AtLeast(0, 50, 0, alpha); v.Refuted {
		t.Errorf("a claim p ≥ 0 was refuted")
	}
	for _, bad := range []struct {
		k, n  int
		alpha float64
	}{{0, 0, 0.1}, {-1, 5, 0.1}, {6, 5, 0.1}, {1, 5, 0}, {1, 5, 1}, {1, 5, math.NaN()}} {
		if _, err := UpperBound(bad.k, bad.n, bad.alpha); err == nil {
			t.Errorf("UpperBound(%d, %d, %v): no error", bad.k, bad.n, bad.alpha)
		}
		if _, err := LowerBound(bad.k, bad.n, bad.alpha); err == nil {
			t.Errorf("LowerBound(%d, %d, %v): no error", bad.k, bad.n, bad.alpha)
		}
	}
	if _, err := AtLeast(1, 5, math.NaN(), 0.1); err == nil {
		t.Error("AtLeast with NaN claim: no error")
	}
}

func TestMomentsAndDensities(t *testing.T) {
	// E χ_1 = √(2/π), E χ_2 = √(π/2), E[1/χ_2] = √(π/2), E[1/χ_3] = √(2/π).
	near := func(name string, got, want float64) {
		t.Helper()
		if math.Abs(got-want) > 1e-14*math.Max(1, want) {
			t.Errorf("%s = %.17g, want %.17g", name, got, want)
		}
	}
	near("ChiMean(1)", ChiMean(1), math.Sqrt(2/math.Pi))
	near("ChiMean(2)", ChiMean(2), math.Sqrt(math.Pi/2))
	near("ChiInverseMean(2)", ChiInverseMean(2), math.Sqrt(math.Pi/2))
	near("ChiInverseMean(3)", ChiInverseMean(3), math.Sqrt(2/math.Pi))
	// d = 3: u₁ is uniform on [−1, 1] (Archimedes), density ½.
	near("SphereCoordinateDensityMax(3)", SphereCoordinateDensityMax(3), 0.5)
	for d := 3; d < 300; d++ {
		if f := SphereCoordinateDensityMax(d); !(f < math.Sqrt(float64(d-1)/(2*math.Pi))) {
			t.Errorf("d=%d: density max %v not below √((d−1)/2π)", d, f)
		}
	}
	near("NormalCDF(0)", NormalCDF(0), 0.5)
	near("NormalCDF(1.959963984540054)", NormalCDF(1.959963984540054), 0.975)
	near("ChiSquareWindow(2, 0, 2)", ChiSquareWindow(2, 0, 2), 1-math.Exp(-1))
	if !math.IsNaN(ChiMean(0)) || !math.IsInf(ChiInverseMean(1), 1) || !math.IsNaN(ChiSquareWindow(2, 1, 0)) {
		t.Error("bad-input conventions not met")
	}
}
