package main

import (
	"encoding/json"
	"math"
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
		{"/nonexistent.csv", []string{"experiment", "fig1", "--data", "/nonexistent.csv", "--out", t.TempDir()}},
		{"--label needs --data", []string{"experiment", "fig1", "--label", "y"}},
		{"--d0 cannot be combined with --data", []string{"experiment", "fig1", "--data", fixture, "--d0", "3"}},
		{`label column "nope" is neither a header name nor a column number in 1..129`, []string{"experiment", "fig1", "--data", fixture, "--label", "nope"}},
		{"scalar regression (d_N = 1), but --data gives 2 label columns", []string{"experiment", "fig1", "--data", fixture, "--label", "f1,concentration_ppmv"}},
		{"tightness needs cases ≥ 1", []string{"experiment", "tightness", "--cases", "0", "--out", t.TempDir()}},
		{`unexpected argument "extra"`, []string{"experiment", "fig1", "extra"}},
		{`unknown impl "scalar"`, []string{"experiment", "fig1", "--impl", "scalar"}},
		{`unknown impl "scalar"`, []string{"experiment", "tightness", "--impl", "scalar"}},
	} {
		requireUsageError(t, c.want, c.args...)
	}
	// A refused grid is one line, before the run header, with the prefix once.
	out := t.TempDir()
	for _, c := range []struct {
		want string
		args []string
	}{
		{"hidden width 0 must be ≥ 1", []string{"fig1", "--width", "0"}},
		{"need ε > 0 and an iteration cap ≥ 1", []string{"fig1", "--eps", "-1"}},
		{"depth N = 0 must be ≥ 1", []string{"fig1", "--depths", "0"}},
		{"tightness needs cases ≥ 1, ε > 0 and a step budget ≥ 1", []string{"tightness", "--budget", "0"}},
	} {
		args := append([]string{"experiment"}, append(c.args, "--out", out)...)
		if c.args[0] == "fig1" {
			args = append(args, "--quick")
		}
		_, stderr, code := runCLI(t, args...)
		if code != 2 || stderr != "dlnverify experiment: "+c.want+"\n" {
			t.Fatalf("experiment %v: exit %d, stderr %q", c.args, code, stderr)
		}
	}
	for _, sub := range []string{"fig1", "tightness"} { // they refuse exec: (stepperFactory)
		out, _, _ := runCLI(t, "experiment", sub, "-h")
		if strings.Contains(out, "exec:") {
			t.Fatalf("experiment %s -h offers exec: for --impl, which it refuses:\n%s", sub, out)
		}
	}
	for _, sub := range []string{"fig1", "tightness"} {
		out, _, code := runCLI(t, "experiment", sub, "-h")
		if code != 0 || !strings.Contains(out, "usage: dlnverify experiment "+sub) || !strings.Contains(out, "-impl") {
			t.Fatalf("experiment %s -h: exit %d\n%s", sub, code, out)
		}
		if strings.Contains(out, "stepper") || strings.Contains(out, "-csv") {
			t.Fatalf("experiment %s -h lists the deprecated --stepper:\n%s", sub, out)
		}
	}
}

// fixture is the shipped real data set (data/README.md).
const fixture = "../../data/gas-ethanol.csv.gz"

// TestExperimentFig1RealData: `fig1 --data` on the shipped fixture (a
// small grid: N = 2, width 4, cap 2000) prints the data report with the
// whitening residuals, and fig1.json records them, with X and Y centred
// and ‖Φ‖_F = 1 (E1). Issue 13's acceptance: max|XXᵀ/m − I| ≤ 1e-12.
func TestExperimentFig1RealData(t *testing.T) {
	out := t.TempDir()
	stdout, stderr, code := runCLI(t, "experiment", "fig1", "--quick", "--data", fixture, "--depths", "2", "--width", "4", "--max-iter", "2000",
		"--workers", "1", "--out", out, "--quiet")
	if code != 0 {
		t.Fatalf("exit %d\nstderr %s", code, stderr)
	}
	for _, want := range []string{"m = 1316 examples, d_x = 128 features", "X and Y centred", "‖Φ‖_F = 1", "max|XXᵀ/m − I| = "} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, stdout)
		}
	}
	b, err := os.ReadFile(filepath.Join(out, "fig1.json"))
	if err != nil {
		t.Fatal(err)
	}
	var j struct {
		D0   int `json:"d0"`
		Data struct {
			XCentred   bool    `json:"x_centred"`
			YCentred   bool    `json:"y_centred"`
			Unit       bool    `json:"phi_scaled_to_unit"`
			PhiF       float64 `json:"phi_frobenius"`
			ResidualXX float64 `json:"residual_xx"`
			TolXX      float64 `json:"residual_xx_tol"`
		} `json:"data"`
	}
	if err := json.Unmarshal(b, &j); err != nil {
		t.Fatal(err)
	}
	d := j.Data
	if j.D0 != 128 || !d.XCentred || !d.YCentred || !d.Unit || math.Abs(d.PhiF-1) > 1e-12 || !(d.ResidualXX <= 1e-12) || !(d.ResidualXX <= d.TolXX) {
		t.Fatalf("fig1.json: d0 %d, data %+v", j.D0, d)
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
