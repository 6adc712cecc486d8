package proofs_test

// TestT1_FullHorizonFast: Theorem 1 (T1) over its full horizon, and Lemma 1
// (L1) at every step, with the fast stepper (model.Fast, issue 6).

import (
	"fmt"
	"math"
	"os"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// t1FastBudget caps T(ε) per case. Scalar-end cases (min(d_0, d_N) = 1) at
// c/σ_min(Φ) ≥ 0.8 need ≲ 3.2·10⁶ steps for three decades at N = 3; the
// min(d_0, d_N) = 2 cases need more (c/‖Φ‖_F ≤ 1/√2) and often exceed it.
const t1FastBudget = 6_000_000

// t1Case is one Theorem 1 instance built to satisfy the hypotheses: a
// balanced start (Procedure 1, model.Balanced with random orthogonal
// insertions) whose end-to-end matrix A = Φ + Δ has margin c = q·σ_min(Φ)
// (‖Δ‖_F = (1−q)σ_min(Φ)), η = EtaBound(c) at the measured c, and
// ε = ℓ(0)·10^{−k}.
type t1Case struct {
	dims    []int
	N       int
	phi     *mat.Dense
	start   *model.Net
	hyp     invariants.Theorem1
	sigmaPh float64 // σ_min(Φ)
	loss0   float64
	eps     float64
	decades int
	T       int     // ⌈Horizon(ℓ(0), ε, η, c, N)⌉
	layerB  float64 // max_j √rank_j · (4‖Φ‖_F)^{1/N}: L2's C(t) bound on ‖W_j‖_F
	// Tier coefficients (see evalErr, stepErr), precomputed for the hot loop.
	evalSqrt, evalLin, stepSqrt float64
	err                         string // non-empty: construction failed (counted invalid)
}

func (c t1Case) String() string {
	return fmt.Sprintf("N=%d dims=%v ‖Φ‖_F=%.3g σ_min(Φ)=%.3g c=%.4g δ=%.2g (≤ %.2g) η=%.4g (= bound %.4g) ℓ(0)=%.4g ε=%.3g (%d decades) T=%d",
		c.N, c.dims, c.hyp.PhiF, c.sigmaPh, c.hyp.C, c.hyp.Delta, c.hyp.DeltaBound, c.hyp.Eta, c.hyp.EtaBound, c.loss0, c.eps, c.decades, c.T)
}

// t1FastCases draws the structure with rapid (N, widths, q, scale,
// decades, seed) and builds matrices from explicit singular values and
// seeded orthogonal factors.
var t1FastCases = rapid.Custom(func(t *rapid.T) t1Case {
	N := rapid.IntRange(1, 3).Draw(t, "N")
	wide := rapid.IntRange(0, 3).Draw(t, "wide") == 0 // 1 in 4: min(d_0, d_N) = 2
	var d0, dN, r int
	if wide {
		d0, dN, r = rapid.IntRange(2, 3).Draw(t, "d0"), 2, 2
	} else if rapid.Bool().Draw(t, "scalarOut") {
		d0, dN, r = rapid.IntRange(1, 4).Draw(t, "d0"), 1, 1
	} else {
		d0, dN, r = 1, rapid.IntRange(2, 3).Draw(t, "dN"), 1
	}
	dims := make([]int, N+1)
	dims[0], dims[N] = d0, dN
	for j := 1; j < N; j++ {
		dims[j] = rapid.IntRange(r, 4).Draw(t, fmt.Sprintf("d%d", j))
	}
	qPct := rapid.IntRange(80, 97).Draw(t, "q%")
	if wide {
		qPct = rapid.IntRange(90, 97).Draw(t, "q%wide")
	}
	scale := []float64{0.5, 1, 2}[rapid.IntRange(0, 2).Draw(t, "scale")]
	decades := rapid.IntRange(1, 3).Draw(t, "decades")
	seed := rapid.Uint64().Draw(t, "seed")
	return buildT1Case(dims, r, float64(qPct)/100, scale, decades, seed)
})

func buildT1Case(dims []int, r int, q, scale float64, decades int, seed uint64) t1Case {
	N := len(dims) - 1
	cs := t1Case{dims: dims, N: N, decades: decades}
	rng := model.NewRand(seed)
	sv := make([]float64, r)
	for i := range sv {
		sv[i] = scale * (1 + 0.2*float64(i)/float64(r)) // σ's in [scale, 1.2·scale)
	}
	phi, err := linalg.FromSingularValues(dims[N], dims[0], sv, rng)
	if err != nil {
		cs.err = err.Error()
		return cs
	}
	cs.phi = phi
	cs.sigmaPh = invariants.SigmaMin(phi)
	// A = Φ + Δ with ‖Δ‖_F = (1 − q)σ_min(Φ): margin q·σ_min(Φ).
	delta := model.GaussianMatrix(dims[N], dims[0], 1, rng)
	delta.Scale((1-q)*cs.sigmaPh/mat.Norm(delta, 2), delta)
	var a mat.Dense
	a.Add(phi, delta)
	start, err := model.Balanced(&a, dims, rng)
	if err != nil {
		cs.err = err.Error()
		return cs
	}
	cs.start = start
	c := invariants.NetMargin(start, phi)
	phiF := invariants.Frobenius(phi)
	eta := invariants.EtaBound(c, N, phiF)
	cs.hyp = invariants.CheckTheorem1(start, phi, eta, 0) // measured c and δ
	cs.loss0, _ = model.Loss(start, phi)
	cs.eps = cs.loss0 * math.Pow(10, -float64(decades))
	cs.T = int(math.Ceil(invariants.Horizon(cs.loss0, cs.eps, eta, cs.hyp.C, N)))
	for j := 1; j <= N; j++ {
		rank := float64(min(dims[j], dims[j-1]))
		cs.layerB = math.Max(cs.layerB, math.Sqrt(rank)*invariants.SpectralBound(N, phiF))
	}
	n := float64(N)
	gamma := float64(N*maxInt(dims)+2) * linalg.UnitRoundoff
	cs.evalSqrt = math.Sqrt2 * gamma * math.Pow(cs.layerB, n)
	cs.evalLin = float64(dims[0]*dims[N]+1) * linalg.UnitRoundoff
	cs.stepSqrt = math.Sqrt2 * n * math.Pow(cs.layerB, n) * linalg.UnitRoundoff
	return cs
}

// valid reports whether the case meets Theorem 1's hypotheses (measured)
// and fits the step budget.
func (c t1Case) valid() bool {
	return c.err == "" && c.hyp.Holds() && c.T > 0 && c.T <= t1FastBudget
}

// t1Tiers are the rounding tiers of the checks, from the case's norms.
//
// evalErr(ℓ): an evaluated loss is off by at most ‖E‖_F·γ·Π_j‖W_j‖_F (E is
// formed from the rounded product, |fl(P) − P| ≤ γ_{N·d_max} Π|W_j| entrywise)
// plus γ_{d_0 d_N}·ℓ for the sum of squares; Π‖W_j‖_F ≤ B^N along the
// trajectory by L2's C(t) (‖W_j‖_σ ≤ (4‖Φ‖_F)^{1/N}, so ‖W_j‖_F ≤ √rank_j ·
// that = B).
//
// stepErr(ℓ): the rounding of the update W − ηG moves each entry by at most
// one unit roundoff, ‖ΔW‖ ≤ u·√N·B, which changes ℓ by at most
// ‖∇L‖·‖ΔW‖ ≤ √N B^{N−1} √(2ℓ) · u √N B.
func (c *t1Case) evalErr(l float64) float64 {
	return c.evalSqrt*math.Sqrt(l) + c.evalLin*l
}

func (c *t1Case) stepErr(l float64) float64 {
	return c.stepSqrt * math.Sqrt(l)
}

func maxInt(xs []int) int {
	m := xs[0]
	for _, x := range xs {
		m = max(m, x)
	}
	return m
}

// t1Outcome is what one full-horizon run measured.
type t1Outcome struct {
	violation string // "" when both T1 and L1 held
	lossT     float64
	worstL1   float64 // max_t (ℓ(t+1) − (1−ρ)ℓ(t)) / (ρℓ(t)): ≤ 0 means L1 held with room
	steps     int
	elapsed   time.Duration
}

// runT1Case runs impl for exactly T steps, checking L1 at every step and T1
// at the end (ℓ(T) measured with model.Loss, independently of impl).
func runT1Case(impl model.Stepper, c t1Case) t1Outcome {
	out := t1Outcome{worstL1: math.Inf(-1)}
	n := c.start.Clone()
	rate := invariants.Rate(c.hyp.Eta, c.hyp.C, c.N)
	start := time.Now()
	prev := math.NaN()
	for t := 0; t <= c.T; t++ {
		var l float64
		var err error
		if t < c.T {
			l, err = impl.Step(n, c.phi, c.hyp.Eta) // ℓ(t)
		} else {
			l, err = model.Loss(n, c.phi) // ℓ(T), independently of impl
		}
		if err != nil {
			out.violation = fmt.Sprintf("step %d: %v", t, err)
			return out
		}
		if t > 0 {
			// L1: ℓ(t) ≤ (1 − ηc^{2(N−1)/N}) ℓ(t−1), up to rounding.
			bound := (1 - rate) * prev
			tol := c.evalErr(prev) + c.evalErr(l) + c.stepErr(prev)
			if s := (l - bound) / (rate * prev); s > out.worstL1 || math.IsNaN(s) {
				out.worstL1 = s
			}
			if !(l <= bound+tol) && out.violation == "" {
				out.violation = fmt.Sprintf("L1 violated at step %d: ℓ = %.17g > (1 − ηc^{2(N−1)/N})ℓ(t−1) = %.17g (+ tier %.3g)", t, l, bound, tol)
				out.steps = t
				out.elapsed = time.Since(start)
				return out
			}
		}
		prev = l
	}
	out.steps = c.T
	out.elapsed = time.Since(start)
	out.lossT = prev
	if !(out.lossT <= c.eps+c.evalErr(c.eps)) {
		out.violation = fmt.Sprintf("T1 violated: ℓ(T = %d) = %.6g > ε = %.6g", c.T, out.lossT, c.eps)
	}
	return out
}

// TestT1_FullHorizonFast runs ≥ 20 hypothesis-satisfying Theorem 1 cases
// to their full horizon with model.Fast, two at a time (one Fast each),
// and reports steps per second. Cases are drawn deterministically with
// rapid's generator (Example(i)), so the run does not depend on RAPID_SEED.
func TestT1_FullHorizonFast(t *testing.T) {
	want := 40
	if testing.Short() {
		want = 20
	}
	var cases []t1Case
	tried := 0
	for i := 0; len(cases) < want && i < 20*want; i++ {
		c := t1FastCases.Example(i)
		tried++
		if c.valid() {
			cases = append(cases, c)
		} else {
			t.Logf("case %d skipped (counted invalid): %v err=%q holds=%v T=%d", i, c, c.err, c.hyp.Holds(), c.T)
		}
	}
	require.GreaterOrEqual(t, len(cases), 20, "too few hypothesis-satisfying cases (%d of %d drawn)", len(cases), tried)

	var (
		mu       sync.Mutex
		steps    atomic.Int64
		passed   int
		wg       sync.WaitGroup
		next     atomic.Int64
		failures []string
	)
	begin := time.Now()
	for w := 0; w < 2; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			impl := model.NewFast() // not safe for concurrent use: one per worker
			for {
				i := int(next.Add(1) - 1)
				if i >= len(cases) {
					return
				}
				c := cases[i]
				// Re-measure the hypotheses on the exact start used.
				h := invariants.CheckTheorem1(c.start, c.phi, c.hyp.Eta, 0)
				o := runT1Case(impl, c)
				steps.Add(int64(o.steps))
				mu.Lock()
				t.Logf("case %2d: %v → ℓ(T) = %.4g (ℓ(T)/ε = %.3f), L1 worst (ℓ(t+1) − (1−ρ)ℓ(t))/(ρℓ(t)) = %.3f, %.3g steps/s",
					i, c, o.lossT, o.lossT/c.eps, o.worstL1, float64(o.steps)/o.elapsed.Seconds())
				if !h.Holds() {
					failures = append(failures, fmt.Sprintf("case %d: hypotheses do not hold on re-measurement: %+v", i, h))
				} else if o.violation != "" {
					failures = append(failures, fmt.Sprintf("case %d (%v): %s", i, c, o.violation))
				} else {
					passed++
				}
				mu.Unlock()
			}
		}()
	}
	wg.Wait()
	el := time.Since(begin)
	t.Logf("T1 full horizon with %s: %d/%d cases held (%d drawn), %.3g GD steps in %.1fs wall on 2 workers = %.3g steps/s",
		model.NewFast().Name(), passed, len(cases), tried, float64(steps.Load()), el.Seconds(), float64(steps.Load())/el.Seconds())
	require.Empty(t, failures)
	require.GreaterOrEqual(t, passed, 20)
}

