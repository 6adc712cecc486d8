package counterexamples

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/invariants"
)

// cl4Margins is the grid of margins c ∈ (0, 1).
var cl4Margins = []float64{0.05, 0.25, 0.5, 0.75, 0.95}

// cl4Budget is K for CL4: CLAIMS.md reports overflow within about 15 steps
// for N = 2..8; 200 leaves a wide margin without hiding a slow blow-up.
const cl4Budget = 200

// TestCL4_DivergesEveryEtaAndMargin is Claim 4 over the grid: N ∈ {2, 4, 6},
// d ∈ {1..5}, every c of cl4Margins and every η of DefaultEtaGrid. Each
// start is checked to have margin c and to be unbalanced beyond T1's bound
// (the one dropped hypothesis); then model.Run reports divergence and the
// loss and weights grow at least exponentially until overflow.
func TestCL4_DivergesEveryEtaAndMargin(t *testing.T) {
	runs, maxT0 := 0, 0
	worstLoss, worstWeight, minLoss := math.Inf(1), math.Inf(1), math.Inf(1)
	for _, N := range []int{2, 4, 6} {
		for d := 1; d <= 5; d++ {
			for _, c := range cl4Margins {
				for _, eta := range DefaultEtaGrid() {
					cl, err := NewCL4(N, d, c, eta)
					if err != nil {
						t.Fatal(err)
					}
					r, err := CheckCL4(nil, cl, cl4Budget)
					if err != nil {
						t.Fatal(err)
					}
					// Hypotheses, measured: margin c (CheckCL4 asserts it to
					// rounding), widths fine, and balancedness violated.
					deltaBound := invariants.DeltaBound(r.Margin, N, math.Sqrt(float64(d)))
					if !(r.Imbalance > deltaBound) {
						t.Fatalf("start is not unbalanced beyond T1's δ bound %.3g: %s", deltaBound, r)
					}
					if !r.Holds() {
						t.Fatalf("%s", r)
					}
					runs++
					worstLoss = math.Min(worstLoss, r.MinLossRatio)
					worstWeight = math.Min(worstWeight, r.MinWeightRatio)
					minLoss = math.Min(minLoss, r.MinLoss)
					maxT0 = max(maxT0, r.From)
					if d == 1 && (eta == 1e-6 || eta == 1) && (c == 0.05 || c == 0.95) {
						t.Logf("%s", r)
					}
				}
			}
		}
	}
	t.Logf("CL4: %d runs (N ∈ {2,4,6}, d ∈ 1..5, %d margins, 13 η), all diverged (model.Run) and overflowed; transient t₀ ≤ %d; least growth per step after t₀: loss ×%.3g (required ×%d), weights (geometric mean) ×%.3g (required ×2^(1/2N)); smallest loss seen %.3g",
		runs, len(cl4Margins), maxT0, worstLoss, GrowthFactor, worstWeight, minLoss)
	if runs != 3*5*len(cl4Margins)*13 {
		t.Fatalf("grid incomplete: %d runs", runs)
	}
}

// TestCL4_AnyEtaAndMargin is Claim 4 as a rapid property: even N ≤ 8,
// d ≤ 4, c and η drawn off the grid (c = i/100, η on a log grid of 20
// points per decade over [1e-6, 1]). Beyond η = 1 the construction still
// overflows (model.Run reports divergence) but its transient can last past
// t₀: N = 4, c = 0.01, η = 1.41 has ℓ(3) = 0.31 < ℓ(0) = 0.49 before it
// blows up (measured), so the property stays on the range.
func TestCL4_AnyEtaAndMargin(t *testing.T) {
	valid := 0
	rapidtb.CheckT(t, func(rt *rapid.T) {
		N := 2 * rapid.IntRange(1, 4).Draw(rt, "halfN")
		d := rapid.IntRange(1, 4).Draw(rt, "d")
		c := float64(rapid.IntRange(1, 99).Draw(rt, "cPercent")) / 100
		eta := math.Pow(10, -6+float64(rapid.IntRange(0, 120).Draw(rt, "etaTwentiethsOfDecade"))/20)
		cl, err := NewCL4(N, d, c, eta)
		if err != nil {
			rt.Fatal(err)
		}
		r, err := CheckCL4(nil, cl, cl4Budget)
		if err != nil {
			rt.Fatal(err)
		}
		// The one dropped hypothesis, measured: unbalanced beyond T1's δ.
		if db := invariants.DeltaBound(r.Margin, N, math.Sqrt(float64(d))); !(r.Imbalance > db) {
			rt.Fatalf("start not unbalanced beyond T1's δ bound %.3g: %s", db, r)
		}
		valid++
		rt.Logf("%s", r)
		if !r.Holds() {
			rt.Fatalf("%s", r)
		}
	})
	if valid == 0 {
		t.Fatal("no valid case")
	}
	t.Logf("%d cases met CL4's hypotheses and diverged as claimed", valid)
}

