// Package faulty holds deliberately broken model.Stepper implementations.
// The proof suite runs its property bodies against them and asserts that
// each property FAILS on at least one of them: a property that cannot see
// these bugs is not checking what it claims.
//
// Every stepper here is a plausible implementation mistake, documented
// with the claims expected to catch it. Each validates its arguments the
// way model.Reference does and returns the loss of the iterate before the
// step, so that only the planted mistake differs. Conventions are model's:
// x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}, layers numbered from 1,
// ∂L^N/∂W_j = W_{j+1:N}ᵀ (W_{1:N} − Φ) W_{1:j−1}ᵀ.
package faulty

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// All returns one instance of every faulty stepper.
func All() []model.Stepper {
	return []model.Stepper{SignFlip{}, DoubleEta{}, DropLayer{}, Sequential{}, TransposedFactor{}, WrongOrder{}}
}

func check(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	if n == nil {
		return math.NaN(), fmt.Errorf("faulty: nil network")
	}
	if !(eta > 0) || math.IsInf(eta, 0) {
		return math.NaN(), fmt.Errorf("faulty: step size η = %v must be a finite positive number", eta)
	}
	return model.Loss(n, phi)
}

// update applies W_j ← W_j − a·G_j to every layer except layer skip (1-based; 0 skips none).
func update(n *model.Net, grads []*mat.Dense, a float64, skip int) {
	for j, g := range grads {
		if j+1 == skip {
			continue
		}
		var s mat.Dense
		s.Scale(a, g)
		n.Layer(j+1).Sub(n.Layer(j+1), &s)
	}
}

// SignFlip steps uphill: W_j ← W_j + η∂L/∂W_j (a sign error in the
// update). Caught by L1, L2, T1, R1 (the loss grows), S2 (the implied
// gradient has the wrong sign) and G2 (first-order term of the wrong sign).
// It passes G1, whose η² term is even in η.
type SignFlip struct{}

// Name implements model.Stepper.
func (SignFlip) Name() string { return "faulty/sign-flip" }

// Step implements model.Stepper.
func (SignFlip) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	g, err := model.Gradients(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	update(n, g, -eta, 0)
	return loss, nil
}

// DoubleEta uses 2η (a step size applied twice, or a missing ½ in the
// loss). Caught by G1 (the imbalance changes by 4η²(…)), G2 (the
// remainder stops scaling like η²) and S2; the descent lemmas, whose
// constants are loose by more than 2, need not see it.
type DoubleEta struct{}

// Name implements model.Stepper.
func (DoubleEta) Name() string { return "faulty/double-eta" }

// Step implements model.Stepper.
func (DoubleEta) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	g, err := model.Gradients(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	update(n, g, 2*eta, 0)
	return loss, nil
}

// DropLayer never updates one layer (an off-by-one in the layer loop):
// layer Layer (1-based), or W_N when Layer is 0 or out of range. Caught by
// G1 (the imbalance of the pair next to the frozen layer moves at first
// order in η) and S2; with N = 1 it never moves, so T1/R1 catch it too.
type DropLayer struct{ Layer int }

// Name implements model.Stepper.
func (d DropLayer) Name() string { return fmt.Sprintf("faulty/drop-layer-%d", d.Layer) }

// Step implements model.Stepper.
func (d DropLayer) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	g, err := model.Gradients(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	skip := d.Layer
	if skip < 1 || skip > n.N() {
		skip = n.N()
	}
	update(n, g, eta, skip)
	return loss, nil
}

// Sequential updates layers in place one after the other, so layer j+1's
// gradient is taken at the already-updated W_j (Gauss–Seidel instead of
// S2's simultaneous update). The error is O(η²) per step, invisible to the
// descent lemmas; caught by G1, whose exact η² identity it breaks.
type Sequential struct{}

// Name implements model.Stepper.
func (Sequential) Name() string { return "faulty/sequential" }

// Step implements model.Stepper.
func (Sequential) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	for j := 1; j <= n.N(); j++ {
		g, err := model.Gradients(n, phi)
		if err != nil {
			return math.NaN(), err
		}
		var s mat.Dense
		s.Scale(eta, g[j-1])
		n.Layer(j).Sub(n.Layer(j), &s)
	}
	return loss, nil
}

// TransposedFactor forgets the transpose on the right factor:
// G_j = W_{j+1:N}ᵀ (W − Φ) W_{1:j−1} instead of … W_{1:j−1}ᵀ. The shapes
// only allow this when W_{1:j−1} is square (d_{j−1} = d_0); elsewhere it
// uses the correct factor. With scalar or symmetric factors the mistake is
// invisible, so it shows on square cases with d ≥ 2 and N ≥ 2: caught by
// S2 (finite differences) and S3 (the update is no longer rotation
// equivariant).
type TransposedFactor struct{}

// Name implements model.Stepper.
func (TransposedFactor) Name() string { return "faulty/transposed-factor" }

// Step implements model.Stepper.
func (TransposedFactor) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	N := n.N()
	var e mat.Dense
	e.Sub(n.Product(), phi)
	grads := make([]*mat.Dense, N)
	for j := 1; j <= N; j++ {
		left, _ := n.Partial(j+1, N)
		right, _ := n.Partial(1, j-1)
		var t mat.Dense
		t.Mul(left.T(), &e)
		g := new(mat.Dense)
		if r, c := right.Dims(); r == c {
			g.Mul(&t, right) // the bug
		} else {
			g.Mul(&t, right.T())
		}
		grads[j-1] = g
	}
	update(n, grads, eta, 0)
	return loss, nil
}

// WrongOrder forms the end-to-end matrix in the wrong order, W_1W_2⋯W_N
// instead of W_N⋯W_1, whenever every width is equal (elsewhere the shapes
// forbid it and it uses the right order). Invisible for d = 1 or N = 1;
// caught by S2 and S3 on square cases with d ≥ 2, N ≥ 2.
type WrongOrder struct{}

// Name implements model.Stepper.
func (WrongOrder) Name() string { return "faulty/wrong-order" }

// Step implements model.Stepper.
func (WrongOrder) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := check(n, phi, eta)
	if err != nil {
		return loss, err
	}
	N := n.N()
	square := true
	dims := n.Dims()
	for _, d := range dims {
		square = square && d == dims[0]
	}
	w := n.Product()
	if square {
		w = mat.DenseCopyOf(n.Layer(1))
		for j := 2; j <= N; j++ {
			var next mat.Dense
			next.Mul(w, n.Layer(j)) // the bug: W_1⋯W_j
			w = &next
		}
	}
	var e mat.Dense
	e.Sub(w, phi)
	grads := make([]*mat.Dense, N)
	for j := 1; j <= N; j++ {
		left, _ := n.Partial(j+1, N)
		right, _ := n.Partial(1, j-1)
		var t mat.Dense
		t.Mul(left.T(), &e)
		g := new(mat.Dense)
		g.Mul(&t, right.T())
		grads[j-1] = g
	}
	update(n, grads, eta, 0)
	return loss, nil
}
