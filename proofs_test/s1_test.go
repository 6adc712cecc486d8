package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/model"
)

func TestS1_WhitenedLossReduction(t *testing.T) { runRegistered(t) }

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
