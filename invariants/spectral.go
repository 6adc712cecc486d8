package invariants

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// The spectral measurements of CLAIMS.md's notation: singular values,
// σ_min, ‖·‖_σ, ‖·‖_F and symmetric fractional powers [S]^p (F2). This file
// is their one home; they return NaN (or an error) on non-finite input or a
// failed factorisation.

// SingularValues returns the min(r, c) singular values of a in descending
// order, or nil when a has a non-finite entry or the SVD fails.
func SingularValues(a mat.Matrix) []float64 {
	sv, err := singularValues(a)
	if err != nil {
		return nil
	}
	return sv
}

func singularValues(a mat.Matrix) ([]float64, error) {
	if !linalg.AllFinite(a) {
		return nil, fmt.Errorf("invariants: singular values of a matrix with non-finite entries")
	}
	var svd mat.SVD
	if ok := svd.Factorize(a, mat.SVDNone); !ok {
		return nil, linalg.ErrSVD
	}
	return svd.Values(nil), nil
}

// SigmaMin is σ_min(a), the min(r, c)-th largest singular value of a
// (CLAIMS.md notation). It is NaN when the SVD fails, so that a NaN can never make a
// comparison such as SigmaMin(W) >= c succeed.
func SigmaMin(a mat.Matrix) float64 {
	sv := SingularValues(a)
	if len(sv) == 0 {
		return math.NaN()
	}
	return sv[len(sv)-1]
}

// SpectralNorm is the largest singular value of a: ‖a‖_σ. (gonum's
// mat.Norm(a, 2) is the Frobenius norm, not this.) NaN on failure.
func SpectralNorm(a mat.Matrix) float64 {
	sv := SingularValues(a)
	if len(sv) == 0 {
		return math.NaN()
	}
	return sv[0]
}

// Frobenius is ‖a‖_F.
func Frobenius(a mat.Matrix) float64 { return mat.Norm(a, 2) }

// SymPow returns [S]^p for a symmetric positive semidefinite S, via the
// eigendecomposition of its symmetric part. Eigenvalues at or below
// RoundoffEig·n·λ_max are round-off of a PSD matrix (a rank-deficient WᵀW
// has them) and are clamped to zero before the power: a fractional power
// would otherwise amplify 1e-16 into 1e-5 (p = 1/3). By the convention of
// CLAIMS.md F2, 0⁰ = 1, so SymPow(S, 0) is the identity for every S.
func SymPow(s mat.Matrix, p float64) (*mat.Dense, error) {
	n, c := s.Dims()
	if n != c {
		return nil, fmt.Errorf("invariants: SymPow of a non-square %d×%d matrix", n, c)
	}
	if !linalg.AllFinite(s) || math.IsNaN(p) || math.IsInf(p, 0) {
		return nil, fmt.Errorf("invariants: SymPow with non-finite input")
	}
	if p == 0 {
		return linalg.Identity(n), nil
	}
	sym := mat.NewSymDense(n, nil)
	for i := 0; i < n; i++ {
		for j := i; j < n; j++ {
			sym.SetSym(i, j, 0.5*(s.At(i, j)+s.At(j, i)))
		}
	}
	var eig mat.EigenSym
	if ok := eig.Factorize(sym, true); !ok {
		return nil, fmt.Errorf("invariants: symmetric eigendecomposition did not converge")
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
		f := linalg.Pow(v, p) // subnormal-safe (golang/go#56600)
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
// machine epsilon ε_mach, the accuracy of a backward-stable symmetric
// eigensolver relative to the largest eigenvalue.
const RoundoffEig = 4 * linalg.MachEps
