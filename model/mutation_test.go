package model_test

// Sharper tests written to kill gremlins' surviving mutants in model/
// (docs/mutation.md lists the ones left as equivalent, with reasons).

import (
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/gatecheck"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// shapeOnly is a mat.Matrix with the given dimensions and no entries
// (gonum's Dense cannot have a zero dimension): it probes the shape checks.
type shapeOnly struct{ r, c int }

func (s shapeOnly) Dims() (int, int)    { return s.r, s.c }
func (s shapeOnly) At(i, j int) float64 { panic("shapeOnly has no entries") }
func (s shapeOnly) T() mat.Matrix       { return shapeOnly{s.c, s.r} }

func TestMutationWhitenedDataValidation(t *testing.T) {
	rng := model.NewRand(1)
	_, err := model.WhitenedData(mat.NewDense(1, 2, []float64{1, math.NaN()}), 4, 0, rng)
	require.Error(t, err, "a non-finite Φ")
	_, err = model.WhitenedData(shapeOnly{0, 2}, 4, 0, rng)
	require.Error(t, err, "d_y = 0")
	_, err = model.WhitenedData(shapeOnly{2, 0}, 4, 0, rng)
	require.Error(t, err, "d_x = 0")
}

func TestMutationWhitenValidation(t *testing.T) {
	x := mat.NewDense(2, 4, []float64{1, 2, 3, 5, 2, 1, 0, 4})
	y := mat.NewDense(1, 4, []float64{1, 0, 1, 0})
	_, err := model.Whiten(x, mat.NewDense(1, 4, []float64{1, math.NaN(), 0, 0}))
	require.ErrorIs(t, err, model.ErrNonFinite, "NaN only in Y")
	_, err = model.Whiten(mat.NewDense(2, 4, []float64{1, 2, 3, math.Inf(1), 2, 1, 0, 4}), y)
	require.ErrorIs(t, err, model.ErrNonFinite, "Inf only in X")
	_, err = model.Whiten(mat.NewDense(2, 1, []float64{1, 2}), mat.NewDense(1, 1, []float64{1}))
	require.ErrorIs(t, err, model.ErrShape, "one example is a shape error, not a singular covariance")
	_, err = model.Whiten(shapeOnly{0, 4}, y)
	require.ErrorIs(t, err, model.ErrShape, "no feature")
	_, err = model.Whiten(x, shapeOnly{0, 4})
	require.ErrorIs(t, err, model.ErrShape, "no label row")
	_, err = model.Whiten(x, mat.NewDense(1, 3, nil))
	require.ErrorIs(t, err, model.ErrShape, "examples disagree")
}

// The rank threshold is tested in TestWhitenRankThreshold (whiten_test.go).

func TestMutationReadCSVErrors(t *testing.T) {
	_, err := model.ReadCSV(strings.NewReader("1,2\nx,3\n"), 1)
	require.ErrorContains(t, err, "line 2, column 1", "a bad first column after data")
	_, err = model.ReadCSV(strings.NewReader("1,2\n3,y\n"), 1)
	require.ErrorContains(t, err, "line 2, column 2")
	_, err = model.ReadCSV(strings.NewReader("a,b\nc,d\n1,2\n"), 1)
	require.ErrorContains(t, err, "line 2", "only the first line may be a header")
	d, err := model.ReadCSV(strings.NewReader("a,b\n1,2\n"), 1)
	require.NoError(t, err)
	require.Equal(t, 1.0, d.X.At(0, 0))
	require.Equal(t, 2.0, d.Y.At(0, 0))
	_, err = model.ReadCSV(strings.NewReader("a,b\n"), 1)
	require.Error(t, err, "a header and no data")
	_, err = model.ReadCSV(strings.NewReader("1,2\n"), 2)
	require.Error(t, err, "no feature column left")
	_, err = model.ReadCSV(strings.NewReader("1,2\n"), 0)
	require.Error(t, err)
}

func TestMutationReadCSVTwoLabels(t *testing.T) {
	d, err := model.ReadCSV(strings.NewReader("1,2,3\n4,5,6\n"), 2)
	require.NoError(t, err)
	require.True(t, mat.Equal(d.X, mat.NewDense(1, 2, []float64{1, 4})))
	require.True(t, mat.Equal(d.Y, mat.NewDense(2, 2, []float64{2, 5, 3, 6})), "%v", mat.Formatted(d.Y))
}

// DataLoss is (1/2m)‖WX − Y‖_F², by hand: X = [1 2 3], Y = [1 1 1],
// W = 2: residual [1 3 5], ‖·‖² = 35, m = 3.
func TestMutationDataLossPinned(t *testing.T) {
	d := model.Data{X: mat.NewDense(1, 3, []float64{1, 2, 3}), Y: mat.NewDense(1, 3, []float64{1, 1, 1})}
	require.InEpsilon(t, 35.0/6, d.DataLoss(mat.NewDense(1, 1, []float64{2})), 1e-15)
}

// Flow's parameter checks at their boundaries: Time = 0 is a valid no-op,
// Dt = 0 and negative values are errors.
func TestMutationFlowBoundaries(t *testing.T) {
	n, _ := model.NewNetFromRows([][][]float64{{{0.5}}, {{0.7}}})
	phi := mat.NewDense(1, 1, []float64{1})
	before := n.Clone()
	require.NoError(t, model.Flow(n, phi, model.FlowConfig{Time: 0, Dt: 0.1}))
	require.True(t, mat.Equal(before.Product(), n.Product()))
	for _, cfg := range []model.FlowConfig{{Time: 1, Dt: 0}, {Time: -1, Dt: 0.1}, {Time: 1, Dt: -0.1}, {Time: math.Inf(1), Dt: 1}} {
		require.Error(t, model.Flow(n, phi, cfg), "%+v", cfg)
	}
	require.Error(t, model.Flow(n, phi, model.FlowConfig{Time: 1e12, Dt: 1e-3}), "more than 2^31 steps")
}

func TestMutationInitValidation(t *testing.T) {
	rng := model.NewRand(2)
	// std = 0 is allowed (all-zero layers).
	n, err := model.Gaussian([]int{2, 3, 2}, 0, rng)
	require.NoError(t, err)
	require.Equal(t, 0.0, mat.Norm(n.Product(), 2))
	_, err = model.BalancedGaussian([]int{2, 2}, 0, rng, false)
	require.NoError(t, err)
	_, err = model.Gaussian([]int{2, 2}, -1e-300, rng)
	require.Error(t, err)
	// A must be d_N×d_0: each dimension is checked on its own.
	_, err = model.Balanced(mat.NewDense(2, 3, nil), []int{2, 3, 2}, nil)
	require.ErrorIs(t, err, model.ErrShape, "d_0 wrong")
	_, err = model.Balanced(mat.NewDense(3, 2, nil), []int{2, 3, 2}, nil)
	require.ErrorIs(t, err, model.ErrShape, "d_N wrong")
	for _, dn := range [][2]int{{1, 1}, {1, 3}, {3, 1}} {
		id, err := model.Identity(dn[0], dn[1])
		require.NoError(t, err, "Identity(%d, %d): d = 1 and N = 1 are valid", dn[0], dn[1])
		require.Equal(t, dn[1], id.N())
	}
	_, err = model.Identity(0, 2)
	require.ErrorIs(t, err, model.ErrShape)
	_, err = model.Identity(2, 0)
	require.ErrorIs(t, err, model.ErrShape)
}

// With a generator, Procedure 1 inserts random orthogonal factors between
// every pair of layers: the layers differ from the plain construction
// (and between seeds) while the product and the balance stay.
func TestMutationBalancedInsertsRotations(t *testing.T) {
	a := mat.NewDense(2, 3, []float64{1, 0.2, 0, -0.3, 0.8, 0.1})
	dims := []int{3, 4, 4, 2}
	plain, err := model.Balanced(a, dims, nil)
	require.NoError(t, err)
	r1, err := model.Balanced(a, dims, model.NewRand(1))
	require.NoError(t, err)
	r2, err := model.Balanced(a, dims, model.NewRand(2))
	require.NoError(t, err)
	for j := 1; j <= 3; j++ {
		require.Greater(t, diffNorm(plain.Layer(j), r1.Layer(j)), 1e-3, "layer %d not rotated", j)
		require.Greater(t, diffNorm(r1.Layer(j), r2.Layer(j)), 1e-3, "layer %d the same for two seeds", j)
	}
	require.True(t, mat.EqualApprox(a, r1.Product(), 1e-12))
}

// δ = 0 is a valid target: a 0-balanced net stays as it is.
func TestMutationPerturbImbalanceZero(t *testing.T) {
	n, err := model.NewNetFromRows([][][]float64{{{2, 0}, {0, 3}}, {{2, 0}, {0, 3}}}) // exactly 0-balanced
	require.NoError(t, err)
	p, err := model.PerturbImbalance(n, 0, model.NewRand(1))
	require.NoError(t, err)
	require.True(t, mat.Equal(n.Product(), p.Product()))
}

// Large targets: the result meets δ to the documented relative 1e-9, and
// is accepted (the final check is relative, not absolute).
func TestMutationPerturbImbalanceLarge(t *testing.T) {
	n, err := model.BalancedGaussian([]int{3, 3, 3, 2}, 0.8, model.NewRand(3), true)
	require.NoError(t, err)
	for _, d := range []float64{10, 1e3, 1e5} {
		p, err := model.PerturbImbalance(n, d, model.NewRand(4))
		require.NoError(t, err, "δ = %g", d)
		require.InEpsilon(t, d, invariants.Imbalance(p), 1e-9)
	}
}

func TestMutationNewNetZeroDimensions(t *testing.T) {
	for _, l := range []mat.Matrix{shapeOnly{0, 3}, shapeOnly{3, 0}} {
		_, err := model.NewNet([]mat.Matrix{l})
		require.ErrorIs(t, err, model.ErrShape, "%v", l)
	}
}

// Error messages name the offending layer by its 1-based index.
func TestMutationNewNetMessages(t *testing.T) {
	_, err := model.NewNet([]mat.Matrix{mat.NewDense(2, 3, nil), mat.NewDense(4, 5, nil)})
	require.ErrorContains(t, err, "W_2 is 4×5 but W_1 has 2 rows (d_1 must agree)")
	_, err = model.NewNet([]mat.Matrix{mat.NewDense(2, 3, nil), mat.NewDense(1, 2, []float64{1, math.NaN()})})
	require.ErrorContains(t, err, "in layer W_2")
	_, err = model.NewNet([]mat.Matrix{mat.NewDense(2, 3, nil), shapeOnly{0, 2}})
	require.ErrorContains(t, err, "layer W_2 is 0×2")
	_, err = model.NewNet([]mat.Matrix{mat.NewDense(2, 3, nil), nil})
	require.ErrorContains(t, err, "layer W_2 is nil")
}

func TestMutationNetAccessors(t *testing.T) {
	_, err := model.NewNetFromRows([][][]float64{{{1, 2}}, {{1}, {2, 3}}})
	require.ErrorContains(t, err, "layer W_2:")
	for _, v := range []float64{math.Inf(1), math.Inf(-1), math.NaN()} {
		_, err = model.DenseFromRows([][]float64{{1, v}})
		require.ErrorIs(t, err, model.ErrNonFinite, "%v", v)
	}
	n, err := model.NewNetFromRows([][][]float64{{{1, 2}}, {{3}, {4}}, {{5, 6}}})
	require.NoError(t, err)
	require.Nil(t, n.Layer(0))
	require.Nil(t, n.Layer(4))
	require.Nil(t, n.Layer(-1))
	require.NotNil(t, n.Layer(3))
	for _, jk := range [][2]int{{0, 1}, {0, 0}, {1, 4}, {3, 1}, {5, 3}} {
		_, err := n.Partial(jk[0], jk[1])
		require.Error(t, err, "Partial(%d, %d)", jk[0], jk[1])
	}
	id, err := n.Partial(4, 3)
	require.NoError(t, err, "W_{N+1:N} is I_{d_N}")
	require.Equal(t, n.Dims()[3], id.RawMatrix().Rows)
	for _, v := range []float64{math.Inf(1), math.NaN()} {
		m := n.Clone()
		m.Layer(2).Set(1, 0, v)
		require.False(t, m.Finite(), "%v", v)
	}
	require.True(t, n.Finite())
}

func TestMutationRunArguments(t *testing.T) {
	phi := mat.NewDense(1, 1, []float64{1})
	n, _ := model.NewNetFromRows([][][]float64{{{0.5}}, {{0.5}}})
	_, err := model.Run(nil, n, phi, model.RunConfig{Eta: 0.1, MaxSteps: 1})
	require.Error(t, err, "nil implementation")
	_, err = model.Run(model.Reference{}, nil, phi, model.RunConfig{Eta: 0.1, MaxSteps: 1})
	require.Error(t, err, "nil network")
	res, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.01, MaxSteps: 3})
	require.NoError(t, err)
	require.Equal(t, -1, res.HitStep, "no ε: no hit")
	res, err = model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.01, MaxSteps: 3, Epsilon: 1e-30})
	require.NoError(t, err)
	require.Equal(t, -1, res.HitStep, "ε not reached")
	require.Equal(t, model.StatusMaxSteps, res.Status)
	// Each RunConfig field is checked on its own; zero is valid everywhere.
	for _, cfg := range []model.RunConfig{{MaxSteps: -1}, {Stride: -1}, {Epsilon: -1}, {DivergeAbove: -1}, {Epsilon: math.NaN()}, {DivergeAbove: math.NaN()}} {
		cfg.Eta = 0.01
		_, err := model.Run(model.Reference{}, n.Clone(), phi, cfg)
		require.Error(t, err, "%+v", cfg)
	}
	res, err = model.Run(model.Reference{}, n.Clone(), phi, model.RunConfig{Eta: 0.01})
	require.NoError(t, err, "MaxSteps = 0 is a valid run of no steps")
	require.Equal(t, 0, res.Steps)
	require.Len(t, res.Trajectory, 1)
}

