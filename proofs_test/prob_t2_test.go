package proofs

import (
	"math"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/model"
)

func TestT2_MarginWithConstantProbability(t *testing.T) { probRun(t, model.Reference{}) }

func TestT2_GDConvergesFromMarginStarts(t *testing.T) {
	for _, impl := range implementations(t) {
		t.Run(impl.Name(), func(t *testing.T) {
			p, _ := Lookup("TestT2_GDConvergesFromMarginStarts")
			st := NewStats()
			start := time.Now()
			rapidtb.CheckT(t, p.Check(impl, st))
			requirePeerAlive(t, impl)
			tried, valid, _ := st.Counts()
			cs := st.recordedBatches()
			most, total := 0, 0
			for _, c := range cs {
				most = max(most, c.Verdict.K)
				total += c.Verdict.K
			}
			t.Logf("T2 GD [%s]: %d cases, %d valid (min %d), %d converged; steps to ε: mean %.0f, most %d (budget %d); %.2fs",
				impl.Name(), tried, valid, p.MinValid, len(cs), float64(total)/float64(max(1, len(cs))), most, t2GDBudget, time.Since(start).Seconds())
			if valid < p.MinValid {
				t.Fatalf("vacuous: only %d cases met T2's hypotheses (need %d)", valid, p.MinValid)
			}
		})
	}
}

// T2 with the init's scale forgotten (s = ‖Φ‖ instead of ≤ ‖Φ‖/√(a d_0²)):
// ‖A‖ ≈ ‖Φ‖√d_0 ≥ 10‖Φ‖, and no start with ‖W − Φ‖ ≥ ‖W‖ − ‖Φ‖ > ‖Φ‖ has
// a margin, while the claim promises > 0.25.
func TestT2_PlantedStdScaleForgottenFails(t *testing.T) {
	cfg := probT2
	cfg.initStd = func(c gen.ScalarBalancedCase) float64 { return c.PhiNorm }
	probExpectFailure(t, "T2 with s = ‖Φ‖", probT2MarginCheck(cfg)(model.Reference{}, NewStats()), "T2 refuted")
}

// probFlippedSign is a broken Stepper: gradient ascent (W_j + η∇_j).
type probFlippedSign struct{}

func (probFlippedSign) Name() string { return "flipped-sign" }

func (probFlippedSign) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := model.Loss(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	grads, err := model.Gradients(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	for j, g := range grads {
		w := n.Layer(j + 1)
		w.Add(w, probScaled(eta, g))
	}
	return loss, nil
}

func probScaled(a float64, m *mat.Dense) *mat.Dense {
	var s mat.Dense
	s.Scale(a, m)
	return &s
}

// T2's GD part on gradient ascent: the loss rises at the first step.
func TestT2_PlantedFlippedGradientFails(t *testing.T) {
	probExpectFailure(t, "T2 GD with a flipped-sign stepper", probT2GDCheck(probT2GD)(probFlippedSign{}, NewStats()), "loss increased")
}
