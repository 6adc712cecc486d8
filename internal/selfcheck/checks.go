package selfcheck

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// Tolerance tiers. u is the unit round-off; every tier bounds the
// difference of two computations of the same exact quantity, each within
// its own rounding-error bound, so it is twice the bound of one.
const u = linalg.UnitRoundoff

// gamma is γ_k = k·u/(1 − k·u): a sum of k products, in any order, is
// within γ_k·Σ|terms| of the exact value (Higham, Accuracy and Stability,
// §3.1).
func gamma(k int) float64 { return float64(k) * u / (1 - float64(k)*u) }

// svdP is the backward-error constant of a backward-stable SVD or
// symmetric eigensolver (LAPACK's, gonum's, the Jacobi one here): the
// computed values are exact for A + E with ‖E‖ ≤ svdP(n)·u·‖A‖_F. LAPACK
// states p(n) as "a modestly growing function of n"; 16n is the
// conventional reading. By Weyl, each singular value or eigenvalue moves by
// at most ‖E‖.
func svdP(n int) float64 { return 16 * float64(n) }

// tierSV is the tier of one singular value of a r×c matrix with Frobenius
// norm f, between two backward-stable routes.
func tierSV(r, c int, f float64) float64 { return 2 * svdP(max(r, c)) * u * f }

// tierGramSV is the tier of σ_i computed as √λ_i(Gram) (refSingularValues)
// against a direct SVD: the Gram product is within γ_k‖A‖_F² entrywise and
// the eigensolver adds svdP·u·‖G‖_F; |√x − √y| ≤ |x − y|/σ_i. Only used on
// well-conditioned inputs (σ_i bounded away from 0).
func tierGramSV(r, c int, f, sigma float64) float64 {
	k := max(r, c)
	e := (gamma(k) + svdP(min(r, c))*u) * f * f
	return e/math.Max(sigma, math.SmallestNonzeroFloat64) + tierSV(r, c, f)
}

// tierPow bounds |Δ(x^α)| when x ≥ 0 is known to within e: Hölder
// |x^α − y^α| ≤ |x − y|^α for α ∈ (0, 1], the mean-value bound
// α·(x + e)^{α−1}·e for α ≥ 1, and 0 for α = 0 (0⁰ = 1 exactly).
func tierPow(x, e, alpha float64) float64 {
	switch {
	case alpha == 0:
		return 0
	case alpha < 1:
		return math.Pow(e, alpha)
	default:
		return alpha * math.Pow(x+e, alpha-1) * e
	}
}

// tierSymPow bounds the entrywise difference of two computations of
// [S]^p for a PSD S with (reference) eigenvalues vals: each eigensolver is
// backward stable with ‖E‖ ≤ svdP(n)·u·‖S‖_F = e, and the matrix function
// x^p moves by at most L·‖E‖, L the largest divided difference of x^p on
// the spectrum (p·λ_max^{p−1} for p ≥ 1; for p < 1 the largest is between
// the smallest positive eigenvalue and 0 or itself, λ₊^{p−1}), times √n
// for the Frobenius-to-entry passage; the reconstruction V f(Λ) Vᵀ adds
// γ_n·‖S‖^p. Eigenvalues under the clamping floor are 0 in both routes.
func tierSymPow(vals []float64, p float64, sf float64) float64 {
	n := len(vals)
	if p == 0 {
		return 0
	}
	top := math.Max(vals[n-1], 0)
	floor := 4 * linalg.MachEps * float64(n) * top
	lpos := top
	for _, v := range vals {
		if v > floor && v < lpos {
			lpos = v
		}
	}
	e := svdP(n) * u * sf
	var L float64
	if p >= 1 {
		L = p * math.Pow(top+e, p-1)
	} else {
		L = math.Pow(math.Max(lpos-e, lpos/2), p-1)
	}
	return 2 * (L*e*math.Sqrt(float64(n)) + gamma(2*n)*math.Pow(top+e, p))
}

// tierRel is the relative tier of a closed-form bound computed directly
// (a few divisions and math.Pow calls, each within 2 ulps) against the
// 50-digit golden value: 2 ulps per operation, ops operations.
func tierRel(ops int) float64 { return 4 * float64(ops) * u }

