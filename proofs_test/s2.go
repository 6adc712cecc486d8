package proofs

import (
	"math"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// S2: the step's implied gradient matches finite differences of the loss.

var _ = Register(Property{ID: "S2", Name: "GradientMatchesFiniteDifferences", Status: "V", Domain: "N 1..6, widths 1..6 (square and not)",
	Statement: "the step's implied gradient (W_j − W_j′)/η equals central finite differences of L^N",
	Check:     S2GradientMatchesFiniteDifferences, MinValid: 8})

// S2GradientMatchesFiniteDifferences checks S2 through impl's step.
//
// Cases: gen.Generic, N = 1..6, widths 1..6, all widths equal half the
// time (where transposition and order mistakes are shape-valid), η = 10⁻³.
//
// Checks: impl's returned loss equals ℓ(W) within LossTol; for every entry
// (a, b) of every layer j, the implied gradient (W_j − W_j′)_{ab}/η equals
// the central difference (ℓ(W_j + hE_{ab}) − ℓ(W_j − hE_{ab}))/(2h),
// h = 10⁻³·max(1, ‖W_j‖_σ), within FiniteDiffTol + ImpliedGradTol. (ℓ is
// quadratic in each single entry, so the central difference has no
// truncation error.)
func S2GradientMatchesFiniteDifferences(impl model.Stepper, st *Stats) func(*rapid.T) {
	return func(t *rapid.T) {
		square := rapid.Bool().Draw(t, "square")
		g := gen.Generic(gen.ShapeOptions{Square: square}).Draw(t, "case")
		t.Logf("S2 case: %v", g)
		const eta = 1e-3
		n := g.Net.Clone()
		phiF := invariants.Frobenius(g.Phi)
		l0 := lossOf(n, g.Phi)
		ltol := TiersFor(impl).LossTol(n, phiF, l0)
		after := n.Clone()
		rep, err := impl.Step(after, g.Phi, eta)
		if err != nil {
			t.Fatalf("%s: %v", impl.Name(), err)
		}
		st.Case(true)
		if !(math.Abs(rep-l0) <= ltol) {
			t.Fatalf("S2 violated: %s returned ℓ = %.17g, measured %.17g", impl.Name(), rep, l0)
		}
		for j := 1; j <= n.N(); j++ {
			w := n.Layer(j)
			h := 1e-3 * math.Max(1, invariants.SpectralNorm(w))
			r, c := w.Dims()
			for a := 0; a < r; a++ {
				for b := 0; b < c; b++ {
					v := w.At(a, b)
					implied := (v - after.Layer(j).At(a, b)) / eta
					w.Set(a, b, v+h)
					lp := lossOf(n, g.Phi)
					tp := TiersFor(impl).LossTol(n, phiF, lp)
					w.Set(a, b, v-h)
					lm := lossOf(n, g.Phi)
					w.Set(a, b, v)
					fd := (lp - lm) / (2 * h)
					tol := FiniteDiffTol(math.Max(tp, ltol), h) + TiersFor(impl).ImpliedGradTol(math.Abs(v), math.Abs(implied), eta)
					if !(math.Abs(implied-fd) <= tol) {
						t.Fatalf("S2 violated: layer %d entry (%d,%d): step-implied gradient %.12g, finite difference %.12g (tol %.3g)", j, a, b, implied, fd, tol)
					}
				}
			}
		}
	}
}
