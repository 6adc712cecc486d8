package proofs

import (
	"math"
	"sort"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// L3: Mirsky's inequality for singular values.

var _ = Register(Property{ID: "L3", Name: "MirskySingularValues", Status: "V", Domain: "A, B ∈ R^{r×c}, r,c 1..6",
	Statement: "‖Sing(A) − Sing(B)‖ ≤ ‖A − B‖_F",
	Check:     L3MirskySingularValues, MinValid: 8})

// l3Options are L3's knobs; the planted bug pairs the singular values in
// opposite orders.
type l3Options struct {
	reverseB bool
}

// L3MirskySingularValues checks Lemma 3. The impl argument is not used.
//
// Cases: A ∈ R^{r×c}, r, c ∈ 1..6, from explicit singular values
// (gen.Targets); B = A + εD with ε ∈ {10⁻⁶, 10⁻³, 0.1, 1, 10}·‖A‖_F and
// D a seeded unit direction, or B independent of A (half the time).
//
// Checks: ‖Sing(A) − Sing(B)‖_2 ≤ ‖A − B‖_F + MeasureTol(‖A‖_F + ‖B‖_F),
// singular values in descending order on both sides.
func L3MirskySingularValues(impl model.Stepper, st *Stats) func(*rapid.T) {
	return l3Mirsky(st, l3Options{})
}

func l3Mirsky(st *Stats, o l3Options) func(*rapid.T) {
	return func(t *rapid.T) {
		r := rapid.IntRange(1, gen.MaxWidth).Draw(t, "rows")
		c := rapid.IntRange(1, gen.MaxWidth).Draw(t, "cols")
		sa := gen.Targets().Draw(t, "A")
		a, err := sa.Build(r, c)
		if err != nil {
			t.Fatalf("A: %v", err)
		}
		var b *mat.Dense
		if rapid.Bool().Draw(t, "independent B") {
			sb := gen.Targets().Draw(t, "B")
			b, err = sb.Build(r, c)
			if err != nil {
				t.Fatalf("B: %v", err)
			}
		} else {
			eps := rapid.SampledFrom([]float64{1e-3, 1e-6, 0.1, 1, 10}).Draw(t, "ε")
			d := gen.UnitDirection(r, c, model.NewRand(sa.Seed+5))
			b = mat.NewDense(r, c, nil)
			b.Scale(eps*sa.Frob, d)
			b.Add(b, a)
		}
		st.Case(true)
		x := invariants.SingularValues(a)
		y := invariants.SingularValues(b)
		if o.reverseB {
			sort.Float64s(y)
		}
		s := 0.0
		for i := range x {
			s += (x[i] - y[i]) * (x[i] - y[i])
		}
		lhs := math.Sqrt(s)
		var diff mat.Dense
		diff.Sub(a, b)
		rhs := mat.Norm(&diff, 2)
		tol := MeasureTol(mat.Norm(a, 2)+mat.Norm(b, 2), max(r, c), 0)
		if rhs > 0 {
			// Slack within the rounding allowance, like the assertion below:
			// equality cases (B = A + εA's direction) sit at −1e-16 raw.
			st.Slack((rhs + tol - lhs) / rhs)
		}
		if !(lhs <= rhs+tol) {
			t.Fatalf("L3 violated: ‖Sing(A) − Sing(B)‖ = %.12g > ‖A − B‖_F = %.12g (tol %.3g)", lhs, rhs, tol)
		}
	}
}
