package counterexamples

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// cl5Budget is K for the CL5 grid: long enough for the loss to reach the
// floor at η ≥ 1e-3 (the Lemma 18 horizon ends most of those runs first),
// short enough for the 195-run grid to stay within the package budget.
func cl5Budget() int {
	if testing.Short() {
		return 400
	}
	return 1500
}

// checkCL5Hypotheses asserts what Claim 5 assumes of its start, measured:
// even N, W_j(0) = I (0-balanced), Φ symmetric with an eigenvalue −λ < 0
// (so no deficiency margin).
func checkCL5Hypotheses(t interface {
	Helper()
	Fatal(...any)
	Fatalf(string, ...any)
}, c *CL5) {
	t.Helper()
	n, err := c.Start()
	if err != nil {
		t.Fatal(err)
	}
	m := measureStart(n, c.Phi)
	if c.N%2 != 0 || m.Imbalance != 0 || !m.WidthsOK || !(m.Margin < 0) || !(c.Lambda > 0) {
		t.Fatalf("CL5 hypotheses fail: N = %d, δ = %g, widths ok %v, margin %g, λ = %g", c.N, m.Imbalance, m.WidthsOK, m.Margin, c.Lambda)
	}
	if !mat.EqualApprox(c.Phi, c.Phi.T(), 0) {
		t.Fatalf("Φ is not symmetric")
	}
	// −λ is an eigenvalue of the built Φ: det(Φ + λI) ≈ 0 relative to ‖Φ‖.
	shifted := mat.DenseCopyOf(c.Phi)
	for i := 0; i < c.D; i++ {
		shifted.Set(i, i, shifted.At(i, i)+c.Lambda)
	}
	if s := invariants.SigmaMin(shifted); !(s <= 64*float64(c.D)*linalg.UnitRoundoff*math.Max(1, invariants.Frobenius(c.Phi))) {
		t.Fatalf("−λ = %g is not an eigenvalue of Φ (σ_min(Φ + λI) = %g)", -c.Lambda, s)
	}
}

// TestCL5_FloorAndLemma18EveryEta is Claim 5 over the grid: N ∈ {2, 4, 6},
// d ∈ {1..5}, every η of DefaultEtaGrid (13 points over [1e-6, 1]), a
// seeded random symmetric Φ per (N, d): ℓ(t) ≥ λ²/2 and Lemma 18's structure
// at every step up to K, the rounding horizon, or overflow.
func TestCL5_FloorAndLemma18EveryEta(t *testing.T) {
	K := cl5Budget()
	runs, horizon, overflow, full := 0, 0, 0, 0
	for _, N := range []int{2, 4, 6} {
		for d := 1; d <= 5; d++ {
			c, err := NewCL5(N, d, uint64(100*N+d))
			if err != nil {
				t.Fatal(err)
			}
			checkCL5Hypotheses(t, c)
			for _, eta := range DefaultEtaGrid() {
				r, err := CheckCL5(nil, c, eta, K)
				if err != nil {
					t.Fatal(err)
				}
				runs++
				switch {
				case r.Overflow:
					overflow++
				case r.Horizon:
					horizon++
				default:
					full++
				}
				if !r.Holds() {
					t.Fatalf("%s", r)
				}
				if !r.Overflow && r.Checked < 1 {
					t.Fatalf("vacuous: no step checked: %s", r)
				}
				if eta == 1e-3 || eta == 1 {
					t.Logf("%s", r)
				}
			}
		}
	}
	t.Logf("CL5: %d runs (N ∈ {2,4,6}, d ∈ 1..5, 13 η): %d checked to K = %d, %d stopped at the rounding horizon, %d overflowed (large η: divergence; ℓ ≥ λ²/2 held while finite)",
		runs, full, K, horizon, overflow)
	if runs != 3*5*13 || full == 0 {
		t.Fatalf("grid incomplete or vacuous: %d runs, %d full", runs, full)
	}
}