// tierLog is the relative tier of a log-domain evaluation exp(Σ t_i)
// against the exact value: each log term is within u·|t_i| (math.Log is
// within 1 ulp), the exponent within u·Σ|t_i| plus its own roundings, and
// exp turns an absolute exponent error into the same relative error.
func tierLog(sumAbs float64) float64 { return 4 * u * (2 + sumAbs) }

func checkGolden(c *checker, im Impl, g *golden) {
	for _, nc := range g.Nets {
		layers := make([]dense, len(nc.Layers))
		for j, l := range nc.Layers {
			layers[j] = dense(l)
		}
		checkNet(c, im, nc.Name, layers, dense(nc.Phi), &netGolden{pairs: nc.Pairs, imb: nc.Imbalance, margin: nc.Margin, sigmin: nc.SigmaMinP, maxspec: nc.MaxSpec})
	}
	for _, sc := range g.SingularValues {
		a := dense(sc.A)
		checkSV(c, im, sc.Name, a, sc.SV)
	}
	for _, sc := range g.SymPow {
		s := dense(sc.S)
		checkSymPow(c, im, sc.Name, s, sc.P, dense(sc.Out))
	}
	for _, pc := range g.PW {
		checkPW(c, im, pc.Name, dense(pc.W), dense(pc.E), pc.N, dense(pc.Apply), pc.Eig, pc.Sorted)
	}
	for _, b := range g.Bounds {
		cs := fmt.Sprintf("N=%d c=%g ‖Φ‖_F=%g", b.N, b.C, b.PhiF)
		c.at(MDelta, cs, routeGold).safe(func() {
			c.near("DeltaBound", im.DeltaBound(b.C, b.N, b.PhiF), b.Delta, tierRel(6)*b.Delta)
		})
		c.at(MEta, cs, routeGold).safe(func() {
			c.near("EtaBound", im.EtaBound(b.C, b.N, b.PhiF), b.Eta, tierRel(8)*b.Eta)
		})
		c.at(MRate, cs, routeGold).safe(func() {
			c.near("Rate(1e-4, c, N)", im.Rate(1e-4, b.C, b.N), b.Rate, tierRel(3)*b.Rate)
		})
		d, dm := refDeltaBoundMag(b.C, b.N, b.PhiF)
		c.at(MDelta, cs, "log-domain reference vs golden").near("refDeltaBound", d, b.Delta, tierLog(dm)*b.Delta)
		e, em := refEtaBoundMag(b.C, b.N, b.PhiF)
		c.at(MEta, cs, "log-domain reference vs golden").near("refEtaBound", e, b.Eta, tierLog(em)*b.Eta)
	}
	for _, h := range g.Horizons {
		cs := fmt.Sprintf("ℓ0=%g ε=%g η=%g c=%g N=%d", h.Loss0, h.Eps, h.Eta, h.C, h.N)
		c.at(MHorizon, cs, routeGold).safe(func() {
			c.near("Horizon", im.Horizon(h.Loss0, h.Eps, h.Eta, h.C, h.N), h.Horizon, tierRel(8)*h.Horizon)
		})
	}
	for _, b := range g.LayerBounds {
		cs := fmt.Sprintf("N=%d x=%g", b.N, b.X)
		c.at(ML2, cs, routeGold).safe(func() {
			c.near("SpectralBound", im.SpectralBound(b.N, b.X), b.L2, tierRel(3)*b.L2)
		})
		c.at(ML6, cs, routeGold).safe(func() {
			c.near("L6Bound", im.L6Bound(b.X, b.N), b.L6, tierRel(5)*b.L6)
		})
		c.at(ML6Nu, cs, routeGold).safe(func() {
			c.near("L6Nu", im.L6Nu(b.X, b.N), b.L6Nu, tierRel(6)*b.L6Nu)
		})
	}
	for _, r := range g.Residual {
		phi := dense(r.Phi)
		d := len(phi)
		diff := newDense(d, d)
		for i := range phi {
			for k := range phi[i] {
				diff[i][k] = phi[i][k] - eye(d)[i][k]
			}
		}
		ref := 1 - 2*frob(diff)
		tol := 2 * gamma(d*d+4) * (1 + 2*frob(diff))
		c.at(MResidual, r.Name, routeGold).safe(func() { c.near("ResidualMargin", im.ResidualMargin(phi.mat()), r.C, tol) })
		c.at(MResidual, r.Name, routeRef).safe(func() { c.near("ResidualMargin", im.ResidualMargin(phi.mat()), ref, tol) })
	}
	for _, w := range g.Whiten {
		checkWhiten(c, im, w.Name, dense(w.X), dense(w.Y), dense(w.Gram), dense(w.YC), w.PhiSV, w.Kappa)
	}
}

