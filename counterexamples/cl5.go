package counterexamples

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// CL5 is Claim 5's construction (the margin is necessary): even depth N,
// all widths d, a symmetric target Φ = Q diag(μ) Qᵀ with an eigenvalue
// −λ < 0, and the residual start W_j(0) = I_d. The start is 0-balanced and
// not stationary, yet for every η > 0 the layers stay equal to
// Q D̃(t) Qᵀ (Lemma 18), so W_{1:N}(t) = Q D̃(t)^N Qᵀ ⪰ 0 and
// ℓ(t) ≥ λ²/2 at every step.
type CL5 struct {
	N, D int
	// Eigenvalues μ_1..μ_d of Φ, in the order of Basis's columns.
	Eigenvalues []float64
	// Lambda is λ > 0, where −λ is the most negative eigenvalue.
	Lambda float64
	// Basis is the orthogonal Q (identity for seed 0).
	Basis *mat.Dense
	// Phi is Q diag(μ) Qᵀ.
	Phi *mat.Dense
}

// NewCL5 draws Claim 5's target for depth N (even, ≥ 2) and width d ≥ 1
// from seed: λ uniform in [¼, 2], the other d − 1 eigenvalues uniform in
// [−2, 2], and a Haar-random orthogonal basis (the identity for seed 0).
func NewCL5(N, d int, seed uint64) (*CL5, error) {
	if d < 1 {
		return nil, fmt.Errorf("counterexamples: CL5 needs width d ≥ 1 (got %d)", d)
	}
	rng := model.NewRand(seed)
	eigs := make([]float64, d)
	eigs[0] = -(0.25 + 1.75*rng.Float64())
	for i := 1; i < d; i++ {
		eigs[i] = -2 + 4*rng.Float64()
	}
	return NewCL5FromEigenvalues(N, eigs, seed)
}

// NewCL5FromEigenvalues builds Claim 5's target from explicit eigenvalues
// (at least one negative) and a seeded orthogonal basis (identity for
// seed 0). N must be even and ≥ 2: for odd N, W^N can turn negative and the
// claim does not apply.
func NewCL5FromEigenvalues(N int, eigs []float64, seed uint64) (*CL5, error) {
	if N < 2 || N%2 != 0 {
		return nil, fmt.Errorf("counterexamples: CL5 needs an even depth N ≥ 2 (got %d)", N)
	}
	d := len(eigs)
	if d < 1 {
		return nil, fmt.Errorf("counterexamples: CL5 needs at least one eigenvalue")
	}
	lambda := 0.0
	for _, m := range eigs {
		if math.IsNaN(m) || math.IsInf(m, 0) {
			return nil, fmt.Errorf("counterexamples: CL5 eigenvalue %v is not finite", m)
		}
		lambda = math.Max(lambda, -m)
	}
	if !(lambda > 0) {
		return nil, fmt.Errorf("counterexamples: CL5 needs an eigenvalue −λ < 0 (got %v)", eigs)
	}
	q := linalg.Identity(d)
	if seed != 0 {
		q = linalg.RandomOrthogonal(d, model.NewRand(seed^0x5c15))
	}
	qd := mat.DenseCopyOf(q)
	for k, m := range eigs {
		for i := 0; i < d; i++ {
			qd.Set(i, k, qd.At(i, k)*m)
		}
	}
	phi := mat.NewDense(d, d, nil)
	phi.Mul(qd, q.T())
	// Symmetrise exactly so that Φ is symmetric to the last bit.
	for i := 0; i < d; i++ {
		for j := i + 1; j < d; j++ {
			v := 0.5 * (phi.At(i, j) + phi.At(j, i))
			phi.Set(i, j, v)
			phi.Set(j, i, v)
		}
	}
	return &CL5{N: N, D: d, Eigenvalues: slices.Clone(eigs), Lambda: lambda, Basis: q, Phi: phi}, nil
}

