package main

import (
	"encoding/json"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"runtime"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/dlnverify/dlnverify/counterexamples"
	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// defaultChecks is the embedded budget of `dlnverify verify` without
// flags: rapid checks per property. It is chosen so that the default run
// of the whole registry finishes in under 2 minutes on 2 cores (docs/cli.md
// records the measurement).
const defaultChecks = 100

// statementWidth is where the table cuts a statement (JSON has it whole).
const statementWidth = 64

// verifyRow is one property's outcome in the JSON report.
type verifyRow struct {
	ID        string `json:"id"`
	Name      string `json:"name"`
	Test      string `json:"test"` // Test<ID>_<Name>, the go test name
	Statement string `json:"statement"`
	Status    string `json:"sheet_status"` // CLAIMS.md confidence: V, S, R, U
	Kind      string `json:"kind"`         // "deterministic" or "monte-carlo" (proofs.Kind)
	Domain    string `json:"domain"`       // the sampled domain, as registered
	// Alpha is the one-sided Clopper–Pearson error level of each assertion
	// of a Monte Carlo row (confidence 1 − α); null for deterministic rows.
	Alpha    *float64 `json:"alpha"`
	Tried    int      `json:"tried"`
	Valid    int      `json:"valid"`
	MinValid int      `json:"min_valid"`
	// WorstSlack is the smallest slack of a passing row; null when the row
	// failed (a failing case's margin is not always recorded, and the
	// passing cases' margin would misstate it) or none was recorded.
	WorstSlack *float64 `json:"worst_slack"`
	// SlackUnit says what worst_slack measures: "relative" (deterministic
	// rows: (bound − observed)/bound) or "probability" (Monte Carlo rows:
	// confidence bound − claimed probability).
	SlackUnit string  `json:"slack_unit"`
	Passed    bool    `json:"passed"`
	Failure   string  `json:"failure,omitempty"`
	Seconds   float64 `json:"seconds"`
}

// verifyReport is the JSON report of verify.
type verifyReport struct {
	Seed   uint64   `json:"seed"`
	Checks int      `json:"checks"`
	Short  bool     `json:"short"`
	Impl   string   `json:"impl"`
	Claims []string `json:"claims"` // claim IDs covered by this run
	// Elsewhere lists the claims that verify does not run, each with the
	// command that checks it (counterexample constructions: falsify).
	Elsewhere []elsewhere `json:"elsewhere"`
	Passed    bool        `json:"passed"`
	Failed    int         `json:"failed"`
	Seconds   float64     `json:"seconds"`
	Results   []verifyRow `json:"results"`
	Core      coreResult  `json:"core"` // the core self-check (core.go), run before the claims
}

func cmdVerify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("verify", "verify [--checks N] [--seed S] [--claims T1,L1,…] [--short] [--json] [--list]")
	checks := fs.Int("checks", defaultChecks, "rapid checks per property (rapid's -rapid.checks)")
	seed := fs.Uint64("seed", 0, "rapid seed; 0 picks a random one (always printed, to replay a failure)")
	claimsS := fs.String("claims", "", "comma-separated claim IDs to run (default: all registered)")
	short := fs.Bool("short", false, "short mode: rapid runs checks/5 cases and properties take their short budgets")
	asJSON := fs.Bool("json", false, "print the report as JSON")
	list := fs.Bool("list", false, "list the registered claim checks and exit")
	wide := fs.Bool("wide", false, "print whole statements (the table cuts them at 64 characters otherwise)")
	// The default is the fast stepper: the claims are statements about GD,
	// not about an implementation, and model.Fast is differential-tested
	// against model.Reference in `go test` (model/fast_test.go). With it the
	// full-horizon T1 check costs ~4 s instead of ~60 s, which keeps the
	// default run well inside its 2-minute budget on 2 cores.
	implName := fs.String("impl", defaultImpl, implUsage(true))
	jobs := fs.Int("jobs", defaultJobs(), "properties run at the same time; the default is min(2, GOMAXPROCS)")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if *checks < 1 || *checks > 1_000_000 {
		return fmt.Errorf("--checks = %d must be in [1, 1000000]", *checks)
	}
	if *jobs < 1 || *jobs > 64 {
		return fmt.Errorf("--jobs = %d must be in [1, 64]", *jobs)
	}
	impl, err := stepperByName(*implName)
	if err != nil {
		return err
	}
	// Each property gets its own stepper value (runProperties); this one
	// validated the name (an external peer answered the handshake).
	closeStepper(impl)
	props, err := selectProperties(*claimsS)
	if err != nil {
		return err
	}
	if *list {
		for _, p := range props {
			fmt.Fprintf(stdout, "%-5s %-28s [%s] %s\n", p.ID, p.Name, p.Status, p.Statement)
		}
		return nil
	}
	if len(props) == 0 {
		fmt.Fprintln(stderr, "dlnverify verify: no claim checks are registered in package proofs_test; nothing was verified")
		return exitStatus(1)
	}
	// rapid runs checks/5 cases in short mode (and always under `go test
	// -short`); a budget below a property's MinValid could only fail it as
	// vacuous, so it is an inconsistent request.
	eff := *checks
	if *short || rapidtb.Short() {
		eff /= 5
	}
	for _, p := range props {
		if eff < p.MinValid {
			need := p.MinValid
			if eff != *checks {
				need *= 5
			}
			return fmt.Errorf("--checks %d gives %d cases per property, below the %d valid cases %s_%s needs to count; use --checks ≥ %d",
				*checks, eff, p.MinValid, p.ID, p.Name, need)
		}
	}
	if *seed == 0 {
		*seed = rand.Uint64()>>1 | 1 // non-zero, and within int64 for easy copying
	}
	restore, err := setRapidFlags(*checks, *seed, *short)
	if err != nil {
		return err
	}
	defer restore()

	rep := verifyReport{Seed: *seed, Checks: *checks, Short: *short, Impl: impl.Name(), Claims: claimIDs(props), Passed: true}
	if strings.TrimSpace(*claimsS) == "" {
		rep.Elsewhere = claimsElsewhere()
	}
	rep.Core = runCore(*seed)
	rep.Passed = rep.Core.Passed
	var tw *tableWriter
	if !*asJSON {
		fmt.Fprintf(stdout, "dlnverify verify: %d claim checks (%s), impl %s, %d rapid checks each%s, seed %d\n",
			len(props), strings.Join(rep.Claims, " "), impl.Name(), *checks, map[bool]string{true: " (short: ÷5)", false: ""}[*short], *seed)
		fmt.Fprintln(stdout, rep.Core.text())
		tw = newTableWriter(stdout, props, *wide)
		tw.header()
	}
	start := time.Now()
	tty := tw != nil && isTerminal(stdout)
	stop := make(chan struct{})
	defer close(stop)
	slots, finished := runProperties(props, *implName, *jobs, stop)
	// On a terminal a row is printed as soon as its property finishes; in
	// a pipe or file the rows come in registry order, each as soon as every
	// row before it is done (a stable order for diffs).
	rows := make([]*verifyRow, len(props))
	printed := 0
	for n := range len(props) {
		i := n
		if tty {
			fmt.Fprintf(stdout, "\r… %d/%d properties done", n, len(props))
			i = <-finished
		}
		o := <-slots[i]
		if tty {
			fmt.Fprint(stdout, "\r\033[K")
		}
		if o.fault != nil { // an external peer failed: not a verdict on a claim
			return fmt.Errorf("%s_%s: %w", o.ID, o.Name, o.fault)
		}
		p := props[i]
		row := verifyRow{ID: o.ID, Name: o.Name, Test: "Test" + o.ID + "_" + o.Name, Statement: o.Statement, Status: o.status,
			Kind: p.Kind.String(), Domain: p.Domain,
			Tried: o.Tried, Valid: o.Valid, MinValid: o.MinValid, WorstSlack: passingSlack(o.Outcome), Passed: o.Passed,
			Failure: o.Failure, Seconds: o.Elapsed.Seconds()}
		row.SlackUnit = "relative"
		if p.Kind == proofs.MonteCarlo {
			a := proofs.ProbAlpha()
			row.Alpha = &a
			row.SlackUnit = "probability"
		}
		rows[i] = &row
		if !row.Passed {
			rep.Passed = false
			rep.Failed++
		}
		if tw != nil && tty {
			tw.row(row)
		}
		for tw != nil && !tty && printed < len(rows) && rows[printed] != nil {
			tw.row(*rows[printed])
			printed++
		}
	}
	for _, r := range rows {
		rep.Results = append(rep.Results, *r)
	}
	rep.Seconds = time.Since(start).Seconds()
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return err
		}
	} else {
		for _, r := range rep.Results {
			if r.Passed {
				continue
			}
			fmt.Fprintf(stdout, "\nFAIL %s (%s): %s\n", r.ID, r.Test, r.Statement)
			for _, l := range strings.Split(strings.TrimRight(r.Failure, "\n"), "\n") {
				fmt.Fprintf(stdout, "    %s\n", l)
			}
			extra := ""
			if *short {
				extra += " --short"
			}
			extra += " --impl " + shellQuote(*implName)
			fmt.Fprintf(stdout, "    replay: dlnverify verify --claims %s --seed %d --checks %d%s\n", r.ID, *seed, *checks, extra)
		}
		if !rep.Core.Passed {
			fmt.Fprintf(stdout, "\nFAIL core self-check: %s\n    replay: dlnverify verify --seed %d (or go test ./internal/selfcheck/)\n", rep.Core.Detail, *seed)
		}
		tw.legend(rep.Elsewhere)
		fmt.Fprintf(stdout, "\n%d passed, %d failed of %d checks in %.1fs; seed %d\n",
			len(rep.Results)-rep.Failed, rep.Failed, len(rep.Results), rep.Seconds, *seed)
	}
	if !rep.Passed {
		return exitStatus(1)
	}
	return nil
}

