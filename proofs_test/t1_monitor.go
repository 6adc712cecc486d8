package proofs

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// t1Monitor checks, after every GD step of a Theorem 1 run, both
// inequalities of Lemma 1 (L1) and the five invariants of Lemma 2 (L2),
// plus finiteness, and Theorem 1's conclusion (T1) at the end of the
// horizon. Every quantity is measured from the weights, independently of
// the stepper under test (its returned loss is not used), with plain
// allocation-free loops in the hot path (the simple reference kept apart
// from model.Fast's kernels).
//
// Exact every step: W_{1:N} (formed here), ℓ = ½‖W − Φ‖_F², the margin
// σ_min(Φ) − ‖W − Φ‖_F, the imbalance max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F,
// ‖W_j‖_F and finiteness.
//
// Bounded between exact evaluations (never skipped): σ_min(W(t)) and
// ‖W_j(t)‖_σ. Weyl's inequality for singular values,
// |σ_i(A + E) − σ_i(A)| ≤ ‖E‖_σ ≤ ‖E‖_F, gives from the last exact value
// at step s
//
//	|σ_min(W(t)) − σ_min(W(s))| ≤ Σ_{k=s}^{t−1} ‖W(k+1) − W(k)‖_F =: drift,
//	‖W_j(t)‖_σ ≤ ‖W_j(s)‖_σ + Σ_k ‖W_j(k+1) − W_j(k)‖_F,  and ‖W_j‖_σ ≤ ‖W_j‖_F.
//
// A clause is passed on a bound only when the bound proves it: σ_min(W) ≥ c
// when σ_min(W(s)) − drift ≥ c; L1's first inequality when it holds with
// the upper bound σ_min(W(s)) + drift in place of σ_min(W(t)) (a larger
// σ_min claims a larger decrease); ‖W_j‖_σ ≤ R when min(‖W_j‖_F, anchor +
// drift) ≤ R. When a bound is inconclusive the exact value is computed (an
// SVD), the clause is decided on it, and the anchor moves there. The counts
// of exact evaluations are reported (svds).
//
// Tolerances (tiers of tolerance.go, with the norms bounded by L2's C(t),
// asserted at the same step): with B_j = √rank_j·R ≥ ‖W_j‖_F and
// M = Π_j B_j ≥ Π_j ‖W_j‖_F, a loss is evaluated to within
// evalErr(ℓ) = Safety·u·[((N−1)d + 2)(M + ‖Φ‖_F)√(2ℓ) + d_0 d_N ℓ] (LossTol's
// per-loss share) and the update's own rounding (≤ u‖W_j‖ per layer) moves
// ℓ by at most stepErr(ℓ) = Safety·u·N·M·√(2ℓ); an inequality between ℓ(t)
// and ℓ(t+1) allows evalErr(ℓ(t)) + evalErr(ℓ(t+1)) + stepErr(ℓ(t)). The
// imbalance allows ImbalanceTol's Safety·2·d·u·max_j B_j²; σ_min, the
// margin and spectral norms MeasureTol(scale, d, N).
type t1Monitor struct {
	N    int
	dims []int
	phi  []float64 // Φ, d_N×d_0 row-major

	// The theorem's constants at the measured margin c of W(0).
	c, deltaStar, eta, rate, p, specBound, sigmaPhi, phiF float64

	// Planted-bug knobs (1, or c, in every real run): the companions break
	// one clause's constant to see that clause fail with its own message.
	l1aFactor, l1bFactor, cMargin, cSigma float64

	// Tiers (see the type comment).
	evalA, evalB, stepA float64
	imbTol, sigTol      float64
	specTol             float64

	// State: products W(t) (prev) and W(t+1) (cur), layers of W(t).
	prev, cur, bufA, bufB []float64
	old                   [][]float64
	loss                  float64

	sigAnchor, sigDrift   float64
	specAnchor, specDrift []float64

	// Report.
	Steps                 int
	SVDs                  int
	WorstL1a, WorstL1b    float64 // smallest (room / claimed) seen; ≥ 0 held
	WorstImb, WorstMargin float64 // largest imbalance/(2δ*), smallest (margin − c)/c
	WorstSpec             float64 // largest ‖W_j‖_σ / R proved (bound or exact)
}

// The clauses t1Monitor asserts, by the name a failure reports. Every one
// has a planted-bug companion that fails with it (t1ClauseBugs;
// TestMeta_EveryT1ClauseHasACompanion enforces it).
const (
	clauseL1First    = "L1 (first inequality)"
	clauseL1Second   = "L1 (second inequality)"
	clauseL2A        = "L2 A(t)"
	clauseL2C        = "L2 C(t)"
	clauseL2Loss     = "L2 loss non-increasing"
	clauseL2Margin   = "L2 margin"
	clauseL2SigmaMin = "L2 σ_min"
	clauseFinite     = "finiteness"
	clauseT1         = "T1"
)