// TestCL5_AnyEta is Claim 5 as a rapid property: N, d, seed and η (log
// uniform on [1e-6, 3], beyond the grid) drawn; the hypotheses are
// asserted and the claim checked for K = 300 steps.
func TestCL5_AnyEta(t *testing.T) {
	valid := 0
	rapidtb.CheckT(t, func(rt *rapid.T) {
		N := 2 * rapid.IntRange(1, 3).Draw(rt, "halfN")
		d := rapid.IntRange(1, 5).Draw(rt, "d")
		seed := uint64(rapid.IntRange(0, 1<<20).Draw(rt, "seed"))
		k := rapid.IntRange(0, 130).Draw(rt, "etaTwentiethsOfDecade")
		eta := math.Pow(10, -6+float64(k)/20)
		c, err := NewCL5(N, d, seed)
		if err != nil {
			rt.Fatal(err)
		}
		checkCL5Hypotheses(rt, c)
		valid++
		rt.Logf("N=%d d=%d λ=%.4g η=%.4g seed=%d", N, d, c.Lambda, eta, seed)
		r, err := CheckCL5(nil, c, eta, 300)
		if err != nil {
			rt.Fatal(err)
		}
		if !r.Holds() {
			rt.Fatalf("%s", r)
		}
	})
	if valid == 0 {
		t.Fatal("no valid case")
	}
	t.Logf("%d cases met CL5's hypotheses and passed", valid)
}

// symmetryBreaker is a planted bug: the reference step followed by a push
// of η·1e-6 on W_1[0][1], which breaks Lemma 18's structure (layers equal
// and diagonal in Φ's eigenbasis).
type symmetryBreaker struct{}

func (symmetryBreaker) Name() string { return "symmetry-breaker" }
func (symmetryBreaker) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	l, err := model.Reference{}.Step(n, phi, eta)
	if err == nil && n.Layer(1).RawMatrix().Cols > 1 {
		n.Layer(1).Set(0, 1, n.Layer(1).At(0, 1)+1e-6*eta)
	}
	return l, err
}

