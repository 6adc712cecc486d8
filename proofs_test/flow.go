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

// Gradient flow and exact balance: F1 (the flow conserves imbalance), F2
// (the end-to-end operator P_W), B1 (0-balanced layers are fractional
// powers of the product) and P1 (Procedure 1).

var (
	_ = Register(Property{ID: "F1", Name: "FlowConservesImbalance", Status: "V",
		Statement: "under gradient flow W_{j+1}ᵀW_{j+1} − W_jW_jᵀ is constant: RK4's drift falls at order 4 as the step halves",
		Check:     F1FlowConservesImbalance, MinValid: 8})
	_ = Register(Property{ID: "F2", Name: "EndToEndOperatorKronecker", Status: "V",
		Statement: "P_W = Σ_j [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N} is symmetric PSD with the stated eigenvalues ≥ σ_min^{2(N−1)/N}; balanced flow has vec(dW/dτ) = −P_W vec(W − Φ)",
		Check:     F2EndToEndOperatorKronecker, MinValid: 8})
	_ = Register(Property{ID: "B1", Name: "BalancedLayersArePowers", Status: "V",
		Statement: "0-balanced ⇒ every W_j has singular values σ_i(W)^{1/N}, W_{j:N}W_{j:N}ᵀ = [WWᵀ]^{(N−j+1)/N}, W_{1:j}ᵀW_{1:j} = [WᵀW]^{j/N}",
		Check:     B1BalancedLayersArePowers, MinValid: 8})
	_ = Register(Property{ID: "P1", Name: "ProcedureOneBalancedStart", Status: "V",
		Statement: "Procedure 1 gives W_{1:N} = A and 0-balanced layers, with or without orthogonal insertions; narrow widths are refused",
		Check:     P1ProcedureOneBalancedStart, MinValid: 8})
)

// integrator integrates gradient flow over time τ with step dt, in place.
type integrator func(n *model.Net, phi mat.Matrix, tau, dt float64) error

// rk4 is model.Flow.
func rk4(n *model.Net, phi mat.Matrix, tau, dt float64) error {
	return model.Flow(n, phi, model.FlowConfig{Time: tau, Dt: dt})
}

// eulerWith integrates the flow by explicit Euler, i.e. GD steps of impl
// with η = dt (order 1): the planted-bug integrator of F1.
func eulerWith(impl model.Stepper) integrator {
	return func(n *model.Net, phi mat.Matrix, tau, dt float64) error {
		k := int(math.Round(tau / dt))
		for i := 0; i < k; i++ {
			if _, err := impl.Step(n, phi, dt); err != nil {
				return err
			}
		}
		return nil
	}
}

// F1FlowConservesImbalance checks F1 with model.Flow (RK4). The impl
// argument is not used: F1 is a statement about the flow.
//
// Cases: gen.Generic, N = 2..4, widths 1..4 (narrow layers not drawn).
// dt₀ = 8·stableStep(W, ‖Φ‖_F, 1), τ = 16·dt₀. drift(dt) is the largest
// ‖D_j(s) − D_j(0)‖_F, D_j = W_{j+1}ᵀW_{j+1} − W_jW_jᵀ, over j and the
// checkpoints s = τ/4, τ/2, 3τ/4, τ of an integration with step dt.
//
// Checks: halving dt from dt₀ (up to maxHalvings times, while both drifts
// stay ≥ 10³·ImbalanceTol), the ratio drift(dt)/drift(dt/2) reaches
// 2^{FlowOrder−½} ≈ 11.3: the drift vanishes at order 4, so the exact flow
// conserves every D_j. An integrator of order ≤ 3 never gets there (Euler:
// ratio ≈ 2). Cases whose drift is at rounding from the start are counted
// invalid. (The first halvings can be pre-asymptotic — measured ratios of
// 2–6 at dt₀ — hence "reaches" rather than "at every halving".)
func F1FlowConservesImbalance(impl model.Stepper, st *Stats) func(*rapid.T) {
	return f1Flow(rk4, model.FlowOrder, st)
}

