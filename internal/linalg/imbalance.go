package linalg

import (
	"math"

	"gonum.org/v1/gonum/mat"
)

// ImbalancePairs returns ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F for j = 1..N−1
// (index j−1) of the layers W_1..W_N: the D1 quantities. Their one public
// name is invariants.ImbalancePairs; model computes them here too, for
// PerturbImbalance, because model does not import invariants.
func ImbalancePairs(layers []*mat.Dense) []float64 {
	out := make([]float64, max(len(layers)-1, 0))
	for j := 0; j+1 < len(layers); j++ {
		var a, b mat.Dense
		a.Mul(layers[j+1].T(), layers[j+1])
		b.Mul(layers[j], layers[j].T())
		a.Sub(&a, &b)
		out[j] = mat.Norm(&a, 2)
	}
	return out
}

// Imbalance is the D1 value max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F of the
// layers (0 for N ≤ 1; NaN if any pair is NaN). Its one public name is
// invariants.Imbalance.
func Imbalance(layers []*mat.Dense) float64 {
	worst := 0.0
	for _, v := range ImbalancePairs(layers) {
		if math.IsNaN(v) {
			return math.NaN()
		}
		worst = math.Max(worst, v)
	}
	return worst
}
