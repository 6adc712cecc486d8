package model

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// NewRand returns the deterministic generator used throughout dlnverify for
// a seed: the same seed gives the same matrices on every platform.
func NewRand(seed uint64) *rand.Rand {
	return rand.New(rand.NewPCG(seed, 0x9e3779b97f4a7c15))
}

func checkDims(dims []int) error {
	if len(dims) < 2 {
		return fmt.Errorf("%w: dims must list d_0..d_N with N ≥ 1 (got %v)", ErrShape, dims)
	}
	for i, d := range dims {
		if d < 1 {
			return fmt.Errorf("%w: d_%d = %d must be ≥ 1", ErrShape, i, d)
		}
	}
	return nil
}

func checkStd(s float64) error {
	if !(s >= 0) || math.IsInf(s, 0) {
		return fmt.Errorf("model: standard deviation %v must be finite and ≥ 0", s)
	}
	return nil
}

// Balanced is Procedure 1 (P1): from A ∈ R^{d_N×d_0} with thin SVD UΣVᵀ
// (r = min(d_0, d_N)) it sets, up to zero padding, W_1 = Σ^{1/N}Vᵀ,
// W_j = Σ^{1/N} for 1 < j < N and W_N = UΣ^{1/N}, so that W_{1:N} = A and
// the layers are 0-balanced. Hidden widths must be ≥ r. With rng non-nil a
// Haar-random orthogonal O_j is inserted between every pair of layers
// (W_j ← O_jW_j, W_{j+1} ← W_{j+1}O_jᵀ), which keeps both properties.
func Balanced(a mat.Matrix, dims []int, rng *rand.Rand) (*Net, error) {
	if err := checkDims(dims); err != nil {
		return nil, err
	}
	N := len(dims) - 1
	ar, ac := a.Dims()
	if ar != dims[N] || ac != dims[0] {
		return nil, fmt.Errorf("%w: A is %d×%d but dims give d_N×d_0 = %d×%d", ErrShape, ar, ac, dims[N], dims[0])
	}
	if !linalg.AllFinite(a) {
		return nil, fmt.Errorf("%w in A", ErrNonFinite)
	}
	r := min(ar, ac)
	for j := 1; j < N; j++ {
		if dims[j] < r {
			return nil, fmt.Errorf("%w: hidden width d_%d = %d < min(d_0, d_N) = %d, so Procedure 1 cannot reproduce A", ErrShape, j, dims[j], r)
		}
	}
	if N == 1 {
		return NewNet([]mat.Matrix{a})
	}
	var svd mat.SVD
	if !svd.Factorize(a, mat.SVDThin) {
		return nil, linalg.ErrSVD
	}
	sv := svd.Values(nil)
	var u, v mat.Dense
	svd.UTo(&u) // d_N×r
	svd.VTo(&v) // d_0×r
	root := make([]float64, r)
	for i, s := range sv {
		root[i] = linalg.Pow(s, 1/float64(N)) // subnormal-safe (golang/go#56600)
	}
	layers := make([]*mat.Dense, N)
	for j := 1; j <= N; j++ {
		w := mat.NewDense(dims[j], dims[j-1], nil)
		for i := 0; i < r; i++ {
			switch j {
			case 1: // Σ^{1/N} Vᵀ in the top r rows
				for c := 0; c < dims[0]; c++ {
					w.Set(i, c, root[i]*v.At(c, i))
				}
			case N: // U Σ^{1/N} in the first r columns
				for rr := 0; rr < dims[N]; rr++ {
					w.Set(rr, i, u.At(rr, i)*root[i])
				}
			default:
				w.Set(i, i, root[i])
			}
		}
		layers[j-1] = w
	}
	if rng != nil {
		for j := 1; j < N; j++ {
			o := linalg.RandomOrthogonal(dims[j], rng)
			var a, b mat.Dense
			a.Mul(o, layers[j-1])
			b.Mul(layers[j], o.T())
			layers[j-1], layers[j] = &a, &b
		}
	}
	return &Net{w: layers}, nil
}

// GaussianMatrix returns an r×c matrix with i.i.d. N(0, s²) entries.
func GaussianMatrix(r, c int, s float64, rng *rand.Rand) *mat.Dense {
	m := mat.NewDense(r, c, nil)
	d := m.RawMatrix().Data
	for i := range d {
		d[i] = s * rng.NormFloat64()
	}
	return m
}

// BalancedGaussian is Procedure 1 with A ∈ R^{d_N×d_0} of i.i.d. N(0, s²)
// entries (the balanced initialisation of Theorem 2 and Figure 1), with a
// random orthogonal insertion when insert is true.
func BalancedGaussian(dims []int, s float64, rng *rand.Rand, insert bool) (*Net, error) {
	if err := checkDims(dims); err != nil {
		return nil, err
	}
	if err := checkStd(s); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("model: BalancedGaussian needs a random generator")
	}
	a := GaussianMatrix(dims[len(dims)-1], dims[0], s, rng)
	var ins *rand.Rand
	if insert {
		ins = rng
	}
	return Balanced(a, dims, ins)
}

