package model

import (
	"errors"
	"fmt"
	"math"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// ErrSingularCovariance is returned (wrapped in a *DependentFeaturesError)
// by Whiten and WhitenData when the centred input features are linearly
// dependent, so the data cannot be whitened to Λ_xx = I_{d_x}.
var ErrSingularCovariance = errors.New("model: the input features are linearly dependent after centring, so the data cannot be whitened")

// ErrWhiteningInaccurate is returned by WhitenData when a whitening residual
// exceeds its derived tolerance (a bug or a numerical breakdown, never a
// property of the data).
var ErrWhiteningInaccurate = errors.New("model: whitening residuals exceed their tolerances")

// WhitenOptions tune WhitenData. The zero value is the default: refuse
// rank-deficient data, report Φ = Λ_yx unscaled.
type WhitenOptions struct {
	// ReduceRank whitens rank-deficient data onto their principal
	// subspace (PCA whitening, d_x → rank r) instead of returning an error.
	// The result then has r rows of X, and Φ is d_y×r.
	ReduceRank bool
	// UnitPhi scales the labels so that ‖Φ‖_F = ‖Λ_yx‖_F = 1, as the paper's
	// experiment (E1) does.
	UnitPhi bool
	// Names are the feature names used in error messages (default x1, x2, …).
	Names []string
}

// Whitened is the result of WhitenData: the whitened data, the target
// Φ = Λ_yx (S1) they define, and how accurately they were whitened.
//
// Both X and Y are centred (zero mean over examples): X = √m·V_rᵀ from the
// thin SVD Z = UΣVᵀ of the centred, per-feature scaled inputs Z = D⁻¹(X_raw
// − mean), D = diag(RMS of each centred feature); Y = LabelScale·(Y_raw −
// mean).
type Whitened struct {
	Data                  // X: Rank×m whitened inputs, Y: d_y×m centred (and scaled) labels
	Phi        *mat.Dense // Λ_yx = YXᵀ/m, d_y×Rank
	Kappa      float64    // κ = ½Tr Λ_yy − ½‖Λ_yx‖_F² of the (scaled) labels (S1)
	LyxNorm    float64    // ‖Λ_yx‖_F before any label scaling
	LabelScale float64    // the factor applied to the centred labels (1, or 1/LyxNorm with UnitPhi)

	Examples int // m
	InputDim int // d_x
	Rank     int // r: the number of singular values of Z above RankTol·σ_1

	RankTol  float64 // relative tolerance on Z's singular values: max(max(m, d_x)·ε, DataFloor/σ_1)
	SigmaMin float64 // σ_r/σ_1 of Z, the smallest kept singular value, relative
	Dropped  float64 // σ_{r+1}/σ_1, the largest dropped one (0 when none was dropped)

	// ResidualXX = max|XXᵀ/m − I_r| and its tolerance TolXX = 2·max(m,d_x)·ε
	// (first-order bound: the orthonormality of V from a Householder SVD and
	// the rounding of the product, one γ_{max(m,d_x)} each).
	ResidualXX, TolXX float64
	// ResidualYX = max|YXᵀ/m − Φ′| where Φ′ = C_yx·Mᵀ is Λ_yx computed by
	// the other route, from the raw cross-covariance C_yx = Y_c X_cᵀ/m and
	// the whitening map M = √m·Σ_r⁻¹U_rᵀD⁻¹. Its tolerance, in the units of
	// Φ, with κ_Z = σ_1/σ_r and p = max(m, d_x):
	//   TolYX = 4·p·(1 + √d_x)·ε·κ_Z·max_i rms(y_i).
	// Derivation (first order): the SVD's backward error ‖ZᵀU − VΣ‖ ≤ p·ε·σ_1
	// becomes ≤ p·ε·κ_Z after Σ⁻¹ and is carried by rms(y) (Cauchy–Schwarz
	// on each entry); the rounding of the m-term sums in Y·V/√m and in C_yx
	// and of the d_x-term sum in C_yx·Mᵀ adds (γ_m + γ_{d_x})·rms(y)·√d_x·√m/σ_r,
	// and √m/σ_r ≤ κ_Z because σ_1² ≥ ‖Z‖_F²/d_x = m. The factor 4 covers
	// the two γ's (γ_n ≤ 1.01·n·ε) and the two routes' separate roundings.
	ResidualYX, TolYX float64
}

// DependentFeaturesError reports why data could not be whitened: the
// features named in Features are linearly dependent after centring, with
// Σ Coeffs[k]·x_{Features[k]} ≈ constant (the coefficients in the raw
// units of the features, the largest of magnitude 1). It unwraps to
// ErrSingularCovariance.
type DependentFeaturesError struct {
	Rank, InputDim, Examples int
	Names                    []string  // names of the features in the dependency
	Coeffs                   []float64 // their coefficients in raw units
	Ratio, Tol               float64   // σ_min/σ_1 of the scaled data, and the rank tolerance
	Constant                 bool      // a single feature that is constant
}

func (e *DependentFeaturesError) Error() string {
	var b strings.Builder
	b.WriteString("model: cannot whiten: ")
	switch {
	case e.Constant:
		fmt.Fprintf(&b, "feature %s is constant (its spread is at the rounding level of its values); drop it", e.Names[0])
	default:
		if e.Examples <= e.InputDim {
			fmt.Fprintf(&b, "%d examples for %d features: the centred inputs have rank ≤ m−1 = %d; ", e.Examples, e.InputDim, e.Examples-1)
		}
		fmt.Fprintf(&b, "the features are linearly dependent after centring (rank %d of %d; σ_min/σ_max = %.3g ≤ tolerance %.3g of the centred, per-feature scaled data)", e.Rank, e.InputDim, e.Ratio, e.Tol)
		if len(e.Names) > 0 {
			b.WriteString(": ")
			for k, n := range e.Names {
				c := e.Coeffs[k]
				switch {
				case k == 0 && c < 0:
					b.WriteString("−")
				case k > 0 && c < 0:
					b.WriteString(" − ")
				case k > 0:
					b.WriteString(" + ")
				}
				if a := math.Abs(c); math.Abs(a-1) > 1e-6 {
					fmt.Fprintf(&b, "%.4g·", a)
				}
				b.WriteString(n)
			}
			b.WriteString(" ≈ constant")
		}
		b.WriteString("; drop a dependent feature (e.g. one dummy of a one-hot group) or reduce the rank (PCA whitening onto the principal subspace)")
	}
	return b.String()
}

func (e *DependentFeaturesError) Unwrap() error { return ErrSingularCovariance }

// Whiten is WhitenData with the default options: it returns the whitened
// data (X: d_x×m with XXᵀ/m = I, Y: the centred labels), or an error
// wrapping ErrSingularCovariance when the features are dependent.
func Whiten(xRaw, yRaw mat.Matrix) (Data, error) {
	w, err := WhitenData(xRaw, yRaw, WhitenOptions{})
	if err != nil {
		return Data{}, err
	}
	return w.Data, nil
}

// WhitenData centres X_raw (d_x×m, examples as columns) and Y_raw (d_y×m),
// scales each centred feature to unit RMS, and whitens by the thin SVD of
// the scaled data, never forming XXᵀ (which would square the condition
// number). The rank is the number of singular values σ_k > RankTol·σ_1 with
// RankTol = max(max(m, d_x)·ε, F/σ_1). The first term is the SVD's backward
// error relative to σ_1. The second is the inputs' own precision: a value
// x is known only to ε·|x|, so after centring and scaling an entry of row i
// is uncertain by 2ε·ρ_i, ρ_i = max|x_i|/RMS_i, and a singular value below
// F = 2ε·√(m·Σρ_i²) (a bound on the Frobenius norm of that uncertainty)
// cannot be told from 0 — features with a large offset relative to their
// spread, x3 = x1 + x2 at 1e9 ± 1, are dependent to within their own
// rounding. A feature whose centred RMS
// is ≤ m·ε·max|x_i| is constant to rounding and counts as dependent.
// Rank-deficient data are an error naming one dependency (a
// *DependentFeaturesError, which unwraps to ErrSingularCovariance) unless
// opt.ReduceRank, which keeps the r principal directions. The result
// reports its whitening residuals; it is an error if they exceed their
// tolerances.
func WhitenData(xRaw, yRaw mat.Matrix, opt WhitenOptions) (Whitened, error) {
	dx, m := xRaw.Dims()
	dy, my := yRaw.Dims()
	if m != my {
		return Whitened{}, fmt.Errorf("%w: X has %d examples (columns), Y has %d", ErrShape, m, my)
	}
	if m < 2 || dx < 1 || dy < 1 {
		return Whitened{}, fmt.Errorf("%w: whitening needs at least 2 examples and 1 feature", ErrShape)
	}
	if !linalg.AllFinite(xRaw) || !linalg.AllFinite(yRaw) {
		return Whitened{}, fmt.Errorf("%w in the data", ErrNonFinite)
	}
	if opt.Names != nil && len(opt.Names) != dx {
		return Whitened{}, fmt.Errorf("%w: %d feature names for %d features", ErrShape, len(opt.Names), dx)
	}
	name := func(i int) string {
		if opt.Names != nil {
			return fmt.Sprintf("%q", opt.Names[i])
		}
		return fmt.Sprintf("x%d", i+1)
	}
	fm := float64(m)
	xc, yc := centreRows(xRaw), centreRows(yRaw)
	if !linalg.AllFinite(xc) || !linalg.AllFinite(yc) {
		return Whitened{}, fmt.Errorf("%w: the column means overflow float64; rescale the data", ErrNonFinite)
	}
	// Per-feature scales: RMS computed scale-free (max-abs first) so that
	// entries near the float64 limits neither overflow nor underflow.
	scale := make([]float64, dx)
	rho2 := 0.0 // Σ_i (max|x_i| / RMS_i)² over the non-constant features
	z := mat.DenseCopyOf(xc)
	for i := 0; i < dx; i++ {
		row := z.RawRowView(i)
		s := rms(row)
		rawMax := 0.0
		for k := 0; k < m; k++ {
			rawMax = math.Max(rawMax, math.Abs(xRaw.At(i, k)))
		}
		if s > 0 {
			rho2 += (rawMax / s) * (rawMax / s)
		}
		if !(s > fm*linalg.MachEps*rawMax) {
			if !opt.ReduceRank {
				return Whitened{}, &DependentFeaturesError{Rank: -1, InputDim: dx, Examples: m, Names: []string{name(i)}, Coeffs: []float64{1}, Constant: true}
			}
			s = 0
		}
		scale[i] = s
		for k := range row {
			if s == 0 {
				row[k] = 0
			} else {
				row[k] /= s
			}
		}
	}
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDThin) {
		return Whitened{}, fmt.Errorf("model: the SVD of the centred, scaled inputs did not converge")
	}
	sv := svd.Values(nil) // decreasing, min(d_x, m) of them
	tol := float64(max(m, dx)) * linalg.MachEps
	if floor := 2 * linalg.MachEps * math.Sqrt(fm*rho2); sv[0] > 0 && floor/sv[0] > tol {
		tol = floor / sv[0]
	}
	r := 0
	for _, s := range sv {
		if s > tol*sv[0] {
			r++
		}
	}
	if r == 0 {
		return Whitened{}, &DependentFeaturesError{Rank: 0, InputDim: dx, Examples: m, Ratio: 0, Tol: tol}
	}
	if r < dx && !opt.ReduceRank {
		e := &DependentFeaturesError{Rank: r, InputDim: dx, Examples: m, Tol: tol}
		e.Ratio = 0
		if len(sv) == dx {
			e.Ratio = sv[dx-1] / sv[0]
		}
		e.Names, e.Coeffs = dependency(z, scale, name)
		return Whitened{}, e
	}
	var u, v mat.Dense
	svd.UTo(&u) // d_x×min(d_x,m)
	svd.VTo(&v) // m×min(d_x,m)
	sm := math.Sqrt(fm)
	x := mat.NewDense(r, m, nil)
	for k := 0; k < r; k++ {
		for c := 0; c < m; c++ {
			x.Set(k, c, sm*v.At(c, k))
		}
	}
	w := Whitened{Examples: m, InputDim: dx, Rank: r, RankTol: tol, SigmaMin: sv[r-1] / sv[0]}
	if r < len(sv) {
		w.Dropped = sv[r] / sv[0]
	}
	// Φ by the data route (the S1 definition): Λ_yx = Y Xᵀ/m.
	var lyx mat.Dense
	lyx.Mul(yc, x.T())
	lyx.Scale(1/fm, &lyx)
	// Φ′ by the map route: C_yx·Mᵀ, C_yx = Y_c X_cᵀ/m, M = √m·Σ_r⁻¹U_rᵀD⁻¹.
	var cyx mat.Dense
	cyx.Mul(yc, xc.T())
	cyx.Scale(1/fm, &cyx)
	mt := mat.NewDense(dx, r, nil)
	for i := 0; i < dx; i++ {
		if scale[i] == 0 {
			continue
		}
		for k := 0; k < r; k++ {
			mt.Set(i, k, sm*u.At(i, k)/(sv[k]*scale[i]))
		}
	}
	var phiMap mat.Dense
	phiMap.Mul(&cyx, mt)

	w.LyxNorm = mat.Norm(&lyx, 2)
	w.LabelScale = 1
	if opt.UnitPhi {
		if !(w.LyxNorm > 0) {
			return Whitened{}, fmt.Errorf("model: the labels are uncorrelated with the features (Λ_yx = 0), so Φ cannot be scaled to unit norm")
		}
		w.LabelScale = 1 / w.LyxNorm
		yc.Scale(w.LabelScale, yc)
		lyx.Scale(w.LabelScale, &lyx)
		phiMap.Scale(w.LabelScale, &phiMap)
	}
	w.Data = Data{X: x, Y: yc}
	w.Phi = &lyx
	var lyy mat.Dense
	lyy.Mul(yc, yc.T())
	f := w.LyxNorm * w.LabelScale
	w.Kappa = 0.5*mat.Trace(&lyy)/fm - 0.5*f*f

	// Residuals, each with its tolerance.
	var lxx mat.Dense
	lxx.Mul(x, x.T())
	lxx.Scale(1/fm, &lxx)
	for i := 0; i < r; i++ {
		lxx.Set(i, i, lxx.At(i, i)-1)
	}
	w.ResidualXX = maxAbsDense(&lxx)
	w.TolXX = 2 * float64(max(m, dx)) * linalg.MachEps
	var dyx mat.Dense
	dyx.Sub(&lyx, &phiMap)
	w.ResidualYX = maxAbsDense(&dyx)
	yRMS := 0.0
	for i := 0; i < dy; i++ {
		yRMS = math.Max(yRMS, rms(yc.RawRowView(i)))
	}
	w.TolYX = 4 * float64(max(m, dx)) * (1 + math.Sqrt(float64(dx))) * linalg.MachEps * (sv[0] / sv[r-1]) * yRMS
	if !(w.ResidualXX <= w.TolXX) || !(w.ResidualYX <= w.TolYX) {
		return Whitened{}, fmt.Errorf("%w: max|XXᵀ/m − I| = %.3g (tolerance %.3g), max|YXᵀ/m − Φ′| = %.3g (tolerance %.3g)", ErrWhiteningInaccurate, w.ResidualXX, w.TolXX, w.ResidualYX, w.TolYX)
	}
	return w, nil
}

