package model_test

// Fuzz tests for model's public constructors and readers (issue 7).
//
// Each target decodes the fuzzer's bytes into a small, structured input
// (shapes ≤ 4, values drawn from a table of magnitudes that includes 1e±150,
// 1e±300, subnormals, ±0, NaN and ±Inf), calls the function, and asserts:
// no panic; an error or a well-formed result; and, for a result, the
// function's documented contract (finite entries, shapes, reproduction of
// the input, overflow reported as divergence). Sizes are capped so that no
// input can hang a worker.
//
// Run one target for a minute with, e.g.,
//
//	go test ./model/ -run '^$' -fuzz '^FuzzReadCSV$' -fuzztime 60s
//
// `go test ./model/` runs only the seed corpora (testdata/fuzz/Fuzz*/ and
// the f.Add seeds).

import (
	"bytes"
	"errors"
	"math"
	"strconv"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// byteSrc turns fuzz bytes into structured draws; past the end it yields 0.
type byteSrc struct {
	b []byte
	i int
}

func (s *byteSrc) next() byte {
	if s.i >= len(s.b) {
		return 0
	}
	s.i++
	return s.b[s.i-1]
}

// upTo returns an int in [0, n].
func (s *byteSrc) upTo(n int) int { return int(s.next()) % (n + 1) }

// magnitudes are the decades a fuzzed value can take. Index 0..5 are the
// common case; the rest are the numerical extremes of issue 7.
var magnitudes = []float64{1, 1e-1, 1e-2, 1, 10, 1e-8, 1e-150, 1e150, 1e-300, 1e300, 4.9e-324 * 1e3, 1e-310}

// float returns m·10^k for a small signed integer m, or one of ±0, NaN, ±Inf.
func (s *byteSrc) float() float64 {
	m := float64(int8(s.next()))
	sel := s.next()
	switch sel {
	case 250:
		return math.NaN()
	case 251:
		return math.Inf(1)
	case 252:
		return math.Inf(-1)
	case 253:
		return math.Copysign(0, -1)
	}
	return m * magnitudes[int(sel)%len(magnitudes)]
}

// finiteFloat is float() without the non-finite values.
func (s *byteSrc) finiteFloat() float64 {
	for range 4 {
		if v := s.float(); !math.IsNaN(v) && !math.IsInf(v, 0) {
			return v
		}
	}
	return 1
}

func allFinite(m mat.Matrix) bool {
	r, c := m.Dims()
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			if v := m.At(i, j); math.IsNaN(v) || math.IsInf(v, 0) {
				return false
			}
		}
	}
	return true
}

func maxAbs(m mat.Matrix) float64 {
	r, c := m.Dims()
	x := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < c; j++ {
			x = math.Max(x, math.Abs(m.At(i, j)))
		}
	}
	return x
}

// FuzzReadCSV: any byte string either fails with an error or yields X
// (d_x×m) and Y (dy×m) with finite entries, which survive a write/read
// round trip bit for bit.
func FuzzReadCSV(f *testing.F) {
	for _, s := range []string{
		"a,b,y\n1,2,3\n2,1,0\n",
		"1,2\n3,4\n",
		"1e150,-1e-150,0\n2,3,4\n",
		"x\n1\n",
		"1,NaN,2\n",
		"1, 2 ,3\n4,5\n",
		"\"1\",\"2\"\n3,4\n",
		"h1,h2\nh3,h4\n",
		"0x1p-3,1_000,inf\n",
		"",
	} {
		f.Add([]byte(s), uint8(1))
	}
	f.Add([]byte("1,2,3,4\n5,6,7,8\n"), uint8(2))
	f.Fuzz(func(t *testing.T, data []byte, dy uint8) {
		if len(data) > 4096 {
			return
		}
		d, err := model.ReadCSV(bytes.NewReader(data), int(dy%5)) // dy = 0 must be an error
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		dx, m := d.X.Dims()
		ry, my := d.Y.Dims()
		if ry != int(dy%5) || my != m || dx < 1 || m < 1 {
			t.Fatalf("shapes X %d×%d, Y %d×%d for dy = %d", dx, m, ry, my, dy%5)
		}
		if !allFinite(d.X) || !allFinite(d.Y) {
			t.Fatal("ReadCSV returned a non-finite entry")
		}
		// Round trip: write the parsed values with full precision and read them back.
		var sb strings.Builder
		for k := 0; k < m; k++ {
			for i := 0; i < dx+ry; i++ {
				if i > 0 {
					sb.WriteByte(',')
				}
				var v float64
				if i < dx {
					v = d.X.At(i, k)
				} else {
					v = d.Y.At(i-dx, k)
				}
				sb.WriteString(strconv.FormatFloat(v, 'g', -1, 64))
			}
			sb.WriteByte('\n')
		}
		d2, err := model.ReadCSV(strings.NewReader(sb.String()), ry)
		if err != nil {
			t.Fatalf("round trip failed: %v\n%s", err, sb.String())
		}
		if !mat.Equal(d.X, d2.X) || !mat.Equal(d.Y, d2.Y) {
			t.Fatal("round trip changed the data")
		}
	})
}

