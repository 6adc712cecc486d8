package invariants_test

// Sharper tests written to kill gremlins' surviving mutants (docs/mutation.md):
// every formula is pinned at inputs where no factor is 1 (‖Φ‖_F ≠ 1,
// c ≠ 1, N ≥ 2 and N = 1), computed independently of the code (logs and
// exponentials instead of Pow, hand-expanded sums), and every comparison
// is probed on both sides of its boundary.

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/gatecheck"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// pw is x^p through exp/log, independent of math.Pow.
func pw(x, p float64) float64 { return math.Exp(p * math.Log(x)) }

// rel is the relative-accuracy tier of a formula made of a few pows,
// products and quotients: 1e-13 is ~500 ulps, far below any mutant's change.
const rel = 1e-13

func TestBoundFormulasPinned(t *testing.T) {
	for _, c := range []float64{0.3, 0.7, 1.7} {
		for _, N := range []int{1, 2, 3, 5} {
			for _, phiF := range []float64{0.6, 2.5} {
				n := float64(N)
				wantDelta := c * c / (256 * n * n * n * pw(phiF, 2*(n-1)/n))
				require.InEpsilon(t, wantDelta, invariants.DeltaBound(c, N, phiF), rel, "DeltaBound(%v,%d,%v)", c, N, phiF)
				wantEta := pw(c, (4*n-2)/n) / (6144 * n * n * n * pw(phiF, (6*n-4)/n))
				require.InEpsilon(t, wantEta, invariants.EtaBound(c, N, phiF), rel, "EtaBound(%v,%d,%v)", c, N, phiF)
				eta := 3e-4
				wantRate := eta * pw(c, 2*(n-1)/n)
				if N == 1 {
					wantRate = eta // c⁰
				}
				require.InEpsilon(t, wantRate, invariants.Rate(eta, c, N), rel, "Rate")
				require.InEpsilon(t, math.Log(2.5/1e-4)/wantRate, invariants.Horizon(2.5, 1e-4, eta, c, N), rel, "Horizon")
				require.InEpsilon(t, pw(4*phiF, 1/n), invariants.SpectralBound(N, phiF), rel, "SpectralBound")
				require.InEpsilon(t, pw(2, 1/n)*pw(c, 2/n), invariants.L6Bound(c, N), rel, "L6Bound")
				require.InEpsilon(t, pw(c, 2/n)/(30*n*n), invariants.L6Nu(c, N), rel, "L6Nu")
			}
		}
	}
	// Horizon is 0 at and below ε, positive just above.
	require.Equal(t, 0.0, invariants.Horizon(1e-3, 1e-3, 1e-2, 0.5, 2))
	require.Equal(t, 0.0, invariants.Horizon(1e-4, 1e-3, 1e-2, 0.5, 2))
	require.Greater(t, invariants.Horizon(1.001e-3, 1e-3, 1e-2, 0.5, 2), 0.0)
	// Without a margin T(ε) is undefined even when ℓ(0) ≤ ε: Theorem 1
	// says nothing at c ≤ 0 (no margin, no bound).
	require.True(t, math.IsNaN(invariants.Horizon(1e-3, 1e-3, 1e-2, 0, 2)))
}

func TestResidualMarginPinned(t *testing.T) {
	phi := mat.NewDense(2, 2, []float64{1.1, 0.2, 0, 0.9})
	// ‖Φ − I‖_F = √(0.01 + 0.04 + 0.01) = √0.06.
	require.InEpsilon(t, 1-2*math.Sqrt(0.06), invariants.ResidualMargin(phi), rel)
	require.True(t, math.IsNaN(invariants.ResidualMargin(mat.NewDense(2, 3, nil))))
}

func TestWidthsOKBoundary(t *testing.T) {
	require.True(t, invariants.WidthsOK([]int{3, 3, 2}))     // d_1 = min(d_0, d_N) = 2 < 3: fine
	require.True(t, invariants.WidthsOK([]int{3, 2, 2}))     // d_1 = 2 = min: boundary holds
	require.False(t, invariants.WidthsOK([]int{3, 1, 2}))    // d_1 = 1 < 2
	require.True(t, invariants.WidthsOK([]int{2, 5}))        // N = 1: no hidden layer
	require.False(t, invariants.WidthsOK([]int{4, 4, 3, 4})) // the second hidden layer
	require.True(t, invariants.WidthsOK([]int{1, 1, 1, 4}))
}