// dependency returns the features of the null direction of the scaled data
// z (d_x×m) with the smallest singular value, and their coefficients in raw
// units (a_i/scale_i, normalised to a largest magnitude of 1). A feature
// takes part when its scaled coefficient is above 1e-8 of the largest.
func dependency(z *mat.Dense, scale []float64, name func(int) string) ([]string, []float64) {
	dx, _ := z.Dims()
	var svd mat.SVD
	if !svd.Factorize(z, mat.SVDFullU) {
		return nil, nil
	}
	var u mat.Dense
	svd.UTo(&u)
	a := make([]float64, dx)
	big := 0.0
	for i := range a {
		a[i] = u.At(i, dx-1) // full U: its last column spans the smallest direction
		big = math.Max(big, math.Abs(a[i]))
	}
	var names []string
	var coeffs []float64
	rawBig := 0.0
	for i, ai := range a {
		if math.Abs(ai) > 1e-8*big && scale[i] > 0 {
			rawBig = math.Max(rawBig, math.Abs(ai/scale[i]))
		}
	}
	sign := 0.0
	for i, ai := range a {
		if math.Abs(ai) <= 1e-8*big || scale[i] == 0 {
			continue
		}
		c := ai / scale[i] / rawBig
		if sign == 0 {
			sign = math.Copysign(1, c) // first coefficient positive
		}
		names = append(names, name(i))
		coeffs = append(coeffs, sign*c)
	}
	return names, coeffs
}

// centreRows returns a copy of a with each row's mean subtracted.
func centreRows(a mat.Matrix) *mat.Dense {
	c := mat.DenseCopyOf(a)
	r, m := c.Dims()
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

// rms is sqrt(Σv²/n), computed scale-free.
func rms(v []float64) float64 {
	big := 0.0
	for _, x := range v {
		big = math.Max(big, math.Abs(x))
	}
	if big == 0 {
		return 0
	}
	s := 0.0
	for _, x := range v {
		t := x / big
		s += t * t
	}
	return big * math.Sqrt(s/float64(len(v)))
}

func maxAbsDense(a *mat.Dense) float64 {
	out := 0.0
	for _, v := range a.RawMatrix().Data {
		out = math.Max(out, math.Abs(v))
	}
	return out
}
