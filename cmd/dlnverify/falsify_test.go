package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/counterexamples"
)

// TestFalsifyFindsAndReplays: the searches return shrunk counterexamples,
// and the `train --config` file written for each replays the same failure.
func TestFalsifyFindsAndReplays(t *testing.T) {
	dir := t.TempDir()
	stdout, stderr, code := runCLI(t, "falsify", "--searches", "drop-margin,drop-step", "--seed", "3", "--out", dir)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"seed 3", "== drop-margin", "== drop-step", "counterexample shrunk", "failure mode: loss-floor",
		"failure mode: diverges", "2 of 2 searches as expected", "replay: dlnverify train --config"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}
	step := trainJSON(t, "--quiet", "--config", filepath.Join(dir, "drop-step.train.json"))
	if step.Status != "diverged" {
		t.Fatalf("drop-step replay: status %s", step.Status)
	}
	c, err := counterexamples.LoadCase(filepath.Join(dir, "drop-margin.case.json"))
	if err != nil {
		t.Fatal(err)
	}
	margin := trainJSON(t, "--quiet", "--config", filepath.Join(dir, "drop-margin.train.json"))
	if margin.Status != "max_steps" || float64(margin.FinalLoss) < c.Floor*(1-1e-9) {
		t.Fatalf("drop-margin replay: %s with loss %v, case floor %v", margin.Status, float64(margin.FinalLoss), c.Floor)
	}
}

func TestFalsifyControlAndJSON(t *testing.T) {
	stdout, stderr, code := runCLI(t, "falsify", "--searches", "drop-margin", "--control", "--checks", "20", "--seed", "5", "--json")
	if code != 0 {
		t.Fatalf("control: exit %d\n%s%s", code, stdout, stderr)
	}
	var rep falsifyReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	if !rep.Passed || !rep.Control || len(rep.Results) != 1 || rep.Results[0].Found != nil || rep.Results[0].Expected != "none" {
		t.Fatalf("control report %+v", rep)
	}
}

func TestFalsifyErrors(t *testing.T) {
	requireUsageError(t, `no search "drop-nothing"`, "falsify", "--searches", "drop-nothing")
	requireUsageError(t, "--checks = 0", "falsify", "--checks", "0")
	requireUsageError(t, "flag provided but not defined", "falsify", "--frob")
	requireUsageError(t, `unknown impl "turbo"`, "falsify", "--impl", "turbo")
	f := filepath.Join(t.TempDir(), "file")
	if err := os.WriteFile(f, nil, 0o644); err != nil {
		t.Fatal(err)
	}
	requireUsageError(t, "--out", "falsify", "--out", filepath.Join(f, "sub"))
	if out, _, code := runCLI(t, "falsify", "--list"); code != 0 || !strings.Contains(out, "drop-width") {
		t.Fatalf("--list: exit %d\n%s", code, out)
	}
}
