// Package linalg holds the small dense linear-algebra helpers shared by the
// numerical core and the measurements: singular values, spectral norm,
// symmetric fractional powers and Haar-random orthogonal matrices.
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

// ErrSVD is returned when gonum's SVD does not converge (for example on
// non-finite input).
var ErrSVD = errors.New("linalg: SVD did not converge")

// SingularValues returns the min(r, c) singular values of a in descending order.
func SingularValues(a mat.Matrix) ([]float64, error) {
	if !AllFinite(a) {
		return nil, fmt.Errorf("linalg: singular values of a matrix with non-finite entries")
	}
	var svd mat.SVD
	if ok := svd.Factorize(a, mat.SVDNone); !ok {
		return nil, ErrSVD
	}
	return svd.Values(nil), nil
}

// SigmaMin is the min(r, c)-th largest singular value of a (CLAIMS.md
// notation). It is NaN when the SVD fails, so that a NaN can never make a
// comparison such as SigmaMin(W) >= c succeed.
func SigmaMin(a mat.Matrix) float64 {
	sv, err := SingularValues(a)
	if err != nil || len(sv) == 0 {
		return math.NaN()
	}
	return sv[len(sv)-1]
}

// SpectralNorm is the largest singular value of a: ‖a‖_σ. (gonum's
// mat.Norm(a, 2) is the Frobenius norm, not this.) NaN on failure.
func SpectralNorm(a mat.Matrix) float64 {
	sv, err := SingularValues(a)
	if err != nil || len(sv) == 0 {
		return math.NaN()
	}
	return sv[0]
}

// Frobenius is ‖a‖_F.
func Frobenius(a mat.Matrix) float64 { return mat.Norm(a, 2) }

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

// SymPow returns [S]^p for a symmetric positive semidefinite S, via the
// eigendecomposition of its symmetric part. Eigenvalues at or below
// RoundoffEig·n·λ_max are round-off of a PSD matrix (a rank-deficient WᵀW
// has them) and are clamped to zero before the power: a fractional power
// would otherwise amplify 1e-16 into 1e-5 (p = 1/3). By the convention of
// CLAIMS.md F2, 0⁰ = 1, so SymPow(S, 0) is the identity for every S.
func SymPow(s mat.Matrix, p float64) (*mat.Dense, error) {
	n, c := s.Dims()
	if n != c {
		return nil, fmt.Errorf("linalg: SymPow of a non-square %d×%d matrix", n, c)
	}
	if !AllFinite(s) || math.IsNaN(p) || math.IsInf(p, 0) {
		return nil, fmt.Errorf("linalg: SymPow with non-finite input")
	}
	if p == 0 {
		return Identity(n), nil
	}
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(s.At(i, j)+s.At(j, i)))
		}
	}
	var eig mat.EigenSym
	if ok := eig.Factorize(sym, true); !ok {
		return nil, fmt.Errorf("linalg: symmetric eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	var vecs mat.Dense
	eig.VectorsTo(&vecs)
	scaled := mat.DenseCopyOf(&vecs)
	floor := RoundoffEig * float64(n) * math.Max(vals[n-1], 0)
	for k, v := range vals {
		if v <= floor {
			v = 0
		}
		f := Pow(v, p) // subnormal-safe (golang/go#56600)
		for i := 0; i < n; i++ {
			scaled.Set(i, k, scaled.At(i, k)*f)
		}
	}
	out := mat.NewDense(n, n, nil)
	out.Mul(scaled, vecs.T())
	return out, nil
}

// RoundoffEig is the relative size (per unit of dimension) under which a
// symmetric eigenvalue is treated as round-off zero: a few units of float64
// machine epsilon (2.2e-16), the accuracy of a backward-stable symmetric
// eigensolver relative to the largest eigenvalue.
const RoundoffEig = 4 * 2.220446049250313e-16

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
