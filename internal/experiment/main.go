package experiment

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/signal"
	"path/filepath"
	"runtime"
	"strconv"
	"strings"
	"time"

	"github.com/dlnverify/dlnverify/model"
)

// Main runs `dlnverify experiment <fig1|tightness> [flags]`. It returns the
// process exit code: 0 on success, 2 on a usage or run error (one line on
// stderr).
func Main(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 {
		fmt.Fprintln(stderr, "dlnverify experiment: need a subcommand: fig1 or tightness")
		return 2
	}
	var err error
	switch args[0] {
	case "fig1":
		err = mainFig1(args[1:], stdout, stderr)
	case "tightness":
		err = mainTightness(args[1:], stdout, stderr)
	case "-h", "-help", "--help", "help":
		fmt.Fprintln(stdout, "usage: dlnverify experiment fig1|tightness [flags]; see -h of each")
		return 0
	default:
		err = fmt.Errorf("unknown subcommand %q (want fig1 or tightness)", args[0])
	}
	if errors.Is(err, flag.ErrHelp) {
		return 0
	}
	if err != nil {
		fmt.Fprintln(stderr, "dlnverify experiment:", oneLine(err.Error()))
		return 2
	}
	return 0
}

func oneLine(s string) string { return strings.ReplaceAll(strings.TrimSpace(s), "\n", "; ") }

func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("bad integer list %q", s)
		}
		out = append(out, v)
	}
	return out, nil
}

func stepperFactory(name string) (func() model.Stepper, error) {
	switch name {
	case "reference":
		return func() model.Stepper { return model.Reference{} }, nil
	case "fast":
		return func() model.Stepper { return model.NewFast() }, nil
	}
	if f := extraSteppers[name]; f != nil {
		return f, nil
	}
	return nil, fmt.Errorf("unknown --stepper %q (want fast or reference)", name)
}

// extraSteppers lets other GD implementations be selected by name.
var extraSteppers = map[string]func() model.Stepper{}

func signalContext() (context.Context, context.CancelFunc) {
	return signal.NotifyContext(context.Background(), os.Interrupt)
}

// QuickStds, FullStds, … are the grids of `fig1` and `fig1 --quick`.
var (
	FullStds  = LogSpace(1e-10, 100, 25) // half-decade steps
	FullEtas  = LogSpace(1e-4, 1, 9)     // half-decade steps
	QuickStds = LogSpace(1e-6, 10, 9)    // 7/8-decade steps
	QuickEtas = LogSpace(1e-4, 1, 5)     // decades
)

// Quick-grid cap: 1e5 instead of the paper's 1e6.
const (
	FullMaxIter  = 1_000_000
	QuickMaxIter = 100_000
)

