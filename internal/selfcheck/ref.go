package selfcheck

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// The independent references. None of them calls gonum's factorisations or
// the module's measurement code: they are explicit sums, a cyclic Jacobi
// eigensolver written here, the explicit Kronecker sum of P_W, and the
// bounds of CLAIMS.md typed again in the log domain. Matrices are plain
// row-major [][]float64.

type dense [][]float64

func toDense(a mat.Matrix) dense {
	r, c := a.Dims()
	out := make(dense, r)
	for i := range out {
		out[i] = make([]float64, c)
		for j := range out[i] {
			out[i][j] = a.At(i, j)
		}
	}
	return out
}

func (a dense) rows() int { return len(a) }
func (a dense) cols() int {
	if len(a) == 0 {
		return 0
	}
	return len(a[0])
}

func newDense(r, c int) dense {
	out := make(dense, r)
	for i := range out {
		out[i] = make([]float64, c)
	}
	return out
}

func (a dense) mat() *mat.Dense {
	m := mat.NewDense(a.rows(), a.cols(), nil)
	for i, row := range a {
		for j, v := range row {
			m.Set(i, j, v)
		}
	}
	return m
}

// mul is the explicit triple sum A·B.
func mul(a, b dense) dense {
	out := newDense(a.rows(), b.cols())
	for i := range out {
		for j := range out[i] {
			var s float64
			for l := 0; l < a.cols(); l++ {
				s += a[i][l] * b[l][j]
			}
			out[i][j] = s
		}
	}
	return out
}

func tr(a dense) dense {
	out := newDense(a.cols(), a.rows())
	for i, row := range a {
		for j, v := range row {
			out[j][i] = v
		}
	}
	return out
}

// frob is √Σ a_ij², summed in row order.
func frob(a dense) float64 {
	var s float64
	for _, row := range a {
		for _, v := range row {
			s += v * v
		}
	}
	return math.Sqrt(s)
}

func eye(n int) dense {
	out := newDense(n, n)
	for i := range out {
		out[i][i] = 1
	}
	return out
}

// refImbalancePairs is D1 by explicit sums: for each j,
// ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F = √Σ_{a,b} (Σ_i W_{j+1}[i][a]W_{j+1}[i][b] − Σ_k W_j[a][k]W_j[b][k])².
func refImbalancePairs(layers []dense) []float64 {
	out := make([]float64, len(layers)-1)
	for j := 0; j+1 < len(layers); j++ {
		up, lo := layers[j+1], layers[j]
		d := lo.rows()
		var s float64
		for a := 0; a < d; a++ {
			for b := 0; b < d; b++ {
				var x, y float64
				for i := 0; i < up.rows(); i++ {
					x += up[i][a] * up[i][b]
				}
				for k := 0; k < lo.cols(); k++ {
					y += lo[a][k] * lo[b][k]
				}
				s += (x - y) * (x - y)
			}
		}
		out[j] = math.Sqrt(s)
	}
	return out
}

// jacobiEigen returns the eigenvalues (ascending) and eigenvectors (columns
// of v, in the same order) of the symmetric part of s by the cyclic Jacobi
// method: rotations until every off-diagonal entry is below u·‖S‖_F.
func jacobiEigen(s dense) ([]float64, dense) {
	n := s.rows()
	a := newDense(n, n)
	for i := 0; i < n; i++ {
		for j := 0; j < n; j++ {
			a[i][j] = 0.5 * (s[i][j] + s[j][i])
		}
	}
	v := eye(n)
	norm := frob(a)
	for sweep := 0; sweep < 100; sweep++ {
		var off float64
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				off += a[p][q] * a[p][q]
			}
		}
		if math.Sqrt(off) <= 0x1p-60*norm || off == 0 {
			break
		}
		for p := 0; p < n; p++ {
			for q := p + 1; q < n; q++ {
				if a[p][q] == 0 {
					continue
				}
				theta := (a[q][q] - a[p][p]) / (2 * a[p][q])
				t := 1 / (math.Abs(theta) + math.Sqrt(theta*theta+1))
				if theta < 0 {
					t = -t
				}
				c := 1 / math.Sqrt(t*t+1)
				sn := t * c
				for k := 0; k < n; k++ { // A ← A J (columns p, q)
					akp, akq := a[k][p], a[k][q]
					a[k][p] = c*akp - sn*akq
					a[k][q] = sn*akp + c*akq
				}
				for k := 0; k < n; k++ { // A ← Jᵀ A (rows p, q)
					apk, aqk := a[p][k], a[q][k]
					a[p][k] = c*apk - sn*aqk
					a[q][k] = sn*apk + c*aqk
				}
				for k := 0; k < n; k++ {
					vkp, vkq := v[k][p], v[k][q]
					v[k][p] = c*vkp - sn*vkq
					v[k][q] = sn*vkp + c*vkq
				}
			}
		}
	}
	idx := make([]int, n)
	for i := range idx {
		idx[i] = i
	}
	sort.Slice(idx, func(x, y int) bool { return a[idx[x]][idx[x]] < a[idx[y]][idx[y]] })
	vals := make([]float64, n)
	vecs := newDense(n, n)
	for k, i := range idx {
		vals[k] = a[i][i]
		for r := 0; r < n; r++ {
			vecs[r][k] = v[r][i]
		}
	}
	return vals, vecs
}

