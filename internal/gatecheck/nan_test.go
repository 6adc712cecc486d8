package gatecheck

import (
	"math"
	"regexp"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// A NaN slack is recorded as the worst possible (−Inf), never as a pass,
// whatever came before or after it.
func TestNaNSlackNeverPasses(t *testing.T) {
	for _, before := range [][]float64{nil, {0.5}, {math.Inf(1)}, {-0.1}} {
		st := proofs.NewStats()
		for _, v := range before {
			st.Slack(v)
		}
		st.Slack(math.NaN())
		st.Slack(1)
		_, _, worst := st.Counts()
		if !(worst < 0) || !math.IsInf(worst, -1) {
			t.Fatalf("after %v, NaN, 1: worst slack %v, want −Inf", before, worst)
		}
	}
}

// A property that measures a NaN and asserts its slack the way the suite's
// properties do (slack ≥ 0) fails under Verify, and its outcome reports
// worst slack −Inf.
func TestNaNSlackFailsVerify(t *testing.T) {
	p := proofs.Property{
		ID: "NaN", Name: "Planted", Statement: "a NaN measurement", Status: "V", MinValid: 1,
		Check: func(impl model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(rt *rapid.T) {
				st.Case(true)
				observed := math.Float64frombits(0x7ff8000000000001) // a measurement that went NaN
				slack := (1 - observed) / 1                          // (bound − observed)/bound
				st.Slack(slack)
				if !(slack >= 0) {
					rt.Fatalf("slack %v", slack)
				}
			}
		},
	}
	o := proofs.Verify(p, model.Reference{})
	if o.Passed || !math.IsInf(o.WorstSlack, -1) {
		t.Fatalf("a NaN slack passed: %+v", o)
	}
}

// TestSuiteRunFromRegistry: the mutation suite's selection is derived from
// proofs' registry (every deterministic claim, no Monte Carlo one).
func TestSuiteRunFromRegistry(t *testing.T) {
	re := regexp.MustCompile(SuiteRun())
	for _, p := range proofs.All() {
		if got, want := re.MatchString(p.TestName()), p.Kind == proofs.Deterministic; got != want {
			t.Errorf("SuiteRun %q matches %s: %v, want %v (kind %v)", SuiteRun(), p.TestName(), got, want, p.Kind)
		}
	}
}
