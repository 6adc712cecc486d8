package proofs

import (
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// Tolerance tiers. Every comparison of the suite that is not exact in
// floating point uses one of these named allowances; each is a first-order
// rounding bound derived from the norms, dimensions and step counts of the
// case, multiplied by Safety. None is a free knob: a property that needs
// more than its tier has found something.
//
// Notation: u = the unit of the tiers: linalg.MachEps, float64's machine
// epsilon ε_mach = 2⁻⁵² = twice the unit round-off 2⁻⁵³
// (linalg.UnitRoundoff), a safe upper bound of the round-off of every
// gonum/BLAS operation used here; or an external stepper's declared one
// (Tiers); d = the largest width;
// M = Π_j ‖W_j‖_F bounds the entries' magnitudes |W_N|⋯|W_1| of the
// end-to-end product in Frobenius norm.

// Tiers are the tolerance tiers at unit round-off U. Every tier below is a
// first-order bound linear in u, so an implementation computing in a
// coarser precision (an external stepper declaring float32, U = 2⁻²³)
// gets the same derivations with its own u; since U ≥ linalg.MachEps, the tier also
// covers the suite's own float64 measurements. The package-level
// functions are the float64 tiers (Float64).
type Tiers struct{ U float64 }

// Float64 are the tiers at linalg.MachEps.
var Float64 = Tiers{U: linalg.MachEps}

// TiersFor returns the tiers for impl: at the unit round-off it declares
// (an UnitRoundoff() float64 method, as extstep.Peer has) when that is
// coarser than linalg.MachEps, at linalg.MachEps otherwise.
func TiersFor(impl model.Stepper) Tiers {
	if d, ok := impl.(interface{ UnitRoundoff() float64 }); ok {
		if u := d.UnitRoundoff(); u > linalg.MachEps {
			return Tiers{U: u}
		}
	}
	return Float64
}

// Safety multiplies every first-order bound below. The classical bounds
// carry a factor γ_k = ku/(1 − ku) ≈ ku and drop second-order terms;
// 4 absorbs both and the few extra roundings of an implementation that
// orders its sums differently, without hiding any error that grows with the
// quantities the tier is built from.
const Safety = 4

// productScale returns M = Π_j ‖W_j‖_F and the largest width.
func productScale(n *model.Net) (m float64, d int) {
	m = 1
	for j := 1; j <= n.N(); j++ {
		m *= mat.Norm(n.Layer(j), 2)
	}
	for _, v := range n.Dims() {
		d = max(d, v)
	}
	return m, d
}

// LossTol is the allowance for comparing two computed losses of
// neighbouring GD iterates with an exact inequality between them (L1, L2,
// T1, R1). Forming W_{1:N} by N−1 products of inner length ≤ d errs by
// ≤ (N−1)·d·u·M; the GD update's own rounding moves W by ≤ N·u·M; forming
// W − Φ errs by u(M + ‖Φ‖_F); a loss then errs by ‖W − Φ‖_F times those,
// plus the relative d_0·d_N·u of summing squares. Two losses enter each
// comparison, hence the 2:
//
//	LossTol = Safety·u·2·[((N−1)d + N + 1)(M + ‖Φ‖_F)‖W − Φ‖_F + d_0 d_N ℓ].
func LossTol(n *model.Net, phiF, loss float64) float64 { return Float64.LossTol(n, phiF, loss) }

// LossTol is the tier at t.U.
func (t Tiers) LossTol(n *model.Net, phiF, loss float64) float64 {
	m, d := productScale(n)
	N := float64(n.N())
	dims := n.Dims()
	e := math.Sqrt(2 * math.Max(loss, 0))
	return Safety * t.U * 2 * (((N-1)*float64(d)+N+1)*(m+phiF)*e + float64(dims[0]*dims[n.N()])*loss)
}

// MeasureTol is the allowance for a singular value, spectral norm or
// Frobenius norm computed from a matrix of norm scale built by at most k
// products of inner length ≤ d: backward-stable SVD errs by ≤ d·u·scale
// and each product by ≤ d·u·scale, so MeasureTol = Safety·(k+1)·d·u·scale.
func MeasureTol(scale float64, d, k int) float64 { return Float64.MeasureTol(scale, d, k) }

// MeasureTol is the tier at t.U.
func (t Tiers) MeasureTol(scale float64, d, k int) float64 {
	return Safety * float64(k+1) * float64(d) * t.U * scale
}

// ImbalanceTol is the allowance for a measured imbalance (D1) of n:
// each Gram product W_jW_jᵀ errs entrywise-Frobenius by ≤ d·u·‖W_j‖_F²,
// and two enter each difference: ImbalanceTol = Safety·2·d·u·max_j ‖W_j‖_F².
func ImbalanceTol(n *model.Net) float64 { return Float64.ImbalanceTol(n) }

// ImbalanceTol is the tier at t.U.
func (t Tiers) ImbalanceTol(n *model.Net) float64 {
	_, d := productScale(n)
	w := 0.0
	for j := 1; j <= n.N(); j++ {
		f := mat.Norm(n.Layer(j), 2)
		w = math.Max(w, f*f)
	}
	return Safety * 2 * float64(d) * t.U * w
}

// IdentityTol is the allowance for G1's exact identity after one step from
// `before` to `after`: the two imbalances each err by ImbalanceTol, the
// update W_j − ηG_j rounds each W_j by u‖W_j‖_F and so each Gram product
// by 2u‖W_j‖_F², and the right-hand side η²(G_{j+1}ᵀG_{j+1} − G_jG_jᵀ) by
// 2d·u·η²max‖G_j‖_F²:
//
//	IdentityTol = ImbalanceTol(before) + ImbalanceTol(after)
//	            + Safety·(4u·max‖W_j‖_F² + 2d·u·η²max‖G_j‖_F²).
func IdentityTol(before, after *model.Net, eta, gradF2 float64) float64 {
	return Float64.IdentityTol(before, after, eta, gradF2)
}

// IdentityTol is the tier at t.U.
func (t Tiers) IdentityTol(before, after *model.Net, eta, gradF2 float64) float64 {
	_, d := productScale(before)
	w := 0.0
	for j := 1; j <= before.N(); j++ {
		f := mat.Norm(before.Layer(j), 2)
		w = math.Max(w, f*f)
	}
	return t.ImbalanceTol(before) + t.ImbalanceTol(after) + Safety*(4*t.U*w+2*float64(d)*t.U*eta*eta*gradF2)
}

// RatioBand is the relative band within which G2's and F1's halving ratios
// must sit around their asymptotic values 2^order. The step is chosen so
// that the next-order term is at most RatioStepFactor of the leading one
// (G2: η·N·Λ ≤ RatioStepFactor with Λ the scale of the expansion; F1: the
// RK4 step), which moves a halving ratio by at most about that factor
// times 2^order/2; with rounding kept 10⁶ below the measured remainders, a
// 10 % band covers it with room and still separates order p from p ± 1
// (a factor 2).
const (
	RatioBand       = 0.10
	RatioStepFactor = 1e-2
)

// FiniteDiffTol is the allowance for a central finite difference of the
// loss with step h against an analytic gradient entry: truncation
// h²/6·|ℓ”'| plus rounding u·ℓ/h. Along one coordinate the loss is a
// polynomial of degree 2 in that entry (it enters W_{1:N} linearly), so
// ℓ”' = 0 and only rounding remains, amplified by evaluating ℓ twice:
//
//	FiniteDiffTol = Safety·(2u·(ℓ + LossTol-scale terms)/h),
//
// computed by the caller as Safety·2·LossTol(n)/h, since LossTol already
// bounds the rounding of one loss evaluation.
func FiniteDiffTol(lossTol, h float64) float64 { return Safety * 2 * lossTol / h }

// TrajectoryTol is the allowance between two loss trajectories that agree
// in exact arithmetic but are computed with different rounding (S3's
// rotated problem): each step adds at most LossTol-sized differences, and
// GD under Theorem-1-sized steps is non-expansive in the loss, so after t
// steps the gap is ≤ (t+1)·LossTol(start).
func TrajectoryTol(lossTol float64, t int) float64 { return float64(t+1) * lossTol }

// ImpliedGradTol is the allowance for a gradient entry read off one step,
// (W_j − W_j′)/η: the update rounds W_j′ by u·|W_j′| ≤ u(|W_j| + η|G_j|)
// and the subtraction W_j − W_j′ by as much again, so the quotient errs by
// ≤ 2u(|W_j| + η|G_j|)/η; times Safety.
func ImpliedGradTol(wAbs, gAbs, eta float64) float64 { return Float64.ImpliedGradTol(wAbs, gAbs, eta) }

// ImpliedGradTol is the tier at t.U.
func (t Tiers) ImpliedGradTol(wAbs, gAbs, eta float64) float64 {
	return Safety * 2 * t.U * (wAbs + eta*gAbs) / eta
}

// FracPowTol is the allowance for [S]^p of a symmetric PSD S with largest
// eigenvalue lmax and smallest eigenvalue above round-off lminPos, computed
// by an eigendecomposition of a d×d matrix (invariants.SymPow): each
// eigenvalue errs by ≤ d·u·lmax, which moves λ^p by ≤ p·λ^{p−1}·d·u·lmax,
// relatively ≤ p·d·u·lmax/lminPos; eigenvector errors contribute d·u
// relatively. So FracPowTol = Safety·d·u·(1 + p·lmax/lminPos)·lmax^p.
// Products built from such pieces add their relative tolerances.
func FracPowTol(lmax, lminPos, p float64, d int) float64 {
	return Float64.FracPowTol(lmax, lminPos, p, d)
}

// FracPowTol is the tier at t.U.
func (t Tiers) FracPowTol(lmax, lminPos, p float64, d int) float64 {
	if p == 0 {
		return 0
	}
	if !(lminPos > 0) {
		lminPos = lmax
	}
	return Safety * float64(d) * t.U * (1 + p*lmax/lminPos) * math.Pow(lmax, p)
}

// RootTol is B1 (a)'s allowance for |σ_i(W_j) − σ_i(W)^{1/N}|, with W_j a
// layer of Procedure 1 (spectral norm layerNorm), W = W_{1:N} formed from
// the layers (M = Π_j ‖W_j‖_F), d the largest width. A first-order rounding
// bound, derived like MeasureTol:
//
//   - the layer: Σ^{1/N} from A's SVD and at most two orthogonal insertions
//     (two products), then a backward-stable SVD of W_j: its singular
//     values err by layerErr = MeasureTol(layerNorm, d, 2);
//   - σ_i(W): the N−1 products forming W and the SVD err by
//     wErr = MeasureTol(M, d, N); x ↦ x^{1/N} is concave, so it moves σ_i^{1/N}
//     by at most (1/N)·(σ_i − wErr)^{1/N−1}·wErr (the derivative at the left
//     end of the interval).
//
// RootTol = layerErr + that. sigma < 0 marks a padded zero singular value
// (want 0): layerErr only. When σ_i ≤ 2·wErr (a singular value at rounding
// level; Procedure 1's targets are full rank, so not drawn) the derivative
// bound is void and |a^{1/N} − b^{1/N}| ≤ |a − b|^{1/N} gives wErr^{1/N}.
func RootTol(sigma, layerNorm, M float64, d, N int) float64 {
	layerErr := MeasureTol(layerNorm, d, 2)
	if sigma < 0 {
		return layerErr
	}
	wErr := MeasureTol(M, d, N)
	n := float64(N)
	if sigma <= 2*wErr {
		return layerErr + math.Pow(wErr, 1/n)
	}
	return layerErr + math.Pow(sigma-wErr, 1/n-1)*wErr/n
}

// gramSpectrum returns the largest eigenvalue of WᵀW (= σ_max(W)²) and the
// smallest one above the SymPow round-off floor (σ_min⁺(W)²).
func gramSpectrum(sv []float64, d int) (lmax, lminPos float64) {
	if len(sv) == 0 {
		return 0, 0
	}
	lmax = sv[0] * sv[0]
	floor := Safety * float64(d) * linalg.MachEps * lmax
	lminPos = lmax
	for _, s := range sv {
		if s*s > floor {
			lminPos = math.Min(lminPos, s*s)
		}
	}
	return lmax, lminPos
}
