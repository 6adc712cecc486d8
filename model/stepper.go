package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// Stepper is one implementation of a gradient-descent step. The property
// suite, the run loop and the CLI take a Stepper, so the reference, a fast
// implementation and deliberately broken ones are checked by the same code.
type Stepper interface {
	// Name identifies the implementation in reports.
	Name() string
	// Step replaces W_1..W_N by W_j − η ∂L^N/∂W_j, every gradient taken at
	// the same (current) iterate, and returns the loss ℓ of the iterate
	// before the step. It must not keep references to n or phi.
	Step(n *Net, phi mat.Matrix, eta float64) (float64, error)
}

// Reference is the plain GD implementation: gradients from Gradients
// (S2's formula, read off term by term), then the update. It allocates
// freely and favours being obviously right over speed.
type Reference struct{}

// Name implements Stepper.
func (Reference) Name() string { return "reference" }

// Step implements Stepper.
func (r Reference) Step(n *Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, _, err := r.StepIf(n, phi, eta, nil)
	return loss, err
}

// StepIf implements CheckedStepper (proceed nil: always step).
func (Reference) StepIf(n *Net, phi mat.Matrix, eta float64, proceed func(float64) bool) (float64, bool, error) {
	if err := checkEta(eta); err != nil {
		return math.NaN(), false, err
	}
	loss, err := Loss(n, phi)
	if err != nil {
		return math.NaN(), false, err
	}
	if proceed != nil && !proceed(loss) {
		return loss, false, nil
	}
	grads, err := Gradients(n, phi)
	if err != nil {
		return math.NaN(), false, err
	}
	for j, g := range grads {
		n.w[j].Sub(n.w[j], scaled(eta, g))
	}
	return loss, true, nil
}

func scaled(a float64, m *mat.Dense) *mat.Dense {
	var s mat.Dense
	s.Scale(a, m)
	return &s
}

func checkEta(eta float64) error {
	if !(eta > 0) || math.IsInf(eta, 0) {
		return fmt.Errorf("model: step size η = %v must be a finite positive number", eta)
	}
	return nil
}
