package invariants_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

func TestSpectralIsNotFrobenius(t *testing.T) {
	a := mat.NewDense(2, 2, []float64{3, 0, 0, 4})
	require.InDelta(t, 4, invariants.SpectralNorm(a), 1e-14)
	require.InDelta(t, 3, invariants.SigmaMin(a), 1e-14)
	require.InDelta(t, 5, invariants.Frobenius(a), 1e-14)
	require.True(t, math.IsNaN(invariants.SigmaMin(mat.NewDense(1, 1, []float64{math.NaN()}))))
}

func TestSymPow(t *testing.T) {
	s := mat.NewDense(2, 2, []float64{4, 0, 0, 9})
	h, err := invariants.SymPow(s, 0.5)
	require.NoError(t, err)
	require.True(t, mat.EqualApprox(h, mat.NewDense(2, 2, []float64{2, 0, 0, 3}), 1e-13))
	// Round-off negative eigenvalue clamped.
	h, err = invariants.SymPow(mat.NewDense(1, 1, []float64{-1e-18}), 0.5)
	require.NoError(t, err)
	require.Equal(t, 0.0, h.At(0, 0))
	h, _ = invariants.SymPow(mat.NewDense(1, 1, []float64{0}), 0)
	require.Equal(t, 1.0, h.At(0, 0))
}

// T1's bounds evaluated by hand. Note: CLAIMS.md's scale remark says
// ‖Φ‖_F = 1, c = 0.3, N = 3 gives η ≈ 1e-9; its own formula gives
// 0.3^{10/3}/(6144·27) ≈ 1.09e-7 (the formula is the specification).
func TestTheorem1BoundsScale(t *testing.T) {
	eta := invariants.EtaBound(0.3, 3, 1)
	require.InDelta(t, math.Pow(0.3, 10.0/3)/(6144*27), eta, 1e-20, "η bound %g", eta)
	require.InDelta(t, 0.09/(256*27), invariants.DeltaBound(0.3, 3, 1), 1e-18)
	// N = 2, c = 0.9 over three decades: T ≈ 5e5 (CLAIMS.md).
	e2 := invariants.EtaBound(0.9, 2, 1)
	T := invariants.Horizon(1, 1e-3, e2, 0.9, 2)
	require.Greater(t, T, 1e5)
	require.Less(t, T, 1e6)
}

func TestPWEigen(t *testing.T) {
	w := model.GaussianMatrix(2, 3, 1, model.NewRand(1))
	N := 3
	ev, err := invariants.PWEigenvalues(w, N)
	require.NoError(t, err)
	var svd mat.SVD
	require.True(t, svd.Factorize(w, mat.SVDFull))
	var u, v mat.Dense
	svd.UTo(&u)
	svd.VTo(&v)
	for a := 0; a < 2; a++ {
		for b := 0; b < 3; b++ {
			e := mat.NewDense(2, 3, nil)
			e.Outer(1, u.ColView(a), v.ColView(b))
			pe, err := invariants.ApplyPW(w, e, N)
			require.NoError(t, err)
			var want mat.Dense
			want.Scale(ev[a][b], e)
			require.True(t, mat.EqualApprox(pe, &want, 1e-12), "eigenpair (%d,%d)", a, b)
		}
	}
}

func TestCheckTheorem1(t *testing.T) {
	phi := mat.NewDense(1, 1, []float64{1})
	n, _ := model.NewNetFromRows([][][]float64{{{0.95}}, {{0.95}}})
	h := invariants.CheckTheorem1(n, phi, 1e-6, 0)
	require.InDelta(t, 1-(1-0.95*0.95), h.C, 1e-14)
	require.True(t, h.WidthsOK)
	require.Equal(t, h.Eta <= h.EtaBound, h.Holds())
	h = invariants.CheckTheorem1(n, phi, 1e-6, 0.99)
	require.False(t, h.Holds(), "claimed margin above the measured one")
	require.False(t, invariants.WidthsOK([]int{3, 2, 3}))
}
