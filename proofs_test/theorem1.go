package proofs

import (
	"math"
	"time"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Theorem 1 and the lemmas that hold under its hypotheses (T1, L1, L2)
// plus its residual-network corollary R1, all at the exact constants of
// CLAIMS.md (invariants.DeltaBound, EtaBound, Rate, Horizon,
// SpectralBound, ResidualMargin).

var (
	_ = Register(Property{ID: "T1", Name: "FullHorizon", Status: "V",
		Statement: "margin c, δ ≤ c²/(256N³‖Φ‖^{2(N−1)/N}), η ≤ c^{(4N−2)/N}/(6144N³‖Φ‖^{(6N−4)/N}) ⇒ ℓ(T) ≤ ε at T = ⌈log(ℓ(0)/ε)/(ηc^{2(N−1)/N})⌉",
		Check:     T1FullHorizon, MinValid: 5})
	_ = Register(Property{ID: "L1", Name: "DescentEveryStep", Status: "V",
		Statement: "under T1's hypotheses ℓ(t+1) ≤ ℓ(t) − (η/2)σ_min(W(t))^{2(N−1)/N}‖W(t)−Φ‖_F² ≤ (1 − ηc^{2(N−1)/N})ℓ(t) at every step",
		Check:     L1DescentEveryStep, MinValid: 5})
	_ = Register(Property{ID: "L2", Name: "InvariantsEveryStep", Status: "R",
		Statement: "under T1's hypotheses, at every step: 2δ*-balanced, ‖W_j‖_σ ≤ (4‖Φ‖_F)^{1/N}, loss non-increasing, margin ≥ c, σ_min(W) ≥ c",
		Check:     L2InvariantsEveryStep, MinValid: 5})
	_ = Register(Property{ID: "R1", Name: "ResidualIdentityStart", Status: "V",
		Statement: "W_j(0) = I, ‖Φ − I‖_F < ½ ⇒ margin ≥ c = 1 − 2‖Φ − I‖_F and GD at η*(c) decays at rate ηc^{2(N−1)/N}",
		Check:     R1ResidualIdentityStart, MinValid: 5})
)

// requireTheorem1 counts the case and reports whether its measured
// hypotheses hold (c > 0, δ ≤ DeltaBound(c), 0 < η ≤ EtaBound(c), widths).
func requireTheorem1(t *rapid.T, st *Stats, cs gen.Case) bool {
	ok := cs.Hyp.Holds()
	st.Case(ok)
	if !ok {
		t.Logf("case does not meet Theorem 1's hypotheses (counted invalid): %+v", cs.Hyp)
	}
	return ok
}

// T1FullHorizon checks Theorem 1's conclusion over its full horizon.
//
// Cases (gen.FullHorizon): N = 1..3, min(d_0, d_N) = 1 (so c/‖Φ‖_F can
// reach 0.99), other widths ≤ 3, c/σ_min(Φ) ∈ [0.80, 0.99], δ drawn in
// [0, 0.99·DeltaBound(c)], η = EtaBound(c) exactly. Hypotheses measured
// and asserted (c = measured margin of W(0), δ = measured imbalance).
//
// Budget rule: every case takes at most HorizonBudget() GD steps
// (2.5·10⁵ by default, 10⁵ with -short, DLNVERIFY_HORIZON_STEPS). At
// η = η*(c) the rate is (c/‖Φ‖_F)^{(6N−4)/N}/(6144N³), so a depth is drawn
// only if half a decade fits the budget at c/‖Φ‖_F ≤ 0.99, and c is drawn
// above gen.MinMarginPercent(N, budget) (N = 3 needs c/‖Φ‖_F ≥ 0.95 at the
// default budget and is left out with -short). ε = ℓ(0)·10^{−k} for a
// drawn k ∈ {1, 2, 3}, raised when needed so that
// T(ε) = ⌈log(ℓ(0)/ε)/(ηc^{2(N−1)/N})⌉ ≤ the budget; a case counts as
// valid only if ε ≤ ℓ(0)·10^{−1/2} (gen.MinDecades).
//
// Checks: after exactly T(ε) steps of impl, ℓ(T) ≤ ε + LossTol, with ℓ
// measured independently of impl; every iterate stays finite.
func T1FullHorizon(impl model.Stepper, st *Stats) func(*rapid.T) {
	return t1FullHorizon(impl, st, HorizonBudget())
}

func t1FullHorizon(impl model.Stepper, st *Stats, budget int) func(*rapid.T) {
	cases := gen.FullHorizon(budget)
	return func(t *rapid.T) {
		h := cases.Draw(t, "case")
		t.Logf("T1 case: %v", h)
		if !h.Affordable() {
			st.Case(false)
			t.Logf("not affordable within %d steps (counted invalid)", budget)
			return
		}
		if !requireTheorem1(t, st, h.Case) {
			return
		}
		n := h.Start.Clone()
		start := time.Now()
		for s := 0; s < h.Horizon; s++ {
			if _, err := impl.Step(n, h.Phi, h.Eta); err != nil {
				t.Fatalf("%s: step %d: %v", impl.Name(), s, err)
			}
		}
		st.Add("steps", float64(h.Horizon))
		st.Add("seconds", time.Since(start).Seconds())
		l := lossOf(n, h.Phi)
		tol := LossTol(n, h.Hyp.PhiF, l)
		st.Slack((h.Eps + tol - l) / h.Eps) // within the asserted rounding allowance
		st.Add("decades", h.Decades)
		if !(l <= h.Eps+tol) {
			t.Fatalf("T1 violated: ℓ(T=%d) = %.6g > ε = %.6g (tol %.3g); %v", h.Horizon, l, h.Eps, tol, h)
		}
	}
}

// L1DescentEveryStep checks Lemma 1 at every step.
//
// Cases (gen.TheoremOne): N = 1..6, widths 1..6 with min_j d_j ≥ min(d_0,
// d_N), ‖Φ‖_F ∈ [¼, 4], condition 1..8, c/σ_min(Φ) ∈ [0.01, 0.99], δ ∈
// [0, 0.99·DeltaBound(c)], η ∈ [0.01, 1]·EtaBound(c) (at the bound half the
// time). Hypotheses measured and asserted.
//
// Checks, for t = 0..K−1 (K = Steps(): 10⁴ by default), with ℓ measured
// independently of impl:
//
//	ℓ(t+1) ≤ ℓ(t) − (η/2)σ_min(W(t))^{2(N−1)/N}‖W(t) − Φ‖_F² + LossTol
//	ℓ(t+1) ≤ (1 − ηc^{2(N−1)/N})ℓ(t) + LossTol.
//
// It tallies the steps whose claimed decrease exceeds LossTol
// ("informative steps"): at the smallest margins the decrease at η* is
// below rounding and the step checks only that the loss did not grow.
func L1DescentEveryStep(impl model.Stepper, st *Stats) func(*rapid.T) {
	return l1Descent(impl, st, Steps())
}

func l1Descent(impl model.Stepper, st *Stats, K int) func(*rapid.T) {
	cases := gen.TheoremOne(gen.Options{})
	return func(t *rapid.T) {
		cs := cases.Draw(t, "case")
		t.Logf("L1 case: %v", cs)
		if !requireTheorem1(t, st, cs) {
			return
		}
		n := cs.Start.Clone()
		N := float64(cs.N)
		p := 2 * (N - 1) / N
		rate := invariants.Rate(cs.Eta, cs.Hyp.C, cs.N)
		w := n.Product()
		l := model.LossOf(w, cs.Phi)
		informative := 0
		worst := math.Inf(1)
		start := time.Now()
		for s := 0; s < K; s++ {
			sm := linalg.SigmaMin(w)
			tol := LossTol(n, cs.Hyp.PhiF, l)
			stepOrFail(t, impl, n, cs.Phi, cs.Eta, s)
			w = n.Product()
			next := model.LossOf(w, cs.Phi)
			dec := cs.Eta / 2 * math.Pow(sm, p) * 2 * l
			if dec > tol {
				informative++
			}
			if !(next <= l-dec+tol) {
				t.Fatalf("L1 violated at t=%d: ℓ(t+1) = %.17g > ℓ(t) − (η/2)σ_min^{2(N−1)/N}‖W−Φ‖² = %.17g (ℓ(t) = %.17g, σ_min(W(t)) = %.6g, tol %.3g)",
					s, next, l-dec, l, sm, tol)
			}
			if !(next <= (1-rate)*l+tol) {
				t.Fatalf("L1 violated at t=%d: ℓ(t+1) = %.17g > (1 − ηc^{2(N−1)/N})ℓ(t) = %.17g (tol %.3g)", s, next, (1-rate)*l, tol)
			}
			if dec > tol {
				// Slack of the first inequality within its rounding allowance.
				worst = math.Min(worst, (l-next+tol)/dec-1)
			}
			l = next
		}
		st.Add("steps", float64(K))
		st.Add("seconds", time.Since(start).Seconds())
		st.Add("informative steps", float64(informative))
		st.Slack(worst)
	}
}

// L2InvariantsEveryStep checks Lemma 2's invariants at every step, on the
// cases of L1 (hypotheses measured and asserted), with δ* = DeltaBound(c)
// the Theorem-1 value at the measured margin c of W(0). For t = 0..K
// (K = Steps()):
//
//	A(t): imbalance(W(t)) ≤ 2δ* + ImbalanceTol
//	C(t): max_j ‖W_j(t)‖_σ ≤ (4‖Φ‖_F)^{1/N} + MeasureTol   (value R)
//	ℓ(t+1) ≤ ℓ(t) + LossTol
//	margin(W(t)) ≥ c − MeasureTol and σ_min(W(t)) ≥ c − MeasureTol.
func L2InvariantsEveryStep(impl model.Stepper, st *Stats) func(*rapid.T) {
	return l2Invariants(impl, st, Steps())
}

func l2Invariants(impl model.Stepper, st *Stats, K int) func(*rapid.T) {
	cases := gen.TheoremOne(gen.Options{})
	return func(t *rapid.T) {
		cs := cases.Draw(t, "case")
		t.Logf("L2 case: %v", cs)
		if !requireTheorem1(t, st, cs) {
			return
		}
		n := cs.Start.Clone()
		c := cs.Hyp.C
		deltaStar := cs.Hyp.DeltaBound
		spec := invariants.SpectralBound(cs.N, cs.Hyp.PhiF)
		smPhi := cs.Hyp.SigmaMinPh
		l := lossOf(n, cs.Phi)
		worst := math.Inf(1)
		start := time.Now()
		for s := 0; s <= K; s++ {
			if s > 0 {
				stepOrFail(t, impl, n, cs.Phi, cs.Eta, s-1)
			}
			w := n.Product()
			next := model.LossOf(w, cs.Phi)
			if s > 0 {
				if tol := LossTol(n, cs.Hyp.PhiF, l); !(next <= l+tol) {
					t.Fatalf("L2 violated at t=%d: loss increased %.17g → %.17g (tol %.3g)", s, l, next, tol)
				}
			}
			l = next
			if imb, tol := model.ImbalanceOf(n), ImbalanceTol(n); !(imb <= 2*deltaStar+tol) {
				t.Fatalf("L2 A(t) violated at t=%d: imbalance %.6g > 2δ* = %.6g (tol %.3g)", s, imb, 2*deltaStar, tol)
			} else {
				worst = math.Min(worst, (2*deltaStar-imb)/(2*deltaStar))
			}
			if ok, got := maxSpectralAtMost(n, spec, MeasureTol(spec, 6, 0)); !ok {
				t.Fatalf("L2 C(t) violated at t=%d: max_j ‖W_j‖_σ = %.6g > (4‖Φ‖_F)^{1/N} = %.6g", s, got, spec)
			}
			e := math.Sqrt(2 * l)
			_, d := productScale(n)
			mtol := MeasureTol(smPhi+e+math.Abs(c), d, n.N())
			if m := smPhi - e; !(m >= c-mtol) {
				t.Fatalf("L2 violated at t=%d: margin %.17g < c = %.17g (tol %.3g)", s, m, c, mtol)
			}
			if sm := linalg.SigmaMin(w); !(sm >= c-mtol) {
				t.Fatalf("L2 violated at t=%d: σ_min(W) = %.17g < c = %.17g (tol %.3g)", s, sm, c, mtol)
			}
		}
		st.Add("steps", float64(K))
		st.Add("seconds", time.Since(start).Seconds())
		st.Slack(worst)
	}
}

// R1Options are R1's knobs; the planted-bug test breaks the margin formula.
type r1Options struct {
	margin func(phi mat.Matrix) float64 // the claimed c; invariants.ResidualMargin
	steps  int
}

// R1ResidualIdentityStart checks R1 on linear residual networks.
//
// Cases: all widths d ∈ 1..4, N ∈ 1..4, Φ = I + Δ with ‖Δ‖_F = f/2 for a
// drawn f ∈ [0.01, 0.99] (Δ from explicit singular values, seeded
// orthogonal factors, condition 1..8), W_j(0) = I (0-balanced).
// Hypothesis measured: ‖Φ − I‖_F < ½.
//
// Checks: (a) c = 1 − 2‖Φ − I‖_F is a deficiency margin of W(0) = I
// (measured margin ≥ c − MeasureTol), so with δ = 0 Theorem 1 applies at
// c; (b) with η = EtaBound(c), for t = 1..K/5:
// ℓ(t) ≤ (1 − ηc^{2(N−1)/N})ℓ(t−1) + LossTol (the linear rate of T1).
func R1ResidualIdentityStart(impl model.Stepper, st *Stats) func(*rapid.T) {
	return r1Residual(impl, st, r1Options{margin: invariants.ResidualMargin, steps: Steps() / 5})
}

func r1Residual(impl model.Stepper, st *Stats, o r1Options) func(*rapid.T) {
	return func(t *rapid.T) {
		d := rapid.IntRange(1, 4).Draw(t, "d")
		N := rapid.IntRange(1, 4).Draw(t, "N")
		f := float64(99-rapid.IntRange(0, 98).Draw(t, "99−f%")) / 100
		spec := gen.Targets().Draw(t, "Δ")
		spec.Frob = f / 2
		delta, err := spec.Build(d, d)
		if err != nil {
			t.Fatalf("building Δ: %v", err)
		}
		phi := linalg.Identity(d)
		phi.Add(phi, delta)
		n, _ := model.Identity(d, N)
		dist := invariants.Frobenius(delta)
		ok := dist < 0.5
		st.Case(ok)
		if !ok {
			return
		}
		c := o.margin(phi)
		measured := invariants.NetMargin(n, phi)
		phiF := invariants.Frobenius(phi)
		eta := invariants.EtaBound(c, N, phiF)
		t.Logf("R1 case: N=%d dims=%d×… ‖Φ−I‖_F=%.4g σ_min(Φ)=%.4g c=%.4g measured margin=%.4g δ=0 η=%.3g σ_min(W(0))=1",
			N, d, dist, invariants.SigmaMin(phi), c, measured, eta)
		if tol := MeasureTol(2+dist, d, 1); !(measured >= c-tol) {
			t.Fatalf("R1 violated: c = %.6g exceeds the measured margin %.6g of W_j = I", c, measured)
		}
		rate := invariants.Rate(eta, c, N)
		if !(c > 0 && eta > 0) {
			t.Fatalf("R1: c = %v, η = %v not positive", c, eta)
		}
		l := lossOf(n, phi)
		for s := 1; s <= o.steps; s++ {
			tol := LossTol(n, phiF, l)
			stepOrFail(t, impl, n, phi, eta, s-1)
			next := lossOf(n, phi)
			if !(next <= (1-rate)*l+tol) {
				t.Fatalf("R1 rate violated at t=%d: ℓ = %.17g > (1 − ηc^{2(N−1)/N})ℓ(t−1) = %.17g (tol %.3g)", s, next, (1-rate)*l, tol)
			}
			l = next
		}
		st.Add("steps", float64(o.steps))
	}
}