// defaultJobs is min(2, GOMAXPROCS): the default budget is sized for 2 cores.
func defaultJobs() int { return min(2, runtime.GOMAXPROCS(0)) }

// outcome is a property's outcome with its sheet status, or the fault of
// the external peer that ran it.
type outcome struct {
	proofs.Outcome
	status string
	fault  error
}

// runProperties runs props on up to jobs goroutines, each property with
// its own stepper value (a stepper may cache workspaces), and returns one
// channel per property, in the order of props, that receives its outcome:
// reading them in order streams the table. An external stepper is
// started per property and closed after it; closing stop ends the
// dispatch and the peers still running (their steps then fail at once).
func runProperties(props []proofs.Property, implName string, jobs int, stop <-chan struct{}) (slots []chan outcome, finished chan int) {
	slots = make([]chan outcome, len(props))
	finished = make(chan int, len(props)) // indices, in the order the properties finish
	for i := range slots {
		slots[i] = make(chan outcome, 1)
	}
	next := make(chan int)
	go func() {
		defer close(next)
		for _, i := range dispatchOrder(props) {
			select {
			case next <- i:
			case <-stop:
				return
			}
		}
	}()
	var mu sync.Mutex
	live := map[model.Stepper]bool{}
	go func() {
		<-stop
		mu.Lock()
		defer mu.Unlock()
		for s := range live {
			closeStepper(s)
		}
		live = nil
	}()
	for w := 0; w < min(jobs, len(props)); w++ {
		go func() {
			for i := range next {
				impl, err := stepperByName(implName) // validated by the caller; an exec: peer may still fail to start
				if err != nil {
					slots[i] <- outcome{Outcome: proofs.Outcome{ID: props[i].ID, Name: props[i].Name}, fault: err}
					finished <- i
					continue
				}
				mu.Lock()
				if live == nil { // stopped
					mu.Unlock()
					closeStepper(impl)
					return
				}
				live[impl] = true
				mu.Unlock()
				o := outcome{Outcome: verifyOne(props[i], impl), status: props[i].Status, fault: peerFault(impl)}
				mu.Lock()
				if live != nil {
					delete(live, impl)
				}
				mu.Unlock()
				closeStepper(impl)
				slots[i] <- o
				finished <- i
			}
		}()
	}
	return slots, finished
}

