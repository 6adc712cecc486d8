package model

import (
	"errors"
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// Net is a deep linear network W_1..W_N. Its zero value is not usable; build
// one with NewNet or an initialisation.
type Net struct {
	w []*mat.Dense // w[j-1] = W_j
}

// ErrShape reports inconsistent dimensions.
var ErrShape = errors.New("model: inconsistent shapes")

// ErrNonFinite reports a NaN or ±Inf entry.
var ErrNonFinite = errors.New("model: non-finite entry")

// NewNet copies layers W_1..W_N (layers[0] = W_1) into a new network after
// checking that N ≥ 1, that consecutive dimensions agree (W_{j+1} has d_j
// columns), that no dimension is zero, and that every entry is finite.
func NewNet(layers []mat.Matrix) (*Net, error) {
	if len(layers) == 0 {
		return nil, fmt.Errorf("%w: a network needs at least one layer (N ≥ 1)", ErrShape)
	}
	n := &Net{w: make([]*mat.Dense, len(layers))}
	for j, l := range layers {
		if l == nil {
			return nil, fmt.Errorf("%w: layer W_%d is nil", ErrShape, j+1)
		}
		r, c := l.Dims()
		if r == 0 || c == 0 {
			return nil, fmt.Errorf("%w: layer W_%d is %d×%d; dimensions must be ≥ 1", ErrShape, j+1, r, c)
		}
		if j > 0 {
			pr, _ := layers[j-1].Dims()
			if c != pr {
				return nil, fmt.Errorf("%w: W_%d is %d×%d but W_%d has %d rows (d_%d must agree)", ErrShape, j+1, r, c, j, pr, j)
			}
		}
		if !linalg.AllFinite(l) {
			return nil, fmt.Errorf("%w in layer W_%d", ErrNonFinite, j+1)
		}
		n.w[j] = mat.DenseCopyOf(l)
	}
	return n, nil
}

// NewNetFromRows builds a network from row-major nested slices, one per layer
// (layers[0] = W_1, each a list of rows). Ragged rows are an error.
func NewNetFromRows(layers [][][]float64) (*Net, error) {
	ms := make([]mat.Matrix, len(layers))
	for j, rows := range layers {
		m, err := DenseFromRows(rows)
		if err != nil {
			return nil, fmt.Errorf("layer W_%d: %w", j+1, err)
		}
		ms[j] = m
	}
	return NewNet(ms)
}

// DenseFromRows builds a matrix from a non-empty list of equal-length rows.
func DenseFromRows(rows [][]float64) (*mat.Dense, error) {
	if len(rows) == 0 || len(rows[0]) == 0 {
		return nil, fmt.Errorf("%w: empty matrix", ErrShape)
	}
	c := len(rows[0])
	data := make([]float64, 0, len(rows)*c)
	for i, row := range rows {
		if len(row) != c {
			return nil, fmt.Errorf("%w: row %d has %d entries, row 0 has %d", ErrShape, i, len(row), c)
		}
		for _, v := range row {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return nil, fmt.Errorf("%w at row %d", ErrNonFinite, i)
			}
		}
		data = append(data, row...)
	}
	return mat.NewDense(len(rows), c, data), nil
}

// N is the depth (number of layers).
func (n *Net) N() int { return len(n.w) }

// Dims returns d_0, d_1, …, d_N.
func (n *Net) Dims() []int {
	d := make([]int, len(n.w)+1)
	_, d[0] = n.w[0].Dims()
	for j, l := range n.w {
		d[j+1], _ = l.Dims()
	}
	return d
}

// Layer returns W_j (1 ≤ j ≤ N) itself, not a copy: implementations update it
// in place. It returns nil for an index out of range.
func (n *Net) Layer(j int) *mat.Dense {
	if j < 1 || j > len(n.w) {
		return nil
	}
	return n.w[j-1]
}

// Layers returns copies of W_1..W_N.
func (n *Net) Layers() []*mat.Dense {
	out := make([]*mat.Dense, len(n.w))
	for j, l := range n.w {
		out[j] = mat.DenseCopyOf(l)
	}
	return out
}

