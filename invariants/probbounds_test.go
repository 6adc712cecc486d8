package invariants_test

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// The probabilistic claims' bound formulas (CL2, L8, T2) at hand-computed
// values.
func TestProbBoundFormulas(t *testing.T) {
	near := func(name string, got, want, tol float64) {
		t.Helper()
		if math.Abs(got-want) > tol {
			t.Errorf("%s = %.8f, want %.8f", name, got, want)
		}
	}
	// CL2: 1 − 10·2·0.1⁴·3³/1² = 1 − 0.054 = 0.946; at δ = 0.1 it is
	// 1 − 5.4, clipped at 0.
	near("CL2Bound(1, 2, 0.1, 3)", invariants.CL2Bound(1, 2, 0.1, 3), 0.946, 1e-12)
	near("CL2Bound(0.1, 2, 0.1, 3)", invariants.CL2Bound(0.1, 2, 0.1, 3), 0, 0)
	// L8 at b₁ = 100: (3 − 4F(0.2))/2 with F(0.2) = 0.579259709439103.
	near("L8Bound(0, 100)", invariants.L8Bound(0, 100), (3-4*0.579259709439103)/2, 1e-12)
	near("L8Bound(0.5, 100)", invariants.L8Bound(0.5, 100), 0.5*(3-4*0.579259709439103)/2, 1e-12)
	// T2 at d_0 = a = 100: (1 − 2e^{−6.25})(3 − 4F(2√0.02))/2 ≈ 0.2762268 > 0.25,
	// F(0.28284271) = 0.6113512946052392 (Python math.erfc).
	near("T2Bound(100, 100)", invariants.T2Bound(100, 100), (1-2*math.Exp(-6.25))*(3-4*0.6113512946052392)/2, 1e-12)
	// (V) p > 0.25 for all d_0 ≥ 100, a ≥ 100: the bound grows in both.
	for d0 := 100; d0 <= 1000; d0 += 50 {
		for a := 100.0; a <= 1e6; a *= 1.5 {
			if b := invariants.T2Bound(d0, a); !(b > 0.25) {
				t.Fatalf("T2Bound(%d, %v) = %v ≤ 0.25", d0, a, b)
			}
		}
	}
	near("T2Margin(0.1, 100, 2)", invariants.T2Margin(0.1, 100, 2), 0.25, 1e-15)
}

// CL3's derivation rests on ‖W_{1:N}‖ = s^N ∏_{j<N} χ_{d_j} under i.i.d.
// Gaussian layers: check E‖W‖ and E[1/‖W‖] (invariants.CL3Moments) against a seeded
// Monte Carlo of model.Gaussian. Tolerance: 6 standard errors of the
// sample means (sample std measured), fixed seed, so not flaky.
func TestProbCL3MomentsMatchGaussianInit(t *testing.T) {
	for _, dims := range [][]int{{20, 1}, {25, 3, 1}, {30, 2, 4, 1}} {
		const n, s = 20000, 0.7
		rng := model.NewRand(11)
		var sum, sum2, isum, isum2 float64
		for i := 0; i < n; i++ {
			net, err := model.Gaussian(dims, s, rng)
			if err != nil {
				t.Fatal(err)
			}
			m := mat.Norm(net.Product(), 2)
			sum, sum2 = sum+m, sum2+m*m
			isum, isum2 = isum+1/m, isum2+1/(m*m)
		}
		mean, imean := sum/n, isum/n
		se := math.Sqrt((sum2/n - mean*mean) / n)
		ise := math.Sqrt((isum2/n - imean*imean) / n)
		wm, wi := invariants.CL3Moments(dims, s)
		if math.Abs(mean-wm) > 6*se || math.Abs(imean-wi) > 6*ise {
			t.Errorf("dims %v: E‖W‖ %.5f (± %.5f) vs %.5f; E[1/‖W‖] %.5f (± %.5f) vs %.5f", dims, mean, se, wm, imean, ise, wi)
		}
	}
}

// T2's step size and horizon against the formula written out in logs and
// exponentials (independent of math.Pow and of the code's monomial), and
// their scaling: with s² ∝ ‖Φ‖ the margin s²d_0/(2‖Φ‖) scales like ‖Φ‖
// and η_T2 by λ^{−6+4/N}; at ‖Φ‖ = 1e-40 a power of the direct formula
// leaves float64's range.
func TestT2StepAndHorizon(t *testing.T) {
	for _, N := range []int{1, 2, 3, 5} {
		n := float64(N)
		s, d0, phi, eps := 0.01, 120, 1.5, 1e-6
		want := math.Exp((4-2/n)*math.Log(s*s*float64(d0)) - math.Log(1e5*n*n*n) - (10-6/n)*math.Log(phi))
		eta := invariants.T2EtaBound(s, d0, N, phi)
		require.InEpsilon(t, want, eta, 1e-13, "N=%d", N)
		q := 2 - 2/n
		wantT := 4 / eta * (math.Log(4)*math.Exp(q*math.Log(phi/(s*s*float64(d0)))) + math.Exp(-q*math.Log(phi))*math.Log(phi*phi/(8*eps)))
		require.InEpsilon(t, wantT, invariants.T2Horizon(eta, s, d0, N, phi, eps), 1e-13, "N=%d", N)
		// λ = 1e-40: s ↦ 1e-20·s, ‖Φ‖ ↦ 1e-40·‖Φ‖, where ‖Φ‖^{−(10−6/N)}
		// overflows for N ≥ 2. Tier: the log path's 4u·(8 + Σ|p ln x|),
		// Σ ≤ 7.2·60 + 8.8·92 ≈ 1250.
		lam := -40 * math.Ln10
		got := invariants.T2EtaBound(s*1e-20, d0, N, phi*1e-40)
		require.InEpsilon(t, math.Exp(math.Log(want)+(-6+4/n)*lam), got, 4*linalg.UnitRoundoff*(8+1250), "N=%d scaled", N)
	}
	require.True(t, math.IsNaN(invariants.T2EtaBound(0, 100, 3, 1)))
	require.True(t, math.IsNaN(invariants.T2Horizon(1, 0.1, 100, 3, 1, 0)))
}
