package main

import (
	"errors"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// TestBuiltBinary checks main's wiring (arguments, exit status through
// os.Exit, output streams) on the built command; the in-process tests cover
// everything else.
func TestBuiltBinary(t *testing.T) {
	if testing.Short() {
		t.Skip("builds the binary")
	}
	bin := filepath.Join(t.TempDir(), "dlnverify")
	if out, err := exec.Command("go", "build", "-o", bin, ".").CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	status := func(err error) int {
		var ee *exec.ExitError
		if errors.As(err, &ee) {
			return ee.ExitCode()
		}
		if err != nil {
			t.Fatal(err)
		}
		return 0
	}
	out, err := exec.Command(bin, "train", "--steps", "10", "--quiet").Output()
	if code := status(err); code != 0 || !strings.Contains(string(out), "result: max_steps after 10 steps") {
		t.Fatalf("train: exit %d\n%s", code, out)
	}
	cmd := exec.Command(bin, "train", "--frob")
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if code := status(cmd.Run()); code != 2 || stderr.String() != "dlnverify train: flag provided but not defined: -frob\n" {
		t.Fatalf("unknown flag: exit %d, stderr %q", code, stderr.String())
	}
	if code := status(exec.Command(bin, "verify", "--claims", "NOPE").Run()); code != 2 {
		t.Fatalf("verify --claims NOPE: exit %d, want 2", code)
	}
}
