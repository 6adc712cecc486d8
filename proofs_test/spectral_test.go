package proofs

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

func TestC1_MarginBoundsSigmaMin(t *testing.T)   { runRegistered(t) }
func TestA1_NarrowLayerHasNoMargin(t *testing.T) { runRegistered(t) }
func TestL3_MirskySingularValues(t *testing.T)   { runRegistered(t) }
func TestL6_BalancedLayerNorms(t *testing.T)     { runRegistered(t) }

func TestC1_MarginBoundsSigmaMin_CatchesPlantedBug(t *testing.T) {
	// Broken constant: the margin measured against σ_max(Φ) instead of σ_min(Φ).
	broken := c1Options{sigmaOfPhi: func(phi mat.Matrix) float64 { return linalg.SpectralNorm(phi) }}
	expectFailure(t, "C1 with σ_max(Φ) in the margin", c1Margin(NewStats(), broken))
}

func TestA1_NarrowLayerHasNoMargin_CatchesPlantedBug(t *testing.T) {
	// Off-by-one: "narrow" allowed to equal min(d_0, d_N).
	expectFailure(t, "A1 with d_j ≤ min(d_0, d_N) counted narrow", a1Narrow(referenceStepper(), NewStats(), a1Options{extra: 1}))
}

func TestL3_MirskySingularValues_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L3 pairing descending with ascending singular values", l3Mirsky(NewStats(), l3Options{reverseB: true}))
}

func TestL6_BalancedLayerNorms_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "L6 with ν up to 3000× the lemma's bound", l6Norms(NewStats(), l6Options{nuFactor: 3000}))
}
