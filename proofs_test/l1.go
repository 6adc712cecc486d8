package proofs

import (
	"math"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Lemma 1 (L1): the descent inequality at every step, under Theorem 1's
// hypotheses.

var _ = Register(Property{ID: "L1", Name: "DescentEveryStep", Status: "V", Domain: "N 1..6, widths 1..6, c/σ_min(Φ) ∈ [0.01, 0.99], δ ≤ 0.99δ*, η ≤ η*",
	Statement: "under T1's hypotheses ℓ(t+1) ≤ ℓ(t) − (η/2)σ_min(W(t))^{2(N−1)/N}‖W(t)−Φ‖_F² ≤ (1 − ηc^{2(N−1)/N})ℓ(t) at every step",
	Check:     L1DescentEveryStep, MinValid: 5})

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
			sm := invariants.SigmaMin(w)
			tol := TiersFor(impl).LossTol(n, cs.Hyp.PhiF, l)
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
		// K·rate: the e-folds of loss decay L1's rate guarantees over the
		// run. Cases below one e-fold check "at every t" near t = 0 only;
		// they are counted apart and are not the evidence for it (that is
		// TestT1_FullHorizonFast, K·rate ≥ ln 10 in every case).
		if kr := float64(K) * invariants.Rate(cs.Eta, cs.Hyp.C, cs.N); kr >= 1 {
			st.Add("cases with K·rate ≥ 1", 1)
		} else {
			st.Add("cases with K·rate < 1 (near t = 0 only)", 1)
		}
		st.Max("max K·rate", float64(K)*invariants.Rate(cs.Eta, cs.Hyp.C, cs.N))
		st.Add("seconds", time.Since(start).Seconds())
		st.Add("informative steps", float64(informative))
		st.Slack(worst)
	}
}
