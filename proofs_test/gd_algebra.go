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

// The algebra of one GD step: the setting (S1–S3) and the step's effect on
// imbalance (G1) and on the end-to-end matrix (G2). These hold for any
// weights and any η, so the cases are generic (gen.Generic) and the step
// sizes moderate, which makes every term far larger than rounding.

var (
	_ = Register(Property{ID: "G1", Name: "ImbalanceChangesByEtaSquared", Status: "R",
		Statement: "one GD step changes W_{j+1}ᵀW_{j+1} − W_jW_jᵀ by exactly η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ)",
		Check:     G1ImbalanceChangesByEtaSquared, MinValid: 8})
	_ = Register(Property{ID: "G2", Name: "EndToEndStepSecondOrder", Status: "V",
		Statement: "W(t+1) = W − ηΣ_j W_{j+1:N}W_{j+1:N}ᵀ(W − Φ)W_{1:j−1}ᵀW_{1:j−1} + O(η²): the remainder scales like η²",
		Check:     G2EndToEndStepSecondOrder, MinValid: 8})
	_ = Register(Property{ID: "S1", Name: "WhitenedLossReduction", Status: "V",
		Statement: "Λ_xx = I ⇒ (1/2m)‖WX − Y‖_F² = ½‖W − Φ‖_F² + κ along a GD trajectory",
		Check:     S1WhitenedLossReduction, MinValid: 8})
	_ = Register(Property{ID: "S2", Name: "GradientMatchesFiniteDifferences", Status: "V",
		Statement: "the step's implied gradient (W_j − W_j′)/η equals central finite differences of L^N",
		Check:     S2GradientMatchesFiniteDifferences, MinValid: 8})
	_ = Register(Property{ID: "S3", Name: "RotationInvariantTrajectory", Status: "R",
		Statement: "Φ → PΦQ, W_N → PW_N, W_1 → W_1Q leaves every loss of the GD trajectory unchanged",
		Check:     S3RotationInvariantTrajectory, MinValid: 8})
)

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
		tol := IdentityTol(before, after, eta, gmax)
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

// gram returns W_{j+1}ᵀW_{j+1} − W_jW_jᵀ.
func gram(n *model.Net, j int) *mat.Dense {
	var a, b mat.Dense
	a.Mul(n.Layer(j+1).T(), n.Layer(j+1))
	b.Mul(n.Layer(j), n.Layer(j).T())
	a.Sub(&a, &b)
	return &a
}

// firstOrderSum returns Σ_j W_{j+1:N}W_{j+1:N}ᵀ (W − Φ) W_{1:j−1}ᵀW_{1:j−1}.
func firstOrderSum(n *model.Net, phi mat.Matrix) *mat.Dense {
	N := n.N()
	var e mat.Dense
	e.Sub(n.Product(), phi)
	r, c := e.Dims()
	out := mat.NewDense(r, c, nil)
	for j := 1; j <= N; j++ {
		left, _ := n.Partial(j+1, N)
		right, _ := n.Partial(1, j-1)
		var l, rr, t1, t2 mat.Dense
		l.Mul(left, left.T())
		rr.Mul(right.T(), right)
		t1.Mul(&l, &e)
		t2.Mul(&t1, &rr)
		out.Add(out, &t2)
	}
	return out
}

