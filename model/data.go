package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// Data is a data set with examples as columns: X ∈ R^{d_x×m}, Y ∈ R^{d_y×m}.
type Data struct {
	X, Y *mat.Dense
}

// Stats are the second moments of S1: Λ_xx = XXᵀ/m, Λ_yx = YXᵀ/m (= Φ when
// Λ_xx = I) and κ = ½Tr Λ_yy − ½‖Λ_yx‖_F².
type Stats struct {
	Lxx, Lyx *mat.Dense
	Kappa    float64
}

// Moments computes Stats of d.
func (d Data) Moments() Stats {
	_, m := d.X.Dims()
	fm := float64(m)
	var lxx, lyx, lyy mat.Dense
	lxx.Mul(d.X, d.X.T())
	lxx.Scale(1/fm, &lxx)
	lyx.Mul(d.Y, d.X.T())
	lyx.Scale(1/fm, &lyx)
	lyy.Mul(d.Y, d.Y.T())
	f := mat.Norm(&lyx, 2)
	return Stats{Lxx: &lxx, Lyx: &lyx, Kappa: 0.5*mat.Trace(&lyy)/fm - 0.5*f*f}
}

// DataLoss is the empirical loss (1/2m)‖WX − Y‖_F² of an end-to-end W.
func (d Data) DataLoss(w mat.Matrix) float64 {
	_, m := d.X.Dims()
	var r mat.Dense
	r.Mul(w, d.X)
	r.Sub(&r, d.Y)
	f := mat.Norm(&r, 2)
	return f * f / (2 * float64(m))
}

// WhitenedData generates m examples with XXᵀ/m = I_{d_x} exactly (to
// rounding) and YXᵀ/m = Φ, plus a label component of Frobenius size
// noise·√m orthogonal to the rows of X, so that κ = ½noise² > 0 when
// noise > 0. It needs m ≥ d_x, and m > d_x when noise > 0.
func WhitenedData(phi mat.Matrix, m int, noise float64, rng *rand.Rand) (Data, error) {
	dy, dx := phi.Dims()
	if dy < 1 || dx < 1 || !linalg.AllFinite(phi) {
		return Data{}, fmt.Errorf("model: Φ must be a non-empty finite matrix")
	}
	if m < dx {
		return Data{}, fmt.Errorf("model: whitened data need m ≥ d_x (got m = %d, d_x = %d)", m, dx)
	}
	if !(noise >= 0) || math.IsInf(noise, 0) {
		return Data{}, fmt.Errorf("model: noise %v must be finite and ≥ 0", noise)
	}
	if noise > 0 && m == dx {
		return Data{}, fmt.Errorf("model: a label component orthogonal to X needs m > d_x (got m = d_x = %d)", m)
	}
	if rng == nil {
		return Data{}, fmt.Errorf("model: WhitenedData needs a random generator")
	}
	q := linalg.RandomOrthogonal(m, rng) // columns orthonormal
	x := mat.NewDense(dx, m, nil)
	sm := math.Sqrt(float64(m))
	for i := 0; i < dx; i++ {
		for k := 0; k < m; k++ {
			x.Set(i, k, sm*q.At(k, i))
		}
	}
	var y mat.Dense
	y.Mul(phi, x)
	if noise > 0 {
		// Z's rows lie in the span of Q's columns dx..m−1, orthogonal to X's rows.
		z := mat.NewDense(dy, m, nil)
		for i := 0; i < dy; i++ {
			for c := dx; c < m; c++ {
				g := rng.NormFloat64()
				for k := 0; k < m; k++ {
					z.Set(i, k, z.At(i, k)+g*q.At(k, c))
				}
			}
		}
		f := mat.Norm(z, 2)
		z.Scale(noise*sm/f, z)
		y.Add(&y, z)
	}
	return Data{X: x, Y: &y}, nil
}
