package gatecheck

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"hash"
	"math"
	"os"
	"os/exec"
	"path/filepath"
	"reflect"
	"runtime"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// detSeed is the rapid seed of the determinism checks; any value works.
const detSeed = 20190501

// childEnv marks a re-executed test binary that must print fingerprints.
const childEnv = "GATECHECK_DETERMINISM_CHILD"

// detProperties are the registered properties whose outcomes are
// fingerprinted: cheap ones, covering gradients, GD algebra, rotations and
// Procedure 1.
var detProperties = []string{
	"TestS2_GradientMatchesFiniteDifferences",
	"TestG1_ImbalanceChangesByEtaSquared",
	"TestS3_RotationInvariantTrajectory",
	"TestB1_BalancedLayersArePowers",
}

// fingerprint hashes float64s by their bits (so −0 ≠ 0 and NaN payloads
// count), ints and strings.
type fingerprint struct{ h hash.Hash }

func newFingerprint() *fingerprint { return &fingerprint{sha256.New()} }

func (f *fingerprint) float(v float64) {
	var b [8]byte
	binary.LittleEndian.PutUint64(b[:], math.Float64bits(v))
	f.h.Write(b[:])
}
func (f *fingerprint) int(v int)    { f.float(math.Float64frombits(uint64(int64(v)))) }
func (f *fingerprint) str(s string) { f.h.Write([]byte(s + "\x00")) }
func (f *fingerprint) matrix(m *mat.Dense) {
	r, c := m.Dims()
	f.int(r)
	f.int(c)
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			f.float(m.At(i, j))
		}
	}
}
func (f *fingerprint) sum() string { return hex.EncodeToString(f.h.Sum(nil)) }

// detCase is one seeded GD run. The 160-wide case is large enough for
// gonum's Dgemm (used by Reference through mat.Mul) to split work across
// goroutines, so GOMAXPROCS matters to it.
type detCase struct {
	dims  []int
	steps int
}

var detCases = []detCase{
	{[]int{3, 4, 4, 2}, 300},
	{[]int{1, 5, 1}, 300},
	{[]int{5, 1}, 100},
	{[]int{4, 6, 6, 6, 4}, 200},
	{[]int{160, 160, 160}, 8},
}

// trajectoryFingerprint runs every detCase for a few seeds with impl and
// hashes the whole result: status, counts, every record's fields and the
// final layers, bit for bit.
func trajectoryFingerprint(t testing.TB, newImpl func() model.Stepper) string {
	fp := newFingerprint()
	impl := newImpl() // reused across cases: cached state must not leak
	for _, c := range detCases {
		for seed := uint64(1); seed <= 2; seed++ {
			rng := model.NewRand(seed)
			N := len(c.dims) - 1
			phi := model.GaussianMatrix(c.dims[N], c.dims[0], 1/math.Sqrt(float64(c.dims[0])), rng)
			n, err := model.BalancedGaussian(c.dims, 0.5/math.Sqrt(float64(c.dims[0])), rng, true)
			if err != nil {
				t.Fatal(err)
			}
			if N > 1 && c.dims[1] < 100 {
				if n, err = model.PerturbImbalance(n, 1e-3, rng); err != nil {
					t.Fatal(err)
				}
			}
			res, err := model.Run(impl, n, phi, model.RunConfig{Eta: 1e-2, MaxSteps: c.steps, Stride: 7, Measure: invariants.Measure})
			if err != nil {
				t.Fatal(err)
			}
			fp.str(string(res.Status))
			fp.int(res.Steps)
			fp.int(res.HitStep)
			fp.float(res.InitialLoss)
			fp.float(res.FinalLoss)
			for _, r := range res.Trajectory {
				fp.int(r.Step)
				for _, v := range []float64{r.Loss, r.Imbalance, r.Margin, r.SigmaMin, r.MaxSpectral} {
					fp.float(v)
				}
			}
			for j := 1; j <= n.N(); j++ {
				fp.matrix(n.Layer(j))
			}
		}
	}
	return fp.sum()
}

