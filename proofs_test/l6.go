package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// L6: the layer norms of a ν-balanced net (Lemma 6).

var _ = Register(Property{ID: "L6", Name: "BalancedLayerNorms", Status: "V", Domain: "N 1..6, widths 1..6, ν ≤ the lemma's bound",
	Statement: "ν-balanced, ν ≤ C^{2/N}/(30N²), ‖W_{1:N}‖_σ ≤ C ⇒ ‖W_jW_jᵀ‖_σ ≤ 2^{1/N}C^{2/N}",
	Check:     L6BalancedLayerNorms, MinValid: 8})

// l6Options are L6's knobs; the planted bug admits imbalance up to
// nuFactor × the lemma's ν.
type l6Options struct {
	nuFactor float64
}

// L6BalancedLayerNorms checks Lemma 6. The impl argument is not used.
//
// Cases: architectures as in T1 (N = 1..6, widths 1..6, min_j d_j ≥
// min(d_0, d_N)); A from explicit singular values with ‖A‖_σ = C drawn
// from {¼, ½, 1, 2, 4}; Procedure 1 with insertions, then (N ≥ 2)
// model.PerturbImbalance to ν = f·C^{2/N}/(30N²), f ∈ [0, 0.99].
// Hypotheses measured: imbalance ≤ L6Nu(C, N) with C = max(drawn C,
// measured ‖W_{1:N}‖_σ).
//
// Checks: max_j ‖W_jW_jᵀ‖_σ ≤ 2^{1/N}C^{2/N} + MeasureTol.
func L6BalancedLayerNorms(impl model.Stepper, st *Stats) func(*rapid.T) {
	return l6Norms(st, l6Options{nuFactor: 1})
}

func l6Norms(st *Stats, o l6Options) func(*rapid.T) {
	shapes := gen.Shapes(gen.ShapeOptions{})
	return func(t *rapid.T) {
		sh := shapes.Draw(t, "shape")
		C := rapid.SampledFrom([]float64{1, 0.5, 2, 0.25, 4}).Draw(t, "C")
		spec := gen.Targets().Draw(t, "A")
		// ν/ν_max: half the draws in [0.90, 0.99] (at the lemma's edge).
		f := float64(rapid.IntRange(0, 99).Draw(t, "ν%")) / 100
		if rapid.Bool().Draw(t, "ν near the bound") {
			f = 0.90 + float64(rapid.IntRange(0, 9).Draw(t, "ν% above 90"))/100
		}
		a, err := spec.Build(sh.Dims[sh.N], sh.Dims[0])
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		a.Scale(C/invariants.SpectralNorm(a), a)
		rng := model.NewRand(spec.Seed + 9)
		n, err := model.Balanced(a, sh.Dims, rng)
		if err != nil {
			t.Fatalf("Procedure 1: %v", err)
		}
		nu := f * o.nuFactor * invariants.L6Nu(C, sh.N)
		if sh.N > 1 && nu > 0 {
			n, err = model.PerturbImbalance(n, nu, rng)
			if err != nil {
				st.Case(false)
				t.Logf("PerturbImbalance: %v (counted invalid)", err)
				return
			}
		}
		Cm := math.Max(C, invariants.SpectralNorm(n.Product()))
		imb := invariants.Imbalance(n)
		t.Logf("L6 case: N=%d dims=%v C=%.4g ν=%.4g (bound %.4g)", sh.N, sh.Dims, Cm, imb, invariants.L6Nu(Cm, sh.N))
		ok := imb <= o.nuFactor*invariants.L6Nu(Cm, sh.N)
		st.Case(ok)
		if !ok {
			return
		}
		bound := invariants.L6Bound(Cm, sh.N)
		_, d := productScale(n)
		tol := MeasureTol(bound, d, 1)
		worst := 0.0
		for j := 1; j <= sh.N; j++ {
			var g mat.Dense
			g.Mul(n.Layer(j), n.Layer(j).T())
			worst = math.Max(worst, invariants.SpectralNorm(&g))
		}
		st.Slack((bound + tol - worst) / bound) // within the asserted rounding allowance
		// How much of the bound, and of its allowance 2^{1/N} − 1 above the
		// balanced value C^{2/N}, the case used. The lemma is loose: for
		// N = 2, C² ≥ ‖W_2W_1W_1ᵀu‖²/‖W_1ᵀu‖² ≥ s(s − ν) for the top
		// eigenpair (s, u) of W_1W_1ᵀ, so s ≤ (ν + √(ν² + 4C²))/2 ≤ C(1 + 1/240)
		// at ν ≤ C/120: at most 0.71 of the bound and ≈ 1 % of the allowance
		// can ever be used, so no case can show a 1 % error in 2^{1/N}.
		st.Max("fraction of L6's bound used", worst/bound)
		if bal := math.Pow(Cm, 2/float64(sh.N)); bound > bal {
			st.Max("fraction of the 2^{1/N} allowance used", (worst-bal)/(bound-bal))
		}
		if !(worst <= bound+tol) {
			t.Fatalf("L6 violated: max_j ‖W_jW_jᵀ‖_σ = %.12g > 2^{1/N}C^{2/N} = %.12g (ν = %.4g, C = %.4g)", worst, bound, imb, Cm)
		}
	}
}
