package gen

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Case is one start for Theorem 1 and the lemmas that live under its
// hypotheses (L1, L2): a network, a target and a step, with the hypotheses
// as measured.
type Case struct {
	Shape
	Target TargetSpec
	Phi    *mat.Dense
	// MarginPercent is the drawn c/σ_min(Φ) in percent; DeltaPercent and
	// EtaPercent the drawn δ/DeltaBound and η/EtaBound.
	MarginPercent, DeltaPercent, EtaPercent int
	Seed                                    uint64
	Start                                   *model.Net // W(0); clone before running
	Eta                                     float64
	// Hyp holds the measured hypotheses: Hyp.C is the measured margin of
	// W(0), Hyp.Delta the measured imbalance, and the bounds at Hyp.C.
	Hyp invariants.Theorem1
	// SigmaMinW0 is σ_min(W_{1:N}(0)).
	SigmaMinW0 float64
}

// CRatio is c/‖Φ‖_F, the quantity Theorem 1's constants scale with.
func (c Case) CRatio() float64 { return c.Hyp.C / c.Hyp.PhiF }

// String names the key figures of the case, so that a shrunk failure reads
// well: N, dims, ‖Φ‖_F, σ_min(Φ), c, c/‖Φ‖_F, δ (and its bound), η (and
// its bound), σ_min(W(0)).
func (c Case) String() string {
	h := c.Hyp
	return fmt.Sprintf("N=%d dims=%v ‖Φ‖_F=%.4g σ_min(Φ)=%.4g c=%.4g c/‖Φ‖_F=%.3f δ=%.3g (bound %.3g, %d%%) η=%.3g (bound %.3g, %d%%) σ_min(W(0))=%.4g seed=%d",
		c.N, c.Dims, h.PhiF, h.SigmaMinPh, h.C, c.CRatio(), h.Delta, h.DeltaBound, c.DeltaPercent,
		c.Eta, h.EtaBound, c.EtaPercent, c.SigmaMinW0, c.Seed)
}

// Options shapes the Theorem-1 case generator.
type Options struct {
	Shape ShapeOptions
	// MinMarginPercent..MaxMarginPercent bound c/σ_min(Φ) in percent
	// (defaults 1..99).
	MinMarginPercent, MaxMarginPercent int
	// Balanced forces δ = 0 (the Procedure-1 start as it is).
	Balanced bool
	// EtaAtBound forces η = EtaBound exactly; otherwise η is at the bound
	// half the time and 1..99 % of it the other half.
	EtaAtBound bool
	// UnitTarget forces ‖Φ‖_F = 1 and condition 1 (cheap, scale-free cases).
	UnitTarget bool
}

// TheoremOne draws a case meeting Theorem 1's hypotheses by construction:
// an architecture with min_j d_j ≥ min(d_0, d_N); a target Φ from explicit
// singular values; A = Φ + (σ_min(Φ) − c)E with the drawn margin
// fraction; a Procedure-1 start from A with seeded orthogonal insertions;
// then, unless Options.Balanced, model.PerturbImbalance to δ = drawn
// percentage (0..99 %) of DeltaBound(c); finally η = drawn percentage of
// EtaBound(c). The margin c used for the bounds is the one measured on the
// final start. The properties re-assert Hyp.Holds().
func TheoremOne(o Options) *rapid.Generator[Case] {
	if o.MinMarginPercent < 1 {
		o.MinMarginPercent = 1
	}
	if o.MaxMarginPercent < o.MinMarginPercent || o.MaxMarginPercent > 99 {
		o.MaxMarginPercent = 99
	}
	shapes := Shapes(o.Shape)
	targets := Targets()
	return rapid.Custom(func(t *rapid.T) Case {
		var cs Case
		cs.Shape = shapes.Draw(t, "shape")
		if o.UnitTarget {
			cs.Target = TargetSpec{Frob: 1, Condition: 1, Seed: rapid.Uint64().Draw(t, "Φ seed")}
		} else {
			cs.Target = targets.Draw(t, "target")
		}
		// Percentages shrink towards the large-margin, balanced, at-bound end.
		cs.MarginPercent = o.MaxMarginPercent - rapid.IntRange(0, o.MaxMarginPercent-o.MinMarginPercent).Draw(t, "99−margin%")
		if !o.Balanced && cs.N > 1 {
			cs.DeltaPercent = rapid.IntRange(0, 99).Draw(t, "δ%")
		}
		cs.EtaPercent = 100
		if !o.EtaAtBound && rapid.Bool().Draw(t, "η below the bound") {
			cs.EtaPercent = 100 - rapid.IntRange(1, 99).Draw(t, "100−η%")
		}
		cs.Seed = rapid.Uint64().Draw(t, "seed")
		if err := cs.build(); err != nil {
			t.Fatalf("gen: building %v: %v", cs.Dims, err)
		}
		return cs
	})
}