// costHint is the measured CPU time, in seconds at 100 checks with the
// default (fast) stepper, of the properties that dominate the default run
// (docs/cli.md's example: L2 25 s, L1 10 s, T1 9 s). Starting the longest
// first shortens the wall time on 2 workers; properties not listed count
// as cheap. A stale entry only changes the order.
var costHint = map[string]float64{
	"TestL2_InvariantsEveryStep": 25,
	"TestL1_DescentEveryStep":    10,
	"TestT1_FullHorizon":         9,
}

// dispatchOrder returns the indices of props: the most expensive one by
// costHint first (the critical path: T1 alone takes most of the wall
// time), then the others in registry order, so that the rows printed in
// registry order come out steadily while it runs.
func dispatchOrder(props []proofs.Property) []int {
	first := -1
	for i, p := range props {
		if c := costHint[p.TestName()]; c > 0 && (first < 0 || c > costHint[props[first].TestName()]) {
			first = i
		}
	}
	order := make([]int, 0, len(props))
	if first >= 0 {
		order = append(order, first)
	}
	for i := range props {
		if i != first {
			order = append(order, i)
		}
	}
	return order
}

// verifyOne runs one property; a panic escaping it becomes a failure of
// that property, not of the command.
func verifyOne(p proofs.Property, impl model.Stepper) (o proofs.Outcome) {
	defer func() {
		if r := recover(); r != nil {
			o = proofs.Outcome{ID: p.ID, Name: p.Name, Statement: p.Statement, Impl: impl.Name(), MinValid: p.MinValid,
				WorstSlack: math.NaN(), Failure: fmt.Sprintf("panic outside rapid: %v", r)}
		}
	}()
	return proofs.Verify(p, impl)
}