// refSingularValues is √eig of the smaller Gram matrix (AAᵀ for a wide A,
// AᵀA for a tall one), descending. Accurate to |Δσ_i| ≲ γ·‖A‖_F²/σ_i, so it
// is used on well-conditioned inputs only.
func refSingularValues(a dense) []float64 {
	var g dense
	if a.rows() <= a.cols() {
		g = mul(a, tr(a))
	} else {
		g = mul(tr(a), a)
	}
	vals, _ := jacobiEigen(g)
	out := make([]float64, len(vals))
	for i, v := range vals {
		out[len(vals)-1-i] = math.Sqrt(math.Max(v, 0))
	}
	return out
}

// refSymPow is V diag(λ^p) Vᵀ from the Jacobi eigendecomposition, with
// eigenvalues at or below 4u·n·λ_max taken as 0 and 0⁰ = 1 (CLAIMS F2).
func refSymPow(s dense, p float64) dense {
	n := s.rows()
	if p == 0 {
		return eye(n)
	}
	vals, v := jacobiEigen(s)
	floor := 4 * linalg.MachEps * float64(n) * math.Max(vals[n-1], 0)
	out := newDense(n, n)
	for k, l := range vals {
		f := 0.0
		if l > floor {
			f = math.Exp(p * math.Log(l))
		}
		for i := 0; i < n; i++ {
			for j := 0; j < n; j++ {
				out[i][j] += v[i][k] * f * v[j][k]
			}
		}
	}
	return out
}

// refPWMatrix is the explicit Kronecker sum of F2 in column-major vec form:
// P = Σ_{j=1}^{N} [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N}, since
// vec(L E R) = (Rᵀ ⊗ L) vec(E) and both powers are symmetric.
func refPWMatrix(w dense, N int) dense {
	r, c := w.rows(), w.cols()
	wwt, wtw := mul(w, tr(w)), mul(tr(w), w)
	P := newDense(r*c, r*c)
	for j := 1; j <= N; j++ {
		right := refSymPow(wtw, float64(N-j)/float64(N)) // c×c
		left := refSymPow(wwt, float64(j-1)/float64(N))  // r×r
		for a := 0; a < c; a++ {
			for b := 0; b < c; b++ {
				for i := 0; i < r; i++ {
					for k := 0; k < r; k++ {
						P[a*r+i][b*r+k] += right[a][b] * left[i][k]
					}
				}
			}
		}
	}
	return P
}

// refApplyPW is P_W vec(E) reshaped (column-major) to d_N×d_0.
func refApplyPW(w, e dense, N int) dense {
	r, c := w.rows(), w.cols()
	P := refPWMatrix(w, N)
	out := newDense(r, c)
	for a := 0; a < c; a++ {
		for i := 0; i < r; i++ {
			var s float64
			for b := 0; b < c; b++ {
				for k := 0; k < r; k++ {
					s += P[a*r+i][b*r+k] * e[k][b]
				}
			}
			out[i][a] = s
		}
	}
	return out
}

// refPWEigenSorted is the ascending spectrum of the Kronecker sum.
func refPWEigenSorted(w dense, N int) []float64 {
	vals, _ := jacobiEigen(refPWMatrix(w, N))
	return vals
}

// The bounds of CLAIMS.md (T1, L1, L2, L6), typed again in the log domain.

// refDeltaBound: δ* = c² / (256 N³ ‖Φ‖_F^{2(N−1)/N}).
func refDeltaBound(c float64, N int, phiF float64) float64 {
	n := float64(N)
	return math.Exp(2*math.Log(c) - math.Log(256) - 3*math.Log(n) - 2*(n-1)/n*math.Log(phiF))
}

// refEtaBound: η* = c^{(4N−2)/N} / (6144 N³ ‖Φ‖_F^{(6N−4)/N}).
func refEtaBound(c float64, N int, phiF float64) float64 {
	n := float64(N)
	return math.Exp((4*n-2)/n*math.Log(c) - math.Log(6144) - 3*math.Log(n) - (6*n-4)/n*math.Log(phiF))
}

// refHorizon: T(ε) = ln(ℓ(0)/ε) / (η c^{2(N−1)/N}), 0 when ℓ(0) ≤ ε.
func refHorizon(loss0, eps, eta, c float64, N int) float64 {
	if loss0 <= eps {
		return 0
	}
	n := float64(N)
	return (math.Log(loss0) - math.Log(eps)) * math.Exp(-math.Log(eta)-2*(n-1)/n*math.Log(c))
}

// refSpectralBound: L2 C(t), (4‖Φ‖_F)^{1/N}.
func refSpectralBound(N int, phiF float64) float64 {
	return math.Exp((2*math.Ln2 + math.Log(phiF)) / float64(N))
}

// refL6Bound: 2^{1/N} C^{2/N}.
func refL6Bound(C float64, N int) float64 {
	return math.Exp((math.Ln2 + 2*math.Log(C)) / float64(N))
}

// refL6Nu: C^{2/N} / (30 N²).
func refL6Nu(C float64, N int) float64 {
	n := float64(N)
	return math.Exp(2/n*math.Log(C) - math.Log(30) - 2*math.Log(n))
}
