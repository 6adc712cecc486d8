package gatecheck

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"sort"
	"strings"
	"testing"
	"time"
)

// A plantedFault is a hand-written source patch that a careless edit of the
// numerical core could make and a generic mutation tool would not: each is
// applied textually to a copy of the module, and the targeted tests must
// then fail (not fail to build).
type plantedFault struct {
	Name string // short id, used in the table of docs/gate.md
	What string // the fault in words
	File string // path relative to the module root
	Old  string // text that must occur exactly once in File
	New  string
	Pkgs []string // packages whose tests make up "the suite" for this fault
	Run  []string // test names (anchored) run in Pkgs
}

// plantedFaults is the catalogue of issue 7. docs/gate.md has the table of
// which tests catch each fault, produced by this test's log.
var plantedFaults = []plantedFault{
	{
		Name: "transposed-gradient-factor",
		What: "∂L/∂W_j = W_{j+1:N}ᵀ E W_{1:j−1} (the right factor not transposed)",
		File: "model/net.go",
		Old:  "g.Mul(&t, right.T())",
		New:  "g.Mul(&t, right)",
		Pkgs: []string{"./model/", "./proofs_test/"},
		Run:  []string{"TestGradientsMatchFiniteDifferences", "TestFastDifferential", "TestS2_GradientMatchesFiniteDifferences", "TestG1_ImbalanceChangesByEtaSquared", "TestF1_FlowConservesImbalance"},
	},
	{
		Name: "wrong-multiplication-order",
		What: "partial products W_{j:k} built as W_j⋯W_k instead of W_k⋯W_j",
		File: "model/net.go",
		Old:  "next.Mul(n.w[i-1], p)",
		New:  "next.Mul(p, n.w[i-1])",
		Pkgs: []string{"./model/", "./proofs_test/"},
		Run:  []string{"TestPartialConventions", "TestGradientsMatchFiniteDifferences", "TestBalancedProcedure", "TestS2_GradientMatchesFiniteDifferences", "TestP1_ProcedureOneBalancedStart", "TestB1_BalancedLayersArePowers"},
	},
	{
		Name: "sequential-layer-update",
		What: "W_{j+1} updated from a gradient taken after W_j was already updated",
		File: "model/stepper.go",
		Old:  "for j, g := range grads {\n\t\tn.w[j].Sub(n.w[j], scaled(eta, g))\n\t}",
		New:  "for j := range grads {\n\t\tg, _ := Gradients(n, phi)\n\t\tn.w[j].Sub(n.w[j], scaled(eta, g[j]))\n\t}",
		Pkgs: []string{"./model/", "./proofs_test/"},
		Run:  []string{"TestFastDifferential", "TestG1_ImbalanceChangesByEtaSquared", "TestS2_GradientMatchesFiniteDifferences", "TestS3_RotationInvariantTrajectory"},
	},
	{
		Name: "eta-times-two",
		What: "the GD step uses 2η instead of η",
		File: "model/stepper.go",
		Old:  "n.w[j].Sub(n.w[j], scaled(eta, g))",
		New:  "n.w[j].Sub(n.w[j], scaled(2*eta, g))",
		Pkgs: []string{"./model/", "./proofs_test/"},
		Run:  []string{"TestFastDifferential", "TestS2_GradientMatchesFiniteDifferences", "TestG1_ImbalanceChangesByEtaSquared", "TestG2_EndToEndStepSecondOrder"},
	},
	{
		Name: "wrong-fractional-exponent",
		What: "invariants.SymPow computes [S]^{2p} instead of [S]^p",
		File: "invariants/spectral.go",
		Old:  "f := linalg.Pow(v, p)",
		New:  "f := linalg.Pow(v, 2*p)",
		Pkgs: []string{"./invariants/", "./proofs_test/"},
		Run:  []string{"TestSymPow", "TestPWEigen", "TestSubnormalFractionalPowers", "TestF2_EndToEndOperatorKronecker", "TestB1_BalancedLayersArePowers"},
	},
	{
		Name: "pw-exponent-off-by-one",
		What: "invariants.ApplyPW uses [WWᵀ]^{j/N} instead of [WWᵀ]^{(j−1)/N}",
		File: "invariants/invariants.go",
		Old:  "left, err := SymPow(&wwt, float64(j-1)/float64(N))",
		New:  "left, err := SymPow(&wwt, float64(j)/float64(N))",
		Pkgs: []string{"./invariants/", "./proofs_test/"},
		Run:  []string{"TestPWEigen", "TestF2_EndToEndOperatorKronecker", "TestG2_EndToEndStepSecondOrder"},
	},
	{
		Name: "frobenius-for-spectral",
		What: "invariants.SpectralNorm returns ‖A‖_F (gonum's mat.Norm(A, 2)) instead of ‖A‖_σ",
		File: "invariants/spectral.go",
		Old:  "return sv[0]",
		New:  "return mat.Norm(a, 2)",
		Pkgs: []string{"./invariants/", "./proofs_test/"},
		Run:  []string{"TestSpectralIsNotFrobenius", "TestL6_BalancedLayerNorms", "TestL2_InvariantsEveryStep", "TestC1_MarginBoundsSigmaMin"},
	},
	{
		Name: "d1-spectral-norm",
		What: "D1 measured with the spectral norm of W_{j+1}ᵀW_{j+1} − W_jW_jᵀ instead of the Frobenius norm (issue 18's instance)",
		File: "internal/linalg/imbalance.go",
		Old:  "out[j] = mat.Norm(&a, 2)",
		New:  "out[j] = func() float64 { var s mat.SVD; s.Factorize(&a, mat.SVDNone); return s.Values(nil)[0] }()",
		Pkgs: []string{"./internal/selfcheck/"},
		Run:  []string{"TestPublicAgreesWithReferences"},
	},
	{
		Name: "stale-phi-copy",
		What: "Fast copies a non-*mat.Dense Φ only when its buffer is first allocated, then reuses the stale copy (issue 18's instance)",
		File: "model/fast.go",
		Old:  "if ws.phi.Data == nil {\n\t\t\tws.phi = newGeneral(dN, d0)\n\t\t}\n\t\tfor i := 0; i < dN; i++ {",
		New:  "fresh := ws.phi.Data == nil\n\t\tif fresh {\n\t\t\tws.phi = newGeneral(dN, d0)\n\t\t}\n\t\tfor i := 0; fresh && i < dN; i++ {",
		Pkgs: []string{"./model/", "./internal/selfcheck/"},
		Run:  []string{"TestFastReuseAcrossShapesTargetsAndTypes", "TestFastReuseRandomOrder", "TestCore"},
	},
	{
		Name: "whitening-without-scaling",
		What: "model.WhitenData returns X = V_rᵀ (orthonormal rows) without the √m that makes XXᵀ/m = I",
		File: "model/whiten.go",
		Old:  "x.Set(k, c, sm*v.At(c, k))",
		New:  "x.Set(k, c, v.At(c, k))",
		Pkgs: []string{"./model/"},
		Run:  []string{"TestWhitenAndCSV", "TestWhitenMixedUnits", "TestExtremesExamplesEqualInputDim", "FuzzWhiten"},
	},
}

