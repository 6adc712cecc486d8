package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/model"
)

// G1: one GD step changes the imbalance by exactly η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ).

var _ = Register(Property{ID: "G1", Name: "ImbalanceChangesByEtaSquared", Status: "R", Domain: "N 2..6, widths 1..6, narrow allowed",
	Statement: "one GD step changes W_{j+1}ᵀW_{j+1} − W_jW_jᵀ by exactly η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ)",
	Check:     G1ImbalanceChangesByEtaSquared, MinValid: 8})

// stepSizes are the moderate η of the algebraic checks.
var stepSizes = []float64{1e-2, 3e-3, 3e-2, 1e-3, 0.1}

// G1ImbalanceChangesByEtaSquared checks G1 for one step of impl.
//
// Cases: gen.Generic with N = 2..6, widths 1..6 (narrow hidden layers
// allowed: G1 needs no hypothesis), η ∈ {10⁻³ … 10⁻¹}. A case is valid
// (informative) when max_j ‖η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ)‖_F ≥ 100·IdentityTol,
// so that the identity is tested far above rounding.
//
// Checks, for every j = 1..N−1, with G_j = model.Gradients at W(t):
//
//	‖[W_{j+1}ᵀW_{j+1} − W_jW_jᵀ](t+1) − [same](t) − η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ)‖_F ≤ IdentityTol.
func G1ImbalanceChangesByEtaSquared(impl model.Stepper, st *Stats) func(*rapid.T) {
	cases := gen.Generic(gen.ShapeOptions{MinN: 2, Narrow: true})
	return func(t *rapid.T) {
		g := cases.Draw(t, "case")
		eta := rapid.SampledFrom(stepSizes).Draw(t, "η")
		t.Logf("G1 case: %v η=%g", g, eta)
		before := g.Net
		grads, err := model.Gradients(before, g.Phi)
		if err != nil {
			t.Fatalf("gradients: %v", err)
		}
		after := before.Clone()
		stepOrFail(t, impl, after, g.Phi, eta, 0)
		gmax := 0.0
		for _, gr := range grads {
			f := mat.Norm(gr, 2)
			gmax = math.Max(gmax, f*f)
		}
		tol := TiersFor(impl).IdentityTol(before, after, eta, gmax)
		informative := false
		for j := 1; j < before.N(); j++ {
			lhs := gram(after, j)
			lhs.Sub(lhs, gram(before, j))
			var a, b mat.Dense
			a.Mul(grads[j].T(), grads[j])
			b.Mul(grads[j-1], grads[j-1].T())
			a.Sub(&a, &b)
			a.Scale(eta*eta, &a)
			if mat.Norm(&a, 2) >= 100*tol {
				informative = true
			}
			lhs.Sub(lhs, &a)
			if r := mat.Norm(lhs, 2); !(r <= tol) {
				t.Fatalf("G1 violated at pair j=%d: ‖Δimbalance − η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ)‖_F = %.6g > tol %.3g (η² term %.6g)", j, r, tol, mat.Norm(&a, 2))
			}
		}
		st.Case(informative)
	}
}
