package model

import (
	"context"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Status is how a run ended. Every status describes the iterate the run
// stopped at, t* = Result.Steps: the network holds W(t*) and
// Result.FinalLoss is ℓ(t*). GD and gradient flow (RunFlow) share the
// statuses and the rules that set them.
type Status string

// The ways a run ends. With ε = RunConfig.Epsilon > 0 and h the first
// iterate with ℓ(h) ≤ ε (Result.HitStep):
const (
	// StatusConverged: ℓ(t) ≤ ε for every iterate h ≤ t ≤ t*. A run that
	// stops at its first hit (the default) has t* = h; a run with
	// RunConfig.Continue has run on to MaxSteps with its whole tail ≤ ε.
	StatusConverged Status = "converged"
	// StatusHitThenRose (only with RunConfig.Continue): ℓ(h) ≤ ε, and t* is
	// the first iterate after h with ℓ(t*) > ε. The run stops there: an
	// iterate below ε was a dip, not convergence.
	StatusHitThenRose Status = "hit-then-rose"
	// StatusDiverged: t* is the first iterate whose loss is non-finite or
	// exceeds the divergence limit (RunConfig.DivergeAbove). No step is
	// ever taken from that iterate.
	StatusDiverged Status = "diverged"
	// StatusMaxSteps: t* = MaxSteps and ε was never reached (or ε = 0).
	StatusMaxSteps Status = "max_steps"
	// StatusStopped: RunConfig.Observe asked to stop at t*, or the context
	// was cancelled (Run then also returns the context's error).
	StatusStopped Status = "stopped"
)

// Record is one row of a trajectory. Loss is always set; the other fields
// are filled by RunConfig.Measure and are NaN without one.
type Record struct {
	Step        int     `json:"step"`
	Loss        float64 `json:"loss"`
	Imbalance   float64 `json:"imbalance"`    // D1: max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F
	Margin      float64 `json:"margin"`       // D2: σ_min(Φ) − ‖W_{1:N} − Φ‖_F
	SigmaMin    float64 `json:"sigma_min"`    // σ_min(W_{1:N})
	MaxSpectral float64 `json:"max_spectral"` // max_j ‖W_j‖_σ
}

// Measurer fills the measurement fields of a Record for the current state.
// invariants.Measure is the standard one; model does not import invariants.
type Measurer func(n *Net, phi mat.Matrix, rec *Record)

// Observer is called once for every iterate t = 0, 1, …, t* of a run, in
// order, with ℓ(t) and the network holding W(t) (read it, do not modify
// it). Returning true stops the run at t (StatusStopped) unless a rule of
// the run ends it at t anyway. It is the hook for progress reports, loss
// recorders and caller-specific stop rules (after the Converger of gonum's
// optimize.Settings).
type Observer func(t int, loss float64, n *Net) (stop bool)

// RunConfig configures Run and RunFlow. The rules below are the only
// place where a run's stop and divergence rules are written.
type RunConfig struct {
	// Eta is GD's step size η > 0; for RunFlow the time between two
	// iterates (iterate t is W at time τ = t·η).
	Eta      float64
	MaxSteps int // K ≥ 0: the last iterate a run may reach
	// Epsilon > 0 stops the run at the first iterate t with ℓ(t) ≤ Epsilon
	// (or, with Continue, marks it and classifies the tail); 0 disables
	// the rule.
	Epsilon float64
	// Continue keeps stepping after the first hit of Epsilon, to MaxSteps,
	// so the status says whether the loss stayed ≤ Epsilon
	// (StatusConverged) or rose above it again (StatusHitThenRose, the run
	// stopping at the first such iterate).
	Continue bool
	// DivergeAbove declares divergence when ℓ(t) exceeds it. 0 means the
	// default DivergenceLimit(ℓ(0)). A non-finite loss is always
	// divergence.
	DivergeAbove float64
	// Stride > 0 records every Stride-th iterate; the first and the final
	// iterate are always recorded.
	Stride int
	// Points > 0 (with Stride = 0) spreads the records over the iterates
	// the run actually reaches: every iterate is recorded at first, and
	// whenever more than 2·Points are kept the stride doubles and every
	// other record is dropped, so a run that stops early is recorded as
	// densely as a long one (between Points and 2·Points records, plus the
	// final iterate, once t* ≥ Points).
	Points  int
	Measure Measurer
	// Observe, when set, sees every iterate (see Observer).
	Observe Observer
}

// DivergenceLimit is the default divergence threshold 1e12·max(ℓ(0), 1):
// twelve decades of growth over the start, or over 1 for starts near the
// optimum (where a harmless transient may grow the loss by many decades
// relative to a tiny ℓ(0)), is not a slow transient.
func DivergenceLimit(l0 float64) float64 { return 1e12 * math.Max(l0, 1) }

// divergedRule is the divergence rule: ℓ non-finite or above limit. Run,
// RunFlow and Batch all apply it through this function.
func divergedRule(l, limit float64) bool { return math.IsNaN(l) || math.IsInf(l, 0) || l > limit }

// hitRule is the ε rule: ℓ ≤ ε, with ε = 0 disabling it. Run, RunFlow and
// Batch all apply it through this function.
func hitRule(l, eps float64) bool { return eps > 0 && l <= eps }

// Result is the outcome of Run and RunFlow.
type Result struct {
	Status Status
	// Steps is t*, the iterate the run stopped at: GD steps applied (for
	// RunFlow, time t*·η was integrated). The network holds W(t*).
	Steps       int
	InitialLoss float64 // ℓ(0)
	FinalLoss   float64 // ℓ(t*), the loss the rules were applied to
	// HitStep is the first t with ℓ(t) ≤ Epsilon (−1 if none): the
	// iterations-to-converge count of the paper's experiment.
	HitStep    int
	Trajectory []Record
}

// CheckedStepper is a Stepper that can decide, on the loss of the current
// iterate, whether to take the step at all. Run uses it so that a run
// stops at the iterate where a rule fires with no extra pass over the
// network. Reference and Fast implement it.
type CheckedStepper interface {
	Stepper
	// StepIf computes ℓ of the current iterate, calls proceed(ℓ) while n
	// still holds that iterate (unchanged), and applies the GD step (as
	// Step does) only if proceed returns true. It returns ℓ and whether
	// the step was applied. Errors are Step's; on an error proceed is not
	// called and n is unchanged.
	StepIf(n *Net, phi mat.Matrix, eta float64, proceed func(loss float64) bool) (loss float64, stepped bool, err error)
}

// ctxEvery is how often (in iterates) the run loop polls its context.
const ctxEvery = 1024

// loop holds a run's rules; visit is the one place they are applied.
type loop struct {
	ctx    context.Context
	cfg    RunConfig
	phi    mat.Matrix
	limit  float64
	stride int // the recording stride (doubles under Points)
	res    Result
	ctxErr error
}

func newLoop(ctx context.Context, n *Net, phi mat.Matrix, cfg RunConfig) (*loop, error) {
	if ctx == nil {
		ctx = context.Background()
	}
	if err := checkEta(cfg.Eta); err != nil {
		return nil, err
	}
	if cfg.MaxSteps < 0 || cfg.Stride < 0 || cfg.Points < 0 || !(cfg.Epsilon >= 0) || !(cfg.DivergeAbove >= 0) {
		return nil, fmt.Errorf("model: RunConfig needs MaxSteps, Stride, Points, Epsilon, DivergeAbove ≥ 0 (got %d, %d, %d, %v, %v)",
			cfg.MaxSteps, cfg.Stride, cfg.Points, cfg.Epsilon, cfg.DivergeAbove)
	}
	if cfg.Stride > 0 && cfg.Points > 0 {
		return nil, fmt.Errorf("model: RunConfig takes Stride or Points, not both")
	}
	l0, err := Loss(n, phi)
	if err != nil {
		return nil, err
	}
	lp := &loop{ctx: ctx, cfg: cfg, phi: phi, res: Result{HitStep: -1, InitialLoss: l0}, stride: cfg.Stride}
	if cfg.Points > 0 {
		lp.stride = 1
	}
	lp.limit = cfg.DivergeAbove
	if lp.limit == 0 {
		lp.limit = DivergenceLimit(l0)
	}
	return lp, nil
}

// visit applies the run's rules to iterate t with loss l (n holds W(t))
// and reports whether the run ends at t; if so, res is complete.
func (lp *loop) visit(t int, l float64, n *Net) bool {
	cfg := &lp.cfg
	st := Status("")
	switch {
	case divergedRule(l, lp.limit):
		st = StatusDiverged
	case hitRule(l, cfg.Epsilon):
		if lp.res.HitStep < 0 {
			lp.res.HitStep = t
		}
		if !cfg.Continue || t == cfg.MaxSteps {
			st = StatusConverged
		}
	case lp.res.HitStep >= 0: // ℓ(t) > ε after a hit: it rose
		st = StatusHitThenRose
	case t == cfg.MaxSteps:
		st = StatusMaxSteps
	}
	if cfg.Observe != nil && cfg.Observe(t, l, n) && st == "" {
		st = StatusStopped
	}
	if st == "" && t%ctxEvery == 0 {
		if err := lp.ctx.Err(); err != nil {
			lp.ctxErr, st = err, StatusStopped
		}
	}
	if st != "" || t == 0 || (lp.stride > 0 && t%lp.stride == 0) {
		lp.record(t, l, n)
		if st == "" && cfg.Points > 0 && len(lp.res.Trajectory) > 2*cfg.Points {
			lp.stride *= 2
			kept := lp.res.Trajectory[:0]
			for _, r := range lp.res.Trajectory {
				if r.Step%lp.stride == 0 {
					kept = append(kept, r)
				}
			}
			lp.res.Trajectory = kept
		}
	}
	if st == "" {
		return false
	}
	lp.res.Status, lp.res.Steps, lp.res.FinalLoss = st, t, l
	return true
}

func (lp *loop) record(t int, l float64, n *Net) {
	rec := Record{Step: t, Loss: l, Imbalance: math.NaN(), Margin: math.NaN(), SigmaMin: math.NaN(), MaxSpectral: math.NaN()}
	if lp.cfg.Measure != nil {
		lp.cfg.Measure(n, lp.phi, &rec)
	}
	lp.res.Trajectory = append(lp.res.Trajectory, rec)
}

// Run applies GD with impl to n in place, following cfg; it is
// RunContext without a context.
func Run(impl Stepper, n *Net, phi mat.Matrix, cfg RunConfig) (Result, error) {
	return RunContext(context.Background(), impl, n, phi, cfg)
}

// RunContext applies GD with impl to n in place, following cfg, and stops
// at the first iterate t* where a rule fires (see Status): the network
// then holds W(t*), never a step past it. Divergence is a Result, not an
// error; errors are reserved for invalid arguments, failing
// implementations and a cancelled ctx (polled every 1024 iterates; the
// Result up to the iterate where it was seen is returned with the error,
// status StatusStopped).
//
// When impl is a CheckedStepper the loss of each iterate comes from its
// forward pass and the step is skipped when the run ends there. Any other
// Stepper is run through a fallback that copies the layers before each
// step and restores them when the run ends on that step's pre-step loss:
// one extra copy of the parameters per step, and the Observer and
// Measurer are then shown the copy.
func RunContext(ctx context.Context, impl Stepper, n *Net, phi mat.Matrix, cfg RunConfig) (Result, error) {
	if impl == nil || n == nil {
		return Result{HitStep: -1}, fmt.Errorf("model: Run needs an implementation and a network")
	}
	lp, err := newLoop(ctx, n, phi, cfg)
	if err != nil {
		return Result{HitStep: -1}, err
	}
	cs, ok := impl.(CheckedStepper)
	if !ok {
		cs = &copyingStepper{Stepper: impl}
	}
	t, ended := 0, false
	proceed := func(l float64) bool {
		ended = lp.visit(t, l, n)
		return !ended
	}
	if c, ok := cs.(*copyingStepper); ok {
		proceed = func(l float64) bool {
			ended = lp.visit(t, l, c.before)
			return !ended
		}
	}
	for ; t < cfg.MaxSteps; t++ {
		if _, _, err := cs.StepIf(n, phi, cfg.Eta, proceed); err != nil {
			return lp.res, fmt.Errorf("model: %s step %d: %w", impl.Name(), t, err)
		}
		if ended {
			return lp.res, lp.ctxErr
		}
	}
	l, _ := Loss(n, phi) // ℓ(MaxSteps): no step follows
	lp.visit(t, l, n)
	return lp.res, lp.ctxErr
}

// copyingStepper gives any Stepper StepIf's contract by copying the layers
// before the step and restoring them when proceed declines.
type copyingStepper struct {
	Stepper
	before *Net
}

func (c *copyingStepper) StepIf(n *Net, phi mat.Matrix, eta float64, proceed func(float64) bool) (float64, bool, error) {
	if c.before == nil || c.before.CopyFrom(n) != nil {
		c.before = n.Clone()
	}
	l, err := c.Step(n, phi, eta)
	if err != nil {
		return l, false, err
	}
	if !proceed(l) {
		_ = n.CopyFrom(c.before) // same shapes: cannot fail
		return l, false, nil
	}
	return l, true, nil
}
