package proofs

import (
	"math"
	"testing"

	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/model"
)

func TestCL3_MarginNearHalfAtSmallStd(t *testing.T) { probRun(t, model.Reference{}) }

func TestCL3_MarginCollapsesAtLargeStd(t *testing.T) { probRun(t, model.Reference{}) }

// CL3 small-s with the init's std ×100: the deficit f·E‖W‖/(2‖Φ‖) grows
// 100^N-fold, from ≥ 0.005 to ≥ 0.5, so P(margin) falls far below the
// claimed ≥ 0.3.
func TestCL3_PlantedStdInPercentFails(t *testing.T) {
	cfg := probCL3Small
	cfg.initStd = 100
	probExpectFailure(t, "CL3 small-s with std ×100", probCL3SmallCheck(cfg)(model.Reference{}, NewStats()), "CL3 small-s refuted")
}

// CL3 small-s with a subtle constant bug: the density bound of u₁,
// f_max(d_0) ≈ √(d_0/2π), replaced by the density 1/√(2π) of the rescaled
// coordinate √d_0·u₁. The claimed deficit shrinks by ≈ √d_0 ≥ 4.4 while the
// true one does not (the derived bound is first-order tight), so at the
// large deficits (Level ≥ 0.1) the claim exceeds the truth by ≥ 0.075;
// 4000 draws per case resolve that at > 9σ.
func TestCL3_PlantedDensityConstantFails(t *testing.T) {
	cfg := probCL3Small
	cfg.samples, cfg.minLevel = 4000, 0.1
	cfg.densityFactor = func(d0 int) float64 { return 1 / (math.Sqrt(2*math.Pi) * stat.SphereCoordinateDensityMax(d0)) }
	probExpectFailure(t, "CL3 small-s with the √d₀·u₁ density", probCL3SmallCheck(cfg)(model.Reference{}, NewStats()), "CL3 small-s refuted")
}

// CL3 large-s with the init's std ×10⁻⁴: the product shrinks 10^{4N}-fold,
// into the small-s regime where P(margin > 0) is near ½, above every
// claimed collapse bound (≤ 0.45).
func TestCL3_PlantedStdShrunkFails(t *testing.T) {
	cfg := probCL3Large
	cfg.initStd = 1e-4
	probExpectFailure(t, "CL3 large-s with std ×1e-4", probCL3LargeCheck(cfg)(model.Reference{}, NewStats()), "CL3 large-s refuted")
}
