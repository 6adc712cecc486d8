package model_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/internal/selfcheck"
	"github.com/dlnverify/dlnverify/model"
)

// diffCase is one differential run: a random network of the given shape, a
// random target, and T steps at a step size derived from the start so the
// error amplification over the run stays bounded (see diffTolerance).
type diffCase struct {
	dims []int
	seed uint64
	T    int
}

// diffStats is what a differential run measured.
type diffStats struct {
	eta        float64
	worstW     float64 // max over checkpoints of ‖x_t − y_t‖ / tolW(t)
	worstL     float64 // max over steps of |ℓ_x(t) − ℓ_y(t)| / tolL(t)
	firstBad   string  // first violation, "" if none
	loss0      float64
	lossT      float64
	growthHT   float64 // η T H, the exponent of the amplification factor
	moved      float64 // ‖x_T − x_0‖ along the reference trajectory
	finalTolW  float64 // tolW(T)
	checkedLos int
}

// hessianBound and diffTolerance are the tiers of the differential tests;
// their derivations have one home, internal/selfcheck (HessianBound,
// DiffTolerance), which `dlnverify verify`'s core self-check uses too.
func hessianBound(N int, M, E float64) float64 { return selfcheck.HessianBound(N, M, E) }

func diffTolerance(t int, eta, H, P, G, gamma float64) float64 {
	return selfcheck.DiffTolerance(t, eta, H, P, G, gamma)
}

// randomProblem is a random network (Gaussian directions, unit-Frobenius
// layers) and a Gaussian target with ‖Φ‖_F ≈ 1, from seed.
func randomProblem(dims []int, seed uint64) (*model.Net, *mat.Dense, error) {
	dmax := 0
	for _, d := range dims {
		dmax = max(dmax, d)
	}
	rng := model.NewRand(seed)
	n, err := model.Gaussian(dims, 1/math.Sqrt(float64(dmax)), rng)
	if err != nil {
		return nil, nil, err
	}
	// Unit Frobenius norm per layer: the error-growth bound (hessianBound)
	// is in Frobenius norms, and with ‖W_j‖_F = 1 it stays O(N²), so even
	// deep networks move visibly within ηHT ≈ 1.
	for j := 1; j <= n.N(); j++ {
		l := n.Layer(j)
		if f := mat.Norm(l, 2); f > 0 {
			l.Scale(1/f, l)
		}
	}
	N := len(dims) - 1
	phi := model.GaussianMatrix(dims[N], dims[0], 1/math.Sqrt(float64(max(dims[0], dims[N]))), rng)
	return n, phi, nil
}

// runDiff steps ref and cand from the same random start for c.T steps and
// measures both trajectories against the tiers. It reports violations in
// the returned stats instead of failing, so planted-bug tests can use it.
func runDiff(ref, cand model.Stepper, c diffCase) (diffStats, error) {
	var st diffStats
	x, phi, err := randomProblem(c.dims, c.seed)
	if err != nil {
		return st, err
	}
	y, x0 := x.Clone(), x.Clone()
	N := len(c.dims) - 1
	gamma := selfcheck.ChainGamma(c.dims) // γ_{N·d_max+2}/u, one home with the verify self-check
	_, m0 := selfcheck.ParamNorms(x)
	l0, err := model.Loss(x, phi)
	if err != nil {
		return st, err
	}
	// η from the start: ηTH₀ = 1 with M allowed 25% growth, so the run
	// moves the loss visibly but the amplification e^{ηHT} stays small.
	H0 := hessianBound(N, 1.25*m0, math.Sqrt(2*l0))
	st.eta = 1 / (float64(c.T) * H0)
	st.loss0 = l0
	// Running maxima along the reference trajectory (both stay within the
	// tolerance of each other, far below these scales).
	maxM, maxP, maxE := m0, 0.0, math.Sqrt(2*l0)
	for t := 0; t < c.T; t++ {
		p, m := selfcheck.ParamNorms(x)
		maxM, maxP = math.Max(maxM, m), math.Max(maxP, p)
		lx, err := ref.Step(x, phi, st.eta)
		if err != nil {
			return st, err
		}
		ly, err := cand.Step(y, phi, st.eta)
		if err != nil {
			return st, err
		}
		maxE = math.Max(maxE, math.Sqrt(2*lx))
		H := hessianBound(N, maxM, maxE)
		G := math.Sqrt(float64(N)) * math.Pow(maxM, float64(N-1)) * maxE // ‖∇L^N‖ bound
		// ℓ(t) was evaluated at the iterate reached after t steps.
		tolW := diffTolerance(t, st.eta, H, maxP, G, gamma)
		// |ℓ_x − ℓ_y| ≤ G‖x_t − y_t‖ + both evaluation errors: E = fl(W_{1:N}) − Φ
		// is off by ≤ γ M^N, and the sum of squares by γ_{d_0 d_N} ℓ.
		evalErr := maxE*gamma*linalg.UnitRoundoff*math.Pow(maxM, float64(N)) +
			float64(c.dims[0]*c.dims[N]+1)*linalg.UnitRoundoff*lx
		tolL := G*tolW + 2*evalErr
		st.checkedLos++
		if r := math.Abs(lx-ly) / tolL; !(r <= st.worstL) {
			st.worstL = r
			if !(r <= 1) && st.firstBad == "" {
				st.firstBad = fmt.Sprintf("step %d: loss %.17g (%s) vs %.17g (%s), |Δ| = %.3g > tier %.3g",
					t, lx, ref.Name(), ly, cand.Name(), math.Abs(lx-ly), tolL)
			}
		}
		if (t+1)%1000 == 0 || t+1 == c.T {
			tol := diffTolerance(t+1, st.eta, H, maxP, G, gamma)
			d := selfcheck.Dist(x, y)
			if r := d / tol; !(r <= st.worstW) {
				st.worstW = r
				if !(r <= 1) && st.firstBad == "" {
					st.firstBad = fmt.Sprintf("after %d steps: ‖W_ref − W_fast‖ = %.3g > tier %.3g", t+1, d, tol)
				}
			}
			st.growthHT = st.eta * H * float64(t+1)
			st.finalTolW = tol
		}
	}
	st.lossT, _ = model.Loss(x, phi)
	st.moved = selfcheck.Dist(x, x0)
	return st, nil
}

