package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// S3: rotating Φ and the end layers leaves the GD trajectory's losses unchanged.

var _ = Register(Property{ID: "S3", Name: "RotationInvariantTrajectory", Status: "R", Domain: "N 1..6, widths 1..6 (square and not), 50 steps",
	Statement: "Φ → PΦQ, W_N → PW_N, W_1 → W_1Q leaves every loss of the GD trajectory unchanged",
	Check:     S3RotationInvariantTrajectory, MinValid: 8})

// S3RotationInvariantTrajectory checks S3 along K = 50 steps of impl.
//
// Cases: gen.Generic, N = 1..6, widths 1..6 (all equal half the time),
// seeded Haar P ∈ O(d_N), Q ∈ O(d_0); the rotated problem has Φ′ = PΦQ,
// W_N′ = PW_N, W_1′ = W_1Q (W_1′ = PW_1Q when N = 1). η = stableStep(W, ‖Φ‖_F, K),
// so that rounding differences grow by at most e over K steps.
//
// Checks: |ℓ′(t) − ℓ(t)| ≤ e·TrajectoryTol(LossTol, t) for t = 0..K.
func S3RotationInvariantTrajectory(impl model.Stepper, st *Stats) func(*rapid.T) {
	const K = 50
	return func(t *rapid.T) {
		square := rapid.Bool().Draw(t, "square")
		g := gen.Generic(gen.ShapeOptions{Square: square}).Draw(t, "case")
		t.Logf("S3 case: %v", g)
		rng := model.NewRand(g.Seed ^ 0x5eed)
		P := linalg.RandomOrthogonal(g.Dims[g.N], rng)
		Q := linalg.RandomOrthogonal(g.Dims[0], rng)
		var phiR mat.Dense
		phiR.Mul(P, g.Phi)
		phiR.Mul(&phiR, Q)
		a := g.Net.Clone()
		b := g.Net.Clone()
		var w1 mat.Dense
		w1.Mul(b.Layer(1), Q)
		b.Layer(1).Copy(&w1)
		var wn mat.Dense
		wn.Mul(P, b.Layer(b.N()))
		b.Layer(b.N()).Copy(&wn)
		phiF := invariants.Frobenius(g.Phi)
		eta := stableStep(a, phiF, K)
		st.Case(true)
		l0 := lossOf(a, g.Phi)
		tol0 := TiersFor(impl).LossTol(a, phiF, l0)
		for s := 0; s <= K; s++ {
			la, lb := lossOf(a, g.Phi), lossOf(b, &phiR)
			if tol := math.E * TrajectoryTol(math.Max(tol0, TiersFor(impl).LossTol(a, phiF, la)), s); !(math.Abs(la-lb) <= tol) {
				t.Fatalf("S3 violated at t=%d: loss %.17g, rotated problem %.17g (tol %.3g, η=%.3g)", s, la, lb, tol, eta)
			}
			if s == K {
				break
			}
			stepOrFail(t, impl, a, g.Phi, eta, s)
			stepOrFail(t, impl, b, &phiR, eta, s)
		}
	}
}
