// Package selfcheck checks every measurement and bound of the suite against
// computations that share no code with it: golden tables computed outside
// the module (scripts/golden.py, numpy and 50-digit decimal; the values and
// their provenance are in testdata/golden.json, embedded) and independent Go
// references written here (D1 by explicit sums, singular values as square
// roots of Gram eigenvalues from a Jacobi eigensolver, [S]^p from the same
// solver, P_W as the explicit Kronecker sum, the bounds of CLAIMS.md typed
// again in the log domain).
//
// A property that measures its hypotheses and its conclusion with the same
// function cannot see that function go wrong (issue 18: D1 with the
// spectral norm passed every property). Check closes that gap: it runs in a
// fraction of a second, is a test of the default suite
// (selfcheck_test.go), and `dlnverify verify` can run it as a row.
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}.
package selfcheck

import (
	_ "embed"
	"encoding/json"
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Measure names used in Failure.Measure (one per checked quantity).
const (
	MD1       = "D1"           // imbalance pairs and their max
	MD2       = "D2"           // deficiency margin σ_min(Φ) − ‖W − Φ‖_F
	MSigma    = "sigma"        // singular values, σ_min, spectral norm
	MMeasure  = "Measure"      // the trajectory record's fields
	MSymPow   = "SymPow"       // [S]^p
	MPW       = "P_W"          // P_W applied to E
	MPWEig    = "P_W eigen"    // P_W's eigenvalues
	MDelta    = "delta*"       // T1's δ bound
	MEta      = "eta*"         // T1's η bound
	MHorizon  = "T(eps)"       // T1's horizon
	ML2       = "L2 bound"     // (4‖Φ‖_F)^{1/N}
	ML6       = "L6 bound"     // 2^{1/N} C^{2/N}
	ML6Nu     = "L6 nu"        // C^{2/N}/(30N²)
	MWhiten   = "whitening"    // Whiten's rotation-invariant outputs
	MRate     = "rate"         // η c^{2(N−1)/N} (L1, T1)
	MResidual = "R1 margin"    // 1 − 2‖Φ − I‖_F
	routeGold = "golden/numpy" // compared with testdata/golden.json
	routeRef  = "Go reference" // compared with the references in ref.go
)

// Impl is the set of functions under check. Public returns the module's;
// tests plant broken ones to see each check fail.
type Impl struct {
	ImbalancePairs func(*model.Net) []float64
	Imbalance      func(*model.Net) float64
	Margin         func(w, phi mat.Matrix) float64
	Measure        func(n *model.Net, phi mat.Matrix, rec *model.Record)
	SingularValues func(mat.Matrix) []float64
	SigmaMin       func(mat.Matrix) float64
	SpectralNorm   func(mat.Matrix) float64
	SymPow         func(mat.Matrix, float64) (*mat.Dense, error)
	ApplyPW        func(w, e mat.Matrix, N int) (*mat.Dense, error)
	PWEigenvalues  func(w mat.Matrix, N int) ([][]float64, error)
	DeltaBound     func(c float64, N int, phiF float64) float64
	EtaBound       func(c float64, N int, phiF float64) float64
	Horizon        func(loss0, eps, eta, c float64, N int) float64
	SpectralBound  func(N int, phiF float64) float64
	L6Bound        func(C float64, N int) float64
	L6Nu           func(C float64, N int) float64
	Rate           func(eta, c float64, N int) float64
	ResidualMargin func(phi mat.Matrix) float64
	Whiten         func(x, y mat.Matrix) (model.Data, error)
}

// Public is the module's public API.
func Public() Impl {
	return Impl{
		ImbalancePairs: invariants.ImbalancePairs,
		Imbalance:      invariants.Imbalance,
		Margin:         invariants.Margin,
		Measure:        invariants.Measure,
		SingularValues: invariants.SingularValues,
		SigmaMin:       invariants.SigmaMin,
		SpectralNorm:   invariants.SpectralNorm,
		SymPow:         invariants.SymPow,
		ApplyPW:        invariants.ApplyPW,
		PWEigenvalues:  invariants.PWEigenvalues,
		DeltaBound:     invariants.DeltaBound,
		EtaBound:       invariants.EtaBound,
		Horizon:        invariants.Horizon,
		SpectralBound:  invariants.SpectralBound,
		L6Bound:        invariants.L6Bound,
		L6Nu:           invariants.L6Nu,
		Rate:           invariants.Rate,
		ResidualMargin: invariants.ResidualMargin,
		Whiten:         model.Whiten,
	}
}

// Failure is one disagreement: which measurement, on which case, against
// which route, and the numbers.
type Failure struct {
	Measure string
	Case    string
	Route   string
	Msg     string
}

func (f Failure) String() string {
	return fmt.Sprintf("%s on %s vs %s: %s", f.Measure, f.Case, f.Route, f.Msg)
}

// Report is the outcome of Check.
type Report struct {
	Checks   int            // comparisons made
	PerMeas  map[string]int // comparisons per measure
	Failures []Failure
}

// OK reports whether every comparison agreed.
func (r Report) OK() bool { return len(r.Failures) == 0 && r.Checks > 0 }

type checker struct {
	rep  *Report
	meas string
	cs   string
	rt   string
}

func (c *checker) at(meas, cs, rt string) *checker {
	c.meas, c.cs, c.rt = meas, cs, rt
	return c
}

// near records |got − want| ≤ tol (NaN never passes) for one value.
func (c *checker) near(what string, got, want, tol float64) bool {
	c.rep.Checks++
	c.rep.PerMeas[c.meas]++
	if d := math.Abs(got - want); d <= tol {
		return true
	}
	c.fail("%s = %.17g, want %.17g (|diff| %.3g > tolerance %.3g)", what, got, want, math.Abs(got-want), tol)
	return false
}

func (c *checker) fail(format string, args ...any) {
	c.rep.Failures = append(c.rep.Failures, Failure{Measure: c.meas, Case: c.cs, Route: c.rt, Msg: fmt.Sprintf(format, args...)})
}

// nearMat compares every entry; it stops at the first disagreement.
func (c *checker) nearMat(what string, got mat.Matrix, want dense, tol float64) {
	if got == nil {
		c.rep.Checks++
		c.rep.PerMeas[c.meas]++
		c.fail("%s: no result", what)
		return
	}
	r, cc := got.Dims()
	if r != want.rows() || cc != want.cols() {
		c.rep.Checks++
		c.rep.PerMeas[c.meas]++
		c.fail("%s: shape %d×%d, want %d×%d", what, r, cc, want.rows(), want.cols())
		return
	}
	for i := 0; i < r; i++ {
		for j := 0; j < cc; j++ {
			if !c.near(fmt.Sprintf("%s[%d][%d]", what, i, j), got.At(i, j), want[i][j], tol) {
				return
			}
		}
	}
}

func (c *checker) nearVec(what string, got, want []float64, tol func(i int) float64) {
	if len(got) != len(want) {
		c.rep.Checks++
		c.rep.PerMeas[c.meas]++
		c.fail("%s: %d values, want %d", what, len(got), len(want))
		return
	}
	for i := range got {
		if !c.near(fmt.Sprintf("%s[%d]", what, i), got[i], want[i], tol(i)) {
			return
		}
	}
}

//go:embed testdata/golden.json
var goldenJSON []byte

type golden struct {
	Provenance map[string]any `json:"provenance"`
	Nets       []struct {
		Name      string        `json:"name"`
		Dims      []int         `json:"dims"`
		Layers    [][][]float64 `json:"layers"`
		Phi       [][]float64   `json:"phi"`
		Pairs     []float64     `json:"pairs"`
		Imbalance float64       `json:"imbalance"`
		Margin    float64       `json:"margin"`
		SigmaMinP float64       `json:"sigma_min_product"`
		MaxSpec   float64       `json:"max_layer_spectral"`
	} `json:"nets"`
	SingularValues []struct {
		Name string      `json:"name"`
		A    [][]float64 `json:"a"`
		SV   []float64   `json:"sv"`
	} `json:"singular_values"`
	SymPow []struct {
		Name string      `json:"name"`
		S    [][]float64 `json:"s"`
		P    float64     `json:"p"`
		Out  [][]float64 `json:"out"`
	} `json:"sympow"`
	PW []struct {
		Name   string      `json:"name"`
		W      [][]float64 `json:"w"`
		E      [][]float64 `json:"e"`
		N      int         `json:"N"`
		Apply  [][]float64 `json:"apply"`
		Sorted []float64   `json:"eigenvalues_sorted"`
		Eig    [][]float64 `json:"eigenvalues"`
	} `json:"pw"`
	Bounds []struct {
		N     int     `json:"N"`
		C     float64 `json:"c"`
		PhiF  float64 `json:"phiF"`
		Delta float64 `json:"delta_bound"`
		Eta   float64 `json:"eta_bound"`
		Rate  float64 `json:"rate_eta_1e-4"`
	} `json:"bounds"`
	Horizons []struct {
		Loss0, Eps, Eta, C float64
		N                  int
		Horizon            float64
	} `json:"horizons"`
	LayerBounds []struct {
		N    int     `json:"N"`
		X    float64 `json:"x"`
		L2   float64 `json:"l2_spectral_bound"`
		L6   float64 `json:"l6_bound"`
		L6Nu float64 `json:"l6_nu"`
	} `json:"layer_bounds"`
	Whiten []struct {
		Name  string      `json:"name"`
		X     [][]float64 `json:"x"`
		Y     [][]float64 `json:"y"`
		Gram  [][]float64 `json:"gram"`
		YC    [][]float64 `json:"y_centred"`
		PhiSV []float64   `json:"phi_singular_values"`
		Kappa float64     `json:"kappa"`
	} `json:"whiten"`
	Residual []struct {
		Name string      `json:"name"`
		Phi  [][]float64 `json:"phi"`
		C    float64     `json:"c"`
	} `json:"residual_margin"`
}

// Golden returns the parsed golden tables' provenance (script, numpy
// version, seed); an error if the embedded file does not parse.
func Golden() (map[string]any, error) {
	g, err := loadGolden()
	if err != nil {
		return nil, err
	}
	return g.Provenance, nil
}

func loadGolden() (*golden, error) {
	var g golden
	if err := json.Unmarshal(goldenJSON, &g); err != nil {
		return nil, fmt.Errorf("selfcheck: golden tables: %w", err)
	}
	return &g, nil
}

// Check compares impl with the golden tables and with the Go references
// (on the golden inputs and on randomCases fixed random inputs drawn from
// seed). It never panics on a broken impl that returns wrong values; a nil
// or wrongly shaped result is a failure.
func Check(impl Impl, seed uint64) Report {
	rep := Report{PerMeas: map[string]int{}}
	c := &checker{rep: &rep}
	g, err := loadGolden()
	if err != nil {
		c.at("golden", "load", routeGold).fail("%v", err)
		return rep
	}
	checkGolden(c, impl, g)
	checkRandom(c, impl, rand.New(rand.NewPCG(seed, 0x5e1fc4ec)))
	return rep
}

// safe runs f and turns a panic into a failure (a broken impl may index out
// of range); a panic is never counted as agreement.
func (c *checker) safe(f func()) {
	defer func() {
		if r := recover(); r != nil {
			c.rep.Checks++
			c.rep.PerMeas[c.meas]++
			c.fail("panicked: %v", r)
		}
	}()
	f()
}