// decodeLayers builds up to 5 layers of at most 4×4 from the bytes. Shapes
// usually chain (W_{j+1} has d_j columns) but need not, and a zero
// dimension, a nil-like empty layer and non-finite values can all occur.
func decodeLayers(s *byteSrc) [][][]float64 {
	N := s.upTo(5)
	layers := make([][][]float64, N)
	cols := 1 + s.upTo(3)
	for j := range layers {
		if s.next()%8 == 7 {
			cols = s.upTo(4) // break the chain (or produce a zero width)
		}
		rows := s.upTo(4)
		l := make([][]float64, rows)
		for r := range l {
			c := cols
			if s.next() == 255 {
				c = s.upTo(4) // a ragged row
			}
			l[r] = make([]float64, c)
			for k := range l[r] {
				l[r][k] = s.float()
			}
		}
		layers[j] = l
		cols = rows
	}
	return layers
}

// checkNetUsable exercises everything a caller may do with a validated
// network and asserts the documented contracts.
func checkNetUsable(t *testing.T, n *model.Net, s *byteSrc) {
	t.Helper()
	d := n.Dims()
	if len(d) != n.N()+1 {
		t.Fatalf("Dims %v for N = %d", d, n.N())
	}
	for j := 1; j <= n.N(); j++ {
		r, c := n.Layer(j).Dims()
		if r != d[j] || c != d[j-1] {
			t.Fatalf("W_%d is %d×%d, Dims %v", j, r, c, d)
		}
	}
	phi := mat.NewDense(d[n.N()], d[0], nil)
	for i := range phi.RawMatrix().Data {
		phi.RawMatrix().Data[i] = s.finiteFloat()
	}
	g, err := model.Gradients(n, phi)
	if err != nil {
		t.Fatalf("Gradients on a valid net: %v", err)
	}
	for j, gj := range g {
		if r, c := gj.Dims(); r != d[j+1] || c != d[j] {
			t.Fatalf("gradient %d is %d×%d", j+1, r, c)
		}
	}
	var rec model.Record
	invariants.Measure(n, phi, &rec)
	h := invariants.CheckTheorem1(n, phi, 1e-3, 0)
	if h.Holds() && !(h.C > 0 && h.Delta <= h.DeltaBound && h.Eta <= h.EtaBound) {
		t.Fatalf("Theorem1.Holds with %+v", h)
	}
	res, err := model.Run(model.Reference{}, n.Clone(), phi, model.RunConfig{Eta: 1e-2, MaxSteps: 20})
	if err != nil {
		t.Fatalf("Run on a valid net: %v", err)
	}
	checkRunResult(t, res)
}

// checkRunResult: a run whose loss left the finite range must say so.
func checkRunResult(t *testing.T, res model.Result) {
	t.Helper()
	finite := func(v float64) bool { return !math.IsNaN(v) && !math.IsInf(v, 0) }
	if !finite(res.FinalLoss) && res.Status != model.StatusDiverged {
		t.Fatalf("final loss %v but status %s: overflow must be reported as divergence", res.FinalLoss, res.Status)
	}
	if !finite(res.InitialLoss) && res.Status != model.StatusDiverged {
		t.Fatalf("initial loss %v but status %s", res.InitialLoss, res.Status)
	}
	for _, r := range res.Trajectory {
		if !finite(r.Loss) && res.Status != model.StatusDiverged {
			t.Fatalf("recorded loss %v at step %d but status %s", r.Loss, r.Step, res.Status)
		}
	}
	if len(res.Trajectory) == 0 || res.Trajectory[len(res.Trajectory)-1].Step != res.Steps {
		t.Fatalf("trajectory does not end at the final step %d", res.Steps)
	}
}

