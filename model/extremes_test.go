package model_test

// Numerical extremes (issue 7): entries near 1e±150, rank-deficient Φ,
// d_0 = 1, d_N = 1, N = 1, N ≥ 50, m = d_x. Every public entry point must
// return a result or an error (never panic), and a run whose loss leaves
// the finite range must end as StatusDiverged, never as an error, a
// convergence or a finite-looking loss. Both steppers (Reference, Fast)
// go through the same cases.

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

func steppers() []model.Stepper { return []model.Stepper{model.Reference{}, model.NewFast()} }

// constNet is N layers of the given dims with every entry equal to v.
func constNet(t *testing.T, dims []int, v float64) *model.Net {
	t.Helper()
	ls := make([]mat.Matrix, len(dims)-1)
	for j := range ls {
		m := mat.NewDense(dims[j+1], dims[j], nil)
		for i := range m.RawMatrix().Data {
			m.RawMatrix().Data[i] = v
		}
		ls[j] = m
	}
	n, err := model.NewNet(ls)
	require.NoError(t, err)
	return n
}

func finite(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }

// Entries near 1e150: the product of two such layers overflows the loss.
// The run must say "diverged" at step 0, without error; the measurements
// on such a state are NaN or +Inf, never a passing value.
func TestExtremesHugeEntriesDiverge(t *testing.T) {
	for _, impl := range steppers() {
		for _, dims := range [][]int{{2, 2, 2}, {1, 3, 1}, {3, 1}} {
			n := constNet(t, dims, 1e150)
			phi := mat.NewDense(dims[len(dims)-1], dims[0], nil)
			res, err := model.Run(impl, n, phi, model.RunConfig{Eta: 1e-3, MaxSteps: 10, Measure: invariants.Measure})
			require.NoError(t, err, "%s dims %v", impl.Name(), dims)
			if len(dims) == 2 {
				// N = 1: loss ½‖W‖² ≈ 1e300·d, finite; one step of η = 1e-3 shrinks it.
				require.NotEqual(t, model.StatusDiverged, res.Status)
				require.True(t, finite(res.FinalLoss))
				continue
			}
			require.Equal(t, model.StatusDiverged, res.Status, "%s dims %v loss %v", impl.Name(), dims, res.InitialLoss)
			require.Equal(t, 0, res.Steps)
			h := invariants.CheckTheorem1(n, phi, 1e-3, 0)
			require.False(t, h.Holds(), "%+v", h)
		}
	}
}

// A finite start whose iterates overflow mid-run (η far too large and no
// DivergeAbove cap): the non-finite loss is reported as divergence.
func TestExtremesOverflowMidRunIsDivergence(t *testing.T) {
	for _, impl := range steppers() {
		for _, N := range []int{2, 3, 6} {
			n, err := model.Identity(2, N)
			require.NoError(t, err)
			for j := 1; j <= N; j++ {
				n.Layer(j).Scale(3, n.Layer(j))
			}
			phi := mat.NewDense(2, 2, []float64{1, 0, 0, -1})
			res, err := model.Run(impl, n, phi, model.RunConfig{Eta: 1, MaxSteps: 10000, Stride: 1,
				DivergeAbove: math.MaxFloat64, Measure: invariants.Measure})
			require.NoError(t, err, "%s N=%d", impl.Name(), N)
			require.Equal(t, model.StatusDiverged, res.Status, "%s N=%d", impl.Name(), N)
			require.Less(t, res.Steps, 10000)
			require.False(t, finite(res.FinalLoss) && res.FinalLoss < math.MaxFloat64, "final loss %v", res.FinalLoss)
			// Every record before the blow-up is finite; after, measurements
			// are NaN/Inf rather than small numbers that would pass a check.
			last := res.Trajectory[len(res.Trajectory)-1]
			require.False(t, last.Margin > 0, "a diverged state has margin %v", last.Margin)
		}
	}
}

// Entries near 1e-150: products underflow towards 0, GD barely moves, and
// nothing is NaN.
func TestExtremesTinyEntries(t *testing.T) {
	for _, impl := range steppers() {
		for _, dims := range [][]int{{2, 2, 2}, {1, 3, 1}, {3, 2, 2, 3}} {
			n := constNet(t, dims, 1e-150)
			phi := mat.NewDense(dims[len(dims)-1], dims[0], nil)
			phi.Set(0, 0, 1)
			res, err := model.Run(impl, n, phi, model.RunConfig{Eta: 1e-2, MaxSteps: 50, Measure: invariants.Measure})
			require.NoError(t, err)
			require.Equal(t, model.StatusMaxSteps, res.Status)
			require.InDelta(t, 0.5, res.FinalLoss, 1e-12, "%s dims %v", impl.Name(), dims)
			require.True(t, n.Finite())
			for _, r := range res.Trajectory {
				require.False(t, math.IsNaN(r.Imbalance) || math.IsNaN(r.SigmaMin) || math.IsNaN(r.MaxSpectral), "%+v", r)
			}
		}
	}
	// Procedure 1 on a tiny A: the roots are 1e-150^{1/N}, exact products.
	a := mat.NewDense(2, 2, []float64{1e-150, 0, 0, 3e-150})
	n, err := model.Balanced(a, []int{2, 2, 2, 2}, model.NewRand(1))
	require.NoError(t, err)
	var d mat.Dense
	d.Sub(n.Product(), a)
	require.Less(t, mat.Norm(&d, 2), 1e-13*3e-150)
}

