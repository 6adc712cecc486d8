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
}
