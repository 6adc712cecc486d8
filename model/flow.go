package model

import (
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
	Dt   float64 // RK4 step; the last step is shortened to land on Time exactly
}

// Flow integrates gradient flow dW_j/dτ = −∂L^N/∂W_j (F1) over cfg.Time with
// classical RK4, in place. It returns an error for invalid arguments or when
// the state becomes non-finite.
func Flow(n *Net, phi mat.Matrix, cfg FlowConfig) error {
	if err := n.CheckTarget(phi); err != nil {
		return err
	}
	if !(cfg.Time >= 0) || math.IsInf(cfg.Time, 0) || !(cfg.Dt > 0) || math.IsInf(cfg.Dt, 0) {
		return fmt.Errorf("model: FlowConfig needs Time ≥ 0 and Dt > 0, finite (got %v, %v)", cfg.Time, cfg.Dt)
	}
	steps := int(math.Ceil(cfg.Time/cfg.Dt - 1e-9))
	if steps > 1<<31 {
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
		return fmt.Errorf("model: gradient flow left the finite range")
	}
	return nil
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
