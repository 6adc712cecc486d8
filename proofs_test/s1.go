package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// S1: with whitened data the empirical loss is ½‖W − Φ‖_F² + κ.

var _ = Register(Property{ID: "S1", Name: "WhitenedLossReduction", Status: "V", Domain: "N 1..6, widths 1..6, whitened data",
	Statement: "Λ_xx = I ⇒ (1/2m)‖WX − Y‖_F² = ½‖W − Φ‖_F² + κ along a GD trajectory",
	Check:     S1WhitenedLossReduction, MinValid: 8})

// s1Options are S1's knobs; the planted-bug test breaks κ.
type s1Options struct {
	kappa func(st model.Stats) float64 // κ used in the identity
}

// S1WhitenedLossReduction checks S1 on data from model.WhitenedData.
//
// Cases: gen.Generic (N = 1..6, widths 1..6), m = d_x + k examples (k ∈
// 0..10, k ≥ 1 when noise > 0), label noise ∈ {0, 0.1, 0.5, 1}.
// Hypothesis measured: ‖XXᵀ/m − I‖_F ≤ MeasureTol (counted invalid
// otherwise).
//
// Checks: ‖Λ_yx − Φ‖_F ≤ MeasureTol; κ = ½Tr Λ_yy − ½‖Λ_yx‖_F² equals
// ½noise²; and along 5 GD steps of impl (η = stableStep(W, ‖Φ‖_F, 10)), at every iterate,
// |(1/2m)‖WX − Y‖_F² − ½‖W − Φ‖_F² − κ| ≤ Safety·u·(m + d)·(‖W‖_F + ‖Φ‖_F
// + noise + 1)², and impl's returned loss equals ½‖W(t) − Φ‖_F² within
// LossTol.
func S1WhitenedLossReduction(impl model.Stepper, st *Stats) func(*rapid.T) {
	return s1Whitened(impl, st, s1Options{kappa: func(s model.Stats) float64 { return s.Kappa }})
}

func s1Whitened(impl model.Stepper, st *Stats, o s1Options) func(*rapid.T) {
	cases := gen.Generic(gen.ShapeOptions{})
	return func(t *rapid.T) {
		g := cases.Draw(t, "case")
		noise := rapid.SampledFrom([]float64{0, 0.1, 0.5, 1}).Draw(t, "noise")
		k := rapid.IntRange(0, 10).Draw(t, "m − d_x")
		if noise > 0 && k == 0 {
			k = 1
		}
		dx := g.Dims[0]
		m := dx + k
		t.Logf("S1 case: %v m=%d noise=%g", g, m, noise)
		data, err := model.WhitenedData(g.Phi, m, noise, model.NewRand(g.Seed+1))
		if err != nil {
			t.Fatalf("WhitenedData: %v", err)
		}
		mom := data.Moments()
		phiF := invariants.Frobenius(g.Phi)
		var dxx mat.Dense
		dxx.Sub(mom.Lxx, linalg.Identity(dx))
		ok := mat.Norm(&dxx, 2) <= MeasureTol(1, m, 1)
		st.Case(ok)
		if !ok {
			t.Logf("Λ_xx − I = %.3g: data not whitened (counted invalid)", mat.Norm(&dxx, 2))
			return
		}
		var dyx mat.Dense
		dyx.Sub(mom.Lyx, g.Phi)
		if e := mat.Norm(&dyx, 2); !(e <= MeasureTol(phiF+noise, m, 1)) {
			t.Fatalf("S1: Λ_yx differs from Φ by %.3g", e)
		}
		kappa := o.kappa(mom)
		scale := func(n *model.Net) float64 {
			f := invariants.Frobenius(n.Product()) + phiF + noise + 1
			return Safety * linalg.MachEps * float64(m+max(dx, g.Dims[g.N])) * f * f
		}
		if !(math.Abs(kappa-0.5*noise*noise) <= scale(g.Net)) {
			t.Fatalf("S1 violated: κ = %.17g, expected ½noise² = %.17g", kappa, 0.5*noise*noise)
		}
		n := g.Net.Clone()
		eta := stableStep(n, phiF, 10)
		for s := 0; s <= 5; s++ {
			l := lossOf(n, g.Phi)
			dl := data.DataLoss(n.Product())
			if tol := scale(n); !(math.Abs(dl-l-kappa) <= tol) {
				t.Fatalf("S1 violated at t=%d: data loss %.17g ≠ ½‖W−Φ‖² + κ = %.17g (tol %.3g)", s, dl, l+kappa, tol)
			}
			if s == 5 {
				break
			}
			rep, err := impl.Step(n, g.Phi, eta)
			if err != nil {
				t.Fatalf("%s: %v", impl.Name(), err)
			}
			if tol := TiersFor(impl).LossTol(g.Net, phiF, l) + scale(n); !(math.Abs(rep-l) <= tol) {
				t.Fatalf("S1: %s reported ℓ(%d) = %.17g, measured %.17g", impl.Name(), s, rep, l)
			}
		}
	}
}
