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
	// From is the step after which growth is required (GrowthFrom).
	From int
	// MinLossRatio and MinWeightRatio are the smallest average growth
	// factors (ℓ(t)/ℓ(t₀))^{1/(t−t₀)} and (R(t)/R(t₀))^{1/(t−t₀)} seen,
	// R(t) = (Σ_j W_j(t)[1,1]²)^{1/2}, t₀ = From.
	MinLossRatio, MinWeightRatio float64
	Violation                    string
}

// Holds reports whether CL4's conclusion held.
func (r CL4Report) Holds() bool { return r.Violation == "" }

func (r CL4Report) String() string {
	s := fmt.Sprintf("CL4 N=%d d=%d c=%.3g η=%.3g: margin %.6g, imbalance %.3g; model.Run %s at step %d; overflow at t=%d; average growth per step from t=%d: loss ×%.3g, weights ×%.3g",
		r.N, r.D, r.C, r.Eta, r.Margin, r.Imbalance, r.RunStatus, r.RunSteps, r.Overflow, r.From, r.MinLossRatio, r.MinWeightRatio)
	if r.Violation != "" {
		s += "; VIOLATED: " + r.Violation
	}
	return s
}

// GrowthFrom is t₀, the number of initial steps exempt from the growth
// check: the first steps turn the unbalanced start into large layers of
// equal sign (the paper's W_j(1)); from then on the paper's recursion
// B(t+1) = 9C(t), C(t+1) = ηC(t)^{2N−1} makes the weights and the loss
// grow super-exponentially.
const GrowthFrom = 3

// GrowthFactor is the least average per-step factor CheckCL4 accepts from
// step t₀ = GrowthFrom on: ℓ(t) ≥ ℓ(t₀)·2^{t−t₀} and R(t) ≥ R(t₀)·2^{t−t₀}
// where R(t) = (Σ_j W_j(t)[1,1]²)^{1/2} is the size of the construction's
// entries. The loss bound is checked at every t ≥ t₀ up to overflow
// ("log-loss increases at least linearly"). The weight bound is checked at
// the last finite step T (an average rate ≥ ln 2 over [t₀, T]), not at every
// step: for N = 2 and small η the large layer stays at a for up to ~8 steps
// while the small one catches up (|b| grows ×8 per step with alternating
// sign), so R(t) is flat there although the loss already grows ×64 per step
// (measured; the paper's exact start, which would avoid this, is not given).
const GrowthFactor = 2

// CheckCL4 checks Claim 4 on the construction with impl (nil:
// model.Reference): the start has margin c (measured, to rounding);
// model.Run with its default divergence rule reports StatusDiverged within K
// steps; and, running on from the start until the loss overflows (which
// must happen within K steps), ℓ(t) and R(t) grow at least like
// GrowthFactor^{t−t₀} from t₀ = GrowthFrom on (see GrowthFactor for where
// each is checked). In particular the loss never
// comes below a positive constant: it is at least ℓ(t₀) > 0 from t₀ on.
func CheckCL4(impl model.Stepper, c *CL4, steps int) (CL4Report, error) {
	r := CL4Report{Overflow: -1, From: GrowthFrom, MinLossRatio: math.Inf(1), MinWeightRatio: math.Inf(1)}
	if c == nil {
		return r, fmt.Errorf("counterexamples: CheckCL4 needs a CL4 construction")
	}
	if steps < GrowthFrom+1 {
		return r, fmt.Errorf("counterexamples: CheckCL4 needs a budget K > %d (got %d)", GrowthFrom, steps)
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
	if math.Abs(r.Margin-c.C) > 4*float64(c.N)*unitRoundoff {
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
	size := func() float64 { // R(t) = (Σ_j W_j(t)[1,1]²)^{1/2}
		s := 0.0
		for j := 1; j <= n.N(); j++ {
			s = math.Hypot(s, n.Layer(j).At(0, 0))
		}
		return s
	}
	var loss0, size0 float64
	lastSize, lastStep := math.NaN(), -1
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
		lastSize, lastStep = sz, t
		switch {
		case t == GrowthFrom:
			loss0, size0 = loss, sz
		case t > GrowthFrom:
			need := math.Pow(GrowthFactor, float64(t-GrowthFrom))
			r.MinLossRatio = math.Min(r.MinLossRatio, math.Pow(loss/loss0, 1/float64(t-GrowthFrom)))
			if !(loss >= need*loss0) {
				r.Violation = fmt.Sprintf("ℓ(%d) = %.4g < ℓ(%d)·%d^%d = %.4g", t, loss, GrowthFrom, GrowthFactor, t-GrowthFrom, need*loss0)
				return r, nil
			}
		}
	}
	if r.Overflow < 0 {
		r.Violation = fmt.Sprintf("the loss did not overflow within K = %d steps", steps)
		return r, nil
	}
	if lastStep <= GrowthFrom {
		// Overflow came before t₀: growth was too fast to measure a rate,
		// which is more than exponential.
		r.MinLossRatio, r.MinWeightRatio = math.Inf(1), math.Inf(1)
		return r, nil
	}
	r.MinWeightRatio = math.Pow(lastSize/size0, 1/float64(lastStep-GrowthFrom))
	if need := math.Pow(GrowthFactor, float64(lastStep-GrowthFrom)); !(lastSize >= need*size0) {
		r.Violation = fmt.Sprintf("R(%d) = %.4g < R(%d)·%d^%d = %.4g", lastStep, lastSize, GrowthFrom, GrowthFactor, lastStep-GrowthFrom, need*size0)
	}
	return r, nil
}
