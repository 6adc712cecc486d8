package proofs

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/invariants"
)

func TestT1_FullHorizon(t *testing.T)           { t.Parallel(); runRegistered(t) }
func TestL1_DescentEveryStep(t *testing.T)      { t.Parallel(); runRegistered(t) }
func TestL2_InvariantsEveryStep(t *testing.T)   { t.Parallel(); runRegistered(t) }
func TestR1_ResidualIdentityStart(t *testing.T) { runRegistered(t) }

// Planted bugs: the bodies run with a small budget (the bug shows at the
// first steps), against the faulty steppers named.
func TestT1_FullHorizon_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "T1 vs "+faulty.SignFlip{}.Name(), t1FullHorizon(faulty.SignFlip{}, NewStats(), 20_000))
	expectFailure(t, "T1 vs "+faulty.DropLayer{}.Name(), t1FullHorizon(faulty.DropLayer{}, NewStats(), 20_000))
}

func TestL1_DescentEveryStep_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L1 vs "+faulty.SignFlip{}.Name(), l1Descent(faulty.SignFlip{}, NewStats(), 200))
}

func TestL2_InvariantsEveryStep_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L2 vs "+faulty.SignFlip{}.Name(), l2Invariants(faulty.SignFlip{}, NewStats(), 200))
}

func TestR1_ResidualIdentityStart_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "R1 vs "+faulty.SignFlip{}.Name(), r1Residual(faulty.SignFlip{}, NewStats(), r1Options{margin: invariants.ResidualMargin, steps: 100}))
	// Broken constant: c = 1 − ‖Φ − I‖_F (the factor 2 dropped) is not a margin of I.
	broken := func(phi mat.Matrix) float64 { return (1 + invariants.ResidualMargin(phi)) / 2 }
	expectFailure(t, "R1 with c = 1 − ‖Φ−I‖_F", r1Residual(referenceStepper(), NewStats(), r1Options{margin: broken, steps: 10}))
}
