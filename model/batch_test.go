package model_test

import (
	"fmt"
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/selfcheck"
	"github.com/dlnverify/dlnverify/model"
)

// batchLane is one lane of a differential run of model.Batch against
// model.Reference: the reference trajectory x, the running maxima that the
// trajectory tier (diffTolerance, as in runDiff) is built from, and what
// was measured.
type batchLane struct {
	x             *model.Net
	x0            *model.Net
	phi           *mat.Dense
	diverge       bool // planted: η far beyond stability
	gamma         float64
	maxM, maxP    float64
	maxE          float64
	st            diffStats
	divergedAt    int // Batch's step count when it froze the lane (0: never)
	refDivergedAt int // model.Run(Reference)'s Steps for a diverging lane
}

// batchDiff is a differential run of one Batch against Reference lane by
// lane: every lane is a random problem of the shape (seed base+q) with its
// own η chosen as in runDiff; the lanes in diverge get η = 10⁴/H₀ instead
// and must be frozen, the others must match Reference step by step within
// the trajectory tier. It returns the lanes and the batch (for Get).
func batchDiff(dims []int, lanes int, base uint64, T int, diverge map[int]bool) ([]*batchLane, *model.Batch, error) {
	b, err := model.NewBatch(dims, lanes)
	if err != nil {
		return nil, nil, err
	}
	N := len(dims) - 1
	dmax := 0
	for _, d := range dims {
		dmax = max(dmax, d)
	}
	ls := make([]*batchLane, lanes)
	for q := range ls {
		x, phi, err := randomProblem(dims, base+uint64(q))
		if err != nil {
			return nil, nil, err
		}
		l := &batchLane{x: x, x0: x.Clone(), phi: phi, diverge: diverge[q]}
		l.gamma = float64(N*dmax+2) * linalg.UnitRoundoff / (1 - float64(N*dmax+2)*linalg.UnitRoundoff) / linalg.UnitRoundoff
		_, m0 := selfcheck.ParamNorms(x)
		l0, err := model.Loss(x, phi)
		if err != nil {
			return nil, nil, err
		}
		H0 := hessianBound(N, 1.25*m0, math.Sqrt(2*l0))
		l.st.eta = 1 / (float64(T) * H0)
		if l.diverge {
			l.st.eta = 1e4 / H0
			res, err := model.Run(model.Reference{}, x.Clone(), phi, model.RunConfig{Eta: l.st.eta, MaxSteps: T})
			if err != nil {
				return nil, nil, err
			}
			if res.Status != model.StatusDiverged {
				return nil, nil, fmt.Errorf("lane %d: planted η = %g did not diverge under Reference (%s)", q, l.st.eta, res.Status)
			}
			l.refDivergedAt = res.Steps
		}
		l.st.loss0 = l0
		l.maxM, l.maxE = m0, math.Sqrt(2*l0)
		if err := b.Set(q, x, phi, l.st.eta); err != nil {
			return nil, nil, err
		}
		ls[q] = l
	}
	loss := make([]float64, lanes)
	y := ls[0].x.Clone()
	for t := 0; t < T; t++ {
		if err := b.Step(loss); err != nil {
			return nil, nil, err
		}
		for q, l := range ls {
			if st, steps := b.State(q); st == model.LaneDiverged {
				if l.divergedAt == 0 {
					l.divergedAt = steps
				}
				continue
			} else if st != model.LaneActive {
				return nil, nil, fmt.Errorf("lane %d: state %s", q, st)
			}
			if l.diverge {
				continue
			}
			p, m := selfcheck.ParamNorms(l.x)
			l.maxM, l.maxP = math.Max(l.maxM, m), math.Max(l.maxP, p)
			lx, err := model.Reference{}.Step(l.x, l.phi, l.st.eta)
			if err != nil {
				return nil, nil, err
			}
			ly := loss[q]
			l.maxE = math.Max(l.maxE, math.Sqrt(2*lx))
			H := hessianBound(N, l.maxM, l.maxE)
			G := math.Sqrt(float64(N)) * math.Pow(l.maxM, float64(N-1)) * l.maxE
			tolW := diffTolerance(t, l.st.eta, H, l.maxP, G, l.gamma)
			evalErr := l.maxE*l.gamma*linalg.UnitRoundoff*math.Pow(l.maxM, float64(N)) +
				float64(dims[0]*dims[N]+1)*linalg.UnitRoundoff*lx
			tolL := G*tolW + 2*evalErr
			l.st.checkedLos++
			if r := math.Abs(lx-ly) / tolL; !(r <= l.st.worstL) {
				l.st.worstL = r
				if !(r <= 1) && l.st.firstBad == "" {
					l.st.firstBad = fmt.Sprintf("lane %d step %d: loss %.17g (reference) vs %.17g (batch), |Δ| = %.3g > tier %.3g",
						q, t, lx, ly, math.Abs(lx-ly), tolL)
				}
			}
			if (t+1)%500 == 0 || t+1 == T {
				tol := diffTolerance(t+1, l.st.eta, H, l.maxP, G, l.gamma)
				if err := b.Get(q, y); err != nil {
					return nil, nil, err
				}
				d := selfcheck.Dist(l.x, y)
				if r := d / tol; !(r <= l.st.worstW) {
					l.st.worstW = r
					if !(r <= 1) && l.st.firstBad == "" {
						l.st.firstBad = fmt.Sprintf("lane %d after %d steps: ‖W_ref − W_batch‖ = %.3g > tier %.3g", q, t+1, d, tol)
					}
				}
				l.st.finalTolW = tol
				l.st.growthHT = l.st.eta * H * float64(t+1)
			}
		}
	}
	for _, l := range ls {
		l.st.lossT, _ = model.Loss(l.x, l.phi)
		l.st.moved = selfcheck.Dist(l.x, l.x0)
	}
	return ls, b, nil
}