// outcomeFingerprint runs detProperties through proofs.Verify (rapid with
// the seed set by -rapid.seed) and hashes every outcome field except the
// elapsed time.
func outcomeFingerprint(t testing.TB, impl model.Stepper) string {
	fp := newFingerprint()
	for _, name := range detProperties {
		p, ok := proofs.Lookup(name)
		if !ok {
			t.Fatalf("property %s is not registered", name)
		}
		o := proofs.Verify(p, impl)
		fp.str(o.ID + "/" + o.Name + "/" + o.Impl)
		fp.int(o.Tried)
		fp.int(o.Valid)
		fp.float(o.WorstSlack)
		fp.str(fmt.Sprint(o.Passed))
		fp.str(o.Failure)
	}
	return fp.sum()
}

func fingerprints(t testing.TB) map[string]string {
	return map[string]string{
		"reference":          trajectoryFingerprint(t, func() model.Stepper { return model.Reference{} }),
		"fast":               trajectoryFingerprint(t, func() model.Stepper { return model.NewFast() }),
		"outcomes/reference": outcomeFingerprint(t, model.Reference{}),
		"outcomes/fast":      outcomeFingerprint(t, model.NewFast()),
	}
}

// withRapidSeed sets rapid's base seed for the duration of the test
// (through rapidtb, the one owner of rapid's settings).
func withRapidSeed(t *testing.T, seed uint64) {
	s := rapidtb.Current()
	s.Seed = seed
	restore, err := rapidtb.Set(s)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(restore)
}

// TestDeterminismChild is the body of the re-executed binary; it does
// nothing in a normal run.
func TestDeterminismChild(t *testing.T) {
	if os.Getenv(childEnv) == "" {
		t.Skip("runs only when re-executed by TestDeterminismAcrossProcessesAndGOMAXPROCS")
	}
	withRapidSeed(t, detSeed)
	fp := fingerprints(t)
	b, _ := json.Marshal(fp)
	fmt.Printf("FINGERPRINTS %d %s\n", runtime.GOMAXPROCS(0), b)
}

// Same seed, same process: bit-identical trajectories and outcomes, and a
// Fast value reused across shapes behaves like a fresh one.
func TestDeterminismInProcess(t *testing.T) {
	withRapidSeed(t, detSeed)
	a, b := fingerprints(t), fingerprints(t)
	if !reflect.DeepEqual(a, b) {
		t.Fatalf("two runs with the same seed differ:\n%v\n%v", a, b)
	}
	t.Logf("fingerprints %v", a)
}

// Same seed in separate processes with GOMAXPROCS = 1, 2, 2: identical
// fingerprints. The test binary re-executes itself.
func TestDeterminismAcrossProcessesAndGOMAXPROCS(t *testing.T) {
	if os.Getenv(childEnv) != "" {
		t.Skip("child")
	}
	exe, err := os.Executable()
	if err != nil {
		t.Fatal(err)
	}
	var got []map[string]string
	for _, procs := range []string{"1", "2", "2"} {
		cmd := exec.Command(exe, "-test.run=^TestDeterminismChild$", "-test.short", "-test.count=1", "-rapid.nofailfile")
		cmd.Env = append(os.Environ(), childEnv+"=1", "GOMAXPROCS="+procs)
		out, err := cmd.CombinedOutput()
		if err != nil {
			t.Fatalf("child GOMAXPROCS=%s: %v\n%s", procs, err, out)
		}
		var fp map[string]string
		found := false
		for _, line := range strings.Split(string(out), "\n") {
			if rest, ok := strings.CutPrefix(line, "FINGERPRINTS "); ok {
				var p int
				var js string
				if _, err := fmt.Sscanf(rest, "%d %s", &p, &js); err != nil || fmt.Sprint(p) != procs {
					t.Fatalf("child GOMAXPROCS=%s reported %q", procs, rest)
				}
				if err := json.Unmarshal([]byte(js), &fp); err != nil {
					t.Fatal(err)
				}
				found = true
			}
		}
		if !found {
			t.Fatalf("child GOMAXPROCS=%s printed no fingerprints:\n%s", procs, out)
		}
		got = append(got, fp)
	}
	for i := 1; i < len(got); i++ {
		if !reflect.DeepEqual(got[0], got[i]) {
			t.Fatalf("fingerprints differ between GOMAXPROCS runs:\n%v\n%v", got[0], got[i])
		}
	}
	t.Logf("GOMAXPROCS 1, 2, 2 agree: %v", got[0])
}

