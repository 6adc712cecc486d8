package rapidtb

// The one owner of rapid's process-wide settings.
//
// rapid keeps its settings (checks, seed, shrink time, fail files) in
// package variables behind the standard flag set, and reads them without a
// lock from inside every rapid.Check; it also calls testing.Short, whose
// flag exists only after testing.Init. So:
//
//   - Init registers and parses the testing flags outside `go test`, fixes a
//     base seed when none was given (so every failure can name it), and
//     snapshots the settings, exactly once (sync.Once). Every function of
//     this package calls it first, so nothing reads the flag set before it
//     is complete, whichever goroutine comes first.
//   - Settings are read from that snapshot (an atomic pointer), never from
//     the flag set: Current, Short, Checks and Seed are safe from any
//     goroutine, also from inside a running property.
//   - Settings are written only by Set and CheckWith, under the exclusive
//     side of mu; Check and CheckT hold its shared side for as long as
//     rapid runs. A writer therefore never overlaps a running check.
//
// No other package touches flag.Lookup("rapid.*"), flag.Set("test.short")
// or rapid.Check (TestOneOwner enforces it).

import (
	"flag"
	"fmt"
	"math/rand/v2"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"pgregory.net/rapid"
)

// Settings are rapid's process-wide settings (rapid's flag or RAPID_*
// environment variable in parentheses).
type Settings struct {
	Checks     int           // cases per rapid.Check (-rapid.checks, RAPID_CHECKS)
	Seed       uint64        // base seed of every check (-rapid.seed, RAPID_SEED); never 0 after Init
	ShrinkTime time.Duration // shrinking budget per failure (-rapid.shrinktime, RAPID_SHRINKTIME)
	NoFailFile bool          // do not write testdata/rapid fail files (-rapid.nofailfile, RAPID_NOFAILFILE)
	Short      bool          // testing.Short(); rapid then runs Checks/5 cases (-test.short)
}

var (
	initOnce sync.Once
	// mu: shared while rapid runs (Check, CheckT), exclusive while the
	// settings change (Set, CheckWith).
	mu      sync.RWMutex
	current atomic.Pointer[Settings]
)

// Init makes the settings ready: outside `go test` it registers and parses
// the testing package's flags (rapid calls testing.Short), it fixes a
// random non-zero base seed when none was given, and it snapshots the
// settings. It is idempotent and safe for concurrent use; every other
// function of the package calls it, and a program that starts workers
// should call it (or Set) before they start.
func Init() {
	initOnce.Do(func() {
		if testing.Testing() && !flag.Parsed() {
			panic("rapidtb: used before `go test` parsed its flags (from a package initialiser?)")
		}
		if !testing.Testing() {
			testing.Init()
			if !flag.Parsed() {
				_ = flag.CommandLine.Parse(nil)
			}
		}
		s := readFlags()
		if s.Seed == 0 {
			s.Seed = rand.Uint64()>>1 | 1 // non-zero, within int64 for easy copying
			mustSet("rapid.seed", strconv.FormatUint(s.Seed, 10))
		}
		current.Store(&s)
	})
}

// readFlags reads the settings from the flag set; only Init and writers
// (holding mu exclusively) call it.
func readFlags() Settings {
	get := func(name string) string {
		f := flag.Lookup(name)
		if f == nil {
			panic("rapidtb: flag -" + name + " is not registered (rapid or testing changed?)")
		}
		return f.Value.String()
	}
	var s Settings
	s.Checks, _ = strconv.Atoi(get("rapid.checks"))
	s.Seed, _ = strconv.ParseUint(get("rapid.seed"), 10, 64)
	s.ShrinkTime, _ = time.ParseDuration(get("rapid.shrinktime"))
	s.NoFailFile, _ = strconv.ParseBool(get("rapid.nofailfile"))
	s.Short, _ = strconv.ParseBool(get("test.short"))
	return s
}

func mustSet(name, v string) {
	if err := flag.Set(name, v); err != nil {
		panic("rapidtb: setting -" + name + ": " + err.Error())
	}
}

// write applies s to the flag set, touching only the values that change;
// the caller holds mu exclusively.
func write(s Settings) {
	old := *current.Load()
	if s.Checks != old.Checks {
		mustSet("rapid.checks", strconv.Itoa(s.Checks))
	}
	if s.Seed != old.Seed {
		mustSet("rapid.seed", strconv.FormatUint(s.Seed, 10))
	}
	if s.ShrinkTime != old.ShrinkTime {
		mustSet("rapid.shrinktime", s.ShrinkTime.String())
	}
	if s.NoFailFile != old.NoFailFile {
		mustSet("rapid.nofailfile", strconv.FormatBool(s.NoFailFile))
	}
	if s.Short != old.Short {
		mustSet("test.short", strconv.FormatBool(s.Short))
	}
	c := s
	current.Store(&c)
}

func (s Settings) validate() error {
	if s.Checks < 1 {
		return fmt.Errorf("rapidtb: %d checks: must be ≥ 1", s.Checks)
	}
	if s.Seed == 0 {
		return fmt.Errorf("rapidtb: seed 0: give a non-zero seed")
	}
	if s.ShrinkTime <= 0 {
		return fmt.Errorf("rapidtb: shrink time %v: must be positive", s.ShrinkTime)
	}
	return nil
}