type netGolden struct {
	pairs                        []float64
	imb, margin, sigmin, maxspec float64
}

// checkNet checks D1, D2, σ_min(W_{1:N}) and max_j ‖W_j‖_σ of a network
// against the golden values (when given) and the references.
func checkNet(c *checker, im Impl, name string, layers []dense, phi dense, gv *netGolden) {
	rows := make([][][]float64, len(layers))
	for j, l := range layers {
		rows[j] = l
	}
	n, err := model.NewNetFromRows(rows)
	if err != nil {
		c.at(MD1, name, "setup").fail("NewNetFromRows: %v", err)
		return
	}
	// D1: explicit sums; tier 2[γ_K(‖W_{j+1}‖_F² + ‖W_j‖_F²) + γ_{d²+2}·value].
	ref := refImbalancePairs(layers)
	tolPair := func(j int) float64 {
		up, lo := layers[j+1], layers[j]
		K := max(up.rows(), lo.cols())
		d := lo.rows()
		fu, fl := frob(up), frob(lo)
		return 2 * (gamma(K)*(fu*fu+fl*fl) + gamma(d*d+2)*ref[j])
	}
	refMax, tolMax := 0.0, 0.0
	for j, v := range ref {
		if v > refMax {
			refMax, tolMax = v, tolPair(j)
		}
	}
	c.at(MD1, name, routeRef).safe(func() {
		c.nearVec("ImbalancePairs", im.ImbalancePairs(n), ref, tolPair)
	})
	c.at(MD1, name, routeRef).safe(func() { c.near("Imbalance", im.Imbalance(n), refMax, tolMax) })
	if gv != nil {
		c.at(MD1, name, routeGold).safe(func() {
			c.nearVec("ImbalancePairs", im.ImbalancePairs(n), gv.pairs, tolPair)
		})
		c.at(MD1, name, routeGold).safe(func() { c.near("Imbalance", im.Imbalance(n), gv.imb, tolMax) })
	}
	// The product by explicit sums, its rounding γ_{Σd}·Π‖W_j‖_F.
	w := layers[0]
	prodF := frob(layers[0])
	sumD := layers[0].cols()
	for _, l := range layers[1:] {
		w = mul(l, w)
		prodF *= frob(l)
		sumD += l.cols()
	}
	tolProd := 2 * gamma(sumD) * prodF
	r, cc := w.rows(), w.cols()
	phiF := frob(phi)
	svPhi := refSingularValues(phi)
	svW := refSingularValues(w)
	diff := newDense(r, cc)
	for i := range diff {
		for k := range diff[i] {
			diff[i][k] = w[i][k] - phi[i][k]
		}
	}
	refMargin := svPhi[len(svPhi)-1] - frob(diff)
	tolMargin := tierGramSV(r, cc, phiF, svPhi[len(svPhi)-1]) + tolProd + 2*gamma(r*cc+2)*(frob(diff)+phiF)
	tolSig := tierGramSV(r, cc, frob(w), svW[len(svW)-1]) + tolProd
	maxSpec, tolSpec := 0.0, 0.0
	for _, l := range layers {
		s := refSingularValues(l)
		if s[0] > maxSpec {
			maxSpec, tolSpec = s[0], tierGramSV(l.rows(), l.cols(), frob(l), s[0])
		}
	}
	type want struct {
		route                       string
		margin, sigmin, maxspec, im float64
	}
	wants := []want{{routeRef, refMargin, svW[len(svW)-1], maxSpec, refMax}}
	if gv != nil {
		wants = append(wants, want{routeGold, gv.margin, gv.sigmin, gv.maxspec, gv.imb})
	}
	for _, wt := range wants {
		c.at(MD2, name, wt.route).safe(func() {
			c.near("Margin(W_{1:N}, Φ)", im.Margin(w.mat(), phi.mat()), wt.margin, tolMargin)
		})
		c.at(MMeasure, name, wt.route).safe(func() {
			var rec model.Record
			im.Measure(n, phi.mat(), &rec)
			_ = c.near("Record.Imbalance", rec.Imbalance, wt.im, tolMax) &&
				c.near("Record.Margin", rec.Margin, wt.margin, tolMargin) &&
				c.near("Record.SigmaMin", rec.SigmaMin, wt.sigmin, tolSig) &&
				c.near("Record.MaxSpectral", rec.MaxSpectral, wt.maxspec, tolSpec)
		})
	}
}

