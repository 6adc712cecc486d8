package main

import (
	"bytes"
	"encoding/json"
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// Test-only properties with IDs no claim uses, so verify's pass, fail and
// vacuity paths are exercised whatever the suite holds.
var (
	_ = proofs.Register(proofs.Property{ID: "ZZPASS", Name: "AlwaysHolds", Statement: "test only: x ≤ 10 for x in [0, 10]",
		Status: "V", MinValid: 1, Check: func(_ model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				x := rapid.IntRange(0, 10).Draw(t, "x")
				st.Case(true)
				st.Slack(float64(10-x) / 10)
			}
		}})
	_ = proofs.Register(proofs.Property{ID: "ZZFAIL", Name: "PlantedBug", Statement: "test only: x ≤ 5 for x in [0, 10] (false)",
		Status: "V", MinValid: 1, Check: func(_ model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				x := rapid.IntRange(0, 10).Draw(t, "x")
				st.Case(true)
				st.Slack(float64(5-x) / 5)
				if x > 5 {
					t.Fatalf("x = %d > 5", x)
				}
			}
		}})
	_ = proofs.Register(proofs.Property{ID: "ZZFAILPOS", Name: "FailsAfterMargins", Statement: "test only: a clause that records no slack fails after others recorded 0.5",
		Status: "V", MinValid: 1, Check: func(_ model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				x := rapid.IntRange(0, 10).Draw(t, "x")
				st.Case(true)
				st.Slack(0.5)
				if x > 5 {
					t.Fatalf("x = %d > 5", x)
				}
			}
		}})
	_ = proofs.Register(proofs.Property{ID: "ZZNOSLACK", Name: "HoldsNoMargin", Statement: "test only: passes without recording a slack",
		Status: "V", MinValid: 1, Check: func(_ model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				_ = rapid.IntRange(0, 10).Draw(t, "x")
				st.Case(true)
			}
		}})
	_ = proofs.Register(proofs.Property{ID: "ZZVACUOUS", Name: "NoValidCase", Statement: "test only: no case meets the hypotheses",
		Status: "V", MinValid: 1, Check: func(_ model.Stepper, st *proofs.Stats) func(*rapid.T) {
			return func(t *rapid.T) {
				_ = rapid.IntRange(0, 10).Draw(t, "x")
				st.Case(false)
			}
		}})
)

func TestVerifyPassFailVacuous(t *testing.T) {
	stdout, stderr, code := runCLI(t, "verify", "--claims", "ZZPASS", "--checks", "20", "--seed", "12345")
	if code != 0 {
		t.Fatalf("passing claim: exit %d\n%s%s", code, stdout, stderr)
	}
	for _, want := range []string{"seed 12345", "ZZPASS", "AlwaysHolds", "PASS", "1 passed, 0 failed"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}

	stdout, _, code = runCLI(t, "verify", "--claims", "zzfail,ZZPASS", "--checks", "50", "--seed", "7")
	if code != 1 {
		t.Fatalf("failing claim: exit %d, want 1\n%s", code, stdout)
	}
	for _, want := range []string{"FAIL ZZFAIL (TestZZFAIL_PlantedBug)", "x = 6 > 5", "replay: dlnverify verify --claims ZZFAIL --seed 7 --checks 50", "1 passed, 1 failed"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}

	stdout, _, code = runCLI(t, "verify", "--claims", "ZZVACUOUS", "--checks", "10", "--json")
	if code != 1 {
		t.Fatalf("vacuous claim: exit %d, want 1", code)
	}
	var rep verifyReport
	if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	if rep.Passed || rep.Seed == 0 || len(rep.Results) != 1 || !strings.Contains(rep.Results[0].Failure, "vacuous") ||
		rep.Results[0].Tried == 0 || rep.Results[0].Valid != 0 {
		t.Fatalf("vacuous report %+v", rep)
	}
}

