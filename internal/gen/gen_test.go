package gen

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"

	"github.com/dlnverify/dlnverify/invariants"
)

// drawMany runs fn on `per` draws in each of rapid's checks at the
// default budget (100 checks: 100·per draws in all). The coverage tests
// below require every bin of a range to be drawn, so the total must not
// shrink with -short or -rapid.checks: the per-check count is scaled so
// that the total stays 100·per whatever rapid runs. (Under -short, 20
// checks × 8 draws left δ/DeltaBound's fifth tenth empty for
// RAPID_SEED=729870854: a bin of probability p ≈ 0.04 is empty in n
// draws with probability (1−p)^n, ≈ 5e-3 at the ≈ 130 draws with N > 1
// out of 160, ≈ 4e-12 at the ≈ 650 out of 800.)
func drawMany(t *testing.T, per int, fn func(*rapid.T)) {
	checks := rapidtb.Checks()
	if rapidtb.Short() {
		checks /= 5
	}
	perCheck := (100*per + checks - 1) / max(checks, 1)
	rapidtb.CheckT(t, func(rt *rapid.T) {
		for i := 0; i < perCheck; i++ {
			fn(rt)
		}
	})
}

func requireAll(t *testing.T, what string, seen map[int]int, lo, hi int) {
	t.Helper()
	for v := lo; v <= hi; v++ {
		if seen[v] == 0 {
			t.Errorf("%s = %d never drawn (%v)", what, v, seen)
		}
	}
	t.Logf("%s: %v", what, seen)
}

// Shapes covers N = 1..6, d_0 and d_N = 1..6 (including d_0 = 1 and
// d_N = 1), hidden widths 1..6, always meets the width condition unless
// Narrow, and Narrow does produce violating architectures.
func TestShapesCoverRanges(t *testing.T) {
	ns, d0s, dns, hid := map[int]int{}, map[int]int{}, map[int]int{}, map[int]int{}
	narrowBad := 0
	drawMany(t, 10, func(rt *rapid.T) {
		s := Shapes(ShapeOptions{}).Draw(rt, "s")
		ns[s.N]++
		d0s[s.Dims[0]]++
		dns[s.Dims[s.N]]++
		for _, d := range s.Dims[1:s.N] {
			hid[d]++
		}
		if !invariants.WidthsOK(s.Dims) {
			rt.Fatalf("default shape %v violates the width condition", s.Dims)
		}
		if n := Shapes(ShapeOptions{Narrow: true}).Draw(rt, "narrow"); !invariants.WidthsOK(n.Dims) {
			narrowBad++
		}
		sq := Shapes(ShapeOptions{Square: true}).Draw(rt, "square")
		for _, d := range sq.Dims {
			if d != sq.Dims[0] {
				rt.Fatalf("square shape %v", sq.Dims)
			}
		}
		if vs := Shapes(ShapeOptions{MaxSide: 1}).Draw(rt, "vector"); min(vs.Dims[0], vs.Dims[vs.N]) != 1 {
			rt.Fatalf("MaxSide 1 gave %v", vs.Dims)
		}
	})
	requireAll(t, "N", ns, 1, MaxDepth)
	requireAll(t, "d_0", d0s, 1, MaxWidth)
	requireAll(t, "d_N", dns, 1, MaxWidth)
	requireAll(t, "hidden width", hid, 1, MaxWidth)
	if narrowBad == 0 {
		t.Errorf("Narrow never produced a hidden width below min(d_0, d_N)")
	}
}

// Targets are built with the drawn ‖Φ‖_F and condition number exactly.
func TestTargetsHaveDrawnSpectrum(t *testing.T) {
	drawMany(t, 5, func(rt *rapid.T) {
		s := Targets().Draw(rt, "Φ")
		sh := Shapes(ShapeOptions{}).Draw(rt, "shape")
		phi, err := s.Build(sh.Dims[sh.N], sh.Dims[0])
		if err != nil {
			rt.Fatal(err)
		}
		sv := invariants.SingularValues(phi)
		if f := invariants.Frobenius(phi); math.Abs(f-s.Frob) > 1e-12*s.Frob {
			rt.Fatalf("‖Φ‖_F = %v, drawn %v", f, s.Frob)
		}
		if len(sv) > 1 {
			if c := sv[0] / sv[len(sv)-1]; math.Abs(c-s.Condition) > 1e-9*s.Condition {
				rt.Fatalf("condition %v, drawn %v", c, s.Condition)
			}
		}
	})
}

// TheoremOne's cases meet Theorem 1's hypotheses (measured), and spread
// over the claimed ranges: N = 1..6, d_0 = 1 and d_N = 1 cases,
// c/‖Φ‖_F in every tenth of (0, 1), δ/DeltaBound from 0 up to ≥ 0.9, η at
// and below the bound.
func TestTheoremOneCoversRanges(t *testing.T) {
	ns := map[int]int{}
	cBins, dBins := map[int]int{}, map[int]int{}
	d01, dN1, etaAt, etaBelow := 0, 0, 0, 0
	drawMany(t, 8, func(rt *rapid.T) {
		cs := TheoremOne(Options{}).Draw(rt, "case")
		if !cs.Hyp.Holds() {
			rt.Fatalf("hypotheses fail: %v", cs)
		}
		ns[cs.N]++
		cBins[int(10*cs.CRatio())]++
		if cs.N > 1 {
			dBins[int(10*cs.Hyp.Delta/cs.Hyp.DeltaBound)]++
		}
		if cs.Dims[0] == 1 {
			d01++
		}
		if cs.Dims[cs.N] == 1 {
			dN1++
		}
		if cs.Eta == cs.Hyp.EtaBound {
			etaAt++
		} else {
			etaBelow++
		}
	})
	requireAll(t, "N", ns, 1, MaxDepth)
	requireAll(t, "c/‖Φ‖_F tenth", cBins, 0, 9)
	requireAll(t, "δ/DeltaBound tenth", dBins, 0, 9)
	if d01 == 0 || dN1 == 0 || etaAt == 0 || etaBelow == 0 {
		t.Errorf("d_0=1: %d, d_N=1: %d, η at bound: %d, below: %d — each must be > 0", d01, dN1, etaAt, etaBelow)
	}
	t.Logf("d_0=1: %d, d_N=1: %d, η at bound: %d, below: %d", d01, dN1, etaAt, etaBelow)
}

// FullHorizon's cases have min(d_0, d_N) = 1, N ≤ 3, η at the bound, and
// mostly fit the budget; T(ε) ≤ budget always.
func TestFullHorizonBudget(t *testing.T) {
	const budget = 250_000
	afford, total := 0, 0
	ns := map[int]int{}
	drawMany(t, 3, func(rt *rapid.T) {
		h := FullHorizon(budget).Draw(rt, "h")
		total++
		if min(h.Dims[0], h.Dims[h.N]) != 1 || h.N > 3 || h.Eta != h.Hyp.EtaBound || !h.Hyp.Holds() {
			rt.Fatalf("bad full-horizon case %v", h)
		}
		if h.Horizon > budget+1 {
			rt.Fatalf("T(ε) = %d over the budget %d", h.Horizon, budget)
		}
		if h.Affordable() {
			afford++
			ns[h.N]++
		}
	})
	requireAll(t, "affordable N", ns, 1, 3)
	if afford < total/2 {
		t.Errorf("only %d of %d full-horizon cases are affordable", afford, total)
	}
	t.Logf("%d of %d affordable", afford, total)
}
