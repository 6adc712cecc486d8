package experiment

import (
	"context"
	"fmt"
	"io"
	"math"
	"runtime"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// Initialisation names used in results and on the command line.
const (
	InitGaussian = "gaussian" // layer-wise independent N(0, s²) entries (E1 (a))
	InitBalanced = "balanced" // Procedure 1 with A ~ N(0, s²) entries (E1 (b))
)

// Run outcomes recorded per (point, η).
const (
	OutConverged = "converged" // ℓ(t) ≤ ε at some t below the cap
	OutDiverged  = "diverged"  // model.StatusDiverged: loss non-finite or above model.DivergenceLimit
	OutMaxIter   = "max_iter"  // the iteration cap (1e6 in the paper) was reached
	OutBeaten    = "beaten"    // stopped at the best iteration count found so far: cannot be strictly faster
	OutStalled   = "stalled"   // non-monotone run whose best loss stopped improving (see Fig1Config.Exhaustive)
	OutPlateau   = "plateau"   // monotone run on a saddle plateau whose escape is predicted far beyond the cap
	OutSkipped   = "skipped"   // not run: pruned by the flow-time rule (see Fig1Config.Exhaustive)
)

// Fig1Config is the E1 protocol's grid.
type Fig1Config struct {
	Depths  []int      // N values (paper: 3 and 8)
	Width   int        // hidden width (paper: 32)
	Phi     mat.Matrix // 1×d_0 target; ‖Φ‖_F = 1 in the paper's protocol
	Inits   []string   // InitGaussian, InitBalanced
	Stds    []float64  // init standard deviations s
	Etas    []float64  // step sizes; searched from the largest down
	Epsilon float64    // converged: ℓ ≤ Epsilon (paper: 1e-5; the optimum is 0)
	MaxIter int        // iteration cap (paper: 1e6)
	Seed    uint64
	Workers int // ≤ 0: runtime.NumCPU()
	// Exhaustive runs every η of the grid to the cap (or to the best count
	// so far, which is exact: a run that has not converged by then cannot
	// be the fastest). Without it two budget heuristics apply, and
	// TestPruningMatchesExhaustive checks that they do not change the
	// result on a small grid:
	//   - flow-time pruning: the η search (largest η first) stops after two
	//     consecutive non-diverging runs whose loss never increased
	//     (monotone, flow-like); on such trajectories a smaller η covers
	//     less gradient-flow time η·t per step, so it cannot converge sooner
	//     (two, not one, because a very large η can be monotone without
	//     tracking the flow);
	//   - stall abort: a run whose loss has increased at least once
	//     (oscillating, off the flow) is stopped as OutStalled at the first
	//     check t = 1000·2^k where the least loss over (t/2, t] is not 0.1%
	//     below the least loss over [0, t/2]. A stalled run never counts as
	//     converged; the search just moves on to the next η.
	//   - plateau abort (N ≥ 3): a monotone run still above ℓ(0)/2 is
	//     stopped as OutPlateau at a check t ≥ 16000 when the escape from the
	//     saddle at the origin is predicted more than 20× beyond the cap.
	//     Near the origin the escape is a finite-time blow-up: for both
	//     initialisations the progress along the target p(t) = ⟨W_{1:N}, Φ⟩
	//     (≈ ℓ(0) − ℓ(t) + const) grows like a power of the layer scale, and
	//     for a power law the time left is N/((N−2)ρ) with ρ = d ln p/dt,
	//     measured over (t/2, t] (only when p > 0 at both ends). The η
	//     search of the point then stops (a smaller η covers less flow time).
	Exhaustive bool
	// NewStepper makes one GD implementation per worker (nil: model.Fast).
	NewStepper func() model.Stepper
	Progress   io.Writer // one line per finished point; nil for none
}

// EtaRun is one GD run of the η search.
type EtaRun struct {
	Eta       float64 `json:"eta"`
	Outcome   string  `json:"outcome"`
	Steps     int     `json:"steps"`      // the iterate the run stopped at (GD steps taken)
	Iters     int     `json:"iterations"` // first t with ℓ(t) ≤ ε, −1 if none
	FinalLoss float64 `json:"final_loss"`
	Monotone  bool    `json:"monotone"` // ℓ never increased by more than rounding
}

// Point is one (depth, init, std) grid point with its fastest η.
type Point struct {
	Depth      int      `json:"depth"`
	Init       string   `json:"init"`
	Std        float64  `json:"std"`
	Seed       uint64   `json:"seed"`
	InitLoss   float64  `json:"initial_loss"`
	Converged  bool     `json:"converged"`
	BestEta    float64  `json:"best_eta"`   // NaN (null in JSON) when no run converged
	Iterations int      `json:"iterations"` // at BestEta; −1 when none converged
	Runs       []EtaRun `json:"runs"`
	Seconds    float64  `json:"seconds"`
}

// Fig1Result is the whole grid.
type Fig1Result struct {
	Config  Fig1Config  `json:"-"`
	Points  []Point     `json:"points"`
	Impl    string      `json:"impl"`           // the GD implementation's Name()
	Source  string      `json:"source"`         // where Φ came from
	Data    *DataReport `json:"data,omitempty"` // how a --data file became Φ
	Workers int         `json:"workers"`
	Seconds float64     `json:"seconds"`
}

// Validate reports the first inconsistency of the configuration (empty
// grid, depth or width < 1, Φ not 1×d_0, a non-positive std, η or ε, a cap
// < 1), as RunFig1 does before running; callers use it to refuse a bad
// configuration before printing anything.
func (c *Fig1Config) Validate() error {
	if len(c.Depths) == 0 || len(c.Inits) == 0 || len(c.Stds) == 0 || len(c.Etas) == 0 {
		return fmt.Errorf("experiment: the grid needs depths, inits, stds and etas")
	}
	for _, N := range c.Depths {
		if N < 1 {
			return fmt.Errorf("experiment: depth N = %d must be ≥ 1", N)
		}
	}
	if c.Width < 1 {
		return fmt.Errorf("experiment: hidden width %d must be ≥ 1", c.Width)
	}
	if c.Phi == nil {
		return fmt.Errorf("experiment: no target Φ")
	}
	if r, d0 := c.Phi.Dims(); r != 1 || d0 < 1 {
		return fmt.Errorf("experiment: Φ must be 1×d_0 (scalar regression), got %d×%d", r, d0)
	}
	for _, in := range c.Inits {
		if in != InitGaussian && in != InitBalanced {
			return fmt.Errorf("experiment: unknown initialisation %q (want %s or %s)", in, InitGaussian, InitBalanced)
		}
	}
	for _, s := range c.Stds {
		if !(s > 0) || math.IsInf(s, 0) {
			return fmt.Errorf("experiment: std %v must be finite and > 0", s)
		}
	}
	for _, e := range c.Etas {
		if !(e > 0) || math.IsInf(e, 0) {
			return fmt.Errorf("experiment: η %v must be finite and > 0", e)
		}
	}
	if !(c.Epsilon > 0) || c.MaxIter < 1 {
		return fmt.Errorf("experiment: need ε > 0 and an iteration cap ≥ 1")
	}
	return nil
}

func (c *Fig1Config) dims(N int) []int {
	_, d0 := c.Phi.Dims()
	d := make([]int, N+1)
	d[0] = d0
	for j := 1; j < N; j++ {
		d[j] = c.Width
	}
	d[N] = 1
	return d
}

// pointSeed derives a point's seed from the run seed and the point's
// coordinates only, so results do not depend on scheduling.
func pointSeed(seed uint64, depth int, init string, stdIndex int) uint64 {
	x := seed ^ 0x6a09e667f3bcc909
	mix := func(v uint64) {
		x ^= v
		x += 0x9e3779b97f4a7c15
		x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9
		x = (x ^ (x >> 27)) * 0x94d049bb133111eb
		x ^= x >> 31
	}
	mix(uint64(depth))
	for _, r := range init {
		mix(uint64(r))
	}
	mix(uint64(stdIndex))
	return x
}

// NewInit draws a start for the given initialisation.
func NewInit(init string, dims []int, std float64, seed uint64) (*model.Net, error) {
	rng := model.NewRand(seed)
	switch init {
	case InitGaussian:
		return model.Gaussian(dims, std, rng)
	case InitBalanced:
		return model.BalancedGaussian(dims, std, rng, true)
	}
	return nil, fmt.Errorf("experiment: unknown initialisation %q", init)
}

// train runs GD on n in place with step eta for at most limit steps
// through the one run loop (model.RunContext): ℓ(t) is the loss of
// iterate t, the run stops at the first t with ℓ(t) ≤ eps (Iters = Steps =
// t) or at the first diverged iterate, and the stall and plateau aborts
// below are an Observer that stops the run at the iterate it checks.
func train(ctx context.Context, st model.Stepper, n *model.Net, phi mat.Matrix, eta float64, limit int, eps float64, capIsBest, stallAbort bool) (EtaRun, error) {
	r := EtaRun{Eta: eta, Iters: -1, Monotone: true}
	var l0, prev, minOld, minNew float64
	nextCheck := 1000
	pHalf := 0.0 // alignment ⟨W_{1:N}, Φ⟩ at the previous check
	Nf := float64(n.N())
	// A loss "increase" within 64 ulps is rounding on a flat plateau.
	const monoTol = 64 * linalg.MachEps
	abort := ""
	observe := func(t int, lt float64, n *model.Net) bool {
		if t == 0 {
			l0, prev, minOld, minNew = lt, lt, lt, lt
		}
		if lt > prev*(1+monoTol) {
			r.Monotone = false
		}
		prev = lt
		minNew = math.Min(minNew, lt)
		if t != nextCheck {
			return false
		}
		if stallAbort && !r.Monotone && minNew > (1-1e-3)*minOld {
			abort = OutStalled
			return true
		}
		if stallAbort && r.Monotone && n.N() >= 3 && lt > l0/2 && t < limit {
			// Progress along the target, computed directly (ℓ(0) − ℓ(t)
			// is below rounding for tiny starts).
			p := alignment(n, phi)
			if t >= 16000 && p > 0 && pHalf > 0 {
				rho := math.Log(p/pHalf) / float64(t/2) // d ln p/dt over (t/2, t]
				if !(Nf/((Nf-2)*rho) <= 20*float64(limit-t)) {
					abort = OutPlateau
					return true
				}
			}
			pHalf = p
		}
		minOld, minNew, nextCheck = math.Min(minOld, minNew), math.Inf(1), 2*nextCheck
		return false
	}
	res, err := model.RunContext(ctx, st, n, phi, model.RunConfig{Eta: eta, MaxSteps: limit, Epsilon: eps, Observe: observe})
	if err != nil {
		return r, err
	}
	r.Steps, r.FinalLoss = res.Steps, res.FinalLoss
	switch res.Status {
	case model.StatusConverged:
		r.Outcome, r.Iters = OutConverged, res.HitStep
	case model.StatusDiverged:
		r.Outcome = OutDiverged
	case model.StatusStopped:
		r.Outcome = abort
	default:
		r.Outcome = OutMaxIter
		if capIsBest {
			r.Outcome = OutBeaten
		}
	}
	return r, nil
}

// alignment is ⟨W_{1:N}, Φ⟩, the progress along the target; near the
// origin ℓ(0) − ℓ(t) ≈ alignment(t) − alignment(0).
func alignment(n *model.Net, phi mat.Matrix) float64 {
	w := n.Product()
	s := 0.0
	_, c := w.Dims()
	for j := 0; j < c; j++ {
		s += w.At(0, j) * phi.At(0, j)
	}
	return s
}

// searchPoint runs the η search of one grid point.
func searchPoint(ctx context.Context, cfg *Fig1Config, st model.Stepper, depth int, init string, std float64, seed uint64) (Point, error) {
	start := time.Now()
	p := Point{Depth: depth, Init: init, Std: std, Seed: seed, BestEta: math.NaN(), Iterations: -1}
	n0, err := NewInit(init, cfg.dims(depth), std, seed)
	if err != nil {
		return p, err
	}
	if p.InitLoss, err = model.Loss(n0, cfg.Phi); err != nil {
		return p, err
	}
	etas := sortedDesc(cfg.Etas)
	stop, monotoneRuns := false, 0
	for _, eta := range etas {
		if stop {
			p.Runs = append(p.Runs, EtaRun{Eta: eta, Outcome: OutSkipped, Iters: -1, FinalLoss: math.NaN()})
			continue
		}
		limit, capIsBest := cfg.MaxIter, false
		if p.Converged && p.Iterations < limit {
			// Strictly faster than the best so far means ℓ(t) ≤ ε for some
			// t < best, so best steps decide it (ties keep the larger η).
			limit, capIsBest = p.Iterations-1, true
		}
		n := n0.Clone()
		var r EtaRun
		if limit < 0 {
			r = EtaRun{Eta: eta, Outcome: OutBeaten, Iters: -1, FinalLoss: math.NaN()}
		} else if r, err = train(ctx, st, n, cfg.Phi, eta, limit, cfg.Epsilon, capIsBest, !cfg.Exhaustive); err != nil {
			return p, err
		}
		p.Runs = append(p.Runs, r)
		if r.Outcome == OutConverged {
			p.Converged, p.BestEta, p.Iterations = true, eta, r.Iters
		}
		if r.Outcome != OutDiverged && r.Monotone && r.Steps > 0 {
			monotoneRuns++
		} else {
			monotoneRuns = 0
		}
		if !cfg.Exhaustive && (monotoneRuns >= 2 || r.Outcome == OutPlateau) {
			stop = true
		}
	}
	p.Seconds = time.Since(start).Seconds()
	return p, nil
}

func sortedDesc(xs []float64) []float64 {
	out := append([]float64(nil), xs...)
	for i := 1; i < len(out); i++ {
		for j := i; j > 0 && out[j] > out[j-1]; j-- {
			out[j], out[j-1] = out[j-1], out[j]
		}
	}
	return out
}

// RunFig1 runs the grid on cfg.Workers goroutines. The result is a pure
// function of the configuration (seed included), not of the worker count.
func RunFig1(ctx context.Context, cfg Fig1Config) (Fig1Result, error) {
	res := Fig1Result{Config: cfg}
	if err := cfg.Validate(); err != nil {
		return res, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	newStepper := cfg.NewStepper
	if newStepper == nil {
		newStepper = func() model.Stepper { return model.NewFast() }
	}
	res.Impl = newStepper().Name()
	res.Workers = workers
	type job struct {
		idx, depth, si int
		init           string
	}
	var jobs []job
	// Deeper nets first: they are the slow ones, so the pool drains evenly.
	depths := append([]int(nil), cfg.Depths...)
	for i := 1; i < len(depths); i++ {
		for j := i; j > 0 && depths[j] > depths[j-1]; j-- {
			depths[j], depths[j-1] = depths[j-1], depths[j]
		}
	}
	for _, N := range depths {
		for _, in := range cfg.Inits {
			for si := range cfg.Stds {
				jobs = append(jobs, job{len(jobs), N, si, in})
			}
		}
	}
	res.Points = make([]Point, len(jobs))
	start := time.Now()
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	ch := make(chan job)
	var wg sync.WaitGroup
	var mu sync.Mutex
	var firstErr error
	done := 0
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := newStepper()
			for jb := range ch {
				p, err := searchPoint(ctx, &cfg, st, jb.depth, jb.init, cfg.Stds[jb.si], pointSeed(cfg.Seed, jb.depth, jb.init, jb.si))
				mu.Lock()
				if err != nil && firstErr == nil {
					firstErr = err
					cancel()
				}
				res.Points[jb.idx] = p
				done++
				if err == nil && cfg.Progress != nil {
					fmt.Fprintf(cfg.Progress, "[%3d/%d %6.0fs] N=%d %-8s s=%-9.3g %s\n", done, len(jobs), time.Since(start).Seconds(), p.Depth, p.Init, p.Std, p.summary())
				}
				mu.Unlock()
			}
		}()
	}
	for _, jb := range jobs {
		if ctx.Err() != nil {
			break
		}
		ch <- jb
	}
	close(ch)
	wg.Wait()
	res.Seconds = time.Since(start).Seconds()
	if firstErr != nil {
		return res, firstErr
	}
	return res, ctx.Err()
}

