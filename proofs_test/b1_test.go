package proofs

import "testing"

func TestB1_BalancedLayersArePowers(t *testing.T) { runRegistered(t) }

func TestB1_BalancedLayersArePowers_CatchesPlantedBug(t *testing.T) {
	broken := b1Options{leftExp: func(N, j int) float64 { return float64(N-j) / float64(N) }}
	expectFailure(t, "B1 with exponent (N−j)/N", b1Powers(NewStats(), broken))
}
