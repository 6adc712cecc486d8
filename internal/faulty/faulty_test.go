package faulty_test

import (
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

// Every faulty stepper differs from the reference on a generic square case
// (d = 2, N = 3), reports the pre-step loss like the reference, and rejects
// a bad η.
func TestFaultyDifferFromReference(t *testing.T) {
	dims := []int{2, 2, 2, 2}
	start, err := model.Gaussian(dims, 0.8, model.NewRand(1))
	if err != nil {
		t.Fatal(err)
	}
	phi := model.GaussianMatrix(2, 2, 1, model.NewRand(2))
	ref := start.Clone()
	wantLoss, err := model.Reference{}.Step(ref, phi, 0.05)
	if err != nil {
		t.Fatal(err)
	}
	for _, s := range faulty.All() {
		n := start.Clone()
		loss, err := s.Step(n, phi, 0.05)
		if err != nil {
			t.Fatalf("%s: %v", s.Name(), err)
		}
		if loss != wantLoss {
			t.Errorf("%s: returned loss %v, reference %v", s.Name(), loss, wantLoss)
		}
		diff := 0.0
		for j := 1; j <= n.N(); j++ {
			var d mat.Dense
			d.Sub(n.Layer(j), ref.Layer(j))
			diff += mat.Norm(&d, 2)
		}
		if diff < 1e-6 {
			t.Errorf("%s: identical to the reference (difference %.3g)", s.Name(), diff)
		}
		if _, err := s.Step(n, phi, -1); err == nil {
			t.Errorf("%s: accepted η = −1", s.Name())
		}
	}
}
