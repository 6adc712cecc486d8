package counterexamples

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// CL4 is Claim 4's construction (balancedness is necessary): even depth N,
// all widths d, Φ = I_d (σ_min(Φ) = 1), and for a step η > 0 and a margin
// 0 < c < 1 an unbalanced start whose end-to-end matrix has deficiency
// margin exactly c, from which GD's loss and weights grow at least
// exponentially until they overflow.
//
// The start (CLAIMS.md CL4; the paper's exact W_j(0) are not given): in
// entry (1,1), N/2 layers equal a = max(2, 3/√η) and N/2 layers equal
// b = c^{2/N}/a, so that the product is a^{N/2} b^{N/2} = c; every other
// diagonal entry is 1. W_{1:N}(0) = diag(c, 1, …, 1) and
// ‖W_{1:N}(0) − I‖_F = 1 − c = σ_min(I) − c.
type CL4 struct {
	N, D int
	C    float64 // the margin c ∈ (0, 1)
	Eta  float64
	A, B float64 // the (1,1) entries: W_1..W_{N/2} get A, the rest B
	Phi  *mat.Dense
}

// NewCL4 builds Claim 4's construction. N must be even and ≥ 2, d ≥ 1,
// 0 < c < 1 and η > 0 finite.
func NewCL4(N, d int, c, eta float64) (*CL4, error) {
	if N < 2 || N%2 != 0 {
		return nil, fmt.Errorf("counterexamples: CL4 needs an even depth N ≥ 2 (got %d)", N)
	}
	if d < 1 {
		return nil, fmt.Errorf("counterexamples: CL4 needs width d ≥ 1 (got %d)", d)
	}
	if !(c > 0 && c < 1) {
		return nil, fmt.Errorf("counterexamples: CL4 needs a margin 0 < c < σ_min(Φ) = 1 (got %v)", c)
	}
	if !(eta > 0) || math.IsInf(eta, 0) {
		return nil, fmt.Errorf("counterexamples: CL4 needs a finite step η > 0 (got %v)", eta)
	}
	a := math.Max(2, 3/math.Sqrt(eta))
	b := math.Pow(c, 2/float64(N)) / a
	return &CL4{N: N, D: d, C: c, Eta: eta, A: a, B: b, Phi: linalg.Identity(d)}, nil
}

// Start returns the unbalanced start described on CL4.
func (c *CL4) Start() (*model.Net, error) {
	layers := make([]mat.Matrix, c.N)
	for j := range layers {
		w := linalg.Identity(c.D)
		if j < c.N/2 {
			w.Set(0, 0, c.A)
		} else {
			w.Set(0, 0, c.B)
		}
		layers[j] = w
	}
	return model.NewNet(layers)
}

// Case is the construction as a catalog Case with budget K.
func (c *CL4) Case(steps int) (Case, error) {
	n, err := c.Start()
	if err != nil {
		return Case{}, err
	}
	cs := newCase("CL4/unbalanced-start", Balance, "CL4", n, c.Phi, c.Eta, steps, 1e-3*c.C*c.C)
	cs.Mode = Diverges
	return cs, nil
}

// CL4Report is what CheckCL4 measured.
type CL4Report struct {
	N, D      int
	C, Eta    float64
	Margin    float64 // measured D2 margin of the start (should be c)
	Imbalance float64 // measured D1 value of the start
	// RunStatus is model.Run's verdict with its default divergence rule.
	RunStatus model.Status
	RunSteps  int
	// Overflow is the first step t whose loss is non-finite (−1: none
	// within the budget).
	Overflow int
	// PrecisionStep is the first step whose loss exceeded PrecisionLimit
	// (−1: none before overflow); growth is checked up to the step before.
	PrecisionStep int
	// From is t₀, the end of the transient (see MaxTransient); growth is
	// required from there on.
	From int
	// MinLoss is the smallest loss of the faithful part of the run: the
	// positive constant the loss never goes below.
	MinLoss float64
	// MinLossRatio and MinWeightRatio are the smallest factors
	// (ℓ(t)/ℓ(t₀))^{1/(t−t₀)} and (G(t)/G(t₀))^{1/(t−t₀)} seen for t > t₀,
	// G(t) = (∏_j |W_j(t)[1,1]|)^{1/N} (+Inf: overflow or the precision
	// limit came before a rate could be measured).
	MinLossRatio, MinWeightRatio float64
	Violation                    string
}

// Holds reports whether CL4's conclusion held.
func (r CL4Report) Holds() bool { return r.Violation == "" }

