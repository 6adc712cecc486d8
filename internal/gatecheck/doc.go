// Package gatecheck proves that the test suite gates: that it turns red on
// faults a careless edit of the numerical core could plant, and that its
// verdicts are reproducible. It holds only tests.
//
//   - determinism_test.go: the same seed gives bit-identical GD
//     trajectories (Reference and Fast), identical property outcomes and an
//     identical `dlnverify verify --json` report (timings excluded), within
//     one process, across processes, and with GOMAXPROCS=1 and 2.
//   - planted_test.go: hand-planted faults (a transposed gradient factor,
//     layers multiplied in the wrong order, sequential layer updates, η off
//     by 2, a wrong fractional-power exponent, Frobenius for spectral, a
//     whitening that centres but does not scale) are applied as textual
//     patches to a copy of the module, and the targeted tests must fail.
//     Skipped under -short.
//   - nan_test.go: a NaN slack can never look like a pass in proofs.Stats.
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}.
package gatecheck
