// Package counterexamples makes the necessity side of Arora, Cohen, Golowich
// & Hu (ICLR 2019) executable: what goes wrong when one hypothesis of
// Theorem 1 (T1) is dropped. Claim IDs are those of CLAIMS.md.
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}, layers
// numbered from 1, loss ℓ = ½‖W_{1:N} − Φ‖_F², GD through a model.Stepper
// (nil means model.Reference everywhere).
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
// with an eigenvalue −λ < 0, W_j(0) = I; for any η, ℓ(t) ≥ λ²/2 and the
// layers stay equal and diagonal in Φ's eigenbasis (Lemma 18) at every
// step, to a propagated rounding tolerance. Floating point cannot follow the
// exact trajectory for ever: it approaches a saddle, rounding seeds the
// unstable direction, and float GD does eventually escape below λ²/2
// (Lemma18Horizon explains; CheckCL5 stops at that certified horizon and
// says so). NewCL4/CheckCL4 is Claim 4 with the construction of CLAIMS.md
// (N/2 layers a = max(2, 3/√η), N/2 layers c^{2/N}/a, embedded in entry
// (1,1) with Φ = I): margin c, then at least exponential growth of loss
// and weights until overflow, which model.Run reports as divergence.
// EtaGrid and DefaultEtaGrid give the log grids of step sizes.
//
// # Falsification by search
//
// Searches returns one rapid property per hypothesis of Theorem 1: "GD from
// this start converges", drawn with that one hypothesis dropped and the
// others kept (and measured). Search.Run runs it through rapid with a
// recording TB (internal/rapidtb), expects rapid to find a counterexample
// and shrink it, and returns the shrunk Case (JSON-serialisable, readable
// String) in a Found. Generators draw structure (N, widths, small-integer
// singular values or eigenvalues, margin and step exponents, seed 0 = no
// rotation) so that rapid shrinks toward few layers, small widths and
// diagonal targets. The `dlnverify falsify` command calls Searches and
// Search.Run.
//
// No exported function panics on bad input; errors are returned.
package counterexamples
