package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

func TestG2_EndToEndStepSecondOrder(t *testing.T) { runRegistered(t) }

func TestG2_EndToEndStepSecondOrder_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.DoubleEta{}, faulty.SignFlip{}} {
		expectFailure(t, "G2 vs "+impl.Name(), G2EndToEndStepSecondOrder(impl, NewStats()))
	}
	// The explicit η² bound, 10× too small: the remainder exceeds it.
	expectFailureWith(t, "G2 with the η² bound divided by 10", g2Second(referenceStepper(), NewStats(), g2Options{boundFactor: 0.1}), "G2 violated: the η² terms")
}