// plantedEnv is the environment of the child `go test` runs: small
// trajectory budgets (the faults show within a few hundred steps) and a
// fixed rapid seed unless one is given.
func plantedEnv() []string {
	env := append(os.Environ(), "DLNVERIFY_STEPS=300", "DLNVERIFY_HORIZON_STEPS=20000", "RAPID_NOFAILFILE=1", "GOFLAGS=-mod=readonly")
	if os.Getenv("RAPID_SEED") == "" {
		env = append(env, "RAPID_SEED=20190501")
	}
	return env
}

// copyModule copies the module at root to dst, leaving out .git, hidden
// directories, rapid fail files and build outputs.
func copyModule(t *testing.T, root, dst string) {
	t.Helper()
	err := filepath.WalkDir(root, func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, path)
		if d.IsDir() {
			base := d.Name()
			if rel != "." && (strings.HasPrefix(base, ".") || base == "out" ||
				(base == "rapid" && filepath.Base(filepath.Dir(path)) == "testdata")) {
				return filepath.SkipDir
			}
			return os.MkdirAll(filepath.Join(dst, rel), 0o755)
		}
		if !d.Type().IsRegular() || strings.HasSuffix(rel, ".test") || strings.HasSuffix(rel, ".prof") {
			return nil
		}
		in, err := os.Open(path)
		if err != nil {
			return err
		}
		defer in.Close()
		out, err := os.Create(filepath.Join(dst, rel))
		if err != nil {
			return err
		}
		if _, err := io.Copy(out, in); err != nil {
			out.Close()
			return err
		}
		return out.Close()
	})
	if err != nil {
		t.Fatalf("copying the module: %v", err)
	}
}

// goTestResult is what a `go test -json` run reported.
type goTestResult struct {
	Failed      []string // tests (and subtests) that failed
	BuildFailed bool
	Panicked    bool
	ExitErr     error
	Output      string // the non-JSON and output lines, for diagnosis
	Elapsed     time.Duration
}