// checkSV checks the singular values, σ_min and the spectral norm.
func checkSV(c *checker, im Impl, name string, a dense, gold []float64) {
	f := frob(a)
	ref := refSingularValues(a)
	tolRef := func(i int) float64 { return tierGramSV(a.rows(), a.cols(), f, ref[i]) }
	tolGold := func(int) float64 { return tierSV(a.rows(), a.cols(), f) }
	am := a.mat()
	last := len(ref) - 1
	c.at(MSigma, name, routeRef).safe(func() { c.nearVec("SingularValues", im.SingularValues(am), ref, tolRef) })
	c.at(MSigma, name, routeRef).safe(func() { c.near("SigmaMin", im.SigmaMin(am), ref[last], tolRef(last)) })
	c.at(MSigma, name, routeRef).safe(func() { c.near("SpectralNorm", im.SpectralNorm(am), ref[0], tolRef(0)) })
	if gold != nil {
		c.at(MSigma, name, routeGold).safe(func() { c.nearVec("SingularValues", im.SingularValues(am), gold, tolGold) })
		c.at(MSigma, name, routeGold).safe(func() { c.near("SigmaMin", im.SigmaMin(am), gold[last], tolGold(last)) })
		c.at(MSigma, name, routeGold).safe(func() { c.near("SpectralNorm", im.SpectralNorm(am), gold[0], tolGold(0)) })
	}
}

func checkSymPow(c *checker, im Impl, name string, s dense, p float64, gold dense) {
	vals, _ := jacobiEigen(s)
	tol := tierSymPow(vals, p, frob(s))
	ref := refSymPow(s, p)
	c.at(MSymPow, name, routeRef).safe(func() {
		got, err := im.SymPow(s.mat(), p)
		if err != nil {
			c.fail("error %v", err)
			return
		}
		c.nearMat("SymPow", got, ref, tol)
		if gold != nil {
			c.at(MSymPow, name, routeGold).nearMat("SymPow", got, gold, tol)
		}
	})
}

