// Package counterexamples makes the necessity side of Arora, Cohen, Golowich
// & Hu (ICLR 2019) executable: what goes wrong when one hypothesis of
// Theorem 1 (T1) is dropped. Claim IDs are those of the claim sheet (docs/claims.md).
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}, layers
// numbered from 1, loss ℓ = ½‖W_{1:N} − Φ‖_F², GD through a model.Stepper
// (nil means model.Reference everywhere, unlike the rest of the module,
// whose default is model.Fast). The failure certificates are statements
// about exact GD that rest on invariant subspaces: CL5's loss floor and the
// stalls at critical points hold because W_1 = W_2ᵀ-like symmetries are
// kept by every step. Reference computes each layer's update by the same
// operations and keeps them bit for bit; Fast rounds the layers' updates
// through different kernels (at d_N = 1 since its row-gemv kernels), leaves
// the subspace by an ulp, and the saddle's instability amplifies that ulp
// until the run escapes (drop-margin's saved case: symmetry lost at step
// 47, ℓ ≤ ε at step 956 instead of the certified floor ½). Pass
// model.NewFast() explicitly for speed where that is not at stake.
//
// # Failure modes
//
// A run fails to converge in one of three certified ways (Mode): it
// diverges (model.Run reports StatusDiverged); its loss stays at or above a
// proven floor F > 0 (Floor: Eckart–Young for a too-narrow layer, the PSD
// projection for CL5); or it stalls at a critical point that is not a
// global minimum (Stalls: ‖∇L^N‖_F ≈ 0 at ℓ > ε). A run that merely has not
// converged when its budget runs out is inconclusive, never a
// counterexample.
//
// # Catalog
//
// Catalog lists named constructions (Entry). Each says which hypothesis it
// violates, which claim it realises, builds a concrete Case (Φ, layers, η,
// budget K) and checks its failure mode with Case.Replay:
//
//   - CL5/negative-eigenvalue (drops the margin; CL5, loss floor λ²/2)
//   - CL4/unbalanced-start (drops balancedness; CL4, divergence)
//   - A1/narrow-hidden-layer (drops the width condition; A1, rank floor)
//   - T1/large-step (drops the step bound; T1, divergence)
//   - D2/zero-saddle (drops the margin; the origin is a critical point, stall)
//
// # Claims CL5 and CL4 over grids
//
// NewCL5/CheckCL5 is Claim 5 as stated: even N, width d, Φ = Q diag(μ) Qᵀ
// with an eigenvalue −λ < 0 (explicit eigenvalues, seeded orthogonal Q),
// W_j(0) = I; for any η, ℓ(t) ≥ λ²/2 and the layers stay equal and
// diagonal in Φ's eigenbasis (Lemma 18) at every step, to a rounding
// tolerance propagated with the measured first-order growth of
// perturbations. Floating point cannot follow the exact trajectory for
// ever: it approaches a saddle, rounding seeds the unstable direction, and
// float GD does eventually escape below λ²/2 (measured: N = 2, d = 5,
// η = 0.1 reaches ℓ ≈ 1e-31). CheckCL5 checks the claim up to the step
// where the propagated tolerance reaches Lemma18Horizon and reports that it
// stopped there. At large η the run overflows; every finite ℓ(t) before is
// checked and divergence is reported.
//
// NewCL4/CheckCL4 is Claim 4 with the construction of the claim sheet (N/2
// layers a = max(2, 3/√η), N/2 layers c^{2/N}/a, in entry (1,1) with 1
// elsewhere on the diagonal, Φ = I): the start has margin c (measured), is
// unbalanced, model.Run reports divergence, and after a transient t₀ ≤
// MaxTransient the loss and the geometric mean of the layers grow at least
// exponentially (GrowthFactor) until the loss passes PrecisionLimit (where
// float GD no longer resolves Φ) and then overflows. EtaGrid and
// DefaultEtaGrid give the log grids of step sizes.
//
// # Falsification by search
//
// Searches returns one rapid property per hypothesis of Theorem 1: "GD from
// this start converges" (ℓ(t) ≤ ε = r·½‖Φ‖_F² for some t ≤ K; r and K per
// search), drawn with that one hypothesis dropped and the others kept and
// measured. A case falsifies it only with a certified failure mode; a run
// that is merely unfinished at K is inconclusive and counted. Search.Run
// runs the property through rapid with a recording TB (internal/rapidtb),
// expects rapid to find a counterexample and shrink it, and returns a
// Found: the shrunk Case (JSON-serialisable, readable String) with the size
// of the first counterexample and the case counts. Options.Control
// restores the dropped hypothesis, a negative control that should find
// nothing (ErrNoCounterexample). Generators draw structure (N, widths,
// small-integer singular values or eigenvalues, margin and step exponents,
// seed 0 = no rotation) so that rapid shrinks toward few layers, small
// widths and diagonal targets; the shrunk cases are N = 2, d = 1 (balance,
// margin, step) and dims 2→1→2 (width). Search.Run turns off rapid's fail
// files while it runs, so every run searches afresh.
//
// The tests save each search's shrunk case as testdata/<search>.json when
// run with -update (or DLNVERIFY_UPDATE_COUNTEREXAMPLES=1), and replay
// every saved case (Case.Replay, LoadCase).
//
// For the CLI (`dlnverify falsify`):
//
//	for _, s := range counterexamples.Searches() {
//		f, err := s.Run(counterexamples.Options{})
//		// err == nil: f.String() prints the shrunk case; json.Marshal(f.Case) saves it
//	}
//
// No exported function panics on bad input; errors are returned.
package counterexamples
