package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/experiment"
	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// The flags-only default case: N = 3, d = 2, a 0-balanced start
// (Procedure 1) at margin ≈ 0.345 from a unit-norm diagonal Φ, η at
// Theorem 1's bound.
const (
	defaultPhi = "0.8,0;0,0.6"
	defaultA   = "0.65,0.05;0,0.4"
)

// defaultAFor is the default --a for a given --phi: A = (1 − σ_min(Φ)/(2‖Φ‖_F))·Φ,
// shaped like Φ, at deficiency margin c = σ_min(Φ) − ‖A − Φ‖_F = σ_min(Φ)/2
// (D2; 0 for a singular Φ).
func defaultAFor(phi [][]float64) [][]float64 {
	m, err := model.DenseFromRows(phi)
	if err != nil {
		return phi
	}
	f := invariants.Frobenius(m)
	scale := 1.0
	if f > 0 {
		scale = 1 - invariants.SigmaMin(m)/(2*f)
	}
	a := make([][]float64, len(phi))
	for i, row := range phi {
		a[i] = make([]float64, len(row))
		for j, v := range row {
			a[i][j] = scale * v
		}
	}
	return a
}

// modelFlags define the start; they cannot be combined with --config.
var modelFlags = []string{"phi", "data", "label", "reduce-rank", "unit-phi", "dims", "init", "a", "std", "seed", "insert", "imbalance"}

