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

// C1: a deficiency margin c bounds σ_min below by c (Claim 1).

var _ = Register(Property{ID: "C1", Name: "MarginBoundsSigmaMin", Status: "V", Domain: "d₀,d_N 1..6, ‖W − Φ‖ up to 0.99 of the margin",
	Statement: "margin c ⇒ σ_min(W′) ≥ c whenever ‖W′ − Φ‖_F ≤ ‖W − Φ‖_F; min of L¹ over rank-deficient matrices is σ_min(Φ)²/2",
	Check:     C1MarginBoundsSigmaMin, MinValid: 8})

// c1Options are C1's knobs; the planted-bug test measures the margin
// against the wrong singular value of Φ.
type c1Options struct {
	sigmaOfPhi func(phi mat.Matrix) float64 // σ_min(Φ) in D2
	cFactor    float64                      // the claim asserts σ_min(W′) ≥ cFactor·c (1; 1.01 is the 1 % planted error)
}

// C1MarginBoundsSigmaMin checks Claim 1 and its Eckart–Young corollary.
// The impl argument is not used.
//
// Cases: Φ ∈ R^{d_N×d_0} (widths 1..6, ‖Φ‖_F ∈ [¼, 4], condition 1..8),
// c = ρ·σ_min(Φ) with ρ ∈ [0.01, 0.99], W = Φ + (σ_min(Φ) − c)E (margin
// c), W′ = Φ + s‖W − Φ‖_F E′ with s ∈ [0, 1] and a unit direction E′:
// a seeded random one (a quarter of the cases), the worst direction
// −u_r v_rᵀ of Φ's smallest singular pair (half; s = 1 half of those, where
// σ_min(W′) = c exactly: the bound is reached), or within an angle θ ≤ 0.1
// of it (a quarter); R = a seeded rank-deficient matrix (one singular
// value zeroed). The fraction of the room used,
// (σ_min(Φ) − σ_min(W′))/(σ_min(Φ) − c), is tallied (max) and logged.
// Hypothesis measured: W's margin ≥ c − MeasureTol.
//
// Checks: σ_min(W′) ≥ c − MeasureTol; L¹(W) < σ_min(Φ)²/2;
// L¹(R) ≥ σ_min(Φ)²/2 − MeasureTol, with equality (to MeasureTol) for the
// truncated SVD of Φ.
func C1MarginBoundsSigmaMin(impl model.Stepper, st *Stats) func(*rapid.T) {
	return c1Margin(st, c1Options{sigmaOfPhi: invariants.SigmaMin, cFactor: 1})
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
		half := sm * sm / 2
		tol0 := MeasureTol(2*spec.Frob, max(dx, dy), 1)
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
		if l := model.LossOf(trunc, phi); !(math.Abs(l-half) <= tol0*spec.Frob) {
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
		if l := model.LossOf(rd, phi); !(l >= half-tol0*spec.Frob) {
			t.Fatalf("C1 violated: a rank-deficient R has L¹ = %.12g < σ_min(Φ)²/2 = %.12g", l, half)
		}
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
		mode := rapid.SampledFrom([]string{"worst", "random", "worst", "near worst"}).Draw(t, "direction")
		if mode != "random" {
			// −u_r v_rᵀ, r = min(d_0, d_N): the direction that lowers σ_min(Φ) fastest.
			var sv mat.SVD
			if !sv.Factorize(phi, mat.SVDThin) {
				t.Fatalf("SVD of Φ failed")
			}
			var u, v mat.Dense
			sv.UTo(&u)
			sv.VTo(&v)
			r := min(dx, dy)
			worst := mat.NewDense(dy, dx, nil)
			worst.Outer(-1, u.ColView(r-1), v.ColView(r-1))
			if mode == "worst" {
				if rapid.Bool().Draw(t, "s = 1") {
					s = 1
				}
				e = worst
			} else {
				// cos θ·worst + sin θ·(E′ orthogonalised against it), θ ∈ [0, 0.1].
				theta := 0.1 * float64(rapid.IntRange(0, 100).Draw(t, "θ/0.1 %")) / 100
				var perp mat.Dense
				perp.Scale(-frobDot(e, worst), worst)
				perp.Add(&perp, e)
				if pn := mat.Norm(&perp, 2); pn > 1e-8 {
					perp.Scale(math.Sin(theta)/pn, &perp)
					var mix mat.Dense
					mix.Scale(math.Cos(theta), worst)
					mix.Add(&mix, &perp)
					e = &mix
				} else {
					e = worst
				}
			}
		}
		var w2 mat.Dense
		w2.Scale(s*mat.Norm(&dw, 2), e)
		w2.Add(&w2, phi)
		got := invariants.SigmaMin(&w2)
		if room := sm - c; room > 0 {
			st.Max("fraction of C1's room used", (sm-got)/room)
		}
		t.Logf("C1 direction %s, s = %.2f: σ_min(W′) = %.12g, c = %.12g", mode, s, got, c)
		if c > 0 && got >= o.cFactor*c-tol {
			st.Slack((got - (o.cFactor*c - tol)) / c) // within the asserted allowance
		}
		if !(got >= o.cFactor*c-tol) {
			t.Fatalf("C1 violated: σ_min(W′) = %.12g < c = %.12g with ‖W′ − Φ‖_F = %.6g ≤ ‖W − Φ‖_F = %.6g (direction %s)", got, o.cFactor*c, s*mat.Norm(&dw, 2), mat.Norm(&dw, 2), mode)
		}
		if l := model.LossOf(w, phi); !(l < half) {
			t.Fatalf("C1 violated: W has margin %.6g but L¹(W) = %.12g ≥ σ_min(Φ)²/2 = %.12g", c, l, half)
		}
	}
}

// frobDot is the Frobenius inner product Σ_ab A_ab B_ab.
func frobDot(a, b mat.Matrix) float64 {
	r, c := a.Dims()
	s := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			s += a.At(i, j) * b.At(i, j)
		}
	}
	return s
}
