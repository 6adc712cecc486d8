package main

import (
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/dlnverify/dlnverify/counterexamples"
)

// defaultFalsifyChecks is rapid's number of cases per search before it
// gives up; every search normally finds a counterexample within its first
// few cases, so this bounds only the control (no-counterexample) runs.
const defaultFalsifyChecks = 100

// falsifyRow is one search's result in the JSON report.
type falsifyRow struct {
	Search     string                     `json:"search"`
	Hypothesis counterexamples.Hypothesis `json:"hypothesis"`
	Claim      string                     `json:"claim"`
	Kept       string                     `json:"kept"`
	Budget     string                     `json:"budget"`
	// Expected is what this run expects: a counterexample, or none under
	// --control.
	Expected string                 `json:"expected"` // "counterexample" or "none"
	Found    *counterexamples.Found `json:"found,omitempty"`
	Passed   bool                   `json:"passed"`
	Error    string                 `json:"error,omitempty"`
	Config   string                 `json:"train_config,omitempty"` // file written with --out
	Seconds  float64                `json:"seconds"`
}

type falsifyReport struct {
	Seed    uint64       `json:"seed"`
	Checks  int          `json:"checks"`
	Control bool         `json:"control"`
	Impl    string       `json:"impl"`
	Passed  bool         `json:"passed"`
	Results []falsifyRow `json:"results"`
}

func cmdFalsify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("falsify", "falsify [--searches drop-balance,…] [--seed S] [--checks N] [--control] [--out DIR] [--json]")
	names := fs.String("searches", "", "comma-separated searches to run (default: all; see --list)")
	seed := fs.Uint64("seed", 0, "rapid seed; 0 picks a random one (always printed)")
	checks := fs.Int("checks", defaultFalsifyChecks, "rapid cases per search before giving up")
	control := fs.Bool("control", false, "negative control: restore the dropped hypothesis and expect NO counterexample")
	outDir := fs.String("out", "", "write each shrunk counterexample to `DIR` as <search>.case.json and as a train --config file <search>.train.json")
	implName := fs.String("impl", defaultImpl, implUsage(true))
	asJSON := fs.Bool("json", false, "print the report as JSON")
	list := fs.Bool("list", false, "list the searches and exit")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if *checks < 1 || *checks > 100_000 {
		return fmt.Errorf("--checks = %d must be in [1, 100000]", *checks)
	}
	impl, err := stepperByName(*implName)
	if err != nil {
		return err
	}
	defer closeStepper(impl)
	searches := counterexamples.Searches()
	if strings.TrimSpace(*names) != "" {
		searches = nil
		for _, n := range strings.Split(*names, ",") {
			s, err := counterexamples.LookupSearch(strings.TrimSpace(n))
			if err != nil {
				return fmt.Errorf("--searches: %w", err)
			}
			searches = append(searches, s)
		}
	}
	if *list {
		for _, s := range searches {
			fmt.Fprintf(stdout, "%-13s drops %-18s realises %-4s %s\n    kept: %s\n", s.Name, s.Hypothesis, s.Claim, s.Budget, s.Kept)
		}
		return nil
	}
	if *outDir != "" {
		if err := os.MkdirAll(*outDir, 0o755); err != nil {
			return fmt.Errorf("--out: %w", err)
		}
	}
	if *seed == 0 {
		*seed = rand.Uint64()>>1 | 1
	}
	restore, err := setRapidFlags(*checks, *seed, false)
	if err != nil {
		return err
	}
	defer restore()

	rep := falsifyReport{Seed: *seed, Checks: *checks, Control: *control, Impl: impl.Name(), Passed: true}
	if !*asJSON {
		what := "expecting a shrunk counterexample from each"
		if *control {
			what = "negative control: hypotheses restored, expecting no counterexample"
		}
		fmt.Fprintf(stdout, "dlnverify falsify: %d searches, impl %s, up to %d rapid cases each, seed %d; %s\n", len(searches), impl.Name(), *checks, *seed, what)
	}
	for _, s := range searches {
		row := falsifyRow{Search: s.Name, Hypothesis: s.Hypothesis, Claim: s.Claim, Kept: s.Kept, Budget: s.Budget, Expected: "counterexample"}
		if *control {
			row.Expected = "none"
		}
		start := time.Now()
		f, err := s.Run(counterexamples.Options{Impl: impl, Control: *control})
		row.Seconds = time.Since(start).Seconds()
		if fault := peerFault(impl); fault != nil { // the peer failed: no verdict on the search
			return fmt.Errorf("search %s: %w", s.Name, fault)
		}
		switch {
		case err == nil:
			row.Found = &f
			row.Passed = !*control
			if *outDir != "" {
				if row.Config, err = writeCase(*outDir, s.Name, f.Case, *implName); err != nil {
					return err
				}
			}
		case errors.Is(err, counterexamples.ErrNoCounterexample):
			row.Passed = *control
			row.Error = err.Error()
		default:
			row.Error = err.Error()
		}
		if !row.Passed {
			rep.Passed = false
		}
		rep.Results = append(rep.Results, row)
		if !*asJSON {
			printFalsifyRow(stdout, row, *implName)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(rep); err != nil {
			return fmt.Errorf("encoding the report: %w", err)
		}
	} else {
		ok := 0
		for _, r := range rep.Results {
			if r.Passed {
				ok++
			}
		}
		replay := fmt.Sprintf("dlnverify falsify --seed %d --checks %d", *seed, *checks)
		if fs.wasSet("searches") {
			replay += " --searches " + shellQuote(*names)
		}
		replay += " --impl " + shellQuote(*implName)
		if *control {
			replay += " --control"
		}
		fmt.Fprintf(stdout, "\n%d of %d searches as expected; seed %d (replay: %s)\n", ok, len(rep.Results), *seed, replay)
	}
	if !rep.Passed {
		return exitStatus(1)
	}
	return nil
}

