package counterexamples

import (
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// Hypothesis names one hypothesis of Theorem 1 (T1).
type Hypothesis string

// The four hypotheses of Theorem 1.
const (
	// Balance is D1 with T1's bound: δ ≤ c²/(256 N³ ‖Φ‖_F^{2(N−1)/N}).
	Balance Hypothesis = "balancedness"
	// Margin is D2: W_{1:N}(0) has deficiency margin c > 0.
	Margin Hypothesis = "deficiency-margin"
	// Width is A1: min(d_1..d_{N−1}) ≥ min(d_0, d_N).
	Width Hypothesis = "width"
	// Step is T1's step bound η ≤ c^{(4N−2)/N}/(6144 N³ ‖Φ‖_F^{(6N−4)/N}).
	Step Hypothesis = "step-size"
)

// Mode is how a run fails to converge.
type Mode string

// Failure modes. Each is certified by a witness, never by a budget that
// merely ran out (see Certify).
const (
	// Diverges: model.Run reports StatusDiverged (the loss became
	// non-finite or grew twelve decades above max(ℓ(0), 1)).
	Diverges Mode = "diverges"
	// Floor: the loss stays ≥ Case.Floor > 0 at every step, where Floor is
	// a proven lower bound over all reachable weights (Eckart–Young for a
	// rank-deficient architecture, the PSD projection for CL5).
	Floor Mode = "loss-floor"
	// Stalls: the gradient vanishes (‖∇L^N‖_F ≤ stallTol) at a loss > ε,
	// a critical point that is not a global minimum, and GD stays there.
	Stalls Mode = "stalls"
)

// Case is one concrete counterexample: a start, a target, a step size, a
// step budget and the failure mode it shows. It is what catalog entries
// build and what searches return; it serialises to JSON (testdata/*.json)
// and replays with Replay.
type Case struct {
	Name       string     `json:"name"`       // catalog entry or search that produced it
	Hypothesis Hypothesis `json:"hypothesis"` // the Theorem 1 hypothesis it violates
	Claim      string     `json:"claim"`      // the CLAIMS.md ID it realises (CL4, CL5, A1, T1)
	N          int        `json:"n"`
	Dims       []int      `json:"dims"` // d_0..d_N
	// Phi is the target Φ (d_N × d_0), row-major.
	Phi [][]float64 `json:"phi"`
	// Layers are W_1..W_N at t = 0, each row-major.
	Layers [][][]float64 `json:"layers"`
	Eta    float64       `json:"eta"`
	Steps  int           `json:"steps"` // budget K: the run takes at most K GD steps
	// Epsilon is the convergence threshold of the "converges" predicate:
	// ℓ(t) ≤ Epsilon for some t ≤ K.
	Epsilon float64 `json:"epsilon"`
	Mode    Mode    `json:"mode"`
	// Floor is the certified lower bound on the loss for Mode Floor (and
	// the loss at the critical point for Mode Stalls); 0 otherwise.
	Floor float64 `json:"floor"`
	// Start holds the hypotheses of Theorem 1 measured at t = 0.
	Start StartMeasures `json:"start"`
	// Curve summarises the loss curve of the run that showed the failure.
	Curve Curve `json:"curve"`
}

// StartMeasures are Theorem 1's hypotheses measured on a start.
type StartMeasures struct {
	Margin     float64 `json:"margin"`      // D2: σ_min(Φ) − ‖W_{1:N} − Φ‖_F (≤ 0: no margin)
	Imbalance  float64 `json:"imbalance"`   // D1: measured δ
	DeltaBound float64 `json:"delta_bound"` // T1's δ bound at the measured margin; NaN (JSON null) without a margin
	EtaBound   float64 `json:"eta_bound"`   // T1's η bound at the measured margin; NaN (JSON null) without a margin
	WidthsOK   bool    `json:"widths_ok"`   // A1
	PhiF       float64 `json:"phi_fro"`     // ‖Φ‖_F
	SigmaMin   float64 `json:"sigma_min"`   // σ_min(Φ)
}

// startJSON is StartMeasures in the module's JSON float convention
// (internal/report.Float: NaN null, ±Inf "+Inf"/"-Inf").
type startJSON struct {
	Margin     report.Float `json:"margin"`
	Imbalance  report.Float `json:"imbalance"`
	DeltaBound report.Float `json:"delta_bound"`
	EtaBound   report.Float `json:"eta_bound"`
	WidthsOK   bool         `json:"widths_ok"`
	PhiF       report.Float `json:"phi_fro"`
	SigmaMin   report.Float `json:"sigma_min"`
}

// MarshalJSON writes an undefined bound (NaN) as null.
func (m StartMeasures) MarshalJSON() ([]byte, error) {
	return json.Marshal(startJSON{report.Float(m.Margin), report.Float(m.Imbalance), report.Float(m.DeltaBound), report.Float(m.EtaBound),
		m.WidthsOK, report.Float(m.PhiF), report.Float(m.SigmaMin)})
}

// UnmarshalJSON reads null as NaN.
func (m *StartMeasures) UnmarshalJSON(b []byte) error {
	var j startJSON
	if err := json.Unmarshal(b, &j); err != nil {
		return err
	}
	*m = StartMeasures{float64(j.Margin), float64(j.Imbalance), float64(j.DeltaBound), float64(j.EtaBound), j.WidthsOK, float64(j.PhiF), float64(j.SigmaMin)}
	return nil
}

// Curve summarises a loss curve with finite numbers only (JSON has no Inf).
type Curve struct {
	Status     model.Status `json:"status"`
	Steps      int          `json:"steps"` // the iterate the run stopped at (steps taken)
	Initial    float64      `json:"initial"`
	Min        float64      `json:"min"` // smallest finite loss seen
	MinStep    int          `json:"min_step"`
	LastFinite float64      `json:"last_finite"` // last finite loss
	LastStep   int          `json:"last_step"`   // its step
	// Samples are (step, loss) pairs at steps 0, 1, 2, 4, 8, … and the last
	// finite step.
	Samples [][2]float64 `json:"samples"`
}

// Size is the case's size for shrink reports: N plus the sum of all widths.
func (c Case) Size() int {
	s := c.N
	for _, d := range c.Dims {
		s += d
	}
	return s
}

// Net builds the starting network.
func (c Case) Net() (*model.Net, error) {
	n, err := model.NewNetFromRows(c.Layers)
	if err != nil {
		return nil, fmt.Errorf("counterexamples: case %q: %w", c.Name, err)
	}
	return n, nil
}

// Target builds Φ.
func (c Case) Target() (*mat.Dense, error) {
	p, err := model.DenseFromRows(c.Phi)
	if err != nil {
		return nil, fmt.Errorf("counterexamples: case %q target: %w", c.Name, err)
	}
	return p, nil
}

// Outcome is what a run of a case showed.
type Outcome struct {
	Converged bool // ℓ(t) ≤ Epsilon for some t ≤ K
	Mode      Mode // the certified failure mode, "" if none was witnessed
	Floor     float64
	Curve     Curve
	Detail    string // why the mode was (or was not) certified
	Losses    []float64
}

// Certified reports whether the run witnessed a failure mode.
func (o Outcome) Certified() bool { return o.Mode != "" }

// stallTol is the gradient size below which a point counts as critical: a
// few thousand ulps of the loss scale, relative to max(1, ‖Φ‖_F)·ℓ^{1/2}.
// A gradient of exactly zero (the origin for N ≥ 2) passes with room; any
// real descent direction on these small problems is many orders larger.
const stallTol = 1e-12

// runCase runs GD from c's start for at most c.Steps steps, recording every
// loss, and classifies the result. floor > 0 is a proven lower bound on
// the loss that the caller supplies (0: none).
func runCase(impl model.Stepper, n *model.Net, phi *mat.Dense, eta float64, steps int, eps, floor float64) (Outcome, error) {
	if impl == nil {
		impl = model.Reference{}
	}
	var out Outcome
	// The run loop shows its Observer every iterate ℓ(0..Steps), the one it
	// stopped at included.
	var losses []float64
	res, err := model.Run(impl, n, phi, model.RunConfig{Eta: eta, MaxSteps: steps, Epsilon: eps,
		Observe: func(_ int, l float64, _ *model.Net) bool { losses = append(losses, l); return false }})
	if err != nil {
		return out, err
	}
	out.Losses = losses
	out.Curve = summarise(res.Status, res.Steps, losses)
	out.Converged = res.Status == model.StatusConverged
	switch {
	case res.Status == model.StatusDiverged:
		out.Mode = Diverges
		out.Detail = fmt.Sprintf("model.Run reported divergence at step %d", res.Steps)
	case out.Converged:
		out.Detail = fmt.Sprintf("ℓ ≤ ε = %.3g at step %d", eps, res.HitStep)
	case floor > eps:
		if out.Curve.Min >= floor*(1-floorRel) {
			out.Mode, out.Floor = Floor, floor
			out.Detail = fmt.Sprintf("min ℓ = %.6g ≥ proven floor %.6g > ε = %.3g over %d steps", out.Curve.Min, floor, eps, res.Steps)
		} else {
			out.Detail = fmt.Sprintf("min ℓ = %.6g went below the claimed floor %.6g: the floor is wrong", out.Curve.Min, floor)
		}
	default:
		g, gerr := gradNorm(n, phi)
		if gerr == nil && g <= stallTol*math.Max(1, linalgFro(phi)) && res.FinalLoss > eps {
			out.Mode, out.Floor = Stalls, res.FinalLoss
			out.Detail = fmt.Sprintf("‖∇‖_F = %.3g at ℓ = %.6g > ε: a non-global critical point", g, res.FinalLoss)
		} else {
			out.Detail = fmt.Sprintf("inconclusive: ℓ(%d) = %.6g > ε = %.3g, no divergence, no floor, ‖∇‖_F = %.3g", res.Steps, res.FinalLoss, eps, g)
		}
	}
	return out, nil
}

// floorRel is the relative rounding allowance when comparing computed
// losses with a proven floor F. The proofs bound the exact loss; the
// computed one differs by the rounding of the end-to-end product and of
// ½‖W − Φ‖_F² — O(N·d·u) relative to the loss scale per step, not
// accumulating because the floors here are met by structure (a zero row,
// a rank bound, a PSD product), not by a long cancellation. 1e-7 is ten
// million ulps: far above that rounding, far below any real breach (a
// planted bug breaches by O(F)).
const floorRel = 1e-7

func linalgFro(m mat.Matrix) float64 { return invariants.Frobenius(m) }

func gradNorm(n *model.Net, phi mat.Matrix) (float64, error) {
	gs, err := model.Gradients(n, phi)
	if err != nil {
		return math.NaN(), err
	}
	s := 0.0
	for _, g := range gs {
		f := mat.Norm(g, 2)
		s += f * f
	}
	return math.Sqrt(s), nil
}

func summarise(st model.Status, steps int, losses []float64) Curve {
	c := Curve{Status: st, Steps: steps, Min: math.Inf(1)}
	if len(losses) == 0 {
		c.Min = 0
		return c
	}
	c.Initial = finiteOr(losses[0], math.MaxFloat64)
	next := 1
	for t, l := range losses {
		if math.IsNaN(l) || math.IsInf(l, 0) {
			break
		}
		if l < c.Min {
			c.Min, c.MinStep = l, t
		}
		c.LastFinite, c.LastStep = l, t
		if t == 0 || t == next {
			c.Samples = append(c.Samples, [2]float64{float64(t), l})
			if t > 0 {
				next *= 2
			}
		}
	}
	if k := len(c.Samples); k == 0 || int(c.Samples[k-1][0]) != c.LastStep {
		c.Samples = append(c.Samples, [2]float64{float64(c.LastStep), c.LastFinite})
	}
	if math.IsInf(c.Min, 1) {
		c.Min = 0
	}
	return c
}

func finiteOr(v, alt float64) float64 {
	if math.IsNaN(v) || math.IsInf(v, 0) {
		return alt
	}
	return v
}

// Replay re-runs the case with impl (nil: model.Reference) and reports
// whether its recorded failure mode still holds: the same Mode is
// certified and the run does not converge.
func (c Case) Replay(impl model.Stepper) (Outcome, error) {
	n, err := c.Net()
	if err != nil {
		return Outcome{}, err
	}
	phi, err := c.Target()
	if err != nil {
		return Outcome{}, err
	}
	if err := n.CheckTarget(phi); err != nil {
		return Outcome{}, err
	}
	if c.Steps < 1 || !(c.Eta > 0) || !(c.Epsilon > 0) {
		return Outcome{}, fmt.Errorf("counterexamples: case %q needs Steps ≥ 1, η > 0, ε > 0", c.Name)
	}
	floor := 0.0 // for Stalls, Floor is informational (the loss at the critical point)
	if c.Mode == Floor {
		floor = c.Floor
	}
	o, err := runCase(impl, n, phi, c.Eta, c.Steps, c.Epsilon, floor)
	if err != nil {
		return o, err
	}
	if o.Converged {
		return o, fmt.Errorf("%w: case %q converged (%s)", ErrNotReproduced, c.Name, o.Detail)
	}
	if o.Mode != c.Mode {
		return o, fmt.Errorf("%w: case %q recorded mode %q, replay shows %q (%s)", ErrNotReproduced, c.Name, c.Mode, o.Mode, o.Detail)
	}
	return o, nil
}

// ErrNotReproduced reports that a replayed case no longer shows its failure.
var ErrNotReproduced = errors.New("counterexamples: failure not reproduced")

// measureStart fills StartMeasures.
func measureStart(n *model.Net, phi *mat.Dense) StartMeasures {
	m := StartMeasures{
		Margin:    invariants.NetMargin(n, phi),
		Imbalance: invariants.Imbalance(n),
		WidthsOK:  invariants.WidthsOK(n.Dims()),
		PhiF:      invariants.Frobenius(phi),
		SigmaMin:  invariants.SigmaMin(phi),
	}
	m.DeltaBound = invariants.DeltaBound(m.Margin, n.N(), m.PhiF) // NaN without a margin
	m.EtaBound = invariants.EtaBound(m.Margin, n.N(), m.PhiF)
	return m
}

// fmtBound prints one of Theorem 1's bounds, or that it is undefined.
func fmtBound(x float64) string {
	if math.IsNaN(x) {
		return "undefined: no margin"
	}
	return fmt.Sprintf("%.3g", x)
}

func rowsOf(m mat.Matrix) [][]float64 {
	r, c := m.Dims()
	out := make([][]float64, r)
	for i := range out {
		out[i] = make([]float64, c)
		for j := range out[i] {
			out[i][j] = m.At(i, j)
		}
	}
	return out
}

// newCase fills the structural fields of a Case from a start and target.
func newCase(name string, h Hypothesis, claim string, n *model.Net, phi *mat.Dense, eta float64, steps int, eps float64) Case {
	c := Case{Name: name, Hypothesis: h, Claim: claim, N: n.N(), Dims: n.Dims(), Phi: rowsOf(phi), Eta: eta, Steps: steps, Epsilon: eps}
	for j := 1; j <= n.N(); j++ {
		c.Layers = append(c.Layers, rowsOf(n.Layer(j)))
	}
	c.Start = measureStart(n, phi)
	return c
}

// String prints the case readably: the hypothesis, sizes, Φ, the layers,
// η and a summary of the loss curve.
func (c Case) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%s — drops %s, realises %s; N = %d, dims = %v (size %d)\n", c.Name, c.Hypothesis, c.Claim, c.N, c.Dims, c.Size())
	fmt.Fprintf(&b, "  start: margin %.4g (σ_min(Φ) = %.4g, ‖Φ‖_F = %.4g), imbalance %.4g (T1 δ bound %s), widths ok %v, η = %.4g (T1 η bound %s)\n",
		c.Start.Margin, c.Start.SigmaMin, c.Start.PhiF, c.Start.Imbalance, fmtBound(c.Start.DeltaBound), c.Start.WidthsOK, c.Eta, fmtBound(c.Start.EtaBound))
	fmt.Fprintf(&b, "  Φ = %s\n", fmtMat(c.Phi))
	for j, l := range c.Layers {
		fmt.Fprintf(&b, "  W_%d = %s\n", j+1, fmtMat(l))
	}
	fmt.Fprintf(&b, "  run: %s after %d of %d steps; ℓ(0) = %.6g, min ℓ = %.6g at t = %d, last finite ℓ = %.6g at t = %d; ε = %.3g\n",
		c.Curve.Status, c.Curve.Steps, c.Steps, c.Curve.Initial, c.Curve.Min, c.Curve.MinStep, c.Curve.LastFinite, c.Curve.LastStep, c.Epsilon)
	fmt.Fprintf(&b, "  failure mode: %s", c.Mode)
	switch c.Mode {
	case Floor:
		fmt.Fprintf(&b, " (proven floor %.6g)", c.Floor)
	case Stalls:
		fmt.Fprintf(&b, " (critical point at ℓ = %.6g)", c.Curve.LastFinite)
	}
	b.WriteString("\n  loss curve:")
	for _, s := range c.Curve.Samples {
		fmt.Fprintf(&b, " ℓ(%d)=%.4g", int(s[0]), s[1])
	}
	return b.String()
}

func fmtMat(rows [][]float64) string {
	parts := make([]string, len(rows))
	for i, r := range rows {
		xs := make([]string, len(r))
		for j, v := range r {
			xs[j] = fmt.Sprintf("%.4g", v)
		}
		parts[i] = strings.Join(xs, " ")
	}
	return "[" + strings.Join(parts, "; ") + "]"
}

// MarshalIndent is the case as indented JSON (the testdata format).
func (c Case) MarshalIndent() ([]byte, error) {
	b, err := json.MarshalIndent(c, "", "  ")
	if err != nil {
		return nil, fmt.Errorf("counterexamples: encoding case %q: %w", c.Name, err)
	}
	return append(b, '\n'), nil
}

// LoadCase reads a case saved as JSON.
func LoadCase(path string) (Case, error) {
	var c Case
	b, err := os.ReadFile(path)
	if err != nil {
		return c, err
	}
	if err := json.Unmarshal(b, &c); err != nil {
		return c, fmt.Errorf("counterexamples: %s: %w", path, err)
	}
	return c, nil
}