func f1Flow(integrate integrator, order int, st *Stats) func(*rapid.T) {
	cases := gen.Generic(gen.ShapeOptions{MinN: 2, MaxN: 4, MaxDim: 4})
	return func(t *rapid.T) {
		g := cases.Draw(t, "case")
		t.Logf("F1 case: %v", g)
		phiF := invariants.Frobenius(g.Phi)
		dt0 := 8 * stableStep(g.Net, phiF, 1)
		tau := 16 * dt0
		d0 := make([]*mat.Dense, g.N)
		for j := 1; j < g.N; j++ {
			d0[j] = gram(g.Net, j)
		}
		// drift integrates with step dt over [0, τ] and returns the largest
		// drift seen at the checkpoints τ/4, τ/2, 3τ/4, τ (a sup over time is
		// less prone to cancellation than the end value alone).
		drift := func(dt float64) (float64, float64) {
			n := g.Net.Clone()
			worst, tol := 0.0, 0.0
			for k := 0; k < 4; k++ {
				if err := integrate(n, g.Phi, tau/4, dt); err != nil {
					t.Fatalf("integrating: %v", err)
				}
				for j := 1; j < g.N; j++ {
					dj := gram(n, j)
					dj.Sub(dj, d0[j])
					worst = math.Max(worst, mat.Norm(dj, 2))
				}
				tol = math.Max(tol, ImbalanceTol(n))
			}
			return worst, tol
		}
		// Halve the step until the observed order log₂(drift(dt)/drift(dt/2))
		// reaches order − ½, while both drifts stay 10³ above rounding.
		prev, _ := drift(dt0)
		informative := false
		best := 0.0
		for k := 1; k <= maxHalvings; k++ {
			cur, tol := drift(dt0 / math.Pow(2, float64(k)))
			if !(cur >= 1e3*tol) {
				break
			}
			informative = true
			ratio := prev / cur
			best = math.Max(best, ratio)
			t.Logf("dt₀/2^%d: drift %.4g, ratio %.4g", k, cur, ratio)
			if ratio >= math.Pow(2, float64(order)-0.5) {
				break
			}
			prev = cur
		}
		st.Case(informative)
		if !informative {
			t.Logf("drift within 10³ of rounding at every step (counted invalid)")
			return
		}
		need := math.Pow(2, float64(order)-0.5)
		st.Slack(best/need - 1)
		if !(best >= need) {
			t.Fatalf("F1 violated: halving the step never divided the imbalance drift by 2^{%d−½} = %.3g (best %.4g; dt₀ = %.3g): the flow does not conserve imbalance at order %d",
				order, need, best, dt0, order)
		}
	}
}

// maxHalvings bounds F1's step halvings (dt₀/2⁸ at the finest).
const maxHalvings = 8

