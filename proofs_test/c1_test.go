package proofs

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
)

func TestC1_MarginBoundsSigmaMin(t *testing.T) { runRegistered(t) }

func TestC1_MarginBoundsSigmaMin_CatchesPlantedBug(t *testing.T) {
	// Broken constant: the margin measured against σ_max(Φ) instead of σ_min(Φ).
	broken := c1Options{sigmaOfPhi: func(phi mat.Matrix) float64 { return invariants.SpectralNorm(phi) }}
	expectFailure(t, "C1 with σ_max(Φ) in the margin", c1Margin(NewStats(), broken))
}
