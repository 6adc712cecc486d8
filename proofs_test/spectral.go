package proofs

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Spectral facts behind the theorem: Claim 1 (C1), the architecture
// condition (A1), Mirsky's inequality (L3) and Lemma 6 (L6).

var (
	_ = Register(Property{ID: "C1", Name: "MarginBoundsSigmaMin", Status: "V",
		Statement: "margin c ⇒ σ_min(W′) ≥ c whenever ‖W′ − Φ‖_F ≤ ‖W − Φ‖_F; min of L¹ over rank-deficient matrices is σ_min(Φ)²/2",
		Check:     C1MarginBoundsSigmaMin, MinValid: 8})
	_ = Register(Property{ID: "A1", Name: "NarrowLayerHasNoMargin", Status: "V",
		Statement: "a hidden width d_j < min(d_0, d_N) makes W_{1:N} rank-deficient: no margin, for any weights, all along GD",
		Check:     A1NarrowLayerHasNoMargin, MinValid: 8})
	_ = Register(Property{ID: "L3", Name: "MirskySingularValues", Status: "V",
		Statement: "‖Sing(A) − Sing(B)‖ ≤ ‖A − B‖_F",
		Check:     L3MirskySingularValues, MinValid: 8})
	_ = Register(Property{ID: "L6", Name: "BalancedLayerNorms", Status: "V",
		Statement: "ν-balanced, ν ≤ C^{2/N}/(30N²), ‖W_{1:N}‖_σ ≤ C ⇒ ‖W_jW_jᵀ‖_σ ≤ 2^{1/N}C^{2/N}",
		Check:     L6BalancedLayerNorms, MinValid: 8})
)

// c1Options are C1's knobs; the planted-bug test measures the margin
// against the wrong singular value of Φ.
type c1Options struct {
	sigmaOfPhi func(phi mat.Matrix) float64 // σ_min(Φ) in D2
}

// C1MarginBoundsSigmaMin checks Claim 1 and its Eckart–Young corollary.
// The impl argument is not used.
//
// Cases: Φ ∈ R^{d_N×d_0} (widths 1..6, ‖Φ‖_F ∈ [¼, 4], condition 1..8),
// c = ρ·σ_min(Φ) with ρ ∈ [0.01, 0.99], W = Φ + (σ_min(Φ) − c)E (margin
// c), W′ = Φ + s‖W − Φ‖_F E′ with s ∈ [0, 1] and seeded unit directions
// E, E′; R = a seeded rank-deficient matrix (one singular value zeroed).
// Hypothesis measured: W's margin ≥ c − MeasureTol.
//
// Checks: σ_min(W′) ≥ c − MeasureTol; L¹(W) < σ_min(Φ)²/2;
// L¹(R) ≥ σ_min(Φ)²/2 − MeasureTol, with equality (to MeasureTol) for the
// truncated SVD of Φ.
func C1MarginBoundsSigmaMin(impl model.Stepper, st *Stats) func(*rapid.T) {
	return c1Margin(st, c1Options{sigmaOfPhi: linalg.SigmaMin})
}

func c1Margin(st *Stats, o c1Options) func(*rapid.T) {
	return func(t *rapid.T) {
		dy := rapid.IntRange(1, gen.MaxWidth).Draw(t, "d_N")
		dx := rapid.IntRange(1, gen.MaxWidth).Draw(t, "d_0")
		spec := gen.Targets().Draw(t, "Φ")
		rho := float64(99-rapid.IntRange(0, 98).Draw(t, "99−ρ%")) / 100
		s := float64(rapid.IntRange(0, 100).Draw(t, "s%")) / 100
		phi, err := spec.Build(dy, dx)
		if err != nil {
			t.Fatalf("Φ: %v", err)
		}
		rng := model.NewRand(spec.Seed + 3)
		sm := o.sigmaOfPhi(phi)
		c := rho * sm
		t.Logf("C1 case: dims %d×%d ‖Φ‖_F=%.4g σ_min(Φ)=%.4g c=%.4g s=%.2f", dy, dx, spec.Frob, sm, c, s)
		w, err := gen.WithMargin(phi, c, rng)
		tol := MeasureTol(2*spec.Frob, max(dx, dy), 1)
		if err != nil {
			st.Case(false)
			return
		}
		ok := invariants.Margin(w, phi) >= c-tol
		st.Case(ok)
		if !ok {
			return
		}
		var dw mat.Dense
		dw.Sub(w, phi)
		e := gen.UnitDirection(dy, dx, rng)
		var w2 mat.Dense
		w2.Scale(s*mat.Norm(&dw, 2), e)
		w2.Add(&w2, phi)
		if got := linalg.SigmaMin(&w2); !(got >= c-tol) {
			t.Fatalf("C1 violated: σ_min(W′) = %.12g < c = %.12g with ‖W′ − Φ‖_F = %.6g ≤ ‖W − Φ‖_F = %.6g", got, c, s*mat.Norm(&dw, 2), mat.Norm(&dw, 2))
		}
		half := sm * sm / 2
		if l := model.LossOf(w, phi); !(l < half) {
			t.Fatalf("C1 violated: W has margin %.6g but L¹(W) = %.12g ≥ σ_min(Φ)²/2 = %.12g", c, l, half)
		}
		// Eckart–Young: rank-deficient matrices have L¹ ≥ σ_min(Φ)²/2.
		r := min(dx, dy)
		sv := invariants.SingularValues(phi)
		var svd mat.SVD
		if !svd.Factorize(phi, mat.SVDFull) {
			t.Fatalf("SVD of Φ failed")
		}
		var u, v mat.Dense
		svd.UTo(&u)
		svd.VTo(&v)
		trunc := mat.NewDense(dy, dx, nil)
		for i := 0; i < r-1; i++ {
			var outer mat.Dense
			outer.Outer(sv[i], u.ColView(i), v.ColView(i))
			trunc.Add(trunc, &outer)
		}
		if l := model.LossOf(trunc, phi); !(math.Abs(l-half) <= tol*spec.Frob) {
			t.Fatalf("C1 violated: the truncated SVD has L¹ = %.12g, not σ_min(Φ)²/2 = %.12g", l, half)
		}
		rsv := make([]float64, r)
		for i := 0; i < r-1; i++ {
			rsv[i] = spec.Frob * float64(i+1) / float64(r)
		}
		rd, err := linalg.FromSingularValues(dy, dx, rsv, rng)
		if err != nil {
			t.Fatalf("R: %v", err)
		}
		if l := model.LossOf(rd, phi); !(l >= half-tol*spec.Frob) {
			t.Fatalf("C1 violated: a rank-deficient R has L¹ = %.12g < σ_min(Φ)²/2 = %.12g", l, half)
		}
	}
}

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
			tol := MeasureTol(m+phiF, d, N)
			if sm := linalg.SigmaMin(w); !(sm <= tol) {
				t.Fatalf("A1 violated at t=%d: σ_min(W_{1:N}) = %.6g > 0 (tol %.3g) with a hidden width below min(d_0, d_N): %v", s, sm, tol, dims)
			}
			if mg := invariants.Margin(w, phi); !(mg <= tol) {
				t.Fatalf("A1 violated at t=%d: margin %.6g > 0 with widths %v", s, mg, dims)
			}
		}
	}
}

