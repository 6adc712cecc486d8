// Command dlnverify checks the claims of Arora, Cohen, Golowich & Hu,
// "A Convergence Analysis of Gradient Descent for Deep Linear Neural
// Networks" (ICLR 2019), outside `go test`, and lets a user study any
// configuration.
//
// Subcommands:
//
//	verify      run the claim checks (proofs.All) through rapid and print a table
//	train       run GD (or gradient flow) on one configuration; --json, --plot
//	bounds      Theorem 1's δ, η bounds and T(ε), R1's residual condition
//	falsify     run the counterexamples package's dropped-hypothesis searches
//	experiment  the Section 4 experiment (package internal/experiment)
//	help        print usage
//
// Conventions follow the paper and the rest of the module: x ↦ W_N⋯W_1 x,
// W_j ∈ R^{d_j×d_{j−1}}, layers numbered from 1, Φ is d_N×d_0, and the loss
// is ½‖W_{1:N} − Φ‖_F².
//
// Exit status: 0 success; 1 a check failed (verify) or a counterexample
// search did not find what it should (falsify); 2 a usage or input error
// (unknown flag or subcommand, malformed or inconsistent configuration,
// unreadable file), always reported as one line on stderr.
//
// main only calls run, so every subcommand is testable in-process.
package main

import (
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"strings"

	"github.com/dlnverify/dlnverify/internal/report"
)

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

// exitStatus is returned by a subcommand that has already reported its
// outcome and only needs a non-zero exit status (for example a failed
// verification).
type exitStatus int

func (e exitStatus) Error() string { return fmt.Sprintf("exit status %d", int(e)) }

// errHelp is returned when -h/--help was asked for and usage was printed.
var errHelp = errors.New("help requested")

type command struct {
	name    string
	summary string
	run     func(args []string, stdout, stderr io.Writer) error
}

// extraCommands lets tests add commands (for example one that panics, to
// check that run recovers).
var extraCommands []command

func commands() []command {
	return append([]command{
		{"verify", "run the claim checks through rapid and print a table (the main job)", cmdVerify},
		{"train", "train one configuration with GD (or gradient flow) and report T1's hypotheses", cmdTrain},
		{"bounds", "print Theorem 1's δ, η bounds and T(ε), and R1's residual condition", cmdBounds},
		{"falsify", "run the dropped-hypothesis searches and print shrunk counterexamples", cmdFalsify},
		{"experiment", "the paper's Section 4 experiment (Figure 1)", cmdExperiment},
		{"help", "print this help, or a subcommand's with `help <subcommand>`", nil},
	}, extraCommands...)
}

// run is the whole command: it returns the exit status. A panic (a bug)
// is turned into one error line and exit status 2, never a stack trace.
func run(args []string, stdout, stderr io.Writer) (code int) {
	defer func() {
		if p := recover(); p != nil {
			fmt.Fprintf(stderr, "dlnverify: internal error: %s\n", oneLine(fmt.Sprint(p)))
			code = 2
		}
	}()
	if len(args) == 0 {
		fmt.Fprintf(stderr, "dlnverify: missing subcommand (%s; try: dlnverify help)\n", commandNames())
		return 2
	}
	name, rest := args[0], args[1:]
	switch name {
	case "help", "-h", "-help", "--help":
		if len(rest) == 0 {
			usage(stdout)
			return 0
		}
		for _, c := range commands() {
			if c.name == rest[0] && c.run != nil {
				return finish(c.name, c.run([]string{"-h"}, stdout, stderr), stderr)
			}
		}
		fmt.Fprintf(stderr, "dlnverify help: unknown subcommand %q (try: dlnverify help)\n", rest[0])
		return 2
	}
	for _, c := range commands() {
		if c.name == name && c.run != nil {
			return finish(c.name, c.run(rest, stdout, stderr), stderr)
		}
	}
	fmt.Fprintf(stderr, "dlnverify: unknown subcommand %q (subcommands: %s; try: dlnverify help)\n", name, commandNames())
	return 2
}

// finish maps a subcommand's error to an exit status, printing other
// errors as one line on stderr.
func finish(name string, err error, stderr io.Writer) int {
	var st exitStatus
	switch {
	case err == nil, errors.Is(err, errHelp):
		return 0
	case errors.As(err, &st):
		return int(st)
	}
	fmt.Fprintf(stderr, "dlnverify %s: %s\n", name, oneLine(err.Error()))
	return 2
}

func commandNames() string {
	var names []string
	for _, c := range commands() {
		names = append(names, c.name)
	}
	return strings.Join(names, ", ")
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "dlnverify checks the claims of Arora, Cohen, Golowich & Hu (ICLR 2019) on deep linear networks.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "usage: dlnverify <subcommand> [flags]")
	fmt.Fprintln(w)
	for _, c := range commands() {
		fmt.Fprintf(w, "  %-11s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "`dlnverify <subcommand> -h` lists a subcommand's flags. Exit status: 0 ok, 1 a check failed, 2 usage or input error.")
}

// oneLine folds a multi-line message into one line (report.OneLine).
func oneLine(s string) string { return report.OneLine(s) }

// flagSet is a flag.FlagSet that reports errors instead of exiting,
// prints nothing by itself, and knows its subcommand's synopsis for -h.
type flagSet struct {
	*flag.FlagSet
	synopsis string
	hidden   map[string]bool // deprecated aliases: accepted, not listed by -h
}

func newFlags(name, synopsis string) *flagSet {
	fs := flag.NewFlagSet(name, flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	fs.Usage = func() {}
	return &flagSet{fs, synopsis, map[string]bool{}}
}

// hide keeps a defined flag out of -h's listing.
func (fs *flagSet) hide(name string) { fs.hidden[name] = true }

// parse parses args; -h prints the subcommand's usage on stdout and
// returns errHelp; a positional argument is an error.
func (fs *flagSet) parse(args []string, stdout io.Writer) error {
	err := fs.Parse(args)
	if errors.Is(err, flag.ErrHelp) {
		fmt.Fprintf(stdout, "usage: dlnverify %s\n\n", fs.synopsis)
		shown := flag.NewFlagSet(fs.Name(), flag.ContinueOnError)
		fs.VisitAll(func(f *flag.Flag) {
			if !fs.hidden[f.Name] {
				shown.Var(f.Value, f.Name, f.Usage)
				shown.Lookup(f.Name).DefValue = f.DefValue
			}
		})
		shown.SetOutput(stdout)
		shown.PrintDefaults()
		return errHelp
	}
	if err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (flags only; see dlnverify %s -h)", fs.Arg(0), fs.Name())
	}
	return nil
}

// flagWasSet reports whether the named flag appeared on the command line.
func (fs *flagSet) wasSet(name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) {
		if f.Name == name {
			set = true
		}
	})
	return set
}