// printFalsifyRow prints one search's result; impl is --impl as the user
// gave it (an exec: peer's command, not its name), quoted for the replay line.
func printFalsifyRow(w io.Writer, r falsifyRow, impl string) {
	res := "as expected"
	if !r.Passed {
		res = "UNEXPECTED"
	}
	fmt.Fprintf(w, "\n== %s (drops %s, realises %s) — %s, %.1fs\n", r.Search, r.Hypothesis, r.Claim, res, r.Seconds)
	fmt.Fprintf(w, "   kept: %s\n   budget: %s\n", r.Kept, r.Budget)
	if r.Found != nil {
		for _, l := range strings.Split(r.Found.String(), "\n") {
			fmt.Fprintf(w, "   %s\n", l)
		}
	}
	if r.Error != "" {
		fmt.Fprintf(w, "   %s\n", oneLine(r.Error))
	}
	if r.Config != "" {
		fmt.Fprintf(w, "   replay: dlnverify train --config %s --impl %s --plot %s\n",
			shellQuote(r.Config), shellQuote(impl), shellQuote(strings.TrimSuffix(r.Config, ".train.json")+".png"))
	}
}

// writeCase saves a shrunk case twice: the package's own JSON
// (counterexamples.LoadCase reads it) and a `train --config` file with the
// same Φ, layers, η, steps, ε and GD implementation, so that `dlnverify
// train` replays it with the arithmetic that showed the failure (a
// certificate resting on an invariant subspace can depend on it: see the
// counterexamples package doc). It returns the train config's path.
func writeCase(dir, name string, c counterexamples.Case, impl string) (string, error) {
	b, err := c.MarshalIndent()
	if err != nil {
		return "", err
	}
	if err := os.WriteFile(filepath.Join(dir, name+".case.json"), b, 0o644); err != nil {
		return "", fmt.Errorf("--out: %w", err)
	}
	steps, eps := c.Steps, c.Epsilon
	cfg := trainConfig{Phi: c.Phi, Layers: c.Layers, Eta: &etaSpec{value: c.Eta}, Steps: &steps, Epsilon: &eps, Impl: &impl}
	tb, err := compactConfig(cfg)
	if err != nil {
		return "", fmt.Errorf("--out: encoding %s: %w", name, err)
	}
	path := filepath.Join(dir, name+".train.json")
	if err := os.WriteFile(path, tb, 0o644); err != nil {
		return "", fmt.Errorf("--out: %w", err)
	}
	return path, nil
}

// compactConfig writes a train config with one top-level field per line
// and each matrix on one line.
func compactConfig(cfg trainConfig) ([]byte, error) {
	fields := []struct {
		name string
		v    any
	}{{"phi", cfg.Phi}, {"layers", cfg.Layers}, {"eta", cfg.Eta}, {"steps", cfg.Steps}, {"epsilon", cfg.Epsilon}, {"impl", cfg.Impl}}
	var b strings.Builder
	b.WriteString("{\n")
	for i, f := range fields {
		v, err := json.Marshal(f.v)
		if err != nil {
			return nil, err
		}
		fmt.Fprintf(&b, "  %q: %s", f.name, v)
		if i < len(fields)-1 {
			b.WriteString(",")
		}
		b.WriteString("\n")
	}
	b.WriteString("}\n")
	return []byte(b.String()), nil
}
