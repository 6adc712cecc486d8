package proofs

import (
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// R1: the residual-network corollary of Theorem 1 (W_j(0) = I).

var _ = Register(Property{ID: "R1", Name: "ResidualIdentityStart", Status: "V", Domain: "N 1..4, square d 1..4, ‖Φ − I‖_F ∈ (0, ½)",
	Statement: "W_j(0) = I, ‖Φ − I‖_F < ½ ⇒ margin ≥ c = 1 − 2‖Φ − I‖_F and GD at η*(c) decays at rate ηc^{2(N−1)/N}",
	Check:     R1ResidualIdentityStart, MinValid: 5})

// R1Options are R1's knobs; the planted-bug test breaks the margin formula.
type r1Options struct {
	margin func(phi mat.Matrix) float64 // the claimed c; invariants.ResidualMargin
	steps  int
}

// R1ResidualIdentityStart checks R1 on linear residual networks.
//
// Cases: all widths d ∈ 1..4, N ∈ 1..4, Φ = I + Δ with ‖Δ‖_F = f/2 for a
// drawn f ∈ [0.01, 0.99] (Δ from explicit singular values, seeded
// orthogonal factors, condition 1..8), W_j(0) = I (0-balanced).
// Hypothesis measured: ‖Φ − I‖_F < ½.
//
// Checks: (a) c = 1 − 2‖Φ − I‖_F is a deficiency margin of W(0) = I
// (measured margin ≥ c − MeasureTol), so with δ = 0 Theorem 1 applies at
// c; (b) with η = EtaBound(c), for t = 1..K/5:
// ℓ(t) ≤ (1 − ηc^{2(N−1)/N})ℓ(t−1) + LossTol (the linear rate of T1).
func R1ResidualIdentityStart(impl model.Stepper, st *Stats) func(*rapid.T) {
	return r1Residual(impl, st, r1Options{margin: invariants.ResidualMargin, steps: Steps() / 5})
}

func r1Residual(impl model.Stepper, st *Stats, o r1Options) func(*rapid.T) {
	return func(t *rapid.T) {
		d := rapid.IntRange(1, 4).Draw(t, "d")
		N := rapid.IntRange(1, 4).Draw(t, "N")
		f := float64(99-rapid.IntRange(0, 98).Draw(t, "99−f%")) / 100
		spec := gen.Targets().Draw(t, "Δ")
		spec.Frob = f / 2
		delta, err := spec.Build(d, d)
		if err != nil {
			t.Fatalf("building Δ: %v", err)
		}
		phi := linalg.Identity(d)
		phi.Add(phi, delta)
		n, _ := model.Identity(d, N)
		dist := invariants.Frobenius(delta)
		ok := dist < 0.5
		st.Case(ok)
		if !ok {
			return
		}
		c := o.margin(phi)
		measured := invariants.NetMargin(n, phi)
		phiF := invariants.Frobenius(phi)
		eta := invariants.EtaBound(c, N, phiF)
		t.Logf("R1 case: N=%d dims=%d×… ‖Φ−I‖_F=%.4g σ_min(Φ)=%.4g c=%.4g measured margin=%.4g δ=0 η=%.3g σ_min(W(0))=1",
			N, d, dist, invariants.SigmaMin(phi), c, measured, eta)
		if tol := MeasureTol(2+dist, d, 1); !(measured >= c-tol) {
			t.Fatalf("R1 violated: c = %.6g exceeds the measured margin %.6g of W_j = I", c, measured)
		}
		rate := invariants.Rate(eta, c, N)
		if !(c > 0 && eta > 0) {
			t.Fatalf("R1: c = %v, η = %v not positive", c, eta)
		}
		l := lossOf(n, phi)
		for s := 1; s <= o.steps; s++ {
			tol := TiersFor(impl).LossTol(n, phiF, l)
			stepOrFail(t, impl, n, phi, eta, s-1)
			next := lossOf(n, phi)
			if !(next <= (1-rate)*l+tol) {
				t.Fatalf("R1 rate violated at t=%d: ℓ = %.17g > (1 − ηc^{2(N−1)/N})ℓ(t−1) = %.17g (tol %.3g)", s, next, (1-rate)*l, tol)
			}
			l = next
		}
		st.Add("steps", float64(o.steps))
	}
}
