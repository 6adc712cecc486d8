package proofs

import "testing"

func TestL6_BalancedLayerNorms(t *testing.T) { runRegistered(t) }

func TestL6_BalancedLayerNorms_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L6 with ν up to 3000× the lemma's bound", l6Norms(NewStats(), l6Options{nuFactor: 3000}))
}
