package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
)

func TestL2_InvariantsEveryStep(t *testing.T) { t.Parallel(); runRegistered(t) }

func TestL2_InvariantsEveryStep_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L2 vs "+faulty.SignFlip{}.Name(), l2Invariants(faulty.SignFlip{}, NewStats(), 200))
}