// FuzzNewNetFromRows covers NewNetFromRows and DenseFromRows: ragged,
// empty, mis-chained and non-finite input is an error; anything accepted
// is a usable network equal to its input.
func FuzzNewNetFromRows(f *testing.F) {
	f.Add([]byte{2, 1, 0, 1, 0, 10, 0, 0, 1, 0, 20, 3})
	f.Add([]byte{1, 0, 2, 0, 5, 7, 250, 0})                   // NaN entry
	f.Add([]byte{3, 2, 0, 3, 255, 2, 1, 0, 1, 0, 1, 0, 1, 0}) // ragged row
	f.Add([]byte{2, 2, 7, 0, 2, 0, 1, 7, 1, 8, 1, 9})         // mis-chained / extreme magnitudes
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSrc{b: data}
		layers := decodeLayers(s)
		n, err := model.NewNetFromRows(layers)
		if err != nil {
			return
		}
		if n.N() != len(layers) {
			t.Fatalf("N = %d from %d layers", n.N(), len(layers))
		}
		for j, rows := range layers {
			w := n.Layer(j + 1)
			for r, row := range rows {
				for c, v := range row {
					if w.At(r, c) != v || math.IsNaN(v) || math.IsInf(v, 0) {
						t.Fatalf("W_%d(%d,%d) = %v, input %v", j+1, r, c, w.At(r, c), v)
					}
				}
			}
		}
		// Single matrices through DenseFromRows directly.
		for _, rows := range layers {
			if m, err := model.DenseFromRows(rows); err == nil && !allFinite(m) {
				t.Fatal("DenseFromRows accepted a non-finite entry")
			}
		}
		checkNetUsable(t, n, s)
	})
}

// FuzzNewNet covers NewNet with mat.Matrix layers, including nil layers.
func FuzzNewNet(f *testing.F) {
	f.Add([]byte{2, 1, 2, 0, 3, 0, 1, 0})
	f.Add([]byte{1, 1, 0, 0})
	f.Add([]byte{3, 0, 2, 2, 8, 7, 8, 9, 1, 1, 1})
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSrc{b: data}
		N := s.upTo(5)
		ls := make([]mat.Matrix, N)
		cols := 1 + s.upTo(3)
		for j := range ls {
			switch s.next() % 16 {
			case 15:
				ls[j] = nil
				continue
			case 14:
				cols = 1 + s.upTo(3)
			}
			rows := 1 + s.upTo(3)
			m := mat.NewDense(rows, cols, nil)
			for i := range m.RawMatrix().Data {
				m.RawMatrix().Data[i] = s.float()
			}
			ls[j] = m
			cols = rows
		}
		var n *model.Net
		var err error
		func() {
			defer func() {
				if p := recover(); p != nil {
					t.Fatalf("NewNet panicked: %v", p)
				}
			}()
			n, err = model.NewNet(ls)
		}()
		if err != nil {
			return
		}
		for j, l := range ls {
			if l == nil || !mat.Equal(l, n.Layer(j+1)) || !allFinite(l) {
				t.Fatalf("NewNet accepted or altered layer %d", j+1)
			}
		}
		checkNetUsable(t, n, s)
	})
}

