package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/model"
)

func TestCL2_BalancedWithHighProbability(t *testing.T) { probRun(t, model.Reference{}) }

func TestCL2_StrongerReadingNMinus1(t *testing.T) { probRun(t, model.Reference{}) }

// CL2 with the init's std given "in percent" (×100): s⁴ grows 10⁸-fold, so
// every case's layers are far from δ-balanced while the claim still
// promises ≥ 0.3.
func TestCL2_PlantedStdInPercentFails(t *testing.T) {
	cfg := probCL2
	cfg.initStd = 100
	probExpectFailure(t, "CL2 with std ×100", probCL2Check(cfg)(model.Reference{}, NewStats()), "CL2 refuted")
}

// The N−1 reading with the same planted bug.
func TestCL2_PlantedStdInPercentFailsNMinus1(t *testing.T) {
	cfg := probCL2NMinus1
	cfg.initStd = 100
	probExpectFailure(t, "CL2 (N−1) with std ×100", probCL2Check(cfg)(model.Reference{}, NewStats()), "CL2 refuted")
}