// t1Clauses lists them.
var t1Clauses = []string{clauseL1First, clauseL1Second, clauseL2A, clauseL2C, clauseL2Loss, clauseL2Margin, clauseL2SigmaMin, clauseFinite, clauseT1}

// t1Fault is a failed clause: Clause names it ("L1 (first inequality)",
// "L2 A(t)", …), Msg says what was measured.
type t1Fault struct {
	Step   int
	Clause string
	Msg    string
}

func (f *t1Fault) Error() string {
	return fmt.Sprintf("%s violated at step %d: %s", f.Clause, f.Step, f.Msg)
}

// newT1Monitor prepares the checks for a start n (not modified), target Φ
// and the measured hypotheses h (h.C the margin of W(0), η = h.Eta), with
// the tiers tr of the stepper under test (TiersFor).
func newT1Monitor(n *model.Net, phi mat.Matrix, h invariants.Theorem1, tr Tiers) *t1Monitor {
	N := n.N()
	dims := n.Dims()
	m := &t1Monitor{N: N, dims: dims, c: h.C, deltaStar: h.DeltaBound, eta: h.Eta,
		rate: invariants.Rate(h.Eta, h.C, N), p: 2 * float64(N-1) / float64(N),
		specBound: invariants.SpectralBound(N, h.PhiF), sigmaPhi: h.SigmaMinPh, phiF: h.PhiF}
	m.l1aFactor, m.l1bFactor, m.cMargin, m.cSigma = 1, 1, h.C, h.C
	dy, dx := dims[N], dims[0]
	m.phi = make([]float64, dy*dx)
	for i := 0; i < dy; i++ {
		for k := 0; k < dx; k++ {
			m.phi[i*dx+k] = phi.At(i, k)
		}
	}
	d := 0
	for _, v := range dims {
		d = max(d, v)
	}
	M, bmax := 1.0, 0.0
	for j := 1; j <= N; j++ {
		b := math.Sqrt(float64(min(dims[j], dims[j-1]))) * m.specBound
		M *= b
		bmax = math.Max(bmax, b)
	}
	nf := float64(N)
	m.evalA = Safety * tr.U * ((nf-1)*float64(d) + 2) * (M + h.PhiF) * math.Sqrt2
	m.evalB = Safety * tr.U * float64(dx*dy)
	m.stepA = Safety * tr.U * nf * M * math.Sqrt2
	m.imbTol = Safety * 2 * float64(d) * tr.U * bmax * bmax
	m.sigTol = tr.MeasureTol(M+h.PhiF, d, N)
	m.specTol = tr.MeasureTol(m.specBound, d, 0)
	m.prev = make([]float64, dy*dx)
	m.cur = make([]float64, dy*dx)
	m.bufA = make([]float64, d*dx)
	m.bufB = make([]float64, d*dx)
	m.old = make([][]float64, N)
	for j := range m.old {
		m.old[j] = make([]float64, dims[j+1]*dims[j])
	}
	m.specAnchor = make([]float64, N)
	m.specDrift = make([]float64, N)
	m.WorstL1a, m.WorstL1b, m.WorstMargin = math.Inf(1), math.Inf(1), math.Inf(1)
	return m
}

func (m *t1Monitor) evalErr(l float64) float64 { return m.evalA*math.Sqrt(l) + m.evalB*l }
func (m *t1Monitor) stepErr(l float64) float64 { return m.stepA * math.Sqrt(l) }

// layer returns W_j's row-major data (rows d_j, cols d_{j−1}, stride).
func layer(n *model.Net, j int) (data []float64, rows, cols, stride int) {
	raw := n.Layer(j).RawMatrix()
	return raw.Data, raw.Rows, raw.Cols, raw.Stride
}

// product forms W_N⋯W_1 into out (d_N×d_0 row-major) by plain loops.
func (m *t1Monitor) product(n *model.Net, out []float64) {
	d0 := m.dims[0]
	x := m.bufA
	data, r, c, s := layer(n, 1)
	for i := 0; i < r; i++ {
		copy(x[i*d0:i*d0+c], data[i*s:i*s+c])
	}
	rows := r
	for j := 2; j <= m.N; j++ {
		data, r, c, s = layer(n, j)
		y := m.bufB
		for i := 0; i < r; i++ {
			yi := y[i*d0 : i*d0+d0]
			for k := range yi {
				yi[k] = 0
			}
			for l := 0; l < c; l++ {
				a := data[i*s+l]
				xl := x[l*d0 : l*d0+d0]
				for k := range yi {
					yi[k] += a * xl[k]
				}
			}
		}
		m.bufA, m.bufB = m.bufB, m.bufA
		x = m.bufA
		rows = r
	}
	copy(out, x[:rows*d0])
}

