package proofs

import (
	"math"
	"testing"

	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/model"
)

func TestL8_RotationInvariantMargin(t *testing.T) { probRun(t, model.Reference{}) }

// L8 with a typo in the bound: (3 − 2F(2/√b₁))/2 for (3 − 4F(2/√b₁))/2.
// That is ≥ 0.8(1 − ε) for every drawn b₁ ≥ 20, while the margin
// probability of any rotation-invariant law is < ½: every shell case (ε = 0,
// three kinds in four) and every Gaussian case with small ε exposes it.
func TestL8_PlantedBoundTypoFails(t *testing.T) {
	cfg := probL8
	cfg.bound = func(eps, b1 float64) float64 { return (1 - eps) * (3 - 2*stat.NormalCDF(2/math.Sqrt(b1))) / 2 }
	probExpectFailure(t, "L8 with 4F → 2F", probL8Check(cfg)(model.Reference{}, NewStats()), "L8 refuted")
}
