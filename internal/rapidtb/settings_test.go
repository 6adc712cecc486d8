package rapidtb_test

import (
	"go/ast"
	"go/parser"
	"go/token"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

// TestWorkersStartingAtOnce reproduces issue 14's data race: outside
// `go test`, one worker's first rapid check registered the testing flags
// (testing.Init) while another worker read the flag set (proofs' short()
// called flag.Lookup), a DATA RACE under -race and, without it, sometimes
// "fatal error: concurrent map read and map write". The racer program
// starts several workers at the same instant in a fresh non-test process;
// it is run several times and must end cleanly, race-free when this test
// runs under -race (`go test -race ./internal/rapidtb`, as .ci/run does).
// Against the code before the fix it reported "WARNING: DATA RACE" on the
// first run.
func TestWorkersStartingAtOnce(t *testing.T) {
	if _, err := exec.LookPath("go"); err != nil {
		t.Skip("no go command on PATH to build the racer")
	}
	bin := filepath.Join(t.TempDir(), "racer")
	args := []string{"build", "-o", bin}
	if raceEnabled {
		args = append(args, "-race")
	}
	build := exec.Command("go", append(args, "./testdata/racer")...)
	if out, err := build.CombinedOutput(); err != nil {
		t.Fatalf("building the racer: %v\n%s", err, out)
	}
	runs := 10
	if testing.Short() {
		runs = 3
	}
	for i := range runs {
		cmd := exec.Command(bin)
		cmd.Env = append(os.Environ(), "GORACE=halt_on_error=1")
		out, err := cmd.CombinedOutput()
		if err != nil || strings.Contains(string(out), "DATA RACE") || strings.TrimSpace(string(out)) != "ok" {
			t.Fatalf("run %d (race detector %v): %v\n%s", i+1, raceEnabled, err, out)
		}
	}
	t.Logf("%d runs of 8 workers starting at once: no race (race detector %v)", runs, raceEnabled)
}

func TestSeedIsFixedAndReported(t *testing.T) {
	s := rapidtb.Current()
	if s.Seed == 0 {
		t.Fatal("Init left the base seed at 0: a failure could not name its seed")
	}
	if env, ok := os.LookupEnv("RAPID_SEED"); ok {
		if want, _ := strconv.ParseUint(env, 0, 64); want != 0 && want != s.Seed {
			t.Fatalf("RAPID_SEED=%s but the base seed is %d", env, s.Seed)
		}
	}
	rep := rapidtb.CheckWith(rapidtb.WithoutFailFile, "TestSeedIsFixedAndReported", func(rt *rapid.T) {
		if rapid.IntRange(0, 100).Draw(rt, "x") > 50 {
			rt.Fatal("big")
		}
	})
	if !rep.Failed || rep.Seed != s.Seed {
		t.Fatalf("report: failed %v, seed %d; want failed with seed %d", rep.Failed, rep.Seed, s.Seed)
	}
	line := rapidtb.ReplayLine("TestX/sub_a")
	want := "RAPID_SEED=" + strconv.FormatUint(s.Seed, 10) + " go test ./internal/rapidtb -count=1 -run '^TestX$/^sub_a$'"
	if !strings.Contains(line, want) {
		t.Fatalf("replay line %q does not contain %q", line, want)
	}
}

func TestSetAndCheckWithRestore(t *testing.T) {
	before := rapidtb.Current()
	var seen rapidtb.Settings
	rapidtb.CheckWith(func(s rapidtb.Settings) rapidtb.Settings {
		s.ShrinkTime, s.Checks = 1500*time.Millisecond, 7
		return s
	}, "TestSetAndCheckWithRestore", func(rt *rapid.T) { seen = rapidtb.Current() })
	if seen.ShrinkTime != 1500*time.Millisecond || seen.Checks != 7 {
		t.Fatalf("inside CheckWith the settings are %+v", seen)
	}
	if got := rapidtb.Current(); got != before {
		t.Fatalf("CheckWith did not restore: %+v, was %+v", got, before)
	}
	s := before
	s.Checks = 3
	restore, err := rapidtb.Set(s)
	if err != nil {
		t.Fatal(err)
	}
	if rapidtb.Checks() != 3 {
		t.Fatalf("Set: checks %d", rapidtb.Checks())
	}
	n := 0
	rapidtb.Check("TestSetCount", func(rt *rapid.T) { n++ })
	want := 3
	if rapidtb.Short() {
		want = 0 // rapid runs checks/5 = 0 in short mode
	}
	if n != want {
		t.Fatalf("rapid ran %d cases under Checks = 3 (short %v), want %d", n, rapidtb.Short(), want)
	}
	restore()
	if got := rapidtb.Current(); got != before {
		t.Fatalf("restore: %+v, was %+v", got, before)
	}
	for _, bad := range []rapidtb.Settings{{Checks: 0, Seed: 1, ShrinkTime: time.Second}, {Checks: 1, Seed: 0, ShrinkTime: time.Second}, {Checks: 1, Seed: 1}} {
		if _, err := rapidtb.Set(bad); err == nil {
			t.Errorf("Set(%+v) accepted", bad)
		}
	}
}

// TestOneOwner: rapidtb is the only code that touches rapid's flags or the
// testing package's flag set, or calls rapid.Check; elsewhere tests call
// rapidtb.CheckT/Check/CheckWith and code reads rapidtb.Short/Checks/Seed.
// (testing.Short() stays allowed in _test.go files: it reads the flag from
// the test's own goroutine, and only rapidtb writes it.)
func TestOneOwner(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	forbiddenEverywhere := map[string]bool{"rapid.Check": true, "rapid.MakeCheck": true, "testing.Init": true}
	forbiddenInCode := map[string]bool{"testing.Short": true}
	fset := token.NewFileSet()
	checked := 0
	usesRapid, hasMain := map[string]bool{}, map[string]bool{}
	err = filepath.WalkDir(root, func(path string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() {
			if name := d.Name(); strings.HasPrefix(name, ".") || path == filepath.Join(root, "internal", "rapidtb") {
				return filepath.SkipDir
			}
			return nil
		}
		if !strings.HasSuffix(path, ".go") {
			return nil
		}
		f, err := parser.ParseFile(fset, path, nil, parser.SkipObjectResolution)
		if err != nil {
			return err
		}
		checked++
		isTest := strings.HasSuffix(path, "_test.go")
		dir, _ := filepath.Rel(root, filepath.Dir(path))
		if isTest {
			for _, im := range f.Imports {
				if v, _ := strconv.Unquote(im.Path.Value); v == "pgregory.net/rapid" || strings.HasSuffix(v, "/internal/rapidtb") {
					usesRapid[dir] = true
				}
			}
			for _, d := range f.Decls {
				if fd, ok := d.(*ast.FuncDecl); ok && fd.Name.Name == "TestMain" && fd.Body != nil {
					ast.Inspect(fd.Body, func(n ast.Node) bool {
						if se, ok := n.(*ast.SelectorExpr); ok && se.Sel.Name == "Main" {
							if id, ok := se.X.(*ast.Ident); ok && id.Name == "rapidtb" {
								hasMain[dir] = true
							}
						}
						return true
					})
				}
			}
		}
		ast.Inspect(f, func(n ast.Node) bool {
			switch n := n.(type) {
			case *ast.SelectorExpr:
				if id, ok := n.X.(*ast.Ident); ok {
					name := id.Name + "." + n.Sel.Name
					if forbiddenEverywhere[name] || (!isTest && forbiddenInCode[name]) {
						t.Errorf("%s: %s: use internal/rapidtb (the one owner of rapid's settings)", fset.Position(n.Pos()), name)
					}
				}
			case *ast.BasicLit:
				if v, err := strconv.Unquote(n.Value); err == nil && n.Kind == token.STRING &&
					(strings.HasPrefix(v, "rapid.") || v == "test.short") {
					t.Errorf("%s: flag name %q: read or set it through internal/rapidtb", fset.Position(n.Pos()), v)
				}
			}
			return true
		})
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for dir := range usesRapid {
		if !hasMain[dir] {
			t.Errorf("%s: its tests run rapid but it has no TestMain calling rapidtb.Main (failures would not print their seed)", dir)
		}
	}
	if checked < 50 {
		t.Fatalf("only %d Go files found under %s", checked, root)
	}
}