// batchShapes covers the shape classes: N = 1..8, widths 1..8, d_N = 1,
// d_0 = 1, tall (d_0 > d_N), wide (d_0 < d_N), bottlenecks, hidden layers
// wider than both ends, and both evaluation orders.
var batchShapes = [][]int{
	{1, 1}, {3, 2}, {1, 4}, {4, 1}, {8, 8},
	{1, 1, 1}, {5, 3, 1}, {1, 3, 4}, {3, 1, 3}, {2, 5, 3}, {7, 5, 3},
	{2, 2, 2, 2}, {4, 4, 4, 4}, {8, 4, 4, 1}, {1, 4, 4, 1}, {8, 1, 8, 8},
	{8, 8, 8, 8, 8}, {6, 3, 3, 3, 3, 1}, {4, 4, 4, 4, 4, 4, 4},
	{1, 2, 2, 2, 2, 2, 5}, {2, 3, 2, 3, 2, 3, 2}, {3, 2, 4, 1, 5, 6, 2, 7, 8},
}

// TestBatchDifferential: every lane of a Batch equals Reference step by
// step within the trajectory tier on every shape class, with 13 lanes (not
// a multiple of the chunk: padding lanes exist) of which two are planted
// to diverge and must stop at the iterate where model.Run with Reference
// does, while the other lanes keep agreeing.
func TestBatchDifferential(t *testing.T) {
	T := 1500
	if testing.Short() {
		T = 500
	}
	for i, dims := range batchShapes {
		t.Run(fmt.Sprint(dims), func(t *testing.T) {
			diverge := map[int]bool{3: true, 9: true}
			ls, _, err := batchDiff(dims, 13, uint64(100*i), T, diverge)
			require.NoError(t, err)
			worstL, worstW := 0.0, 0.0
			for q, l := range ls {
				if l.diverge {
					require.NotZero(t, l.divergedAt, "lane %d: planted divergence not reported", q)
					require.Equal(t, l.refDivergedAt, l.divergedAt, "lane %d: batch stopped at iterate %d, Reference's run at %d", q, l.divergedAt, l.refDivergedAt)
					continue
				}
				require.Zero(t, l.divergedAt, "lane %d froze but was not planted to diverge", q)
				require.Empty(t, l.st.firstBad)
				require.Equal(t, T, l.st.checkedLos)
				require.Greater(t, l.st.moved, 1e6*l.st.finalTolW, "lane %d: trajectory did not move", q)
				worstL, worstW = math.Max(worstL, l.st.worstL), math.Max(worstW, l.st.worstW)
			}
			t.Logf("dims %v: 11 lanes agree over %d steps (worst |Δℓ|/tier %.2g, ‖ΔW‖/tier %.2g); diverging lanes frozen at %d, %d (Reference %d, %d)",
				dims, T, worstL, worstW, ls[3].divergedAt, ls[9].divergedAt, ls[3].refDivergedAt, ls[9].refDivergedAt)
		})
	}
}

