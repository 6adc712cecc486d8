package proofs

import (
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// P1: Procedure 1, the balanced start.

var _ = Register(Property{ID: "P1", Name: "ProcedureOneBalancedStart", Status: "V", Domain: "N 1..6, widths 1..6 (narrow ones must be refused)",
	Statement: "Procedure 1 gives W_{1:N} = A and 0-balanced layers, with or without orthogonal insertions; narrow widths are refused",
	Check:     P1ProcedureOneBalancedStart, MinValid: 8})

// procedure is Procedure 1's signature (model.Balanced).
type procedure func(a mat.Matrix, dims []int, rng *rand.Rand) (*model.Net, error)

// P1ProcedureOneBalancedStart checks P1 on model.Balanced.
//
// Cases: any architecture (N = 1..6, widths 1..6, narrow hidden layers
// allowed), A from explicit singular values (gen.Targets), with and without
// orthogonal insertion. Hypothesis: the widths condition
// min_j d_j ≥ min(d_0, d_N); valid cases are those meeting it.
//
// Checks: valid cases give W_{1:N} = A within MeasureTol and imbalance ≤
// ImbalanceTol; invalid widths are refused with an error.
func P1ProcedureOneBalancedStart(impl model.Stepper, st *Stats) func(*rapid.T) {
	return p1Procedure(st, model.Balanced)
}

func p1Procedure(st *Stats, proc procedure) func(*rapid.T) {
	shapes := gen.Shapes(gen.ShapeOptions{Narrow: true})
	return func(t *rapid.T) {
		sh := shapes.Draw(t, "shape")
		spec := gen.Targets().Draw(t, "A")
		insert := rapid.Bool().Draw(t, "insert")
		a, err := spec.Build(sh.Dims[sh.N], sh.Dims[0])
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		var rng *rand.Rand
		if insert {
			rng = model.NewRand(spec.Seed + 1)
		}
		t.Logf("P1 case: N=%d dims=%v ‖A‖_F=%.4g cond(A)=%.3g insert=%v", sh.N, sh.Dims, spec.Frob, spec.Condition, insert)
		ok := invariants.WidthsOK(sh.Dims)
		st.Case(ok)
		n, err := proc(a, sh.Dims, rng)
		if !ok {
			if err == nil {
				t.Fatalf("P1 violated: Procedure 1 accepted hidden widths %v below min(d_0, d_N)", sh.Dims)
			}
			return
		}
		if err != nil {
			t.Fatalf("P1: Procedure 1 failed on valid widths %v: %v", sh.Dims, err)
		}
		m, d := productScale(n)
		var diff mat.Dense
		diff.Sub(n.Product(), a)
		if e, tol := mat.Norm(&diff, 2), MeasureTol(m+spec.Frob, d, sh.N); !(e <= tol) {
			t.Fatalf("P1 violated: ‖W_{1:N} − A‖_F = %.3g (tol %.3g)", e, tol)
		}
		if imb, tol := invariants.Imbalance(n), ImbalanceTol(n); !(imb <= tol) {
			t.Fatalf("P1 violated: imbalance %.3g > tol %.3g (not 0-balanced)", imb, tol)
		}
	}
}
