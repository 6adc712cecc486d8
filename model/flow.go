package model

import (
	"context"
	"errors"
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// FlowOrder is the global order of accuracy of Flow's integrator (classical
// fourth-order Runge–Kutta): halving Dt divides the error at a fixed time by
// about 2⁴ = 16 while it stays above rounding.
const FlowOrder = 4

// FlowConfig configures Flow.
type FlowConfig struct {
	Time float64 // total time τ ≥ 0 to integrate
	// Dt is the RK4 step (Tol = 0) or the largest step (Tol > 0). With
	// Tol = 0 every step has length Dt except the last, which is shortened
	// to land on Time exactly.
	Dt float64
	// Tol > 0 turns on error control by step doubling: each RK4 step of
	// length h is compared with two steps of h/2, the difference divided by
	// 2⁴ − 1 = 15 estimates the local error of the two-half-step result
	// (which is kept), and a step is accepted only when that estimate is at
	// most Tol·h·max(1, ‖W‖_F) (W all layers stacked): an error of at most
	// Tol per unit time, relative to the state's scale. The step then grows
	// or shrinks by 0.9·(allowed/estimate)^{1/4} (within [0.2, 4], never
	// above Dt). The global error at time τ is about Tol·τ·max(1, ‖W‖_F)
	// for flows that do not amplify perturbations (gradient flow near a
	// minimum contracts them). Tol = 0 is the fixed-step integrator.
	Tol float64
}

// errFlowOverflow reports a flow whose state left the finite range.
var errFlowOverflow = errors.New("model: gradient flow left the finite range")

// flowMinStep is the smallest step, relative to max(1, Time), that the
// error control may take before Flow gives up: below it the requested Tol
// is not reachable in float64 (the update is at the rounding of τ).
const flowMinStep = 1e-12

// Flow integrates gradient flow dW_j/dτ = −∂L^N/∂W_j (F1) over cfg.Time with
// classical RK4, in place: fixed steps, or error-controlled ones (see
// FlowConfig.Tol). It returns an error for invalid arguments, when the
// state becomes non-finite, and when the error control cannot meet Tol.
func Flow(n *Net, phi mat.Matrix, cfg FlowConfig) error {
	h := cfg.Dt
	return flowFor(n, phi, cfg, &h)
}

// flowFor is Flow carrying the adapted step h from one call to the next.
func flowFor(n *Net, phi mat.Matrix, cfg FlowConfig, h *float64) error {
	if err := n.CheckTarget(phi); err != nil {
		return err
	}
	if !(cfg.Time >= 0) || math.IsInf(cfg.Time, 0) || !(cfg.Dt > 0) || math.IsInf(cfg.Dt, 0) || !(cfg.Tol >= 0) || math.IsInf(cfg.Tol, 0) {
		return fmt.Errorf("model: FlowConfig needs Time ≥ 0, Dt > 0 and Tol ≥ 0, finite (got %v, %v, %v)", cfg.Time, cfg.Dt, cfg.Tol)
	}
	if cfg.Tol > 0 {
		return flowAdaptive(n, phi, cfg, h)
	}
	steps := int(math.Ceil(cfg.Time/cfg.Dt - 1e-9))
	if float64(steps) > 1<<31 { // float64: 1<<31 overflows int on 32-bit GOARCH
		return fmt.Errorf("model: Flow would take %d RK4 steps; raise Dt", steps)
	}
	left := cfg.Time
	for s := 0; s < steps; s++ {
		h := math.Min(cfg.Dt, left)
		if err := rk4Step(n, phi, h); err != nil {
			return err
		}
		left -= h
	}
	if !n.Finite() {
		return errFlowOverflow
	}
	return nil
}

func flowAdaptive(n *Net, phi mat.Matrix, cfg FlowConfig, hp *float64) error {
	hmin := flowMinStep * math.Max(1, cfg.Time)
	h := math.Min(*hp, cfg.Dt)
	if !(h > 0) {
		h = cfg.Dt
	}
	left := cfg.Time
	full, half := n.Clone(), n.Clone()
	for left > 0 {
		last := h >= left
		if last {
			h = left
		}
		_ = full.CopyFrom(n)
		_ = half.CopyFrom(n)
		if err := rk4Step(full, phi, h); err != nil {
			return err
		}
		if err := rk4Step(half, phi, h/2); err != nil {
			return err
		}
		if err := rk4Step(half, phi, h/2); err != nil {
			return err
		}
		est, scale := 0.0, 0.0
		for j := range half.w {
			a, b := half.w[j].RawMatrix().Data, full.w[j].RawMatrix().Data
			for i := range a {
				d := a[i] - b[i]
				est += d * d
				scale += a[i] * a[i]
			}
		}
		est = math.Sqrt(est) / 15
		allowed := cfg.Tol * h * math.Max(1, math.Sqrt(scale))
		if math.IsNaN(est) || math.IsInf(est, 0) || math.IsInf(scale, 0) {
			if h <= hmin {
				return errFlowOverflow
			}
			h = math.Max(h/4, hmin)
			continue
		}
		fac := 4.0
		if est > 0 {
			fac = math.Min(4, math.Max(0.2, 0.9*math.Pow(allowed/est, 0.25)))
		}
		if est > allowed {
			if h <= hmin {
				return fmt.Errorf("model: gradient flow error control cannot meet Tol = %v (step %v at the floor %v)", cfg.Tol, h, hmin)
			}
			h = math.Max(h*fac, hmin)
			continue
		}
		_ = n.CopyFrom(half)
		left -= h
		if last {
			left = 0
		} else {
			*hp = math.Min(h*fac, cfg.Dt)
		}
		h = math.Min(h*fac, cfg.Dt)
	}
	if !n.Finite() {
		return errFlowOverflow
	}
	return nil
}

// RunFlow is the gradient-flow counterpart of RunContext, with the same
// rules, statuses and Result: iterate t is the state at time τ = t·cfg.Eta,
// each iterate is reached from the previous one by Flow over time cfg.Eta
// with flow's Dt and Tol (flow.Time must be 0; the horizon is
// cfg.MaxSteps·cfg.Eta), and the run stops at the first iterate where a
// rule fires, as GD's does. Leaving the finite range between two iterates
// ends the run as StatusDiverged at the next iterate with loss +Inf.
func RunFlow(ctx context.Context, n *Net, phi mat.Matrix, cfg RunConfig, flow FlowConfig) (Result, error) {
	if n == nil {
		return Result{HitStep: -1}, fmt.Errorf("model: RunFlow needs a network")
	}
	if flow.Time != 0 {
		return Result{HitStep: -1}, fmt.Errorf("model: RunFlow integrates MaxSteps·Eta; FlowConfig.Time must be 0 (got %v)", flow.Time)
	}
	lp, err := newLoop(ctx, n, phi, cfg)
	if err != nil {
		return Result{HitStep: -1}, err
	}
	if err := flowFor(n, phi, FlowConfig{Dt: flow.Dt, Tol: flow.Tol}, new(float64)); err != nil {
		return Result{HitStep: -1}, err // validates Dt and Tol before any work
	}
	h := flow.Dt
	l := lp.res.InitialLoss
	for t := 0; ; t++ {
		if lp.visit(t, l, n) {
			return lp.res, lp.ctxErr
		}
		if ferr := flowFor(n, phi, FlowConfig{Time: cfg.Eta, Dt: flow.Dt, Tol: flow.Tol}, &h); ferr != nil {
			if n.Finite() && !errors.Is(ferr, errFlowOverflow) {
				return lp.res, ferr
			}
			l = math.Inf(1)
			continue
		}
		l, _ = Loss(n, phi)
	}
}

// rk4Step advances n by one classical RK4 step of length h.
func rk4Step(n *Net, phi mat.Matrix, h float64) error {
	base := n.Layers()
	k1, err := Gradients(n, phi)
	if err != nil {
		return err
	}
	stage := func(k []*mat.Dense, a float64) (*Net, error) {
		m := &Net{w: make([]*mat.Dense, len(base))}
		for j := range base {
			var w mat.Dense
			w.Scale(-a*h, k[j])
			w.Add(&w, base[j])
			m.w[j] = &w
		}
		return m, nil
	}
	n2, _ := stage(k1, 0.5)
	k2, _ := Gradients(n2, phi)
	n3, _ := stage(k2, 0.5)
	k3, _ := Gradients(n3, phi)
	n4, _ := stage(k3, 1)
	k4, _ := Gradients(n4, phi)
	for j := range base {
		var s mat.Dense
		s.Add(k1[j], k4[j])
		s.Add(&s, scaled(2, k2[j]))
		s.Add(&s, scaled(2, k3[j]))
		s.Scale(-h/6, &s)
		n.w[j].Add(base[j], &s)
	}
	return nil
}
