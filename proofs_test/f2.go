package proofs

import (
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// F2: the end-to-end operator P_W of the balanced flow.

var _ = Register(Property{ID: "F2", Name: "EndToEndOperatorKronecker", Status: "V", Domain: "N 1..5, widths 1..4",
	Statement: "P_W = Σ_j [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N} is symmetric PSD with the stated eigenvalues ≥ σ_min^{2(N−1)/N}; balanced flow has vec(dW/dτ) = −P_W vec(W − Φ)",
	Check:     F2EndToEndOperatorKronecker, MinValid: 8})

// pwExplicit builds P_W = Σ_{j=1}^{N} [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N}
// (column-major vec: vec(AXB) = (Bᵀ ⊗ A)vec X) as a d_N·d_0 square matrix.
func pwExplicit(w mat.Matrix, N int) (*mat.Dense, error) {
	r, c := w.Dims()
	var wwt, wtw mat.Dense
	wwt.Mul(w, w.T())
	wtw.Mul(w.T(), w)
	p := mat.NewDense(r*c, r*c, nil)
	for j := 1; j <= N; j++ {
		a, err := invariants.SymPow(&wwt, float64(j-1)/float64(N))
		if err != nil {
			return nil, err
		}
		b, err := invariants.SymPow(&wtw, float64(N-j)/float64(N))
		if err != nil {
			return nil, err
		}
		var k mat.Dense
		k.Kronecker(b, a)
		p.Add(p, &k)
	}
	return p, nil
}

// vec stacks the columns of a.
func vec(a mat.Matrix) *mat.VecDense {
	r, c := a.Dims()
	v := mat.NewVecDense(r*c, nil)
	for j := 0; j < c; j++ {
		for i := 0; i < r; i++ {
			v.SetVec(j*r+i, a.At(i, j))
		}
	}
	return v
}

// f2Options are F2's knobs; the planted-bug test breaks the eigenvalue
// formula.
type f2Options struct {
	eigen    func(w mat.Matrix, N int) ([][]float64, error)              // (c): invariants.PWEigenvalues
	pw       func(w mat.Matrix, N int) (*mat.Dense, error)               // the explicit P_W: pwExplicit
	apply    func(w mat.Matrix, e mat.Matrix, N int) (mat.Matrix, error) // (b): invariants.ApplyPW
	minExp   func(N int) float64                                         // (d): 2(N−1)/N
	velocity func(n *model.Net, phi mat.Matrix) (*mat.Dense, error)      // (e): endToEndVelocity
}

// f2Claimed is F2 as stated, with the suite's explicit P_W.
var f2Claimed = f2Options{
	eigen: invariants.PWEigenvalues,
	pw:    pwExplicit,
	apply: func(w mat.Matrix, e mat.Matrix, N int) (mat.Matrix, error) {
		return invariants.ApplyPW(w, e, N)
	},
	minExp:   func(N int) float64 { return 2 * float64(N-1) / float64(N) },
	velocity: endToEndVelocity,
}

// F2EndToEndOperatorKronecker checks F2 against an explicit Kronecker
// matrix.
//
// Cases: gen.Generic, N = 1..5, widths 1..4 (so P_W is at most 16×16).
// With W = W_{1:N}, E = W − Φ and P the explicit Σ_j [WᵀW]^{(N−j)/N} ⊗
// [WWᵀ]^{(j−1)/N}, all within PWTol = 2N·FracPowTol-relative bounds:
//
//	(a) P = Pᵀ;  (b) P vec(E) = vec(invariants.ApplyPW(W, E));
//	(c) the sorted eigenvalues of P equal those of invariants.PWEigenvalues
//	    (Σ_j σ_r^{2(N−j)/N}σ_{r'}^{2(j−1)/N}, 0⁰ = 1) and are ≥ −tol (PSD);
//	(d) when rank W = min(d_0, d_N): λ_min(P) ≥ σ_min(W)^{2(N−1)/N} − tol;
//	(e) for the 0-balanced net of Procedure 1 with product W, the flow's
//	    end-to-end velocity −Σ_j W_{j+1:N} G_j W_{1:j−1} equals
//	    −P_W(E), and d/dτ L¹ = −⟨E, P_W E⟩ ≤ −λ_min(P)‖E‖_F².
func F2EndToEndOperatorKronecker(impl model.Stepper, st *Stats) func(*rapid.T) {
	return f2Kronecker(st, f2Claimed)
}

func f2Kronecker(st *Stats, o f2Options) func(*rapid.T) {
	cases := gen.Generic(gen.ShapeOptions{MaxN: 5, MaxDim: 4})
	return func(t *rapid.T) {
		g := cases.Draw(t, "case")
		t.Logf("F2 case: %v", g)
		N := g.N
		w := g.Net.Product()
		var e mat.Dense
		e.Sub(w, g.Phi)
		dy, dx := w.Dims()
		sv := invariants.SingularValues(w)
		lmax, lminPos := gramSpectrum(sv, max(dx, dy))
		rel := 2 * float64(N) * FracPowTol(1, lminPos/math.Max(lmax, 1e-300), 1, max(dx, dy))
		scaleP := float64(N) * math.Pow(lmax, float64(N-1)/float64(N))
		tol := rel * math.Max(scaleP, 1)
		p, err := o.pw(w, N)
		if err != nil {
			t.Fatalf("P_W: %v", err)
		}
		st.Case(true)
		var asym mat.Dense
		asym.Sub(p, p.T())
		if a := mat.Norm(&asym, 2); !(a <= tol) {
			t.Fatalf("F2 violated: P_W not symmetric, ‖P − Pᵀ‖_F = %.3g (tol %.3g)", a, tol)
		}
		applied, err := o.apply(w, &e, N)
		if err != nil {
			t.Fatalf("ApplyPW: %v", err)
		}
		var pv mat.VecDense
		pv.MulVec(p, vec(&e))
		pv.SubVec(&pv, vec(applied))
		ef := mat.Norm(&e, 2)
		if a := mat.Norm(&pv, 2); !(a <= tol*ef) {
			t.Fatalf("F2 violated: P_W vec(E) differs from vec(ApplyPW(W, E)) by %.3g (tol %.3g)", a, tol*ef)
		}
		// In (e) the balanced net's product differs from W by rounding,
		// ΔE ≤ MeasureTol(‖W‖_F + ‖Φ‖_F), which P_W (norm ≤ scaleP) carries
		// into the velocity on top of the relative error of P_W itself.
		tolE := 2*tol*ef + math.Max(scaleP, 1)*MeasureTol(mat.Norm(w, 2)+invariants.Frobenius(g.Phi), max(dx, dy), N)
		sym := mat.NewSymDense(dx*dy, nil)
		for i := 0; i < dx*dy; i++ {
			for j := i; j < dx*dy; j++ {
				sym.SetSym(i, j, 0.5*(p.At(i, j)+p.At(j, i)))
			}
		}
		var es mat.EigenSym
		if !es.Factorize(sym, false) {
			t.Fatalf("eigendecomposition of P_W failed")
		}
		got := es.Values(nil)
		formula, err := o.eigen(w, N)
		if err != nil {
			t.Fatalf("PWEigenvalues: %v", err)
		}
		var want []float64
		for _, row := range formula {
			want = append(want, row...)
		}
		sort.Float64s(got)
		sort.Float64s(want)
		if len(got) != len(want) {
			t.Fatalf("F2: %d eigenvalues from the formula, %d from P", len(want), len(got))
		}
		for i := range got {
			if !(math.Abs(got[i]-want[i]) <= tol) {
				t.Fatalf("F2 violated: eigenvalue %d of P_W is %.12g, formula gives %.12g (tol %.3g)", i, got[i], want[i], tol)
			}
		}
		if !(got[0] >= -tol) {
			t.Fatalf("F2 violated: P_W not PSD, λ_min = %.3g", got[0])
		}
		fullRank := len(sv) > 0 && sv[len(sv)-1]*sv[len(sv)-1] > Safety*float64(max(dx, dy))*linalg.MachEps*lmax*1e6
		if fullRank {
			bound := math.Pow(sv[len(sv)-1], o.minExp(N))
			if !(got[0] >= bound-tol) {
				t.Fatalf("F2 violated: λ_min(P_W) = %.12g < σ_min(W)^{2(N−1)/N} = %.12g", got[0], bound)
			}
		}
		// (e) balanced flow velocity.
		if !invariants.WidthsOK(g.Dims) {
			return
		}
		bal, err := model.Balanced(w, g.Dims, rand.New(rand.NewPCG(g.Seed, 7)))
		if err != nil {
			t.Fatalf("Procedure 1: %v", err)
		}
		vel, err := o.velocity(bal, g.Phi)
		if err != nil {
			t.Fatalf("velocity: %v", err)
		}
		var diff mat.Dense
		diff.Add(vel, applied) // vel = −P_W(E)
		if a := mat.Norm(&diff, 2); !(a <= tolE) {
			t.Fatalf("F2 violated: balanced end-to-end velocity differs from −P_W(W − Φ) by %.3g (tol %.3g)", a, tolE)
		}
		dl := mat.Dot(vec(&e), vec(vel)) // d/dτ L¹ = ⟨E, dW/dτ⟩
		if !(dl <= -got[0]*ef*ef+tolE*ef) {
			t.Fatalf("F2 violated: d/dτ L¹ = %.12g > −λ_min ‖E‖² = %.12g", dl, -got[0]*ef*ef)
		}
	}
}

// endToEndVelocity returns dW_{1:N}/dτ = −Σ_j W_{j+1:N} G_j W_{1:j−1} under
// gradient flow dW_j/dτ = −G_j.
func endToEndVelocity(n *model.Net, phi mat.Matrix) (*mat.Dense, error) {
	grads, err := model.Gradients(n, phi)
	if err != nil {
		return nil, err
	}
	N := n.N()
	r, c := n.Product().Dims()
	out := mat.NewDense(r, c, nil)
	for j := 1; j <= N; j++ {
		left, _ := n.Partial(j+1, N)
		right, _ := n.Partial(1, j-1)
		var a, b mat.Dense
		a.Mul(left, grads[j-1])
		b.Mul(&a, right)
		out.Sub(out, &b)
	}
	return out, nil
}
