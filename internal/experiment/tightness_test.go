package experiment

import (
	"context"
	"math"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Every generated case meets Theorem 1's hypotheses (measured), and the
// δ-perturbed starts keep the product (so the margin).
func TestTightnessCasesMeetTheorem1(t *testing.T) {
	for i := 0; i < 12; i++ {
		n, phi, c, err := TightnessCase(1, i)
		require.NoError(t, err)
		h := invariants.CheckTheorem1(n, phi, 0, 0)
		h = invariants.CheckTheorem1(n, phi, h.EtaBound, 0)
		t.Logf("case %d: N=%d dims=%v c=%.3f (built %.3f) δ=%.1e ≤ δ*=%.1e η*=%.1e", i, h.N, h.Dims, h.C, c, h.Delta, h.DeltaBound, h.EtaBound)
		require.True(t, h.Holds(), "case %d: %+v", i, h)
		require.InDelta(t, c, h.C, 1e-9)
		m, err := model.PerturbImbalance(n, 100*h.DeltaBound, model.NewRand(5))
		require.NoError(t, err)
		require.InDelta(t, 100*h.DeltaBound, invariants.Imbalance(m), 1e-6*h.DeltaBound)
		var d mat.Dense
		d.Sub(m.Product(), n.Product())
		require.Less(t, mat.Norm(&d, 2), 1e-9)
	}
}

// scaledStep is a deliberately wrong stepper taking steps k·η.
type scaledStep struct{ k float64 }

func (s scaledStep) Name() string { return "scaled" }
func (s scaledStep) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	return model.Reference{}.Step(n, phi, s.k*eta)
}

// The η search finds a bracketed threshold, and it is seen to respond to a
// planted bug: a stepper that silently doubles η halves the measured
// largest multiple (to the bisection's resolution).
func TestTightnessEtaSearch(t *testing.T) {
	if testing.Short() {
		t.Skip("two tightness searches (~40 bisection trials)")
	}
	// Case 0 of seed 1: N = 4, dims 3-3-3-3-1.
	cfg := TightnessConfig{Cases: 1, Seed: 1, Epsilon: 1e-6, Budget: 200_000, Workers: 1}
	ok, err := RunTightness(context.Background(), cfg)
	require.NoError(t, err)
	cfg.NewStepper = func() model.Stepper { return scaledStep{2} }
	bad, err := RunTightness(context.Background(), cfg)
	require.NoError(t, err)
	a, b := ok[0], bad[0]
	t.Logf("case 0: η* = %.2e, max η/η* = %.4g (%s), with doubled steps %.4g; δ: %.4g vs %.4g", a.EtaBound, a.EtaMultiple, a.EtaStatus, b.EtaMultiple, a.DeltaMultiple, b.DeltaMultiple)
	require.True(t, a.Holds)
	require.Equal(t, TightBracketed, a.EtaStatus)
	require.GreaterOrEqual(t, a.EtaMultiple, 1.0)
	require.InDelta(t, 0.5, b.EtaMultiple/a.EtaMultiple, 0.5*4*bisectTol)
	require.False(t, math.IsNaN(a.DeltaMultiple))
}

// sequentialFast is model.Fast under another type, so that measureCase
// takes the sequential path (only *model.Fast takes the batched one).
type sequentialFast struct{ *model.Fast }

// TestTightnessBatchedSearchMatchesSequential: with model.Fast the searches
// run in lanes of a model.Batch with speculative bisection; on every case
// they find the same multiples, statuses and trial counts as the
// sequential search with Fast.
func TestTightnessBatchedSearchMatchesSequential(t *testing.T) {
	cases := 3
	if testing.Short() {
		cases = 1
	}
	cfg := TightnessConfig{Cases: cases, Seed: 3, Epsilon: 1e-6, Budget: 200_000, Workers: 1}
	for i := 0; i < cases; i++ {
		t0 := time.Now()
		b, err := measureCase(context.Background(), cfg, model.NewFast(), i)
		require.NoError(t, err)
		tb := time.Since(t0)
		t0 = time.Now()
		s, err := measureCase(context.Background(), cfg, sequentialFast{model.NewFast()}, i)
		require.NoError(t, err)
		ts := time.Since(t0)
		require.Equal(t, s.EtaMultiple, b.EtaMultiple, "case %d", i)
		require.Equal(t, s.EtaStatus, b.EtaStatus, "case %d", i)
		require.Equal(t, s.DeltaMultiple, b.DeltaMultiple, "case %d", i)
		require.Equal(t, s.DeltaStatus, b.DeltaStatus, "case %d", i)
		require.Equal(t, s.Trials, b.Trials, "case %d", i)
		t.Logf("case %d dims %v: η up to %.4g·η* (%s), δ up to %.4g·δ* (%s), %d trials: batched %.2fs, sequential %.2fs",
			i, b.Dims, b.EtaMultiple, b.EtaStatus, b.DeltaMultiple, b.DeltaStatus, b.Trials, tb.Seconds(), ts.Seconds())
	}
}
