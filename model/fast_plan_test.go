package model_test

import (
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// FastPlan's multiply-add counts, worked by hand from the step's schedule
// (docs/fast.md), so that the order choice is pinned, not just its sign.
// Thin output (r = d_N): Σ_{j=0}^{N−2} r d_{j+1} d_j (left partials)
// + Σ_{j=1}^{N−1} 2 r d_j d_{j−1} (right chain and rank-r updates)
// + d_N d_{N−1} (the last layer's axpy); thin input mirrors it with s = d_0.
func TestFastPlanCounts(t *testing.T) {
	cases := []struct {
		dims    []int
		order   model.Order
		out, in int
		why     string
	}{
		// out = (4096+1024) + 2(4096+1024) + 32; in = 128(1024+32)·3 + 4096.
		{[]int{128, 32, 32, 1}, model.OrderThinOutput, 15392, 409600, "scalar output: chain from the output end"},
		{[]int{1, 32, 32, 128}, model.OrderThinInput, 409600, 15392, "scalar input: the mirror image"},
		// N = 1: both orders are one axpy of d_1·d_0; ties keep the output order.
		{[]int{3, 2}, model.OrderThinOutput, 6, 6, "depth 1"},
		// Square 2×2×2: out = 2·4 + 2·2·4 + 4 = 28 = in (tie).
		{[]int{2, 2, 2}, model.OrderThinOutput, 28, 28, "square tie"},
		// 3→2→1: out = 1·2·3 + 2·1·2·3 + 1·2 = 20; in = 3·1·2 + 2·3·1·2 + 2·3 = 24.
		{[]int{3, 2, 1}, model.OrderThinOutput, 20, 24, "narrow output"},
	}
	for _, c := range cases {
		o, out, in, err := model.FastPlan(c.dims)
		require.NoError(t, err)
		require.Equal(t, c.out, out, "%v out-order count (%s)", c.dims, c.why)
		require.Equal(t, c.in, in, "%v in-order count (%s)", c.dims, c.why)
		require.Equal(t, c.order, o, "%v order (%s)", c.dims, c.why)
	}
}

// A Φ wrong in only one dimension is rejected like a Φ wrong in both, by
// both implementations, and leaves the network untouched.
func TestFastTargetShapeEachDimension(t *testing.T) {
	n, err := model.Gaussian([]int{3, 2, 4}, 0.5, model.NewRand(1)) // Φ must be 4×3
	require.NoError(t, err)
	before := n.Clone()
	for _, shape := range [][2]int{{5, 3}, {4, 2}, {3, 4}} {
		phi := mat.NewDense(shape[0], shape[1], nil)
		for _, impl := range []model.Stepper{model.NewFast(), model.Reference{}} {
			_, err := impl.Step(n, phi, 0.1)
			require.ErrorIs(t, err, model.ErrShape, "%s with a %d×%d Φ", impl.Name(), shape[0], shape[1])
		}
	}
	require.True(t, mat.Equal(before.Product(), n.Product()), "a rejected step changed the network")
}