// FuzzWhiten: raw data of at most 4 features × 10 examples either is
// rejected or comes back centred, finite and whitened, XXᵀ/m = I to
// 2·max(m, d_x)·ε.
func FuzzWhiten(f *testing.F) {
	f.Add([]byte{1, 0, 4, 1, 0, 2, 0, 3, 0, 4, 0, 1, 0, 0, 0, 5, 0})
	f.Add([]byte{2, 1, 5, 7, 7, 1, 7, 3, 6, 9, 0, 2, 0, 4, 0, 7, 0, 1, 0, 2, 0})
	f.Add([]byte{1, 0, 3, 1, 0, 2, 0, 3, 0, 2, 0, 4, 0, 6, 0}) // collinear
	f.Fuzz(func(t *testing.T, data []byte) {
		s := &byteSrc{b: data}
		dx, dy, m := 1+s.upTo(3), 1+s.upTo(1), s.upTo(10)
		x := mat.NewDense(dx, max(m, 1), nil)
		y := mat.NewDense(dy, max(m, 1), nil)
		for i := range x.RawMatrix().Data {
			x.RawMatrix().Data[i] = s.float()
		}
		for i := range y.RawMatrix().Data {
			y.RawMatrix().Data[i] = s.float()
		}
		w, err := model.Whiten(x, y)
		if errors.Is(err, model.ErrWhiteningInaccurate) {
			t.Fatalf("rejected as inaccurate (a whitening bug, not a property of the data): %v", err)
		}
		if err != nil {
			return
		}
		defer func() {
			if t.Failed() {
				t.Logf("X = %v\nY = %v", mat.Formatted(x), mat.Formatted(y))
			}
		}()
		if !allFinite(w.X) || !allFinite(w.Y) {
			t.Fatal("Whiten returned non-finite data")
		}
		if r, c := w.X.Dims(); r != dx || c != max(m, 1) {
			t.Fatalf("whitened X is %d×%d", r, c)
		}
		// Centred labels: each row mean is round-off of the row's scale.
		_, mm := w.Y.Dims()
		for i := 0; i < dy; i++ {
			sum, scale := 0.0, 0.0
			for k := 0; k < mm; k++ {
				sum += w.Y.At(i, k)
				scale = math.Max(scale, math.Abs(y.At(i, k)))
			}
			if math.Abs(sum/float64(mm)) > 4*float64(mm)*linalg.MachEps*scale {
				t.Fatalf("label row %d has mean %g (scale %g)", i, sum/float64(mm), scale)
			}
		}
		// Whitened: X = √m·V_rᵀ from an SVD, so XXᵀ/m − I is the
		// orthonormality error of V plus the product's rounding, one
		// γ_{max(m,d_x)} each, whatever the condition number (the old
		// XXᵀ-eigenvalue route lost a factor κ here).
		lxx := w.Moments().Lxx
		var dev mat.Dense
		dev.Sub(lxx, mat.NewDiagDense(dx, ones(dx)))
		if got, tol := maxAbs(&dev), 2*float64(max(mm, dx))*linalg.MachEps; got > tol {
			t.Fatalf("XXᵀ/m deviates from I by %g > %g (covariance condition number %g)", got, tol, covCondition(x))
		}
	})
}

func ones(n int) []float64 {
	o := make([]float64, n)
	for i := range o {
		o[i] = 1
	}
	return o
}

// covCondition is λ_max/λ_min of the centred covariance of x, computed
// independently of Whiten.
func covCondition(x *mat.Dense) float64 {
	dx, m := x.Dims()
	c := mat.DenseCopyOf(x)
	for i := 0; i < dx; i++ {
		row := c.RawRowView(i)
		mean := 0.0
		for _, v := range row {
			mean += v
		}
		mean /= float64(m)
		for k := range row {
			row[k] -= mean
		}
	}
	cov := mat.NewSymDense(dx, nil)
	cov.SymOuterK(1/float64(m), c)
	// Eigenvectors are requested on purpose: gonum v0.17.0's values-only
	// path (Dsterf) panics on tiny or huge tridiagonals (its Dlascl calls
	// pass lda = n for a column vector). Whiten and invariants.SymPow also ask
	// for vectors, so the public API does not reach that path.
	var e mat.EigenSym
	if !e.Factorize(cov, true) {
		return math.Inf(1)
	}
	v := e.Values(nil)
	return v[len(v)-1] / v[0]
}

// decodeDims draws N ∈ [1, 4] and widths in [1, 4].
func decodeDims(s *byteSrc) []int {
	N := 1 + s.upTo(3)
	dims := make([]int, N+1)
	for i := range dims {
		dims[i] = 1 + s.upTo(3)
	}
	return dims
}

// FuzzBalanced: Procedure 1 on any finite A either rejects the widths or
// reproduces A and is 0-balanced, to tolerances relative to ‖A‖.
func FuzzBalanced(f *testing.F) {
	f.Add([]byte{1, 1, 2, 1, 1, 0, 2, 0, 0}, uint64(1), false)
	f.Add([]byte{2, 2, 3, 3, 2, 1, 7, 2, 6, 3, 9, 4, 8}, uint64(2), true)
	f.Add([]byte{3, 0, 0, 0, 0, 0, 9, 0}, uint64(3), true)
	f.Add([]byte{2, 3, 1, 3, 0, 0, 0, 0, 0, 0, 0, 0}, uint64(4), false) // narrow hidden layer
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, insert bool) {
		s := &byteSrc{b: data}
		dims := decodeDims(s)
		N := len(dims) - 1
		a := mat.NewDense(dims[N], dims[0], nil)
		for i := range a.RawMatrix().Data {
			a.RawMatrix().Data[i] = s.float()
		}
		var rng = model.NewRand(seed)
		if !insert {
			rng = nil
		}
		n, err := model.Balanced(a, dims, rng)
		if err != nil {
			if allFinite(a) && invariants.WidthsOK(dims) && !strings.Contains(err.Error(), "SVD") {
				t.Fatalf("Balanced rejected a finite A with valid widths %v: %v", dims, err)
			}
			return
		}
		if !allFinite(a) || !invariants.WidthsOK(dims) {
			t.Fatalf("Balanced accepted dims %v / non-finite A", dims)
		}
		checkBalanced(t, n, a, dims)
	})
}

