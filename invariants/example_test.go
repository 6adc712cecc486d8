package invariants_test

import (
	"fmt"
	"log"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// CheckTheorem1 measures Theorem 1's hypotheses (T1) for a start: the
// deficiency margin c (D2), the imbalance δ (D1) against δ* = c²/(256N³‖Φ‖_F^{2(N−1)/N}),
// the step η against η* = c^{(4N−2)/N}/(6144N³‖Φ‖_F^{(6N−4)/N}), and the widths.
func ExampleCheckTheorem1() {
	// A 0-balanced start (Procedure 1) near the target: W_{1:N}(0) = A.
	a := mat.NewDense(2, 2, []float64{1, 0, 0, 1})
	n, err := model.Balanced(a, []int{2, 2, 2}, nil)
	if err != nil {
		log.Fatal(err)
	}
	phi := mat.NewDense(2, 2, []float64{1.1, 0, 0, 1.2})

	h := invariants.CheckTheorem1(n, phi, 1e-6, 0) // c ≤ 0: use the measured margin
	fmt.Printf("N = %d, dims %v\n", h.N, h.Dims)
	fmt.Printf("margin c = σ_min(Φ) − ‖W − Φ‖_F = %.4f\n", h.C)
	fmt.Printf("δ = %.1f ≤ δ* = %.3g\n", h.Delta, h.DeltaBound)
	fmt.Printf("η = %g ≤ η* = %.3g\n", h.Eta, h.EtaBound)
	fmt.Println("Theorem 1 applies:", h.Holds())

	// A step above η* breaks the hypotheses.
	fmt.Println("at η = 1e-3:", invariants.CheckTheorem1(n, phi, 1e-3, 0).Holds())
	// Output:
	// N = 2, dims [2 2 2]
	// margin c = σ_min(Φ) − ‖W − Φ‖_F = 0.8764
	// δ = 0.0 ≤ δ* = 0.00023
	// η = 1e-06 ≤ η* = 1.95e-06
	// Theorem 1 applies: true
	// at η = 1e-3: false
}
