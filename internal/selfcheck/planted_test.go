package selfcheck

import (
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// A plant is one realistic fault in a measurement or bound, of the kind
// issue 18 names ("a measurement checked only by itself"): Check must fail
// on it, on the planted measure only, and not by a panic.
type plant struct {
	name string
	meas string
	mod  func(*Impl)
}

func layerPairs(n *model.Net, pair func(up, lo *mat.Dense) float64, lastOff int) []float64 {
	var out []float64
	for j := 1; j+lastOff < n.N(); j++ {
		out = append(out, pair(n.Layer(j+1), n.Layer(j)))
	}
	return out
}

func maxOf(v []float64) float64 {
	m := 0.0
	for _, x := range v {
		m = math.Max(m, x)
	}
	return m
}

func diffGram(up, lo *mat.Dense) *mat.Dense {
	var a, b mat.Dense
	a.Mul(up.T(), up)
	b.Mul(lo, lo.T())
	a.Sub(&a, &b)
	return &a
}

// d1 plants both ImbalancePairs and Imbalance from a pair formula and an
// aggregate over j.
func d1(pair func(up, lo *mat.Dense) float64, agg func([]float64) float64, lastOff int) func(*Impl) {
	return func(im *Impl) {
		im.ImbalancePairs = func(n *model.Net) []float64 { return layerPairs(n, pair, lastOff) }
		im.Imbalance = func(n *model.Net) float64 { return agg(layerPairs(n, pair, lastOff)) }
	}
}

func frobPair(up, lo *mat.Dense) float64 { return mat.Norm(diffGram(up, lo), 2) }

// whiten is model.Whiten's algorithm with knobs for planted faults.
func whiten(scale, centreX, centreY bool, denom func(m int) float64) func(x, y mat.Matrix) (model.Data, error) {
	return func(xr, yr mat.Matrix) (model.Data, error) {
		dx, m := xr.Dims()
		center := func(a mat.Matrix, on bool) *mat.Dense {
			c := mat.DenseCopyOf(a)
			r, _ := c.Dims()
			for i := 0; on && i < r; i++ {
				row := c.RawRowView(i)
				var mean float64
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
		xc, yc := center(xr, centreX), center(yr, centreY)
		cov := mat.NewSymDense(dx, nil)
		cov.SymOuterK(1/denom(m), xc)
		var eig mat.EigenSym
		eig.Factorize(cov, true)
		vals := eig.Values(nil)
		var uu mat.Dense
		eig.VectorsTo(&uu)
		w := mat.NewDense(dx, dx, nil)
		for k := 0; k < dx; k++ {
			f := 1.0
			if scale {
				f = 1 / math.Sqrt(vals[k])
			}
			for i := 0; i < dx; i++ {
				w.Set(k, i, uu.At(i, k)*f)
			}
		}
		var xw mat.Dense
		xw.Mul(w, xc)
		return model.Data{X: &xw, Y: yc}, nil
	}
}

func plants() []plant {
	pub := Public()
	fm := func(m int) float64 { return float64(m) }
	return []plant{
		// D1
		{"D1 with the spectral norm", MD1, d1(func(up, lo *mat.Dense) float64 { return invariants.SpectralNorm(diffGram(up, lo)) }, maxOf, 0)},
		{"D1 summed over j instead of max", MD1, func(im *Impl) {
			im.Imbalance = func(n *model.Net) float64 {
				var s float64
				for _, v := range pub.ImbalancePairs(n) {
					s += v
				}
				return s
			}
		}},
		{"D1 squared Frobenius (no square root)", MD1, d1(func(up, lo *mat.Dense) float64 { f := frobPair(up, lo); return f * f }, maxOf, 0)},
		{"D1 with W_jᵀW_j for W_jW_jᵀ (square nets)", MD1, d1(func(up, lo *mat.Dense) float64 {
			if r, c := lo.Dims(); r != c {
				return frobPair(up, lo)
			}
			var a, b mat.Dense
			a.Mul(up.T(), up)
			b.Mul(lo.T(), lo)
			a.Sub(&a, &b)
			return mat.Norm(&a, 2)
		}, maxOf, 0)},
		{"D1 loop stops one pair early", MD1, d1(frobPair, maxOf, 1)},
		// D2
		{"D2 with ‖W − Φ‖_σ", MD2, func(im *Impl) {
			im.Margin = func(w, phi mat.Matrix) float64 {
				var e mat.Dense
				e.Sub(w, phi)
				return pub.SigmaMin(phi) - pub.SpectralNorm(&e)
			}
		}},
		{"D2 with σ_min(W) for σ_min(Φ)", MD2, func(im *Impl) {
			im.Margin = func(w, phi mat.Matrix) float64 {
				var e mat.Dense
				e.Sub(w, phi)
				return pub.SigmaMin(w) - mat.Norm(&e, 2)
			}
		}},
		{"D2 with σ_max(Φ)", MD2, func(im *Impl) {
			im.Margin = func(w, phi mat.Matrix) float64 {
				var e mat.Dense
				e.Sub(w, phi)
				return pub.SpectralNorm(phi) - mat.Norm(&e, 2)
			}
		}},
		// σ
		{"spectral norm as gonum's mat.Norm(A, 2) (Frobenius)", MSigma, func(im *Impl) {
			im.SpectralNorm = func(a mat.Matrix) float64 { return mat.Norm(a, 2) }
		}},
		{"σ_min from the larger Gram matrix (0 for non-square)", MSigma, func(im *Impl) {
			im.SigmaMin = func(a mat.Matrix) float64 {
				r, c := a.Dims()
				var g mat.Dense
				if r >= c {
					g.Mul(a, a.T())
				} else {
					g.Mul(a.T(), a)
				}
				s, _ := pub.SymPow(&g, 0.5)
				sv := pub.SingularValues(s)
				return sv[len(sv)-1]
			}
		}},
		{"singular values ascending", MSigma, func(im *Impl) {
			im.SingularValues = func(a mat.Matrix) []float64 {
				sv := pub.SingularValues(a)
				for i, j := 0, len(sv)-1; i < j; i, j = i+1, j-1 {
					sv[i], sv[j] = sv[j], sv[i]
				}
				return sv
			}
		}},
		// Measure
		{"Measure: σ_min of the product in the wrong order (W_1⋯W_N, square nets)", MMeasure, func(im *Impl) {
			im.Measure = func(n *model.Net, phi mat.Matrix, rec *model.Record) {
				pub.Measure(n, phi, rec)
				for j := 1; j <= n.N(); j++ {
					if r, c := n.Layer(j).Dims(); r != c {
						return
					}
				}
				w := mat.DenseCopyOf(n.Layer(1))
				for j := 2; j <= n.N(); j++ {
					w.Mul(w, n.Layer(j))
				}
				rec.SigmaMin = pub.SigmaMin(w)
			}
		}},
		{"Measure: max layer norm Frobenius", MMeasure, func(im *Impl) {
			im.Measure = func(n *model.Net, phi mat.Matrix, rec *model.Record) {
				pub.Measure(n, phi, rec)
				rec.MaxSpectral = 0
				for j := 1; j <= n.N(); j++ {
					rec.MaxSpectral = math.Max(rec.MaxSpectral, mat.Norm(n.Layer(j), 2))
				}
			}
		}},
		// SymPow
		{"SymPow computes [S]^{2p}", MSymPow, func(im *Impl) {
			im.SymPow = func(s mat.Matrix, p float64) (*mat.Dense, error) { return pub.SymPow(s, 2*p) }
		}},
		{"SymPow as entrywise powers", MSymPow, func(im *Impl) {
			im.SymPow = func(s mat.Matrix, p float64) (*mat.Dense, error) {
				r, _ := s.Dims()
				out := mat.NewDense(r, r, nil)
				for i := 0; i < r; i++ {
					for j := 0; j < r; j++ {
						v := s.At(i, j)
						out.Set(i, j, math.Copysign(math.Pow(math.Abs(v), p), v))
					}
				}
				if p == 0 {
					return mat.DenseCopyOf(identityOf(r)), nil
				}
				return out, nil
			}
		}},
		{"SymPow reassembled as Vᵀ f(Λ) V", MSymPow, func(im *Impl) {
			im.SymPow = func(s mat.Matrix, p float64) (*mat.Dense, error) {
				r, _ := s.Dims()
				if p == 0 {
					return identityOf(r), nil
				}
				sym := mat.NewSymDense(r, nil)
				for i := 0; i < r; i++ {
					for j := i; j < r; j++ {
						sym.SetSym(i, j, s.At(i, j))
					}
				}
				var eig mat.EigenSym
				eig.Factorize(sym, true)
				vals := eig.Values(nil)
				var v mat.Dense
				eig.VectorsTo(&v)
				d := mat.NewDense(r, r, nil)
				for k, l := range vals {
					d.Set(k, k, math.Pow(math.Max(l, 0), p))
				}
				var t, out mat.Dense
				t.Mul(v.T(), d)
				out.Mul(&t, &v)
				return &out, nil
			}
		}},
		// P_W
		{"P_W with [WWᵀ]^{j/N} (exponent off by one)", MPW, func(im *Impl) {
			im.ApplyPW = func(w, e mat.Matrix, N int) (*mat.Dense, error) { return applyPW(pub, w, e, N, 0, 1, false) }
		}},
		{"P_W missing its last term", MPW, func(im *Impl) {
			im.ApplyPW = func(w, e mat.Matrix, N int) (*mat.Dense, error) { return applyPW(pub, w, e, N, 1, 0, false) }
		}},
		{"P_W with WᵀW on the left (square W)", MPW, func(im *Impl) {
			im.ApplyPW = func(w, e mat.Matrix, N int) (*mat.Dense, error) { return applyPW(pub, w, e, N, 0, 0, true) }
		}},
		// P_W eigenvalues
		{"P_W eigenvalues with 0⁰ = 0", MPWEig, func(im *Impl) {
			im.PWEigenvalues = func(w mat.Matrix, N int) ([][]float64, error) {
				return pwEig(pub, w, N, func(x, p float64) float64 {
					if x == 0 || p == 0 && x < 1e-12 {
						return 0
					}
					return math.Pow(x, p)
				}, 2)
			}
		}},
		{"P_W eigenvalues with σ^{(N−j)/N} for σ^{2(N−j)/N}", MPWEig, func(im *Impl) {
			im.PWEigenvalues = func(w mat.Matrix, N int) ([][]float64, error) { return pwEig(pub, w, N, math.Pow, 1) }
		}},
		// bounds
		{"δ* with 128 for 256", MDelta, func(im *Impl) {
			im.DeltaBound = func(c float64, N int, f float64) float64 { return 2 * pub.DeltaBound(c, N, f) }
		}},
		{"δ* with exponent (N−1)/N on ‖Φ‖_F", MDelta, func(im *Impl) {
			im.DeltaBound = func(c float64, N int, f float64) float64 {
				n := float64(N)
				return c * c / (256 * n * n * n * math.Pow(f, (n-1)/n))
			}
		}},
		{"δ* with N² for N³", MDelta, func(im *Impl) {
			im.DeltaBound = func(c float64, N int, f float64) float64 { return float64(N) * pub.DeltaBound(c, N, f) }
		}},
		{"η* with exponent (4N−1)/N on c", MEta, func(im *Impl) {
			im.EtaBound = func(c float64, N int, f float64) float64 {
				n := float64(N)
				return math.Pow(c, (4*n-1)/n) / (6144 * n * n * n * math.Pow(f, (6*n-4)/n))
			}
		}},
		{"η* with exponent (6N−2)/N on ‖Φ‖_F", MEta, func(im *Impl) {
			im.EtaBound = func(c float64, N int, f float64) float64 {
				n := float64(N)
				return math.Pow(c, (4*n-2)/n) / (6144 * n * n * n * math.Pow(f, (6*n-2)/n))
			}
		}},
		{"η* with 3072 for 6144", MEta, func(im *Impl) {
			im.EtaBound = func(c float64, N int, f float64) float64 { return 2 * pub.EtaBound(c, N, f) }
		}},
		{"T(ε) with log10", MHorizon, func(im *Impl) {
			im.Horizon = func(l0, eps, eta, c float64, N int) float64 {
				if l0 <= eps {
					return 0
				}
				return math.Log10(l0/eps) / invariants.Rate(eta, c, N)
			}
		}},
		{"T(ε) with c^{(N−1)/N}", MHorizon, func(im *Impl) {
			im.Horizon = func(l0, eps, eta, c float64, N int) float64 {
				if l0 <= eps {
					return 0
				}
				n := float64(N)
				return math.Log(l0/eps) / (eta * math.Pow(c, (n-1)/n))
			}
		}},
		{"T(ε) without the ℓ(0) ≤ ε rule (negative horizon)", MHorizon, func(im *Impl) {
			im.Horizon = func(l0, eps, eta, c float64, N int) float64 { return math.Log(l0/eps) / invariants.Rate(eta, c, N) }
		}},
		{"L2 bound 4‖Φ‖_F^{1/N}", ML2, func(im *Impl) {
			im.SpectralBound = func(N int, f float64) float64 { return 4 * math.Pow(f, 1/float64(N)) }
		}},
		{"L2 bound (2‖Φ‖_F)^{1/N}", ML2, func(im *Impl) {
			im.SpectralBound = func(N int, f float64) float64 { return math.Pow(2*f, 1/float64(N)) }
		}},
		{"L6 bound 2^{2/N} C^{2/N}", ML6, func(im *Impl) {
			im.L6Bound = func(C float64, N int) float64 { return math.Pow(2*C, 2/float64(N)) }
		}},
		{"L6 bound 2^{1/N} C^{1/N}", ML6, func(im *Impl) {
			im.L6Bound = func(C float64, N int) float64 { return math.Pow(2*C, 1/float64(N)) }
		}},
		{"L6 ν with 30N³", ML6Nu, func(im *Impl) {
			im.L6Nu = func(C float64, N int) float64 { return pub.L6Nu(C, N) / float64(N) }
		}},
		{"L6 ν with C^{1/N}", ML6Nu, func(im *Impl) {
			im.L6Nu = func(C float64, N int) float64 { n := float64(N); return math.Pow(C, 1/n) / (30 * n * n) }
		}},
		{"rate with c^{(N−1)/N}", MRate, func(im *Impl) {
			im.Rate = func(eta, c float64, N int) float64 { n := float64(N); return eta * math.Pow(c, (n-1)/n) }
		}},
		{"rate with c^{2N/N}", MRate, func(im *Impl) {
			im.Rate = func(eta, c float64, N int) float64 { return eta * c * c }
		}},
		{"R1 margin 1 − ‖Φ − I‖_F", MResidual, func(im *Impl) {
			im.ResidualMargin = func(phi mat.Matrix) float64 { return (1 + pub.ResidualMargin(phi)) / 2 }
		}},
		{"R1 margin with the spectral norm", MResidual, func(im *Impl) {
			im.ResidualMargin = func(phi mat.Matrix) float64 {
				r, _ := phi.Dims()
				var d mat.Dense
				d.Sub(phi, identityOf(r))
				return 1 - 2*pub.SpectralNorm(&d)
			}
		}},
		// whitening
		{"whitening that does not scale", MWhiten, func(im *Impl) { im.Whiten = whiten(false, true, true, fm) }},
		{"whitening covariance over m − 1", MWhiten, func(im *Impl) {
			im.Whiten = whiten(true, true, true, func(m int) float64 { return float64(m - 1) })
		}},
		{"whitening that does not centre Y", MWhiten, func(im *Impl) { im.Whiten = whiten(true, true, false, fm) }},
		{"whitening that does not centre X", MWhiten, func(im *Impl) { im.Whiten = whiten(true, false, true, fm) }},
	}
}

func identityOf(n int) *mat.Dense {
	d := mat.NewDense(n, n, nil)
	for i := 0; i < n; i++ {
		d.Set(i, i, 1)
	}
	return d
}

// applyPW is invariants.ApplyPW with planted faults: drop the last `drop`
// terms, shift the left exponent by `shift`, or put WᵀW on the left (only
// when W is square; otherwise it computes the correct value).
func applyPW(pub Impl, w, e mat.Matrix, N, drop, shift int, swapSides bool) (*mat.Dense, error) {
	r, c := w.Dims()
	var wwt, wtw mat.Dense
	wwt.Mul(w, w.T())
	wtw.Mul(w.T(), w)
	lm, rm := &wwt, &wtw
	if swapSides && r == c {
		lm, rm = &wtw, &wwt
	}
	out := mat.NewDense(r, c, nil)
	for j := 1; j <= N-drop; j++ {
		left, _ := pub.SymPow(lm, float64(j-1+shift)/float64(N))
		right, _ := pub.SymPow(rm, float64(N-j)/float64(N))
		var t, term mat.Dense
		t.Mul(left, e)
		term.Mul(&t, right)
		out.Add(out, &term)
	}
	return out, nil
}

// pwEig is invariants.PWEigenvalues with the power function and the factor
// of the exponents (2 is correct) planted.
func pwEig(pub Impl, w mat.Matrix, N int, pow func(x, p float64) float64, twice float64) ([][]float64, error) {
	r, c := w.Dims()
	sv := pub.SingularValues(w)
	sig := func(i int) float64 {
		if i < len(sv) {
			return sv[i]
		}
		return 0
	}
	out := make([][]float64, r)
	for a := range out {
		out[a] = make([]float64, c)
		for b := range out[a] {
			for j := 1; j <= N; j++ {
				out[a][b] += pow(sig(a), twice*float64(N-j)/float64(N)) * pow(sig(b), twice*float64(j-1)/float64(N))
			}
		}
	}
	return out, nil
}

// TestCheckCatchesPlantedMeasurementFaults plants each fault of the list
// and requires Check to fail on the planted measure alone, with a reason
// that is not a panic; it logs the first reason of each.
func TestCheckCatchesPlantedMeasurementFaults(t *testing.T) {
	perMeas := map[string]int{}
	for _, p := range plants() {
		im := Public()
		p.mod(&im)
		rep := Check(im, 20190501)
		var hit *Failure
		for i, f := range rep.Failures {
			if f.Measure != p.meas {
				t.Errorf("%s: failure attributed to %s, want %s: %v", p.name, f.Measure, p.meas, f)
			}
			if hit == nil && !strings.Contains(f.Msg, "panicked") {
				hit = &rep.Failures[i]
			}
		}
		if hit == nil {
			t.Errorf("%s: NOT caught (%d failures, all panics or none)", p.name, len(rep.Failures))
			continue
		}
		perMeas[p.meas]++
		t.Logf("caught %-60s %d disagreements; first: %v", p.name, len(rep.Failures), *hit)
	}
	for _, m := range []string{MD1, MD2, MSigma, MMeasure, MSymPow, MPW, MPWEig, MDelta, MEta, MHorizon, ML2, ML6, ML6Nu, MWhiten, MRate, MResidual} {
		if perMeas[m] < 2 {
			t.Errorf("measure %s: %d planted faults caught, want ≥ 2 per kind", m, perMeas[m])
		}
	}
}