// TestCL5_PlantedBugs shows that both CL5 checks can fail: a run with all
// eigenvalues positive (same λ kept as the claimed floor) goes below λ²/2,
// and a stepper that breaks the symmetry loses Lemma 18's structure. Both
// are run through CheckCL5 directly and through rapid (rapidtb), which
// must report a failure.
func TestCL5_PlantedBugs(t *testing.T) {
	// Planted bug 1: Φ = Q diag(3, 2) Qᵀ (all eigenvalues positive) while
	// the claimed floor stays λ²/2 = ½ of the real construction. ℓ(0) =
	// 2.5 is above the floor, so the breach is caught along the run.
	c, err := NewCL5FromEigenvalues(2, []float64{-1, 2}, 3)
	if err != nil {
		t.Fatal(err)
	}
	pos := *c
	pos.Eigenvalues = []float64{3, 2}
	pos.Phi = usvSym(c.Basis, pos.Eigenvalues)
	r, err := CheckCL5(nil, &pos, 0.05, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if r.Holds() || !strings.Contains(r.Violation, "λ²/2") || r.Checked == 0 {
		t.Fatalf("positive Φ should breach the floor after t = 0: %s", r)
	}
	t.Logf("planted positive Φ detected: %s", r.Violation)

	r, err = CheckCL5(symmetryBreaker{}, c, 0.05, 2000)
	if err != nil {
		t.Fatal(err)
	}
	if r.Holds() || !strings.Contains(r.Violation, "Lemma 18") {
		t.Fatalf("symmetry breaker should lose Lemma 18: %s", r)
	}
	t.Logf("planted symmetry breaker detected: %s", r.Violation)

	// The planted bug fails by design: keep no fail file.
	rep := rapidtb.CheckWith(rapidtb.WithoutFailFile, "TestCL5_PlantedBugs_rapid", func(rt *rapid.T) {
		d := rapid.IntRange(2, 4).Draw(rt, "d")
		c, err := NewCL5(2, d, uint64(rapid.IntRange(1, 100).Draw(rt, "seed")))
		if err != nil {
			rt.Fatal(err)
		}
		r, err := CheckCL5(symmetryBreaker{}, c, 0.05, 500)
		if err != nil {
			rt.Fatal(err)
		}
		if !r.Holds() {
			rt.Fatalf("%s", r)
		}
	})
	if !rep.Failed {
		t.Fatal("rapid did not see the planted symmetry breaker")
	}
}

// TestCL5_BadInput: errors, not panics.
func TestCL5_BadInput(t *testing.T) {
	for _, tc := range []struct {
		N    int
		eigs []float64
	}{{3, []float64{-1}}, {0, []float64{-1}}, {2, nil}, {2, []float64{1, 2}}, {2, []float64{math.NaN()}}} {
		if _, err := NewCL5FromEigenvalues(tc.N, tc.eigs, 1); err == nil {
			t.Fatalf("NewCL5FromEigenvalues(%d, %v) should fail", tc.N, tc.eigs)
		}
	}
	if _, err := NewCL5(2, 0, 1); err == nil {
		t.Fatal("d = 0 should fail")
	}
	if _, err := CheckCL5(nil, nil, 0.1, 10); err == nil {
		t.Fatal("nil construction should fail")
	}
	c, _ := NewCL5(2, 2, 1)
	for _, eta := range []float64{0, -1, math.Inf(1), math.NaN()} {
		if _, err := CheckCL5(nil, c, eta, 10); err == nil {
			t.Fatalf("η = %v should fail", eta)
		}
	}
	if _, err := EtaGrid(0, 1, 3); err == nil {
		t.Fatal("EtaGrid from 0 should fail")
	}
}

// TestCL5_FloatEscapeBeyondHorizon documents why CheckCL5 has a horizon:
// past it, floating-point GD does leave the saddle and the loss goes below
// λ²/2 (a rounding effect; the claim is about exact GD). If this ever stops
// happening the horizon could be lifted.
func TestCL5_FloatEscapeBeyondHorizon(t *testing.T) {
	if testing.Short() {
		t.Skip("long run")
	}
	c, err := NewCL5(2, 5, 25)
	if err != nil {
		t.Fatal(err)
	}
	const eta, K = 0.1, 3000
	r, err := CheckCL5(nil, c, eta, K)
	if err != nil {
		t.Fatal(err)
	}
	if !r.Holds() || !r.Horizon {
		t.Fatalf("expected the check to hold up to its horizon: %s", r)
	}
	n, _ := c.Start()
	minLoss, at := math.Inf(1), 0
	for s := 0; s < K; s++ {
		l, _ := model.Reference{}.Step(n, c.Phi, eta)
		if l < minLoss {
			minLoss, at = l, s
		}
	}
	t.Logf("checked to t = %d (horizon); unchecked float GD reaches min ℓ = %.3g at t = %d vs λ²/2 = %.4g", r.Checked, minLoss, at, c.Floor())
	if !(minLoss < c.Floor()) {
		t.Fatalf("float GD did not escape below λ²/2 within %d steps; the horizon note in Lemma18Horizon is out of date", K)
	}
}

// TestCL5_PerturbationGrowthKnownCases checks perturbationGrowth against
// the two cases computable by hand. At the N = 2 saddle (δ = 0, μ = −λ)
// the Hessian block is [[0, λ], [λ, 0]], so one step multiplies the
// unstable perturbation by 1 + ηλ. At a converged positive direction
// (δ^N = μ, residual 0) the block is the rank-one a·aᵀ, a_j = δ^{N−1},
// with eigenvalue N·δ^{2N−2}: the growth is max(1, |1 − η N δ^{2N−2}|).
func TestCL5_PerturbationGrowthKnownCases(t *testing.T) {
	const lambda, eta = 1.5, 0.1
	if g := perturbationGrowth(2, eta, []float64{0}, []float64{-lambda}); math.Abs(g-(1+eta*lambda)) > 1e-12 {
		t.Fatalf("saddle growth %v, want %v", g, 1+eta*lambda)
	}
	for _, N := range []int{2, 4, 6} {
		delta := 1.2
		mu := math.Pow(delta, float64(N))
		want := math.Max(1, math.Abs(1-eta*float64(N)*math.Pow(delta, float64(2*N-2))))
		if g := perturbationGrowth(N, eta, []float64{delta}, []float64{mu}); math.Abs(g-want) > 1e-9*want {
			t.Fatalf("N = %d converged growth %v, want %v", N, g, want)
		}
	}
}
