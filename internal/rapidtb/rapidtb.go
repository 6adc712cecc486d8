// Package rapidtb runs rapid properties outside `go test`, or inside a test
// without failing it: a Recorder implements rapid.TB and records what rapid
// reports (failures, logs, the shrunk counterexample's output) instead of
// failing the surrounding test.
//
// It is used three ways: planted-bug tests assert that a property fails on a
// broken implementation; falsification searches assert that rapid found and
// shrank a counterexample; and `dlnverify verify` runs the claim checks
// outside the testing package.
//
// The package is also the one owner of rapid's process-wide settings
// (settings.go): no other code reads or writes rapid's flags, the testing
// package's flags, or calls rapid.Check directly.
package rapidtb

import (
	"fmt"
	"runtime"
	"strings"
	"sync"

	"pgregory.net/rapid"
)

// Recorder is a rapid.TB that records instead of failing.
type Recorder struct {
	name   string
	mu     sync.Mutex
	failed bool
	skip   bool
	logs   []string
	errs   []string
}

var _ rapid.TB = (*Recorder)(nil)

// NewRecorder returns a Recorder; name is what rapid sees as the test name
// (used in fail-file names: keep it to letters, digits, '_' and '/').
func NewRecorder(name string) *Recorder { return &Recorder{name: name} }

func (r *Recorder) Helper()      {}
func (r *Recorder) Name() string { return r.name }
func (r *Recorder) Logf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, fmt.Sprintf(format, args...))
}
func (r *Recorder) Log(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.logs = append(r.logs, strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
}
func (r *Recorder) Errorf(format string, args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.errs = append(r.errs, fmt.Sprintf(format, args...))
}
func (r *Recorder) Error(args ...any) {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
	r.errs = append(r.errs, strings.TrimSuffix(fmt.Sprintln(args...), "\n"))
}
func (r *Recorder) Fatalf(format string, args ...any) { r.Errorf(format, args...); r.FailNow() }
func (r *Recorder) Fatal(args ...any)                 { r.Error(args...); r.FailNow() }
func (r *Recorder) Fail() {
	r.mu.Lock()
	defer r.mu.Unlock()
	r.failed = true
}

// FailNow stops the goroutine running the check (Run starts one for it).
func (r *Recorder) FailNow() { r.Fail(); runtime.Goexit() }
func (r *Recorder) Failed() bool {
	r.mu.Lock()
	defer r.mu.Unlock()
	return r.failed
}
func (r *Recorder) Skipf(format string, args ...any) { r.Logf(format, args...); r.SkipNow() }
func (r *Recorder) Skip(args ...any)                 { r.Log(args...); r.SkipNow() }
func (r *Recorder) SkipNow() {
	r.mu.Lock()
	r.skip = true
	r.mu.Unlock()
	runtime.Goexit()
}

// Report is what a recorded check produced.
type Report struct {
	Failed  bool
	Skipped bool
	// Errors are rapid's failure messages; for a failed property they hold
	// the reproduction hint (seed or fail file) and the shrunk case's output.
	Errors []string
	Logs   []string
	Panic  any // a panic that escaped rapid (a bug in the harness, not the property)
	// Seed is the base seed the check started from (Settings.Seed):
	// the same settings and seed replay it.
	Seed uint64
}

// Text joins errors and logs.
func (r Report) Text() string {
	return strings.Join(append(append([]string{}, r.Errors...), r.Logs...), "\n")
}

// Check runs rapid.Check(rec, prop) on its own goroutine, so that FailNow
// and SkipNow can end it, and returns what was recorded, under the current
// Settings. Any number of Checks (and CheckTs) may run at once.
func Check(name string, prop func(*rapid.T)) Report {
	Init()
	mu.RLock()
	defer mu.RUnlock()
	return check(name, prop)
}

func check(name string, prop func(*rapid.T)) Report {
	rec := NewRecorder(name)
	rep := Report{Seed: current.Load().Seed}
	done := make(chan struct{})
	go func() {
		defer close(done)
		defer func() {
			if p := recover(); p != nil {
				rep.Panic = p
				rec.Fail()
			}
		}()
		rapid.Check(rec, prop)
	}()
	<-done
	rec.mu.Lock()
	defer rec.mu.Unlock()
	rep.Failed, rep.Skipped = rec.failed, rec.skip
	rep.Errors = append(rep.Errors, rec.errs...)
	rep.Logs = append(rep.Logs, rec.logs...)
	return rep
}
