package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
)

func TestT1_FullHorizon(t *testing.T) { t.Parallel(); runRegistered(t) }

// Planted bugs: the bodies run with a small budget (the bug shows at the
// first steps), against the faulty steppers named.
func TestT1_FullHorizon_CatchesPlantedBug(t *testing.T) {
	// On N ≥ 2 cases every clause is caught with its own message by
	// TestT1_FullHorizonFast_CatchesPlantedBug (same t1Monitor).
	expectFailure(t, "T1 vs "+faulty.SignFlip{}.Name(), t1FullHorizon(faulty.SignFlip{}, NewStats(), 20_000))
	expectFailure(t, "T1 vs "+faulty.DropLayer{}.Name(), t1FullHorizon(faulty.DropLayer{}, NewStats(), 20_000))
}