func runGoTest(t *testing.T, dir string, pkgs, tests []string) goTestResult {
	t.Helper()
	regex := "^(" + strings.Join(tests, "|") + ")$"
	args := append([]string{"test", "-json", "-count=1", "-run", regex}, pkgs...)
	cmd := exec.Command("go", args...)
	cmd.Dir = dir
	cmd.Env = plantedEnv()
	start := time.Now()
	out, err := cmd.CombinedOutput()
	res := goTestResult{ExitErr: err, Elapsed: time.Since(start)}
	var text strings.Builder
	failed := map[string]bool{}
	sc := bufio.NewScanner(bytes.NewReader(out))
	sc.Buffer(make([]byte, 1<<20), 1<<24)
	for sc.Scan() {
		line := sc.Bytes()
		var ev struct {
			Action, Package, Test, Output string
		}
		if json.Unmarshal(line, &ev) != nil {
			text.Write(line)
			text.WriteByte('\n')
			continue
		}
		switch ev.Action {
		case "fail":
			if ev.Test != "" {
				failed[ev.Test] = true
			}
		case "output":
			text.WriteString(ev.Output)
			if strings.Contains(ev.Output, "panic: ") {
				res.Panicked = true
			}
		case "build-fail":
			res.BuildFailed = true
		}
	}
	s := text.String()
	if strings.Contains(s, "[build failed]") || strings.Contains(s, "[setup failed]") {
		res.BuildFailed = true
	}
	for name := range failed {
		res.Failed = append(res.Failed, name)
	}
	sort.Strings(res.Failed)
	res.Output = s
	return res
}

// topLevel returns the distinct top-level test names among failures.
func topLevel(names []string) []string {
	seen := map[string]bool{}
	var out []string
	for _, n := range names {
		top, _, _ := strings.Cut(n, "/")
		if !seen[top] {
			seen[top] = true
			out = append(out, top)
		}
	}
	return out
}

// TestPlantedFaultsTurnSuiteRed applies each planted fault to a fresh copy
// of the module and asserts that the fault's targeted tests fail (and that
// they pass on the unpatched copy). It takes about two minutes on two
// cores, so it is skipped under -short.
func TestPlantedFaultsTurnSuiteRed(t *testing.T) {
	if testing.Short() {
		t.Skip("planted faults rebuild and run the suite ~9 times; skipped under -short")
	}
	root := moduleRoot(t)
	base := t.TempDir()
	copyModule(t, root, base)

	// Baseline: every targeted test passes on the unpatched module.
	var allPkgs, allTests []string
	seenP, seenT := map[string]bool{}, map[string]bool{}
	for _, f := range plantedFaults {
		for _, p := range f.Pkgs {
			if !seenP[p] {
				seenP[p] = true
				allPkgs = append(allPkgs, p)
			}
		}
		for _, r := range f.Run {
			if !seenT[r] {
				seenT[r] = true
				allTests = append(allTests, r)
			}
		}
	}
	b := runGoTest(t, base, allPkgs, allTests)
	if b.ExitErr != nil || len(b.Failed) > 0 || b.BuildFailed {
		t.Fatalf("baseline: the targeted tests must pass on the unpatched module before a red verdict means anything; failed %v\n%s", b.Failed, tail(b.Output, 60))
	}
	t.Logf("baseline: %d targeted tests pass on the unpatched copy (%.1fs)", len(allTests), b.Elapsed.Seconds())

	var table strings.Builder
	fmt.Fprintf(&table, "| fault | file | caught by (failing tests) |\n|---|---|---|\n")
	for _, f := range plantedFaults {
		f := f
		t.Run(f.Name, func(t *testing.T) {
			path := filepath.Join(base, f.File)
			orig, err := os.ReadFile(path)
			if err != nil {
				t.Fatal(err)
			}
			if n := strings.Count(string(orig), f.Old); n != 1 {
				t.Fatalf("the patch for %q must match exactly once in %s; it matches %d times (the source moved: update the fault)", f.Name, f.File, n)
			}
			patched := strings.Replace(string(orig), f.Old, f.New, 1)
			if err := os.WriteFile(path, []byte(patched), 0o644); err != nil {
				t.Fatal(err)
			}
			defer func() {
				if err := os.WriteFile(path, orig, 0o644); err != nil {
					t.Fatal(err)
				}
			}()
			r := runGoTest(t, base, f.Pkgs, f.Run)
			if r.BuildFailed {
				t.Fatalf("the fault does not compile, so it proves nothing:\n%s", tail(r.Output, 40))
			}
			if r.ExitErr == nil || len(r.Failed) == 0 {
				t.Fatalf("planted fault %q (%s) did not turn the suite red: %v passed", f.Name, f.What, f.Run)
			}
			caught := topLevel(r.Failed)
			note := ""
			if r.Panicked {
				note = " (some by panic)"
			}
			t.Logf("%s: caught by %v%s in %.1fs", f.Name, caught, note, r.Elapsed.Seconds())
			fmt.Fprintf(&table, "| %s: %s | %s | %s%s |\n", f.Name, f.What, f.File, strings.Join(caught, ", "), note)
		})
	}
	t.Logf("planted faults and the tests that catch them:\n%s", table.String())
}

func tail(s string, lines int) string {
	ls := strings.Split(s, "\n")
	if len(ls) > lines {
		ls = ls[len(ls)-lines:]
	}
	return strings.Join(ls, "\n")
}
