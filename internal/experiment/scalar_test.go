package experiment

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// ScalarGD and model.Fast (the experiment's default) follow model.Reference
// step for step over ≥ 1000 steps on scalar-output nets of several shapes,
// for both initialisations.
func TestScalarGDMatchesReference(t *testing.T) {
	cases := []struct {
		dims []int
		s    float64
		eta  float64
	}{
		{[]int{5, 1}, 0.3, 0.1},
		{[]int{6, 4, 1}, 0.4, 0.05},
		{[]int{16, 8, 8, 1}, 0.3, 0.05},
		{[]int{12, 6, 6, 6, 6, 6, 6, 6, 1}, 0.45, 0.02},
	}
	const steps = 1000
	for ci, tc := range cases {
		for _, balanced := range []bool{false, true} {
			rng := model.NewRand(uint64(100 + ci))
			phi := unitRow(tc.dims[0], rng)
			var n *model.Net
			var err error
			if balanced {
				n, err = model.BalancedGaussian(tc.dims, tc.s, rng, true)
			} else {
				n, err = model.Gaussian(tc.dims, tc.s, rng)
			}
			require.NoError(t, err)
			for _, sg := range []model.Stepper{&ScalarGD{}, model.NewFast()} {
				ref, fast := n.Clone(), n.Clone()
				l0 := mustLoss(t, n, phi)
				maxGap := 0.0
				for k := 0; k < steps; k++ {
					lr, err := model.Reference{}.Step(ref, phi, tc.eta)
					require.NoError(t, err)
					lf, err := sg.Step(fast, phi, tc.eta)
					require.NoError(t, err)
					// Compare residual norms ‖e‖ = √(2ℓ): their gap is linear in
					// the weights' rounding differences, also once ℓ reaches its
					// rounding floor (where a relative loss gap is meaningless).
					maxGap = math.Max(maxGap, math.Abs(math.Sqrt(2*lr)-math.Sqrt(2*lf)))
				}
				// Both evaluate S2's sums in different orders, each step adding
				// O((Σ_j d_j)·eps64) relative rounding; over K steps that gives
				// K·(Σ_j d_j)·eps64 relative to the scale ‖Φ‖_F + ‖e(0)‖.
				sum := 0
				for _, d := range tc.dims {
					sum += d
				}
				tol := float64(steps*sum) * 0x1p-52
				scale := 1 + math.Sqrt(2*l0) // ‖Φ‖_F = 1
				t.Logf("%s dims %v balanced=%v: ℓ(0)=%.3g, max residual-norm gap %.2e over %d steps (tol %.1e), final loss %.3e", sg.Name(), tc.dims, balanced, l0, maxGap, steps, tol*scale, mustLoss(t, fast, phi))
				require.LessOrEqual(t, maxGap, tol*scale)
				for j := 1; j <= n.N(); j++ {
					var d mat.Dense
					d.Sub(ref.Layer(j), fast.Layer(j))
					require.LessOrEqual(t, mat.Norm(&d, 2), tol*math.Max(1, mat.Norm(ref.Layer(j), 2)), "layer %d", j)
				}
			}
		}
	}
}

// gaussSeidelGD is a planted bug: it updates the layers one after another,
// taking each gradient at the partially updated iterate (S2 requires all
// gradients at the same iterate).
type gaussSeidelGD struct{}

func (gaussSeidelGD) Name() string { return "gauss-seidel (planted bug)" }

func (gaussSeidelGD) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	l, err := model.Loss(n, phi)
	if err != nil {
		return l, err
	}
	for j := 1; j <= n.N(); j++ {
		g, err := model.Gradients(n, phi)
		if err != nil {
			return l, err
		}
		var u mat.Dense
		u.Scale(eta, g[j-1])
		n.Layer(j).Sub(n.Layer(j), &u)
	}
	return l, nil
}

// The differential comparison used above is seen to fail on a planted bug:
// against a Gauss–Seidel update the residual-norm gap exceeds the tolerance
// by orders of magnitude within a few steps.
func TestScalarGDDifferentialDetectsPlantedBug(t *testing.T) {
	dims := []int{16, 8, 8, 1}
	rng := model.NewRand(3)
	phi := unitRow(16, rng)
	n, err := model.Gaussian(dims, 0.3, rng)
	require.NoError(t, err)
	a, b := n.Clone(), n.Clone()
	sg := &ScalarGD{}
	gap := 0.0
	for k := 0; k < 20; k++ {
		lr, err := gaussSeidelGD{}.Step(a, phi, 0.05)
		require.NoError(t, err)
		lf, err := sg.Step(b, phi, 0.05)
		require.NoError(t, err)
		gap = math.Max(gap, math.Abs(math.Sqrt(2*lr)-math.Sqrt(2*lf)))
	}
	tol := float64(20*(16+8+8+1)) * 0x1p-52 * (1 + math.Sqrt(2*mustLoss(t, n, phi)))
	t.Logf("planted bug: residual-norm gap %.2e vs tolerance %.1e", gap, tol)
	require.Greater(t, gap, 1e3*tol)
}

func TestScalarGDRejectsBadInput(t *testing.T) {
	n, err := model.Gaussian([]int{3, 2, 2}, 0.1, model.NewRand(1))
	require.NoError(t, err)
	_, err = (&ScalarGD{}).Step(n, mat.NewDense(2, 3, nil), 0.1)
	require.Error(t, err) // d_N = 2
	n1, _ := model.Gaussian([]int{3, 1}, 0.1, model.NewRand(1))
	_, err = (&ScalarGD{}).Step(n1, mat.NewDense(1, 3, nil), -1)
	require.Error(t, err)
	_, err = (&ScalarGD{}).Step(n1, mat.NewDense(1, 4, nil), 0.1)
	require.Error(t, err)
}

func mustLoss(t *testing.T, n *model.Net, phi mat.Matrix) float64 {
	t.Helper()
	l, err := model.Loss(n, phi)
	require.NoError(t, err)
	return l
}

func BenchmarkScalarGD(b *testing.B) {
	for _, dims := range [][]int{{128, 32, 32, 1}, {128, 32, 32, 32, 32, 32, 32, 32, 1}} {
		rng := model.NewRand(1)
		n, _ := model.BalancedGaussian(dims, 0.01, rng, true)
		phi := unitRow(128, rng)
		for _, st := range []model.Stepper{&ScalarGD{}, model.NewFast()} {
			b.Run(st.Name()+"/"+fmtDims(dims), func(b *testing.B) {
				b.ReportAllocs()
				for i := 0; i < b.N; i++ {
					_, _ = st.Step(n, phi, 1e-4)
				}
			})
		}
	}
}
