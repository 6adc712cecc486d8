package counterexamples

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// Entry is one named construction of the catalog: a start that violates
// exactly one hypothesis of Theorem 1 and a failure mode that its run
// shows. Build returns a concrete Case (Φ, layers, η, budget K, mode);
// Case.Replay is the entry's failure predicate.
type Entry struct {
	Name       string
	Hypothesis Hypothesis // the hypothesis it violates
	Claim      string     // the CLAIMS.md ID it realises
	Mode       Mode       // the failure mode its run shows
	// Shows is one sentence: what the entry demonstrates.
	Shows string
	Build func() (Case, error)
}

// Catalog returns the named constructions, in a fixed order.
func Catalog() []Entry {
	return []Entry{
		{
			Name: "CL5/negative-eigenvalue", Hypothesis: Margin, Claim: "CL5", Mode: Floor,
			Shows: "N = 2, Φ = diag(−1, 2), W_j(0) = I: balanced, full width, small η, no margin; " +
				"the layers stay diagonal and ℓ(t) ≥ λ²/2 = ½ for ever (the +2 direction converges, the −1 direction cannot)",
			Build: func() (Case, error) {
				c, err := NewCL5FromEigenvalues(2, []float64{-1, 2}, 0)
				if err != nil {
					return Case{}, err
				}
				return c.Case(0.05, 2000)
			},
		},
		{
			Name: "CL4/unbalanced-start", Hypothesis: Balance, Claim: "CL4", Mode: Diverges,
			Shows: "N = 2, d = 1, Φ = 1, margin c = ½, η = 1e-3: layers a = 3/√η ≈ 94.9 and b = c/a; " +
				"the loss grows ×64 per step and overflows (model.Run reports divergence)",
			Build: func() (Case, error) {
				c, err := NewCL4(2, 1, 0.5, 1e-3)
				if err != nil {
					return Case{}, err
				}
				return c.Case(100)
			},
		},
		{
			Name: "A1/narrow-hidden-layer", Hypothesis: Width, Claim: "A1", Mode: Floor,
			Shows: "dims 2→1→2, Φ = diag(2, 1), a balanced rank-1 start: W_{1:N} has rank ≤ 1 for ever, " +
				"so ℓ(t) ≥ σ_2(Φ)²/2 = ½ (Eckart–Young) although GD converges to the best rank-1 fit",
			Build: func() (Case, error) {
				phi := mat.NewDense(2, 2, []float64{2, 0, 0, 1})
				n, err := model.NewNetFromRows([][][]float64{{{1, 0}}, {{1}, {0}}})
				if err != nil {
					return Case{}, err
				}
				cs := newCase("A1/narrow-hidden-layer", Width, "A1", n, phi, 0.05, 2000, 0.25)
				cs.Mode, cs.Floor = Floor, 0.5
				return cs, nil
			},
		},
		{
			Name: "T1/large-step", Hypothesis: Step, Claim: "T1", Mode: Diverges,
			Shows: "N = 2, d = 1, Φ = 1, balanced start w_1 = w_2 = √½ (margin ≈ ½), η = 3 instead of T1's ≈ 2.5e-6: " +
				"the first step overshoots and the loss diverges",
			Build: func() (Case, error) {
				w := math.Sqrt(0.5)
				n, err := model.NewNetFromRows([][][]float64{{{w}}, {{w}}})
				if err != nil {
					return Case{}, err
				}
				cs := newCase("T1/large-step", Step, "T1", n, mat.NewDense(1, 1, []float64{1}), 3, 100, 1e-6)
				cs.Mode = Diverges
				return cs, nil
			},
		},
		{
			Name: "D2/zero-saddle", Hypothesis: Margin, Claim: "D2", Mode: Stalls,
			Shows: "N = 2, d = 1, Φ = 1, W_j(0) = 0: balanced, no margin (‖0 − Φ‖ = σ_min(Φ)); " +
				"the origin is a critical point for N ≥ 2, so GD stalls at ℓ = ½ for ever",
			Build: func() (Case, error) {
				n, err := model.NewNetFromRows([][][]float64{{{0}}, {{0}}})
				if err != nil {
					return Case{}, err
				}
				cs := newCase("D2/zero-saddle", Margin, "D2", n, mat.NewDense(1, 1, []float64{1}), 0.1, 100, 1e-6)
				cs.Mode, cs.Floor = Stalls, 0.5
				return cs, nil
			},
		},
	}
}

// LookupEntry returns the catalog entry with the given name.
func LookupEntry(name string) (Entry, error) {
	for _, e := range Catalog() {
		if e.Name == name {
			return e, nil
		}
	}
	return Entry{}, fmt.Errorf("counterexamples: no catalog entry %q", name)
}

// Run builds the entry's case, runs it with impl (nil: model.Reference)
// and checks the failure mode: the returned Case has its Curve filled in.
// The error wraps ErrNotReproduced when the failure did not show.
func (e Entry) Run(impl model.Stepper) (Case, Outcome, error) {
	if e.Build == nil {
		return Case{}, Outcome{}, fmt.Errorf("counterexamples: entry %q has no construction", e.Name)
	}
	cs, err := e.Build()
	if err != nil {
		return cs, Outcome{}, err
	}
	o, err := cs.Replay(impl)
	cs.Curve = o.Curve
	return cs, o, err
}
