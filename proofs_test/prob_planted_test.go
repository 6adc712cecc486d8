package proofs

// Planted-bug companions of the probabilistic properties: each runs the
// same property body with one thing broken and asserts (through the
// recording rapidtb.Check) that it fails, with the property's own
// refutation message. The bugs are chosen so that most drawn cases expose
// them with overwhelming probability, so that even a -short run (20 cases)
// misses them with negligible probability: these tests do not flake
// either. See the comment on each.

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/model"
)

// CL2 with the init's std given "in percent" (×100): s⁴ grows 10⁸-fold, so
// every case's layers are far from δ-balanced while the claim still
// promises ≥ 0.3.
func TestCL2_PlantedStdInPercentFails(t *testing.T) {
	cfg := probCL2
	cfg.key, cfg.initStd = "planted/CL2/std", 100
	probExpectFailure(t, "CL2 with std ×100", probCL2Check(cfg)(model.Reference{}, NewStats()), "CL2 refuted")
	probTake(cfg.key)
}

// The N−1 reading with the same planted bug.
func TestCL2_PlantedStdInPercentFailsNMinus1(t *testing.T) {
	cfg := probCL2NMinus1
	cfg.key, cfg.initStd = "planted/CL2/std/n-1", 100
	probExpectFailure(t, "CL2 (N−1) with std ×100", probCL2Check(cfg)(model.Reference{}, NewStats()), "CL2 refuted")
	probTake(cfg.key)
}

// CL3 small-s with the init's std ×100: the deficit f·E‖W‖/(2‖Φ‖) grows
// 100^N-fold, from ≥ 0.005 to ≥ 0.5, so P(margin) falls far below the
// claimed ≥ 0.3.
func TestCL3_PlantedStdInPercentFails(t *testing.T) {
	cfg := probCL3Small
	cfg.key, cfg.initStd = "planted/CL3/std", 100
	probExpectFailure(t, "CL3 small-s with std ×100", probCL3SmallCheck(cfg)(model.Reference{}, NewStats()), "CL3 small-s refuted")
	probTake(cfg.key)
}

// CL3 small-s with a subtle constant bug: the density bound of u₁,
// f_max(d_0) ≈ √(d_0/2π), replaced by the density 1/√(2π) of the rescaled
// coordinate √d_0·u₁. The claimed deficit shrinks by ≈ √d_0 ≥ 4.4 while the
// true one does not (the derived bound is first-order tight), so at the
// large deficits (Level ≥ 0.1) the claim exceeds the truth by ≥ 0.075;
// 4000 draws per case resolve that at > 9σ.
func TestCL3_PlantedDensityConstantFails(t *testing.T) {
	cfg := probCL3Small
	cfg.key, cfg.samples, cfg.minLevel = "planted/CL3/density", 4000, 0.1
	cfg.densityFactor = func(d0 int) float64 { return 1 / (math.Sqrt(2*math.Pi) * stat.SphereCoordinateDensityMax(d0)) }
	probExpectFailure(t, "CL3 small-s with the √d₀·u₁ density", probCL3SmallCheck(cfg)(model.Reference{}, NewStats()), "CL3 small-s refuted")
	probTake(cfg.key)
}

// CL3 large-s with the init's std ×10⁻⁴: the product shrinks 10^{4N}-fold,
// into the small-s regime where P(margin > 0) is near ½, above every
// claimed collapse bound (≤ 0.45).
func TestCL3_PlantedStdShrunkFails(t *testing.T) {
	cfg := probCL3Large
	cfg.key, cfg.initStd = "planted/CL3/large", 1e-4
	probExpectFailure(t, "CL3 large-s with std ×1e-4", probCL3LargeCheck(cfg)(model.Reference{}, NewStats()), "CL3 large-s refuted")
	probTake(cfg.key)
}

// L8 with a typo in the bound: (3 − 2F(2/√b₁))/2 for (3 − 4F(2/√b₁))/2.
// That is ≥ 0.8(1 − ε) for every drawn b₁ ≥ 20, while the margin
// probability of any rotation-invariant law is < ½: every shell case (ε = 0,
// three kinds in four) and every Gaussian case with small ε exposes it.
func TestL8_PlantedBoundTypoFails(t *testing.T) {
	cfg := probL8
	cfg.key = "planted/L8/typo"
	cfg.bound = func(eps, b1 float64) float64 { return (1 - eps) * (3 - 2*stat.NormalCDF(2/math.Sqrt(b1))) / 2 }
	probExpectFailure(t, "L8 with 4F → 2F", probL8Check(cfg)(model.Reference{}, NewStats()), "L8 refuted")
	probTake(cfg.key)
}

// T2 with the init's scale forgotten (s = ‖Φ‖ instead of ≤ ‖Φ‖/√(a d_0²)):
// ‖A‖ ≈ ‖Φ‖√d_0 ≥ 10‖Φ‖, and no start with ‖W − Φ‖ ≥ ‖W‖ − ‖Φ‖ > ‖Φ‖ has
// a margin, while the claim promises > 0.25.
func TestT2_PlantedStdScaleForgottenFails(t *testing.T) {
	cfg := probT2
	cfg.key = "planted/T2/std"
	cfg.initStd = func(c gen.ScalarBalancedCase) float64 { return c.PhiNorm }
	probExpectFailure(t, "T2 with s = ‖Φ‖", probT2MarginCheck(cfg)(model.Reference{}, NewStats()), "T2 refuted")
	probTake(cfg.key)
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
	probTake("TestT2_GDConvergesFromMarginStarts/steps")
}