// checkBalanced asserts P1's two properties. The product of N factors built
// from an SVD is accurate to ~(N·d + |ln ‖A‖_σ|)·ε relative to ‖A‖_σ; the
// imbalance to the same relative to ‖A‖_σ^{2/N}. Entries within 1e-290 of the subnormal
// range lose relative accuracy, so an absolute floor of 1e-290 applies.
func checkBalanced(t *testing.T, n *model.Net, a mat.Matrix, dims []int) {
	t.Helper()
	N := len(dims) - 1
	if n.N() != N {
		t.Fatalf("N = %d, want %d", n.N(), N)
	}
	dmax := 0
	for _, d := range dims {
		dmax = max(dmax, d)
	}
	norm := invariants.SpectralNorm(a)
	defer func() {
		if t.Failed() {
			t.Logf("A = %v", mat.Formatted(a))
			for j := 1; j <= n.N(); j++ {
				t.Logf("W_%d = %v", j, mat.Formatted(n.Layer(j)))
			}
		}
	}()
	// Go's math.Pow computes x^{1/N} as exp(ln(x)/N), whose relative error
	// grows like |ln x|·ε: 1e300 has |ln x| ≈ 690. Add it to the tier.
	tier := 64 * (float64(N*dmax) + math.Abs(math.Log(norm))) * linalg.MachEps
	var diff mat.Dense
	diff.Sub(n.Product(), a)
	if got := invariants.Frobenius(&diff); got > tier*norm+1e-290 {
		t.Fatalf("dims %v: ‖W_{1:N} − A‖_F = %g, ‖A‖_σ = %g", dims, got, norm)
	}
	if got := invariants.Imbalance(n); got > tier*linalg.Pow(norm, 2/float64(N))+1e-290 {
		t.Fatalf("dims %v: imbalance %g, ‖A‖_σ^{2/N} = %g", dims, got, linalg.Pow(norm, 2/float64(N)))
	}
}

// FuzzPerturbImbalance: on a small balanced Gaussian start, PerturbImbalance
// either errors or returns a net with imbalance δ (relative 1e-9, as
// documented) and the same end-to-end product.
func FuzzPerturbImbalance(f *testing.F) {
	f.Add([]byte{1, 1, 1, 1, 0}, uint64(1), 0.1, 1e-3)
	f.Add([]byte{2, 2, 2, 2, 2}, uint64(2), 1.0, 0.5)
	f.Add([]byte{1, 0, 3, 0}, uint64(3), 0.3, 1e-12)
	f.Add([]byte{0, 1, 1}, uint64(4), 1.0, 1.0) // N = 1: an error
	f.Add([]byte{1, 1, 1, 1}, uint64(5), 1e-150, 1e150)
	f.Fuzz(func(t *testing.T, data []byte, seed uint64, std, delta float64) {
		s := &byteSrc{b: data}
		dims := decodeDims(s)
		n, err := model.BalancedGaussian(dims, std, model.NewRand(seed), true)
		if err != nil {
			return
		}
		p, err := model.PerturbImbalance(n, delta, model.NewRand(seed+1))
		if err != nil {
			return
		}
		got := invariants.Imbalance(p)
		if math.Abs(got-delta) > 1e-9*math.Max(delta, 1e-300) && math.Abs(got-delta) > 1e-14 {
			t.Fatalf("imbalance %g, asked %g", got, delta)
		}
		// Product preserved: the similarity G, G⁻¹ = exp(±sH) multiplies
		// rounding by cond(G) per interface; tie the tolerance to the layers'
		// size after the perturbation.
		scale := 1.0
		for j := 1; j <= p.N(); j++ {
			scale *= math.Max(invariants.SpectralNorm(p.Layer(j)), invariants.SpectralNorm(n.Layer(j)))
		}
		var diff mat.Dense
		diff.Sub(p.Product(), n.Product())
		if d := invariants.Frobenius(&diff); d > 64*float64(p.N()*4)*linalg.MachEps*scale {
			t.Fatalf("product moved by %g (layer scale %g)", d, scale)
		}
	})
}
