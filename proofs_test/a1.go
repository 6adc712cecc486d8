package proofs

import (
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// A1: a hidden layer narrower than min(d_0, d_N) rules out a margin.

var _ = Register(Property{ID: "A1", Name: "NarrowLayerHasNoMargin", Status: "V", Domain: "N 2..6, d₀,d_N 2..6, one hidden width < min(d₀,d_N)",
	Statement: "a hidden width d_j < min(d_0, d_N) makes W_{1:N} rank-deficient: no margin, for any weights, all along GD",
	Check:     A1NarrowLayerHasNoMargin, MinValid: 8})

// a1Options are A1's knobs: narrowBy 0 draws d_j ≤ min(d_0, d_N) − 1; the
// planted bug draws d_j ≤ min(d_0, d_N), i.e. an off-by-one in "narrow".
type a1Options struct {
	extra int
}

// A1NarrowLayerHasNoMargin checks A1 along GD of impl.
//
// Cases: N = 2..6, d_0, d_N ∈ 2..6, one hidden layer j (drawn) of width
// d_j ∈ [1, min(d_0, d_N) − 1], other hidden widths 1..6; layers from
// explicit singular values (gen.Layers); Φ from gen.Targets. Hypothesis
// measured: invariants.WidthsOK is false.
//
// Checks, at W(0) and after each of 20 GD steps of impl with
// η = stableStep: σ_min(W_{1:N}) ≤ MeasureTol and margin ≤ MeasureTol,
// i.e. L¹ ≥ σ_min(Φ)²/2 − tol: no weights give a margin.
func A1NarrowLayerHasNoMargin(impl model.Stepper, st *Stats) func(*rapid.T) {
	return a1Narrow(impl, st, a1Options{})
}

func a1Narrow(impl model.Stepper, st *Stats, o a1Options) func(*rapid.T) {
	return func(t *rapid.T) {
		N := rapid.IntRange(2, gen.MaxDepth).Draw(t, "N")
		dims := make([]int, N+1)
		dims[0] = rapid.IntRange(2, gen.MaxWidth).Draw(t, "d_0")
		dims[N] = rapid.IntRange(2, gen.MaxWidth).Draw(t, "d_N")
		r := min(dims[0], dims[N])
		narrow := rapid.IntRange(1, N-1).Draw(t, "narrow j")
		for j := 1; j < N; j++ {
			if j == narrow {
				dims[j] = rapid.IntRange(1, r-1+o.extra).Draw(t, "d_narrow")
			} else {
				dims[j] = rapid.IntRange(1, gen.MaxWidth).Draw(t, "d_j")
			}
		}
		scale := rapid.SampledFrom(gen.LayerScales).Draw(t, "‖W_j‖_σ")
		seed := rapid.Uint64().Draw(t, "seed")
		spec := gen.Targets().Draw(t, "Φ")
		n, err := gen.Layers(dims, scale, 2, seed)
		if err != nil {
			t.Fatalf("layers: %v", err)
		}
		phi, err := spec.Build(dims[N], dims[0])
		if err != nil {
			t.Fatalf("Φ: %v", err)
		}
		t.Logf("A1 case: N=%d dims=%v ‖W_j‖_σ=%.3g ‖Φ‖_F=%.4g", N, dims, scale, spec.Frob)
		ok := !invariants.WidthsOK(dims)
		st.Case(ok)
		if !ok {
			t.Logf("widths %v meet the condition (counted invalid)", dims)
			if o.extra == 0 {
				t.Fatalf("A1: a drawn narrow architecture %v passed invariants.WidthsOK", dims)
			}
		}
		phiF := invariants.Frobenius(phi)
		eta := stableStep(n, phiF, 20)
		for s := 0; s <= 20; s++ {
			if s > 0 {
				stepOrFail(t, impl, n, phi, eta, s-1)
			}
			w := n.Product()
			m, d := productScale(n)
			tol := TiersFor(impl).MeasureTol(m+phiF, d, N)
			if sm := invariants.SigmaMin(w); !(sm <= tol) {
				t.Fatalf("A1 violated at t=%d: σ_min(W_{1:N}) = %.6g > 0 (tol %.3g) with a hidden width below min(d_0, d_N): %v", s, sm, tol, dims)
			}
			if mg := invariants.Margin(w, phi); !(mg <= tol) {
				t.Fatalf("A1 violated at t=%d: margin %.6g > 0 with widths %v", s, mg, dims)
			}
		}
	}
}
