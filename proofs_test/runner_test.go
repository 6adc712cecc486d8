package proofs

import (
	"fmt"
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

// runRegistered runs the registered property named by the calling test
// (Test<ID>_<Name>) against every implementation via rapid.Check, then
// fails if fewer than MinValid cases met the hypotheses. It logs the
// counts, the worst slack, the tallies and steps/s.
func runRegistered(t *testing.T) {
	t.Helper()
	p, ok := Lookup(t.Name())
	if !ok {
		t.Fatalf("no registered property named %s", t.Name())
	}
	for _, impl := range implementations(t) {
		t.Run(impl.Name(), func(t *testing.T) {
			st := NewStats()
			start := time.Now()
			rapidtb.CheckT(t, p.Check(impl, st))
			requirePeerAlive(t, impl)
			logStats(t, p, st, time.Since(start))
			_, valid, worst := st.Counts()
			if valid < p.MinValid {
				t.Fatalf("vacuous: only %d cases met %s's hypotheses (need %d)", valid, p.ID, p.MinValid)
			}
			if err := SlackConsistent(worst); err != nil && !t.Failed() {
				t.Fatal(err)
			}
		})
	}
}

func logStats(t *testing.T, p Property, st *Stats, el time.Duration) {
	t.Helper()
	tried, valid, worst := st.Counts()
	tally := st.Tally()
	keys := make([]string, 0, len(tally))
	for k := range tally {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	var b strings.Builder
	for _, k := range keys {
		b.WriteString(" ")
		b.WriteString(k)
		b.WriteString("=")
		b.WriteString(formatG(tally[k]))
	}
	t.Logf("%s: %d cases, %d valid (min %d), worst relative slack %.3g, %.2fs;%s", p.TestName(), tried, valid, p.MinValid, worst, el.Seconds(), b.String())
	if s, sec := tally["steps"], tally["seconds"]; s > 0 && sec > 0 {
		t.Logf("%s: %.3g GD steps at %.3g steps/s", p.TestName(), s, s/sec)
	}
}

// plantedShrinkTime caps rapid's shrinking in planted-bug runs: the bug is
// found on the first failing case, and a shrunk counterexample is a
// courtesy there, not the point.
const plantedShrinkTime = 3 * time.Second

// expectFailure runs prop through the recording TB and fails the test
// unless rapid reported a failure of one of the property's assertions (a
// message with "violated"; a vacuous run or a panic does not count).
// expectFailureWith also names the clause.
func expectFailure(t *testing.T, what string, prop func(*rapid.T)) {
	t.Helper()
	rapidtb.ReplayOnFailure(t)
	start := time.Now()
	rep := rapidtb.CheckWith(func(s rapidtb.Settings) rapidtb.Settings {
		s.ShrinkTime = plantedShrinkTime
		return s
	}, strings.ReplaceAll(t.Name(), " ", "_"), prop)
	if !rep.Failed {
		t.Fatalf("%s: the property PASSED on a planted bug; it cannot see it", what)
	}
	// A panic never counts, and the failure must be one of the property's
	// own assertions ("… violated …"), not a setup error.
	if text := rep.Text(); rep.Panic != nil || !strings.Contains(text, "violated") {
		t.Fatalf("%s: failed, but not by a violated clause (panic %v):\n%s", what, rep.Panic, text)
	}
	t.Logf("%s: failed as it should (%.2fs): %s", what, time.Since(start).Seconds(), lastLine(rep))
}

// expectFailureWith is expectFailure that also requires the failure to
// be the property's own, for the stated reason: no panic, and mustContain
// (the violated clause's message) in the report.
func expectFailureWith(t *testing.T, what string, prop func(*rapid.T), mustContain string) {
	t.Helper()
	rapidtb.ReplayOnFailure(t)
	start := time.Now()
	rep := rapidtb.CheckWith(func(s rapidtb.Settings) rapidtb.Settings {
		s.ShrinkTime = plantedShrinkTime
		return s
	}, strings.ReplaceAll(t.Name(), " ", "_"), prop)
	if !rep.Failed {
		t.Fatalf("%s: the property PASSED on a planted bug; it cannot see it", what)
	}
	text := rep.Text()
	if rep.Panic != nil || !strings.Contains(text, mustContain) {
		t.Fatalf("%s: failed, but not with %q (panic %v):\n%s", what, mustContain, rep.Panic, text)
	}
	t.Logf("%s: failed as it should, with %q (%.2fs)", what, mustContain, time.Since(start).Seconds())
}

// lastLine picks the most informative line of a recorded failure: the
// first line mentioning "violated", else the last error line.
func lastLine(rep rapidtb.Report) string {
	for _, e := range rep.Errors {
		for _, l := range strings.Split(e, "\n") {
			if strings.Contains(l, "violated") || strings.Contains(l, "PLANTED") {
				return strings.TrimSpace(l)
			}
		}
	}
	for _, e := range rep.Errors {
		for _, l := range strings.Split(e, "\n") {
			if strings.Contains(l, "Fatal") || strings.Contains(l, "error") {
				return strings.TrimSpace(l)
			}
		}
	}
	if len(rep.Errors) > 0 {
		ls := strings.Split(strings.TrimSpace(rep.Errors[len(rep.Errors)-1]), "\n")
		return ls[len(ls)-1]
	}
	return ""
}

func formatG(v float64) string { return fmt.Sprintf("%.4g", v) }