// pwExplicit builds P_W = Σ_{j=1}^{N} [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N}
// (column-major vec: vec(AXB) = (Bᵀ ⊗ A)vec X) as a d_N·d_0 square matrix.
func pwExplicit(w mat.Matrix, N int) (*mat.Dense, error) {
	r, c := w.Dims()
	var wwt, wtw mat.Dense
	wwt.Mul(w, w.T())
	wtw.Mul(w.T(), w)
	p := mat.NewDense(r*c, r*c, nil)
	for j := 1; j <= N; j++ {
		a, err := linalg.SymPow(&wwt, float64(j-1)/float64(N))
		if err != nil {
			return nil, err
		}
		b, err := linalg.SymPow(&wtw, float64(N-j)/float64(N))
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
	eigen func(w mat.Matrix, N int) ([][]float64, error)
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
	return f2Kronecker(st, f2Options{eigen: invariants.PWEigenvalues})
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
		p, err := pwExplicit(w, N)
		if err != nil {
			t.Fatalf("P_W: %v", err)
		}
		st.Case(true)
		var asym mat.Dense
		asym.Sub(p, p.T())
		if a := mat.Norm(&asym, 2); !(a <= tol) {
			t.Fatalf("F2 violated: P_W not symmetric, ‖P − Pᵀ‖_F = %.3g (tol %.3g)", a, tol)
		}
		applied, err := invariants.ApplyPW(w, &e, N)
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
		fullRank := len(sv) > 0 && sv[len(sv)-1]*sv[len(sv)-1] > Safety*float64(max(dx, dy))*Unit*lmax*1e6
		if fullRank {
			bound := math.Pow(sv[len(sv)-1], 2*float64(N-1)/float64(N))
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
		vel, err := endToEndVelocity(bal, g.Phi)
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

// b1Options are B1's knobs; the planted-bug test breaks an exponent.
type b1Options struct {
	leftExp func(N, j int) float64 // exponent of [WWᵀ] matching W_{j:N}W_{j:N}ᵀ: (N−j+1)/N
}

// B1BalancedLayersArePowers checks B1 on 0-balanced starts.
//
// Cases: gen.TheoremOne's architectures and targets with δ = 0 (Procedure 1
// from A with a drawn margin, seeded orthogonal insertions); hypothesis
// measured: imbalance ≤ ImbalanceTol (0-balanced to rounding).
//
// Checks, with W = W_{1:N}, σ_i its singular values, r = min(d_0, d_N):
// (a) for every j the top r singular values of W_j are σ_i^{1/N} and the
// rest are ≈ 0; (b) W_{j:N}W_{j:N}ᵀ = [WWᵀ]^{(N−j+1)/N}; (c) W_{1:j}ᵀW_{1:j}
// = [WᵀW]^{j/N}; all within FracPowTol-derived bounds.
func B1BalancedLayersArePowers(impl model.Stepper, st *Stats) func(*rapid.T) {
	return b1Powers(st, b1Options{leftExp: func(N, j int) float64 { return float64(N-j+1) / float64(N) }})
}

func b1Powers(st *Stats, o b1Options) func(*rapid.T) {
	cases := gen.TheoremOne(gen.Options{Balanced: true})
	return func(t *rapid.T) {
		cs := cases.Draw(t, "case")
		t.Logf("B1 case: %v", cs)
		n := cs.Start
		ok := model.ImbalanceOf(n) <= ImbalanceTol(n)
		st.Case(ok)
		if !ok {
			return
		}
		N := cs.N
		w := n.Product()
		dy, dx := w.Dims()
		d := 0
		for _, v := range cs.Dims {
			d = max(d, v)
		}
		sv := invariants.SingularValues(w)
		lmax, lminPos := gramSpectrum(sv, d)
		r := len(sv)
		for j := 1; j <= N; j++ {
			svj := invariants.SingularValues(n.Layer(j))
			for i, s := range svj {
				want := 0.0
				if i < r {
					want = math.Pow(sv[i], 1/float64(N))
				}
				tol := math.Sqrt(FracPowTol(lmax, lminPos, 1/float64(N), d)) + MeasureTol(math.Pow(lmax, 0.5/float64(N)), d, N)
				if !(math.Abs(s-want) <= tol) {
					t.Fatalf("B1 violated: σ_%d(W_%d) = %.12g, σ_%d(W)^{1/N} = %.12g (tol %.3g)", i+1, j, s, i+1, want, tol)
				}
			}
		}
		var wwt, wtw mat.Dense
		wwt.Mul(w, w.T())
		wtw.Mul(w.T(), w)
		for j := 1; j <= N; j++ {
			left, _ := n.Partial(j, N)
			var got mat.Dense
			got.Mul(left, left.T())
			p := o.leftExp(N, j)
			want, err := linalg.SymPow(&wwt, p)
			if err != nil {
				t.Fatalf("SymPow: %v", err)
			}
			tol := FracPowTol(lmax, lminPos, p, d) + MeasureTol(math.Pow(lmax, p), d, N)
			got.Sub(&got, want)
			if a := mat.Norm(&got, 2); !(a <= tol) {
				t.Fatalf("B1 violated: ‖W_{%d:N}W_{%d:N}ᵀ − [WWᵀ]^{%.4g}‖_F = %.3g (tol %.3g; dims %v)", j, j, p, a, tol, []int{dy, dx})
			}
			right, _ := n.Partial(1, j)
			var got2 mat.Dense
			got2.Mul(right.T(), right)
			q := float64(j) / float64(N)
			want2, err := linalg.SymPow(&wtw, q)
			if err != nil {
				t.Fatalf("SymPow: %v", err)
			}
			tol2 := FracPowTol(lmax, lminPos, q, d) + MeasureTol(math.Pow(lmax, q), d, N)
			got2.Sub(&got2, want2)
			if a := mat.Norm(&got2, 2); !(a <= tol2) {
				t.Fatalf("B1 violated: ‖W_{1:%d}ᵀW_{1:%d} − [WᵀW]^{%.4g}‖_F = %.3g (tol %.3g)", j, j, q, a, tol2)
			}
		}
	}
}

// procedure is Procedure 1's signature (model.Balanced).
type procedure func(a mat.Matrix, dims []int, rng *rand.Rand) (*model.Net, error)

// P1ProcedureOneBalancedStart checks P1 on model.Balanced.
//
// Cases: any architecture (N = 1..6, widths 1..6, narrow hidden layers
// allowed), A from explicit singular values (gen.Targets), with and without
// orthogonal insertion. Hypothesis: the widths condition
// min_j d_j ≥ min(d_0, d_N); valid cases are those meeting it.
//
// Checks: valid cases give W_{1:N} = A within MeasureTol and imbalance ≤
// ImbalanceTol; invalid widths are refused with an error.
func P1ProcedureOneBalancedStart(impl model.Stepper, st *Stats) func(*rapid.T) {
	return p1Procedure(st, model.Balanced)
}

func p1Procedure(st *Stats, proc procedure) func(*rapid.T) {
	shapes := gen.Shapes(gen.ShapeOptions{Narrow: true})
	return func(t *rapid.T) {
		sh := shapes.Draw(t, "shape")
		spec := gen.Targets().Draw(t, "A")
		insert := rapid.Bool().Draw(t, "insert")
		a, err := spec.Build(sh.Dims[sh.N], sh.Dims[0])
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		var rng *rand.Rand
		if insert {
			rng = model.NewRand(spec.Seed + 1)
		}
		t.Logf("P1 case: N=%d dims=%v ‖A‖_F=%.4g cond(A)=%.3g insert=%v", sh.N, sh.Dims, spec.Frob, spec.Condition, insert)
		ok := invariants.WidthsOK(sh.Dims)
		st.Case(ok)
		n, err := proc(a, sh.Dims, rng)
		if !ok {
			if err == nil {
				t.Fatalf("P1 violated: Procedure 1 accepted hidden widths %v below min(d_0, d_N)", sh.Dims)
			}
			return
		}
		if err != nil {
			t.Fatalf("P1: Procedure 1 failed on valid widths %v: %v", sh.Dims, err)
		}
		m, d := productScale(n)
		var diff mat.Dense
		diff.Sub(n.Product(), a)
		if e, tol := mat.Norm(&diff, 2), MeasureTol(m+spec.Frob, d, sh.N); !(e <= tol) {
			t.Fatalf("P1 violated: ‖W_{1:N} − A‖_F = %.3g (tol %.3g)", e, tol)
		}
		if imb, tol := model.ImbalanceOf(n), ImbalanceTol(n); !(imb <= tol) {
			t.Fatalf("P1 violated: imbalance %.3g > tol %.3g (not 0-balanced)", imb, tol)
		}
	}
}

// brokenProcedure inserts O_j on layer j only (forgetting O_jᵀ on layer
// j+1): balanced, but no longer reproducing A. The planted bug of P1.
func brokenProcedure(a mat.Matrix, dims []int, rng *rand.Rand) (*model.Net, error) {
	n, err := model.Balanced(a, dims, nil)
	if err != nil || rng == nil {
		return n, err
	}
	N := len(dims) - 1
	for j := 1; j < N; j++ {
		o := linalg.RandomOrthogonal(dims[j], rng)
		var w mat.Dense
		w.Mul(o, n.Layer(j))
		n.Layer(j).Copy(&w)
	}
	return n, nil
}