// Current returns the settings in force.
func Current() Settings {
	Init()
	return *current.Load()
}

// Short reports whether short mode is on (`go test -short`, or Set).
func Short() bool { return Current().Short }

// Checks is the configured number of cases per rapid.Check (before the
// division by 5 of short mode).
func Checks() int { return Current().Checks }

// Seed is the base seed every check of this process starts from.
func Seed() uint64 { return Current().Seed }

// Set makes s the settings of the process and returns the function that
// restores the previous ones. It waits until no check is running; call it
// before starting workers (a CLI does, once, at start-up).
func Set(s Settings) (restore func(), err error) {
	Init()
	if err := s.validate(); err != nil {
		return nil, err
	}
	mu.Lock()
	defer mu.Unlock()
	old := *current.Load()
	write(s)
	return func() {
		mu.Lock()
		defer mu.Unlock()
		write(old)
	}, nil
}

// CheckWith is Check under the settings that edit returns from the current
// ones (for example a short shrink time for a planted-bug check, whose
// failure is expected). It runs alone: it waits for running checks to end
// and holds back new ones until it has restored the settings.
func CheckWith(edit func(Settings) Settings, name string, prop func(*rapid.T)) Report {
	Init()
	mu.Lock()
	defer mu.Unlock()
	old := *current.Load()
	s := edit(old)
	if err := s.validate(); err != nil {
		return Report{Failed: true, Errors: []string{err.Error()}, Seed: old.Seed}
	}
	write(s)
	defer write(old)
	return check(name, prop)
}

// CheckT is rapid.Check(t, prop) for `go test`: it runs under the shared
// lock of the settings and, if the test fails, logs the base seed and a
// one-line command that replays the test (ReplayOnFailure).
func CheckT(t *testing.T, prop func(*rapid.T)) {
	t.Helper()
	ReplayOnFailure(t)
	mu.RLock()
	defer mu.RUnlock()
	rapid.Check(t, prop)
}

var replayed sync.Map // *testing.T (or other TB) → registered

// ReplayOnFailure registers, once per test, a cleanup that logs the rapid
// base seed and a one-line replay command when the test failed:
//
//	rapid seed 123; replay: RAPID_SEED=123 go test ./counterexamples -count=1 -run '^TestFalsify$/^drop-width$'
//
// Call it at the top of any test that runs rapid through Check (CheckT
// calls it itself).
func ReplayOnFailure(t testing.TB) {
	t.Helper()
	Init()
	if _, dup := replayed.LoadOrStore(t, true); dup {
		return
	}
	t.Cleanup(func() {
		replayed.Delete(t)
		if t.Failed() {
			t.Logf("%s", ReplayLine(t.Name()))
		}
	})
}

// ReplayLine is the replay hint for the test (or subtest) name, run from
// the package directory of the current `go test`.
func ReplayLine(testName string) string {
	seed := Seed()
	return fmt.Sprintf("rapid seed %d; replay: RAPID_SEED=%d go test %s -count=1 -run '%s'", seed, seed, pkgArg(), runPattern(testName))
}

// runPattern turns a test name A/B/C into the -run pattern ^A$/^B$/^C$.
func runPattern(name string) string {
	var out []byte
	start := 0
	for i := 0; i <= len(name); i++ {
		if i == len(name) || name[i] == '/' {
			if start > 0 {
				out = append(out, '/')
			}
			out = append(out, '^')
			out = append(out, regexp.QuoteMeta(name[start:i])...)
			out = append(out, '$')
			start = i + 1
		}
	}
	return string(out)
}

// pkgArg is the current directory relative to the module root, as
// `./pkg` (`go test` runs a package's tests in its directory).
func pkgArg() string {
	wd, err := os.Getwd()
	if err != nil {
		return "."
	}
	for dir := wd; ; {
		if _, err := os.Stat(filepath.Join(dir, "go.mod")); err == nil {
			rel, err := filepath.Rel(dir, wd)
			if err != nil || rel == "." {
				return "."
			}
			return "./" + filepath.ToSlash(rel)
		}
		parent := filepath.Dir(dir)
		if parent == dir {
			return "."
		}
		dir = parent
	}
}

// WithoutFailFile is a CheckWith edit: no testdata/rapid fail file (for a
// check whose failure is expected, or a search whose failure is returned).
func WithoutFailFile(s Settings) Settings {
	s.NoFailFile = true
	return s
}

// Main runs a package's tests (m.Run) and, when any failed, prints the
// rapid base seed and the one-line command that replays the package's run
// with it. Every package whose tests run rapid has
//
//	func TestMain(m *testing.M) { os.Exit(rapidtb.Main(m)) }
//
// (TestOneOwner checks it), so no failure, rapid's or a test's own check
// after rapid, goes without its seed.
func Main(m *testing.M) int {
	if !flag.Parsed() {
		flag.Parse() // what m.Run does first; the settings must see -rapid.* and -test.short
	}
	Init()
	code := m.Run()
	if code != 0 {
		seed := Seed()
		fmt.Printf("rapid seed %d; replay the package: RAPID_SEED=%d go test %s -count=1 (add -run with the failed test's name)\n", seed, seed, pkgArg())
	}
	return code
}
