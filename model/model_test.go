package model_test

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

func randNet(t *testing.T, dims []int, s float64, seed uint64) *model.Net {
	t.Helper()
	n, err := model.Gaussian(dims, s, model.NewRand(seed))
	require.NoError(t, err)
	return n
}

func TestNewNetValidates(t *testing.T) {
	_, err := model.NewNet(nil)
	require.ErrorIs(t, err, model.ErrShape)
	_, err = model.NewNet([]mat.Matrix{mat.NewDense(2, 3, nil), mat.NewDense(2, 3, nil)})
	require.ErrorIs(t, err, model.ErrShape)
	require.Contains(t, err.Error(), "d_1")
	_, err = model.NewNet([]mat.Matrix{mat.NewDense(1, 1, []float64{math.NaN()})})
	require.ErrorIs(t, err, model.ErrNonFinite)
	_, err = model.NewNetFromRows([][][]float64{{{1, 2}, {3}}})
	require.ErrorIs(t, err, model.ErrShape)
	n, err := model.NewNetFromRows([][][]float64{{{1, 2}}, {{3}, {4}}})
	require.NoError(t, err)
	require.Equal(t, []int{2, 1, 2}, n.Dims())
	_, err = model.Loss(n, mat.NewDense(1, 2, nil))
	require.ErrorIs(t, err, model.ErrShape)
}

// Gradients (S2) agree with central finite differences of the loss.
func TestGradientsMatchFiniteDifferences(t *testing.T) {
	for _, dims := range [][]int{{1, 1}, {3, 2, 4}, {2, 3, 3, 1}, {1, 4, 2, 3, 2}} {
		n := randNet(t, dims, 0.7, 7)
		phi := model.GaussianMatrix(dims[len(dims)-1], dims[0], 1, model.NewRand(8))
		g, err := model.Gradients(n, phi)
		require.NoError(t, err)
		const h = 1e-6
		for j := 1; j <= n.N(); j++ {
			w := n.Layer(j)
			r, c := w.Dims()
			for a := 0; a < r; a++ {
				for b := 0; b < c; b++ {
					v := w.At(a, b)
					w.Set(a, b, v+h)
					lp, _ := model.Loss(n, phi)
					w.Set(a, b, v-h)
					lm, _ := model.Loss(n, phi)
					w.Set(a, b, v)
					fd := (lp - lm) / (2 * h)
					require.InDelta(t, fd, g[j-1].At(a, b), 1e-6*(1+math.Abs(fd)), "dims %v layer %d (%d,%d)", dims, j, a, b)
				}
			}
		}
	}
}

func TestPartialConventions(t *testing.T) {
	n := randNet(t, []int{2, 3, 4}, 1, 1)
	id, err := n.Partial(1, 0)
	require.NoError(t, err)
	require.Equal(t, 2, id.RawMatrix().Rows)
	id, _ = n.Partial(3, 2)
	require.Equal(t, 4, id.RawMatrix().Rows)
	var want mat.Dense
	want.Mul(n.Layer(2), n.Layer(1))
	require.True(t, mat.EqualApprox(&want, n.Product(), 1e-14))
	_, err = n.Partial(3, 1)
	require.Error(t, err)
}

// P1: Procedure 1 reproduces A and is 0-balanced, with and without insertion.
func TestBalancedProcedure(t *testing.T) {
	for _, dims := range [][]int{{3, 3}, {4, 5, 5, 2}, {1, 2, 3, 1}, {3, 3, 4, 3, 5}} {
		rng := model.NewRand(3)
		a := model.GaussianMatrix(dims[len(dims)-1], dims[0], 1, rng)
		for _, ins := range []bool{false, true} {
			var r = rng
			if !ins {
				r = nil
			}
			n, err := model.Balanced(a, dims, r)
			require.NoError(t, err)
			require.True(t, mat.EqualApprox(a, n.Product(), 1e-12), "dims %v", dims)
			require.Less(t, invariants.Imbalance(n), 1e-12)
		}
	}
	_, err := model.Balanced(mat.NewDense(3, 3, nil), []int{3, 2, 3}, nil)
	require.ErrorIs(t, err, model.ErrShape)
}