// diffShapes covers the required shapes: N = 1, d_N = 1, d_0 = 1, N up to 6,
// bottlenecks, hidden layers wider than both ends, and one shape large
// enough for the gonum Dgemm path (≥ 2¹⁴ multiply-adds per product).
var diffShapes = [][]int{
	{1, 1}, {3, 2}, {1, 4}, {4, 1},
	{1, 1, 1}, {5, 3, 1}, {8, 4, 4, 1}, {6, 3, 3, 3, 3, 1}, {4, 5, 5, 5, 5, 5, 1},
	{1, 3, 4}, {1, 2, 2, 2, 2, 2, 5}, {1, 4, 4, 1},
	{3, 3, 3, 3}, {4, 2, 4}, {2, 5, 3}, {3, 1, 3}, {2, 3, 2, 3, 2, 3, 2},
	{32, 16, 32}, {40, 30, 1},
}

func TestFastDifferential(t *testing.T) {
	const T = 10000
	for i, dims := range diffShapes {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			st, err := runDiff(model.Reference{}, model.NewFast(), diffCase{dims: dims, seed: uint64(1000 + i), T: T})
			require.NoError(t, err)
			order, mo, mi, _ := model.FastPlan(dims)
			t.Logf("dims %v (%s; %d vs %d mads/step): η = %.3g, ℓ %.6g → %.6g over %d steps, ‖W(T) − W(0)‖ = %.3g, ηHT = %.2f, worst |Δℓ|/tier = %.2g, worst ‖ΔW‖/tier = %.2g",
				dims, order, mo, mi, st.eta, st.loss0, st.lossT, T, st.moved, st.growthHT, st.worstL, st.worstW)
			require.Empty(t, st.firstBad)
			require.Equal(t, T, st.checkedLos)
			// Not vacuous: the trajectory moved by far more than the tier
			// (so a relative discrepancy of 1e-6 in the steps would show).
			require.Greater(t, st.moved, 1e6*st.finalTolW, "trajectory did not move")
		})
	}
}

