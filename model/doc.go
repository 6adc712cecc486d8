// Package model is the numerical core of dlnverify: deep linear networks,
// their ℓ2 loss on whitened data, gradients, gradient descent (GD) and
// gradient flow, initialisations and data whitening.
//
// Conventions (the claim sheet's notation, docs/claims.md):
//
//   - A network of depth N maps x ↦ W_N ⋯ W_1 x (column vectors).
//   - Layer W_j ∈ R^{d_j × d_{j−1}}, j = 1..N; d_0 is the input dimension and
//     d_N the output dimension. Net.Dims returns d_0..d_N.
//   - W_{j:j'} := W_{j'} ⋯ W_j; W_{1:0} = I_{d_0}, W_{N+1:N} = I_{d_N}.
//     The end-to-end matrix is W = W_{1:N} (Net.Product).
//   - The loss is L^N = ½‖W_{1:N} − Φ‖_F² (S1: κ dropped), and
//     ∂L^N/∂W_j = W_{j+1:N}ᵀ (W_{1:N} − Φ) W_{1:j−1}ᵀ (S2).
//   - Layers are numbered from 1 in every exported function taking a layer
//     index, as in the paper.
//
// Implementations of GD sit behind the Stepper interface. Reference is the
// deliberately plain implementation built on gonum/mat; faster or
// deliberately broken ones plug into the same Run loop and property bodies.
//
// There is one run loop: RunContext (GD) and RunFlow (gradient flow) share
// RunConfig's rules — the divergence limit DivergenceLimit(ℓ(0)) =
// 1e12·max(ℓ(0), 1), the ε rule, an Observer hook and a trajectory
// recorder — and stop at the iterate t* where a rule fires (Result.Steps =
// t*, the network holds W(t*), Result.FinalLoss = ℓ(t*)); see Status for
// what each ending means. Steppers that implement CheckedStepper (Reference,
// Fast) decide on the loss of their own forward pass before updating.
//
// No exported function panics on bad input: shapes, finiteness and
// parameters are validated and reported as errors. A run whose loss
// overflows is a result (StatusDiverged), not an error.
package model
