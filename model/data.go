package model

import (
	"encoding/csv"
	"errors"
	"fmt"
	"io"
	"math"
	"math/rand/v2"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// Data is a data set with examples as columns: X ∈ R^{d_x×m}, Y ∈ R^{d_y×m}.
type Data struct {
	X, Y *mat.Dense
}

// Stats are the second moments of S1: Λ_xx = XXᵀ/m, Λ_yx = YXᵀ/m (= Φ when
// Λ_xx = I) and κ = ½Tr Λ_yy − ½‖Λ_yx‖_F².
type Stats struct {
	Lxx, Lyx *mat.Dense
	Kappa    float64
}

// Moments computes Stats of d.
func (d Data) Moments() Stats {
	_, m := d.X.Dims()
	fm := float64(m)
	var lxx, lyx, lyy mat.Dense
	lxx.Mul(d.X, d.X.T())
	lxx.Scale(1/fm, &lxx)
	lyx.Mul(d.Y, d.X.T())
	lyx.Scale(1/fm, &lyx)
	lyy.Mul(d.Y, d.Y.T())
	f := mat.Norm(&lyx, 2)
	return Stats{Lxx: &lxx, Lyx: &lyx, Kappa: 0.5*mat.Trace(&lyy)/fm - 0.5*f*f}
}

// DataLoss is the empirical loss (1/2m)‖WX − Y‖_F² of an end-to-end W.
func (d Data) DataLoss(w mat.Matrix) float64 {
	_, m := d.X.Dims()
	var r mat.Dense
	r.Mul(w, d.X)
	r.Sub(&r, d.Y)
	f := mat.Norm(&r, 2)
	return f * f / (2 * float64(m))
}

// WhitenedData generates m examples with XXᵀ/m = I_{d_x} exactly (to
// rounding) and YXᵀ/m = Φ, plus a label component of Frobenius size
// noise·√m orthogonal to the rows of X, so that κ = ½noise² > 0 when
// noise > 0. It needs m ≥ d_x, and m > d_x when noise > 0.
func WhitenedData(phi mat.Matrix, m int, noise float64, rng *rand.Rand) (Data, error) {
	dy, dx := phi.Dims()
	if dy < 1 || dx < 1 || !linalg.AllFinite(phi) {
		return Data{}, fmt.Errorf("model: Φ must be a non-empty finite matrix")
	}
	if m < dx {
		return Data{}, fmt.Errorf("model: whitened data need m ≥ d_x (got m = %d, d_x = %d)", m, dx)
	}
	if !(noise >= 0) || math.IsInf(noise, 0) {
		return Data{}, fmt.Errorf("model: noise %v must be finite and ≥ 0", noise)
	}
	if noise > 0 && m == dx {
		return Data{}, fmt.Errorf("model: a label component orthogonal to X needs m > d_x (got m = d_x = %d)", m)
	}
	if rng == nil {
		return Data{}, fmt.Errorf("model: WhitenedData needs a random generator")
	}
	q := linalg.RandomOrthogonal(m, rng) // columns orthonormal
	x := mat.NewDense(dx, m, nil)
	sm := math.Sqrt(float64(m))
	for i := 0; i < dx; i++ {
		for k := 0; k < m; k++ {
			x.Set(i, k, sm*q.At(k, i))
		}
	}
	var y mat.Dense
	y.Mul(phi, x)
	if noise > 0 {
		// Z's rows lie in the span of Q's columns dx..m−1, orthogonal to X's rows.
		z := mat.NewDense(dy, m, nil)
		for i := 0; i < dy; i++ {
			for c := dx; c < m; c++ {
				g := rng.NormFloat64()
				for k := 0; k < m; k++ {
					z.Set(i, k, z.At(i, k)+g*q.At(k, c))
				}
			}
		}
		f := mat.Norm(z, 2)
		z.Scale(noise*sm/f, z)
		y.Add(&y, z)
	}
	return Data{X: x, Y: &y}, nil
}

// ErrSingularCovariance is returned by Whiten when the input features are
// linearly dependent after centring.
var ErrSingularCovariance = errors.New("model: singular input covariance: features are linearly dependent after centring, so the data cannot be whitened")

// Whiten PCA-whitens raw data: it centres X and Y (zero mean over examples)
// and maps X to Λ^{−1/2}Uᵀ(X − mean), where UΛUᵀ is the covariance of X,
// so that the result has XXᵀ/m = I. A covariance eigenvalue below
// 1e-12·(largest eigenvalue)·d_x is treated as zero and reported as
// ErrSingularCovariance.
func Whiten(xRaw, yRaw mat.Matrix) (Data, error) {
	dx, m := xRaw.Dims()
	dy, my := yRaw.Dims()
	if m != my {
		return Data{}, fmt.Errorf("%w: X has %d examples (columns), Y has %d", ErrShape, m, my)
	}
	if m < 2 || dx < 1 || dy < 1 {
		return Data{}, fmt.Errorf("%w: whitening needs at least 2 examples and 1 feature", ErrShape)
	}
	if !linalg.AllFinite(xRaw) || !linalg.AllFinite(yRaw) {
		return Data{}, fmt.Errorf("%w in the data", ErrNonFinite)
	}
	center := func(a mat.Matrix) *mat.Dense {
		c := mat.DenseCopyOf(a)
		r, _ := c.Dims()
		for i := 0; i < r; i++ {
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
		return c
	}
	xc, yc := center(xRaw), center(yRaw)
	cov := mat.NewSymDense(dx, nil)
	cov.SymOuterK(1/float64(m), xc)
	if !linalg.AllFinite(cov) {
		// Squares of entries beyond ~1e154 overflow; the eigensolver would
		// then return NaN eigenvalues that pass the rank test below.
		return Data{}, fmt.Errorf("%w: the input covariance overflows float64; rescale the features", ErrNonFinite)
	}
	var eig mat.EigenSym
	if !eig.Factorize(cov, true) {
		return Data{}, fmt.Errorf("model: eigendecomposition of the covariance failed")
	}
	vals := eig.Values(nil)
	top := vals[len(vals)-1]
	if !(top > 0) || vals[0] <= 1e-12*top*float64(dx) {
		return Data{}, ErrSingularCovariance
	}
	var u mat.Dense
	eig.VectorsTo(&u)
	// Order principal components by decreasing variance.
	w := mat.NewDense(dx, dx, nil)
	for k := 0; k < dx; k++ {
		src := dx - 1 - k
		f := 1 / math.Sqrt(vals[src])
		for i := 0; i < dx; i++ {
			w.Set(k, i, u.At(i, src)*f)
		}
	}
	var xw mat.Dense
	xw.Mul(w, xc)
	return Data{X: &xw, Y: yc}, nil
}

// ReadCSV reads a data set with one example per row: the first columns are
// the d_x features and the last dy columns the labels. A first row that does
// not parse as numbers is taken as a header and skipped. It returns X
// (d_x×m) and Y (dy×m).
func ReadCSV(r io.Reader, dy int) (Data, error) {
	if dy < 1 {
		return Data{}, fmt.Errorf("model: ReadCSV needs dy ≥ 1 label columns (got %d)", dy)
	}
	cr := csv.NewReader(r)
	cr.TrimLeadingSpace = true
	cr.ReuseRecord = false
	var rows [][]float64
	line := 0
	width := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line++
		if err != nil {
			return Data{}, fmt.Errorf("model: CSV line %d: %w", line, err)
		}
		vals := make([]float64, len(rec))
		bad := -1
		for i, s := range rec {
			v, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				bad = i
				break
			}
			vals[i] = v
		}
		if bad >= 0 {
			if line == 1 && len(rows) == 0 {
				width = len(rec)
				continue // header
			}
			return Data{}, fmt.Errorf("model: CSV line %d, column %d: %q is not a finite number", line, bad+1, rec[bad])
		}
		if width >= 0 && len(vals) != width {
			return Data{}, fmt.Errorf("model: CSV line %d has %d columns, expected %d", line, len(vals), width)
		}
		width = len(vals)
		rows = append(rows, vals)
	}
	if len(rows) == 0 {
		return Data{}, fmt.Errorf("model: CSV holds no data rows")
	}
	dx := width - dy
	if dx < 1 {
		return Data{}, fmt.Errorf("model: CSV rows have %d columns; need at least one feature besides %d label columns", width, dy)
	}
	m := len(rows)
	x := mat.NewDense(dx, m, nil)
	y := mat.NewDense(dy, m, nil)
	for k, row := range rows {
		for i := 0; i < dx; i++ {
			x.Set(i, k, row[i])
		}
		for i := 0; i < dy; i++ {
			y.Set(i, k, row[dx+i])
		}
	}
	return Data{X: x, Y: y}, nil
}