// Gaussian is the customary layer-wise independent initialisation: every
// entry of every W_j i.i.d. N(0, s²) (CL2, CL3, Figure 1(a)).
func Gaussian(dims []int, s float64, rng *rand.Rand) (*Net, error) {
	if err := checkDims(dims); err != nil {
		return nil, err
	}
	if err := checkStd(s); err != nil {
		return nil, err
	}
	if rng == nil {
		return nil, fmt.Errorf("model: Gaussian needs a random generator")
	}
	layers := make([]*mat.Dense, len(dims)-1)
	for j := range layers {
		layers[j] = GaussianMatrix(dims[j+1], dims[j], s, rng)
	}
	return &Net{w: layers}, nil
}

// Identity is the residual start W_j = I_d for j = 1..N (R1, CL5).
func Identity(d, N int) (*Net, error) {
	if d < 1 || N < 1 {
		return nil, fmt.Errorf("%w: Identity needs d ≥ 1 and N ≥ 1 (got d = %d, N = %d)", ErrShape, d, N)
	}
	layers := make([]*mat.Dense, N)
	for j := range layers {
		layers[j] = linalg.Identity(d)
	}
	return &Net{w: layers}, nil
}

// PerturbImbalance returns a copy of n whose measured imbalance (D1) is δ,
// to a relative 1e-9, while its end-to-end product (and so its deficiency
// margin) is unchanged up to rounding. It rescales every hidden interface
// with a product-preserving similarity, W_j ← G W_j, W_{j+1} ← W_{j+1} G⁻¹
// with G = exp(s·H) for a seeded random symmetric H, and finds s by
// bisection. It is an error when N = 1 (no pair to unbalance) or when δ
// cannot be reached (for example if every layer is zero).
func PerturbImbalance(n *Net, delta float64, rng *rand.Rand) (*Net, error) {
	if !(delta >= 0) || math.IsInf(delta, 0) {
		return nil, fmt.Errorf("model: target imbalance δ = %v must be finite and ≥ 0", delta)
	}
	if rng == nil {
		return nil, fmt.Errorf("model: PerturbImbalance needs a random generator")
	}
	if n.N() == 1 {
		return nil, fmt.Errorf("model: a network of depth 1 has no imbalance to set")
	}
	dims := n.Dims()
	N := n.N()
	// One random symmetric generator per hidden interface.
	type gen struct {
		vecs *mat.Dense
		vals []float64
	}
	gens := make([]gen, N-1)
	for j := 1; j < N; j++ {
		d := dims[j]
		h := mat.NewSymDense(d, nil)
		for a := 0; a < d; a++ {
			for b := a; b < d; b++ {
				h.SetSym(a, b, rng.NormFloat64())
			}
		}
		var eig mat.EigenSym
		if !eig.Factorize(h, true) {
			return nil, fmt.Errorf("model: eigendecomposition failed in PerturbImbalance")
		}
		var v mat.Dense
		eig.VectorsTo(&v)
		vals := eig.Values(nil)
		// Normalise so that s is on the scale of a log-ratio.
		m := 0.0
		for _, x := range vals {
			m = math.Max(m, math.Abs(x))
		}
		if m == 0 {
			m = 1
		}
		for i := range vals {
			vals[i] /= m
		}
		gens[j-1] = gen{&v, vals}
	}
	apply := func(s float64) *Net {
		out := n.Clone()
		for j := 1; j < N; j++ {
			g := gens[j-1]
			d := dims[j]
			G := mat.NewDense(d, d, nil)
			Gi := mat.NewDense(d, d, nil)
			for a := 0; a < d; a++ {
				for b := 0; b < d; b++ {
					var x, y float64
					for k := 0; k < d; k++ {
						vv := g.vecs.At(a, k) * g.vecs.At(b, k)
						x += vv * math.Exp(s*g.vals[k])
						y += vv * math.Exp(-s*g.vals[k])
					}
					G.Set(a, b, x)
					Gi.Set(a, b, y)
				}
			}
			var wj, wk mat.Dense
			wj.Mul(G, out.w[j-1])
			wk.Mul(out.w[j], Gi)
			out.w[j-1], out.w[j] = &wj, &wk
		}
		return out
	}
	base := linalg.Imbalance(n.w)
	if delta == base {
		return n.Clone(), nil
	}
	f := func(s float64) float64 { return linalg.Imbalance(apply(s).w) - delta }
	// Bracket a sign change of f on [0, hi] (f(0) = base − δ).
	lo, hi := 0.0, 1e-3
	flo := f(lo)
	if flo > 0 {
		return nil, fmt.Errorf("model: the network is already %.3g-imbalanced, above the requested δ = %.3g; rebalance it first", base, delta)
	}
	for f(hi) < 0 {
		lo = hi
		hi *= 2
		if hi > 60 {
			return nil, fmt.Errorf("model: imbalance δ = %.3g is out of reach by product-preserving rescaling", delta)
		}
	}
	for i := 0; i < 200; i++ {
		mid := 0.5 * (lo + hi)
		fm := f(mid)
		if math.Abs(fm) <= 1e-12*math.Max(delta, 1e-300) {
			lo, hi = mid, mid
			break
		}
		if fm < 0 {
			lo = mid
		} else {
			hi = mid
		}
	}
	out := apply(0.5 * (lo + hi))
	if got := linalg.Imbalance(out.w); math.Abs(got-delta) > 1e-9*math.Max(delta, 1e-300) && math.Abs(got-delta) > 1e-14 {
		return nil, fmt.Errorf("model: reached imbalance %.6g, not the requested %.6g", got, delta)
	}
	return out, nil
}