// validate checks the fields a caller may have set by hand.
func (c *CL5) validate() error {
	if c == nil || c.Phi == nil || c.Basis == nil {
		return fmt.Errorf("counterexamples: CheckCL5 needs a CL5 construction (use NewCL5)")
	}
	if c.N < 2 || c.N%2 != 0 || c.D < 1 || len(c.Eigenvalues) != c.D {
		return fmt.Errorf("counterexamples: CL5 needs an even N ≥ 2 and d = len(Eigenvalues) ≥ 1 (got N = %d, d = %d, %d eigenvalues)", c.N, c.D, len(c.Eigenvalues))
	}
	for _, m := range [2]*mat.Dense{c.Phi, c.Basis} {
		if r, k := m.Dims(); r != c.D || k != c.D || !linalg.AllFinite(m) {
			return fmt.Errorf("counterexamples: CL5's Φ and basis must be finite %d×%d matrices", c.D, c.D)
		}
	}
	if !(c.Lambda > 0) || math.IsInf(c.Lambda, 0) {
		return fmt.Errorf("counterexamples: CL5 needs λ > 0 finite (got %v)", c.Lambda)
	}
	return nil
}

// Floor is Claim 5's bound λ²/2.
func (c *CL5) Floor() float64 { return 0.5 * c.Lambda * c.Lambda }

// Start is the residual start W_j(0) = I_d, j = 1..N.
func (c *CL5) Start() (*model.Net, error) { return model.Identity(c.D, c.N) }

// Case is the construction as a catalog Case with step η and budget K.
func (c *CL5) Case(eta float64, steps int) (Case, error) {
	n, err := c.Start()
	if err != nil {
		return Case{}, err
	}
	cs := newCase("CL5/negative-eigenvalue", Margin, "CL5", n, c.Phi, eta, steps, 0.5*c.Floor())
	cs.Mode, cs.Floor = Floor, c.Floor()
	return cs, nil
}

// CL5Report is what CheckCL5 measured.
type CL5Report struct {
	N, D  int
	Eta   float64
	Steps int // K: the budget asked for
	// Checked is the last step t at which both statements were checked:
	// K, or less when the run overflowed or reached the rounding horizon.
	Checked int
	// Horizon is true when the check stopped because the derived rounding
	// tolerance for Lemma 18 exceeded Lemma18Horizon (see CheckCL5).
	Horizon bool
	// Overflow is true when the loss or the weights became non-finite
	// within K steps (large η): divergence. Every finite ℓ(t) before it was
	// checked (unless the horizon came first).
	Overflow bool
	Floor    float64 // λ²/2
	MinLoss  float64 // min over checked ℓ(t)
	MinStep  int
	// Lemma 18: the relative departure of the layers from "all equal and
	// diagonal in Φ's eigenbasis" at the step where it came closest to its
	// tolerance, that tolerance, and the step.
	Lemma18Dev float64
	Lemma18Tol float64
	Lemma18At  int
	// Violation is empty when CL5 held at every checked step, else the
	// first violated statement.
	Violation string
}

// Holds reports whether CL5 held on every checked step.
func (r CL5Report) Holds() bool { return r.Violation == "" }

func (r CL5Report) String() string {
	s := fmt.Sprintf("CL5 N=%d d=%d η=%.3g: checked %d of %d steps (horizon %v, overflow %v); min ℓ = %.6g at t=%d vs λ²/2 = %.6g; Lemma 18 dev %.3g ≤ tol %.3g at t=%d",
		r.N, r.D, r.Eta, r.Checked, r.Steps, r.Horizon, r.Overflow, r.MinLoss, r.MinStep, r.Floor, r.Lemma18Dev, r.Lemma18Tol, r.Lemma18At)
	if r.Violation != "" {
		s += "; VIOLATED: " + r.Violation
	}
	return s
}

