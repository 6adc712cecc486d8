package proofs

import "testing"

func TestL3_MirskySingularValues(t *testing.T) { runRegistered(t) }

func TestL3_MirskySingularValues_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L3 pairing descending with ascending singular values", l3Mirsky(NewStats(), l3Options{reverseB: true}))
}