// lossOf returns ½‖W − Φ‖_F² for a product in row-major form.
func (m *t1Monitor) lossOf(w []float64) float64 {
	s := 0.0
	for i, v := range w {
		e := v - m.phi[i]
		s += e * e
	}
	return s / 2
}

// imbalance is D1's max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F.
func (m *t1Monitor) imbalance(n *model.Net) float64 {
	worst := 0.0
	for j := 1; j < m.N; j++ {
		a, ar, _, as := layer(n, j)   // W_j: d_j×d_{j−1}
		b, br, _, bs := layer(n, j+1) // W_{j+1}: d_{j+1}×d_j
		ac := m.dims[j-1]
		ss := 0.0
		for x := 0; x < ar; x++ {
			for y := x; y < ar; y++ {
				g := 0.0
				for k := 0; k < br; k++ {
					g += b[k*bs+x] * b[k*bs+y]
				}
				for k := 0; k < ac; k++ {
					g -= a[x*as+k] * a[y*as+k]
				}
				if x == y {
					ss += g * g
				} else {
					ss += 2 * g * g
				}
			}
		}
		worst = math.Max(worst, math.Sqrt(ss))
	}
	return worst
}

func dense(w []float64, r, c int) *mat.Dense { return mat.NewDense(r, c, append([]float64(nil), w...)) }

// start measures W(0): the exact anchors and the invariants at t = 0.
func (m *t1Monitor) start(n *model.Net) *t1Fault {
	m.product(n, m.prev)
	m.loss = m.lossOf(m.prev)
	m.sigAnchor = invariants.SigmaMin(dense(m.prev, m.dims[m.N], m.dims[0]))
	m.SVDs++
	for j := 1; j <= m.N; j++ {
		m.specAnchor[j-1] = invariants.SpectralNorm(n.Layer(j))
		m.SVDs++
	}
	return m.invariants(n, 0)
}

// invariants checks L2 at step t on the current weights (m.prev holds
// W(t), m.loss ℓ(t)).
func (m *t1Monitor) invariants(n *model.Net, t int) *t1Fault {
	if imb := m.imbalance(n); !(imb <= 2*m.deltaStar+m.imbTol) {
		return &t1Fault{t, clauseL2A, fmt.Sprintf("imbalance %.6g > 2δ* = %.6g (tol %.3g)", imb, 2*m.deltaStar, m.imbTol)}
	} else {
		m.WorstImb = math.Max(m.WorstImb, imb/(2*m.deltaStar))
	}
	for j := 1; j <= m.N; j++ {
		data, r, c, s := layer(n, j)
		f := 0.0
		for i := 0; i < r; i++ {
			for _, v := range data[i*s : i*s+c] {
				f += v * v
			}
		}
		ub := math.Min(math.Sqrt(f), m.specAnchor[j-1]+m.specDrift[j-1])
		if !(ub <= m.specBound+m.specTol) {
			m.specAnchor[j-1] = invariants.SpectralNorm(n.Layer(j))
			m.specDrift[j-1] = 0
			m.SVDs++
			ub = m.specAnchor[j-1]
			if !(ub <= m.specBound+m.specTol) {
				return &t1Fault{t, clauseL2C, fmt.Sprintf("‖W_%d‖_σ = %.17g > (4‖Φ‖_F)^{1/N} = %.17g (tol %.3g)", j, ub, m.specBound, m.specTol)}
			}
		}
		m.WorstSpec = math.Max(m.WorstSpec, ub/m.specBound)
	}
	margin := m.sigmaPhi - math.Sqrt(2*m.loss)
	if !(margin >= m.cMargin-m.sigTol) {
		return &t1Fault{t, clauseL2Margin, fmt.Sprintf("margin σ_min(Φ) − ‖W − Φ‖_F = %.17g < c = %.17g (tol %.3g)", margin, m.cMargin, m.sigTol)}
	}
	m.WorstMargin = math.Min(m.WorstMargin, (margin-m.c)/m.c)
	if lb := m.sigAnchor - m.sigDrift; !(lb >= m.cSigma-m.sigTol) {
		m.sigAnchor, m.sigDrift = invariants.SigmaMin(dense(m.prev, m.dims[m.N], m.dims[0])), 0
		m.SVDs++
		if !(m.sigAnchor >= m.cSigma-m.sigTol) {
			return &t1Fault{t, clauseL2SigmaMin, fmt.Sprintf("σ_min(W) = %.17g < c = %.17g (tol %.3g)", m.sigAnchor, m.cSigma, m.sigTol)}
		}
	}
	return nil
}

