package proofs

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
)

func TestC1_MarginBoundsSigmaMin(t *testing.T) { runRegistered(t) }

func TestC1_MarginBoundsSigmaMin_CatchesPlantedBug(t *testing.T) {
	// Broken constant: the margin measured against σ_max(Φ) instead of σ_min(Φ).
	broken := c1Options{sigmaOfPhi: func(phi mat.Matrix) float64 { return invariants.SpectralNorm(phi) }, cFactor: 1}
	expectFailure(t, "C1 with σ_max(Φ) in the margin", c1Margin(NewStats(), broken))
	// A 1 % error in the claim's constant: σ_min(W′) ≥ 1.01·c. The worst
	// direction at s = 1 reaches c exactly, so the edge cases refute it.
	expectFailureWith(t, "C1 claimed as σ_min(W′) ≥ 1.01c", c1Margin(NewStats(), c1Options{sigmaOfPhi: invariants.SigmaMin, cFactor: 1.01}), "C1 violated: σ_min(W′)")
}
