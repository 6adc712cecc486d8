package experiment

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/floats"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// ScalarGD is an allocation-free GD step for scalar-output networks
// (d_N = 1), written for the Figure 1 grid. It evaluates S2's gradients in
// the thin-end order: the row vectors a_j = W_{j+1:N} (1×d_j) top-down,
// the residual e = W_{1:N} − Φ, then, bottom-up, b_{j−1} = e W_{1:j−1}ᵀ and
// the rank-one gradient G_j = a_jᵀ b_{j−1}; every b_j is formed from W_j
// before W_j is updated, so all gradients are taken at the same iterate.
// A step costs two passes over the weights, O(Σ_j d_j d_{j−1}).
//
// A ScalarGD keeps scratch buffers and must not be shared between
// goroutines; make one per worker. It implements model.Stepper and is
// checked against model.Reference by a differential test.
type ScalarGD struct {
	a    [][]float64 // a[j] = W_{j+1:N}, length d_j, j = 0..N
	b    [][]float64 // b[j] = e W_{1:j}ᵀ, length d_j, j = 0..N−1
	phi  []float64
	dims []int
}

// Name implements model.Stepper.
func (*ScalarGD) Name() string { return "scalar" }

func (s *ScalarGD) prepare(dims []int) {
	if len(dims) == len(s.dims) {
		same := true
		for i := range dims {
			same = same && dims[i] == s.dims[i]
		}
		if same {
			return
		}
	}
	s.dims = append(s.dims[:0], dims...)
	s.a = make([][]float64, len(dims))
	s.b = make([][]float64, len(dims))
	for j, d := range dims {
		s.a[j] = make([]float64, d)
		s.b[j] = make([]float64, d)
	}
	s.phi = make([]float64, dims[0])
}

// Step implements model.Stepper: W_j ← W_j − η ∂L^N/∂W_j for all j, and it
// returns ℓ at the iterate before the step. It needs d_N = 1.
func (s *ScalarGD) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	if !(eta > 0) || math.IsInf(eta, 0) {
		return math.NaN(), fmt.Errorf("experiment: step size η = %v must be a finite positive number", eta)
	}
	if n == nil {
		return math.NaN(), fmt.Errorf("experiment: ScalarGD needs a network")
	}
	N := n.N()
	// Net.Dims and Net.CheckTarget allocate; compare against the cached
	// shape instead and validate Φ only when the shape changes.
	if len(s.dims) != N+1 || !s.sameShape(n) {
		if err := n.CheckTarget(phi); err != nil {
			return math.NaN(), err
		}
		s.prepare(n.Dims())
	}
	if s.dims[N] != 1 {
		return math.NaN(), fmt.Errorf("experiment: ScalarGD needs scalar output d_N = 1 (got %d)", s.dims[N])
	}
	if phi == nil {
		return math.NaN(), fmt.Errorf("experiment: target Φ is nil")
	}
	if r, c := phi.Dims(); r != 1 || c != s.dims[0] {
		return math.NaN(), fmt.Errorf("%w: target Φ is %d×%d, the network needs 1×%d", model.ErrShape, r, c, s.dims[0])
	}
	if raw, ok := phi.(mat.RawMatrixer); ok {
		copy(s.phi, raw.RawMatrix().Data[:s.dims[0]])
	} else {
		for c := range s.phi {
			s.phi[c] = phi.At(0, c)
		}
	}
	// a_N = 1; a_{j−1} = a_j W_j.
	s.a[N][0] = 1
	for j := N; j >= 1; j-- {
		w := n.Layer(j).RawMatrix()
		prev := s.a[j-1]
		for c := range prev {
			prev[c] = 0
		}
		for r, ar := range s.a[j] {
			floats.AddScaled(prev, ar, w.Data[r*w.Stride:r*w.Stride+w.Cols])
		}
	}
	// e = W_{1:N} − Φ = b_0.
	e := s.b[0]
	loss := 0.0
	for c := range e {
		e[c] = s.a[0][c] - s.phi[c]
		loss += e[c] * e[c]
	}
	loss *= 0.5
	// Bottom-up: b_j = W_j b_{j−1} (old W_j), then W_j −= η a_jᵀ b_{j−1}.
	for j := 1; j <= N; j++ {
		w := n.Layer(j).RawMatrix()
		bp := s.b[j-1]
		for r := 0; r < w.Rows; r++ {
			row := w.Data[r*w.Stride : r*w.Stride+w.Cols]
			if j < N {
				s.b[j][r] = floats.Dot(row, bp)
			}
			floats.AddScaled(row, -eta*s.a[j][r], bp)
		}
	}
	return loss, nil
}

func (s *ScalarGD) sameShape(n *model.Net) bool {
	for j := 1; j <= n.N(); j++ {
		r, c := n.Layer(j).Dims()
		if r != s.dims[j] || c != s.dims[j-1] {
			return false
		}
	}
	return true
}
