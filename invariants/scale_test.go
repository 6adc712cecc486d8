package invariants_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// bigPrec is the working precision of the independent references below.
const bigPrec = 256

// bigRoot returns x^{1/k} for x > 0 by Newton's iteration in big.Float
// (independent of math.Pow, math.Log and the code under test).
func bigRoot(x *big.Float, k int) *big.Float {
	f, _ := x.Float64()
	y := new(big.Float).SetPrec(bigPrec).SetFloat64(math.Pow(f, 1/float64(k)))
	kk := new(big.Float).SetPrec(bigPrec).SetInt64(int64(k))
	km1 := new(big.Float).SetPrec(bigPrec).SetInt64(int64(k - 1))
	for i := 0; i < 20; i++ { // quadratic convergence from a float64 start: 3 steps suffice
		p := new(big.Float).SetPrec(bigPrec).SetInt64(1)
		for j := 0; j < k-1; j++ {
			p.Mul(p, y)
		}
		// y ← ((k−1)y + x/y^{k−1}) / k
		q := new(big.Float).SetPrec(bigPrec).Quo(x, p)
		y = new(big.Float).SetPrec(bigPrec).Quo(new(big.Float).SetPrec(bigPrec).Add(new(big.Float).SetPrec(bigPrec).Mul(km1, y), q), kk)
	}
	return y
}

func bigPow10(e int) *big.Float {
	t := new(big.Float).SetPrec(bigPrec).SetInt(new(big.Int).Exp(big.NewInt(10), big.NewInt(int64(abs(e))), nil))
	if e < 0 {
		return new(big.Float).SetPrec(bigPrec).Quo(new(big.Float).SetPrec(bigPrec).SetInt64(1), t)
	}
	return t
}

func abs(x int) int {
	if x < 0 {
		return -x
	}
	return x
}

func bigQuo(a *big.Float, d float64) *big.Float {
	return new(big.Float).SetPrec(bigPrec).Quo(a, new(big.Float).SetPrec(bigPrec).SetFloat64(d))
}

func bigMul(a, b *big.Float) *big.Float { return new(big.Float).SetPrec(bigPrec).Mul(a, b) }