// G2EndToEndStepSecondOrder checks G2 with a ratio test on impl's step.
//
// Cases: gen.Generic, N = 1..6, widths 1..6. With S the first-order sum
// Σ_j W_{j+1:N}W_{j+1:N}ᵀ(W − Φ)W_{1:j−1}ᵀW_{1:j−1} and
// R(η) = ‖W_{1:N}(after one step of size η) − W + ηS‖_F:
//
//   - N = 1: the step is exactly linear, R(η) ≤ MeasureTol (all η);
//   - N ≥ 2: with η₀ = RatioStepFactor/(N·g), g = max_j ‖G_j‖_F/‖W_j‖_σ (so
//     the third-order term is ≤ 1 % of the second), R(η₀)/R(η₀/2) and
//     R(η₀/2)/R(η₀/4) lie within 4·(1 ± RatioBand). Valid when R(η₀/4)
//     exceeds rounding (10⁶·MeasureTol); a gradient-free case (g = 0) is
//     counted invalid.
func G2EndToEndStepSecondOrder(impl model.Stepper, st *Stats) func(*rapid.T) {
	cases := gen.Generic(gen.ShapeOptions{})
	return func(t *rapid.T) {
		g := cases.Draw(t, "case")
		t.Logf("G2 case: %v", g)
		n := g.Net
		w := n.Product()
		s := firstOrderSum(n, g.Phi)
		m, d := productScale(n)
		rtol := MeasureTol(m+math.Abs(invariants.Frobenius(s)), d, n.N())
		remainder := func(eta float64) float64 {
			c := n.Clone()
			stepOrFail(t, impl, c, g.Phi, eta, 0)
			var r mat.Dense
			r.Sub(c.Product(), w)
			var es mat.Dense
			es.Scale(eta, s)
			r.Add(&r, &es)
			return mat.Norm(&r, 2)
		}
		if n.N() == 1 {
			for _, eta := range stepSizes {
				if r := remainder(eta); !(r <= rtol*(1+eta)) {
					t.Fatalf("G2 violated (N = 1, exact): remainder %.6g at η = %g > tol %.3g", r, eta, rtol)
				}
			}
			st.Case(true)
			return
		}
		grads, _ := model.Gradients(n, g.Phi)
		gs := 0.0
		for j, gr := range grads {
			gs = math.Max(gs, mat.Norm(gr, 2)/invariants.SpectralNorm(n.Layer(j+1)))
		}
		if !(gs > 0) {
			st.Case(false)
			return
		}
		eta0 := RatioStepFactor / (float64(n.N()) * gs)
		r0, r1, r2 := remainder(eta0), remainder(eta0/2), remainder(eta0/4)
		valid := r2 >= 1e6*rtol
		st.Case(valid)
		if !valid {
			t.Logf("remainder %.3g at η₀/4 too close to rounding %.3g (counted invalid)", r2, rtol)
			return
		}
		for i, ratio := range []float64{r0 / r1, r1 / r2} {
			st.Slack(1 - math.Abs(ratio/4-1)/RatioBand)
			if !(math.Abs(ratio/4-1) <= RatioBand) {
				t.Fatalf("G2 violated: halving η divides the remainder by %.4g (pair %d), not 4 ± %.0f%% (η₀ = %.3g, remainders %.4g, %.4g, %.4g)",
					ratio, i, 100*RatioBand, eta0, r0, r1, r2)
			}
		}
	}
}

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
			return Safety * Unit * float64(m+max(dx, g.Dims[g.N])) * f * f
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
			if tol := LossTol(g.Net, phiF, l) + scale(n); !(math.Abs(rep-l) <= tol) {
				t.Fatalf("S1: %s reported ℓ(%d) = %.17g, measured %.17g", impl.Name(), s, rep, l)
			}
		}
	}
}

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
		ltol := LossTol(n, phiF, l0)
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
					tp := LossTol(n, phiF, lp)
					w.Set(a, b, v-h)
					lm := lossOf(n, g.Phi)
					w.Set(a, b, v)
					fd := (lp - lm) / (2 * h)
					tol := FiniteDiffTol(math.Max(tp, ltol), h) + ImpliedGradTol(math.Abs(v), math.Abs(implied), eta)
					if !(math.Abs(implied-fd) <= tol) {
						t.Fatalf("S2 violated: layer %d entry (%d,%d): step-implied gradient %.12g, finite difference %.12g (tol %.3g)", j, a, b, implied, fd, tol)
					}
				}
			}
		}
	}
}

// stableStep returns 1/(k·N·Λ) with Λ = (1 + max_j ‖W_j‖_σ)^{2N}(1 + ‖Φ‖_F),
// a bound on the norm of the loss Hessian near W: k steps of that size
// move the weights by a small fraction of their size and amplify rounding
// differences by at most e.
func stableStep(n *model.Net, phiF float64, k int) float64 {
	lam := math.Pow(1+invariants.MaxLayerSpectral(n), float64(2*n.N())) * (1 + phiF)
	return 1 / (float64(k) * float64(n.N()) * lam)
}

// S3RotationInvariantTrajectory checks S3 along K = 50 steps of impl.
//
// Cases: gen.Generic, N = 1..6, widths 1..6 (all equal half the time),
// seeded Haar P ∈ O(d_N), Q ∈ O(d_0); the rotated problem has Φ′ = PΦQ,
// W_N′ = PW_N, W_1′ = W_1Q (W_1′ = PW_1Q when N = 1). η = stableStep(W, ‖Φ‖_F, K),
// so that rounding differences grow by at most e over K steps.
//
// Checks: |ℓ′(t) − ℓ(t)| ≤ e·TrajectoryTol(LossTol, t) for t = 0..K.
func S3RotationInvariantTrajectory(impl model.Stepper, st *Stats) func(*rapid.T) {
	const K = 50
	return func(t *rapid.T) {
		square := rapid.Bool().Draw(t, "square")
		g := gen.Generic(gen.ShapeOptions{Square: square}).Draw(t, "case")
		t.Logf("S3 case: %v", g)
		rng := model.NewRand(g.Seed ^ 0x5eed)
		P := linalg.RandomOrthogonal(g.Dims[g.N], rng)
		Q := linalg.RandomOrthogonal(g.Dims[0], rng)
		var phiR mat.Dense
		phiR.Mul(P, g.Phi)
		phiR.Mul(&phiR, Q)
		a := g.Net.Clone()
		b := g.Net.Clone()
		var w1 mat.Dense
		w1.Mul(b.Layer(1), Q)
		b.Layer(1).Copy(&w1)
		var wn mat.Dense
		wn.Mul(P, b.Layer(b.N()))
		b.Layer(b.N()).Copy(&wn)
		phiF := invariants.Frobenius(g.Phi)
		eta := stableStep(a, phiF, K)
		st.Case(true)
		l0 := lossOf(a, g.Phi)
		tol0 := LossTol(a, phiF, l0)
		for s := 0; s <= K; s++ {
			la, lb := lossOf(a, g.Phi), lossOf(b, &phiR)
			if tol := math.E * TrajectoryTol(math.Max(tol0, LossTol(a, phiF, la)), s); !(math.Abs(la-lb) <= tol) {
				t.Fatalf("S3 violated at t=%d: loss %.17g, rotated problem %.17g (tol %.3g, η=%.3g)", s, la, lb, tol, eta)
			}
			if s == K {
				break
			}
			stepOrFail(t, impl, a, g.Phi, eta, s)
			stepOrFail(t, impl, b, &phiR, eta, s)
		}
	}
}