// Holds: each hypothesis probed at its boundary (equality holds) and just
// past it.
func TestTheorem1HoldsBoundaries(t *testing.T) {
	base := invariants.Theorem1{C: 0.5, Delta: 1e-4, DeltaBound: 2e-4, Eta: 1e-6, EtaBound: 2e-6, WidthsOK: true}
	require.True(t, base.Holds())
	h := base
	h.Delta = h.DeltaBound
	require.True(t, h.Holds(), "δ = δ* holds (≤)")
	h.Delta = math.Nextafter(h.DeltaBound, 1)
	require.False(t, h.Holds())
	h = base
	h.Eta = h.EtaBound
	require.True(t, h.Holds(), "η = η* holds (≤)")
	h.Eta = math.Nextafter(h.EtaBound, 1)
	require.False(t, h.Holds())
	h = base
	h.C = 0
	require.False(t, h.Holds(), "c = 0 is no margin")
	h.C = -0.1
	require.False(t, h.Holds())
	h = base
	h.Eta = 0
	require.False(t, h.Holds(), "η = 0 is no step")
	h = base
	h.WidthsOK = false
	require.False(t, h.Holds())
}

// CheckTheorem1 fills every field with the documented measurement.
func TestCheckTheorem1Fields(t *testing.T) {
	phi := mat.NewDense(2, 2, []float64{1.2, 0, 0, 0.8})
	a := mat.NewDense(2, 2, []float64{1.1, 0.05, 0, 0.75})
	n, err := model.Balanced(a, []int{2, 3, 2}, nil)
	require.NoError(t, err)
	var e mat.Dense
	e.Sub(a, phi)
	margin := 0.8 - mat.Norm(&e, 2) // σ_min(Φ) = 0.8
	phiF := math.Sqrt(1.44 + 0.64)
	h := invariants.CheckTheorem1(n, phi, 1e-7, 0)
	require.Equal(t, 2, h.N)
	require.Equal(t, []int{2, 3, 2}, h.Dims)
	require.InEpsilon(t, phiF, h.PhiF, rel)
	require.InEpsilon(t, 0.8, h.SigmaMinPh, rel)
	require.InEpsilon(t, margin, h.C, 1e-12)
	require.Less(t, h.Delta, 1e-12)
	require.InEpsilon(t, invariants.DeltaBound(margin, 2, phiF), h.DeltaBound, 1e-12)
	require.InEpsilon(t, invariants.EtaBound(margin, 2, phiF), h.EtaBound, 1e-12)
	require.True(t, h.WidthsOK)
	// A claimed c below the measured margin is used; equal to it, too.
	h = invariants.CheckTheorem1(n, phi, 1e-9, margin/2)
	require.Equal(t, margin/2, h.C)
	require.InEpsilon(t, invariants.EtaBound(margin/2, 2, phiF), h.EtaBound, 1e-12)
	measured := invariants.NetMargin(n, phi)
	h = invariants.CheckTheorem1(n, phi, 1e-9, measured)
	require.Equal(t, measured, h.C, "c equal to the measured margin is allowed")
	require.True(t, h.Holds())
	h = invariants.CheckTheorem1(n, phi, 1e-9, math.Nextafter(measured, 1))
	require.True(t, math.IsNaN(h.C))
	// A mis-shaped Φ: C is NaN, the rest is still measured.
	h = invariants.CheckTheorem1(n, mat.NewDense(3, 2, nil), 1e-9, 0)
	require.True(t, math.IsNaN(h.C))
	require.False(t, h.Holds())
}

