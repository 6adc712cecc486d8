package model_test

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/gatecheck"
)

// TestMutationProofSuite runs the deterministic claim checks of
// proofs_test against this package when DLNVERIFY_MUTATION is set
// (scripts/mutation.sh), so that gremlins, which runs only the mutated
// package's tests, mutates model/ against the whole suite.
func TestMutationProofSuite(t *testing.T) { gatecheck.ProofSuite(t) }