// TestBatchLanesIndependent: a lane's trajectory is bit for bit the same
// whatever the other lanes hold — idle, diverging to ±Inf/NaN, or other
// problems — and a lane loaded, stepped, read back and reloaded elsewhere
// continues exactly (Set/Get round trip one lane at a time).
func TestBatchLanesIndependent(t *testing.T) {
	for _, dims := range [][]int{{3, 4, 2}, {2, 2, 2, 2}, {1, 5, 5, 3}} {
		const lanes, T = 11, 200
		full, err := model.NewBatch(dims, lanes)
		require.NoError(t, err)
		alone, err := model.NewBatch(dims, lanes)
		require.NoError(t, err)
		var nets []*model.Net
		var phis []*mat.Dense
		for q := 0; q < lanes; q++ {
			x, phi, err := randomProblem(dims, uint64(50+q))
			require.NoError(t, err)
			eta := 1e-2
			if q%3 == 1 {
				eta = 1e3 // diverges within a few steps
			}
			require.NoError(t, full.Set(q, x, phi, eta))
			nets, phis = append(nets, x), append(phis, phi)
		}
		const watched = 5 // q%3 == 2: a converging lane among diverging ones
		require.NoError(t, alone.Set(watched, nets[watched], phis[watched], 1e-2))
		lf, la := make([]float64, lanes), make([]float64, lanes)
		diverged := 0
		for s := 0; s < T; s++ {
			require.NoError(t, full.Step(lf))
			require.NoError(t, alone.Step(la))
			require.Equal(t, math.Float64bits(la[watched]), math.Float64bits(lf[watched]), "step %d", s)
			for q := range la {
				if q != watched {
					require.True(t, math.IsNaN(la[q]), "idle lane %d reported loss %v", q, la[q])
				}
			}
		}
		for q := 0; q < lanes; q++ {
			st, steps := full.State(q)
			if q%3 == 1 {
				require.Equal(t, model.LaneDiverged, st, "lane %d", q)
				require.Less(t, steps, T)
				diverged++
			} else {
				require.Equal(t, model.LaneActive, st, "lane %d", q)
				require.Equal(t, T, steps)
			}
		}
		a, err := full.Net(watched)
		require.NoError(t, err)
		c, err := alone.Net(watched)
		require.NoError(t, err)
		require.Zero(t, selfcheck.Dist(a, c))
		// Move the lane: Get, Clear, Set into another lane, step both batches.
		require.NoError(t, full.Clear(watched))
		st, _ := full.State(watched)
		require.Equal(t, model.LaneIdle, st)
		require.NoError(t, full.Set(0, a, phis[watched], 1e-2))
		require.NoError(t, full.Step(lf))
		require.NoError(t, alone.Step(la))
		require.Equal(t, math.Float64bits(la[watched]), math.Float64bits(lf[0]))
		require.True(t, math.IsNaN(lf[watched]))
		t.Logf("dims %v: lane %d identical bit for bit over %d steps beside %d diverging lanes", dims, watched, T, diverged)
	}
}

func TestBatchErrors(t *testing.T) {
	_, err := model.NewBatch([]int{3}, 4)
	require.Error(t, err)
	_, err = model.NewBatch([]int{3, 2}, 0)
	require.Error(t, err)
	b, err := model.NewBatch([]int{3, 2, 4}, 5)
	require.NoError(t, err)
	n, phi, err := randomProblem([]int{3, 2, 4}, 1)
	require.NoError(t, err)
	require.Error(t, b.Set(5, n, phi, 0.1))
	require.Error(t, b.Set(-1, n, phi, 0.1))
	for _, eta := range []float64{0, -1, math.NaN(), math.Inf(1)} {
		require.Error(t, b.Set(0, n, phi, eta))
	}
	require.ErrorIs(t, b.Set(0, nil, phi, 0.1), model.ErrShape)
	other, _, err := randomProblem([]int{3, 3, 4}, 1)
	require.NoError(t, err)
	require.ErrorIs(t, b.Set(0, other, phi, 0.1), model.ErrShape)
	require.ErrorIs(t, b.Set(0, n, mat.NewDense(3, 4, nil), 0.1), model.ErrShape)
	bad := mat.DenseCopyOf(phi)
	bad.Set(1, 2, math.Inf(-1))
	require.ErrorIs(t, b.Set(0, n, bad, 0.1), model.ErrNonFinite)
	st, _ := b.State(0)
	require.Equal(t, model.LaneIdle, st, "a failed Set changed the lane")
	require.Error(t, b.Step(make([]float64, 4)))
	require.Error(t, b.Get(0, other))
	_, err = b.Net(7)
	require.Error(t, err)
	// A Φ given as a transposed view loads the same lane as its copy.
	require.NoError(t, b.Set(0, n, phi, 0.1))
	pt := mat.DenseCopyOf(phi.T())
	require.NoError(t, b.Set(1, n, pt.T(), 0.1))
	loss := make([]float64, 5)
	require.NoError(t, b.Step(loss))
	require.Equal(t, loss[0], loss[1])
	// A start with non-finite weights is diverged at step 0, as in Run.
	inf := n.Clone()
	inf.Layer(1).Set(0, 0, math.Inf(1))
	require.NoError(t, b.Set(2, inf, phi, 0.1))
	st, steps := b.State(2)
	require.Equal(t, model.LaneDiverged, st)
	require.Zero(t, steps)
	got, err := b.Net(2)
	require.NoError(t, err)
	require.True(t, math.IsInf(got.Layer(1).At(0, 0), 1), "a frozen lane keeps its state")
}

