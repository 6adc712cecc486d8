package proofs

import "testing"

func TestB1_BalancedLayersArePowers(t *testing.T) { runRegistered(t) }

func TestB1_BalancedLayersArePowers_CatchesPlantedBug(t *testing.T) {
	// One broken exponent per clause; each must fail with its clause's message.
	a := b1Claimed
	a.rootExp = func(N int) float64 { return 1 / float64(N+1) }
	expectFailureWith(t, "B1 (a) with the root 1/(N+1)", b1Powers(NewStats(), a), "B1 (a) violated")
	b := b1Claimed
	b.leftExp = func(N, j int) float64 { return float64(N-j) / float64(N) }
	expectFailureWith(t, "B1 (b) with exponent (N−j)/N", b1Powers(NewStats(), b), "B1 (b) violated")
	c := b1Claimed
	c.rightExp = func(N, j int) float64 { return float64(j+1) / float64(N) }
	expectFailureWith(t, "B1 (c) with exponent (j+1)/N", b1Powers(NewStats(), c), "B1 (c) violated")
}