func cmdTrain(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("train", "train [--config FILE | model flags] [--phi ROWS|@FILE | --data FILE [--label COL] [--unit-phi]] [--eta X|t1] [--steps K] [--flow] [--json] [--plot FILE.png|.svg]")
	configPath := fs.String("config", "", "JSON configuration file (see docs/cli.md); defines the model, so model flags are not allowed with it")
	phiS := fs.String("phi", defaultPhi, phiFlagHelp)
	data := addDataFlags(fs, true)
	dimsS := fs.String("dims", "2,2,2,2", "widths d_0,…,d_N")
	kind := fs.String("init", "balanced", "initialisation: balanced (Procedure 1), gaussian, identity")
	aS := fs.String("a", "", "balanced: end-to-end matrix A for Procedure 1 as rows (default "+defaultA+" with the default --phi, (1 − σ_min(Φ)/(2‖Φ‖_F))·Φ with a given --phi; unless --std is set)")
	std := fs.Float64("std", 0, "gaussian, or balanced without --a: entry standard deviation")
	seed := fs.Uint64("seed", 1, "seed of the initialisation")
	insert := fs.Bool("insert", false, "balanced: insert random orthogonal factors between layers")
	imbalance := fs.Float64("imbalance", 0, "unbalance the start to this imbalance δ (D1), keeping W_{1:N}")
	eta := &etaSpec{t1: true}
	fs.Var(eta, "eta", "step size η, or t1 for Theorem 1's bound at the measured margin")
	steps := fs.Int("steps", 200000, "GD steps K (with --flow: integrate for time K·η)")
	epsilon := fs.Float64("epsilon", 0, "stop at the first iterate with loss ≤ epsilon (0: never)")
	stride := new(optInt)
	fs.Var(stride, "stride", "record every stride-th iterate (default: 200–400 iterates spread over the steps actually run; 0: first and last only)")
	flow := fs.Bool("flow", false, "gradient flow (RK4, model.Flow) instead of GD")
	dt := fs.Float64("dt", 0, "RK4 step for --flow (default η)")
	impl := fs.String("impl", defaultImpl, implUsage(true))
	asJSON := fs.Bool("json", false, "write the result as JSON on stdout")
	plotPath := fs.String("plot", "", "draw loss (log scale) with T1's rate and the imbalance against steps to FILE.png or FILE.svg")
	quiet := fs.Bool("quiet", false, "no progress output")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if *plotPath != "" {
		if err := checkPlotPath(*plotPath); err != nil {
			return err
		}
	}

	var cfg trainConfig
	var dataRep *experiment.DataReport
	withData, err := data.given()
	if err != nil {
		return err
	}
	if *configPath != "" {
		for _, f := range modelFlags {
			if fs.wasSet(f) {
				return fmt.Errorf("--%s cannot be combined with --config (the file defines the model)", f)
			}
		}
		var err error
		if cfg, err = readTrainConfig(*configPath); err != nil {
			return err
		}
	} else {
		var phiM *mat.Dense
		if withData {
			if fs.wasSet("phi") {
				return fmt.Errorf("--phi and --data both define Φ; give one")
			}
			dt, err := data.load(false)
			if err != nil {
				return err
			}
			phiM, dataRep = dt.Phi, &dt.Report
			if !fs.wasSet("dims") {
				r, c := phiM.Dims()
				return fmt.Errorf("--data gives Φ of d_N×d_0 = %d×%d: give the widths with --dims %d,…,%d", r, c, c, r)
			}
		} else if phiM, err = parsePhi(*phiS); err != nil {
			return err
		}
		phi := rowsOf(phiM)
		dims, err := parseInts(*dimsS)
		if err != nil {
			return fmt.Errorf("--dims: %w", err)
		}
		// Shapes are checked here, in the flags' own words.
		phiFlag := "--phi"
		if withData {
			phiFlag = "the Φ of --data"
		} else if !fs.wasSet("phi") {
			phiFlag = "the default --phi " + defaultPhi
		}
		dimsFlag := "--dims"
		if !fs.wasSet("dims") {
			dimsFlag = "the default --dims " + *dimsS
		}
		pr, pc := len(phi), len(phi[0])
		if len(dims) >= 2 && (dims[0] != pc || dims[len(dims)-1] != pr) {
			return fmt.Errorf("%s gives d_N×d_0 = %d×%d but %s is %d×%d (give --dims d_0,…,d_N with d_0 = %d, d_N = %d)",
				dimsFlag, dims[len(dims)-1], dims[0], phiFlag, pr, pc, pc, pr)
		}
		in := &initSpec{Kind: *kind, Dims: dims, Seed: seed}
		if fs.wasSet("std") {
			in.Std = std
		}
		if fs.wasSet("insert") {
			in.Insert = insert
		}
		if fs.wasSet("imbalance") {
			in.Imbalance = imbalance
		}
		switch {
		case fs.wasSet("a"):
			a, err := parseMatrix(*aS)
			if err != nil {
				return fmt.Errorf("--a: %w", err)
			}
			if len(a) != pr || len(a[0]) != pc {
				return fmt.Errorf("--a is %d×%d but %s is %d×%d (A is the start's end-to-end matrix, shaped like Φ)", len(a), len(a[0]), phiFlag, pr, pc)
			}
			in.A = a
		case *kind == "balanced" && in.Std == nil && withData:
			r, c := phiM.Dims()
			return fmt.Errorf("--init balanced with --data needs --std (a Gaussian A for Procedure 1) or --a (the default A is 2×2, Φ is %d×%d)", r, c)
		case *kind == "balanced" && in.Std == nil && !fs.wasSet("phi"):
			in.A, _ = parseMatrix(defaultA)
		case *kind == "balanced" && in.Std == nil:
			in.A = defaultAFor(phi)
		}
		if *kind == "identity" && !fs.wasSet("seed") {
			in.Seed = nil
		}
		cfg = trainConfig{Phi: phi, Init: in, Eta: eta, Steps: steps}
	}
	// Run-control flags override the file.
	if fs.wasSet("eta") {
		cfg.Eta = eta
	}
	if fs.wasSet("steps") {
		cfg.Steps = steps
	}
	if fs.wasSet("epsilon") {
		cfg.Epsilon = epsilon
	}
	if fs.wasSet("stride") {
		cfg.Stride = &stride.v
	}
	if fs.wasSet("flow") {
		cfg.Flow = flow
	}
	if fs.wasSet("dt") {
		cfg.Dt = dt
	}
	if fs.wasSet("impl") {
		cfg.Impl = impl
	}
	s, err := cfg.setup()
	if err != nil {
		return err
	}
	defer closeStepper(s.impl)

	var prog progress = nopProgress{}
	switch {
	case *quiet:
	case !*asJSON:
		prog = newProgress(stdout, s.steps)
	case isTerminal(stderr):
		prog = newProgress(stderr, s.steps)
	}
	if dataRep != nil && !*asJSON {
		dataRep.Print(stdout)
	}
	if !*asJSON && !*quiet {
		s.printPlan(stdout)
	}
	start := time.Now()
	res, err := s.run(prog)
	if fault := peerFault(s.impl); fault != nil {
		return fault
	}
	if err != nil {
		return err
	}
	out := s.result(res, time.Since(start))
	out.Data = dataRep
	// The report goes out first: a late plot error must not lose it.
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		if err := enc.Encode(out); err != nil {
			return err
		}
	} else {
		out.print(stdout)
	}
	if *plotPath != "" {
		if err := writePlot(*plotPath, out); err != nil {
			return err
		}
		if !*asJSON {
			fmt.Fprintf(stdout, "plot written to %s\n", *plotPath)
		}
	}
	return nil
}

