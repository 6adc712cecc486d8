package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

func TestG1_ImbalanceChangesByEtaSquared(t *testing.T)     { runRegistered(t) }
func TestG2_EndToEndStepSecondOrder(t *testing.T)          { runRegistered(t) }
func TestS1_WhitenedLossReduction(t *testing.T)            { runRegistered(t) }
func TestS2_GradientMatchesFiniteDifferences(t *testing.T) { runRegistered(t) }
func TestS3_RotationInvariantTrajectory(t *testing.T)      { runRegistered(t) }

func TestG1_ImbalanceChangesByEtaSquared_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.DoubleEta{}, faulty.Sequential{}, faulty.DropLayer{}} {
		expectFailure(t, "G1 vs "+impl.Name(), G1ImbalanceChangesByEtaSquared(impl, NewStats()))
	}
}

func TestG2_EndToEndStepSecondOrder_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.DoubleEta{}, faulty.SignFlip{}} {
		expectFailure(t, "G2 vs "+impl.Name(), G2EndToEndStepSecondOrder(impl, NewStats()))
	}
}

func TestS1_WhitenedLossReduction_CatchesPlantedBug(t *testing.T) {
	// Broken constant: κ with the sign of ½‖Λ_yx‖_F² flipped.
	broken := s1Options{kappa: func(s model.Stats) float64 {
		f := 0.0
		r, c := s.Lyx.Dims()
		for i := 0; i < r; i++ {
			for j := 0; j < c; j++ {
				f += s.Lyx.At(i, j) * s.Lyx.At(i, j)
			}
		}
		return s.Kappa + f
	}}
	expectFailure(t, "S1 with κ = ½TrΛ_yy + ½‖Λ_yx‖²", s1Whitened(referenceStepper(), NewStats(), broken))
}

func TestS2_GradientMatchesFiniteDifferences_CatchesPlantedBug(t *testing.T) {
	for _, impl := range faulty.All() {
		if impl == (faulty.Sequential{}) {
			continue // an O(η²) mistake: G1's to catch, below S2's resolution at η = 10⁻³
		}
		expectFailure(t, "S2 vs "+impl.Name(), S2GradientMatchesFiniteDifferences(impl, NewStats()))
	}
}

func TestS3_RotationInvariantTrajectory_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.TransposedFactor{}, faulty.WrongOrder{}} {
		expectFailure(t, "S3 vs "+impl.Name(), S3RotationInvariantTrajectory(impl, NewStats()))
	}
}