func TestPerturbImbalance(t *testing.T) {
	n, err := model.BalancedGaussian([]int{3, 3, 4, 2}, 0.8, model.NewRand(2), true)
	require.NoError(t, err)
	phi := model.GaussianMatrix(2, 3, 1, model.NewRand(9))
	for _, d := range []float64{1e-8, 1e-3, 0.1, 2} {
		p, err := model.PerturbImbalance(n, d, model.NewRand(4))
		require.NoError(t, err)
		require.InDelta(t, d, invariants.Imbalance(p), 1e-9*d+1e-14)
		require.InDelta(t, invariants.NetMargin(n, phi), invariants.NetMargin(p, phi), 1e-10)
	}
	_, err = model.PerturbImbalance(n, -1, model.NewRand(4))
	require.Error(t, err)
}

func TestWhitenedDataMoments(t *testing.T) {
	phi := model.GaussianMatrix(2, 4, 1, model.NewRand(5))
	d, err := model.WhitenedData(phi, 12, 0.3, model.NewRand(6))
	require.NoError(t, err)
	st := d.Moments()
	id := mat.NewDiagDense(4, []float64{1, 1, 1, 1})
	require.True(t, mat.EqualApprox(st.Lxx, id, 1e-12))
	require.True(t, mat.EqualApprox(st.Lyx, phi, 1e-12))
	require.InDelta(t, 0.5*0.3*0.3, st.Kappa, 1e-12)
	_, err = model.WhitenedData(phi, 3, 0, model.NewRand(6))
	require.Error(t, err)
}

func TestWhitenAndCSV(t *testing.T) {
	csv := "a,b,y\n1,2,3\n2,1,0\n0,0,1\n4,3,2\n"
	d, err := model.ReadCSV(strings.NewReader(csv), 1)
	require.NoError(t, err)
	w, err := model.Whiten(d.X, d.Y)
	require.NoError(t, err)
	st := w.Moments()
	require.True(t, mat.EqualApprox(st.Lxx, mat.NewDiagDense(2, []float64{1, 1}), 1e-12))
	_, err = model.ReadCSV(strings.NewReader("1,2\n1,x\n"), 1)
	require.ErrorContains(t, err, "line 2")
	// Collinear features: a clear error.
	d, _ = model.ReadCSV(strings.NewReader("1,2,0\n2,4,1\n3,6,0\n"), 1)
	_, err = model.Whiten(d.X, d.Y)
	require.ErrorIs(t, err, model.ErrSingularCovariance)
}

func TestRunStatuses(t *testing.T) {
	phi := mat.NewDense(1, 1, []float64{1})
	n, _ := model.NewNetFromRows([][][]float64{{{0.9}}, {{0.9}}})
	res, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.1, MaxSteps: 10000, Epsilon: 1e-10, Stride: 10, Measure: invariants.Measure})
	require.NoError(t, err)
	require.Equal(t, model.StatusConverged, res.Status)
	require.LessOrEqual(t, res.FinalLoss, 1e-10)
	require.Equal(t, res.Steps, res.HitStep, "the run stops at the iterate that hit ε")
	n, _ = model.NewNetFromRows([][][]float64{{{10}}, {{10}}})
	res, err = model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 1, MaxSteps: 100})
	require.NoError(t, err)
	require.Equal(t, model.StatusDiverged, res.Status)
	_, err = model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: math.NaN(), MaxSteps: 1})
	require.Error(t, err)
}

// Flow is fourth order: the error at a fixed time drops ~16× per halving.
func TestFlowOrder(t *testing.T) {
	n0 := randNet(t, []int{2, 3, 2}, 0.5, 11)
	phi := model.GaussianMatrix(2, 2, 1, model.NewRand(12))
	run := func(dt float64) *mat.Dense {
		n := n0.Clone()
		require.NoError(t, model.Flow(n, phi, model.FlowConfig{Time: 1, Dt: dt}))
		return n.Product()
	}
	ref := run(1e-3)
	e1 := diffNorm(run(0.1), ref)
	e2 := diffNorm(run(0.05), ref)
	ratio := e1 / e2
	require.Greater(t, ratio, 12.0)
	require.Less(t, ratio, 20.0)
}

func diffNorm(a, b *mat.Dense) float64 {
	var d mat.Dense
	d.Sub(a, b)
	return mat.Norm(&d, 2)
}
