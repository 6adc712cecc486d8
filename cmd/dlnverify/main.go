// Command dlnverify checks the claims of Arora, Cohen, Golowich & Hu (ICLR
// 2019) on deep linear networks. This first version trains one default
// case with the reference GD and prints loss, imbalance and margin.
package main

import (
	"fmt"
	"io"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

func main() {
	os.Exit(run(os.Stdout, os.Stderr))
}

func run(stdout, stderr io.Writer) int {
	// Default case: N = 3, d = 2, a balanced start at margin ≈ 0.5 from a
	// unit-norm diagonal Φ, η at Theorem 1's bound.
	phi := mat.NewDense(2, 2, []float64{0.8, 0, 0, 0.6})
	a := mat.NewDense(2, 2, []float64{0.8 - 0.15, 0.05, 0, 0.6 - 0.2})
	n, err := model.Balanced(a, []int{2, 2, 2, 2}, model.NewRand(1))
	if err != nil {
		fmt.Fprintln(stderr, "dlnverify:", err)
		return 2
	}
	h := invariants.CheckTheorem1(n, phi, 0, 0)
	h = invariants.CheckTheorem1(n, phi, h.EtaBound, 0)
	fmt.Fprintf(stdout, "N=%d dims=%v ‖Φ‖_F=%.4g σ_min(Φ)=%.4g c=%.4g δ=%.3g (T1 bound %.3g) η=%.3g (T1 bound %.3g) hypotheses hold: %v\n",
		h.N, h.Dims, h.PhiF, h.SigmaMinPh, h.C, h.Delta, h.DeltaBound, h.Eta, h.EtaBound, h.Holds())
	res, err := model.Run(model.Reference{}, n, phi, model.RunConfig{Eta: h.Eta, MaxSteps: 200000, Stride: 40000, Measure: invariants.Measure})
	if err != nil {
		fmt.Fprintln(stderr, "dlnverify:", err)
		return 2
	}
	fmt.Fprintf(stdout, "%10s %14s %12s %10s\n", "step", "loss", "imbalance", "margin")
	for _, r := range res.Trajectory {
		fmt.Fprintf(stdout, "%10d %14.6e %12.3e %10.6f\n", r.Step, r.Loss, r.Imbalance, r.Margin)
	}
	bound := res.InitialLoss
	for i := 0; i < res.Steps; i++ {
		bound *= 1 - invariants.Rate(h.Eta, h.C, h.N)
	}
	fmt.Fprintf(stdout, "status=%s steps=%d final loss %.6e ≤ T1/L1 guarantee (1−ηc^{2(N−1)/N})^t ℓ(0) = %.6e: %v\n",
		res.Status, res.Steps, res.FinalLoss, bound, res.FinalLoss <= bound)
	return 0
}
