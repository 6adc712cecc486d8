package proofs

import (
	"math/rand/v2"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

func TestP1_ProcedureOneBalancedStart(t *testing.T) { runRegistered(t) }

func TestP1_ProcedureOneBalancedStart_CatchesPlantedBug(t *testing.T) {
	expectFailureWith(t, "P1 with one-sided orthogonal insertion", p1Procedure(NewStats(), brokenProcedure), "P1 violated: ‖W_{1:N} − A‖_F")
	expectFailureWith(t, "P1 with W_1 doubled and W_2 halved", p1Procedure(NewStats(), unbalancedProcedure), "P1 violated: imbalance")
}

// brokenProcedure inserts O_j on layer j only (forgetting O_jᵀ on layer
// j+1): balanced, but no longer reproducing A. The planted bug of P1.
func brokenProcedure(a mat.Matrix, dims []int, rng *rand.Rand) (*model.Net, error) {
	n, err := model.Balanced(a, dims, nil)
	if err != nil || rng == nil {
		return n, err
	}
	N := len(dims) - 1
	for j := 1; j < N; j++ {
		o := linalg.RandomOrthogonal(dims[j], rng)
		var w mat.Dense
		w.Mul(o, n.Layer(j))
		n.Layer(j).Copy(&w)
	}
	return n, nil
}

// unbalancedProcedure keeps the product A but doubles W_1 and halves W_2
// (N ≥ 2): the planted bug of P1's 0-balance clause.
func unbalancedProcedure(a mat.Matrix, dims []int, rng *rand.Rand) (*model.Net, error) {
	n, err := model.Balanced(a, dims, rng)
	if err != nil || n.N() < 2 {
		return n, err
	}
	n.Layer(1).Scale(2, n.Layer(1))
	n.Layer(2).Scale(0.5, n.Layer(2))
	return n, nil
}