// TestVerifySlackPassingRowsOnly: slack is defined on passing rows only; a
// FAIL row (even one whose other cases recorded a positive margin) and a
// row that recorded none show — in text and null in JSON, never a number
// or "+Inf".
func TestVerifySlackPassingRowsOnly(t *testing.T) {
	args := []string{"verify", "--claims", "ZZPASS,ZZFAILPOS,ZZNOSLACK", "--checks", "50", "--seed", "7"}
	stdout, _, code := runCLI(t, append(args, "--json")...)
	if code != 1 {
		t.Fatalf("exit %d, want 1\n%s", code, stdout)
	}
	var raw struct {
		Results []map[string]json.RawMessage `json:"results"`
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatalf("JSON: %v\n%s", err, stdout)
	}
	want := map[string]bool{"ZZPASS": true, "ZZFAILPOS": false, "ZZNOSLACK": false} // has a number
	for _, r := range raw.Results {
		var id string
		_ = json.Unmarshal(r["id"], &id)
		ws := string(r["worst_slack"])
		var v float64
		if isNum := json.Unmarshal(r["worst_slack"], &v) == nil && ws != "null"; isNum != want[id] || (isNum && v < 0) || (!isNum && ws != "null") {
			t.Fatalf("%s: worst_slack %s", id, ws)
		}
	}
	stdout, _, _ = runCLI(t, args...)
	for _, l := range strings.Split(stdout, "\n") {
		if f := strings.Fields(l); len(f) > 6 && (f[0] == "ZZFAILPOS" || f[0] == "ZZNOSLACK") && f[6] != "—" {
			t.Fatalf("%s: slack column %q, want —\n%s", f[0], f[6], stdout)
		}
	}
	if !strings.Contains(stdout, "slack (PASS rows only") {
		t.Fatalf("legend does not say slack is for passing rows:\n%s", stdout)
	}
}

// TestVerifySeedReplays: the same seed gives the same counts; seed 0
// picks one and prints it.
func TestVerifySeedReplays(t *testing.T) {
	get := func(args ...string) verifyReport {
		stdout, _, _ := runCLI(t, append([]string{"verify", "--json", "--claims", "ZZFAIL,ZZPASS", "--checks", "30"}, args...)...)
		var rep verifyReport
		if err := json.Unmarshal([]byte(stdout), &rep); err != nil {
			t.Fatalf("JSON: %v\n%s", err, stdout)
		}
		return rep
	}
	a, b := get("--seed", "99"), get("--seed", "99")
	if a.Seed != 99 || a.Results[0].Tried != b.Results[0].Tried || a.Results[0].Failure != b.Results[0].Failure {
		t.Fatalf("seed 99 did not replay: %+v vs %+v", a.Results[0], b.Results[0])
	}
	if r := get(); r.Seed == 0 {
		t.Fatal("seed 0 must pick and report a non-zero seed")
	}
}

// TestVerifyRealClaims runs a couple of the suite's own claims with a small
// budget (the default budget is measured in docs/cli.md, not here).
func TestVerifyRealClaims(t *testing.T) {
	// Cheap algebraic claims (milliseconds per case), when registered.
	var ids []string
	for _, id := range []string{"G1", "S2", "P1"} {
		if _, err := selectProperties(id); err == nil && len(ids) < 2 {
			ids = append(ids, id)
		}
	}
	if len(ids) == 0 {
		t.Skip("none of the cheap claim checks is registered")
	}
	stdout, stderr, code := runCLI(t, "verify", "--claims", strings.Join(ids, ","), "--checks", "100", "--short", "--seed", "1")
	if code != 0 {
		t.Fatalf("verify %v: exit %d\n%s%s", ids, code, stdout, stderr)
	}
	for _, id := range ids {
		if !strings.Contains(stdout, "\n"+id+" ") {
			t.Fatalf("table lacks claim %s:\n%s", id, stdout)
		}
	}
	// The same checks against the fast implementation.
	stdout, stderr, code = runCLI(t, "verify", "--claims", ids[0], "--checks", "100", "--short", "--seed", "2", "--impl", "fast")
	if code != 0 || !strings.Contains(stdout, "impl fast") {
		t.Fatalf("verify --impl fast: exit %d\n%s%s", code, stdout, stderr)
	}
}

func TestVerifyList(t *testing.T) {
	stdout, _, code := runCLI(t, "verify", "--list")
	if code != 0 || !strings.Contains(stdout, "ZZPASS") || !strings.Contains(stdout, "PlantedBug") {
		t.Fatalf("--list: exit %d\n%s", code, stdout)
	}
}