// A rank-deficient Φ has σ_min(Φ) = 0: no start has a deficiency margin,
// so Theorem 1's hypotheses never hold, and GD still runs.
func TestExtremesRankDeficientTarget(t *testing.T) {
	rng := model.NewRand(5)
	phi, err := linalg.FromSingularValues(3, 3, []float64{1, 0.5, 0}, rng)
	require.NoError(t, err)
	for _, start := range []float64{0, 0.3, 1} {
		n, err := model.Balanced(phi, []int{3, 3, 3}, nil)
		require.NoError(t, err)
		if start > 0 {
			n, err = model.BalancedGaussian([]int{3, 3, 3}, start, model.NewRand(6), true)
			require.NoError(t, err)
		}
		h := invariants.CheckTheorem1(n, phi, 1e-9, 0)
		require.False(t, h.Holds(), "rank-deficient Φ, start %v: %+v", start, h)
		require.LessOrEqual(t, invariants.NetMargin(n, phi), 1e-15)
		for _, impl := range steppers() {
			res, err := model.Run(impl, n.Clone(), phi, model.RunConfig{Eta: 1e-2, MaxSteps: 200})
			require.NoError(t, err)
			require.True(t, finite(res.FinalLoss))
		}
	}
	// A claimed margin against a rank-deficient Φ is rejected too.
	n, _ := model.Balanced(phi, []int{3, 3, 3}, nil)
	require.False(t, invariants.CheckTheorem1(n, phi, 1e-12, 0.1).Holds())
}

// Degenerate shapes: d_0 = 1, d_N = 1, N = 1, and deep nets (N = 50, 64).
// For each, the whole public surface runs; where the answer is known in
// closed form it is checked.
func TestExtremesShapes(t *testing.T) {
	shapes := [][]int{
		{1, 1},       // N = 1, scalar
		{1, 4, 3},    // d_0 = 1
		{4, 3, 1},    // d_N = 1
		{1, 1, 1, 1}, // all scalar
		{3, 2},       // N = 1, wide
		{2, 5},       // N = 1, tall
	}
	deep := func(N, d int) []int {
		s := make([]int, N+1)
		for i := range s {
			s[i] = d
		}
		return s
	}
	shapes = append(shapes, deep(50, 1), deep(50, 2), deep(64, 3))
	for _, dims := range shapes {
		N := len(dims) - 1
		rng := model.NewRand(uint64(7 * N))
		phi := model.GaussianMatrix(dims[N], dims[0], 1, rng)
		// A near-balanced start close to Φ: Procedure 1 on Φ scaled by 0.9.
		var a mat.Dense
		a.Scale(0.9, phi)
		n, err := model.Balanced(&a, dims, rng)
		if !invariants.WidthsOK(dims) {
			require.Error(t, err)
			continue
		}
		require.NoError(t, err, "dims %v", dims)
		require.Less(t, invariants.Imbalance(n), 1e-10, "dims %v", dims)
		g, err := model.Gradients(n, phi)
		require.NoError(t, err)
		require.Len(t, g, N)
		if N == 1 {
			// ∂L/∂W_1 = W − Φ exactly.
			var e mat.Dense
			e.Sub(n.Product(), phi)
			require.True(t, mat.Equal(&e, g[0]))
		}
		for _, impl := range steppers() {
			m := n.Clone()
			res, err := model.Run(impl, m, phi, model.RunConfig{Eta: 1e-3, MaxSteps: 100, Stride: 25, Measure: invariants.Measure})
			require.NoError(t, err, "%s dims %v", impl.Name(), dims)
			require.True(t, finite(res.FinalLoss))
			require.LessOrEqual(t, res.FinalLoss, res.InitialLoss, "%s dims %v: small-η GD from near Φ descends", impl.Name(), dims)
		}
		require.NoError(t, model.Flow(n.Clone(), phi, model.FlowConfig{Time: 0.05, Dt: 0.01}))
		var rec model.Record
		invariants.Measure(n, phi, &rec)
		require.True(t, finite(rec.Imbalance) && finite(rec.Margin) && finite(rec.SigmaMin) && finite(rec.MaxSpectral), "%+v", rec)
		_ = invariants.CheckTheorem1(n, phi, 1e-6, 0)
		if N > 1 {
			p, err := model.PerturbImbalance(n, 1e-3, model.NewRand(3))
			require.NoError(t, err, "dims %v", dims)
			require.InDelta(t, 1e-3, invariants.Imbalance(p), 1e-11)
		} else {
			_, err := model.PerturbImbalance(n, 1e-3, model.NewRand(3))
			require.Error(t, err)
		}
		_, err = model.Gaussian(dims, 0.1, rng)
		require.NoError(t, err)
		_, err = model.BalancedGaussian(dims, 0.1, rng, true)
		require.NoError(t, err)
	}
	// N = 50 identity: every partial product is the identity.
	n, err := model.Identity(3, 50)
	require.NoError(t, err)
	require.True(t, mat.Equal(n.Product(), linalg.Identity(3)))
}

