package proofs

import (
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/model"
)

// Theorem 1 (T1) over its full horizon, and the measured-hypotheses gate
// shared by T1, L1 and L2.

var _ = Register(Property{ID: "T1", Name: "FullHorizon", Status: "V", Domain: "N 1..3, min(d₀,d_N) = 1, c/‖Φ‖_F ∈ [0.8, 0.99], η = η*, δ ≤ 0.99δ*",
	Statement: "margin c, δ ≤ c²/(256N³‖Φ‖^{2(N−1)/N}), η ≤ c^{(4N−2)/N}/(6144N³‖Φ‖^{(6N−4)/N}) ⇒ ℓ(T) ≤ ε at T = ⌈log(ℓ(0)/ε)/(ηc^{2(N−1)/N})⌉",
	Check:     T1FullHorizon, MinValid: 5})

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
// (10⁵ by default, 5·10⁴ with -short, DLNVERIFY_HORIZON_STEPS). At
// η = η*(c) the rate is (c/‖Φ‖_F)^{(6N−4)/N}/(6144N³), so a depth is drawn
// only if half a decade fits the budget at c/‖Φ‖_F ≤ 0.99, and c is drawn
// above gen.MinMarginPercent(N, budget) (N = 3 needs more than 10⁵ steps
// and is drawn only with DLNVERIFY_HORIZON_STEPS ≥ 2.5·10⁵). ε = ℓ(0)·10^{−k} for a
// drawn k ∈ {1, 2, 3}, raised when needed so that
// T(ε) = ⌈log(ℓ(0)/ε)/(ηc^{2(N−1)/N})⌉ ≤ the budget; a case counts as
// valid only if ε ≤ ℓ(0)·10^{−1/2} (gen.MinDecades).
//
// Checks (t1Monitor): at every step both inequalities of L1 and L2's five
// invariants, and finiteness; after exactly T(ε) steps of impl, ℓ(T) ≤ ε
// (+ the monitor's evaluation tier), with ℓ measured independently of impl.
// The stratified deep and wide full horizons are TestT1_FullHorizonFast.
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
		m := newT1Monitor(n, h.Phi, h.Hyp, TiersFor(impl))
		fault := m.run(impl, n, h.Phi, h.Horizon, h.Eps)
		st.Add("steps", float64(m.Steps))
		st.Add("seconds", time.Since(start).Seconds())
		st.Add("exact SVDs", float64(m.SVDs))
		if fault != nil {
			t.Fatalf("%s: %v; %v", impl.Name(), fault, h)
		}
		st.Slack((h.Eps + m.evalErr(h.Eps) - m.loss) / h.Eps) // within the asserted rounding allowance
		st.Add("decades", h.Decades)
	}
}