// Clone returns a deep copy.
func (n *Net) Clone() *Net {
	return &Net{w: n.Layers()}
}

// CopyFrom overwrites n's layers with src's; shapes must match.
func (n *Net) CopyFrom(src *Net) error {
	if !slices.Equal(n.Dims(), src.Dims()) {
		return fmt.Errorf("%w: CopyFrom between dims %v and %v", ErrShape, n.Dims(), src.Dims())
	}
	for j := range n.w {
		n.w[j].Copy(src.w[j])
	}
	return nil
}

// Finite reports whether every entry of every layer is finite.
func (n *Net) Finite() bool {
	for _, l := range n.w {
		for _, v := range l.RawMatrix().Data {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// Partial returns W_{j:k} = W_k ⋯ W_j for 1 ≤ j ≤ k+1, 0 ≤ k ≤ N.
// W_{j:j−1} is the identity of size d_{j−1} (so W_{1:0} = I_{d_0} and
// W_{N+1:N} = I_{d_N}).
func (n *Net) Partial(j, k int) (*mat.Dense, error) {
	if j < 1 || k > len(n.w) || j > k+1 {
		return nil, fmt.Errorf("model: Partial(%d, %d) out of range for N = %d", j, k, len(n.w))
	}
	if j == k+1 {
		return linalg.Identity(n.Dims()[k]), nil
	}
	p := mat.DenseCopyOf(n.w[j-1])
	for i := j + 1; i <= k; i++ {
		var next mat.Dense
		next.Mul(n.w[i-1], p)
		p = &next
	}
	return p, nil
}

// Product returns the end-to-end matrix W_{1:N} = W_N ⋯ W_1.
func (n *Net) Product() *mat.Dense {
	p, _ := n.Partial(1, len(n.w)) // always in range
	return p
}

// CheckTarget reports whether Φ has the network's end-to-end shape d_N×d_0
// and finite entries.
func (n *Net) CheckTarget(phi mat.Matrix) error {
	if phi == nil {
		return fmt.Errorf("%w: target Φ is nil", ErrShape)
	}
	d := n.Dims()
	r, c := phi.Dims()
	if r != d[len(d)-1] || c != d[0] {
		return fmt.Errorf("%w: target Φ is %d×%d but the network maps R^%d to R^%d (Φ must be d_N×d_0 = %d×%d)",
			ErrShape, r, c, d[0], d[len(d)-1], d[len(d)-1], d[0])
	}
	if !linalg.AllFinite(phi) {
		return fmt.Errorf("%w in target Φ", ErrNonFinite)
	}
	return nil
}

// LossOf is L¹(W) = ½‖W − Φ‖_F² for an end-to-end matrix W.
func LossOf(w, phi mat.Matrix) float64 {
	var e mat.Dense
	e.Sub(w, phi)
	f := mat.Norm(&e, 2)
	return 0.5 * f * f
}

// Loss is L^N(W_1..W_N) = ½‖W_{1:N} − Φ‖_F².
func Loss(n *Net, phi mat.Matrix) (float64, error) {
	if err := n.CheckTarget(phi); err != nil {
		return math.NaN(), err
	}
	return LossOf(n.Product(), phi), nil
}

// Gradients returns ∂L^N/∂W_j = W_{j+1:N}ᵀ (W_{1:N} − Φ) W_{1:j−1}ᵀ for
// j = 1..N (index j−1 in the slice), all evaluated at the current iterate (S2).
func Gradients(n *Net, phi mat.Matrix) ([]*mat.Dense, error) {
	if err := n.CheckTarget(phi); err != nil {
		return nil, err
	}
	N := len(n.w)
	var e mat.Dense
	e.Sub(n.Product(), phi)
	grads := make([]*mat.Dense, N)
	for j := 1; j <= N; j++ {
		left, _ := n.Partial(j+1, N)  // W_{j+1:N}
		right, _ := n.Partial(1, j-1) // W_{1:j−1}
		var t mat.Dense
		t.Mul(left.T(), &e)
		g := new(mat.Dense)
		g.Mul(&t, right.T())
		grads[j-1] = g
	}
	return grads, nil
}