func (r CL4Report) String() string {
	s := fmt.Sprintf("CL4 N=%d d=%d c=%.3g η=%.3g: margin %.6g, imbalance %.3g; model.Run %s at step %d; overflow at t=%d (precision limit at t=%d); min ℓ %.4g; growth per step from t₀=%d: loss ×%.3g, weights ×%.3g",
		r.N, r.D, r.C, r.Eta, r.Margin, r.Imbalance, r.RunStatus, r.RunSteps, r.Overflow, r.PrecisionStep, r.MinLoss, r.From, r.MinLossRatio, r.MinWeightRatio)
	if r.Violation != "" {
		s += "; VIOLATED: " + r.Violation
	}
	return s
}

// MaxTransient bounds t₀, the end of the transient: CheckCL4 looks for
// the first t₀ ≤ MaxTransient after which the growth bounds of
// GrowthFactor hold at every later step (CLAIMS.md: the product overflows
// within about 15 steps).
//
// The transient is found, not fixed, because the first steps are not
// monotone (measured): the product sweeps from c to huge values and can
// pass close to Φ on the way (N = 2, c = 0.73, η = 0.178: ℓ(3) = 0.017 <
// ℓ(0) = 0.036; N = 4, c = 0.01, η = 1e-6: ℓ(2) = 0.053 < ℓ(0) = 0.49);
// for N = 2 and small η the large layer stays at a for up to ~8 steps
// while the small one catches up (|b| grows ×8 per step with alternating
// sign), and the step at which they cross can lower the loss once (c =
// 0.01, η = 0.0056: ℓ(3) ≈ 1.2e5, ℓ(4) ≈ 7.2e4, ℓ(5) ≈ 1.7e8). The
// paper's exact start, which might avoid this, is not given (CL4: U).
const MaxTransient = 12

// GrowthFactor is the exponential rate CheckCL4 requires after t₀:
// ℓ(t) ≥ ℓ(t₀)·2^{t−t₀} at every step t > t₀ up to the precision limit
// ("log-loss increases at least linearly"), and for the weights, whose
// typical size is the geometric mean G(t) = (∏_j |W_j(t)[1,1]|)^{1/N},
// G(t) ≥ G(t₀)·2^{(t−t₀)/(2N)}, the rate at which ℓ ≈ ½G^{2N} doubles.
// Individual layers are not required to grow at every step (see
// MaxTransient).
const GrowthFactor = 2

// PrecisionLimit is the loss above which a floating-point GD step no
// longer represents the target: once ‖W_{1:N} − Φ‖_F exceeds ‖Φ‖_F/(16u)
// (u = 2⁻⁵³), the residual W_{1:N} − Φ is computed with an absolute error
// larger than Φ itself, and exact cancellations of the trajectory are lost.
// Measured: N = 2, d = 1, c = ¾, η = 1 keeps one layer at exactly 1 in
// exact arithmetic, but at t = 8 (ℓ(7) ≈ 2e48) float GD computes that
// layer as 1e24 − (1e24 + 1) = 0 and reports ℓ(8) = ½ before overflowing
// at t = 10. Growth is therefore checked while ℓ ≤ PrecisionLimit(Φ) =
// ½(‖Φ‖_F/(16u))² (≈ 1.6e29 for Φ = 1); after that only the overflow
// itself is required.
func PrecisionLimit(phi mat.Matrix) float64 {
	f := mat.Norm(phi, 2) / (16 * linalg.UnitRoundoff)
	return 0.5 * f * f
}