// Lemma18Horizon is the relative layer departure up to which a
// floating-point run is a faithful proxy of exact GD for Claim 5.
//
// Why a horizon: CL5's trajectory approaches a saddle (for N = 2 the
// direction of −λ is unstable at rate ≈ ηλ per step), so rounding errors of
// size u ≈ 1e-16 are amplified geometrically and floating-point GD does
// eventually leave the Lemma 18 structure and go below λ²/2 (measured:
// N = 2, d = 5, η = 0.1 reaches ℓ ≈ 1e-31 after 1500 steps). That is a
// property of floating point, not a counterexample to the claim, which is
// about exact GD. CheckCL5 therefore propagates a rounding tolerance with
// the measured linear growth of perturbations and checks the claim exactly
// as long as that tolerance is below 1e-6: there the structure is certified
// to 6 digits and the floor check loses at most a 1e-5 fraction of λ².
const Lemma18Horizon = 1e-6

// stepInjection is the rounding added to the layers by one GD step,
// relative to max(1, max_j ‖W_j‖_F): each step forms every gradient from
// about 2N products of d×d matrices, each accurate to d·u in norm
// (‖fl(AB) − AB‖_F ≤ d·u·‖A‖_F‖B‖_F), and the N gradients are formed in
// different orders, so the layers part by O(N·d·u). 64 covers the norm
// constants and the Qᵀ·W·Q change of basis of the measurement.
func stepInjection(N, d int) float64 {
	return 64 * linalg.UnitRoundoff * float64(N) * float64(d)
}

// overflowScale is the layer size above which the products in the Lemma 18
// measurement (and in the next GD step) can overflow float64: √MaxFloat64.
var overflowScale = math.Sqrt(math.MaxFloat64)

// measureRounding is the rounding of the measurement itself, relative to
// the layer scale: Qᵀ·W·Q is two products of d×d matrices (d·u each in
// norm) with a Q that is orthogonal only to a few u; 8·d·u covers it.
func measureRounding(d int) float64 { return 8 * float64(d) * linalg.UnitRoundoff }

// lemma18Dev measures max_j max(‖W_j − W_1‖_F, ‖offdiag(Qᵀ W_j Q)‖_F) and
// returns it with the scale max(1, max_j ‖W_j‖_F), the diagonal of
// Qᵀ W_1 Q, and max_j ‖W_j‖_F.
func lemma18Dev(n *model.Net, q *mat.Dense) (dev, scale float64, diag []float64) {
	scale = 1.0
	for j := 1; j <= n.N(); j++ {
		scale = math.Max(scale, mat.Norm(n.Layer(j), 2))
	}
	w1 := n.Layer(1)
	d, _ := w1.Dims()
	diag = make([]float64, d)
	for j := 1; j <= n.N(); j++ {
		var diff mat.Dense
		diff.Sub(n.Layer(j), w1)
		dev = math.Max(dev, mat.Norm(&diff, 2))
		var t, b mat.Dense
		t.Mul(q.T(), n.Layer(j))
		b.Mul(&t, q)
		off := 0.0
		for r := 0; r < d; r++ {
			for c := 0; c < d; c++ {
				if r != c {
					off += b.At(r, c) * b.At(r, c)
				}
			}
			if j == 1 {
				diag[r] = b.At(r, r)
			}
		}
		dev = math.Max(dev, math.Sqrt(off))
	}
	if math.IsNaN(dev) || math.IsNaN(scale) {
		dev = math.Inf(1)
	}
	return dev, scale, diag
}