// TestBoundsScaleFree: issue 14's held-in cases, where c^{(4N−2)/N} and
// ‖Φ‖_F^{(6N−4)/N} leave float64's range separately while η* does not.
// The right values are computed independently in math/big from the
// closed forms by hand:
//
//	‖Φ‖_F = 1e-160, c = 5e-161, N = 3: η* = (c/‖Φ‖)^{10/3} ‖Φ‖^{−4/3} / (6144·27)
//	  = 2^{−10/3} · 10^{640/3} / 165888 = 10^{213} · (10/2^{10})^{1/3} / 165888;
//	  δ* = (c/‖Φ‖)² ‖Φ‖^{2/3} / (256·27) = ¼ · 10^{−320/3} / 6912
//	  = ¼ · 10^{−107} · 10^{1/3} / 6912;
//	‖Φ‖_F = 1e100, c = 5e99, N = 8: η* = 2^{−15/4} · 10^{−175} / (6144·512)
//	  = 2^{1/4} / 16 · 10^{−175} / 3145728.
func TestBoundsScaleFree(t *testing.T) {
	eta1 := bigQuo(bigMul(bigPow10(213), bigRoot(bigQuo(new(big.Float).SetPrec(bigPrec).SetInt64(10), 1024), 3)), 165888)
	delta1 := bigQuo(bigMul(bigPow10(-107), bigRoot(new(big.Float).SetPrec(bigPrec).SetInt64(10), 3)), 4*6912)
	eta2 := bigQuo(bigMul(bigPow10(-175), bigRoot(new(big.Float).SetPrec(bigPrec).SetInt64(2), 4)), 16*3145728)
	for _, c := range []struct {
		name       string
		got        float64
		want       *big.Float
		cond       float64 // Σ|p_i ln x_i| over the powers of the formula
		wantApprox float64 // the rounded figure
		approxULP  float64 // its last digit's unit
	}{
		{"η*(N=3, ‖Φ‖=1e-160)", invariants.EtaBound(5e-161, 3, 1e-160), eta1, 10.0/3*math.Ln2 + 4.0/3*160*math.Ln10, 1.2885e207, 1e203},
		{"δ*(N=3, ‖Φ‖=1e-160)", invariants.DeltaBound(5e-161, 3, 1e-160), delta1, 2*math.Ln2 + 2.0/3*160*math.Ln10, 0, 0},
		{"η*(N=8, ‖Φ‖=1e100)", invariants.EtaBound(5e99, 8, 1e100), eta2, 3.75*math.Ln2 + 1.75*100*math.Ln10, 2.36e-183, 1e-185},
	} {
		want, _ := c.want.Float64()
		// Tier: x^p with the exponent p rounded to float64 is off by a
		// relative |p ln x|·u (the conditioning of x^p in p), pow itself by
		// a few ulps, and the decimal inputs by ≤ (Σ|p_i|)·u; 4u·(8 + Σ|p ln x|)
		// covers them with room (here ≤ 2.2e-13; measured ≤ 3.2e-14).
		tol := 4 * linalg.UnitRoundoff * (8 + c.cond)
		require.InEpsilon(t, want, c.got, tol, "%s = %v, want %v", c.name, c.got, want)
		if c.wantApprox != 0 { // the figure, to half a unit of its last digit
			require.InDelta(t, c.wantApprox, c.got, c.approxULP/2, c.name)
		}
		t.Logf("%s = %.17g (math/big %.17g)", c.name, c.got, want)
	}
	// Scale invariance: (c, ‖Φ‖) ↦ (λc, λ‖Φ‖) multiplies η* by
	// λ^{−2(N−1)/N} and δ* by λ^{2/N}; across 600 decades, including the
	// log-domain path (c/‖Φ‖ not normal).
	for _, N := range []int{1, 2, 3, 8} {
		n := float64(N)
		for _, r := range []float64{0.5, 1e-200} {
			base := invariants.EtaBound(r, N, 1)
			for _, e := range []int{-300, -150, 0, 150, 300} {
				lam := math.Pow(10, float64(e))
				got := invariants.EtaBound(r*lam, N, lam)
				if r*lam == 0 || math.IsInf(got, 0) || got == 0 {
					continue
				}
				want := math.Exp(math.Log(base) - 2*(n-1)/n*float64(e)*math.Ln10)
				// Tier: the log path's (|ln η*| + Σ|p ln x|)·u, ≤ 4000u here.
				require.InEpsilon(t, want, got, 4000*linalg.UnitRoundoff, "N=%d r=%g λ=1e%d", N, r, e)
			}
		}
	}
	// Beyond the range the answer is 0 or +Inf, never NaN.
	require.Equal(t, 0.0, invariants.EtaBound(1e-300, 3, 1e300))
	require.True(t, math.IsInf(invariants.EtaBound(1e-300, 3, 1e-300), 1)) // 1e400/165888
	// T(ε) at η* is scale-free too: rate η*c^{2(N−1)/N} = (c/‖Φ‖)^{(6N−4)/N}/(6144N³).
	// Tier as above, with Σ|p ln x| ≈ 2·491 (η*'s ‖Φ‖ power and c's).
	tol := 4 * linalg.UnitRoundoff * (8 + 2*4.0/3*160*math.Ln10)
	rate := invariants.Rate(invariants.EtaBound(5e-161, 3, 1e-160), 5e-161, 3)
	require.InEpsilon(t, math.Pow(0.5, 14.0/3)/165888, rate, tol)
	require.InEpsilon(t, math.Log(1e300)/rate, invariants.Horizon(1e150, 1e-150, invariants.EtaBound(5e-161, 3, 1e-160), 5e-161, 3), tol)
	// Subnormal inputs (golang/go#56600: math.Log and math.Pow are wrong
	// there on amd64), exactly representable: ‖Φ‖ = 2^−1030, c = ‖Φ‖/2.
	// N = 1: η* = (c/‖Φ‖)²/6144 whatever the scale; N = 3:
	// δ* = ¼ · 2^{−2060/3} / 6912, the power by hand in logs.
	require.InEpsilon(t, 0.25/6144, invariants.EtaBound(0x1p-1031, 1, 0x1p-1030), 8*linalg.UnitRoundoff)
	cond := 2060.0 / 3 * math.Ln2
	require.InEpsilon(t, 0.25*math.Exp(-cond)/6912, invariants.DeltaBound(0x1p-1031, 3, 0x1p-1030), 4*linalg.UnitRoundoff*(8+cond))
}

// TestNoMarginNoBound: at c ≤ 0 every bound of Theorem 1 is undefined
// (NaN), never a number computed outside its domain (δ* from c² was
// positive, η* negative for even N and NaN for odd N).
func TestNoMarginNoBound(t *testing.T) {
	for _, c := range []float64{0, -0.1, math.Inf(-1), math.Copysign(0, -1)} {
		for _, N := range []int{1, 2, 3} {
			require.True(t, math.IsNaN(invariants.DeltaBound(c, N, 1)), "DeltaBound(%v, %d)", c, N)
			require.True(t, math.IsNaN(invariants.EtaBound(c, N, 1)), "EtaBound(%v, %d)", c, N)
			require.True(t, math.IsNaN(invariants.Rate(1e-3, c, N)), "Rate(%v, %d)", c, N)
			require.True(t, math.IsNaN(invariants.Horizon(1, 1e-3, 1e-3, c, N)), "Horizon(%v, %d)", c, N)
		}
	}
	// CheckTheorem1 on a start without a margin: C is the measured
	// (negative) margin, both bounds NaN, Holds false.
	phi := mat.NewDense(1, 1, []float64{1})
	n, err := model.NewNetFromRows([][][]float64{{{0.5}}, {{-0.5}}})
	require.NoError(t, err)
	h := invariants.CheckTheorem1(n, phi, 1e-6, 0)
	require.InDelta(t, 1-1.25, h.C, 1e-15) // σ_min(Φ) − |−0.25 − 1|
	require.True(t, math.IsNaN(h.DeltaBound) && math.IsNaN(h.EtaBound), "%+v", h)
	require.False(t, h.Holds())
	// A Φ of the wrong shape: everything Φ-derived is NaN, not 0.
	h = invariants.CheckTheorem1(n, mat.NewDense(2, 1, []float64{1, 1}), 1e-6, 0)
	require.True(t, math.IsNaN(h.C) && math.IsNaN(h.PhiF) && math.IsNaN(h.DeltaBound) && math.IsNaN(h.EtaBound), "%+v", h)
}
