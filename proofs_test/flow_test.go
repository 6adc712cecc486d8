package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

func TestF1_FlowConservesImbalance(t *testing.T)    { runRegistered(t) }
func TestF2_EndToEndOperatorKronecker(t *testing.T) { runRegistered(t) }
func TestB1_BalancedLayersArePowers(t *testing.T)   { runRegistered(t) }
func TestP1_ProcedureOneBalancedStart(t *testing.T) { runRegistered(t) }

func TestF1_FlowConservesImbalance_CatchesPlantedBug(t *testing.T) {
	// An order-1 integrator (Euler = GD steps) passed off as the order-4 flow.
	expectFailure(t, "F1 with Euler steps of the reference", f1Flow(eulerWith(model.Reference{}), model.FlowOrder, NewStats()))
	// A broken stepper inside Euler breaks it too.
	expectFailure(t, "F1 with Euler steps of "+faulty.Sequential{}.Name(), f1Flow(eulerWith(faulty.Sequential{}), model.FlowOrder, NewStats()))
}

func TestF2_EndToEndOperatorKronecker_CatchesPlantedBug(t *testing.T) {
	// Broken constant: exponents (N−j+1)/N and (j−1)/N in the eigenvalue formula.
	broken := f2Options{eigen: func(w mat.Matrix, N int) ([][]float64, error) {
		ev, err := invariants.PWEigenvalues(w, N)
		if err != nil {
			return nil, err
		}
		sv := invariants.SingularValues(w)
		for a := range ev {
			for b := range ev[a] {
				sa, sb := 0.0, 0.0
				if a < len(sv) {
					sa = sv[a]
				}
				if b < len(sv) {
					sb = sv[b]
				}
				s := 0.0
				for j := 1; j <= N; j++ {
					s += math.Pow(sa, 2*float64(N-j+1)/float64(N)) * math.Pow(sb, 2*float64(j-1)/float64(N))
				}
				ev[a][b] = s
			}
		}
		return ev, nil
	}}
	expectFailure(t, "F2 with eigenvalue exponent (N−j+1)/N", f2Kronecker(NewStats(), broken))
}

func TestB1_BalancedLayersArePowers_CatchesPlantedBug(t *testing.T) {
	broken := b1Options{leftExp: func(N, j int) float64 { return float64(N-j) / float64(N) }}
	expectFailure(t, "B1 with exponent (N−j)/N", b1Powers(NewStats(), broken))
}

func TestP1_ProcedureOneBalancedStart_CatchesPlantedBug(t *testing.T) {
	expectFailure(t, "P1 with one-sided orthogonal insertion", p1Procedure(NewStats(), brokenProcedure))
}