// perturbationGrowth is the factor by which one GD step can enlarge a small
// perturbation of the layers away from Lemma 18's structure, to first
// order: ‖I − ηH‖₂, where H is the Hessian of L^N at the structured point
// W_j = Q diag(δ) Qᵀ (all j). In Φ's eigenbasis H splits into blocks, one
// per pair of eigen-directions {i, k}: for i ≠ k the 2N entries
// x_j = P_j[i,k], y_j = P_j[k,i] of the perturbations P_j, with
//
//	H[x_j,x_m] = a_j a_m, a_j = δ_i^{N−j} δ_k^{j−1};  H[y_j,y_m] = b_j b_m, b_j = δ_k^{N−j} δ_i^{j−1};
//	H[x_m,y_j] = e_i δ_i^{N−m+j−1} δ_k^{m−j−1},  H[y_m,x_j] = e_k δ_k^{N−m+j−1} δ_i^{m−j−1}  (m > j),
//
// and for i = k the N entries z_j = P_j[i,i] with H[z_j,z_m] = δ_i^{2N−2} +
// [j ≠ m] e_i δ_i^{N−2}; e_i = δ_i^N − μ_i is the residual. (Second-order
// expansion of ½‖∏_j(D + P_j) − diag(μ)‖_F².) A negative e_i (the −λ
// direction: e = δ^N + λ > 0 makes the z-block indefinite for N = 2) is the
// saddle's instability.
func perturbationGrowth(N int, eta float64, delta, mu []float64) float64 {
	d := len(delta)
	pw := func(x float64, k int) float64 { return math.Pow(x, float64(k)) } // 0⁰ = 1
	e := make([]float64, d)
	for i := range e {
		e[i] = pw(delta[i], N) - mu[i]
	}
	worst := 1.0
	spread := func(h *mat.SymDense) {
		var eig mat.EigenSym
		if !eig.Factorize(h, false) {
			worst = math.Inf(1)
			return
		}
		for _, v := range eig.Values(nil) {
			worst = math.Max(worst, math.Abs(1-eta*v))
		}
	}
	for i := 0; i < d; i++ {
		h := mat.NewSymDense(N, nil)
		for j := 0; j < N; j++ {
			for m := j; m < N; m++ {
				v := pw(delta[i], 2*N-2)
				if m != j {
					v += e[i] * pw(delta[i], N-2)
				}
				h.SetSym(j, m, v)
			}
		}
		spread(h)
		for k := i + 1; k < d; k++ {
			h := mat.NewSymDense(2*N, nil)
			a := make([]float64, N)
			b := make([]float64, N)
			for j := 1; j <= N; j++ {
				a[j-1] = pw(delta[i], N-j) * pw(delta[k], j-1)
				b[j-1] = pw(delta[k], N-j) * pw(delta[i], j-1)
			}
			for j := 0; j < N; j++ {
				for m := j; m < N; m++ {
					h.SetSym(j, m, a[j]*a[m])
					h.SetSym(N+j, N+m, b[j]*b[m])
				}
			}
			for j := 1; j <= N; j++ {
				for m := j + 1; m <= N; m++ {
					h.SetSym(m-1, N+j-1, e[i]*pw(delta[i], N-m+j-1)*pw(delta[k], m-j-1))
					h.SetSym(N+m-1, j-1, e[k]*pw(delta[k], N-m+j-1)*pw(delta[i], m-j-1))
				}
			}
			spread(h)
		}
	}
	return worst
}

