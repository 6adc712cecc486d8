package model

import (
	"fmt"
	"math"
	"time"
)

// StepRate is a measured GD step rate on this machine for one network
// shape: the horizon planner's input. Rates are wall-clock, one goroutine.
type StepRate struct {
	Dims      []int
	Impl      string  // the single-case Stepper's Name
	PerSecond float64 // single-case GD steps per second
	// BatchLanes and BatchPerSecond: a Batch of BatchLanesFor(Dims) lanes,
	// in case-steps per second (each lane's step counts once).
	BatchLanes     int
	BatchPerSecond float64
}

// MeasureStepRate times impl and a Batch on a random network of shape dims
// (Gaussian, seed 1, η = 10⁻¹² so the weights stay put) for about budget
// each, after one warm-up step, and returns the rates. A short budget
// (0.05–0.2 s) is enough for a planning estimate; on a loaded machine the
// figures are lower bounds. Errors: invalid dims, budget ≤ 0, a failing
// step.
func MeasureStepRate(impl Stepper, dims []int, budget time.Duration) (StepRate, error) {
	r := StepRate{Dims: append([]int(nil), dims...)}
	if impl == nil {
		return r, fmt.Errorf("model: MeasureStepRate needs an implementation")
	}
	if err := checkDims(dims); err != nil {
		return r, err
	}
	if budget <= 0 {
		return r, fmt.Errorf("model: calibration budget %v must be positive", budget)
	}
	r.Impl = impl.Name()
	rng := NewRand(1)
	n, err := Gaussian(dims, 1/math.Sqrt(float64(dims[0])), rng)
	if err != nil {
		return r, err
	}
	phi := GaussianMatrix(dims[len(dims)-1], dims[0], 1, rng)
	const eta = 1e-12
	r.PerSecond, err = calibrate(budget, func() error { _, err := impl.Step(n, phi, eta); return err })
	if err != nil {
		return r, err
	}
	r.BatchLanes = BatchLanesFor(dims)
	b, err := NewBatch(dims, r.BatchLanes)
	if err != nil {
		return r, err
	}
	for q := 0; q < r.BatchLanes; q++ {
		if err := b.Set(q, n, phi, eta); err != nil {
			return r, err
		}
	}
	loss := make([]float64, r.BatchLanes)
	perStep, err := calibrate(budget, func() error { return b.Step(loss) })
	r.BatchPerSecond = perStep * float64(r.BatchLanes)
	return r, err
}

// calibrate runs step in doubling rounds until a round takes at least a
// quarter of budget, then one round scaled to budget, and returns calls per
// second of that last round.
func calibrate(budget time.Duration, step func() error) (float64, error) {
	if err := step(); err != nil { // warm-up: workspaces, caches
		return 0, err
	}
	k := 1
	for {
		t0 := time.Now()
		for i := 0; i < k; i++ {
			if err := step(); err != nil {
				return 0, err
			}
		}
		el := time.Since(t0)
		if el >= budget/4 || k >= 1<<30 {
			k = max(1, int(float64(k)*float64(budget)/float64(max(el, time.Nanosecond))))
			break
		}
		k *= 2
	}
	t0 := time.Now()
	for i := 0; i < k; i++ {
		if err := step(); err != nil {
			return 0, err
		}
	}
	return float64(k) / time.Since(t0).Seconds(), nil
}

// WallTime is the time in seconds that steps GD steps take at the measured
// rates: one case alone, and per case when BatchLanes cases of this shape
// run together in a Batch (so BatchLanes cases of steps steps each take
// BatchLanes·perCaseBatched). It returns NaN seconds for a steps value that is negative or not finite
// (an undefined T(ε)) or a rate that was not measured.
func (r StepRate) WallTime(steps float64) (single, perCaseBatched float64) {
	if !(steps >= 0) || math.IsInf(steps, 0) {
		return math.NaN(), math.NaN()
	}
	single, perCaseBatched = math.NaN(), math.NaN()
	if r.PerSecond > 0 {
		single = steps / r.PerSecond
	}
	if r.BatchPerSecond > 0 {
		perCaseBatched = steps / r.BatchPerSecond
	}
	return single, perCaseBatched
}

// Summary is the planner's one-line report for a horizon of steps steps,
// e.g. "1.2e+09 steps: 9.5 min at 2.1e+06 steps/s (fast, measured); 1.1 min
// per case with 32 cases batched (1.9e+07 case-steps/s)". steps not finite
// or negative gives "undefined: no wall-time estimate".
func (r StepRate) Summary(steps float64) string {
	single, batched := r.WallTime(steps)
	if math.IsNaN(single) {
		return "undefined: no wall-time estimate"
	}
	s := fmt.Sprintf("%.3g steps: %s at %.3g steps/s (%s, measured)", steps, humanSeconds(single), r.PerSecond, r.Impl)
	if !math.IsNaN(batched) {
		s += fmt.Sprintf("; %s per case with %d cases batched (%.3g case-steps/s)", humanSeconds(batched), r.BatchLanes, r.BatchPerSecond)
	}
	return s
}

// humanSeconds formats a duration in seconds with a unit a reader plans
// by (s, min, h, days, years).
func humanSeconds(s float64) string {
	switch {
	case s < 60:
		return fmt.Sprintf("%.3g s", s)
	case s < 3600:
		return fmt.Sprintf("%.3g min", s/60)
	case s < 86400:
		return fmt.Sprintf("%.3g h", s/3600)
	case s < 365.25*86400:
		return fmt.Sprintf("%.3g days", s/86400)
	}
	return fmt.Sprintf("%.3g years", s/(365.25*86400))
}
