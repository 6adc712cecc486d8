package main

import (
	"encoding/json"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/internal/selfcheck"
)

// TestVerifyCoreSelfCheck: verify runs the core self-check, reports it in
// text and JSON, and fails (exit 1, with the reason) when it fails even if
// every claim passes.
func TestVerifyCoreSelfCheck(t *testing.T) {
	stdout, stderr, code := runCLI(t, "verify", "--claims", "ZZPASS", "--checks", "20", "--seed", "3")
	if code != 0 || !strings.Contains(stdout, "core self-check: PASS") {
		t.Fatalf("exit %d, want 0 and a passing core line:\n%s%s", code, stdout, stderr)
	}
	defer func(f func(uint64) selfcheck.CoreReport) { coreCheck = f }(coreCheck)
	coreCheck = func(seed uint64) selfcheck.CoreReport {
		r := selfcheck.Core(seed)
		r.StepFailures = append(r.StepFailures, "planted: Fast disagrees with Reference by 1 > tier 1e-15")
		return r
	}
	stdout, stderr, code = runCLI(t, "verify", "--claims", "ZZPASS", "--checks", "20", "--seed", "3")
	if code != 1 {
		t.Fatalf("failing core: exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"core self-check: FAIL", "FAIL core self-check", "planted: Fast disagrees", "1 passed, 0 failed"} {
		if !strings.Contains(stdout, want) {
			t.Errorf("output lacks %q:\n%s", want, stdout)
		}
	}
	stdout, _, code = runCLI(t, "verify", "--claims", "ZZPASS", "--checks", "20", "--seed", "3", "--json")
	var rep verifyReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatal(err)
	}
	if code != 1 || rep.Passed || rep.Core.Passed || !strings.Contains(rep.Core.Detail, "planted") || rep.Core.Comparisons == 0 || rep.Core.Steps == 0 {
		t.Fatalf("JSON with a failing core: exit %d, %+v", code, rep)
	}
}