// CheckCL5 runs GD with impl (nil: model.Reference) from the residual start
// for at most K steps at step η and checks Claim 5 at every step t:
//
//   - Lemma 18: the layers are equal and diagonal in Φ's eigenbasis, to a
//     tolerance tol(t) propagated as tol(t+1) = g_t·tol(t) + inj_t, with
//     inj_t the rounding of one step (stepInjection) and g_t the measured
//     first-order growth of perturbations (perturbationGrowth);
//   - ℓ(t) ≥ ½(λ − Δ_t)² − r_t, where Δ_t = 2N·M^{N−1}·tol(t) bounds
//     ‖W_{1:N} − W̃_{1:N}‖_F for a structured (PSD-product) W̃ within tol(t)
//     of the layers (M = max_j ‖W_j‖_F), and r_t = 8N·d·u·(ℓ(t) + ‖Φ‖_F² +
//     M^{2N}) is the rounding of the loss evaluation. (ℓ ≥ ½(λ−Δ)² because
//     ‖W̃_{1:N} − Φ‖_F ≥ λ for PSD W̃_{1:N}.) With Δ = r = 0 this is λ²/2.
//
// The check ends at K, at the first non-finite loss or weight (Overflow:
// divergence, the failure mode at large η; every finite ℓ(t) before it was
// checked), or when tol(t) exceeds Lemma18Horizon times the layer scale
// (Horizon; see Lemma18Horizon for why floating point cannot be followed
// further).
func CheckCL5(impl model.Stepper, c *CL5, eta float64, steps int) (CL5Report, error) {
	r := CL5Report{Eta: eta, Steps: steps, MinLoss: math.Inf(1)}
	if err := c.validate(); err != nil {
		return r, err
	}
	if !(eta > 0) || math.IsInf(eta, 0) || steps < 0 {
		return r, fmt.Errorf("counterexamples: CheckCL5 needs η > 0 finite and K ≥ 0 (got %v, %d)", eta, steps)
	}
	if impl == nil {
		impl = model.Reference{}
	}
	r.N, r.D, r.Floor = c.N, c.D, c.Floor()
	n, err := c.Start()
	if err != nil {
		return r, err
	}
	phiF := mat.Norm(c.Phi, 2)
	tol := 0.0 // absolute tolerance on the departure; W(0) = I is exact
	worstRatio := -1.0
	for t := 0; ; t++ {
		// n holds W(t).
		dev, scale, diag := lemma18Dev(n, c.Basis)
		if math.IsInf(scale, 0) || math.IsNaN(scale) || (math.IsInf(dev, 1) && scale > overflowScale) {
			// The weights, or the measurement of weights this large,
			// overflowed: the run diverged.
			r.Overflow = true
			return r, nil
		}
		if tol > Lemma18Horizon*scale {
			r.Horizon = true
			return r, nil
		}
		allowed := tol + measureRounding(c.D)*scale
		if ratio := dev / allowed; ratio > worstRatio || math.IsNaN(ratio) {
			worstRatio = ratio
			r.Lemma18Dev, r.Lemma18Tol, r.Lemma18At = dev/scale, allowed/scale, t
		}
		if !(dev <= allowed) {
			r.Violation = fmt.Sprintf("Lemma 18 structure lost at t = %d: departure %.3g > tolerance %.3g (relative to scale %.3g)", t, dev/scale, allowed/scale, scale)
			return r, nil
		}
		var loss float64
		if t < steps {
			loss, err = impl.Step(n, c.Phi, eta) // ℓ(t); n moves to W(t+1)
			if err != nil {
				return r, err
			}
		} else {
			loss, _ = model.Loss(n, c.Phi)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) {
			r.Overflow = true
			return r, nil
		}
		r.Checked = t
		if loss < r.MinLoss {
			r.MinLoss, r.MinStep = loss, t
		}
		m := scale // ≥ max_j ‖W_j(t)‖_F ≥ ‖W_j(t)‖_σ
		delta := 2 * float64(c.N) * math.Pow(m, float64(c.N-1)) * tol
		round := 8 * float64(c.N*c.D) * linalg.UnitRoundoff * (loss + phiF*phiF + math.Pow(m, float64(2*c.N)))
		bound := 0.0
		if delta < c.Lambda {
			bound = 0.5*(c.Lambda-delta)*(c.Lambda-delta) - round
		}
		if loss < bound {
			r.Violation = fmt.Sprintf("ℓ(%d) = %.9g < λ²/2 = %.9g (allowance for rounding: bound %.9g)", t, loss, r.Floor, bound)
			return r, nil
		}
		if t == steps {
			return r, nil
		}
		tol = perturbationGrowth(c.N, eta, diag, c.Eigenvalues)*tol + stepInjection(c.N, c.D)*scale
	}
}

// EtaGrid returns k log-spaced step sizes from lo to hi inclusive (k ≥ 2).
func EtaGrid(lo, hi float64, k int) ([]float64, error) {
	if !(lo > 0) || !(hi >= lo) || math.IsInf(hi, 0) || k < 2 {
		return nil, fmt.Errorf("counterexamples: EtaGrid needs 0 < lo ≤ hi finite and k ≥ 2")
	}
	out := make([]float64, k)
	a, b := math.Log10(lo), math.Log10(hi)
	for i := range out {
		out[i] = math.Pow(10, a+(b-a)*float64(i)/float64(k-1))
	}
	out[0], out[k-1] = lo, hi
	return out, nil
}

// DefaultEtaGrid is the log grid over [1e-6, 1] used by the CL4 and CL5
// tests: one point per half decade (13 points).
func DefaultEtaGrid() []float64 {
	g, _ := EtaGrid(1e-6, 1, 13)
	return g
}