func mainFig1(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("fig1", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "output directory")
	quick := fs.Bool("quick", false, "reduced grid (CI): 9 stds in [1e-6, 10], 5 η, cap 1e5")
	seed := fs.Uint64("seed", 1, "random seed; results depend on it only, not on --workers")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel grid points")
	dataPath := fs.String("data", "", DataFlagHelp["data"]+"; labels scaled so ‖Φ‖_F = 1 (E1)")
	label := fs.String("label", "", DataFlagHelp["label"])
	reduce := fs.Bool("reduce-rank", false, DataFlagHelp["reduce-rank"])
	depths := fs.String("depths", "3,8", "depths N")
	width := fs.Int("width", 32, "hidden width")
	d0 := fs.Int("d0", 128, "input dimension of the synthetic unit-norm target (not allowed with --data)")
	eps := fs.Float64("eps", 1e-5, "convergence threshold on the loss (optimum 0)")
	maxIter := fs.Int("max-iter", 0, "iteration cap (default 1e6, 1e5 with --quick)")
	exhaustive := fs.Bool("exhaustive", false, "run every η to the cap or the best count so far: no flow-time pruning, no stall abort")
	stepper := fs.String("stepper", "fast", "GD implementation: fast (model.Fast, thin-end order) or reference (model.Reference)")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("fig1: unexpected argument %q", fs.Arg(0))
	}
	cfg := Fig1Config{Width: *width, Inits: []string{InitGaussian, InitBalanced}, Epsilon: *eps, Seed: *seed, Workers: *workers, Exhaustive: *exhaustive}
	var err error
	if cfg.Depths, err = parseInts(*depths); err != nil {
		return err
	}
	if cfg.NewStepper, err = stepperFactory(*stepper); err != nil {
		return err
	}
	cfg.Stds, cfg.Etas, cfg.MaxIter = FullStds, FullEtas, FullMaxIter
	if *quick {
		cfg.Stds, cfg.Etas, cfg.MaxIter = QuickStds, QuickEtas, QuickMaxIter
	}
	if *maxIter > 0 {
		cfg.MaxIter = *maxIter
	}
	source := "synthetic"
	var data *DataReport
	if *dataPath == "" && (isSet(fs, "label") || isSet(fs, "reduce-rank")) {
		return fmt.Errorf("fig1: --label and --reduce-rank need --data")
	}
	if *dataPath != "" {
		if isSet(fs, "d0") {
			return fmt.Errorf("fig1: --d0 cannot be combined with --data (the data set fixes d_0)")
		}
		dt, err := LoadTarget(DataSpec{Path: *dataPath, Label: *label, ReduceRank: *reduce, UnitPhi: true})
		if err != nil {
			return err
		}
		if r, _ := dt.Phi.Dims(); r != 1 {
			return fmt.Errorf("fig1: Figure 1 is scalar regression (d_N = 1), but --data gives %d label columns", r)
		}
		cfg.Phi = dt.Phi
		data = &dt.Report
		source = fmt.Sprintf("%s (m=%d, d_0=%d, ‖Λ_yx‖_F=%.4g before scaling, κ=%.4g after)", *dataPath, dt.Report.Examples, dt.Report.Rank, dt.Report.LyxNorm, dt.Report.Kappa)
		dt.Report.Print(stdout)
	} else {
		if *d0 < 1 {
			return fmt.Errorf("fig1: --d0 must be ≥ 1")
		}
		// By S3 any unit-norm Φ gives the same distribution of outcomes.
		cfg.Phi = unitRow(*d0, model.NewRand(*seed))
	}
	if *quiet {
		cfg.Progress = nil
	} else {
		cfg.Progress = stderr
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	fmt.Fprintf(stderr, "fig1: target %s; %d points on %d workers (stepper %s)\n", source, len(cfg.Depths)*len(cfg.Inits)*len(cfg.Stds), cfg.Workers, *stepper)
	res, err := RunFig1(ctx, cfg)
	if err != nil {
		return err
	}
	res.Source, res.Data = source, data
	trace, err := RunFig1c(ctx, cfg, res)
	if err != nil {
		return err
	}
	files, err := WriteFig1(*out, res, trace)
	if err != nil {
		return err
	}
	printFig1Table(stdout, res)
	fmt.Fprintf(stdout, "wall time %s; wrote %s\n", time.Duration(res.Seconds*float64(time.Second)).Round(time.Second), strings.Join(relPaths(*out, files), ", "))
	return nil
}

func isSet(fs *flag.FlagSet, name string) bool {
	set := false
	fs.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

func relPaths(dir string, files []string) []string {
	out := make([]string, len(files))
	for i, f := range files {
		out[i] = filepath.Join(dir, f)
	}
	return out
}

func mainTightness(args []string, stdout, stderr io.Writer) error {
	fs := flag.NewFlagSet("tightness", flag.ContinueOnError)
	fs.SetOutput(stderr)
	out := fs.String("out", ".", "output directory")
	cases := fs.Int("cases", 6, "random cases meeting Theorem 1's hypotheses")
	seed := fs.Uint64("seed", 1, "random seed")
	eps := fs.Float64("eps", 1e-6, "target loss ε of T1's conclusion")
	budget := fs.Int("budget", 200_000, "most GD steps per trial (sets the smallest testable η multiple)")
	workers := fs.Int("workers", runtime.NumCPU(), "parallel cases")
	quiet := fs.Bool("quiet", false, "no progress lines")
	if err := fs.Parse(args); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("tightness: unexpected argument %q", fs.Arg(0))
	}
	cfg := TightnessConfig{Cases: *cases, Seed: *seed, Epsilon: *eps, Budget: *budget, Workers: *workers}
	if !*quiet {
		cfg.Progress = func(s string) { fmt.Fprintln(stderr, s) }
	}
	if err := os.MkdirAll(*out, 0o755); err != nil {
		return err
	}
	ctx, stop := signalContext()
	defer stop()
	start := time.Now()
	res, err := RunTightness(ctx, cfg)
	if err != nil {
		return err
	}
	files, err := WriteTightness(*out, cfg, res)
	if err != nil {
		return err
	}
	PrintTightness(stdout, res)
	fmt.Fprintf(stdout, "wall time %s; wrote %s\n", time.Since(start).Round(time.Second), strings.Join(relPaths(*out, files), ", "))
	return nil
}
