package model_test

import (
	"fmt"
	"log"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// Run trains a depth-2 network with gradient descent until the loss
// ℓ(t) = ½‖W_2W_1 − Φ‖_F² falls to Epsilon (S1, S2). The network is
// updated in place; Result says how the run ended and at which iterate.
func ExampleRun() {
	// W_1 ∈ R^{2×2}, W_2 ∈ R^{2×2}: x ↦ W_2W_1x, starting at the identity.
	n, err := model.Identity(2, 2)
	if err != nil {
		log.Fatal(err)
	}
	phi := mat.NewDense(2, 2, []float64{1.2, 0.1, 0.2, 0.9})
	res, err := model.Run(model.Reference{}, n, phi, model.RunConfig{
		Eta:      0.1,
		MaxSteps: 10_000,
		Epsilon:  1e-10,
	})
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("status:", res.Status)
	fmt.Printf("ℓ(0) = %.4f, ℓ(t*) ≤ 1e-10: %v\n", res.InitialLoss, res.FinalLoss <= 1e-10)
	fmt.Printf("W(t*) = W_2W_1 ≈ Φ:\n%.3f\n", mat.Formatted(n.Product()))
	// Output:
	// status: converged
	// ℓ(0) = 0.0500, ℓ(t*) ≤ 1e-10: true
	// W(t*) = W_2W_1 ≈ Φ:
	// ⎡1.200  0.100⎤
	// ⎣0.200  0.900⎦
}

// Balanced is Procedure 1 (P1): layers whose product is A and which are
// 0-balanced, W_{j+1}ᵀW_{j+1} = W_jW_jᵀ (B1).
func ExampleBalanced() {
	a := mat.NewDense(1, 3, []float64{2, 1, 2})         // d_0 = 3, d_N = 1, ‖A‖ = 3
	n, err := model.Balanced(a, []int{3, 2, 2, 1}, nil) // N = 3 layers
	if err != nil {
		log.Fatal(err)
	}
	fmt.Println("dims:", n.Dims())
	fmt.Printf("W_3W_2W_1 = %.6f\n", mat.Formatted(n.Product()))
	// Every layer's non-zero singular value is ‖A‖^{1/N} = 3^{1/3} ≈ 1.442250.
	for j := 1; j <= n.N(); j++ {
		fmt.Printf("‖W_%d‖_F = %.6f\n", j, mat.Norm(n.Layer(j), 2))
	}
	// Output:
	// dims: [3 2 2 1]
	// W_3W_2W_1 = [2.000000  1.000000  2.000000]
	// ‖W_1‖_F = 1.442250
	// ‖W_2‖_F = 1.442250
	// ‖W_3‖_F = 1.442250
}
