package proofs

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

// eulerWith integrates the flow by explicit Euler, i.e. GD steps of impl
// with η = dt (order 1): the planted-bug integrator of F1.
func eulerWith(impl model.Stepper) integrator {
	return func(n *model.Net, phi mat.Matrix, tau, dt float64) error {
		k := int(math.Round(tau / dt))
		for i := 0; i < k; i++ {
			if _, err := impl.Step(n, phi, dt); err != nil {
				return err
			}
		}
		return nil
	}
}

func TestF1_FlowConservesImbalance(t *testing.T) { runRegistered(t) }

func TestF1_FlowConservesImbalance_CatchesPlantedBug(t *testing.T) {
	// An order-1 integrator (Euler = GD steps) passed off as the order-4 flow.
	expectFailure(t, "F1 with Euler steps of the reference", f1Flow(eulerWith(model.Reference{}), model.FlowOrder, NewStats()))
	// A broken stepper inside Euler breaks it too.
	expectFailure(t, "F1 with Euler steps of "+faulty.Sequential{}.Name(), f1Flow(eulerWith(faulty.Sequential{}), model.FlowOrder, NewStats()))
}