// Run's bookkeeping on N = 1, d = 1, where GD is w ← w − η(w − φ) and
// every loss is exact in binary: ℓ(t) = ½(w(t) − φ)².
func TestMutationRunAccounting(t *testing.T) {
	phi := mat.NewDense(1, 1, []float64{0})
	scalar := func(w float64) *model.Net {
		n, err := model.NewNetFromRows([][][]float64{{{w}}})
		require.NoError(t, err)
		return n
	}
	// η = 3: w ← −2w, ℓ(t) = 50·4^t: 50, 200, 800, 3200 > 1000 at t = 3,
	// so the run stops at t = 3 without stepping from it, holding W(3) = −80.
	n := scalar(10)
	res, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 3, MaxSteps: 100, DivergeAbove: 1000})
	require.NoError(t, err)
	require.Equal(t, model.StatusDiverged, res.Status)
	require.Equal(t, 3, res.Steps)
	require.Equal(t, 3200.0, res.FinalLoss)
	require.Equal(t, -80.0, n.Layer(1).At(0, 0))
	// DivergeAbove is "exceeds": ℓ(0) = 50 equal to it is not divergence.
	res, err = model.Run(model.Reference{}, scalar(10), phi, model.RunConfig{Eta: 0.5, MaxSteps: 2, DivergeAbove: 50})
	require.NoError(t, err)
	require.Equal(t, model.StatusMaxSteps, res.Status)
	// ε = 0 disables the stop rule even at the optimum; ℓ(0) ≤ ε stops at
	// step 0, including equality.
	res, err = model.Run(model.Reference{}, scalar(0), phi, model.RunConfig{Eta: 0.5, MaxSteps: 3})
	require.NoError(t, err)
	require.Equal(t, model.StatusMaxSteps, res.Status)
	require.Equal(t, -1, res.HitStep)
	require.Equal(t, 3, res.Steps)
	for _, eps := range []float64{50, 60} {
		res, err = model.Run(model.Reference{}, scalar(10), phi, model.RunConfig{Eta: 0.5, MaxSteps: 3, Epsilon: eps})
		require.NoError(t, err)
		require.Equal(t, model.StatusConverged, res.Status, "ε = %v", eps)
		require.Equal(t, 0, res.HitStep)
		require.Equal(t, 0, res.Steps)
	}
	// η = 0.5 halves w: ℓ(t) = 50/4^t. MaxSteps = 3 applies exactly three
	// steps; Stride = 2 records t = 0, 2 and the final 3, once each.
	n = scalar(10)
	res, err = model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.5, MaxSteps: 3, Stride: 2})
	require.NoError(t, err)
	require.Equal(t, 1.25, n.Layer(1).At(0, 0), "three halvings of 10")
	var steps []int
	var losses []float64
	for _, r := range res.Trajectory {
		steps = append(steps, r.Step)
		losses = append(losses, r.Loss)
	}
	require.Equal(t, []int{0, 2, 3}, steps)
	require.Equal(t, []float64{50, 50.0 / 16, 50.0 / 64}, losses)
	require.Equal(t, 50.0/64, res.FinalLoss)
	// Stride 3 over 7 steps: 0, 3, 6, 7.
	res, err = model.Run(model.Reference{}, scalar(10), phi, model.RunConfig{Eta: 0.5, MaxSteps: 7, Stride: 3})
	require.NoError(t, err)
	steps = steps[:0]
	for _, r := range res.Trajectory {
		steps = append(steps, r.Step)
	}
	require.Equal(t, []int{0, 3, 6, 7}, steps)
	// η = 1 reaches the optimum in one step (ℓ(1) = 0): with ε = 0 the run
	// still takes every step.
	res, err = model.Run(model.Reference{}, scalar(10), phi, model.RunConfig{Eta: 1, MaxSteps: 3})
	require.NoError(t, err)
	require.Equal(t, model.StatusMaxSteps, res.Status)
	require.Equal(t, 3, res.Steps)
	// ℓ(1) = 12.5 = ε exactly: the hit is step 1 (≤), and the run stops
	// there holding W(1) = 5.
	n = scalar(10)
	res, err = model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: 0.5, MaxSteps: 10, Epsilon: 12.5})
	require.NoError(t, err)
	require.Equal(t, model.StatusConverged, res.Status)
	require.Equal(t, 1, res.HitStep)
	require.Equal(t, 1, res.Steps)
	require.Equal(t, 12.5, res.FinalLoss)
	require.Equal(t, 5.0, n.Layer(1).At(0, 0))
	// ε reached exactly at the last step, seen only after the loop.
	res, err = model.Run(model.Reference{}, scalar(10), phi, model.RunConfig{Eta: 0.5, MaxSteps: 2, Epsilon: 50.0 / 16})
	require.NoError(t, err)
	require.Equal(t, model.StatusConverged, res.Status)
	require.Equal(t, 2, res.HitStep)
}

func TestMutationCopyFrom(t *testing.T) {
	a, _ := model.NewNetFromRows([][][]float64{{{1, 2}}, {{3}, {4}}})
	b, _ := model.NewNetFromRows([][][]float64{{{5, 6}}, {{7}, {8}}})
	require.NoError(t, a.CopyFrom(b))
	require.True(t, mat.Equal(a.Product(), b.Product()))
	deeper, _ := model.NewNetFromRows([][][]float64{{{1, 2}}, {{3}, {4}}, {{1, 1}}})
	require.ErrorIs(t, a.CopyFrom(deeper), model.ErrShape, "different depth")
	wider, _ := model.NewNetFromRows([][][]float64{{{1, 2}, {1, 2}}, {{3, 3}, {4, 4}}})
	require.ErrorIs(t, a.CopyFrom(wider), model.ErrShape, "same depth, different width")
}

// TestMutationProofSuite runs the deterministic claim checks of
// proofs_test against this package when DLNVERIFY_MUTATION is set
// (scripts/mutation.sh), so that gremlins, which runs only the mutated
// package's tests, mutates model/ against the whole suite.
// It is declared last so that -failfast skips it for mutants already killed.
func TestMutationProofSuite(t *testing.T) { gatecheck.ProofSuite(t) }
