package main

import (
	"encoding/json"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The held-in cases of issue 14, through the CLI.

// Above the stability limit the loss dips below ε once and swings back:
// not "converged".
func TestTrainOscillatingIsNotConverged(t *testing.T) {
	cfg := `{"phi":[[1]],"layers":[[[0.95]],[[1]],[[1]]],"eta":1.1,"steps":5000,"epsilon":1e-8}`
	for _, impl := range []string{"reference", "fast"} {
		stdout, stderr, code := runCLI(t, "train", "--json", "--quiet", "--impl", impl, "--config", writeFile(t, "osc.json", cfg))
		if code != 0 {
			t.Fatalf("exit %d: %s", code, stderr)
		}
		var out struct {
			Status    string  `json:"status"`
			StepsRun  int     `json:"steps_run"`
			FirstHit  int     `json:"first_hit_step"`
			FinalLoss float64 `json:"final_loss"`
		}
		if err := json.Unmarshal([]byte(stdout), &out); err != nil {
			t.Fatal(err)
		}
		if out.Status == "converged" {
			t.Fatalf("%s: oscillating run reported converged: %+v", impl, out)
		}
		if impl == "reference" && (out.Status != "hit-then-rose" || out.FirstHit != 835 || out.StepsRun <= 835 || !(out.FinalLoss > 1e-8)) {
			t.Fatalf("reference: %+v, want hit-then-rose, first hit 835, stopped after it above ε", out)
		}
	}
}

// Gradient flow with dt = η = 1 on three scalar layers 0.5: fixed-step RK4
// settled at ℓ ≈ 0.0355; the error-controlled flow reaches the optimum
// (the fine-step value, ~1e-29 and below, is checked in model's
// TestFlowErrorControlHeldIn).
func TestTrainFlowErrorControlled(t *testing.T) {
	cfg := `{"phi":[[1]],"layers":[[[0.5]],[[0.5]],[[0.5]]],"eta":1,"steps":200,"flow":true}`
	out := trainJSON(t, "--quiet", "--config", writeFile(t, "fl.json", cfg))
	if out.Status != "max_steps" || out.StepsRun != 200 || !(float64(out.FinalLoss) < 1e-20) {
		t.Fatalf("flow: %+v, want max_steps at 200 with loss < 1e-20", out)
	}
}

// A bad --plot path fails before the run, with nothing printed.
func TestTrainPlotPathCheckedFirst(t *testing.T) {
	dir := t.TempDir()
	asDir := filepath.Join(dir, "d.png")
	if err := os.Mkdir(asDir, 0o755); err != nil {
		t.Fatal(err)
	}
	for _, p := range []string{filepath.Join(dir, "missing", "x.png"), asDir} {
		stdout, stderr, code := runCLI(t, "train", "--steps", "1000000000", "--plot", p)
		if code == 0 || stdout != "" || !strings.Contains(stderr, "--plot") {
			t.Fatalf("--plot %s: exit %d, stdout %q, stderr %q", p, code, stdout, stderr)
		}
	}
}

// A run that stops early is recorded over the steps it took, not at a
// stride fixed from --steps (which would keep 2 of its iterates).
func TestTrainEarlyStopRecordsItsSteps(t *testing.T) {
	cfg := `{"phi":[[1]],"layers":[[[10]],[[10]]],"eta":1,"steps":1000000}`
	out := trainJSON(t, "--quiet", "--config", writeFile(t, "e.json", cfg))
	if out.Status != "diverged" || out.StepsRun > 100 {
		t.Fatalf("status %s after %d steps", out.Status, out.StepsRun)
	}
	if n := len(out.Trajectory); n != out.StepsRun+1 {
		t.Fatalf("%d records for %d steps run", n, out.StepsRun)
	}
}

// The default --a follows --phi's shape (margin σ_min(Φ)/2), and shape
// errors name the flags the user gave (or the defaults they did not).
func TestTrainFlagShapes(t *testing.T) {
	out := trainJSON(t, "--quiet", "--phi", "1,0,0;0,1,0;0,0,2", "--dims", "3,3,3", "--steps", "1")
	if c := float64(out.Theorem1.C); math.Abs(c-0.5) > 1e-12 {
		t.Fatalf("default A for --phi: margin %v, want σ_min(Φ)/2 = 0.5", c)
	}
	for _, c := range []struct {
		args []string
		want string
	}{
		{[]string{"--phi", "1,0,0;0,1,0;0,0,1"}, "the default --dims 2,2,2,2 gives d_N×d_0 = 2×2 but --phi is 3×3"},
		{[]string{"--dims", "3,3,3"}, "--dims gives d_N×d_0 = 3×3 but the default --phi 0.8,0;0,0.6 is 2×2"},
		{[]string{"--phi", "1,0,0;0,1,0;0,0,1", "--dims", "3,3,3", "--a", "1,0;0,1"}, "--a is 2×2 but --phi is 3×3"},
	} {
		_, stderr, code := runCLI(t, append([]string{"train", "--quiet"}, c.args...)...)
		if code == 0 || !strings.Contains(stderr, c.want) {
			t.Fatalf("%v: exit %d, stderr %q, want %q", c.args, code, stderr, c.want)
		}
	}
}
