package invariants_test

// A NaN can never make a check pass (issue 7). Every measurement of this
// package is fed NaN (and ±Inf) in each argument it has; its result must be
// NaN, an error, or a value that fails the comparison it is used in. The
// Theorem 1 check is fed NaN in every field and every input.

import (
	"math"
	"reflect"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

var nonFinite = []float64{math.NaN(), math.Inf(1), math.Inf(-1)}

// poisoned returns a copy of m with entry (i, j) set to v.
func poisoned(m mat.Matrix, i, j int, v float64) *mat.Dense {
	p := mat.DenseCopyOf(m)
	p.Set(i, j, v)
	return p
}

// poisonNet returns a copy of n with W_j(0, 0) = v. NewNet rejects
// non-finite entries, so this goes through Layer, which returns the live
// matrix: it models a network that became non-finite during a run.
func poisonNet(n *model.Net, j int, v float64) *model.Net {
	p := n.Clone()
	p.Layer(j).Set(0, 0, v)
	return p
}

// passing is a start, Φ and η for which every Theorem 1 hypothesis holds.
func passing(t *testing.T) (*model.Net, *mat.Dense, float64) {
	t.Helper()
	phi := mat.NewDense(2, 2, []float64{1, 0, 0, 0.8})
	var a mat.Dense
	a.Scale(0.95, phi)
	n, err := model.Balanced(&a, []int{2, 2, 2}, model.NewRand(1))
	require.NoError(t, err)
	h := invariants.CheckTheorem1(n, phi, 0, 0)
	eta := h.EtaBound / 2
	require.True(t, invariants.CheckTheorem1(n, phi, eta, 0).Holds(), "the baseline must pass for the NaN cases to mean anything")
	return n, phi, eta
}

func TestNaNNeverPassesMatrixMeasurements(t *testing.T) {
	a := mat.NewDense(2, 3, []float64{1, 2, 3, 4, 5, 6})
	for _, v := range nonFinite {
		for _, pos := range [][2]int{{0, 0}, {1, 2}} {
			p := poisoned(a, pos[0], pos[1], v)
			require.Nil(t, invariants.SingularValues(p))
			require.True(t, math.IsNaN(invariants.SigmaMin(p)), "σ_min with %v", v)
			require.True(t, math.IsNaN(invariants.SpectralNorm(p)), "‖·‖_σ with %v", v)
			f := invariants.Frobenius(p)
			require.True(t, math.IsNaN(f) || math.IsInf(f, 1), "‖·‖_F with %v = %v", v, f)
			// A check of the form "σ_min(W) ≥ c" or "‖W‖_σ ≤ B" fails.
			require.False(t, invariants.SigmaMin(p) >= 0)
			require.False(t, invariants.SpectralNorm(p) <= math.MaxFloat64)
		}
	}
	s := mat.NewDense(2, 2, []float64{2, 1, 1, 2})
	for _, v := range nonFinite {
		_, err := invariants.SymPow(poisoned(s, 0, 1, v), 0.5)
		require.Error(t, err)
		_, err = invariants.SymPow(s, v)
		require.Error(t, err, "exponent %v", v)
		_, err = invariants.ApplyPW(poisoned(a, 0, 0, v), a, 2)
		require.Error(t, err)
		_, err = invariants.ApplyPW(a, poisoned(a, 0, 0, v), 2)
		if err == nil {
			out, _ := invariants.ApplyPW(a, poisoned(a, 0, 0, v), 2)
			require.False(t, linalg.AllFinite(out), "P_W applied to a non-finite E must not look finite")
		}
		_, err = invariants.PWEigenvalues(poisoned(a, 1, 1, v), 3)
		require.Error(t, err)
	}
}

func TestNaNNeverPassesNetMeasurements(t *testing.T) {
	n, phi, _ := passing(t)
	for _, v := range nonFinite {
		for j := 1; j <= n.N(); j++ {
			p := poisonNet(n, j, v)
			imb := invariants.Imbalance(p)
			require.False(t, imb <= 1e300, "imbalance %v with W_%d(0,0) = %v", imb, j, v)
			pairs := invariants.ImbalancePairs(p)
			require.False(t, pairs[min(j, n.N()-1)-1] <= 1e300, "the pair touching W_%d", j)
			require.False(t, invariants.NetMargin(p, phi) > -1e300, "margin with W_%d = %v", j, v)
			require.True(t, math.IsNaN(invariants.MaxLayerSpectral(p)))
			var rec model.Record
			invariants.Measure(p, phi, &rec)
			require.False(t, rec.Imbalance <= 1e300, "%+v", rec)
			require.False(t, rec.Margin > -1e300, "%+v", rec)
			require.True(t, math.IsNaN(rec.SigmaMin), "%+v", rec)
			require.True(t, math.IsNaN(rec.MaxSpectral), "%+v", rec)
		}
		bad := poisoned(phi, 1, 0, v)
		require.True(t, math.IsNaN(invariants.NetMargin(n, bad)))
		m := invariants.Margin(n.Product(), bad)
		require.False(t, m > -1e300, "margin against a non-finite Φ = %v", m)
		var rec model.Record
		invariants.Measure(n, bad, &rec)
		require.True(t, math.IsNaN(rec.Margin) && math.IsNaN(rec.SigmaMin), "%+v", rec)
		require.True(t, math.IsNaN(invariants.ResidualMargin(poisoned(linalg.Identity(2), 0, 0, v))) ||
			invariants.ResidualMargin(poisoned(linalg.Identity(2), 0, 0, v)) <= 0)
	}
}

// Every scalar bound returns NaN for a NaN argument (so "x ≤ bound" fails).
func TestNaNNeverPassesBounds(t *testing.T) {
	nan := math.NaN()
	for name, v := range map[string]float64{
		"DeltaBound(c)":   invariants.DeltaBound(nan, 3, 1),
		"DeltaBound(Φ)":   invariants.DeltaBound(0.5, 3, nan),
		"EtaBound(c)":     invariants.EtaBound(nan, 3, 1),
		"EtaBound(Φ)":     invariants.EtaBound(0.5, 3, nan),
		"Rate(η)":         invariants.Rate(nan, 0.5, 3),
		"Rate(c)":         invariants.Rate(1e-3, nan, 3),
		"Horizon(ℓ0)":     invariants.Horizon(nan, 1e-3, 1e-3, 0.5, 3),
		"Horizon(ε)":      invariants.Horizon(1, nan, 1e-3, 0.5, 3),
		"Horizon(η)":      invariants.Horizon(1, 1e-3, nan, 0.5, 3),
		"Horizon(c)":      invariants.Horizon(1, 1e-3, 1e-3, nan, 3),
		"SpectralBound":   invariants.SpectralBound(3, nan),
		"L6Bound":         invariants.L6Bound(nan, 3),
		"L6Nu":            invariants.L6Nu(nan, 3),
		"ResidualMargin":  invariants.ResidualMargin(mat.NewDense(1, 1, []float64{nan})),
		"Margin(Φ σ_min)": invariants.Margin(mat.NewDense(1, 1, []float64{1}), mat.NewDense(1, 1, []float64{nan})),
	} {
		require.True(t, math.IsNaN(v), "%s = %v, want NaN", name, v)
	}
}

// Theorem1.Holds is false when any field it reads is NaN, starting from a
// record for which it is true.
func TestNaNNeverPassesTheorem1Fields(t *testing.T) {
	n, phi, eta := passing(t)
	base := invariants.CheckTheorem1(n, phi, eta, 0)
	require.True(t, base.Holds())
	rv := reflect.ValueOf(&base).Elem()
	checked := 0
	for i := 0; i < rv.NumField(); i++ {
		f := rv.Type().Field(i)
		if f.Type.Kind() != reflect.Float64 {
			continue
		}
		for _, v := range nonFinite {
			h := base
			reflect.ValueOf(&h).Elem().Field(i).SetFloat(v)
			switch f.Name {
			case "PhiF", "SigmaMinPh":
				// Informational: Holds reads the bounds derived from them,
				// which CheckTheorem1 computes (NaN from a NaN ‖Φ‖_F, below).
				continue
			case "DeltaBound", "EtaBound":
				if v > 0 {
					continue // an infinite bound is a (vacuous) bound, not a NaN
				}
			case "Delta":
				if math.IsInf(v, -1) {
					continue // a measured imbalance is a norm, ≥ 0; −Inf cannot occur
				}
			case "C":
				if v > 0 {
					// c = +Inf cannot come from CheckTheorem1 (the margin is
					// ≤ σ_min(Φ)); its bounds would be recomputed as +Inf.
					continue
				}
			}
			require.False(t, h.Holds(), "Holds with %s = %v", f.Name, v)
			checked++
		}
	}
	require.GreaterOrEqual(t, checked, 5*1, "every float field Holds reads was poisoned")
}

// CheckTheorem1 with a NaN anywhere in its inputs never holds.
func TestNaNNeverPassesCheckTheorem1(t *testing.T) {
	n, phi, eta := passing(t)
	for _, v := range nonFinite {
		for j := 1; j <= n.N(); j++ {
			h := invariants.CheckTheorem1(poisonNet(n, j, v), phi, eta, 0)
			require.False(t, h.Holds(), "W_%d(0,0) = %v: %+v", j, v, h)
		}
		for _, pos := range [][2]int{{0, 0}, {0, 1}, {1, 1}} {
			h := invariants.CheckTheorem1(n, poisoned(phi, pos[0], pos[1], v), eta, 0)
			require.False(t, h.Holds(), "Φ%v = %v: %+v", pos, v, h)
		}
		require.False(t, invariants.CheckTheorem1(n, phi, v, 0).Holds(), "η = %v", v)
		if !math.IsInf(v, -1) { // c ≤ 0 (−Inf included) documentedly means "use the measured margin"
			require.False(t, invariants.CheckTheorem1(n, phi, eta, v).Holds(), "claimed c = %v", v)
		}
	}
}

// Subnormal inputs to the fractional powers: Go's amd64 math.Log
// mishandles them (golang/go#56600); linalg.Pow and SymPow must not.
func TestSubnormalFractionalPowers(t *testing.T) {
	for _, x := range []float64{5e-324, 1e-310, 2.2e-308} {
		for _, p := range []float64{0.25, 1.0 / 3, 2.0 / 3, 1.5} {
			got := linalg.Pow(x, p)
			want := math.Exp(p * (math.Log(x*0x1p64) - 64*math.Ln2))
			if want < 1e-300 { // the result is itself subnormal or underflows
				require.InDelta(t, want, got, 1e-320, "Pow(%g, %g)", x, p)
				continue
			}
			require.InEpsilon(t, want, got, 1e-12, "Pow(%g, %g)", x, p)
		}
		s := mat.NewDense(1, 1, []float64{x})
		r, err := invariants.SymPow(s, 0.25)
		require.NoError(t, err)
		require.InEpsilon(t, linalg.Pow(x, 0.25), r.At(0, 0), 1e-12)
		ev, err := invariants.PWEigenvalues(mat.NewDense(1, 1, []float64{x}), 3)
		require.NoError(t, err)
		// N = 3, d = 1: Σ_j σ^{2(3−j)/3} σ^{2(j−1)/3} = 3σ^{4/3}.
		if want := 3 * linalg.Pow(x, 4.0/3); want > 0 {
			require.InEpsilon(t, want, ev[0][0], 1e-12)
		} else {
			require.Equal(t, 0.0, ev[0][0]) // σ^{4/3} underflows
		}
	}
}
