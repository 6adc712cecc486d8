package selfcheck

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// HessianBound bounds the Hessian norm of L^N on the set where every
// ‖W_j‖_F ≤ M and ‖W_{1:N} − Φ‖_F ≤ E: the Gauss–Newton part is at most
// ‖J‖² ≤ Σ_j Π_{i≠j} ‖W_i‖² ≤ N M^{2(N−1)}, the second-order part at most
// E · N(N−1) M^{N−2} (one term per ordered pair of layers). GD is then
// Lipschitz with constant ≤ 1 + ηH per step.
func HessianBound(N int, M, E float64) float64 {
	n := float64(N)
	return n*math.Pow(M, 2*(n-1)) + E*n*(n-1)*math.Pow(M, n-2)
}

// DiffTolerance is the tier for the distance between two GD trajectories
// from the same start after t steps, each computed with its own rounding.
// Per step each implementation commits an error ρ ≤ u(P + η γ G) (P the
// parameter norm: one rounding of the update W − ηG per entry; γ·u the
// relative error γ_{N·d_max} of the gradient's product chains,
// |fl(AB) − AB| ≤ γ_k |A||B| summed over a chain, in Frobenius norms; G a
// bound on the gradient norm); the difference then obeys
// e_{t+1} ≤ (1 + ηH) e_t + 2ρ, so e_t ≤ 2ρ t e^{ηHt}. Frobenius norms
// over-estimate every spectral quantity used, so this is an upper bound up
// to O(u²) terms; no fudge factor is applied. gamma is γ_{N·d_max}/u.
func DiffTolerance(t int, eta, H, P, G, gamma float64) float64 {
	rho := u * (P + eta*gamma*G)
	return 2 * rho * float64(t) * math.Exp(eta*H*float64(t))
}

// ChainGamma is γ_{N·d_max+2}/u for a network of dims d_0..d_N, the gamma
// argument of DiffTolerance.
func ChainGamma(dims []int) float64 {
	dmax := 0
	for _, d := range dims {
		dmax = max(dmax, d)
	}
	k := len(dims) - 1
	return gamma(k*dmax+2) / u
}

// ParamNorms is (Σ_j ‖W_j‖_F²)^{1/2} and maxLayer is max_j ‖W_j‖_F: the
// norms the differential tiers scale with (the tests call it too).
func ParamNorms(n *model.Net) (all, maxLayer float64) {
	for j := 1; j <= n.N(); j++ {
		f := mat.Norm(n.Layer(j), 2)
		all += f * f
		maxLayer = math.Max(maxLayer, f)
	}
	return math.Sqrt(all), maxLayer
}

func dist(a, b *model.Net) float64 {
	var s float64
	for j := 1; j <= a.N(); j++ {
		var d mat.Dense
		d.Sub(a.Layer(j), b.Layer(j))
		f := mat.Norm(&d, 2)
		s += f * f
	}
	return math.Sqrt(s)
}

// Tiers are the one-step tiers at a state n with target Φ: Eta = 0.1/H
// (a step that moves the layers far beyond the tiers), W the tier for the
// layers after one step from the same state (DiffTolerance at t = 1), and
// Loss(ℓ) the tier for two evaluations of the pre-step loss ℓ (twice the
// evaluation error: E = fl(W_{1:N}) − Φ is off by ≤ γ M^N, the sum of
// squares by γ_{d_0 d_N}·ℓ).
type Tiers struct {
	Eta, W float64
	e, g   float64
	M      float64
	N, dd  int
}

// Loss is the pre-step loss tier at loss value l.
func (t Tiers) Loss(l float64) float64 {
	return 2 * (t.e*t.g*u*math.Pow(t.M, float64(t.N)) + float64(t.dd+1)*u*l)
}

// OneStepTiers returns the tiers at (n, Φ); an error when ℓ cannot be
// evaluated.
func OneStepTiers(n *model.Net, phi mat.Matrix) (Tiers, error) {
	dims := n.Dims()
	N := len(dims) - 1
	g := ChainGamma(dims)
	P, M := ParamNorms(n)
	l0, err := model.Loss(n, phi)
	if err != nil {
		return Tiers{}, err
	}
	E := math.Sqrt(2 * l0)
	H := HessianBound(N, M, E)
	eta := 0.1 / H
	G := math.Sqrt(float64(N)) * math.Pow(M, float64(N-1)) * E
	return Tiers{Eta: eta, W: DiffTolerance(1, eta, H, P, G, g), e: E, g: g, M: M, N: N, dd: dims[0] * dims[N]}, nil
}

// Dist is (Σ_j ‖A_j − B_j‖_F²)^{1/2} for two networks of one shape.
func Dist(a, b *model.Net) float64 { return dist(a, b) }

// CompareStep takes one GD step from n with model.Reference and with cand
// (on copies; n is not changed) at OneStepTiers' η and compares the
// pre-step losses and the layers after the step with its tiers. It returns
// Reference's next state and "" or the disagreement.
func CompareStep(cand model.Stepper, n *model.Net, phi mat.Matrix) (*model.Net, string) {
	x, y := n.Clone(), n.Clone()
	dims := x.Dims()
	tt, err := OneStepTiers(x, phi)
	if err != nil {
		return x, fmt.Sprintf("Loss: %v", err)
	}
	lx, errX := model.Reference{}.Step(x, phi, tt.Eta)
	ly, errY := cand.Step(y, phi, tt.Eta)
	r, c := phi.Dims()
	what := fmt.Sprintf("dims %v, Φ a %d×%d %T", dims, r, c, phi)
	if (errX == nil) != (errY == nil) {
		return x, fmt.Sprintf("%s: Reference error %v, %s error %v", what, errX, cand.Name(), errY)
	}
	if d := math.Abs(lx - ly); !(d <= tt.Loss(lx)) {
		return x, fmt.Sprintf("%s: pre-step loss %.17g (Reference) vs %.17g (%s), |Δ| %.3g > tier %.3g", what, lx, ly, cand.Name(), d, tt.Loss(lx))
	}
	if d := dist(x, y); !(d <= tt.W) {
		return x, fmt.Sprintf("%s: layers after the step differ by %.3g > tier %.3g (the step moved them by %.3g)", what, d, tt.W, dist(x, n))
	}
	return x, ""
}