// selectProperties returns the registered properties, or those whose claim
// ID is listed in claims (comma-separated, case-insensitive); an ID with no
// property is an error.
func selectProperties(claims string) ([]proofs.Property, error) {
	all := proofs.All()
	if strings.TrimSpace(claims) == "" {
		return all, nil
	}
	want := map[string]bool{}
	for _, c := range strings.Split(claims, ",") {
		c = strings.ToUpper(strings.TrimSpace(c))
		if c == "" {
			return nil, fmt.Errorf("--claims %q has an empty entry", claims)
		}
		want[c] = true
	}
	var out []proofs.Property
	seen := map[string]bool{}
	for _, p := range all {
		if want[strings.ToUpper(p.ID)] {
			out = append(out, p)
			seen[strings.ToUpper(p.ID)] = true
		}
	}
	var missing []string
	for c := range want {
		if !seen[c] {
			missing = append(missing, c)
		}
	}
	if len(missing) > 0 {
		sort.Strings(missing)
		var hints []string
		for _, e := range claimsElsewhere() {
			for _, m := range missing {
				if m == strings.ToUpper(e.ID) {
					hints = append(hints, fmt.Sprintf("%s is %s: run `%s`", e.ID, e.What, e.Command))
				}
			}
		}
		if len(hints) > 0 {
			return nil, fmt.Errorf("--claims: %s", strings.Join(hints, "; "))
		}
		have := claimIDs(all)
		if len(have) == 0 {
			have = []string{"none registered"}
		}
		return nil, fmt.Errorf("--claims: no check for %s (registered: %s)", strings.Join(missing, ", "), strings.Join(have, ", "))
	}
	return out, nil
}

func claimIDs(props []proofs.Property) []string {
	var ids []string
	seen := map[string]bool{}
	for _, p := range props {
		if !seen[p.ID] {
			seen[p.ID] = true
			ids = append(ids, p.ID)
		}
	}
	return ids
}

// setRapidFlags makes checks, seed and short mode (on top of `go test
// -short`, when under test) rapid's settings for this run, with fail files
// disabled, through rapidtb (the one owner of rapid's settings), before any
// worker starts; it returns the function restoring the previous settings.
func setRapidFlags(checks int, seed uint64, short bool) (func(), error) {
	s := rapidtb.Current()
	s.Checks, s.Seed, s.NoFailFile = checks, seed, true
	s.Short = s.Short || short
	return rapidtb.Set(s)
}

// tableWriter prints the verify table row by row, so a long run shows
// progress; column widths come from the property list. Each row is
// followed by its sampled domain (a footnote line), and the legend closes
// the table.
type tableWriter struct {
	w            io.Writer
	idW, nameW   int
	statementCut int // 0: whole statements (--wide)
}

func newTableWriter(w io.Writer, props []proofs.Property, wide bool) *tableWriter {
	t := &tableWriter{w: w, idW: len("ID"), nameW: len("check"), statementCut: statementWidth}
	if wide {
		t.statementCut = 0
	}
	for _, p := range props {
		t.idW = max(t.idW, len(p.ID))
		t.nameW = max(t.nameW, len(p.Name))
	}
	return t
}

