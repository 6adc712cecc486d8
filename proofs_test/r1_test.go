package proofs

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/invariants"
)

func TestR1_ResidualIdentityStart(t *testing.T) { runRegistered(t) }

func TestR1_ResidualIdentityStart_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "R1 vs "+faulty.SignFlip{}.Name(), r1Residual(faulty.SignFlip{}, NewStats(), r1Options{margin: invariants.ResidualMargin, steps: 100}))
	// Broken constant: c = 1 − ‖Φ − I‖_F (the factor 2 dropped) is not a margin of I.
	broken := func(phi mat.Matrix) float64 { return (1 + invariants.ResidualMargin(phi)) / 2 }
	expectFailure(t, "R1 with c = 1 − ‖Φ−I‖_F", r1Residual(referenceStepper(), NewStats(), r1Options{margin: broken, steps: 10}))
}