// TestCL4_PlantedBugs shows the CL4 check can fail: from a balanced start
// with the same product (every layer c^{1/N}: T1's hypotheses nearly hold)
// GD does not diverge, and a frozen stepper never grows.
func TestCL4_PlantedBugs(t *testing.T) {
	cl, err := NewCL4(2, 2, 0.5, 1e-2)
	if err != nil {
		t.Fatal(err)
	}
	bal := *cl
	bal.A = math.Pow(cl.C, 1/float64(cl.N))
	bal.B = bal.A
	r, err := CheckCL4(nil, &bal, cl4Budget)
	if err != nil {
		t.Fatal(err)
	}
	if r.Holds() || !strings.Contains(r.Violation, "not divergence") {
		t.Fatalf("a balanced start should not diverge: %s", r)
	}
	t.Logf("planted balanced start detected: %s", r.Violation)
	r, err = CheckCL4(frozen{}, cl, cl4Budget)
	if err != nil {
		t.Fatal(err)
	}
	if r.Holds() {
		t.Fatalf("a frozen stepper should fail CL4: %s", r)
	}
	t.Logf("planted frozen stepper detected: %s", r.Violation)
	// The planted bug fails by design: keep no fail file.
	rep := rapidtb.CheckWith(rapidtb.WithoutFailFile, "TestCL4_PlantedBugs_rapid", func(rt *rapid.T) {
		c := float64(rapid.IntRange(1, 99).Draw(rt, "cPercent")) / 100
		cl, err := NewCL4(2, 1, c, 1e-3)
		if err != nil {
			rt.Fatal(err)
		}
		r, err := CheckCL4(frozen{}, cl, 50)
		if err != nil {
			rt.Fatal(err)
		}
		if !r.Holds() {
			rt.Fatalf("%s", r)
		}
	})
	if !rep.Failed {
		t.Fatal("rapid did not see the planted frozen stepper")
	}
}

// TestCL4_BadInput: errors, not panics.
func TestCL4_BadInput(t *testing.T) {
	for _, tc := range []struct {
		N, d   int
		c, eta float64
	}{{3, 1, 0.5, 0.1}, {0, 1, 0.5, 0.1}, {2, 0, 0.5, 0.1}, {2, 1, 0, 0.1}, {2, 1, 1, 0.1}, {2, 1, 0.5, 0}, {2, 1, 0.5, math.Inf(1)}, {2, 1, math.NaN(), 0.1}} {
		if _, err := NewCL4(tc.N, tc.d, tc.c, tc.eta); err == nil {
			t.Fatalf("NewCL4(%d, %d, %v, %v) should fail", tc.N, tc.d, tc.c, tc.eta)
		}
	}
	if _, err := CheckCL4(nil, nil, 10); err == nil {
		t.Fatal("nil construction should fail")
	}
	cl, _ := NewCL4(2, 1, 0.5, 0.1)
	if _, err := CheckCL4(nil, cl, 1); err == nil {
		t.Fatal("a budget shorter than MaxTransient should fail")
	}
}