// checkPW checks ApplyPW against the Kronecker sum and PWEigenvalues
// against the closed form (golden, indexed [a][b]) and against the sorted
// spectrum of the Kronecker sum.
func checkPW(c *checker, im Impl, name string, w, e dense, N int, goldApply dense, goldEig [][]float64, goldSorted []float64) {
	r, cc := w.rows(), w.cols()
	wf, ef := frob(w), frob(e)
	// Per-term tiers of the two powers: [WᵀW]^{(N−j)/N} ⊗ [WWᵀ]^{(j−1)/N}.
	wwt, wtw := mul(w, tr(w)), mul(tr(w), w)
	lv, _ := jacobiEigen(wwt)
	rv, _ := jacobiEigen(wtw)
	var tolApply float64
	for j := 1; j <= N; j++ {
		pl, pr := float64(j-1)/float64(N), float64(N-j)/float64(N)
		tl, tr := tierSymPow(lv, pl, frob(wwt)), tierSymPow(rv, pr, frob(wtw))
		nl, nr := math.Pow(math.Max(lv[len(lv)-1], 0), pl), math.Pow(math.Max(rv[len(rv)-1], 0), pr)
		// entry tiers → operator norms: ≤ √n times (Frobenius) the entry tier times √n.
		tolApply += (tl*float64(r)*nr + tr*float64(cc)*nl + tl*tr*float64(r*cc)) * ef
		tolApply += 2 * gamma(r+cc+N) * nl * nr * ef
	}
	ref := refApplyPW(w, e, N)
	c.at(MPW, name, routeRef).safe(func() {
		got, err := im.ApplyPW(w.mat(), e.mat(), N)
		if err != nil {
			c.fail("error %v", err)
			return
		}
		c.nearMat("ApplyPW", got, ref, tolApply)
		if goldApply != nil {
			c.at(MPW, name, routeGold).nearMat("ApplyPW", got, goldApply, tolApply)
		}
	})
	// Eigenvalues Σ_j σ_a^{α_j} σ_b^{β_j}: σ within e = svdP·u·‖W‖_F.
	sv := refSingularValues(w)
	sig := func(i int) float64 {
		if i < len(sv) {
			return sv[i]
		}
		return 0
	}
	es := 2 * svdP(max(r, cc)) * u * wf
	tolEig := func(a, b int) float64 {
		var t float64
		for j := 1; j <= N; j++ {
			al, be := 2*float64(N-j)/float64(N), 2*float64(j-1)/float64(N)
			xa, xb := sig(a)+es, sig(b)+es
			t += tierPow(sig(a), es, al)*math.Pow(xb, be) + math.Pow(xa, al)*tierPow(sig(b), es, be)
			t += gamma(4*N) * math.Pow(xa, al) * math.Pow(xb, be)
		}
		return t
	}
	maxTol := 0.0
	for a := 0; a < r; a++ {
		for b := 0; b < cc; b++ {
			maxTol = math.Max(maxTol, tolEig(a, b))
		}
	}
	kron := refPWEigenSorted(w, N)
	var pf float64
	for _, v := range kron {
		pf += v * v
	}
	tolKron := maxTol + 2*svdP(r*cc)*u*math.Sqrt(pf) + tolApply/math.Max(ef, 1e-300)
	c.at(MPWEig, name, routeRef).safe(func() {
		got, err := im.PWEigenvalues(w.mat(), N)
		if err != nil {
			c.fail("error %v", err)
			return
		}
		if len(got) != r {
			c.near("PWEigenvalues rows", float64(len(got)), float64(r), 0)
			return
		}
		var flat []float64
		for a := range got {
			if len(got[a]) != cc {
				c.near(fmt.Sprintf("PWEigenvalues row %d length", a), float64(len(got[a])), float64(cc), 0)
				return
			}
			flat = append(flat, got[a]...)
		}
		sortFloats(flat)
		c.nearVec("PWEigenvalues sorted vs Kronecker spectrum", flat, kron, func(int) float64 { return tolKron })
		if goldEig != nil {
			c.at(MPWEig, name, routeGold)
			for a := 0; a < r; a++ {
				for b := 0; b < cc; b++ {
					if !c.near(fmt.Sprintf("PWEigenvalues[%d][%d]", a, b), got[a][b], goldEig[a][b], 2*tolEig(a, b)) {
						return
					}
				}
			}
			c.nearVec("PWEigenvalues sorted", flat, goldSorted, func(int) float64 { return tolKron })
		}
	})
}

func sortFloats(x []float64) {
	for i := 1; i < len(x); i++ {
		for j := i; j > 0 && x[j] < x[j-1]; j-- {
			x[j], x[j-1] = x[j-1], x[j]
		}
	}
}

