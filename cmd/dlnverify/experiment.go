package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strings"
	"time"

	"github.com/dlnverify/dlnverify/internal/experiment"
)

// experimentAvailable reports whether internal/experiment is wired in.
const experimentAvailable = true

// cmdExperiment runs `dlnverify experiment fig1|tightness [flags]`: the
// flags are parsed here, the work is internal/experiment's.
func cmdExperiment(args []string, stdout, stderr io.Writer) error {
	return trimExperimentPrefix(experimentSub(args, stdout, stderr))
}

// trimExperimentPrefix drops the "experiment: " that internal/experiment's
// errors begin with: the command line already prints "dlnverify
// experiment: " before them. The error chain is kept.
func trimExperimentPrefix(err error) error {
	if err == nil || !strings.HasPrefix(err.Error(), "experiment: ") {
		return err
	}
	return trimmedError{strings.TrimPrefix(err.Error(), "experiment: "), err}
}

type trimmedError struct {
	msg string
	err error
}

func (e trimmedError) Error() string { return e.msg }
func (e trimmedError) Unwrap() error { return e.err }

func experimentSub(args []string, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		return fmt.Errorf("need a subcommand: fig1 or tightness")
	}
	switch args[0] {
	case "fig1":
		return cmdFig1(args[1:], stdout, stderr)
	case "tightness":
		return cmdTightness(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: dlnverify experiment fig1|tightness [flags]; see -h of each")
		return errHelp
	}
	return fmt.Errorf("unknown subcommand %q (want fig1 or tightness)", args[0])
}

// implFlag defines --impl (default fast) and the hidden --stepper, the
// experiment's former name for it, which still works but prints a one-line
// notice on stderr.
func implFlag(fs *flagSet, stderr io.Writer) *string {
	impl := fs.String("impl", defaultImpl, implUsage(false))
	fs.Func("stepper", "deprecated: use --impl", func(s string) error {
		fmt.Fprintf(stderr, "dlnverify %s: --stepper is deprecated; use --impl %s\n", fs.Name(), s)
		*impl = s
		return nil
	})
	fs.hide("stepper")
	return impl
}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

