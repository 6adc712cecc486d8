//go:build unix

package main

import (
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/dlnverify/dlnverify/internal/testpeer"
)

func init() { testpeer.MaybeRun() }

// requirePeerFault asserts exit status 2 with one line on stderr that
// names the claim or command, the peer, the step and want, within seconds.
func requirePeerFault(t *testing.T, want string, args ...string) {
	t.Helper()
	t0 := time.Now()
	stdout, stderr, code := runCLI(t, args...)
	if code != 2 {
		t.Fatalf("%v: exit %d, want 2\n%s%s", args, code, stdout, stderr)
	}
	line := strings.TrimRight(stderr, "\n")
	if strings.Count(line, "\n") != 0 || !strings.Contains(line, "exec peer") || !strings.Contains(line, ": step ") || !strings.Contains(line, want) {
		t.Fatalf("%v: stderr %q: want one line naming the peer and the step, containing %q", args, stderr, want)
	}
	if el := time.Since(t0); el > 20*time.Second {
		t.Fatalf("%v: the fault took %v to end the command", args, el)
	}
	t.Logf("%s", line)
}

// TestExecPeerFaults: a peer that is killed mid-run, sends a wrong shape,
// sends a NaN, or says nothing ends verify, train and falsify with one line
// and exit status 2.
func TestExecPeerFaults(t *testing.T) {
	t.Setenv("DLNVERIFY_EXEC_TIMEOUT", "1s")
	for _, c := range []struct{ mode, want string }{
		{"kill:3", "peer exited (signal: killed)"},
		{"shape:2", "shape changed"},
		{"nan:2", "peer sent NaN"},
		{"hang:2", "no reply within 1s"},
	} {
		impl := "exec:" + testpeer.Command(c.mode)
		requirePeerFault(t, "verify: G1_ImbalanceChangesByEtaSquared: exec peer", "verify", "--claims", "G1", "--checks", "40", "--seed", "1", "--impl", impl)
		requirePeerFault(t, c.want, "verify", "--claims", "G1", "--checks", "40", "--seed", "1", "--impl", impl)
		requirePeerFault(t, c.want, "train", "--config", "testdata/balanced.json", "--quiet", "--impl", impl)
		requirePeerFault(t, c.want, "falsify", "--searches", "drop-step", "--checks", "40", "--seed", "1", "--impl", impl)
	}
	requireUsageError(t, "handshake: peer exited (exit status 127)", "verify", "--claims", "G1", "--impl", "exec:/nonexistent/peer")
	requireUsageError(t, "external steppers are for verify, train and falsify", "experiment", "fig1", "--quick", "--impl", "exec:true")
}

// TestExecPeerPasses: a correct peer (model.Reference served over the
// protocol) passes the GD claims and trains.
func TestExecPeerPasses(t *testing.T) {
	impl := "exec:" + testpeer.Command("ok")
	stdout, stderr, code := runCLI(t, "verify", "--claims", "G1,S2,S3", "--checks", "40", "--seed", "3", "--impl", impl)
	if code != 0 || !strings.Contains(stdout, "impl exec:testpeer-ok") {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	stdout, stderr, code = runCLI(t, "train", "--config", "testdata/balanced.json", "--quiet", "--json", "--impl", impl)
	if code != 0 || !strings.Contains(stdout, `"impl": "exec:testpeer-ok"`) {
		t.Fatalf("train: exit %d\n%s%s", code, stdout, stderr)
	}
}

// TestNumpyBrokenVariantRejected: the deliberately broken numpy client
// (layers updated sequentially) fails with the claim ID, the shrunk case
// and a replay line that quotes the command.
func TestNumpyBrokenVariantRejected(t *testing.T) {
	py := ""
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(c, "-c", "import numpy").Run() == nil {
			py = c
			break
		}
	}
	if py == "" {
		t.Skip("no python3 with numpy (apt-get install python3-numpy)")
	}
	impl := "exec:" + py + " ../../examples/numpy_stepper.py --broken sequential"
	stdout, stderr, code := runCLI(t, "verify", "--claims", "S2", "--checks", "40", "--seed", "5", "--impl", impl)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{
		"FAIL S2 (TestS2_GradientMatchesFiniteDifferences)",
		"S2 violated: layer",
		"[rapid] draw case: gen.GenericCase{Shape:gen.Shape{N:",
		"replay: dlnverify verify --claims S2 --seed 5 --checks 40 --impl 'exec:" + py + " ../../examples/numpy_stepper.py --broken sequential'",
	} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}
}

// shellWords splits a replay line the way a POSIX shell does, so a test
// can check that pasting it gives back the arguments it stands for.
func shellWords(t *testing.T, line string) []string {
	t.Helper()
	out, err := exec.Command("sh", "-c", `eval "set -- $1"; for a; do printf '%s\n' "$a"; done`, "sh", line).Output()
	if err != nil {
		t.Fatalf("sh cannot parse %q: %v", line, err)
	}
	return strings.Split(strings.TrimSuffix(string(out), "\n"), "\n")
}

// TestFalsifyExecReplayLines: with --impl exec:'CMD ARGS', falsify's
// replay lines (the summary's and each search's `train --config` one)
// carry the command the user gave, quoted, and pasting them reruns it.
func TestFalsifyExecReplayLines(t *testing.T) {
	impl := "exec:" + testpeer.Command("ok")
	dir := filepath.Join(t.TempDir(), "out dir")
	stdout, stderr, code := runCLI(t, "falsify", "--searches", "drop-step", "--seed", "3", "--checks", "40", "--out", dir, "--impl", impl)
	if code != 0 {
		t.Fatalf("exit %d\n%s%s", code, stdout, stderr)
	}
	var summary, train string
	for _, l := range strings.Split(stdout, "\n") {
		if _, r, ok := strings.Cut(l, "(replay: dlnverify "); ok {
			summary = strings.TrimSuffix(r, ")")
		}
		if _, r, ok := strings.Cut(l, "replay: dlnverify train "); ok {
			train = "train " + r
		}
	}
	want := []string{"falsify", "--seed", "3", "--checks", "40", "--searches", "drop-step", "--impl", impl}
	if got := shellWords(t, summary); !slices.Equal(got, want) {
		t.Fatalf("summary replay %q parses as %q, want %q", summary, got, want)
	}
	args := shellWords(t, train)
	cfg := filepath.Join(dir, "drop-step.train.json")
	want = []string{"train", "--config", cfg, "--impl", impl, "--plot", filepath.Join(dir, "drop-step.png")}
	if !slices.Equal(args, want) {
		t.Fatalf("train replay %q parses as %q, want %q", train, args, want)
	}
	rep := trainJSON(t, "--quiet", "--config", cfg, "--impl", impl)
	if rep.Status != "diverged" || rep.Impl != "exec:testpeer-ok" {
		t.Fatalf("replay: status %s, impl %s", rep.Status, rep.Impl)
	}
}