// checkWhiten checks Whiten's outputs that do not depend on the whitening
// rotation: XᵀX (m× the projector onto the row space of the centred X),
// the centred Y, the singular values of Φ = YXᵀ/m and κ, plus XXᵀ/m = I
// and zero row means by explicit sums.
func checkWhiten(c *checker, im Impl, name string, x, y, gram, yc dense, phiSV []float64, kappa float64) {
	dx, m := x.rows(), x.cols()
	dy := y.rows()
	// Condition number of the centred covariance (Jacobi), for the tier:
	// the whitening map Λ^{−1/2}Uᵀ is computed to a relative ρ ≈ svdP·u·κ.
	xc := newDense(dx, m)
	for i := range x {
		var mean float64
		for _, v := range x[i] {
			mean += v
		}
		mean /= float64(m)
		for k, v := range x[i] {
			xc[i][k] = v - mean
		}
	}
	cov := mul(xc, tr(xc))
	vals, _ := jacobiEigen(cov)
	kap := vals[dx-1] / vals[0]
	rho := 2 * (svdP(dx)*u*kap + gamma(m+2))
	var ymax float64
	for _, row := range y {
		for _, v := range row {
			ymax = math.Max(ymax, math.Abs(v))
		}
	}
	c.at(MWhiten, name, routeGold).safe(func() {
		d, err := im.Whiten(x.mat(), y.mat())
		if err != nil {
			c.fail("error %v", err)
			return
		}
		if d.X == nil || d.Y == nil {
			c.fail("nil X or Y")
			return
		}
		xw := toDense(d.X)
		if xw.rows() != dx || xw.cols() != m {
			c.fail("whitened X is %d×%d, want %d×%d", xw.rows(), xw.cols(), dx, m)
			return
		}
		// XXᵀ/m = I by explicit sums (entries of X are O(√m)).
		lxx := mul(xw, tr(xw))
		for i := range lxx {
			for k := range lxx[i] {
				want := 0.0
				if i == k {
					want = 1
				}
				if !c.near(fmt.Sprintf("(XXᵀ/m)[%d][%d]", i, k), lxx[i][k]/float64(m), want, 2*rho) {
					return
				}
			}
		}
		c.nearMat("XᵀX (rotation-invariant Gram)", mul(tr(xw), xw).mat(), gram, 2*rho*float64(dx))
		c.nearMat("centred Y", d.Y, yc, 2*gamma(m+1)*ymax)
		ycF := frob(yc)
		tolPhi := 2*rho*ycF*math.Sqrt(float64(dx)/float64(m)) + tierSV(dy, dx, ycF)
		phi := mul(toDense(d.Y), tr(xw))
		for i := range phi {
			for k := range phi[i] {
				phi[i][k] /= float64(m)
			}
		}
		sv := refSingularValues(phi)
		c.nearVec("σ(Φ = YXᵀ/m)", sv, phiSV, func(i int) float64 { return tolPhi + tierGramSV(dy, dx, frob(phi), sv[i]) })
		pf := frob(phi)
		c.near("κ", 0.5*frob(toDense(d.Y))*frob(toDense(d.Y))/float64(m)-0.5*pf*pf, kappa, 2*pf*tolPhi+4*gamma(m*dy+2)*ycF*ycF/float64(m))
	})
}

