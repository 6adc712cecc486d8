// Package invariants measures what the paper talks about, as pure functions
// of a network state and a target: imbalance (D1), deficiency margin (D2),
// singular values, fractional powers, the end-to-end operator P_W (F2); and
// it is the one home of every bound of the paper: Theorem 1's δ*, η*, rate
// and T(ε) (T1), Lemma 2's layer bound (L2), Lemma 6's (L6), R1's residual
// margin, Theorem 2's probability, step size and horizon (T2), and the
// probabilistic claims' bounds (CL2, CL3, L8).
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}},
// W = W_{1:N}. Every measurement returns NaN (never a value that passes a
// check) when its input is non-finite or a factorisation fails: any
// comparison with NaN is false, so a NaN cannot make a claim hold.
package invariants

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// ImbalancePairs returns ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F for j = 1..N−1
// (index j−1): the D1 quantity of each adjacent pair of layers.
func ImbalancePairs(n *model.Net) []float64 { return linalg.ImbalancePairs(layersOf(n)) }

// Imbalance is the measured D1 value: the smallest δ for which the layers
// are δ-balanced, max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F (0 when N = 1, NaN
// when any pair is NaN). This is D1's one public name.
func Imbalance(n *model.Net) float64 { return linalg.Imbalance(layersOf(n)) }

// layersOf returns W_1..W_N themselves (no copies).
func layersOf(n *model.Net) []*mat.Dense {
	ls := make([]*mat.Dense, n.N())
	for j := range ls {
		ls[j] = n.Layer(j + 1)
	}
	return ls
}

// Margin is the deficiency margin of an end-to-end W with respect to Φ
// (D2): σ_min(Φ) − ‖W − Φ‖_F. W has deficiency margin c > 0 exactly when
// Margin(W, Φ) ≥ c; a non-positive value means no margin.
func Margin(w, phi mat.Matrix) float64 {
	var e mat.Dense
	e.Sub(w, phi)
	return SigmaMin(phi) - mat.Norm(&e, 2)
}

// NetMargin is Margin of the network's end-to-end matrix.
func NetMargin(n *model.Net, phi mat.Matrix) float64 {
	if n.CheckTarget(phi) != nil {
		return math.NaN()
	}
	return Margin(n.Product(), phi)
}

// MaxLayerSpectral is max_j ‖W_j‖_σ.
func MaxLayerSpectral(n *model.Net) float64 {
	worst := 0.0
	for j := 1; j <= n.N(); j++ {
		s := SpectralNorm(n.Layer(j))
		if math.IsNaN(s) {
			return math.NaN()
		}
		worst = math.Max(worst, s)
	}
	return worst
}

// Measure fills a trajectory record (model.Measurer): imbalance, margin,
// σ_min(W_{1:N}) and max_j ‖W_j‖_σ.
func Measure(n *model.Net, phi mat.Matrix, rec *model.Record) {
	rec.Imbalance = Imbalance(n)
	if n.CheckTarget(phi) != nil {
		rec.Margin, rec.SigmaMin = math.NaN(), math.NaN()
	} else {
		w := n.Product()
		rec.Margin = Margin(w, phi)
		rec.SigmaMin = SigmaMin(w)
	}
	rec.MaxSpectral = MaxLayerSpectral(n)
}

// ApplyPW returns P_W applied to E (F2):
// Σ_{j=1}^{N} [WWᵀ]^{(j−1)/N} E [WᵀW]^{(N−j)/N}, for W, E ∈ R^{d_N×d_0}.
func ApplyPW(w, e mat.Matrix, N int) (*mat.Dense, error) {
	if N < 1 {
		return nil, fmt.Errorf("invariants: P_W needs N ≥ 1 (got %d)", N)
	}
	r, c := w.Dims()
	if er, ec := e.Dims(); er != r || ec != c {
		return nil, fmt.Errorf("invariants: P_W of a %d×%d W applied to a %d×%d matrix", r, c, er, ec)
	}
	var wwt, wtw mat.Dense
	wwt.Mul(w, w.T())
	wtw.Mul(w.T(), w)
	out := mat.NewDense(r, c, nil)
	for j := 1; j <= N; j++ {
		left, err := SymPow(&wwt, float64(j-1)/float64(N))
		if err != nil {
			return nil, err
		}
		right, err := SymPow(&wtw, float64(N-j)/float64(N))
		if err != nil {
			return nil, err
		}
		var t, term mat.Dense
		t.Mul(left, e)
		term.Mul(&t, right)
		out.Add(out, &term)
	}
	return out, nil
}

// PWEigenvalues returns the d_N·d_0 eigenvalues of P_W (F2), indexed
// [r][r'] for left singular vector u_r (r < d_N) and right singular vector
// v_{r'} (r' < d_0): Σ_j σ_r^{2(N−j)/N} σ_{r'}^{2(j−1)/N}, with σ_r = 0
// beyond the rank and 0⁰ = 1.
func PWEigenvalues(w mat.Matrix, N int) ([][]float64, error) {
	if N < 1 {
		return nil, fmt.Errorf("invariants: P_W needs N ≥ 1 (got %d)", N)
	}
	r, c := w.Dims()
	sv, err := singularValues(w)
	if err != nil {
		return nil, err
	}
	sig := func(i int) float64 {
		if i < len(sv) {
			return sv[i]
		}
		return 0
	}
	pow := func(x, p float64) float64 {
		if p == 0 {
			return 1
		}
		return linalg.Pow(x, p) // subnormal-safe (golang/go#56600)
	}
	out := make([][]float64, r)
	for a := 0; a < r; a++ {
		out[a] = make([]float64, c)
		for b := 0; b < c; b++ {
			s := 0.0
			for j := 1; j <= N; j++ {
				s += pow(sig(a), 2*float64(N-j)/float64(N)) * pow(sig(b), 2*float64(j-1)/float64(N))
			}
			out[a][b] = s
		}
	}
	return out, nil
}
