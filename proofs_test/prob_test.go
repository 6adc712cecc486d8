package proofs

import (
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
	probTake(t.Name()) // forget batches of an earlier run (-count > 1)
	st := NewStats()
	start := time.Now()
	rapidtb.CheckT(t, p.Check(impl, st))
	tried, valid, worst := st.Counts()
	t.Logf("%s [%s, α=%.3g per assertion]: %d cases, %d met the hypotheses (min %d), worst slack %.4g, %.2fs",
		p.TestName(), impl.Name(), ProbAlpha(), tried, valid, p.MinValid, worst, time.Since(start).Seconds())
	if cs := probTake(t.Name()); len(cs) > 0 {
		t.Log(probSummary(cs, 3))
	}
	if valid < p.MinValid {
		t.Fatalf("vacuous: only %d cases met %s's hypotheses (need %d)", valid, p.ID, p.MinValid)
	}
	if err := SlackConsistent(worst); err != nil && !t.Failed() {
		t.Fatal(err)
	}
}

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

func TestCL2_BalancedWithHighProbability(t *testing.T) { probRun(t, model.Reference{}) }

func TestCL2_StrongerReadingNMinus1(t *testing.T) { probRun(t, model.Reference{}) }

func TestCL3_MarginNearHalfAtSmallStd(t *testing.T) { probRun(t, model.Reference{}) }

func TestCL3_MarginCollapsesAtLargeStd(t *testing.T) { probRun(t, model.Reference{}) }

func TestL8_RotationInvariantMargin(t *testing.T) { probRun(t, model.Reference{}) }

func TestT2_MarginWithConstantProbability(t *testing.T) { probRun(t, model.Reference{}) }

func TestT2_GDConvergesFromMarginStarts(t *testing.T) {
	for _, impl := range implementations() {
		t.Run(impl.Name(), func(t *testing.T) {
			p, _ := Lookup("TestT2_GDConvergesFromMarginStarts")
			probTake("TestT2_GDConvergesFromMarginStarts/steps")
			st := NewStats()
			start := time.Now()
			rapidtb.CheckT(t, p.Check(impl, st))
			tried, valid, _ := st.Counts()
			cs := probTake("TestT2_GDConvergesFromMarginStarts/steps")
			most, total := 0, 0
			for _, c := range cs {
				most = max(most, c.Verdict.K)
				total += c.Verdict.K
			}
			t.Logf("T2 GD [%s]: %d cases, %d valid (min %d), %d converged; steps to ε: mean %.0f, most %d (budget %d); %.2fs",
				impl.Name(), tried, valid, p.MinValid, len(cs), float64(total)/float64(max(1, len(cs))), most, t2GDBudget, time.Since(start).Seconds())
			if valid < p.MinValid {
				t.Fatalf("vacuous: only %d cases met T2's hypotheses (need %d)", valid, p.MinValid)
			}
		})
	}
}
