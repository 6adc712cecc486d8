package proofs_test

import (
	"fmt"
	"log"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// plainGD is a user's own gradient-descent step: every gradient
// ∂L^N/∂W_j = W_{j+1:N}ᵀ(W_{1:N} − Φ)W_{1:j−1}ᵀ at the current iterate (S2),
// then W_j ← W_j − η∂L^N/∂W_j. With ascent set it climbs instead (a planted bug).
type plainGD struct{ ascent bool }

func (s plainGD) Name() string {
	if s.ascent {
		return "plain-ascent"
	}
	return "plain"
}

func (s plainGD) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, err := model.Loss(n, phi)
	if err != nil {
		return 0, err
	}
	grads, err := model.Gradients(n, phi) // all taken before any layer moves
	if err != nil {
		return 0, err
	}
	if s.ascent {
		eta = -eta
	}
	for j := 1; j <= n.N(); j++ {
		w := n.Layer(j) // W_j itself: updated in place
		w.Sub(w, scaled(eta, grads[j-1]))
	}
	return loss, nil
}

func scaled(a float64, m *mat.Dense) *mat.Dense {
	var out mat.Dense
	out.Scale(a, m)
	return &out
}

// Verify runs one registered claim property against any model.Stepper,
// outside or inside `go test`, and applies the no-vacuous-pass rule. Here
// S2 (the step's implied gradient equals finite differences of the loss)
// accepts a correct custom stepper and rejects gradient ascent.
func ExampleVerify() {
	p, ok := proofs.Lookup("TestS2_GradientMatchesFiniteDifferences")
	if !ok {
		log.Fatal("S2 is not registered")
	}
	for _, impl := range []model.Stepper{plainGD{}, plainGD{ascent: true}} {
		out := proofs.Verify(p, impl)
		fmt.Printf("%s %s on %s: passed %v, failed with S2's message %v\n",
			out.ID, out.Name, out.Impl, out.Passed, strings.Contains(out.Failure, "S2 violated"))
	}
	// Output:
	// S2 GradientMatchesFiniteDifferences on plain: passed true, failed with S2's message false
	// S2 GradientMatchesFiniteDifferences on plain-ascent: passed false, failed with S2's message true
}
