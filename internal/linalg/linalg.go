// Package linalg holds the small dense linear-algebra helpers the numerical
// core (model) needs and that are not measurements of the paper: finiteness,
// the identity, subnormal-safe powers and logarithms, Haar-random orthogonal
// matrices and matrices with given singular values, the D1 formula on raw
// layers (public as invariants.Imbalance), and the float64 round-off
// constants. The measurements themselves (singular values, norms, [S]^p)
// are public in package invariants, their one home.
//
// Every function here is total on finite input: it returns an error or a
// documented value instead of panicking, because callers include the public
// API of model and invariants.
package linalg

import (
	"errors"
	"fmt"
	"math"
	"math/rand/v2"
	"sort"

	"gonum.org/v1/gonum/mat"
)

// The float64 round-off constants, defined once for the whole module (as
// in gonum's lapack/testlapack/general.go): every tolerance tier is written
// in one of them.
const (
	// UnitRoundoff is u = 2⁻⁵³, the unit round-off of float64: the largest
	// relative error of one correctly rounded operation, |fl(x∘y) − x∘y| ≤
	// u·|x∘y| (Higham, Accuracy and Stability, §2.2).
	UnitRoundoff = 0x1p-53
	// MachEps is ε_mach = 2⁻⁵² = 2u, float64's machine epsilon: the gap
	// between 1 and the next float64 (math.Nextafter(1, 2) − 1).
	MachEps = 0x1p-52
)

// ErrSVD is returned when gonum's SVD does not converge (for example on
// non-finite input).
var ErrSVD = errors.New("linalg: SVD did not converge")

// AllFinite reports whether every entry of a is finite.
func AllFinite(a mat.Matrix) bool {
	r, c := a.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			v := a.At(i, j)
			if math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

// Identity returns the n×n identity.
func Identity(n int) *mat.Dense {
	id := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		id.Set(i, i, 1)
	}
	return id
}

// RandomOrthogonal returns an n×n orthogonal matrix drawn from the Haar
// measure (QR of a Gaussian matrix with the signs of R's diagonal fixed).
func RandomOrthogonal(n int, rng *rand.Rand) *mat.Dense {
	g := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			g.Set(i, j, rng.NormFloat64())
		}
	}
	var qr mat.QR
	qr.Factorize(g)
	var q, r mat.Dense
	qr.QTo(&q)
	qr.RTo(&r)
	for j := 0; j < n; j++ {
		if r.At(j, j) < 0 {
			for i := 0; i < n; i++ {
				q.Set(i, j, -q.At(i, j))
			}
		}
	}
	return &q
}

// FromSingularValues returns U diag(sv) Vᵀ (rows×cols) with Haar-random
// orthogonal U, V. sv is sorted descending and must have min(rows, cols)
// non-negative entries.
func FromSingularValues(rows, cols int, sv []float64, rng *rand.Rand) (*mat.Dense, error) {
	r := min(rows, cols)
	if len(sv) != r {
		return nil, fmt.Errorf("linalg: %d singular values given for a %d×%d matrix", len(sv), rows, cols)
	}
	s := append([]float64(nil), sv...)
	for _, v := range s {
		if v < 0 || math.IsNaN(v) || math.IsInf(v, 0) {
			return nil, fmt.Errorf("linalg: singular value %v is not a finite non-negative number", v)
		}
	}
	sort.Sort(sort.Reverse(sort.Float64Slice(s)))
	u := RandomOrthogonal(rows, rng)
	v := RandomOrthogonal(cols, rng)
	d := mat.NewDense(rows, cols, nil)
	for i := 0; i < r; i++ {
		d.Set(i, i, s[i])
	}
	var tmp, out mat.Dense
	tmp.Mul(u, d)
	out.Mul(&tmp, v.T())
	return &out, nil
}
