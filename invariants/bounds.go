package invariants

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// DeltaBound is Theorem 1's imbalance bound (T1):
// δ ≤ c² / (256 N³ ‖Φ‖_F^{2(N−1)/N}).
func DeltaBound(c float64, N int, phiF float64) float64 {
	n := float64(N)
	return c * c / (256 * n * n * n * math.Pow(phiF, 2*(n-1)/n))
}

// EtaBound is Theorem 1's step-size bound (T1):
// η ≤ c^{(4N−2)/N} / (6144 N³ ‖Φ‖_F^{(6N−4)/N}).
func EtaBound(c float64, N int, phiF float64) float64 {
	n := float64(N)
	return math.Pow(c, (4*n-2)/n) / (6144 * n * n * n * math.Pow(phiF, (6*n-4)/n))
}

// Rate is the per-step contraction exponent of L1 and T1: η c^{2(N−1)/N}.
func Rate(eta, c float64, N int) float64 {
	n := float64(N)
	return eta * math.Pow(c, 2*(n-1)/n)
}

// Horizon is Theorem 1's iteration bound T(ε) = log(ℓ(0)/ε) / (η c^{2(N−1)/N}):
// for every T ≥ Horizon, ℓ(T) ≤ ε. It is 0 when ℓ(0) ≤ ε.
func Horizon(loss0, eps, eta, c float64, N int) float64 {
	if loss0 <= eps {
		return 0
	}
	return math.Log(loss0/eps) / Rate(eta, c, N)
}

// SpectralBound is Lemma 2's (reconstructed) layer bound (L2 C(t)):
// ‖W_j(t)‖_σ ≤ (4‖Φ‖_F)^{1/N}.
func SpectralBound(N int, phiF float64) float64 {
	return math.Pow(4*phiF, 1/float64(N))
}

// L6Bound is Lemma 6's bound 2^{1/N} C^{2/N} on ‖W_jW_jᵀ‖_σ, valid when the
// layers are ν-balanced with ν ≤ L6Nu(C, N) and ‖W_{1:N}‖_σ ≤ C.
func L6Bound(C float64, N int) float64 {
	n := float64(N)
	return math.Pow(2, 1/n) * math.Pow(C, 2/n)
}

// L6Nu is Lemma 6's balance requirement C^{2/N} / (30 N²).
func L6Nu(C float64, N int) float64 {
	n := float64(N)
	return math.Pow(C, 2/n) / (30 * n * n)
}

// ResidualMargin is R1's margin for the residual start W_j = I:
// c = 1 − 2‖Φ − I‖_F, positive exactly when ‖Φ − I‖_F < ½.
func ResidualMargin(phi mat.Matrix) float64 {
	r, c := phi.Dims()
	if r != c {
		return math.NaN()
	}
	var d mat.Dense
	d.Sub(phi, identity(r))
	return 1 - 2*mat.Norm(&d, 2)
}

func identity(n int) *mat.Dense {
	id := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		id.Set(i, i, 1)
	}
	return id
}

// WidthsOK reports Theorem 1's architecture condition (A1):
// min(d_1..d_{N−1}) ≥ min(d_0, d_N).
func WidthsOK(dims []int) bool {
	r := min(dims[0], dims[len(dims)-1])
	for _, d := range dims[1 : len(dims)-1] {
		if d < r {
			return false
		}
	}
	return true
}

// Theorem1 is what Theorem 1 asks of a start, measured.
type Theorem1 struct {
	N          int
	Dims       []int
	PhiF       float64 // ‖Φ‖_F
	SigmaMinPh float64 // σ_min(Φ)
	C          float64 // the margin used: the measured margin, or the caller's c if smaller
	Delta      float64 // measured imbalance
	DeltaBound float64 // T1's δ bound at C
	Eta        float64
	EtaBound   float64 // T1's η bound at C
	WidthsOK   bool
}

// Holds reports whether every hypothesis of Theorem 1 holds: c > 0,
// δ ≤ DeltaBound, η ≤ EtaBound and the width condition. Any NaN makes it
// false.
func (h Theorem1) Holds() bool {
	return h.C > 0 && h.Delta <= h.DeltaBound && h.Eta > 0 && h.Eta <= h.EtaBound && h.WidthsOK
}

// CheckTheorem1 measures Theorem 1's hypotheses for a start n, target Φ and
// step η. With c > 0 it tests the theorem at that margin (which must not
// exceed the measured one for Holds to be true); with c ≤ 0 it uses the
// measured margin. A NaN c gives C = NaN, so Holds is false.
func CheckTheorem1(n *model.Net, phi mat.Matrix, eta, c float64) Theorem1 {
	h := Theorem1{N: n.N(), Dims: n.Dims(), Eta: eta, Delta: Imbalance(n)}
	h.WidthsOK = WidthsOK(h.Dims)
	if n.CheckTarget(phi) != nil {
		h.C = math.NaN()
		return h
	}
	h.PhiF = Frobenius(phi)
	h.SigmaMinPh = SigmaMin(phi)
	measured := NetMargin(n, phi)
	h.C = measured
	if c > 0 || math.IsNaN(c) { // a NaN claim must not fall back to the measured margin
		h.C = c
		if !(c <= measured) {
			h.C = math.NaN() // a claimed margin the start does not have
		}
	}
	h.DeltaBound = DeltaBound(h.C, h.N, h.PhiF)
	h.EtaBound = EtaBound(h.C, h.N, h.PhiF)
	return h
}