func TestVerifyErrors(t *testing.T) {
	requireUsageError(t, "--checks = 0", "verify", "--checks", "0")
	requireUsageError(t, "--jobs = 0", "verify", "--jobs", "0")
	requireUsageError(t, "use --checks ≥ 5", "verify", "--claims", "ZZPASS", "--checks", "4", "--short")
	requireUsageError(t, "no check for NOPE", "verify", "--claims", "ZZPASS,nope")
	requireUsageError(t, "empty entry", "verify", "--claims", "ZZPASS,,")
	requireUsageError(t, `unknown impl "turbo"`, "verify", "--impl", "turbo")
	requireUsageError(t, `invalid value "abc" for flag -seed`, "verify", "--seed", "abc")
	requireUsageError(t, "flag provided but not defined", "verify", "--frob")
	requireUsageError(t, `unexpected argument "T1"`, "verify", "T1")
}

func TestDispatchOrderLongestFirst(t *testing.T) {
	props := []proofs.Property{{ID: "A1", Name: "X"}, {ID: "L1", Name: "DescentEveryStep"}, {ID: "B1", Name: "Y"}, {ID: "T1", Name: "FullHorizon"}}
	got := dispatchOrder(props)
	want := []int{1, 0, 2, 3} // the critical path (L1 here) first, then registry order
	for i := range want {
		if got[i] != want[i] {
			t.Fatalf("dispatch order %v, want %v", got, want)
		}
	}
}

// TestVerifyTableSaysHowSure: the sheet status column, a domain footnote
// per row, α on Monte Carlo rows only, the legend, whole statements under
// --wide, rows in registry order in a pipe, and the JSON's matching fields.
func TestVerifyTableSaysHowSure(t *testing.T) {
	var out, errb bytes.Buffer
	if err := cmdVerify([]string{"verify", "--claims", "L3,CL2,A1", "--checks", "100", "--seed", "3", "--wide"}[1:], &out, &errb); err != nil {
		t.Fatalf("%v\n%s%s", err, out.String(), errb.String())
	}
	text := out.String()
	for _, want := range []string{"  S  ", "domain: N 2..6", "S: the claim sheet's status (docs/claims.md", "α: Monte Carlo rows only",
		"slack (PASS rows only, ≥ 0", " p  ", "(the sheet's U alternative, the stronger claim)"} {
		if !strings.Contains(text, want) {
			t.Errorf("table lacks %q:\n%s", want, text)
		}
	}
	a, c, l := strings.Index(text, "\nA1 "), strings.Index(text, "\nCL2 "), strings.Index(text, "\nL3 ")
	if !(a >= 0 && a < c && c < l) {
		t.Errorf("rows not in registry order (A1 %d, CL2 %d, L3 %d):\n%s", a, c, l, text)
	}
	for _, line := range strings.Split(text, "\n") {
		f := strings.Fields(line)
		if len(f) > 8 && (f[0] == "A1" || f[0] == "L3") && f[7] != "—" {
			t.Errorf("deterministic row with an α: %q", line)
		}
		if len(f) > 8 && f[0] == "CL2" && f[7] == "—" {
			t.Errorf("Monte Carlo row without α: %q", line)
		}
	}
	out.Reset()
	if err := cmdVerify([]string{"--claims", "L3,CL2", "--checks", "100", "--seed", "3", "--json"}, &out, &errb); err != nil {
		t.Fatal(err)
	}
	var rep struct {
		Results []struct {
			ID, Kind, Domain string
			Status           string   `json:"sheet_status"`
			SlackUnit        string   `json:"slack_unit"`
			Alpha            *float64 `json:"alpha"`
		} `json:"results"`
	}
	if err := json.Unmarshal(out.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	for _, r := range rep.Results {
		if r.Status == "" || (r.Kind == "monte-carlo") != (r.Alpha != nil) || (r.Kind == "monte-carlo") != (r.SlackUnit == "probability") || (r.ID == "L3" && r.Domain == "") {
			t.Errorf("JSON row %+v: want a status, α exactly on monte-carlo rows, and L3's domain", r)
		}
	}
	if err := cmdVerify([]string{"--claims", "CL5"}, &out, &errb); err == nil || !strings.Contains(err.Error(), "dlnverify falsify --searches drop-margin") {
		t.Errorf("--claims CL5 should point to falsify, got %v", err)
	}
}
