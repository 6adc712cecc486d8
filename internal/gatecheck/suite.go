package gatecheck

import (
	"os"
	"slices"
	"testing"

	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// MutationEnv is the environment variable that scripts/mutation.sh sets so
// that the packages under mutation (model, invariants) also run the proof
// registry in their own `go test`: gremlins runs only the mutated
// package's tests, and the claim checks in proofs_test are the suite.
const MutationEnv = "DLNVERIFY_MUTATION"

// ProbabilisticIDs are the claim IDs whose properties are Monte Carlo
// estimates with family-wise error control (docs/probabilistic.md). They
// cost tens of seconds each and test distributions rather than the GD
// code, so ProofSuite leaves them out.
var ProbabilisticIDs = []string{"CL2", "CL3", "L8", "T2"}

// suiteOrder lists claim IDs from the cheapest and most sensitive check to
// the costliest (measured with dlnverify verify --json).
var suiteOrder = []string{"S2", "G1", "G2", "B1", "F2", "P1", "C1", "L3", "L6", "S1", "S3", "A1", "R1", "F1", "L1", "L2", "T1"}

// ProofSuite runs every registered deterministic property through
// proofs.Verify against the reference and the fast stepper, as subtests,
// when MutationEnv is set; otherwise it skips (the properties already run
// in proofs_test). Budgets come from the usual knobs (RAPID_CHECKS,
// DLNVERIFY_STEPS, DLNVERIFY_HORIZON_STEPS).
func ProofSuite(t *testing.T) {
	t.Helper()
	if os.Getenv(MutationEnv) == "" {
		t.Skipf("set %s=1 to run the proof registry here (scripts/mutation.sh does)", MutationEnv)
	}
	// Cheap, sharp properties first: a killed mutant stops at the first
	// failure (gremlins runs go test with -failfast).
	props := proofs.All()
	rank := func(id string) int {
		if i := slices.Index(suiteOrder, id); i >= 0 {
			return i
		}
		return len(suiteOrder)
	}
	slices.SortStableFunc(props, func(a, b proofs.Property) int { return rank(a.ID) - rank(b.ID) })
	ran := 0
	for _, p := range props {
		if slices.Contains(ProbabilisticIDs, p.ID) {
			continue
		}
		for _, impl := range []model.Stepper{model.Reference{}, model.NewFast()} {
			o := proofs.Verify(p, impl)
			ran++
			if !o.Passed {
				t.Fatalf("%s (%s) failed on %s: %s", p.TestName(), p.Statement, impl.Name(), o.Failure)
			}
		}
	}
	if ran == 0 {
		t.Fatal("no property in the registry")
	}
}
