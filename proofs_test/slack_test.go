package proofs

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// slackCase is one fixed Theorem-1 start for the step-size slack study.
type slackCase struct {
	name   string
	dims   []int
	target gen.TargetSpec
	margin float64 // c/σ_min(Φ)
}

var slackCases = []slackCase{
	{"N=2 scalar c/‖Φ‖=0.9", []int{1, 1, 1}, gen.TargetSpec{Frob: 1, Condition: 1, Seed: 1}, 0.9},
	{"N=3 2×2 c/σ_min=0.5", []int{2, 2, 2, 2}, gen.TargetSpec{Frob: 1, Condition: 1.5, Seed: 2}, 0.5},
	{"N=2 3→4→2 c/σ_min=0.7", []int{3, 4, 2}, gen.TargetSpec{Frob: 2, Condition: 2, Seed: 3}, 0.7},
	{"N=4 1→3→3→3→1 c/‖Φ‖=0.8", []int{1, 3, 3, 3, 1}, gen.TargetSpec{Frob: 1, Condition: 1, Seed: 4}, 0.8},
}

// TestT1_StepSizeSlack is the slack study of Theorem 1's step-size bound:
// the same starts run with η at 1, 10, 10², … 10⁸ times EtaBound(c) for K
// steps, logging the first step at which the linear decay of L1/T1,
// ℓ(t+1) ≤ (1 − ηc^{2(N−1)/N})ℓ(t) (+ LossTol), fails, how often it fails,
// and how the run ends. It is REPORTED, not asserted (beyond the start
// meeting the hypotheses at multiplier 1): it feeds the tightness study.
func TestT1_StepSizeSlack(t *testing.T) {
	K := Steps()
	mults := []float64{1, 10, 100, 1e3, 1e4, 1e5, 1e6, 1e7, 1e8}
	for _, sc := range slackCases {
		N := len(sc.dims) - 1
		phi, err := sc.target.Build(sc.dims[N], sc.dims[0])
		if err != nil {
			t.Fatal(err)
		}
		rng := model.NewRand(sc.target.Seed)
		a, err := gen.WithMargin(phi, sc.margin*invariants.SigmaMin(phi), rng)
		if err != nil {
			t.Fatal(err)
		}
		start, err := model.Balanced(a, sc.dims, rng)
		if err != nil {
			t.Fatal(err)
		}
		h := invariants.CheckTheorem1(start, phi, 1, 0)
		h = invariants.CheckTheorem1(start, phi, h.EtaBound, 0)
		if !h.Holds() {
			t.Fatalf("%s: hypotheses do not hold at η*: %+v", sc.name, h)
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s (c=%.3g, η*=%.3g, K=%d):", sc.name, h.C, h.EtaBound, K)
		for _, m := range mults {
			if strings.Contains(b.String(), "diverged") {
				break // larger steps diverge sooner; nothing more to learn
			}
			eta := m * h.EtaBound
			rate := invariants.Rate(eta, h.C, N)
			n := start.Clone()
			l := lossOf(n, phi)
			l0 := l
			first, count, end := -1, 0, "ran"
			for s := 0; s < K; s++ {
				tol := LossTol(n, h.PhiF, l)
				if _, err := (model.Reference{}).Step(n, phi, eta); err != nil {
					end = "error"
					break
				}
				next := lossOf(n, phi)
				if math.IsNaN(next) || math.IsInf(next, 0) || next > 1e12*l0 {
					end = fmt.Sprintf("diverged@%d", s+1)
					if first < 0 {
						first = s
					}
					break
				}
				if !(next <= (1-rate)*l+tol) {
					count++
					if first < 0 {
						first = s
					}
				}
				l = next
			}
			fmt.Fprintf(&b, "\n    η = %7.0e·η*: linear decay fails at %d of %d steps (first t = %d), ℓ(K)/ℓ(0) = %.3g, %s",
				m, count, K, first, l/l0, end)
		}
		t.Log(b.String())
	}
}
