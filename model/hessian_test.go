package model_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// Sharpness against closed forms: for N = 2 scalars, L = ½(w₁w₂ − φ)² has
// Hessian [[w₂², 2w₁w₂ − φ], [2w₁w₂ − φ, w₁²]]; at a balanced optimum of N
// scalar layers (w = φ^{1/N}) the Hessian is vvᵀ with v_j = φ^{(N−1)/N}, so
// λ_max = N φ^{2−2/N}; for N = 1 it is the identity.
func TestSharpnessClosedForms(t *testing.T) {
	for _, c := range []struct{ w1, w2, phi float64 }{{0.5, 0.5, 1}, {4, 0.25, 1}, {-1.5, 2, 0.3}, {0, 0, 1}} {
		a, d, b := c.w2*c.w2, c.w1*c.w1, 2*c.w1*c.w2-c.phi
		want := (a+d)/2 + math.Sqrt((a-d)*(a-d)/4+b*b)
		got, err := model.Sharpness(scalarNet(t, c.w1, c.w2), scalarPhi(c.phi))
		require.NoError(t, err)
		require.InDelta(t, want, got, 1e-7*math.Max(1, want), "%+v", c)
	}
	for _, N := range []int{2, 3, 5} {
		phi := 1.7
		w := math.Pow(phi, 1/float64(N))
		ws := make([]float64, N)
		for j := range ws {
			ws[j] = w
		}
		got, err := model.Sharpness(scalarNet(t, ws...), scalarPhi(phi))
		require.NoError(t, err)
		require.InEpsilon(t, float64(N)*math.Pow(phi, 2-2/float64(N)), got, 1e-7, "N = %d", N)
	}
	n, err := model.NewNet([]mat.Matrix{mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})})
	require.NoError(t, err)
	got, err := model.Sharpness(n, mat.NewDense(2, 3, nil))
	require.NoError(t, err)
	require.InDelta(t, 1, got, 1e-8)
	big := randNet(t, []int{40, 40}, 1, 1)
	_, err = model.Sharpness(big, mat.NewDense(40, 40, nil))
	require.Error(t, err)
}