func (t *tableWriter) header() {
	fmt.Fprintf(t.w, "%-*s  %-*s  %s  %6s  %6s  %-6s  %9s  %7s  %8s  %s\n", t.idW, "ID", t.nameW, "check", "S",
		"tried", "valid", "result", "slack", "α", "time", "statement")
}

func (t *tableWriter) row(r verifyRow) {
	res := "PASS"
	if !r.Passed {
		res = "FAIL"
	}
	slack := "—"
	if r.WorstSlack != nil {
		slack = fmt.Sprintf("%.3g", *r.WorstSlack)
		if r.SlackUnit == "probability" {
			slack += " p"
		}
	}
	alpha := "—"
	if r.Alpha != nil {
		alpha = fmt.Sprintf("%.0e", *r.Alpha)
	}
	st := strings.Join(strings.Fields(r.Statement), " ")
	if t.statementCut > 0 {
		st = strings.TrimRight(padRunes(st, t.statementCut), " ")
	}
	fmt.Fprintf(t.w, "%-*s  %-*s  %s  %6d  %6d  %-6s  %9s  %7s  %7.1fs  %s\n", t.idW, r.ID, t.nameW, r.Name, r.Status,
		r.Tried, r.Valid, res, slack, alpha, r.Seconds, st)
	domain := r.Domain
	if domain == "" && r.Kind == proofs.MonteCarlo.String() {
		domain = "Monte Carlo batches of the law in the statement"
	}
	if domain != "" {
		fmt.Fprintf(t.w, "%-*s  %s\n", t.idW, "", "  domain: "+domain)
	}
}

// passingSlack is a row's worst slack: defined only when the row passed
// and recorded a finite one (nil otherwise: — in text, null in JSON).
func passingSlack(o proofs.Outcome) *float64 {
	if !o.Passed || math.IsInf(o.WorstSlack, 0) || math.IsNaN(o.WorstSlack) {
		return nil
	}
	ws := o.WorstSlack
	return &ws
}

// legend explains the columns and names the claims verify does not run.
func (t *tableWriter) legend(elsewhere []elsewhere) {
	fmt.Fprintln(t.w, "\nS: the claim sheet's status (docs/claims.md; V read in the paper, S secondary source, R reconstructed, U unknown detail).")
	fmt.Fprintln(t.w, "tried/valid: rapid cases drawn / cases that met the claim's hypotheses (a row needs its minimum of valid ones).")
	fmt.Fprintln(t.w, "slack (PASS rows only, ≥ 0; — on FAIL rows and when none was recorded): deterministic rows, the smallest relative margin")
	fmt.Fprintln(t.w, "  (bound − observed)/bound (F1, G2: the margin to the required order / ratio band, also relative);")
	fmt.Fprintln(t.w, "  Monte Carlo rows, marked p, the smallest confidence bound − claimed probability, in probability units.")
	fmt.Fprintln(t.w, "α: Monte Carlo rows only: one-sided Clopper–Pearson error of each assertion (confidence 1 − α); — deterministic.")
	for _, e := range elsewhere {
		fmt.Fprintf(t.w, "%s: not run by verify (%s): %s\n", e.ID, e.What, e.Command)
	}
}

// elsewhere is a claim that verify does not run, and where it is checked.
type elsewhere struct {
	ID      string `json:"id"`
	What    string `json:"what"`
	Command string `json:"command"`
}

// claimsElsewhere lists the claims realised by a falsification search
// (counterexamples.Search.Claim) that have no property in verify's
// registry: derived from the two registries, so neither keeps a list.
func claimsElsewhere() []elsewhere {
	have := map[string]bool{}
	for _, p := range proofs.All() {
		have[p.ID] = true
	}
	var out []elsewhere
	for _, s := range counterexamples.Searches() {
		if have[s.Claim] {
			continue
		}
		have[s.Claim] = true
		out = append(out, elsewhere{ID: s.Claim, What: "a counterexample construction; go test ./counterexamples runs it as a rapid property",
			Command: "dlnverify falsify --searches " + s.Name})
	}
	return out
}

// padRunes cuts s to n runes (ending in "…" when cut) and pads it to n.
func padRunes(s string, n int) string {
	rs := []rune(strings.Join(strings.Fields(s), " "))
	if len(rs) > n {
		rs = append(rs[:n-1], '…')
	}
	return string(rs) + strings.Repeat(" ", n-len(rs))
}
