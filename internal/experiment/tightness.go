package experiment

import (
	"context"
	"fmt"
	"math"
	"runtime"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// TightnessConfig configures the measurement of how conservative Theorem
// 1's constants are.
type TightnessConfig struct {
	Cases   int     // random cases meeting Theorem 1's hypotheses
	Seed    uint64  // cases depend on it only
	Epsilon float64 // target loss ε of T1's conclusion
	// Budget is the most GD steps one trial may take. T1's horizon at η
	// must fit in it, which fixes the smallest η multiple that can be
	// tested (the theorem's own η needs ~1e8 steps and more).
	Budget   int
	Workers  int // ≤ 0: runtime.NumCPU()
	Progress func(string)
	// NewStepper makes one GD implementation per worker (nil: model.Fast).
	NewStepper func() model.Stepper
}

// TightCase is one random case and what GD tolerates on it.
type TightCase struct {
	Index      int     `json:"index"`
	Seed       uint64  `json:"seed"`
	N          int     `json:"depth"`
	Dims       []int   `json:"dims"`
	PhiF       float64 `json:"phi_frobenius"`
	SigmaMinPh float64 `json:"sigma_min_phi"`
	SigmaMaxPh float64 `json:"sigma_max_phi"`
	C          float64 `json:"margin"`
	Loss0      float64 `json:"initial_loss"`
	EtaBound   float64 `json:"eta_bound"`   // T1's η*
	DeltaBound float64 `json:"delta_bound"` // T1's δ*
	Holds      bool    `json:"hypotheses_hold"`
	// EtaMultiple is the largest m found with T1's conclusion holding at
	// η = m·η* (0-balanced start): ℓ(t) ≤ ε for some t ≤ Horizon(η).
	// EtaFloor is the smallest multiple whose horizon fits the budget (the
	// search starts there); EtaCapped means no failure was found below
	// EtaCeil.
	EtaMultiple float64 `json:"eta_multiple"`
	EtaFloor    float64 `json:"eta_floor"`
	EtaStatus   string  `json:"eta_status"`
	// EtaStability is 2/(N σ_max(Φ)^{2(N−1)/N}) / η*: the classical GD
	// stability limit at the balanced optimum, as a multiple of η*.
	EtaStability float64 `json:"eta_stability_multiple"`
	// DeltaMultiple is the largest k with T1's conclusion holding from a
	// start of imbalance k·δ* (same product, so same margin) at η = DeltaEta.
	DeltaMultiple float64 `json:"delta_multiple"`
	DeltaEta      float64 `json:"delta_eta"`
	DeltaStatus   string  `json:"delta_status"`
	Trials        int     `json:"trials"`
	Seconds       float64 `json:"seconds"`
}

// Search outcomes.
const (
	TightBracketed = "bracketed" // a success and a failure were found and bisected
	TightNoFail    = "no_failure_found"
	TightNoSuccess = "no_success_at_floor"
)

const (
	etaCeil   = 1e12 // multiples of η* searched up to this
	deltaCeil = 1e12
	bisectTol = 0.02 // relative width of the final bracket
)

// TightnessCase builds case i: N ∈ {2,3,4}, d_0, d_N ∈ {1,2,3}, hidden
// widths max(d_0, d_N) (+1 at random), Φ with singular values in [0.5, 1]
// scaled to ‖Φ‖_F = 1, a start A = Φ + E with ‖E‖_F = σ_min(Φ) − c for
// c = f·σ_min(Φ), f ∈ [0.3, 0.8], laid out by Procedure 1 (0-balanced).
func TightnessCase(seed uint64, i int) (*model.Net, *mat.Dense, float64, error) {
	s := pointSeed(seed, i, "tightness", i)
	rng := model.NewRand(s)
	N := 2 + rng.IntN(3)
	d0, dN := 1+rng.IntN(3), 1+rng.IntN(3)
	dims := make([]int, N+1)
	dims[0], dims[N] = d0, dN
	for j := 1; j < N; j++ {
		dims[j] = max(d0, dN) + rng.IntN(2)
	}
	r := min(d0, dN)
	sv := make([]float64, r)
	for k := range sv {
		sv[k] = 0.5 + 0.5*rng.Float64()
	}
	phi, err := linalg.FromSingularValues(dN, d0, sv, rng)
	if err != nil {
		return nil, nil, 0, err
	}
	phi.Scale(1/mat.Norm(phi, 2), phi)
	smin := invariants.SigmaMin(phi)
	c := (0.3 + 0.5*rng.Float64()) * smin
	e := model.GaussianMatrix(dN, d0, 1, rng)
	e.Scale((smin-c)/mat.Norm(e, 2), e)
	var a mat.Dense
	a.Add(phi, e)
	n, err := model.Balanced(&a, dims, rng)
	if err != nil {
		return nil, nil, 0, err
	}
	return n, phi, c, nil
}

// linearToEps reports whether GD from n at step eta reaches ℓ ≤ eps within
// T1's horizon log(ℓ(0)/ε)/(η c^{2(N−1)/N}) without diverging.
func linearToEps(st model.Stepper, n *model.Net, phi mat.Matrix, eta, c, eps float64) (bool, error) {
	l0, err := model.Loss(n, phi)
	if err != nil {
		return false, err
	}
	h := invariants.Horizon(l0, eps, eta, c, n.N())
	res, err := model.Run(st, n.Clone(), phi, model.RunConfig{Eta: eta, MaxSteps: int(math.Ceil(h)), Epsilon: eps})
	if err != nil {
		return false, err
	}
	return res.Status == model.StatusConverged, nil
}

// largestMultiple finds the largest m in [floor, ceil] with ok(m), assuming
// ok is true up to a threshold: ×10 expansion from floor, then bisection
// in log m to a relative bracket of bisectTol.
func largestMultiple(ctx context.Context, floor, ceil float64, ok func(float64) (bool, error)) (float64, string, int, error) {
	trials := 1
	good, err := ok(floor)
	if err != nil || !good {
		return 0, TightNoSuccess, trials, err
	}
	lo, hi := floor, 0.0
	for m := floor * 10; m <= ceil; m *= 10 {
		if ctx.Err() != nil {
			return 0, "", trials, ctx.Err()
		}
		trials++
		g, err := ok(m)
		if err != nil {
			return 0, "", trials, err
		}
		if !g {
			hi = m
			break
		}
		lo = m
	}
	if hi == 0 {
		return lo, TightNoFail, trials, nil
	}
	for hi/lo > 1+bisectTol {
		if ctx.Err() != nil {
			return 0, "", trials, ctx.Err()
		}
		mid := math.Sqrt(lo * hi)
		trials++
		g, err := ok(mid)
		if err != nil {
			return 0, "", trials, err
		}
		if g {
			lo = mid
		} else {
			hi = mid
		}
	}
	return lo, TightBracketed, trials, nil
}

func measureCase(ctx context.Context, cfg TightnessConfig, st model.Stepper, i int) (TightCase, error) {
	start := time.Now()
	tc := TightCase{Index: i, Seed: cfg.Seed}
	n, phi, c, err := TightnessCase(cfg.Seed, i)
	if err != nil {
		return tc, err
	}
	// The construction gives margin c up to rounding; test the theorem at
	// the measured margin (never above it).
	_ = c
	h := invariants.CheckTheorem1(n, phi, 0, 0)
	h = invariants.CheckTheorem1(n, phi, h.EtaBound, 0)
	tc.N, tc.Dims, tc.PhiF, tc.SigmaMinPh, tc.C = h.N, h.Dims, h.PhiF, h.SigmaMinPh, h.C
	tc.EtaBound, tc.DeltaBound, tc.Holds = h.EtaBound, h.DeltaBound, h.Holds()
	tc.SigmaMaxPh = invariants.SpectralNorm(phi)
	if !tc.Holds {
		return tc, fmt.Errorf("tightness case %d does not meet Theorem 1's hypotheses: %+v", i, h)
	}
	if tc.Loss0, err = model.Loss(n, phi); err != nil {
		return tc, err
	}
	Nf := float64(tc.N)
	tc.EtaStability = 2 / (Nf * math.Pow(tc.SigmaMaxPh, 2*(Nf-1)/Nf)) / tc.EtaBound
	// Smallest power-of-ten multiple whose T1 horizon fits the budget.
	h1 := invariants.Horizon(tc.Loss0, cfg.Epsilon, tc.EtaBound, tc.C, tc.N)
	tc.EtaFloor = math.Pow(10, math.Ceil(math.Log10(math.Max(h1/float64(cfg.Budget), 1))))
	var trials int
	_, batched := st.(*model.Fast) // Fast's trials run in lanes of a model.Batch (tightbatch.go)
	// 8 lanes: a depth-3 tree (7 midpoints per round); deeper trees spend
	// most of the batch on midpoints the search never visits (measured: 32
	// lanes 0.7–3.2 s, 8 lanes 0.8–1.7 s, sequential 3.5–7 s per case at a
	// 2·10⁶-step budget).
	const lanes = 8
	if batched {
		tc.EtaMultiple, tc.EtaStatus, trials, err = largestMultipleBatch(ctx, tc.EtaFloor, etaCeil, lanes, func(ms []float64) ([]bool, error) {
			starts, etas := make([]*model.Net, len(ms)), make([]float64, len(ms))
			for q, m := range ms {
				starts[q], etas[q] = n, m*tc.EtaBound
			}
			return linearToEpsLanes(starts, phi, etas, tc.C, cfg.Epsilon)
		})
	} else {
		tc.EtaMultiple, tc.EtaStatus, trials, err = largestMultiple(ctx, tc.EtaFloor, etaCeil, func(m float64) (bool, error) {
			return linearToEps(st, n, phi, m*tc.EtaBound, tc.C, cfg.Epsilon)
		})
	}
	tc.Trials += trials
	if err != nil {
		return tc, err
	}
	// δ search at the floor step size, from starts with the same product.
	tc.DeltaEta = tc.EtaFloor * tc.EtaBound
	// One perturbation direction per case: trials differ only in its size.
	pseed := pointSeed(cfg.Seed, i, "delta", i)
	perturbed := func(k float64) *model.Net {
		m, err := model.PerturbImbalance(n, k*tc.DeltaBound, model.NewRand(pseed))
		if err != nil {
			return nil // out of reach of the perturbation: counts as a failure
		}
		return m
	}
	if batched {
		tc.DeltaMultiple, tc.DeltaStatus, trials, err = largestMultipleBatch(ctx, 1, deltaCeil, lanes, func(ks []float64) ([]bool, error) {
			starts, etas := make([]*model.Net, len(ks)), make([]float64, len(ks))
			for q, k := range ks {
				starts[q], etas[q] = perturbed(k), tc.DeltaEta
			}
			return linearToEpsLanes(starts, phi, etas, tc.C, cfg.Epsilon)
		})
	} else {
		tc.DeltaMultiple, tc.DeltaStatus, trials, err = largestMultiple(ctx, 1, deltaCeil, func(k float64) (bool, error) {
			m := perturbed(k)
			if m == nil {
				return false, nil
			}
			return linearToEps(st, m, phi, tc.DeltaEta, tc.C, cfg.Epsilon)
		})
	}
	tc.Trials += trials
	tc.Seconds = time.Since(start).Seconds()
	return tc, err
}

// Validate reports an inconsistent configuration (cases < 1, ε ≤ 0 or
// NaN, budget < 1), as RunTightness does before running.
func (cfg TightnessConfig) Validate() error {
	if cfg.Cases < 1 || !(cfg.Epsilon > 0) || cfg.Budget < 1 {
		return fmt.Errorf("experiment: tightness needs cases ≥ 1, ε > 0 and a step budget ≥ 1")
	}
	return nil
}

// RunTightness measures every case, cfg.Workers at a time; the result does
// not depend on the worker count.
func RunTightness(ctx context.Context, cfg TightnessConfig) ([]TightCase, error) {
	if err := cfg.Validate(); err != nil {
		return nil, err
	}
	workers := cfg.Workers
	if workers <= 0 {
		workers = runtime.NumCPU()
	}
	newStepper := cfg.NewStepper
	if newStepper == nil {
		newStepper = func() model.Stepper { return model.NewFast() }
	}
	out := make([]TightCase, cfg.Cases)
	errs := make([]error, cfg.Cases)
	ch := make(chan int)
	var wg sync.WaitGroup
	var mu sync.Mutex
	for w := 0; w < workers; w++ {
		wg.Add(1)
		go func() {
			defer wg.Done()
			st := newStepper()
			for i := range ch {
				out[i], errs[i] = measureCase(ctx, cfg, st, i)
				if cfg.Progress != nil && errs[i] == nil {
					mu.Lock()
					tc := out[i]
					cfg.Progress(fmt.Sprintf("case %d: N=%d dims=%v c=%.3g: η up to %.3g·η* (%s), δ up to %.3g·δ* (%s), %d trials, %.1fs",
						i, tc.N, tc.Dims, tc.C, tc.EtaMultiple, tc.EtaStatus, tc.DeltaMultiple, tc.DeltaStatus, tc.Trials, tc.Seconds))
					mu.Unlock()
				}
			}
		}()
	}
	for i := 0; i < cfg.Cases; i++ {
		ch <- i
	}
	close(ch)
	wg.Wait()
	for _, e := range errs {
		if e != nil {
			return out, e
		}
	}
	return out, nil
}
