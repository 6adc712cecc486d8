package proofs

import (
	"math"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Lemma 2 (L2): the invariants A(t), B(t), C(t) at every step, under
// Theorem 1's hypotheses.

var _ = Register(Property{ID: "L2", Name: "InvariantsEveryStep", Status: "R", Domain: "as L1 (N 1..6, widths 1..6, T1 hypotheses), every step",
	Statement: "under T1's hypotheses, at every step: 2δ*-balanced, ‖W_j‖_σ ≤ (4‖Φ‖_F)^{1/N}, loss non-increasing, margin ≥ c, σ_min(W) ≥ c",
	Check:     L2InvariantsEveryStep, MinValid: 5})

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
				if tol := TiersFor(impl).LossTol(n, cs.Hyp.PhiF, l); !(next <= l+tol) {
					t.Fatalf("L2 violated at t=%d: loss increased %.17g → %.17g (tol %.3g)", s, l, next, tol)
				}
			}
			l = next
			if imb, tol := invariants.Imbalance(n), TiersFor(impl).ImbalanceTol(n); !(imb <= 2*deltaStar+tol) {
				t.Fatalf("L2 A(t) violated at t=%d: imbalance %.6g > 2δ* = %.6g (tol %.3g)", s, imb, 2*deltaStar, tol)
			} else {
				worst = math.Min(worst, (2*deltaStar-imb)/(2*deltaStar))
			}
			if ok, got := maxSpectralAtMost(n, spec, TiersFor(impl).MeasureTol(spec, 6, 0)); !ok {
				t.Fatalf("L2 C(t) violated at t=%d: max_j ‖W_j‖_σ = %.6g > (4‖Φ‖_F)^{1/N} = %.6g", s, got, spec)
			}
			e := math.Sqrt(2 * l)
			_, d := productScale(n)
			mtol := TiersFor(impl).MeasureTol(smPhi+e+math.Abs(c), d, n.N())
			if m := smPhi - e; !(m >= c-mtol) {
				t.Fatalf("L2 violated at t=%d: margin %.17g < c = %.17g (tol %.3g)", s, m, c, mtol)
			}
			if sm := invariants.SigmaMin(w); !(sm >= c-mtol) {
				t.Fatalf("L2 violated at t=%d: σ_min(W) = %.17g < c = %.17g (tol %.3g)", s, sm, c, mtol)
			}
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
		st.Slack(worst)
	}
}
