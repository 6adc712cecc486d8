package proofs

import (
	"math"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/model"
)

// A property that records a violated inequality without asserting it must
// not pass Verify (the slack column would otherwise contradict the result).
func TestVerifyRejectsUnassertedNegativeSlack(t *testing.T) {
	p := Property{ID: "X0", Name: "RecordsButNeverAsserts", MinValid: 1,
		Check: func(_ model.Stepper, st *Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				_ = rapid.IntRange(0, 3).Draw(t, "x")
				st.Case(true)
				st.Slack(-0.5)
			}
		}}
	o := Verify(p, model.Reference{})
	if o.Passed || !strings.Contains(o.Failure, "harness") {
		t.Fatalf("Verify passed a property with slack %.3g: %+v", o.WorstSlack, o)
	}
}

func TestStatsSlack(t *testing.T) {
	var st Stats
	if _, _, w := st.Counts(); !math.IsInf(w, 1) {
		t.Fatalf("no slack recorded should read +Inf, got %v", w)
	}
	st.Slack(0)
	st.Slack(0.5)
	if _, _, w := st.Counts(); w != 0 {
		t.Fatalf("worst of {0, 0.5} = %v", w)
	}
	st.Slack(math.NaN())
	if _, _, w := st.Counts(); !math.IsInf(w, -1) {
		t.Fatalf("NaN slack must read as −Inf, got %v", w)
	}
}