// printPlan prints, before a GD run with a model stepper, the horizon
// planner's line: the measured step rate for the shape and the wall time of
// T(ε) at this η (or of the run's steps when T(ε) is undefined).
func (s *trainSetup) printPlan(w io.Writer) {
	switch s.impl.(type) {
	case *model.Fast, model.Reference:
	default:
		return
	}
	if s.flow {
		return
	}
	rate, err := model.MeasureStepRate(s.impl, s.net.Dims(), 50*time.Millisecond)
	if err != nil {
		return // a planning estimate only; the run reports its own errors
	}
	l0, _ := model.Loss(s.net, s.phi)
	if h := invariants.Horizon(l0, s.epsilon, s.eta, s.hyp.C, s.hyp.N); s.epsilon > 0 && h >= 0 && !math.IsInf(h, 0) {
		fmt.Fprintf(w, "planner: T(ε = %.3g) at this η = %s\n", s.epsilon, rate.Summary(h))
		return
	}
	fmt.Fprintf(w, "planner: this run = %s\n", rate.Summary(float64(s.steps)))
}

func stepperNames() []string {
	var names []string
	for n := range implementations {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// implUsage is the help text of --impl (one home for every subcommand):
// the built-in implementations, and exec:'CMD ARGS' where the command
// accepts an external stepper (external; see stepperFactory).
func implUsage(external bool) string {
	names := stepperNames()
	if external {
		names = append(names, execPrefix+"'CMD ARGS' (docs/external.md)")
	}
	return "GD implementation: " + strings.Join(names, ", ")
}

// optInt is an int flag without a printed default (its default is
// computed from other flags).
type optInt struct{ v int }

func (o *optInt) String() string {
	if o == nil || o.v == 0 {
		return ""
	}
	return strconv.Itoa(o.v)
}

func (o *optInt) Set(s string) error {
	v, err := strconv.Atoi(s)
	if err != nil {
		return fmt.Errorf("not an integer")
	}
	o.v = v
	return nil
}

// flowTol is train's error tolerance for gradient flow (model.FlowConfig.Tol):
// a local error of at most 1e-10 per unit time relative to max(1, ‖W‖_F),
// with --dt the largest RK4 step.
const flowTol = 1e-10

// run trains s.net in place with the one run loop (model.RunContext, or
// model.RunFlow for --flow): the same rules and statuses for GD and flow.
// With epsilon > 0 the run continues after the first hit so that the
// status says whether the loss stayed below epsilon (converged) or rose
// again (hit-then-rose).
func (s *trainSetup) run(prog progress) (model.Result, error) {
	defer prog.done()
	every := max(1, s.steps/100)
	cfg := model.RunConfig{
		Eta: s.eta, MaxSteps: s.steps, Epsilon: s.epsilon, Continue: true, Stride: s.stride, Points: s.points, Measure: invariants.Measure,
		Observe: func(t int, loss float64, _ *model.Net) bool {
			if t > 0 && t%every == 0 {
				prog.update(t, loss)
			}
			return false
		},
	}
	if s.flow {
		return model.RunFlow(context.Background(), s.net, s.phi, cfg, model.FlowConfig{Dt: s.dt, Tol: flowTol})
	}
	return model.RunContext(context.Background(), s.impl, s.net, s.phi, cfg)
}

// progress shows how far a run is: a bar on a terminal, plain lines
// (every 10%) otherwise.
type progress interface {
	update(t int, loss float64)
	done()
}

type nopProgress struct{}

func (nopProgress) update(int, float64) {}
func (nopProgress) done()               {}

func newProgress(w io.Writer, total int) progress {
	if isTerminal(w) {
		return &barProgress{w: w, total: total, start: time.Now()}
	}
	return &lineProgress{w: w, total: total, next: 10}
}

type lineProgress struct {
	w           io.Writer
	total, next int // next percentage to print
}

func (p *lineProgress) update(t int, loss float64) {
	if p.total == 0 {
		return
	}
	pct := 100 * t / p.total
	if pct >= p.next {
		fmt.Fprintf(p.w, "progress: step %d/%d (%d%%) loss %.6e\n", t, p.total, pct, loss)
		p.next = (pct/10 + 1) * 10
	}
}
func (p *lineProgress) done() {}

type barProgress struct {
	w     io.Writer
	total int
	start time.Time
	drawn bool
}

func (p *barProgress) update(t int, loss float64) {
	if p.total == 0 {
		return
	}
	const width = 30
	frac := math.Min(1, float64(t)/float64(p.total))
	fill := int(frac * width)
	fmt.Fprintf(p.w, "\r[%s%s] %3.0f%% step %d/%d loss %.3e %s ",
		strings.Repeat("#", fill), strings.Repeat(" ", width-fill), 100*frac, t, p.total, loss,
		time.Since(p.start).Round(100*time.Millisecond))
	p.drawn = true
}

func (p *barProgress) done() {
	if p.drawn {
		fmt.Fprintln(p.w)
	}
}

// isTerminal reports whether w is a character device (a terminal).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	st, err := f.Stat()
	return err == nil && st.Mode()&os.ModeCharDevice != 0
}

// trainRecord is one trajectory row in the JSON result.
type trainRecord struct {
	Step        int          `json:"step"`
	Loss        report.Float `json:"loss"`
	Imbalance   report.Float `json:"imbalance"`
	Margin      report.Float `json:"margin"`
	SigmaMin    report.Float `json:"sigma_min"`
	MaxSpectral report.Float `json:"max_spectral"`
	Guarantee   report.Float `json:"t1_guarantee"` // ℓ(0)(1 − ηc^{2(N−1)/N})^step; null without a margin
}

// theorem1JSON is Theorem 1's hypotheses measured at the start.
type theorem1JSON struct {
	Holds       bool         `json:"holds"`
	WidthsOK    bool         `json:"widths_ok"`
	PhiF        report.Float `json:"phi_frobenius"`
	SigmaMinPhi report.Float `json:"sigma_min_phi"`
	C           report.Float `json:"margin_c"`
	Delta       report.Float `json:"delta"`
	DeltaBound  report.Float `json:"delta_bound"`
	Eta         report.Float `json:"eta"`
	EtaBound    report.Float `json:"eta_bound"`
	Rate        report.Float `json:"rate"`    // η c^{2(N−1)/N}; null without a margin
	Horizon     report.Float `json:"horizon"` // T(ε); null without a margin or with epsilon = 0
}

// trainResult is the JSON result of train (docs/cli.md).
type trainResult struct {
	Method         string       `json:"method"` // "gd" or "flow"
	Impl           string       `json:"impl,omitempty"`
	N              int          `json:"N"`
	Dims           []int        `json:"dims"`
	Eta            report.Float `json:"eta"`
	EtaRule        string       `json:"eta_rule"`           // "given" or "t1"
	Dt             report.Float `json:"dt,omitempty"`       // flow: the largest RK4 step
	FlowTol        report.Float `json:"flow_tol,omitempty"` // flow: model.FlowConfig.Tol
	Steps          int          `json:"steps"`
	Epsilon        report.Float `json:"epsilon"`
	Status         model.Status `json:"status"`
	StepsRun       int          `json:"steps_run"`
	HitStep        int          `json:"first_hit_step"` // first t with ℓ(t) ≤ ε; −1 if none
	InitialLoss    report.Float `json:"initial_loss"`
	FinalLoss      report.Float `json:"final_loss"`
	FinalImbalance report.Float `json:"final_imbalance"`
	FinalMargin    report.Float `json:"final_margin"`
	FinalSigmaMin  report.Float `json:"final_sigma_min"`
	Guarantee      report.Float `json:"t1_guarantee"` // T1/L1 bound at steps_run; null without a margin
	GuaranteeMet   bool         `json:"t1_guarantee_met"`
	// StabilityLimit is 2/λ_max(∇²L^N) at the start (model.Sharpness):
	// the classical limit for GD on the local quadratic; null when it
	// cannot be computed (λ_max ≤ 0, or too many parameters).
	StabilityLimit report.Float           `json:"stability_limit"`
	Theorem1       theorem1JSON           `json:"theorem1"`
	Seconds        float64                `json:"seconds"`
	Trajectory     []trainRecord          `json:"trajectory"`
	Data           *experiment.DataReport `json:"data,omitempty"` // how --data became Φ (X and Y centred)
}

// guarantee is T1/L1's bound ℓ(0)(1 − ηc^{2(N−1)/N})^t, NaN without a
// positive margin (it is a promise only when the hypotheses hold).
func guarantee(l0 float64, h invariants.Theorem1, t int) float64 {
	if !(h.C > 0) {
		return math.NaN()
	}
	r := invariants.Rate(h.Eta, h.C, h.N)
	if r >= 1 {
		return math.NaN()
	}
	return l0 * math.Exp(float64(t)*math.Log1p(-r))
}

func (s *trainSetup) result(res model.Result, elapsed time.Duration) trainResult {
	h := s.hyp
	out := trainResult{Method: "gd", Impl: s.impl.Name(), N: h.N, Dims: h.Dims, Eta: report.Float(s.eta), EtaRule: s.etaRule,
		Steps: s.steps, Epsilon: report.Float(s.epsilon), Status: res.Status, StepsRun: res.Steps, HitStep: res.HitStep,
		InitialLoss: report.Float(res.InitialLoss), FinalLoss: report.Float(res.FinalLoss), Seconds: elapsed.Seconds()}
	if s.flow {
		out.Method, out.Impl, out.Dt, out.FlowTol = "flow", "", report.Float(s.dt), flowTol
	}
	var fin model.Record
	invariants.Measure(s.net, s.phi, &fin)
	out.FinalImbalance, out.FinalMargin, out.FinalSigmaMin = report.Float(fin.Imbalance), report.Float(fin.Margin), report.Float(fin.SigmaMin)
	out.StabilityLimit = report.Float(s.stability)
	g := guarantee(res.InitialLoss, h, res.Steps)
	out.Guarantee = report.Float(g)
	out.GuaranteeMet = res.FinalLoss <= g
	out.Theorem1 = theorem1JSON{Holds: h.Holds(), WidthsOK: h.WidthsOK, PhiF: report.Float(h.PhiF), SigmaMinPhi: report.Float(h.SigmaMinPh),
		C: report.Float(h.C), Delta: report.Float(h.Delta), DeltaBound: report.Float(h.DeltaBound), Eta: report.Float(h.Eta), EtaBound: report.Float(h.EtaBound),
		Rate: report.Float(invariants.Rate(h.Eta, h.C, h.N)), Horizon: report.Float(math.NaN())}
	if s.epsilon > 0 {
		out.Theorem1.Horizon = report.Float(invariants.Horizon(res.InitialLoss, s.epsilon, h.Eta, h.C, h.N))
	}
	for _, r := range res.Trajectory {
		out.Trajectory = append(out.Trajectory, trainRecord{Step: r.Step, Loss: report.Float(r.Loss), Imbalance: report.Float(r.Imbalance),
			Margin: report.Float(r.Margin), SigmaMin: report.Float(r.SigmaMin), MaxSpectral: report.Float(r.MaxSpectral),
			Guarantee: report.Float(guarantee(res.InitialLoss, h, r.Step))})
	}
	return out
}

// boundCheck prints "bound verdict" for x ≤ bound, or that the bound is
// undefined: Theorem 1's bounds exist only with a margin c > 0.
func boundCheck(x, bound float64) string {
	if math.IsNaN(bound) {
		return "undefined (no margin c > 0)"
	}
	return fmt.Sprintf("%-11.6g %s", bound, yesNo(x <= bound))
}

func yesNo(b bool) string {
	if b {
		return "yes"
	}
	return "NO"
}

func (r trainResult) print(w io.Writer) {
	h := r.Theorem1
	method := "GD (" + r.Impl + ")"
	if r.Method == "flow" {
		method = fmt.Sprintf("gradient flow (RK4, steps ≤ %.4g, error ≤ %.3g per unit time; step t is time t·η)", float64(r.Dt), float64(r.FlowTol))
	}
	fmt.Fprintf(w, "%s: N = %d, dims %v, η = %.6g (%s), %d steps\n", method, r.N, r.Dims, float64(r.Eta), r.EtaRule, r.Steps)
	fmt.Fprintf(w, "Theorem 1 at the start (‖Φ‖_F = %.6g, σ_min(Φ) = %.6g):\n", float64(h.PhiF), float64(h.SigmaMinPhi))
	fmt.Fprintf(w, "  margin     c = %-12.6g > 0        %s\n", float64(h.C), yesNo(h.C > 0))
	fmt.Fprintf(w, "  imbalance  δ = %-12.6g ≤ δ* = %s\n", float64(h.Delta), boundCheck(float64(h.Delta), float64(h.DeltaBound)))
	fmt.Fprintf(w, "  step       η = %-12.6g ≤ η* = %s\n", float64(h.Eta), boundCheck(float64(h.Eta), float64(h.EtaBound)))
	if lim := float64(r.StabilityLimit); !math.IsNaN(lim) {
		fmt.Fprintf(w, "             η < 2/λ_max(∇²L) = %-9.6g %s (classical stability limit at the start, not part of Theorem 1)\n", lim, yesNo(float64(h.Eta) < lim))
	}
	fmt.Fprintf(w, "  widths min(d_1..d_{N−1}) ≥ min(d_0, d_N)  %s\n", yesNo(h.WidthsOK))
	fmt.Fprintf(w, "  hypotheses hold: %s", yesNo(h.Holds))
	if !math.IsNaN(float64(h.Rate)) {
		fmt.Fprintf(w, "; rate ηc^{2(N−1)/N} = %.6g", float64(h.Rate))
		if !math.IsNaN(float64(h.Horizon)) {
			fmt.Fprintf(w, "; T(ε = %.3g) = %.6g steps", float64(r.Epsilon), float64(h.Horizon))
		}
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "result: %s after %d steps (%.2fs)", r.Status, r.StepsRun, r.Seconds)
	if r.HitStep >= 0 {
		fmt.Fprintf(w, "; loss ≤ ε first at step %d", r.HitStep)
	}
	fmt.Fprintln(w)
	fmt.Fprintf(w, "  loss       %.6e (start %.6e)\n", float64(r.FinalLoss), float64(r.InitialLoss))
	fmt.Fprintf(w, "  imbalance  %.6e\n", float64(r.FinalImbalance))
	fmt.Fprintf(w, "  margin     %.6g (σ_min(W_{1:N}) = %.6g)\n", float64(r.FinalMargin), float64(r.FinalSigmaMin))
	if g := float64(r.Guarantee); !math.IsNaN(g) {
		note := ""
		if !h.Holds {
			note = " (hypotheses do not hold: not a promise)"
		}
		fmt.Fprintf(w, "  T1/L1 guarantee ℓ(0)(1−ηc^{2(N−1)/N})^t = %.6e: final loss within it: %s%s\n", g, yesNo(r.GuaranteeMet), note)
	}
}