func cmdFig1(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment fig1", "experiment fig1 [--quick] [--out DIR] [--data FILE [--label COL]] [--depths 3,8] [--impl fast] [flags]")
	out := fs.String("out", ".", "output directory")
	quick := fs.Bool("quick", false, "reduced grid (CI): 9 stds in [1e-6, 10], 5 η, cap 1e5")
	seed := fs.Uint64("seed", 1, "random seed; results depend on it only, not on --workers")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel grid points")
	data := addDataFlags(fs, false) // E1 scales the labels to ‖Φ‖_F = 1 always
	fs.Func("csv", "deprecated: use --data", func(s string) error {
		fmt.Fprintf(stderr, "dlnverify experiment fig1: --csv is deprecated; use --data %s\n", s)
		*data.path = s
		return nil
	})
	fs.hide("csv")
	depths := fs.String("depths", "3,8", "depths N")
	width := fs.Int("width", 32, "hidden width")
	d0 := fs.Int("d0", 128, "input dimension of the synthetic unit-norm target (not with --data)")
	eps := fs.Float64("eps", 1e-5, "convergence threshold on the loss (optimum 0)")
	maxIter := fs.Int("max-iter", 0, "iteration cap (default 1e6, 1e5 with --quick)")
	exhaustive := fs.Bool("exhaustive", false, "run every η to the cap or the best count so far: no flow-time pruning, no stall abort")
	impl := implFlag(fs, stderr)
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	cfg := experiment.Fig1Config{Width: *width, Inits: []string{experiment.InitGaussian, experiment.InitBalanced}, Epsilon: *eps, Seed: *seed, Workers: *workers, Exhaustive: *exhaustive}
	var err error
	if cfg.Depths, err = parseInts(*depths); err != nil {
		return fmt.Errorf("--depths: %w", err)
	}
	if cfg.NewStepper, err = stepperFactory(*impl); err != nil {
		return err
	}
	cfg.Stds, cfg.Etas, cfg.MaxIter = experiment.FullStds, experiment.FullEtas, experiment.FullMaxIter
	if *quick {
		cfg.Stds, cfg.Etas, cfg.MaxIter = experiment.QuickStds, experiment.QuickEtas, experiment.QuickMaxIter
	}
	if *maxIter > 0 {
		cfg.MaxIter = *maxIter
	}
	source := "synthetic"
	var report *experiment.DataReport
	withData, err := data.given()
	if err != nil {
		return err
	}
	if withData {
		if fs.wasSet("d0") {
			return fmt.Errorf("--d0 cannot be combined with --data (the data set fixes d_0)")
		}
		dt, err := data.load(true)
		if err != nil {
			return err
		}
		if r, _ := dt.Phi.Dims(); r != 1 {
			return fmt.Errorf("fig1 is scalar regression (d_N = 1), but --data gives %d label columns", r)
		}
		cfg.Phi, report = dt.Phi, &dt.Report
		source = fmt.Sprintf("%s (m=%d, d_0=%d, ‖Λ_yx‖_F=%.4g before scaling, κ=%.4g after)", dt.Report.File, dt.Report.Examples, dt.Report.Rank, dt.Report.LyxNorm, dt.Report.Kappa)
		dt.Report.Print(stdout)
	} else {
		if *d0 < 1 {
			return fmt.Errorf("--d0 must be ≥ 1")
		}
		cfg.Phi = experiment.SyntheticTarget(*d0, *seed)
	}
	if err := cfg.Validate(); err != nil { // before the header: a refused run prints one line
		return err
	}
	if !*quiet {
		cfg.Progress = stderr
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	fmt.Fprintf(stderr, "fig1: target %s; %d points on %d workers (impl %s)\n", source, len(cfg.Depths)*len(cfg.Inits)*len(cfg.Stds), cfg.Workers, *impl)
	res, err := experiment.RunFig1(ctx, cfg)
	if err != nil {
		return err
	}
	res.Source, res.Data = source, report
	trace, err := experiment.RunFig1c(ctx, cfg, res)
	if err != nil {
		return err
	}
	files, err := experiment.WriteFig1(*out, res, trace)
	if err != nil {
		return err
	}
	experiment.PrintFig1Table(stdout, res)
	fmt.Fprintf(stdout, "wall time %s; wrote %s\n", time.Duration(res.Seconds*float64(time.Second)).Round(time.Second), strings.Join(joinPaths(*out, files), ", "))
	return nil
}

func joinPaths(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, f)
	}
	return out
}

func cmdTightness(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("experiment tightness", "experiment tightness [--cases 6] [--budget 200000] [--out DIR] [--impl fast] [flags]")
	out := fs.String("out", ".", "output directory")
	cases := fs.Int("cases", 6, "random cases meeting Theorem 1's hypotheses")
	seed := fs.Uint64("seed", 1, "random seed")
	eps := fs.Float64("eps", 1e-6, "target loss ε of T1's conclusion")
	budget := fs.Int("budget", 200_000, "most GD steps per trial (sets the smallest testable η multiple)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel cases")
	impl := implFlag(fs, stderr)
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	cfg := experiment.TightnessConfig{Cases: *cases, Seed: *seed, Epsilon: *eps, Budget: *budget, Workers: *workers}
	var err error
	if cfg.NewStepper, err = stepperFactory(*impl); err != nil {
		return err
	}
	if err := cfg.Validate(); err != nil {
		return err
	}
	if !*quiet {
		cfg.Progress = func(s string) { fmt.Fprintln(stderr, s) }
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	start := time.Now()
	res, err := experiment.RunTightness(ctx, cfg)
	if err != nil {
		return err
	}
	files, err := experiment.WriteTightness(*out, cfg, res)
	if err != nil {
		return err
	}
	experiment.PrintTightness(stdout, res)
	fmt.Fprintf(stdout, "wall time %s; wrote %s\n", time.Since(start).Round(time.Second), strings.Join(joinPaths(*out, files), ", "))
	return nil
}