// CheckCL4 checks Claim 4 on the construction with impl (nil:
// model.Reference): the start has margin c (measured, to rounding);
// model.Run with its default divergence rule reports StatusDiverged within K
// steps; and, running on from the start until the loss overflows (which
// must happen within K steps), there is a t₀ ≤ MaxTransient from which
// ℓ(t) and G(t) grow at least exponentially, as GrowthFactor states, up to
// PrecisionLimit. The loss never comes below MinLoss > 0 (reported).
func CheckCL4(impl model.Stepper, c *CL4, steps int) (CL4Report, error) {
	r := CL4Report{Overflow: -1, From: -1}
	if c == nil || c.Phi == nil {
		return r, fmt.Errorf("counterexamples: CheckCL4 needs a CL4 construction (use NewCL4)")
	}
	if c.N < 2 || c.N%2 != 0 || c.D < 1 || !(c.Eta > 0) || math.IsInf(c.Eta, 0) || math.IsNaN(c.A) || math.IsInf(c.A, 0) || math.IsNaN(c.B) || math.IsInf(c.B, 0) {
		return r, fmt.Errorf("counterexamples: CL4 needs an even N ≥ 2, d ≥ 1, finite η > 0 and finite entries (got N = %d, d = %d, η = %v, a = %v, b = %v)", c.N, c.D, c.Eta, c.A, c.B)
	}
	if pr, pc := c.Phi.Dims(); pr != c.D || pc != c.D {
		return r, fmt.Errorf("counterexamples: CL4's Φ must be %d×%d", c.D, c.D)
	}
	if steps < MaxTransient {
		return r, fmt.Errorf("counterexamples: CheckCL4 needs a budget K ≥ %d (got %d)", MaxTransient, steps)
	}
	if impl == nil {
		impl = model.Reference{}
	}
	r.N, r.D, r.C, r.Eta = c.N, c.D, c.C, c.Eta
	n, err := c.Start()
	if err != nil {
		return r, err
	}
	m := measureStart(n, c.Phi)
	r.Margin, r.Imbalance = m.Margin, m.Imbalance
	// The product a^{N/2} b^{N/2} is c up to N roundings of size u·c.
	if math.Abs(r.Margin-c.C) > 4*float64(c.N)*linalg.UnitRoundoff {
		r.Violation = fmt.Sprintf("start margin %.17g ≠ c = %.17g", r.Margin, c.C)
		return r, nil
	}
	res, err := model.Run(impl, n.Clone(), c.Phi, model.RunConfig{Eta: c.Eta, MaxSteps: steps})
	if err != nil {
		return r, err
	}
	r.RunStatus, r.RunSteps = res.Status, res.Steps
	if res.Status != model.StatusDiverged {
		r.Violation = fmt.Sprintf("model.Run reported %s after %d steps, not divergence", res.Status, res.Steps)
		return r, nil
	}
	size := func() float64 { // G(t) = (∏_j |W_j(t)[1,1]|)^{1/N}
		s := 0.0
		for j := 1; j <= n.N(); j++ {
			s += math.Log(math.Abs(n.Layer(j).At(0, 0)))
		}
		return math.Exp(s / float64(n.N()))
	}
	limit := PrecisionLimit(c.Phi)
	r.PrecisionStep = -1
	var losses, sizes []float64 // ℓ(t), G(t) for the faithful steps t = 0, 1, …
	for t := 0; t <= steps; t++ {
		// n holds W(t).
		sz := size()
		var loss float64
		if t < steps {
			loss, err = impl.Step(n, c.Phi, c.Eta) // ℓ(t); n moves to W(t+1)
			if err != nil {
				return r, err
			}
		} else {
			loss, _ = model.Loss(n, c.Phi)
		}
		if math.IsNaN(loss) || math.IsInf(loss, 0) || math.IsInf(sz, 0) || math.IsNaN(sz) {
			r.Overflow = t
			break
		}
		if loss > limit {
			// Beyond the precision limit the residual W_{1:N} − Φ no
			// longer carries Φ (see PrecisionLimit); only overflow is
			// still required.
			r.PrecisionStep = t
			break
		}
		losses = append(losses, loss)
		sizes = append(sizes, sz)
	}
	r.MinLoss = math.Inf(1)
	for _, l := range losses {
		r.MinLoss = math.Min(r.MinLoss, l)
	}
	// t₀: the first step ≤ MaxTransient from which both growth bounds hold
	// at every later faithful step.
	grows := func(t0 int) (lossRate, sizeRate float64, ok bool) {
		lossRate, sizeRate = math.Inf(1), math.Inf(1)
		for t := t0 + 1; t < len(losses); t++ {
			k := float64(t - t0)
			if !(losses[t] >= math.Pow(GrowthFactor, k)*losses[t0]) || !(sizes[t] >= math.Pow(GrowthFactor, k/float64(2*c.N))*sizes[t0]) {
				return 0, 0, false
			}
			lossRate = math.Min(lossRate, math.Pow(losses[t]/losses[t0], 1/k))
			sizeRate = math.Min(sizeRate, math.Pow(sizes[t]/sizes[t0], 1/k))
		}
		return lossRate, sizeRate, true
	}
	for t0 := 0; t0 <= MaxTransient && t0 < len(losses); t0++ {
		if lr, sr, ok := grows(t0); ok {
			r.From, r.MinLossRatio, r.MinWeightRatio = t0, lr, sr
			break
		}
	}
	if r.From < 0 {
		r.Violation = fmt.Sprintf("no t₀ ≤ %d after which ℓ(t) ≥ ℓ(t₀)·%d^{t−t₀} and G(t) ≥ G(t₀)·%d^{(t−t₀)/(2N)} (losses %.3g)", MaxTransient, GrowthFactor, GrowthFactor, losses)
		return r, nil
	}
	if r.Overflow < 0 && r.PrecisionStep >= 0 {
		// Keep stepping (no growth check) until the loss overflows.
		for t := r.PrecisionStep + 1; t <= steps; t++ {
			loss, err := impl.Step(n, c.Phi, c.Eta)
			if err != nil {
				return r, err
			}
			if math.IsNaN(loss) || math.IsInf(loss, 0) {
				r.Overflow = t
				break
			}
		}
	}
	if r.Overflow < 0 {
		r.Violation = fmt.Sprintf("the loss did not overflow within K = %d steps", steps)
		return r, nil
	}
	return r, nil
}
