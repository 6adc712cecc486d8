package proofs

import (
	"sort"
	"strings"
	"testing"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/model"
)

// probRun runs the registered probabilistic property named by the calling
// test once (the sampler, not a GD implementation, is what these claims
// are about, so one run serves every implementation), applies the
// no-vacuous-pass rule and logs the Monte Carlo estimates.
func probRun(t *testing.T, impl model.Stepper) {
	t.Helper()
	p, ok := Lookup(t.Name())
	if !ok {
		t.Fatalf("no registered property named %s", t.Name())
	}
	st := NewStats()
	start := time.Now()
	rapidtb.CheckT(t, p.Check(impl, st))
	tried, valid, worst := st.Counts()
	t.Logf("%s [%s, α=%.3g per assertion]: %d cases, %d met the hypotheses (min %d), worst slack %.4g, %.2fs",
		p.TestName(), impl.Name(), ProbAlpha(), tried, valid, p.MinValid, worst, time.Since(start).Seconds())
	if tally := st.Tally(); len(tally) > 0 {
		keys := make([]string, 0, len(tally))
		for k := range tally {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			t.Logf("%s: %s = %.4g", p.TestName(), k, tally[k])
		}
	}
	if cs := st.recordedBatches(); len(cs) > 0 {
		t.Log(probSummary(cs, 3))
	}
	if valid < p.MinValid {
		t.Fatalf("vacuous: only %d cases met %s's hypotheses (need %d)", valid, p.ID, p.MinValid)
	}
	if err := SlackConsistent(worst); err != nil && !t.Failed() {
		t.Fatal(err)
	}
}

// The planted-bug companions of the probabilistic properties (Test<ID>_Planted…
// in prob_<id>_test.go): each runs the
// same property body with one thing broken and asserts (through the
// recording rapidtb.Check) that it fails, with the property's own
// refutation message. The bugs are chosen so that most drawn cases expose
// them with overwhelming probability, so that even a -short run (20 cases)
// misses them with negligible probability: these tests do not flake
// either. See the comment on each.

// probShrinkTime caps rapid's shrinking in planted-bug runs (each shrink
// attempt reruns a Monte Carlo batch).
const probShrinkTime = 2 * time.Second

// probExpectFailure runs prop through the recording TB and fails the test
// unless rapid reported a failure of the property itself. It returns the
// recorded report.
func probExpectFailure(t *testing.T, what string, prop func(*rapid.T), mustContain string) rapidtb.Report {
	t.Helper()
	rapidtb.ReplayOnFailure(t)
	// Shrink briefly and write no fail file: the failure is the expected
	// outcome here, not something to reproduce.
	start := time.Now()
	rep := rapidtb.CheckWith(func(s rapidtb.Settings) rapidtb.Settings {
		s.ShrinkTime, s.NoFailFile = probShrinkTime, true
		return s
	}, strings.ReplaceAll(t.Name(), " ", "_"), prop)
	if !rep.Failed {
		t.Fatalf("%s: the property PASSED on a planted bug; it cannot see it", what)
	}
	text := rep.Text()
	if rep.Panic != nil || !strings.Contains(text, mustContain) {
		t.Fatalf("%s: failed, but not with %q (panic %v):\n%s", what, mustContain, rep.Panic, text)
	}
	line := ""
	for _, l := range strings.Split(text, "\n") {
		if strings.Contains(l, mustContain) {
			line = strings.TrimSpace(l)
			break
		}
	}
	t.Logf("%s: failed as it should (%.2fs): %s", what, time.Since(start).Seconds(), line)
	return rep
}
