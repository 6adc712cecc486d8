package invariants_test

import (
	"math"
	"math/big"
	"testing"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
)

// bigRateN3 is the rate at η* for N = 3 from the closed form by hand:
// η*·c^{4/3} = (c/‖Φ‖)^{14/3} / (6144·27) = ((c/‖Φ‖)^{14})^{1/3} / 165888,
// evaluated in math/big at the exact float64 inputs (independent of
// math.Pow, math.Log and the code under test).
func bigRateN3(c, phiF float64) *big.Float {
	r := bigQuo(new(big.Float).SetPrec(bigPrec).SetFloat64(c), phiF)
	r14 := new(big.Float).SetPrec(bigPrec).SetInt64(1)
	for i := 0; i < 14; i++ {
		r14 = bigMul(r14, r)
	}
	return bigQuo(bigRoot(r14, 3), 165888)
}

// TestRateAtEtaBoundScaleFree: issue 14 item 5's kind. The rate at η* is a
// function of c/‖Φ‖_F and N only, so it is finite at every scale where η*
// itself is +Inf or 0 (the old η*·c^{2(N−1)/N} gave NaN = +Inf·0 there).
// T(ε) at η* is ln(ℓ(0)/ε)·165888·(‖Φ‖/c)^{14/3}, again in math/big.
// Tier: monomial's documented error 4u·(8 + |ln k| + Σ|p ln x|) (the log
// path's sum bounds the direct path's), with ln k = ln 165888 and p = 14/3.
func TestRateAtEtaBoundScaleFree(t *testing.T) {
	u := linalg.UnitRoundoff
	for _, cs := range []struct{ phiF, c, lnRatio float64 }{
		{1, 0.5, math.Log(1e6)},
		{1e-300, 5e-301, 5},
		{1e-160, 5e-161, 30},
		{5e-324, 5e-324, 13.8},
		{1e308, 1e307, 2*math.Log(9) + 2*307*math.Ln10 - math.Ln2 + 6*math.Ln10}, // ℓ(0) = ½(9e307)² overflows; ε = 1e-6
		{1e300, 5e299, 1},
	} {
		n := 3
		p := 14.0 / 3
		tol := 4 * u * (8 + math.Log(165888) + p*(math.Abs(math.Log(cs.c))+math.Abs(math.Log(cs.phiF))))
		want, _ := bigRateN3(cs.c, cs.phiF).Float64()
		got := invariants.RateAtEtaBound(cs.c, n, cs.phiF)
		if !(math.Abs(got-want) <= tol*want) {
			t.Fatalf("RateAtEtaBound(c=%v, N=3, ‖Φ‖=%v) = %v, want %v (rel tol %.2g)", cs.c, cs.phiF, got, want, tol)
		}
		if cs.c/cs.phiF == 0.5 && !(math.Abs(got-2.37344e-07) <= 5e-6*2.37344e-07) {
			t.Fatalf("c/‖Φ‖ = ½, N = 3: rate %v, want 2.37344e-07 at every scale", got)
		}
		wantT, _ := new(big.Float).SetPrec(bigPrec).Quo(new(big.Float).SetPrec(bigPrec).SetFloat64(cs.lnRatio), bigRateN3(cs.c, cs.phiF)).Float64()
		gotT := invariants.HorizonAtEtaBound(cs.lnRatio, cs.c, n, cs.phiF)
		if !(math.Abs(gotT-wantT) <= tol*wantT) {
			t.Fatalf("HorizonAtEtaBound(%v, c=%v, N=3, ‖Φ‖=%v) = %v, want %v", cs.lnRatio, cs.c, cs.phiF, gotT, wantT)
		}
		// One home: at a normal-range scale it agrees with Rate(η*, c, N).
		if eta := invariants.EtaBound(cs.c, n, cs.phiF); eta > 1e-300 && eta < 1e300 {
			if r := invariants.Rate(eta, cs.c, n); !(math.Abs(r-got) <= 2*tol*got) {
				t.Fatalf("Rate(η*, c, N) = %v, RateAtEtaBound = %v", r, got)
			}
		}
	}
	// The domain: NaN only without a margin; beyond float64's range 0, not NaN.
	for _, bad := range [][2]float64{{0, 1}, {-1, 1}, {math.NaN(), 1}, {1, 0}, {1, math.Inf(1)}, {math.Inf(1), 1}} {
		if r := invariants.RateAtEtaBound(bad[0], 3, bad[1]); !math.IsNaN(r) {
			t.Fatalf("RateAtEtaBound(c=%v, ‖Φ‖=%v) = %v, want NaN (no margin)", bad[0], bad[1], r)
		}
		if h := invariants.HorizonAtEtaBound(1, bad[0], 3, bad[1]); !math.IsNaN(h) {
			t.Fatalf("HorizonAtEtaBound(c=%v, ‖Φ‖=%v) = %v, want NaN (no margin)", bad[0], bad[1], h)
		}
	}
	if r := invariants.RateAtEtaBound(5e-324, 3, 1e308); r != 0 {
		t.Fatalf("rate at c/‖Φ‖ = 5e-632 = %v, want 0 (beyond float64's range)", r)
	}
	if h := invariants.HorizonAtEtaBound(1, 5e-324, 3, 1e308); !math.IsInf(h, 1) {
		t.Fatalf("T at c/‖Φ‖ = 5e-632 = %v, want +Inf (beyond float64's range)", h)
	}
	for _, l := range []float64{0, -3, math.Inf(-1)} {
		if h := invariants.HorizonAtEtaBound(l, 0.5, 3, 1); h != 0 {
			t.Fatalf("HorizonAtEtaBound(lnRatio = %v) = %v, want 0 (ℓ(0) ≤ ε)", l, h)
		}
	}
	if h := invariants.HorizonAtEtaBound(math.NaN(), 0.5, 3, 1); !math.IsNaN(h) {
		t.Fatalf("HorizonAtEtaBound(NaN) = %v", h)
	}
	// LnRatio beyond the quotient's range, against ln by hand.
	for _, q := range [][3]float64{{1e300, 1e-300, 600 * math.Ln10}, {0x1p-1070, 1e-6, -1070*math.Ln2 + 6*math.Ln10}, {3, 2, math.Log(1.5)}} {
		if got := invariants.LnRatio(q[0], q[1]); !(math.Abs(got-q[2]) <= 1e-12*math.Abs(q[2])) {
			t.Fatalf("LnRatio(%v, %v) = %v, want %v", q[0], q[1], got, q[2])
		}
	}
}