// build constructs Φ, the start and η from the drawn structure.
func (cs *Case) build() error {
	phi, err := cs.Target.Build(cs.Dims[cs.N], cs.Dims[0])
	if err != nil {
		return err
	}
	cs.Phi = phi
	rng := model.NewRand(cs.Seed)
	sm := invariants.SigmaMin(phi)
	a, err := WithMargin(phi, float64(cs.MarginPercent)/100*sm, rng)
	if err != nil {
		return err
	}
	n, err := model.Balanced(a, cs.Dims, rng)
	if err != nil {
		return err
	}
	if cs.DeltaPercent > 0 {
		c := invariants.NetMargin(n, phi)
		target := float64(cs.DeltaPercent) / 100 * invariants.DeltaBound(c, cs.N, invariants.Frobenius(phi))
		n, err = model.PerturbImbalance(n, target, rng)
		if err != nil {
			return err
		}
	}
	cs.Start = n
	h := invariants.CheckTheorem1(n, phi, 1, 0) // measure c; η filled below
	cs.Eta = float64(cs.EtaPercent) / 100 * h.EtaBound
	cs.Hyp = invariants.CheckTheorem1(n, phi, cs.Eta, 0)
	cs.SigmaMinW0 = invariants.SigmaMin(n.Product())
	if math.IsNaN(cs.Eta) {
		return fmt.Errorf("η is NaN")
	}
	return nil
}

// HorizonCase is a Theorem-1 case with an ε for the full-horizon check.
type HorizonCase struct {
	Case
	Loss0   float64 // ℓ(0)
	Eps     float64 // ε
	Horizon int     // ⌈T(ε)⌉
	Decades float64 // log10(ℓ(0)/ε)
}

// String adds ε and the horizon to Case.String.
func (h HorizonCase) String() string {
	return fmt.Sprintf("%v ℓ(0)=%.4g ε=%.4g (%.2f decades) T(ε)=%d", h.Case, h.Loss0, h.Eps, h.Decades, h.Horizon)
}

// FullHorizon draws the cases where Theorem 1's horizon T(ε) is affordable:
// N = 1..3, min(d_0, d_N) = 1 (so σ_min(Φ) = ‖Φ‖_F and c/‖Φ‖_F can approach
// 1), other widths ≤ 3, η at the bound, δ drawn as usual.
//
// The budget rule: at η = EtaBound the rate is ηc^{2(N−1)/N} =
// (c/‖Φ‖_F)^{(6N−4)/N}/(6144N³), so MinDecades decades fit in `budget`
// steps only when c/‖Φ‖_F ≥ MinMarginPercent(N, budget)/100. N is drawn
// among the depths for which that is ≤ 99 %, and c/σ_min(Φ) from
// [max(80 %, that), 99 %]. Then ε is the larger of ℓ(0)·10^{−k} (k drawn
// in 1..3) and ℓ(0)·e^{−budget·ηc^{2(N−1)/N}}, so that T(ε) ≤ budget.
func FullHorizon(budget int) *rapid.Generator[HorizonCase] {
	return rapid.Custom(func(t *rapid.T) HorizonCase {
		maxN := 1
		for N := 2; N <= 3; N++ {
			if MinMarginPercent(N, budget) <= 99 {
				maxN = N
			}
		}
		N := rapid.IntRange(1, maxN).Draw(t, "N")
		cs := TheoremOne(Options{
			Shape:            ShapeOptions{MinN: N, MaxN: N, MaxDim: 3, MaxSide: 1},
			MinMarginPercent: min(99, max(80, MinMarginPercent(N, budget))), MaxMarginPercent: 99, EtaAtBound: true,
		}).Draw(t, "case")
		decades := rapid.IntRange(1, 3).Draw(t, "decades")
		h := HorizonCase{Case: cs}
		h.Loss0, _ = model.Loss(cs.Start, cs.Phi)
		rate := invariants.Rate(cs.Eta, cs.Hyp.C, cs.N)
		want := float64(decades) * math.Ln10
		if afford := float64(budget) * rate; afford < want {
			want = afford
		}
		h.Eps = h.Loss0 * math.Exp(-want)
		h.Decades = want / math.Ln10
		h.Horizon = int(math.Ceil(invariants.Horizon(h.Loss0, h.Eps, cs.Eta, cs.Hyp.C, cs.N)))
		return h
	})
}

// MinMarginPercent is the least c/‖Φ‖_F, in percent (rounded up, plus one
// for the margin lost to rounding), for which MinDecades decades of
// Theorem 1's guarantee at η = EtaBound fit in budget steps:
// (MinDecades·ln 10·6144N³/budget)^{N/(6N−4)}.
func MinMarginPercent(N, budget int) int {
	n := float64(N)
	r := math.Pow(MinDecades*math.Ln10*6144*n*n*n/float64(budget), n/(6*n-4))
	return int(math.Ceil(100*r)) + 1
}

// MinDecades is the least log10(ℓ(0)/ε) for a full-horizon case to count.
const MinDecades = 0.5

// Affordable reports whether the case reaches MinDecades within budget.
func (h HorizonCase) Affordable() bool { return h.Decades >= MinDecades && h.Horizon > 0 }
