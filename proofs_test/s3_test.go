package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

func TestS3_RotationInvariantTrajectory(t *testing.T) { runRegistered(t) }

func TestS3_RotationInvariantTrajectory_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.TransposedFactor{}, faulty.WrongOrder{}} {
		expectFailure(t, "S3 vs "+impl.Name(), S3RotationInvariantTrajectory(impl, NewStats()))
	}
}