// l3Options are L3's knobs; the planted bug pairs the singular values in
// opposite orders.
type l3Options struct {
	reverseB bool
}

// L3MirskySingularValues checks Lemma 3. The impl argument is not used.
//
// Cases: A ∈ R^{r×c}, r, c ∈ 1..6, from explicit singular values
// (gen.Targets); B = A + εD with ε ∈ {10⁻⁶, 10⁻³, 0.1, 1, 10}·‖A‖_F and
// D a seeded unit direction, or B independent of A (half the time).
//
// Checks: ‖Sing(A) − Sing(B)‖_2 ≤ ‖A − B‖_F + MeasureTol(‖A‖_F + ‖B‖_F),
// singular values in descending order on both sides.
func L3MirskySingularValues(impl model.Stepper, st *Stats) func(*rapid.T) {
	return l3Mirsky(st, l3Options{})
}

func l3Mirsky(st *Stats, o l3Options) func(*rapid.T) {
	return func(t *rapid.T) {
		r := rapid.IntRange(1, gen.MaxWidth).Draw(t, "rows")
		c := rapid.IntRange(1, gen.MaxWidth).Draw(t, "cols")
		sa := gen.Targets().Draw(t, "A")
		a, err := sa.Build(r, c)
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		var b *mat.Dense
		if rapid.Bool().Draw(t, "independent B") {
			sb := gen.Targets().Draw(t, "B")
			b, err = sb.Build(r, c)
			if err != nil {
				t.Fatalf("B: %v", err)
			}
		} else {
			eps := rapid.SampledFrom([]float64{1e-3, 1e-6, 0.1, 1, 10}).Draw(t, "ε")
			d := gen.UnitDirection(r, c, model.NewRand(sa.Seed+5))
			b = mat.NewDense(r, c, nil)
			b.Scale(eps*sa.Frob, d)
			b.Add(b, a)
		}
		st.Case(true)
		x := invariants.SingularValues(a)
		y := invariants.SingularValues(b)
		if o.reverseB {
			sort.Float64s(y)
		}
		s := 0.0
		for i := range x {
			s += (x[i] - y[i]) * (x[i] - y[i])
		}
		lhs := math.Sqrt(s)
		var diff mat.Dense
		diff.Sub(a, b)
		rhs := mat.Norm(&diff, 2)
		tol := MeasureTol(mat.Norm(a, 2)+mat.Norm(b, 2), max(r, c), 0)
		if rhs > 0 {
			// Slack within the rounding allowance, like the assertion below:
			// equality cases (B = A + εA's direction) sit at −1e-16 raw.
			st.Slack((rhs + tol - lhs) / rhs)
		}
		if !(lhs <= rhs+tol) {
			t.Fatalf("L3 violated: ‖Sing(A) − Sing(B)‖ = %.12g > ‖A − B‖_F = %.12g (tol %.3g)", lhs, rhs, tol)
		}
	}
}

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
		f := float64(rapid.IntRange(0, 99).Draw(t, "ν%")) / 100
		a, err := spec.Build(sh.Dims[sh.N], sh.Dims[0])
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		a.Scale(C/linalg.SpectralNorm(a), a)
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
		Cm := math.Max(C, linalg.SpectralNorm(n.Product()))
		imb := model.ImbalanceOf(n)
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
			worst = math.Max(worst, linalg.SpectralNorm(&g))
		}
		st.Slack((bound + tol - worst) / bound) // within the asserted rounding allowance
		if !(worst <= bound+tol) {
			t.Fatalf("L6 violated: max_j ‖W_jW_jᵀ‖_σ = %.12g > 2^{1/N}C^{2/N} = %.12g (ν = %.4g, C = %.4g)", worst, bound, imb, Cm)
		}
	}
}
