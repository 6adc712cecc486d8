package proofs

import (
	"fmt"
	"math"
	"sort"
	"sync"
	"time"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/model"
)

// Kind says how a property decides its claim.
type Kind int

const (
	// Deterministic: every drawn case must satisfy the claim, up to the
	// derived tolerance tiers (the zero value).
	Deterministic Kind = iota
	// MonteCarlo: each drawn case runs a seeded Monte Carlo batch and the
	// claimed probability bound is asserted with an exact one-sided
	// Clopper–Pearson bound at confidence 1 − ProbAlpha() (prob_common.go).
	MonteCarlo
)

// String is "deterministic" or "monte-carlo" (the JSON spelling of verify).
func (k Kind) String() string {
	switch k {
	case Deterministic:
		return "deterministic"
	case MonteCarlo:
		return "monte-carlo"
	}
	return fmt.Sprintf("Kind(%d)", int(k))
}

// Property is one executable claim check.
type Property struct {
	ID        string // claim ID from CLAIMS.md: "T1", "L1", "CL2", …
	Name      string // CamelCase; the test is Test<ID>_<Name>
	Statement string // one line, for reports
	Status    string // the sheet's confidence: V, S, R or U (R/U are tested as reconstructed)
	Kind      Kind   // Deterministic (the zero value) or MonteCarlo
	// Domain is the sampled domain in a few words (depths, widths, the
	// hard region's range), so a report can say what "100/100" covered.
	Domain string
	// Check returns the rapid property for impl. It must call st.Case for
	// every drawn case and st.Slack for each checked inequality.
	Check func(impl model.Stepper, st *Stats) func(*rapid.T)
	// MinValid is the least number of cases that must meet the claim's
	// hypotheses for a run to count (no vacuous pass).
	MinValid int
}

// TestName is the Go test name for p: Test<ID>_<Name>.
func (p Property) TestName() string { return "Test" + p.ID + "_" + p.Name }

// Stats counts a property's cases and the worst slack seen. It is safe for
// concurrent use.
type Stats struct {
	mu    sync.Mutex
	tried int
	valid int
	worst float64 // smallest relative slack seen (valid once slackSeen)

	slackSeen bool
	tally     map[string]float64
	batches   []probCase // Monte Carlo batches of the probabilistic properties, for the report
}

// NewStats returns empty Stats (the zero value is ready to use too).
func NewStats() *Stats { return &Stats{} }

// Case records one drawn case and whether it met the hypotheses.
func (s *Stats) Case(valid bool) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.tried++
	if valid {
		s.valid++
	}
}

// Slack records a checked inequality's relative slack, (bound − observed)
// scaled by the bound's size: ≥ 0 holds, < 0 violated. NaN counts as the
// worst possible (−Inf) so it can never look like a pass.
func (s *Stats) Slack(v float64) {
	if math.IsNaN(v) {
		v = math.Inf(-1)
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.slackSeen {
		s.worst, s.slackSeen = v, true
		return
	}
	s.worst = math.Min(s.worst, v)
}

// Add accumulates v under key (steps run, informative checks, …) for the
// report; it is how a property tells more than valid/invalid.
func (s *Stats) Add(key string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tally == nil {
		s.tally = map[string]float64{}
	}
	s.tally[key] += v
}

// batch records one Monte Carlo batch's verdict (probabilistic
// properties) for the end-of-test report.
func (s *Stats) batch(c probCase) {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.batches = append(s.batches, c)
}

// recordedBatches returns a copy of the recorded Monte Carlo batches.
func (s *Stats) recordedBatches() []probCase {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]probCase(nil), s.batches...)
}

// Max keeps the largest v seen under key (for reports such as "the
// fraction of a bound used"); it shares Add's map.
func (s *Stats) Max(key string, v float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.tally == nil {
		s.tally = map[string]float64{}
	}
	if old, ok := s.tally[key]; !ok || v > old {
		s.tally[key] = v
	}
}

