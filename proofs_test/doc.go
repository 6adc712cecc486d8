// Package proofs holds one rapid property per claim of Arora, Cohen,
// Golowich & Hu (ICLR 2019), named by the claim IDs of the claim sheet,
// restated in full in docs/claims.md.
//
// In the manner of gonum's lapack/testlapack, property bodies are exported
// values that take the implementation under test (a model.Stepper), so the
// reference, the fast implementation and deliberately broken ones run
// through the same checks. The Test<ID>_<Name> functions in this directory's
// _test.go files run every registered Property with `go test`; the
// `dlnverify verify` command runs the same registry outside `go test`.
//
// Every property (1) asserts that each generated case meets the claim's
// hypotheses, measured, and counts the cases that did, failing when too few
// did (no vacuous pass); (2) has a planted-bug companion showing that it
// fails on a broken implementation or constant.
//
// Layout: one file per claim. <id>.go registers the claim's properties and
// holds their bodies; <id>_test.go holds the Go tests, the planted-bug
// companions and their test-only helpers. The probabilistic claims live in
// prob_<id>.go and prob_<id>_test.go, with their shared machinery in
// prob_common.go. registry.go, harness.go and tolerance.go are shared.
package proofs