// checkRandom runs the reference routes on fixed random inputs drawn from
// rng: networks of mixed shapes (wide, tall, d_0 = 1, d_N = 1, N = 1..4),
// well-conditioned matrices, PSD matrices and bound arguments.
func checkRandom(c *checker, im Impl, rng *rand.Rand) {
	shapes := [][]int{{3, 5, 4, 2}, {2, 4, 4, 3}, {1, 3, 2, 1}, {4, 3}, {2, 2, 2, 2, 2}, {1, 4, 3}, {3, 4, 1}}
	wellCond := func(r, c int) dense {
		// U diag(σ) Vᵀ is not needed: a Gaussian matrix plus a multiple of a
		// padded identity has σ_min bounded away from 0.
		a := newDense(r, c)
		for i := range a {
			for k := range a[i] {
				a[i][k] = rng.NormFloat64() * 0.3
			}
		}
		for i := 0; i < min(r, c); i++ {
			a[i][i] += 1.5
		}
		return a
	}
	for k, dims := range shapes {
		layers := make([]dense, len(dims)-1)
		for j := range layers {
			layers[j] = wellCond(dims[j+1], dims[j])
		}
		phi := wellCond(dims[len(dims)-1], dims[0])
		checkNet(c, im, fmt.Sprintf("random net %d %v", k, dims), layers, phi, nil)
		checkSV(c, im, fmt.Sprintf("random layer %d %d×%d", k, dims[1], dims[0]), layers[0], nil)
	}
	for k, n := range []int{1, 2, 3, 4} {
		b := wellCond(n, n)
		s := mul(tr(b), b)
		for _, p := range []float64{0.25, 0.5, 1.0 / 3, 2.0 / 3, 1, 1.5, 2} {
			checkSymPow(c, im, fmt.Sprintf("random PSD %d (n=%d) ^%.4f", k, n, p), s, p, nil)
		}
	}
	for k, sh := range [][3]int{{2, 3, 3}, {3, 2, 2}, {1, 4, 5}, {4, 1, 3}, {2, 2, 4}, {3, 3, 1}} {
		w := wellCond(sh[0], sh[1])
		e := wellCond(sh[0], sh[1])
		checkPW(c, im, fmt.Sprintf("random P_W %d %d×%d N=%d", k, sh[0], sh[1], sh[2]), w, e, sh[2], nil, nil, nil)
	}
	for k := 0; k < 12; k++ {
		N := 1 + rng.IntN(6)
		cm := 0.05 + 2*rng.Float64()
		phiF := 0.2 + 4*rng.Float64()
		cs := fmt.Sprintf("random bound args %d (N=%d c=%.4g φ=%.4g)", k, N, cm, phiF)
		d, dm := refDeltaBoundMag(cm, N, phiF)
		e, em := refEtaBoundMag(cm, N, phiF)
		c.at(MDelta, cs, routeRef).safe(func() { c.near("DeltaBound", im.DeltaBound(cm, N, phiF), d, (tierRel(6)+tierLog(dm))*d) })
		c.at(MEta, cs, routeRef).safe(func() { c.near("EtaBound", im.EtaBound(cm, N, phiF), e, (tierRel(8)+tierLog(em))*e) })
		loss0, eps, eta := 0.1+3*rng.Float64(), math.Exp(-12*rng.Float64()), 1e-5+1e-3*rng.Float64()
		h := refHorizon(loss0, eps, eta, cm, N)
		hm := math.Abs(math.Log(eta)) + 2*math.Abs(math.Log(cm)) + 2
		c.at(MHorizon, cs, routeRef).safe(func() {
			// The reference forms ln ℓ(0) − ln ε: each log is within an ulp of
			// its own magnitude, so near ℓ(0) ≈ ε the difference carries an
			// absolute error up to 2u(|ln ℓ(0)| + |ln ε|) (both logs, not one).
			c.near("Horizon", im.Horizon(loss0, eps, eta, cm, N), h, (tierRel(8)+tierLog(hm))*h+4*u*(math.Abs(math.Log(loss0))+math.Abs(math.Log(eps)))/(eta*math.Pow(cm, 2*float64(N-1)/float64(N))))
		})
		s := refSpectralBound(N, phiF)
		c.at(ML2, cs, routeRef).safe(func() {
			c.near("SpectralBound", im.SpectralBound(N, phiF), s, (tierRel(3)+tierLog(2+math.Abs(math.Log(phiF))))*s)
		})
		l6 := refL6Bound(phiF, N)
		c.at(ML6, cs, routeRef).safe(func() {
			c.near("L6Bound", im.L6Bound(phiF, N), l6, (tierRel(5)+tierLog(1+2*math.Abs(math.Log(phiF))))*l6)
		})
		nu := refL6Nu(phiF, N)
		c.at(ML6Nu, cs, routeRef).safe(func() {
			c.near("L6Nu", im.L6Nu(phiF, N), nu, (tierRel(6)+tierLog(2*math.Abs(math.Log(phiF))+4+2*math.Log(float64(N))))*nu)
		})
	}
	_ = mat.NewDense
}

// refDeltaBoundMag and refEtaBoundMag return the log-domain reference and
// Σ|log terms| (for tierLog).
func refDeltaBoundMag(c float64, N int, phiF float64) (float64, float64) {
	n := float64(N)
	return refDeltaBound(c, N, phiF), 2*math.Abs(math.Log(c)) + math.Log(256) + 3*math.Log(n) + 2*(n-1)/n*math.Abs(math.Log(phiF))
}

func refEtaBoundMag(c float64, N int, phiF float64) (float64, float64) {
	n := float64(N)
	return refEtaBound(c, N, phiF), (4*n-2)/n*math.Abs(math.Log(c)) + math.Log(6144) + 3*math.Log(n) + (6*n-4)/n*math.Abs(math.Log(phiF))
}
