package proofs

import "testing"

func TestA1_NarrowLayerHasNoMargin(t *testing.T) { runRegistered(t) }

func TestA1_NarrowLayerHasNoMargin_CatchesPlantedBug(t *testing.T) {
	// Off-by-one: "narrow" allowed to equal min(d_0, d_N).
	expectFailure(t, "A1 with d_j ≤ min(d_0, d_N) counted narrow", a1Narrow(referenceStepper(), NewStats(), a1Options{extra: 1}))
}