// TestFastDifferentialRapid draws shapes (N = 1..6, widths 1..5) and seeds
// with rapid; 2000 steps each, the breadth complement of the 10⁴-step table.
func TestFastDifferentialRapid(t *testing.T) {
	cases := 0
	rapidtb.CheckT(t, func(rt *rapid.T) {
		N := rapid.IntRange(1, 6).Draw(rt, "N")
		dims := make([]int, N+1)
		for i := range dims {
			dims[i] = rapid.IntRange(1, 5).Draw(rt, fmt.Sprintf("d%d", i))
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		st, err := runDiff(model.Reference{}, model.NewFast(), diffCase{dims: dims, seed: seed, T: 2000})
		if err != nil {
			rt.Fatal(err)
		}
		rt.Logf("dims %v η %.3g worst Δℓ/tier %.2g ΔW/tier %.2g", dims, st.eta, st.worstL, st.worstW)
		if st.firstBad != "" {
			rt.Fatal(st.firstBad)
		}
		cases++
	})
	require.Positive(t, cases)
	t.Logf("%d rapid cases agreed", cases)
}

// sequentialGD is a planted bug: it updates W_1, then takes W_2's gradient
// at the already-updated W_1, and so on (Gauss–Seidel), violating S2's
// "all layers updated from the same iterate".
type sequentialGD struct{}

func (sequentialGD) Name() string { return "sequential(bug)" }
func (sequentialGD) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	l, err := model.Loss(n, phi)
	if err != nil {
		return l, err
	}
	for j := 1; j <= n.N(); j++ {
		g, err := model.Gradients(n, phi)
		if err != nil {
			return l, err
		}
		var s mat.Dense
		s.Scale(eta, g[j-1])
		n.Layer(j).Sub(n.Layer(j), &s)
	}
	return l, nil
}

// scaledEta is a planted bug: it steps with factor·η.
type scaledEta struct {
	inner  model.Stepper
	factor float64
}

func (s scaledEta) Name() string { return fmt.Sprintf("%s(η×%g, bug)", s.inner.Name(), s.factor) }
func (s scaledEta) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	return s.inner.Step(n, phi, s.factor*eta)
}

// TestFastDifferentialSeesPlantedBugs: the same comparison flags a
// sequential update and a step size off by 1e-6 relative.
func TestFastDifferentialSeesPlantedBugs(t *testing.T) {
	for _, bug := range []model.Stepper{sequentialGD{}, scaledEta{model.NewFast(), 1 + 1e-6}} {
		for _, dims := range [][]int{{5, 3, 1}, {1, 3, 4}, {3, 3, 3, 3}} {
			st, err := runDiff(model.Reference{}, bug, diffCase{dims: dims, seed: 7, T: 2000})
			require.NoError(t, err)
			require.NotEmpty(t, st.firstBad, "%s on %v was not caught", bug.Name(), dims)
			t.Logf("%s on %v caught: %s", bug.Name(), dims, st.firstBad)
		}
	}
	// And through rapid (the recording TB), as a property would see it.
	rep := rapidtb.Check("fast_diff_planted", func(rt *rapid.T) {
		N := rapid.IntRange(2, 4).Draw(rt, "N")
		dims := make([]int, N+1)
		for i := range dims {
			dims[i] = rapid.IntRange(1, 4).Draw(rt, fmt.Sprintf("d%d", i))
		}
		st, err := runDiff(model.Reference{}, sequentialGD{}, diffCase{dims: dims, seed: 3, T: 500})
		if err != nil {
			rt.Fatal(err)
		}
		if st.firstBad != "" {
			rt.Fatal(st.firstBad)
		}
	})
	require.True(t, rep.Failed, "rapid did not catch the sequential-update bug")
	require.Contains(t, rep.Text(), "tier", "rapid failed for another reason: %s", rep.Text())
}

func TestFastZeroAllocs(t *testing.T) {
	for _, dims := range [][]int{{1, 1, 1}, {2, 2, 2, 2}, {128, 32, 32, 1}, {1, 5, 5, 7}, {256, 256, 256}, {64, 64, 64, 64, 64}} {
		n, phi, err := randomProblem(dims, 1)
		require.NoError(t, err)
		f := model.NewFast()
		_, err = f.Step(n, phi, 1e-6) // builds the workspace
		require.NoError(t, err)
		allocs := testing.AllocsPerRun(20, func() {
			if _, err := f.Step(n, phi, 1e-6); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "dims %v", dims)
	}
}

func TestFastErrors(t *testing.T) {
	n, phi, err := randomProblem([]int{3, 2, 4}, 1)
	require.NoError(t, err)
	f := model.NewFast()
	before := n.Clone()
	for _, eta := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		_, err := f.Step(n, phi, eta)
		require.Error(t, err, "η = %v", eta)
	}
	_, err = f.Step(n, mat.NewDense(3, 4, nil), 0.1)
	require.ErrorIs(t, err, model.ErrShape)
	_, err = f.Step(n, nil, 0.1)
	require.ErrorIs(t, err, model.ErrShape)
	bad := mat.DenseCopyOf(phi)
	bad.Set(1, 2, math.NaN())
	_, err = f.Step(n, bad, 0.1)
	require.ErrorIs(t, err, model.ErrNonFinite)
	_, err = f.Step(nil, phi, 0.1)
	require.ErrorIs(t, err, model.ErrShape)
	emptied := n.Clone()
	emptied.Layer(2).Reset()
	_, err = f.Step(emptied, phi, 0.1)
	require.ErrorIs(t, err, model.ErrShape)
	require.Zero(t, selfcheck.Dist(n, before), "a failed step changed the network")
	// Non-finite weights are a diverged state, not an error (as Reference).
	inf := n.Clone()
	inf.Layer(1).Set(0, 0, math.Inf(1))
	lr, errR := model.Reference{}.Step(inf.Clone(), phi, 0.1)
	lf, errF := f.Step(inf, phi, 0.1)
	require.NoError(t, errR)
	require.NoError(t, errF)
	require.Equal(t, math.IsInf(lr, 1), math.IsInf(lf, 1), "ℓ: reference %v, fast %v", lr, lf)
	require.Equal(t, math.IsNaN(lr), math.IsNaN(lf), "ℓ: reference %v, fast %v", lr, lf)
	// A non-Dense Φ (a transpose view) gives the same step as its copy.
	m := n.Clone()
	l1, err := f.Step(n, phi, 0.1)
	require.NoError(t, err)
	pt := mat.DenseCopyOf(phi.T())
	l2, err := f.Step(m, pt.T(), 0.1)
	require.NoError(t, err)
	require.Equal(t, l1, l2)
	require.Zero(t, selfcheck.Dist(n, m))
}

