package gatecheck

import (
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// MutationEnv is the environment variable that scripts/mutation.sh sets so
// that the packages under mutation (model, invariants) also run the proof
// suite from their own `go test`: gremlins runs only the mutated package's
// tests, and the claim checks in proofs_test are the suite.
const MutationEnv = "DLNVERIFY_MUTATION"

// SuiteRun and SuiteSkip select the deterministic claim checks of
// proofs_test: every registered property of kind proofs.Deterministic
// (derived from the registry, so a new claim joins without an edit here;
// the Monte Carlo ones test distributions rather than the GD code and cost
// tens of seconds), without the planted-bug companions (they test the
// checks, not the core) and without TestT1_FullHorizonFast (17 s; T1 is
// covered by TestT1_FullHorizon).
func SuiteRun() string {
	return "^Test(" + strings.Join(proofs.ClaimIDs(proofs.Deterministic), "|") + ")_"
}

// SuiteSkip: see SuiteRun.
const SuiteSkip = `CatchesPlantedBug|Planted|^TestT1_FullHorizonFast$`

// ProofSuite runs the deterministic claim checks of proofs_test as a
// subprocess `go test` of the module that contains the working directory
// (under gremlins, the mutated copy), when MutationEnv is set; otherwise
// it skips. Declare it last in a package's last test file: with
// -failfast, a mutant that the package's own tests kill never pays for
// building the proof suite. Budgets come from the usual knobs
// (RAPID_CHECKS, DLNVERIFY_STEPS, DLNVERIFY_HORIZON_STEPS, RAPID_SEED).
func ProofSuite(t *testing.T) {
	t.Helper()
	if os.Getenv(MutationEnv) == "" {
		t.Skipf("set %s=1 to run the proof suite from here (scripts/mutation.sh does)", MutationEnv)
	}
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			break
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
	cmd := exec.Command("go", "test", "-count=1", "-failfast", "-run", SuiteRun(), "-skip", SuiteSkip, "./proofs_test/")
	cmd.Dir = dir
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "GOFLAGS=") { // the caller's -skip is for its own package
			cmd.Env = append(cmd.Env, kv)
		}
	}
	out, err := cmd.CombinedOutput()
	if err != nil {
		lines := strings.Split(string(out), "\n")
		if len(lines) > 40 {
			lines = lines[len(lines)-40:]
		}
		t.Fatalf("the proof suite fails: %v\n%s", err, strings.Join(lines, "\n"))
	}
}
