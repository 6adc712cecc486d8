package counterexamples

import (
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// frozen is a broken Stepper that reports the loss but never moves.
type frozen struct{}

func (frozen) Name() string { return "frozen" }
func (frozen) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	return model.Loss(n, phi)
}