func TestBatchZeroAllocs(t *testing.T) {
	for _, dims := range [][]int{{1, 1, 1}, {2, 2, 2, 2}, {8, 8, 8, 8, 8}, {128, 32, 32, 1}, {1, 5, 5, 7}} {
		b, err := model.NewBatch(dims, model.BatchLanes)
		require.NoError(t, err)
		for q := 0; q < model.BatchLanes; q += 3 {
			n, phi, err := randomProblem(dims, uint64(q))
			require.NoError(t, err)
			require.NoError(t, b.Set(q, n, phi, 1e-6))
		}
		loss := make([]float64, model.BatchLanes)
		allocs := testing.AllocsPerRun(20, func() {
			if err := b.Step(loss); err != nil {
				t.Fatal(err)
			}
		})
		require.Zero(t, allocs, "dims %v", dims)
	}
}

func TestBatchLanesFor(t *testing.T) {
	for _, c := range []struct {
		dims []int
		want int
	}{{[]int{2, 2, 2, 2}, 32}, {[]int{4, 4, 4, 4}, 24}, {[]int{8, 8, 8, 8, 8}, 8}, {[]int{128, 32, 32, 1}, 8}, {[]int{3}, 8}} {
		require.Equal(t, c.want, model.BatchLanesFor(c.dims), "dims %v", c.dims)
	}
}

// TestBatchEpsilonStops: lanes given an ε stop at the same iterate, with
// the same weights up to the trajectory's rounding, as model.Run with
// Reference and that ε; the other lanes keep stepping.
func TestBatchEpsilonStops(t *testing.T) {
	for _, dims := range [][]int{{3, 2, 1}, {2, 3, 3, 2}, {1, 4, 2}} {
		const lanes, eta, K = 6, 0.05, 3000
		b, err := model.NewBatch(dims, lanes)
		require.NoError(t, err)
		want := make([]model.Result, lanes)
		for q := 0; q < lanes; q++ {
			x, phi, err := randomProblem(dims, uint64(7+q))
			require.NoError(t, err)
			l0, err := model.Loss(x, phi)
			require.NoError(t, err)
			eps := l0 * math.Pow(0.5, float64(q+1)) // lane q stops after halving q+1 times
			res, err := model.Run(model.Reference{}, x.Clone(), phi, model.RunConfig{Eta: eta, MaxSteps: K, Epsilon: eps})
			require.NoError(t, err)
			want[q] = res
			require.NoError(t, b.Set(q, x, phi, eta))
			require.NoError(t, b.SetEpsilon(q, eps))
		}
		loss := make([]float64, lanes)
		for s := 0; s < K; s++ {
			require.NoError(t, b.Step(loss))
		}
		for q := 0; q < lanes; q++ {
			st, steps := b.State(q)
			if want[q].Status == model.StatusConverged {
				require.Equal(t, model.LaneConverged, st, "dims %v lane %d", dims, q)
				require.Equal(t, want[q].Steps, steps, "dims %v lane %d", dims, q)
				require.InDelta(t, want[q].FinalLoss, loss[q], 1e-12*want[q].FinalLoss)
			} else {
				require.Equal(t, model.LaneActive, st)
			}
		}
		require.Error(t, b.SetEpsilon(0, -1))
		t.Logf("dims %v: lanes stopped at %d, %d, %d, %d, %d, %d (Run: same)", dims,
			want[0].Steps, want[1].Steps, want[2].Steps, want[3].Steps, want[4].Steps, want[5].Steps)
	}
}
