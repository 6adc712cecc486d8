package model_test

import (
	"bytes"
	"compress/gzip"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math"
	"os"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// The cases of issue 13, each with its right value computed without
// WhitenData. The independent checks used throughout:
//   - max|XXᵀ/m − I| by a plain triple loop (not mat.Mul);
//   - Φ·X_w is the least-squares fit ŷ of the centred labels on the centred
//     features (S1: Λ_yx·X_w = Y·X_wᵀX_w/m = Y·P, P the projector onto X_w's
//     rows). Labels are built as ŷ + (noise orthogonal to 1 and to every
//     feature), so ŷ is known exactly and κ = ½·mean(noise²).

// lxxResidual is max|XXᵀ/m − I| by a plain loop.
func lxxResidual(x *mat.Dense) float64 {
	r, m := x.Dims()
	worst := 0.0
	for i := 0; i < r; i++ {
		for j := 0; j < r; j++ {
			s := 0.0
			for k := 0; k < m; k++ {
				s += x.At(i, k) * x.At(j, k)
			}
			s /= float64(m)
			if i == j {
				s--
			}
			worst = math.Max(worst, math.Abs(s))
		}
	}
	return worst
}

// orthoNoise returns a random vector of RMS s orthogonal to 1 and to the
// centred rows of x (modified Gram–Schmidt twice on unit vectors, so the
// features' units do not matter).
func orthoNoise(x *mat.Dense, s float64, seed uint64) []float64 {
	dx, m := x.Dims()
	rng := model.NewRand(seed)
	basis := [][]float64{}
	unit := func(v []float64) []float64 {
		n := 0.0
		for _, a := range v {
			n += a * a
		}
		n = math.Sqrt(n)
		for k := range v {
			v[k] /= n
		}
		return v
	}
	proj := func(v []float64) {
		for pass := 0; pass < 2; pass++ {
			for _, b := range basis {
				d := 0.0
				for k := range v {
					d += v[k] * b[k]
				}
				for k := range v {
					v[k] -= d * b[k]
				}
			}
		}
	}
	ones := make([]float64, m)
	for k := range ones {
		ones[k] = 1
	}
	basis = append(basis, unit(ones))
	for i := 0; i < dx; i++ {
		v := append([]float64(nil), x.RawRowView(i)...)
		big := 0.0
		for _, a := range v {
			big = math.Max(big, math.Abs(a))
		}
		for k := range v {
			v[k] /= big
		}
		proj(v)
		basis = append(basis, unit(v))
	}
	z := make([]float64, m)
	for k := range z {
		z[k] = rng.NormFloat64()
	}
	proj(z)
	unit(z)
	for k := range z {
		z[k] *= s * math.Sqrt(float64(m))
	}
	return z
}

// fitCase: labels y = Σ a_i·(x_i − mean_i) + c + noise⊥, so ŷ is exact.
type fitCase struct {
	x     *mat.Dense
	yhat  []float64 // centred fit
	y     *mat.Dense
	kappa float64 // ½·mean(noise²)
}

func makeFit(x *mat.Dense, a []float64, noise float64, seed uint64) fitCase {
	dx, m := x.Dims()
	yhat := make([]float64, m)
	for i := 0; i < dx; i++ {
		mean := 0.0
		for k := 0; k < m; k++ {
			mean += x.At(i, k)
		}
		mean /= float64(m)
		for k := 0; k < m; k++ {
			yhat[k] += a[i] * (x.At(i, k) - mean)
		}
	}
	z := orthoNoise(x, noise, seed)
	y := mat.NewDense(1, m, nil)
	for k := 0; k < m; k++ {
		y.Set(0, k, 7+yhat[k]+z[k])
	}
	return fitCase{x: x, yhat: yhat, y: y, kappa: 0.5 * noise * noise}
}

// checkFit: XXᵀ/m = I within the stated tolerance, Φ·X_w = ŷ, κ right.
// fitTol is the accuracy of Φ·X_w relative to rms(y): the reported TolYX
// bound (ε·max(m,d_x)·cond) is the derived one; the fit itself carries one
// more factor of the same rounding, so the test allows 2·TolYX/rms(y).
func checkFit(t *testing.T, c fitCase, w model.Whitened) {
	t.Helper()
	_, m := c.x.Dims()
	got := lxxResidual(w.X)
	require.LessOrEqual(t, got, w.TolXX, "XXᵀ/m − I (independent loop)")
	require.InDelta(t, w.ResidualXX, got, 4*linalg.MachEps*float64(m), "reported residual agrees with the loop")
	require.LessOrEqual(t, w.ResidualXX, 1e-12, "issue 13: whitened to ≤ 1e-12")
	require.LessOrEqual(t, w.ResidualYX, w.TolYX)
	var fit mat.Dense
	fit.Mul(w.Phi, w.X)
	yr := 0.0
	for k := 0; k < m; k++ {
		yr += (c.y.At(0, k) - 7) * (c.y.At(0, k) - 7)
	}
	yr = math.Sqrt(yr / float64(m))
	tol := 2 * w.TolYX
	worst := 0.0
	for k := 0; k < m; k++ {
		worst = math.Max(worst, math.Abs(fit.At(0, k)-c.yhat[k]))
	}
	require.LessOrEqual(t, worst, tol, "Φ·X_w = ŷ (rms y = %g)", yr)
	require.InDelta(t, c.kappa, w.Kappa, 4*float64(m)*linalg.MachEps*yr*yr+tol*yr, "κ")
}

// Years and cents: independent, correlation 0.0566 (condition number 1.12
// after standardising, ≈ 4e12 before). The old covariance cut-off rejected
// this as "linearly dependent".
func TestWhitenMixedUnits(t *testing.T) {
	m := 200
	rng := model.NewRand(13)
	x := mat.NewDense(2, m, nil)
	for k := 0; k < m; k++ {
		g1, g2 := rng.NormFloat64(), rng.NormFloat64()
		x.Set(0, k, 2000+5*g1)                      // years
		x.Set(1, k, 1.5e9+1e7*(0.0566*g1+g2*0.998)) // cents
	}
	c := makeFit(x, []float64{3, 2e-6}, 0.5, 14)
	w, err := model.WhitenData(x, c.y, model.WhitenOptions{})
	require.NoError(t, err)
	require.Equal(t, 2, w.Rank)
	require.Less(t, 1/w.SigmaMin, 1.2, "σ_max/σ_min of the scaled data")
	checkFit(t, c, w)
	t.Logf("mixed units: max|XXᵀ/m − I| = %.2g (tol %.2g), max|YXᵀ/m − Φ′| = %.2g (tol %.2g)", w.ResidualXX, w.TolXX, w.ResidualYX, w.TolYX)
}

// 50 rows of 3 near-collinear features, covariance condition number ≈ 1e11:
// the old XXᵀ route reached only 7e-6; the SVD route is at round-off.
func TestWhitenNearCollinear(t *testing.T) {
	m := 50
	rng := model.NewRand(21)
	x := mat.NewDense(3, m, nil)
	for k := 0; k < m; k++ {
		a, b, d := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
		x.Set(0, k, a)
		x.Set(1, k, b)
		x.Set(2, k, a+b+3e-6*d)
	}
	require.Greater(t, covCondition(x), 1e10, "the case is as ill-conditioned as the issue's")
	c := makeFit(x, []float64{1, -2, 0.5}, 0.1, 22)
	w, err := model.WhitenData(x, c.y, model.WhitenOptions{})
	require.NoError(t, err)
	require.Equal(t, 3, w.Rank)
	checkFit(t, c, w)
	t.Logf("near-collinear: max|XXᵀ/m − I| = %.2g (tol %.2g), max|YXᵀ/m − Φ′| = %.2g (tol %.2g), σ_min/σ_max = %.2g", w.ResidualXX, w.TolXX, w.ResidualYX, w.TolYX, w.SigmaMin)
}

// One-hot dummies of one category sum to 1: truly dependent. Default: a
// one-line error naming exactly the dummies (coefficients 1, 1, 1);
// ReduceRank: PCA whitening onto the 3-dimensional principal subspace.
func TestWhitenOneHotDependent(t *testing.T) {
	m := 60
	rng := model.NewRand(31)
	x := mat.NewDense(4, m, nil)
	for k := 0; k < m; k++ {
		x.Set(0, k, 100*rng.NormFloat64())
		x.Set(1+k%3, k, 1)
	}
	c := makeFit(x, []float64{0.01, 1, -1, 0}, 0.2, 32)
	names := []string{"price", "red", "green", "blue"}
	_, err := model.WhitenData(x, c.y, model.WhitenOptions{Names: names})
	require.ErrorIs(t, err, model.ErrSingularCovariance)
	var de *model.DependentFeaturesError
	require.True(t, errors.As(err, &de))
	require.Equal(t, []string{`"red"`, `"green"`, `"blue"`}, de.Names)
	for _, a := range de.Coeffs {
		require.InDelta(t, 1, a, 1e-9)
	}
	require.Equal(t, 3, de.Rank)
	require.NotContains(t, err.Error(), "\n")
	require.Contains(t, err.Error(), `"red" + "green" + "blue" ≈ constant`)
	_, err = model.Whiten(x, c.y)
	require.ErrorIs(t, err, model.ErrSingularCovariance)

	w, err := model.WhitenData(x, c.y, model.WhitenOptions{ReduceRank: true})
	require.NoError(t, err)
	require.Equal(t, 3, w.Rank)
	r, _ := w.X.Dims()
	require.Equal(t, 3, r)
	require.Less(t, w.Dropped, w.RankTol)
	checkFit(t, c, w)
}

// Features far from zero relative to their spread are known only to
// ε·|x|: x3 = x1 + x2 at 1e9 ± 1 is dependent to within the data's own
// rounding (σ_min/σ_max ≈ 6e-8 from rounding alone, which the backward-error
// term max(m, d_x)·ε = 1.1e-14 would have accepted as a direction). The
// data-precision floor 2ε·√(m·Σρ_i²)/σ_1 refuses it, naming x1 + x2 − x3;
// the same features with a real third direction of spread 0.01 are accepted.
func TestWhitenLargeOffsetDependent(t *testing.T) {
	m := 50
	build := func(extra float64) *mat.Dense {
		rng := model.NewRand(3)
		x := mat.NewDense(3, m, nil)
		for k := 0; k < m; k++ {
			a, b, d := rng.NormFloat64(), rng.NormFloat64(), rng.NormFloat64()
			x.Set(0, k, 1e9+a)
			x.Set(1, k, -3e9+b)
			x.Set(2, k, x.At(0, k)+x.At(1, k)+extra*d)
		}
		return x
	}
	y := model.GaussianMatrix(1, m, 1, model.NewRand(4))
	_, err := model.WhitenData(build(0), y, model.WhitenOptions{})
	var de *model.DependentFeaturesError
	require.True(t, errors.As(err, &de), "%v", err)
	require.Equal(t, []string{"x1", "x2", "x3"}, de.Names)
	for i, want := range []float64{1, 1, -1} {
		require.InDelta(t, want, de.Coeffs[i], 1e-6)
	}
	require.Contains(t, err.Error(), "x1 + x2 − x3 ≈ constant")
	w, err := model.WhitenData(build(0.01), y, model.WhitenOptions{})
	require.NoError(t, err)
	require.Equal(t, 3, w.Rank)
	require.LessOrEqual(t, lxxResidual(w.X), w.TolXX)
}

// Fewer rows than features: rank ≤ m − 1. Default: an error saying so;
// ReduceRank: m − 1 whitened directions that span every centred vector, so
// Φ·X_w is the centred label itself and κ = 0.
func TestWhitenFewerRowsThanFeatures(t *testing.T) {
	m, dx := 5, 8
	x := model.GaussianMatrix(dx, m, 3, model.NewRand(41))
	y := model.GaussianMatrix(1, m, 2, model.NewRand(42))
	_, err := model.WhitenData(x, y, model.WhitenOptions{})
	require.ErrorIs(t, err, model.ErrSingularCovariance)
	require.Contains(t, err.Error(), "5 examples for 8 features")
	require.NotContains(t, err.Error(), "\n")
	w, err := model.WhitenData(x, y, model.WhitenOptions{ReduceRank: true})
	require.NoError(t, err)
	require.Equal(t, m-1, w.Rank)
	yc := make([]float64, m)
	mean := 0.0
	for k := 0; k < m; k++ {
		mean += y.At(0, k)
	}
	mean /= float64(m)
	for k := range yc {
		yc[k] = y.At(0, k) - mean
	}
	checkFit(t, fitCase{x: x, yhat: yc, y: y, kappa: 0}, w)
}

// The rank rule: σ_k > max(m, d_x)·ε·σ_1 of the centred, scaled data. Two
// features u and u + s·v (u, v orthonormal-ish, zero mean) have scaled
// singular value ratio ≈ s/2; with m = 1000 the tolerance is 2.2e-13.
func TestWhitenRankThreshold(t *testing.T) {
	m := 1000
	tol := float64(m) * linalg.MachEps
	for _, c := range []struct {
		ratio float64
		ok    bool
	}{{tol / 8, false}, {tol * 8, true}, {1e-3, true}} {
		x := mat.NewDense(2, m, nil)
		s := 2 * c.ratio
		for k := 0; k < m; k++ {
			u := float64(1 - 2*(k%2))   // ±1 alternating
			v := float64(1 - 2*(k/2%2)) // ±1 in pairs
			x.Set(0, k, u)
			x.Set(1, k, u+s*v)
		}
		y := mat.NewDense(1, m, nil)
		for k := 0; k < m; k++ {
			y.Set(0, k, float64(k%7))
		}
		w, err := model.WhitenData(x, y, model.WhitenOptions{})
		if !c.ok {
			require.ErrorIs(t, err, model.ErrSingularCovariance, "ratio %g", c.ratio)
			continue
		}
		require.NoError(t, err, "ratio %g", c.ratio)
		require.InEpsilon(t, c.ratio, w.SigmaMin, 0.01, "σ_min/σ_max")
		require.Equal(t, tol, w.RankTol)
	}
	// A constant feature, and one that is constant up to rounding.
	_, err := model.Whiten(mat.NewDense(1, 3, []float64{2, 2, 2}), mat.NewDense(1, 3, nil))
	require.ErrorIs(t, err, model.ErrSingularCovariance)
	require.Contains(t, err.Error(), "x1 is constant")
	_, err = model.Whiten(mat.NewDense(2, 3, []float64{1, 2, 4, 0.1, 0.1 + 1e-17, 0.1}), mat.NewDense(1, 3, nil))
	require.ErrorContains(t, err, "x2 is constant")
}

// The paper's data (the shipped fixture, issue 13's acceptance): 1316
// Ethanol samples × 128 features, condition number ≈ 1e10 after
// standardising. Whitened to ≤ 1e-12; ‖Φ‖_F checked against a QR route.
func TestWhitenGasEthanol(t *testing.T) {
	f, err := os.Open("../data/gas-ethanol.csv.gz")
	require.NoError(t, err)
	defer f.Close()
	tab, err := model.ReadTable(f)
	require.NoError(t, err)
	d, names, err := tab.Split("concentration_ppmv")
	require.NoError(t, err)
	require.Len(t, names, 128)
	dx, m := d.X.Dims()
	require.Equal(t, 128, dx)
	require.Equal(t, 1316, m)
	w, err := model.WhitenData(d.X, d.Y, model.WhitenOptions{Names: names})
	require.NoError(t, err)
	require.Equal(t, 128, w.Rank)
	got := lxxResidual(w.X)
	require.LessOrEqual(t, got, 1e-12)
	require.LessOrEqual(t, got, w.TolXX)
	require.LessOrEqual(t, w.ResidualYX, w.TolYX)
	// Independent ‖Λ_yx‖_F: QR of the centred, standardised data Zᵀ = QR;
	// the whitened inputs span Q's columns, so ‖Λ_yx‖_F = ‖Qᵀy_c‖/√m.
	z := mat.NewDense(m, dx, nil)
	for i := 0; i < dx; i++ {
		mean, ss := 0.0, 0.0
		for k := 0; k < m; k++ {
			mean += d.X.At(i, k)
		}
		mean /= float64(m)
		for k := 0; k < m; k++ {
			ss += (d.X.At(i, k) - mean) * (d.X.At(i, k) - mean)
		}
		sd := math.Sqrt(ss / float64(m))
		for k := 0; k < m; k++ {
			z.Set(k, i, (d.X.At(i, k)-mean)/sd)
		}
	}
	yc := mat.NewVecDense(m, nil)
	ym := 0.0
	for k := 0; k < m; k++ {
		ym += d.Y.At(0, k)
	}
	ym /= float64(m)
	for k := 0; k < m; k++ {
		yc.SetVec(k, d.Y.At(0, k)-ym)
	}
	var qr mat.QR
	qr.Factorize(z)
	var q mat.Dense
	qr.QTo(&q)
	var qty mat.VecDense
	qty.MulVec(q.Slice(0, m, 0, dx).T(), yc)
	want := mat.Norm(&qty, 2) / math.Sqrt(float64(m))
	// Both routes are backward stable on Z; ‖Λ_yx‖ is a projection norm,
	// whose relative error is bounded by the same ε·max(m,d_x)·cond as TolYX.
	require.InEpsilon(t, want, w.LyxNorm, 2*float64(m)*linalg.MachEps/w.SigmaMin, "‖Λ_yx‖_F: QR %v vs SVD %v", want, w.LyxNorm)
	t.Logf("gas-ethanol: rank tolerance %.3g; m = %d, d_x = %d, σ_max/σ_min = %.3g, max|XXᵀ/m − I| = %.2g (tol %.2g), max|YXᵀ/m − Φ′| = %.2g (tol %.2g), ‖Λ_yx‖_F = %.6g (QR %.6g), κ = %.6g",
		w.RankTol, m, dx, 1/w.SigmaMin, w.ResidualXX, w.TolXX, w.ResidualYX, w.TolYX, w.LyxNorm, want, w.Kappa)
}

// The fixture is the byte-exact file recorded in data/README.md.
func TestGasEthanolFixtureChecksum(t *testing.T) {
	raw, err := os.ReadFile("../data/gas-ethanol.csv.gz")
	require.NoError(t, err)
	tab, err := model.ReadTable(strings.NewReader(string(raw)))
	require.NoError(t, err)
	require.Len(t, tab.Rows, 1316)
	sum := sha256.Sum256(gunzip(t, raw))
	require.Equal(t, "c8509291352e8273ed943c816e12b5e6ca91c78d02e5ee25e31e116f1fa06946", hex.EncodeToString(sum[:]))
}

// CSV tables: headers, label columns by name or number, errors naming the
// line and the column.
func TestReadTableAndSplit(t *testing.T) {
	tab, err := model.ReadTable(strings.NewReader("# a comment\nyear,cents,y\n2001,150,1\n2002,170,2\n2004,160,0\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"year", "cents", "y"}, tab.Names)
	d, names, err := tab.Split("")
	require.NoError(t, err)
	require.Equal(t, []string{"year", "cents"}, names)
	require.Equal(t, 1.0, d.Y.At(0, 0))
	d, names, err = tab.Split("year")
	require.NoError(t, err)
	require.Equal(t, []string{"cents", "y"}, names)
	require.Equal(t, 2002.0, d.Y.At(0, 1))
	_, _, err = tab.Split("2,3")
	require.NoError(t, err)
	_, _, err = tab.Split("salary")
	require.ErrorContains(t, err, `"salary"`)
	_, _, err = tab.Split("1,2,3")
	require.ErrorContains(t, err, "need at least one feature")
	_, err = model.ReadTable(strings.NewReader("a,b\n1,2\n3,oops\n"))
	require.ErrorContains(t, err, `line 3, column 2 ("b"): "oops" is not a finite number`)
	_, err = model.ReadTable(strings.NewReader("1,2\n3,NaN\n"))
	require.ErrorContains(t, err, `line 2, column 2 (no header)`)
	_, err = model.ReadTable(strings.NewReader("1,2\n3,4,5\n"))
	require.Error(t, err)
	tab, err = model.ReadTable(strings.NewReader("1,2\n3,4\n"))
	require.NoError(t, err)
	require.Equal(t, []string{"column 1", "column 2"}, tab.Names)
}

func gunzip(t *testing.T, b []byte) []byte {
	t.Helper()
	zr, err := gzip.NewReader(bytes.NewReader(b))
	require.NoError(t, err)
	out, err := io.ReadAll(zr)
	require.NoError(t, err)
	return out
}