// step runs one step of impl from W(t) (t = m.Steps) and checks L1 at t
// and L2 at t+1.
func (m *t1Monitor) step(impl model.Stepper, n *model.Net, phi mat.Matrix) *t1Fault {
	t := m.Steps
	for j := 1; j <= m.N; j++ {
		data, r, c, s := layer(n, j)
		for i := 0; i < r; i++ {
			copy(m.old[j-1][i*c:(i+1)*c], data[i*s:i*s+c])
		}
	}
	if _, err := impl.Step(n, phi, m.eta); err != nil {
		return &t1Fault{t, clauseFinite, fmt.Sprintf("%s: step error: %v", impl.Name(), err)}
	}
	m.Steps++
	for j := 1; j <= m.N; j++ {
		data, r, c, s := layer(n, j)
		ss := 0.0
		for i := 0; i < r; i++ {
			for k := 0; k < c; k++ {
				v := data[i*s+k]
				if math.IsNaN(v) || math.IsInf(v, 0) {
					return &t1Fault{t + 1, clauseFinite, fmt.Sprintf("W_%d has a non-finite entry %v", j, v)}
				}
				e := v - m.old[j-1][i*c+k]
				ss += e * e
			}
		}
		m.specDrift[j-1] += math.Sqrt(ss)
	}
	m.product(n, m.cur)
	next := m.lossOf(m.cur)
	if math.IsNaN(next) || math.IsInf(next, 0) {
		return &t1Fault{t + 1, clauseFinite, fmt.Sprintf("loss %v", next)}
	}
	l := m.loss
	tol := m.evalErr(l) + m.evalErr(next) + m.stepErr(l)
	// L2's monotonicity first (an ascent names it), then L1's second
	// inequality (rate at c), then its first (rate at σ_min(W(t)) ≥ c):
	// each is implied by the next, so each can be the first to fail.
	if !(next <= l+tol) {
		return &t1Fault{t + 1, clauseL2Loss, fmt.Sprintf("ℓ rose %.17g → %.17g (tol %.3g)", l, next, tol)}
	}
	if b := (1 - m.rate*m.l1bFactor) * l; !(next <= b+tol) {
		return &t1Fault{t, clauseL1Second, fmt.Sprintf("ℓ(t+1) = %.17g > (1 − ηc^{2(N−1)/N})ℓ(t) = %.17g (tol %.3g)", next, b, tol)}
	} else if m.rate*l > 0 {
		m.WorstL1b = math.Min(m.WorstL1b, (b+tol-next)/(m.rate*l))
	}
	// L1, first inequality, with σ_min(W(t)) ≤ anchor + drift.
	sig := m.sigAnchor + m.sigDrift
	dec := m.l1aFactor * m.eta * math.Pow(sig, m.p) * l // (η/2)σ^{2(N−1)/N}‖E‖², ‖E‖² = 2ℓ
	if !(next <= l-dec+tol) {
		sig = invariants.SigmaMin(dense(m.prev, m.dims[m.N], m.dims[0]))
		m.sigAnchor, m.sigDrift = sig, 0
		m.SVDs++
		// σ's own rounding (≤ sigTol) enters σ^p relatively by ≤ p·sigTol/σ ≤ 2·sigTol/σ.
		dec = m.l1aFactor * m.eta * math.Pow(sig, m.p) * l * (1 - 2*m.sigTol/math.Max(sig, 1e-300))
		if !(next <= l-dec+tol) {
			return &t1Fault{t, clauseL1First, fmt.Sprintf("ℓ(t+1) = %.17g > ℓ(t) − (η/2)σ_min(W(t))^{2(N−1)/N}‖W(t)−Φ‖_F² = %.17g (ℓ(t) = %.17g, σ_min = %.6g, tol %.3g)", next, l-dec, l, sig, tol)}
		}
	}
	if dec > 0 {
		m.WorstL1a = math.Min(m.WorstL1a, (l-next+tol)/dec-1)
	}
	dw := 0.0
	for i, v := range m.cur {
		e := v - m.prev[i]
		dw += e * e
	}
	m.sigDrift += math.Sqrt(dw)
	m.prev, m.cur = m.cur, m.prev
	m.loss = next
	return m.invariants(n, t+1)
}

// run checks T steps from n (modified in place) and then T1's conclusion
// ℓ(T) ≤ ε (+ evalErr(ε)).
func (m *t1Monitor) run(impl model.Stepper, n *model.Net, phi mat.Matrix, T int, eps float64) *t1Fault {
	if f := m.start(n); f != nil {
		return f
	}
	for m.Steps < T {
		if f := m.step(impl, n, phi); f != nil {
			return f
		}
	}
	if !(m.loss <= eps+m.evalErr(eps)) {
		return &t1Fault{T, clauseT1, fmt.Sprintf("ℓ(T = %d) = %.6g > ε = %.6g (tol %.3g)", T, m.loss, eps, m.evalErr(eps))}
	}
	return nil
}