// Imbalance and its per-pair values on a hand-computed 3-layer scalar net:
// W = (2, 3, 5): pairs |3² − 2²| = 5 and |5² − 3²| = 16.
func TestImbalancePinned(t *testing.T) {
	n, err := model.NewNetFromRows([][][]float64{{{2}}, {{3}}, {{5}}})
	require.NoError(t, err)
	require.Equal(t, []float64{5, 16}, invariants.ImbalancePairs(n))
	require.Equal(t, 16.0, invariants.Imbalance(n))
	// The maximum is not always the last pair.
	n, _ = model.NewNetFromRows([][][]float64{{{1}}, {{5}}, {{5}}})
	require.Equal(t, []float64{24, 0}, invariants.ImbalancePairs(n))
	require.Equal(t, 24.0, invariants.Imbalance(n))
	n, _ = model.NewNetFromRows([][][]float64{{{7, 1}}})
	require.Empty(t, invariants.ImbalancePairs(n))
	require.Equal(t, 0.0, invariants.Imbalance(n))
	// A non-square pair: W_1 = [1 2] (1×2), W_2 = [3; 4] (2×1):
	// W_2ᵀW_2 = 25, W_1W_1ᵀ = 5, difference 20.
	n, _ = model.NewNetFromRows([][][]float64{{{1, 2}}, {{3}, {4}}})
	require.InDelta(t, 20, invariants.Imbalance(n), 1e-13)
}

func TestMarginAndSpectralPinned(t *testing.T) {
	phi := mat.NewDense(2, 2, []float64{3, 0, 0, 2})
	w := mat.NewDense(2, 2, []float64{2.5, 0, 0.5, 2})
	// σ_min(Φ) = 2, ‖W − Φ‖_F = √(0.25 + 0.25).
	require.InEpsilon(t, 2-math.Sqrt(0.5), invariants.Margin(w, phi), rel)
	n, _ := model.NewNetFromRows([][][]float64{{{1, 0}, {0, 2}}, {{2.5, 0}, {0.5, 1}}})
	require.InEpsilon(t, 2-math.Sqrt(0.5), invariants.NetMargin(n, phi), 1e-12)
	require.True(t, math.IsNaN(invariants.NetMargin(n, mat.NewDense(1, 2, nil))))
	// max_j ‖W_j‖_σ: W_1 = diag(1, 2) has 2; W_2 has σ_max ≈ 2.5125.
	sv := invariants.SingularValues(n.Layer(2))
	require.InEpsilon(t, sv[0], invariants.MaxLayerSpectral(n), rel)
	require.Greater(t, sv[0], 2.0)
	n2, _ := model.NewNetFromRows([][][]float64{{{5, 0}, {0, 1}}, {{1, 0}, {0, 1}}})
	require.InEpsilon(t, 5, invariants.MaxLayerSpectral(n2), rel, "the maximum may be in the first layer")
	var rec model.Record
	invariants.Measure(n, phi, &rec)
	require.InEpsilon(t, invariants.Imbalance(n), rec.Imbalance, rel)
	require.InEpsilon(t, 2-math.Sqrt(0.5), rec.Margin, 1e-12)
	require.InEpsilon(t, invariants.SigmaMin(n.Product()), rec.SigmaMin, rel)
	require.InEpsilon(t, sv[0], rec.MaxSpectral, rel)
	require.InEpsilon(t, 5, invariants.Frobenius(mat.NewDense(1, 2, []float64{3, 4})), rel)
}

