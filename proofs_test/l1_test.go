package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
)

func TestL1_DescentEveryStep(t *testing.T) { t.Parallel(); runRegistered(t) }

func TestL1_DescentEveryStep_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L1 vs "+faulty.SignFlip{}.Name(), l1Descent(faulty.SignFlip{}, NewStats(), 200))
}