// stripTimings removes every "seconds" member (and any key naming a time)
// from a decoded JSON value.
func stripTimings(v any) any {
	switch x := v.(type) {
	case map[string]any:
		out := map[string]any{}
		for k, e := range x {
			if k == "seconds" || strings.HasSuffix(k, "_seconds") || strings.Contains(k, "elapsed") || strings.Contains(k, "time") {
				continue
			}
			out[k] = stripTimings(e)
		}
		return out
	case []any:
		for i := range x {
			x[i] = stripTimings(x[i])
		}
		return x
	}
	return v
}

// The CLI's reports with a fixed seed are identical, timings excluded,
// across processes and GOMAXPROCS = 1, 2: `verify --json` for both
// implementations and `train --json`. Skipped under -short (it builds the
// CLI).
func TestDeterminismCLIReports(t *testing.T) {
	if testing.Short() {
		t.Skip("builds cmd/dlnverify; skipped under -short")
	}
	root := moduleRoot(t)
	bin := filepath.Join(t.TempDir(), "dlnverify")
	build := exec.Command("go", "build", "-o", bin, "./cmd/dlnverify")
	build.Dir = root
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("go build ./cmd/dlnverify: %v\n%s", err, out)
	}
	claims := "S2,G1,S3,B1,P1,L1"
	runs := map[string][]string{
		"verify/reference": {"verify", "--claims", claims, "--short", "--seed", fmt.Sprint(detSeed), "--json"},
		"verify/fast":      {"verify", "--claims", claims, "--short", "--seed", fmt.Sprint(detSeed), "--json", "--impl", "fast"},
		"train":            {"train", "--init", "balanced", "--dims", "3,4,4,2", "--std", "0.4", "--insert", "--imbalance", "1e-4", "--phi", "1,0,0.2;0,0.8,0.1", "--eta", "0.01", "--steps", "3000", "--json"},
	}
	for name, args := range runs {
		var first []byte
		for _, procs := range []string{"1", "2", "2"} {
			cmd := exec.Command(bin, args...)
			cmd.Env = append(os.Environ(), "GOMAXPROCS="+procs)
			var stdout, stderr bytes.Buffer
			cmd.Stdout, cmd.Stderr = &stdout, &stderr
			err := cmd.Run()
			if ee, ok := err.(*exec.ExitError); err != nil && !(ok && ee.ExitCode() == 1) {
				// Exit 1 is "a claim failed", still a report to compare.
				t.Fatalf("%s GOMAXPROCS=%s: %v\n%s", name, procs, err, stderr.String())
			}
			var v any
			if err := json.Unmarshal(stdout.Bytes(), &v); err != nil {
				t.Fatalf("%s: output is not JSON: %v\n%s", name, err, stdout.String())
			}
			norm, _ := json.Marshal(stripTimings(v))
			if first == nil {
				first = norm
				continue
			}
			if !bytes.Equal(first, norm) {
				t.Fatalf("%s: reports differ between runs (GOMAXPROCS=%s):\n%s\n%s", name, procs, first, norm)
			}
		}
		t.Logf("%s: identical reports (%d bytes without timings) for GOMAXPROCS 1, 2, 2", name, len(first))
	}
}

// moduleRoot is the directory holding go.mod, found from the test's
// working directory (the package directory under `go test`).
func moduleRoot(t *testing.T) string {
	t.Helper()
	dir, err := os.Getwd()
	if err != nil {
		t.Fatal(err)
	}
	for {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			return dir
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			t.Fatal("go.mod not found above the test directory")
		}
		dir = parent
	}
}