// P_W by hand for N = 2 and a diagonal W = diag(a, b) (2×2):
// P_W(E) = E [WᵀW]^{1/2} + [WWᵀ]^{1/2} E = E·diag(a,b) + diag(a,b)·E,
// so P_W(E)_{ij} = (σ_i + σ_j) E_{ij}; for N = 3,
// P_W(E)_{ij} = (σ_j^{4/3} + σ_i^{2/3}σ_j^{2/3} + σ_i^{4/3}) E_{ij}.
func TestApplyPWPinned(t *testing.T) {
	a, b := 2.0, 0.5
	w := mat.NewDense(2, 2, []float64{a, 0, 0, b})
	e := mat.NewDense(2, 2, []float64{1, 2, 3, 4})
	s := []float64{a, b}
	for _, N := range []int{1, 2, 3, 4} {
		got, err := invariants.ApplyPW(w, e, N)
		require.NoError(t, err)
		ev, err := invariants.PWEigenvalues(w, N)
		require.NoError(t, err)
		for i := 0; i < 2; i++ {
			for j := 0; j < 2; j++ {
				sum := 0.0
				n := float64(N)
				for k := 1; k <= N; k++ {
					sum += pw(s[i], 2*float64(k-1)/n) * pw(s[j], 2*float64(N-k)/n)
				}
				require.InEpsilon(t, sum*e.At(i, j), got.At(i, j), 1e-12, "N=%d (%d,%d)", N, i, j)
				require.InEpsilon(t, sum, ev[i][j], 1e-12, "eigenvalue N=%d (%d,%d)", N, i, j)
			}
		}
	}
	// Rank-deficient W (σ_2 = 0) with 0⁰ = 1: for N = 2 the (2,2) eigenvalue
	// is σ_2⁰·σ_2⁰... = 0 + 0 → Σ_k 0^{..}·0^{..} = 0 for N = 2, and the
	// (1,2) one is σ_1 + 0 = σ_1.
	wd := mat.NewDense(2, 2, []float64{a, 0, 0, 0})
	ev, err := invariants.PWEigenvalues(wd, 2)
	require.NoError(t, err)
	require.InEpsilon(t, 2*a, ev[0][0], 1e-12)
	require.InEpsilon(t, a, ev[0][1], 1e-12)
	require.InEpsilon(t, a, ev[1][0], 1e-12)
	require.Equal(t, 0.0, ev[1][1])
	// A wide W (1×3): eigenvalues for u_1 and v_1, v_2, v_3 (σ = 0 beyond rank).
	ww := mat.NewDense(1, 3, []float64{0, 3, 0})
	ev, err = invariants.PWEigenvalues(ww, 2)
	require.NoError(t, err)
	require.Len(t, ev, 1)
	require.Len(t, ev[0], 3)
	require.InEpsilon(t, 6, ev[0][0], 1e-12)
	require.InEpsilon(t, 3, ev[0][1], 1e-12)
	require.InEpsilon(t, 3, ev[0][2], 1e-12)
	_, err = invariants.ApplyPW(w, mat.NewDense(2, 3, nil), 2)
	require.Error(t, err)
	_, err = invariants.ApplyPW(w, e, 0)
	require.Error(t, err)
	_, err = invariants.PWEigenvalues(w, 0)
	require.Error(t, err)
}

// SymPow with a non-diagonal S, against the eigen-formula by hand: S =
// [[2,1],[1,2]] has eigenvalues 3, 1 with vectors (1,1)/√2, (1,−1)/√2.
func TestSymPowPinned(t *testing.T) {
	s := mat.NewDense(2, 2, []float64{2, 1, 1, 2})
	for _, p := range []float64{0.5, 1.0 / 3, 1.5, 2} {
		got, err := invariants.SymPow(s, p)
		require.NoError(t, err)
		x, y := pw(3, p), 1.0
		want := mat.NewDense(2, 2, []float64{(x + y) / 2, (x - y) / 2, (x - y) / 2, (x + y) / 2})
		require.True(t, mat.EqualApprox(got, want, 1e-12), "p = %v: %v", p, mat.Formatted(got))
	}
	id, err := invariants.SymPow(s, 0)
	require.NoError(t, err)
	require.True(t, mat.Equal(id, mat.NewDense(2, 2, []float64{1, 0, 0, 1})))
	_, err = invariants.SymPow(mat.NewDense(2, 3, nil), 0.5)
	require.Error(t, err)
	// Round-off negative eigenvalue clamped; a genuinely PSD rank-1 matrix
	// keeps its non-zero eigenvalue.
	r1 := mat.NewDense(2, 2, []float64{1, 1, 1, 1})
	h, err := invariants.SymPow(r1, 0.5)
	require.NoError(t, err)
	require.True(t, mat.EqualApprox(h, mat.NewDense(2, 2, []float64{1 / math.Sqrt2, 1 / math.Sqrt2, 1 / math.Sqrt2, 1 / math.Sqrt2}), 1e-12), "%v", mat.Formatted(h))
}

// TestMutationProofSuite runs the deterministic claim checks of
// proofs_test against this package when DLNVERIFY_MUTATION is set
// (scripts/mutation.sh), so that gremlins, which runs only the mutated
// package's tests, mutates invariants/ against the whole suite.
// It is declared last so that -failfast skips it for mutants already killed.
func TestMutationProofSuite(t *testing.T) { gatecheck.ProofSuite(t) }