// gradientAscent is a planted bug: Fast with the sign of the update
// flipped (W ← W + ηG), built as W(t+1) = 2W(t) − Fast(W(t)).
type gradientAscent struct{ f *model.Fast }

func (g gradientAscent) Name() string { return "fast(sign flipped, bug)" }
func (g gradientAscent) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	old := n.Clone()
	l, err := g.f.Step(n, phi, eta)
	if err != nil {
		return l, err
	}
	for j := 1; j <= n.N(); j++ {
		w := n.Layer(j)
		w.Scale(-1, w)
		w.Add(w, old.Layer(j))
		w.Add(w, old.Layer(j))
	}
	return l, nil
}

// scaledStep is a planted bug: it steps with factor·η.
type scaledStep struct {
	inner  model.Stepper
	factor float64
}

func (s scaledStep) Name() string { return fmt.Sprintf("fast(η×%g, bug)", s.factor) }
func (s scaledStep) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	return s.inner.Step(n, phi, s.factor*eta)
}

// TestT1_FullHorizonFast_CatchesPlantedBug: the same check fails through
// rapid on the sign-flipped stepper (L1 breaks at the first step), and on
// η/2 in the cases where the true contraction is within 2× of L1's rate.
// (η×2 is not a bug this check can see: it only converges faster.)
func TestT1_FullHorizonFast_CatchesPlantedBug(t *testing.T) {
	rep := rapidtb.Check("t1fast_planted_sign", func(rt *rapid.T) {
		c := t1FastCases.Draw(rt, "case")
		if !c.valid() {
			rt.Skip("not a valid case")
		}
		if o := runT1Case(gradientAscent{model.NewFast()}, c); o.violation != "" {
			rt.Fatalf("%v: %s", c, o.violation)
		}
	})
	require.True(t, rep.Failed, "the sign-flipped stepper passed the T1/L1 check")
	require.Contains(t, rep.Text(), "L1 violated", "rapid failed for another reason: %s", rep.Text())
	t.Logf("sign flip caught by rapid: %.300s", rep.Text())

	caught, tried := 0, 0
	for i := 0; tried < 6 && i < 100; i++ {
		c := t1FastCases.Example(i)
		if !c.valid() || c.T > 1_000_000 {
			continue
		}
		tried++
		if o := runT1Case(scaledStep{model.NewFast(), 0.5}, c); o.violation != "" {
			caught++
			t.Logf("η/2 caught on case %d: %s", i, o.violation)
		}
	}
	require.Positive(t, caught, "η/2 was caught on none of %d cases", tried)
	t.Logf("η/2 caught on %d of %d cases", caught, tried)
}

// TestFast_PropertySuite runs every registered claim property against
// model.Fast (issue 6 acceptance: "the full property suite passes against
// the fast implementation"). It is opt-in, DLNVERIFY_FAST_SUITE=1, because
// the suite's own tests already take minutes; adding model.NewFast() to
// implementations() in impls_test.go makes it part of every run.
func TestFast_PropertySuite(t *testing.T) {
	if os.Getenv("DLNVERIFY_FAST_SUITE") != "1" {
		t.Skip("set DLNVERIFY_FAST_SUITE=1 to run the whole property suite against model.Fast")
	}
	for _, p := range proofs.All() {
		t.Run(p.TestName(), func(t *testing.T) {
			o := proofs.Verify(p, model.NewFast())
			t.Logf("%s with %s: passed=%v, %d cases, %d valid (min %d), worst slack %.3g, %.1fs",
				p.TestName(), o.Impl, o.Passed, o.Tried, o.Valid, o.MinValid, o.WorstSlack, o.Elapsed.Seconds())
			if !o.Passed {
				t.Fatalf("%s failed with model.Fast: %s", p.TestName(), o.Failure)
			}
		})
	}
}