func (p Point) summary() string {
	if p.Converged {
		return fmt.Sprintf("converged in %d iterations at η=%.3g (%.1fs)", p.Iterations, p.BestEta, p.Seconds)
	}
	worst := ""
	for _, r := range p.Runs {
		if r.Outcome != OutSkipped {
			worst += r.Outcome[:3] + " "
		}
	}
	return fmt.Sprintf("no convergence [%s] (%.1fs)", worst, p.Seconds)
}

// LogSpace returns k log-spaced values from lo to hi inclusive.
func LogSpace(lo, hi float64, k int) []float64 {
	if k == 1 {
		return []float64{lo}
	}
	out := make([]float64, k)
	a, b := math.Log10(lo), math.Log10(hi)
	for i := range out {
		out[i] = math.Pow(10, a+(b-a)*float64(i)/float64(k-1))
	}
	return out
}

// QuickStds, FullStds, … are the grids of `fig1` and `fig1 --quick`.
var (
	FullStds  = LogSpace(1e-10, 100, 25) // half-decade steps
	FullEtas  = LogSpace(1e-4, 1, 9)     // half-decade steps
	QuickStds = LogSpace(1e-6, 10, 9)    // 7/8-decade steps
	QuickEtas = LogSpace(1e-4, 1, 5)     // decades
)

// Quick-grid cap: 1e5 instead of the paper's 1e6.
const (
	FullMaxIter  = 1_000_000
	QuickMaxIter = 100_000
)