// m = d_x: whitened data generation works with noise 0 (and rejects a
// noise component, which would need m > d_x); raw data with m = d_x cannot
// be whitened after centring (rank ≤ m − 1 < d_x), which is an error.
func TestExtremesExamplesEqualInputDim(t *testing.T) {
	for _, dx := range []int{1, 2, 5} {
		phi := model.GaussianMatrix(2, dx, 1, model.NewRand(1))
		d, err := model.WhitenedData(phi, dx, 0, model.NewRand(2))
		require.NoError(t, err)
		st := d.Moments()
		require.True(t, mat.EqualApprox(st.Lxx, linalg.Identity(dx), 1e-12))
		require.True(t, mat.EqualApprox(st.Lyx, phi, 1e-12))
		_, err = model.WhitenedData(phi, dx, 0.1, model.NewRand(2))
		require.Error(t, err)
		_, err = model.Whiten(d.X, d.Y)
		require.Error(t, err, "dx = %d", dx)
		// m = d_x + 1 is the least m that can be whitened.
		raw := model.GaussianMatrix(dx, dx+1, 1, model.NewRand(3))
		w, err := model.Whiten(raw, model.GaussianMatrix(1, dx+1, 1, model.NewRand(4)))
		require.NoError(t, err)
		require.True(t, mat.EqualApprox(w.Moments().Lxx, linalg.Identity(dx), 1e-9))
	}
	// Huge and tiny raw features: whitening is scale-free (it never forms
	// XXᵀ) up to overflow of the column means.
	for _, s := range []float64{1e-150, 1e150, 1e-300, 1e300} {
		raw := model.GaussianMatrix(2, 6, s, model.NewRand(5))
		w, err := model.Whiten(raw, model.GaussianMatrix(1, 6, 1, model.NewRand(6)))
		require.NoError(t, err, "scale %g", s)
		require.True(t, mat.EqualApprox(w.Moments().Lxx, linalg.Identity(2), 1e-9), "scale %g", s)
	}
	raw := mat.NewDense(1, 6, []float64{1.7e308, 1.6e308, 1.7e308, 1.5e308, 1.7e308, 1.6e308}) // the sum of the mean overflows
	_, err := model.Whiten(raw, model.GaussianMatrix(1, 6, 1, model.NewRand(6)))
	require.ErrorIs(t, err, model.ErrNonFinite)
}

// Non-finite parameters are errors everywhere, never panics or results.
func TestExtremesNonFiniteParameters(t *testing.T) {
	n, _ := model.Identity(2, 2)
	phi := linalg.Identity(2)
	for _, eta := range []float64{math.NaN(), math.Inf(1), 0, -1} {
		for _, impl := range steppers() {
			_, err := impl.Step(n, phi, eta)
			require.Error(t, err, "%s η=%v", impl.Name(), eta)
		}
		_, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: eta, MaxSteps: 1})
		require.Error(t, err)
	}
	bad := mat.NewDense(2, 2, []float64{1, math.NaN(), 0, 1})
	for _, impl := range steppers() {
		before := n.Clone()
		_, err := impl.Step(n, bad, 0.1)
		require.Error(t, err, impl.Name())
		require.True(t, mat.Equal(before.Product(), n.Product()), "%s changed the net on a bad Φ", impl.Name())
	}
	_, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.1, MaxSteps: 1, Epsilon: math.NaN()})
	require.Error(t, err)
	_, err = model.Balanced(bad, []int{2, 2, 2}, nil)
	require.ErrorIs(t, err, model.ErrNonFinite)
	_, err = model.Gaussian([]int{2, 2}, math.NaN(), model.NewRand(1))
	require.Error(t, err)
	_, err = model.BalancedGaussian([]int{2, 2}, math.Inf(1), model.NewRand(1), false)
	require.Error(t, err)
	_, err = model.PerturbImbalance(n, math.NaN(), model.NewRand(1))
	require.Error(t, err)
	require.Error(t, model.Flow(n, phi, model.FlowConfig{Time: math.NaN(), Dt: 0.1}))
	require.Error(t, model.Flow(n, phi, model.FlowConfig{Time: 1, Dt: math.Inf(1)}))
	_, err = model.WhitenedData(phi, 4, math.NaN(), model.NewRand(1))
	require.Error(t, err)
}
