package main

import (
	"encoding/json"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// TestExperimentErrors: every usage error of `experiment` is one line,
// exit 2 (they were the experiment's own front end's before it moved here).
func TestExperimentErrors(t *testing.T) {
	for _, c := range []struct {
		want string
		args []string
	}{
		{"need a subcommand", []string{"experiment"}},
		{`unknown subcommand "nope"`, []string{"experiment", "nope"}},
		{"flag provided but not defined: -bogus", []string{"experiment", "fig1", "--bogus"}},
		{`--depths: "x" is not an integer`, []string{"experiment", "fig1", "--depths", "x"}},
		{"/nonexistent.csv", []string{"experiment", "fig1", "--csv", "/nonexistent.csv", "--out", t.TempDir()}},
		{"tightness needs cases ≥ 1", []string{"experiment", "tightness", "--cases", "0", "--out", t.TempDir()}},
		{`unexpected argument "extra"`, []string{"experiment", "fig1", "extra"}},
		{`unknown impl "scalar"`, []string{"experiment", "fig1", "--impl", "scalar"}},
		{`unknown impl "scalar"`, []string{"experiment", "tightness", "--impl", "scalar"}},
	} {
		requireUsageError(t, c.want, c.args...)
	}
	for _, sub := range []string{"fig1", "tightness"} {
		out, _, code := runCLI(t, "experiment", sub, "-h")
		if code != 0 || !strings.Contains(out, "usage: dlnverify experiment "+sub) || !strings.Contains(out, "-impl") {
			t.Fatalf("experiment %s -h: exit %d\n%s", sub, code, out)
		}
		if strings.Contains(out, "stepper") {
			t.Fatalf("experiment %s -h lists the deprecated --stepper:\n%s", sub, out)
		}
	}
}

// TestExperimentFig1Small runs a tiny Figure 1 grid end to end through the
// CLI: files written, the table printed, the implementation recorded, and
// the deprecated --stepper still accepted with a one-line notice.
func TestExperimentFig1Small(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runCLI(t, "experiment", "fig1", "--quick", "--depths", "2", "--width", "2", "--d0", "4", "--max-iter", "3000",
		"--workers", "1", "--out", out, "--quiet", "--stepper", "reference")
	if code != 0 {
		t.Fatalf("exit %d\nstderr %s", code, stderr)
	}
	if !strings.Contains(stderr, "--stepper is deprecated; use --impl reference") || !strings.Contains(stderr, "(impl reference)") {
		t.Fatalf("stderr lacks the deprecation notice or the impl:\n%s", stderr)
	}
	if !strings.Contains(stdout, "N=2 gaussian") || !strings.Contains(stdout, "wrote "+filepath.Join(out, "fig1.csv")) {
		t.Fatalf("stdout:\n%s", stdout)
	}
	b, err := os.ReadFile(filepath.Join(out, "fig1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		Impl string `json:"impl"`
		D0   int    `json:"d0"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	if j.Impl != "reference" || j.D0 != 4 {
		t.Fatalf("fig1.json: impl %q, d0 %d", j.Impl, j.D0)
	}
}
