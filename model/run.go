package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Status is how a run ended.
type Status string

// The ways a run ends.
const (
	StatusConverged Status = "converged" // some iterate had loss ≤ Epsilon
	StatusDiverged  Status = "diverged"  // the loss became non-finite or exceeded DivergeAbove
	StatusMaxSteps  Status = "max_steps" // MaxSteps steps were taken without either
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

// RunConfig configures Run.
type RunConfig struct {
	Eta      float64 // step size η > 0
	MaxSteps int     // K ≥ 0: the most GD steps taken
	// Epsilon > 0 stops the run at the first iterate t with ℓ(t) ≤ Epsilon;
	// 0 disables the rule.
	Epsilon float64
	// DivergeAbove declares divergence when ℓ(t) exceeds it. 0 means the
	// default 1e12·max(ℓ(0), 1): twelve decades of growth is not a slow
	// transient. A non-finite loss is always divergence.
	DivergeAbove float64
	// Stride > 0 records every Stride-th iterate; the first and the final
	// iterate are always recorded.
	Stride  int
	Measure Measurer
}

// Result is the outcome of Run.
type Result struct {
	Status      Status
	Steps       int     // GD steps applied; the network now holds W(Steps)
	InitialLoss float64 // ℓ(0)
	FinalLoss   float64 // ℓ(Steps), evaluated after the last step
	// HitStep is the first t with ℓ(t) ≤ Epsilon (−1 if none): the
	// iterations-to-converge count of the paper's experiment.
	HitStep    int
	Trajectory []Record
}

// Run applies GD with impl to n in place, following cfg. Divergence is a
// Result, not an error; errors are reserved for invalid arguments and
// failing implementations.
func Run(impl Stepper, n *Net, phi mat.Matrix, cfg RunConfig) (Result, error) {
	res := Result{HitStep: -1}
	if impl == nil || n == nil {
		return res, fmt.Errorf("model: Run needs an implementation and a network")
	}
	if err := checkEta(cfg.Eta); err != nil {
		return res, err
	}
	if cfg.MaxSteps < 0 || cfg.Stride < 0 || !(cfg.Epsilon >= 0) || !(cfg.DivergeAbove >= 0) {
		return res, fmt.Errorf("model: RunConfig needs MaxSteps, Stride, Epsilon, DivergeAbove ≥ 0 (got %d, %d, %v, %v)",
			cfg.MaxSteps, cfg.Stride, cfg.Epsilon, cfg.DivergeAbove)
	}
	l0, err := Loss(n, phi)
	if err != nil {
		return res, err
	}
	res.InitialLoss = l0
	limit := cfg.DivergeAbove
	if limit == 0 {
		limit = 1e12 * math.Max(l0, 1)
	}
	record := func(t int, loss float64) {
		rec := Record{Step: t, Loss: loss, Imbalance: math.NaN(), Margin: math.NaN(), SigmaMin: math.NaN(), MaxSpectral: math.NaN()}
		if cfg.Measure != nil {
			cfg.Measure(n, phi, &rec)
		}
		res.Trajectory = append(res.Trajectory, rec)
	}
	record(0, l0)
	diverged := func(l float64) bool { return math.IsNaN(l) || math.IsInf(l, 0) || l > limit }
	finish := func(st Status, t int) (Result, error) {
		res.Status, res.Steps = st, t
		res.FinalLoss, _ = Loss(n, phi)
		if last := len(res.Trajectory) - 1; res.Trajectory[last].Step != t {
			record(t, res.FinalLoss)
		}
		return res, nil
	}
	if diverged(l0) {
		return finish(StatusDiverged, 0)
	}
	if cfg.Epsilon > 0 && l0 <= cfg.Epsilon {
		res.HitStep = 0
		return finish(StatusConverged, 0)
	}
	for t := 0; t < cfg.MaxSteps; t++ {
		if cfg.Stride > 0 && t > 0 && t%cfg.Stride == 0 {
			l, _ := Loss(n, phi)
			record(t, l)
		}
		lt, err := impl.Step(n, phi, cfg.Eta) // ℓ(t); n now holds W(t+1)
		if err != nil {
			return res, fmt.Errorf("model: %s step %d: %w", impl.Name(), t, err)
		}
		if diverged(lt) {
			return finish(StatusDiverged, t+1)
		}
		if cfg.Epsilon > 0 && lt <= cfg.Epsilon && t > 0 {
			// ℓ(t) ≤ ε was first seen now; ℓ(0) was checked above.
			res.HitStep = t
			return finish(StatusConverged, t+1)
		}
	}
	res.Status, res.Steps = StatusMaxSteps, cfg.MaxSteps
	res.FinalLoss, _ = Loss(n, phi)
	if diverged(res.FinalLoss) {
		res.Status = StatusDiverged
	} else if cfg.Epsilon > 0 && res.FinalLoss <= cfg.Epsilon {
		res.Status, res.HitStep = StatusConverged, cfg.MaxSteps
	}
	if last := len(res.Trajectory) - 1; res.Trajectory[last].Step != res.Steps {
		record(res.Steps, res.FinalLoss)
	}
	return res, nil
}
