// Package gostepper is an example of a gradient-descent implementation
// kept outside this module's model package and checked by the claim suite:
// Stepper implements model.Stepper with its own gradient code (gonum
// products, not model.Gradients), so the suite checks it the way it would
// check a team's own numerical core.
//
// Check it in-process from a Go test (gostepper_test.go does):
//
//	for _, p := range proofs.All() {
//		if o := proofs.Verify(p, gostepper.Stepper{}); !o.Passed { … }
//	}
//
// or as a separate process over the protocol of docs/external.md:
//
//	dlnverify verify --impl exec:'go run ./examples/gostepper/cmd/gostepper-peer'
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}},
// L = ½‖W_N⋯W_1 − Φ‖_F².
package gostepper

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// Stepper is plain GD: ∂L/∂W_j = (W_N⋯W_{j+1})ᵀ(W_{1:N} − Φ)(W_{j−1}⋯W_1)ᵀ,
// every gradient at the current iterate. Broken plants a bug the suite
// must reject: the residual transposed, (W_{1:N} − Φ)ᵀ, wherever the shapes
// allow it (d_0 = d_N).
type Stepper struct{ Broken bool }

// Name implements model.Stepper.
func (s Stepper) Name() string {
	if s.Broken {
		return "gostepper-broken-transposed"
	}
	return "gostepper"
}

// Step implements model.Stepper: it updates n in place and returns the
// loss before the step. Errors: a non-positive or non-finite η, Φ of the
// wrong shape.
func (s Stepper) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	if !(eta > 0) || math.IsInf(eta, 0) {
		return math.NaN(), fmt.Errorf("gostepper: η = %v must be finite and positive", eta)
	}
	N, dims := n.N(), n.Dims()
	if r, c := phi.Dims(); r != dims[N] || c != dims[0] {
		return math.NaN(), fmt.Errorf("gostepper: Φ is %d×%d, want %d×%d", r, c, dims[N], dims[0])
	}
	// right[j] = W_j⋯W_1 (right[0] = I), left[j] = W_N⋯W_{j+1} (left[N] = I).
	right := make([]*mat.Dense, N+1)
	right[0] = identity(dims[0])
	for j := 1; j <= N; j++ {
		right[j] = new(mat.Dense)
		right[j].Mul(n.Layer(j), right[j-1])
	}
	left := make([]*mat.Dense, N+1)
	left[N] = identity(dims[N])
	for j := N; j >= 1; j-- {
		left[j-1] = new(mat.Dense)
		left[j-1].Mul(left[j], n.Layer(j))
	}
	var e mat.Dense
	e.Sub(right[N], phi)
	f := mat.Norm(&e, 2)
	loss := 0.5 * f * f
	var res mat.Matrix = &e
	if s.Broken && dims[0] == dims[N] {
		res = e.T()
	}
	grads := make([]*mat.Dense, N)
	for j := 1; j <= N; j++ {
		var t mat.Dense
		t.Mul(left[j].T(), res)
		grads[j-1] = new(mat.Dense)
		grads[j-1].Mul(&t, right[j-1].T())
	}
	for j := 1; j <= N; j++ {
		grads[j-1].Scale(eta, grads[j-1])
		n.Layer(j).Sub(n.Layer(j), grads[j-1])
	}
	return loss, nil
}

func identity(d int) *mat.Dense {
	m := mat.NewDense(d, d, nil)
	for i := 0; i < d; i++ {
		m.Set(i, i, 1)
	}
	return m
}