// Tally returns a copy of the accumulated figures.
func (s *Stats) Tally() map[string]float64 {
	s.mu.Lock()
	defer s.mu.Unlock()
	out := make(map[string]float64, len(s.tally))
	for k, v := range s.tally {
		out[k] = v
	}
	return out
}

// SlackConsistent enforces the meaning of a recorded slack: every property
// records slack within the same allowance it asserts, so a passing run
// cannot have a negative one. A negative slack beside a pass means a
// property recorded an inequality it did not assert: a harness bug.
func SlackConsistent(worst float64) error {
	if worst < 0 {
		return fmt.Errorf("harness: worst recorded slack %.3g < 0 although no assertion failed (a checked inequality is recorded but not asserted)", worst)
	}
	return nil
}

// Counts returns cases tried, valid, and the worst slack.
// The worst slack is +Inf when no inequality was recorded.
func (s *Stats) Counts() (tried, valid int, worst float64) {
	s.mu.Lock()
	defer s.mu.Unlock()
	if !s.slackSeen {
		return s.tried, s.valid, math.Inf(1)
	}
	return s.tried, s.valid, s.worst
}

var (
	regMu    sync.Mutex
	registry []Property
)

// Register adds p to the registry; files call it from a package-level var
// initialiser. Registering the same test name twice panics at init, which
// is a programming error caught by any test run.
func Register(p Property) Property {
	regMu.Lock()
	defer regMu.Unlock()
	for _, q := range registry {
		if q.TestName() == p.TestName() {
			panic("proofs: duplicate property " + p.TestName())
		}
	}
	registry = append(registry, p)
	return p
}

// All returns the registered properties sorted by claim ID, then name.
func All() []Property {
	regMu.Lock()
	defer regMu.Unlock()
	out := append([]Property(nil), registry...)
	sort.Slice(out, func(i, j int) bool {
		if out[i].ID != out[j].ID {
			return out[i].ID < out[j].ID
		}
		return out[i].Name < out[j].Name
	})
	return out
}

// ClaimIDs returns the claim IDs that have a registered property of kind
// k, each once, in registry order (All). It is the one list of covered
// claims: nothing else keeps one by hand.
func ClaimIDs(k Kind) []string {
	var ids []string
	seen := map[string]bool{}
	for _, p := range All() {
		if p.Kind == k && !seen[p.ID] {
			seen[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// Lookup returns the property with test name Test<ID>_<Name>.
func Lookup(testName string) (Property, bool) {
	for _, p := range All() {
		if p.TestName() == testName {
			return p, true
		}
	}
	return Property{}, false
}

// Outcome is the result of running one property.
type Outcome struct {
	ID, Name, Statement string
	Impl                string
	Tried, Valid        int
	MinValid            int
	WorstSlack          float64
	Passed              bool
	Failure             string // rapid's report (shrunk case, reproduction hint) or the vacuity reason
	Elapsed             time.Duration
}

// Verify runs p against impl through rapid with a recording TB (so it works
// outside `go test`), then applies the no-vacuous-pass rule.
func Verify(p Property, impl model.Stepper) Outcome {
	st := NewStats()
	start := time.Now()
	rep := rapidtb.Check(p.TestName(), p.Check(impl, st))
	tried, valid, worst := st.Counts()
	o := Outcome{ID: p.ID, Name: p.Name, Statement: p.Statement, Impl: impl.Name(),
		Tried: tried, Valid: valid, MinValid: p.MinValid, WorstSlack: worst,
		Elapsed: time.Since(start), Passed: !rep.Failed}
	if rep.Failed {
		o.Failure = rep.Text()
		if rep.Panic != nil {
			o.Failure += fmt.Sprintf("\npanic: %v", rep.Panic)
		}
	} else if valid < p.MinValid {
		o.Passed = false
		o.Failure = fmt.Sprintf("vacuous: only %d of %d cases met the hypotheses (need %d)", valid, tried, p.MinValid)
	} else if err := SlackConsistent(worst); err != nil {
		o.Passed = false
		o.Failure = err.Error()
	}
	return o
}