// TestFastShapeCache: one Fast value serves several shapes in turn.
func TestFastShapeCache(t *testing.T) {
	f := model.NewFast()
	for round := 0; round < 2; round++ {
		for i, dims := range diffShapes[:12] {
			x, phi, err := randomProblem(dims, uint64(i))
			require.NoError(t, err)
			y := x.Clone()
			lx, err := model.Reference{}.Step(x, phi, 1e-3)
			require.NoError(t, err)
			ly, err := f.Step(y, phi, 1e-3)
			require.NoError(t, err)
			require.InDelta(t, lx, ly, 1e-12*math.Max(1, lx), "dims %v", dims)
			require.Less(t, selfcheck.Dist(x, y), 1e-12, "dims %v", dims)
		}
	}
}

func TestFastPlan(t *testing.T) {
	o, _, _, err := model.FastPlan([]int{128, 32, 32, 1})
	require.NoError(t, err)
	require.Equal(t, model.OrderThinOutput, o)
	o, _, _, err = model.FastPlan([]int{1, 32, 32, 128})
	require.NoError(t, err)
	require.Equal(t, model.OrderThinInput, o)
	_, _, _, err = model.FastPlan([]int{3})
	require.Error(t, err)
}

// TestFastKeepsLayerSwapSymmetry: from W_1 = W_2 = [1], Φ = [−1] (a saddle
// start symmetric under swapping the layers) Reference, Fast and a Batch
// lane keep W_1 = W_2 bit for bit, so GD stays on the symmetric line and
// never reaches Φ (the loss floor ½ of counterexamples' saved drop-margin
// case). A kernel that rounds −η·A_j[i]·R_j[c] in another association for
// one layer than for the other breaks the symmetry by an ulp, which the
// saddle then amplifies until GD converges to Φ.
func TestFastKeepsLayerSwapSymmetry(t *testing.T) {
	start := func() *model.Net {
		n, err := model.NewNetFromRows([][][]float64{{{1}}, {{1}}})
		require.NoError(t, err)
		return n
	}
	phi := mat.NewDense(1, 1, []float64{-1})
	b, err := model.NewBatch([]int{1, 1, 1}, 1)
	require.NoError(t, err)
	require.NoError(t, b.Set(0, start(), phi, 0.05))
	loss := make([]float64, 1)
	for _, st := range []model.Stepper{model.Reference{}, model.NewFast(), nil} {
		n := start()
		for s := 0; s < 2000; s++ {
			if st == nil {
				require.NoError(t, b.Step(loss))
				continue
			}
			_, err := st.Step(n, phi, 0.05)
			require.NoError(t, err)
		}
		name := "batch"
		if st == nil {
			require.NoError(t, b.Get(0, n))
		} else {
			name = st.Name()
		}
		w1, w2 := n.Layer(1).At(0, 0), n.Layer(2).At(0, 0)
		require.Equal(t, math.Float64bits(w1), math.Float64bits(w2), "%s: W_1 = %v, W_2 = %v", name, w1, w2)
		l, err := model.Loss(n, phi)
		require.NoError(t, err)
		require.GreaterOrEqual(t, l, 0.5, "%s", name)
	}
}
