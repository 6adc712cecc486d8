package experiment

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// The tightness searches with model.Fast run their trials in the lanes of a
// model.Batch (issue 12 item 2): the ×10 expansion evaluates up to one
// batch of multiples at once, and the bisection a speculative tree of
// midpoints (depth ⌊log₂(lanes+1)⌋, 3 with measureCase's 8 lanes: every
// midpoint the sequential search could visit in that many steps), then
// walks the path the sequential search takes. The multiples tried on that path, the bracket, the status
// and the trial count are those of largestMultiple; a lane computes Fast's
// step to rounding (model's batch tests), so only a trial whose loss ends
// within rounding of ε could differ.

// okMany evaluates a trial predicate at every multiple of ms.
type okMany func(ms []float64) ([]bool, error)

// largestMultipleBatch is largestMultiple with speculative evaluation in
// batches of up to lanes trials.
func largestMultipleBatch(ctx context.Context, floor, ceil float64, lanes int, ok okMany) (float64, string, int, error) {
	trials := 1
	// Expansion: floor, then floor·10, floor·100, … ≤ ceil until the first
	// failure, in the sequential search's floating-point sequence.
	seq := []float64{floor}
	for m := floor * 10; m <= ceil; m *= 10 {
		seq = append(seq, m)
	}
	lo, hi := floor, 0.0
	for i := 0; i < len(seq) && hi == 0; i += lanes {
		if ctx.Err() != nil {
			return 0, "", trials, ctx.Err()
		}
		chunk := seq[i:min(i+lanes, len(seq))]
		got, err := ok(chunk)
		if err != nil {
			return 0, "", trials, err
		}
		for k, g := range got {
			if i+k == 0 {
				if !g {
					return 0, TightNoSuccess, trials, nil
				}
				continue
			}
			trials++
			if !g {
				hi = chunk[k]
				break
			}
			lo = chunk[k]
		}
	}
	if hi == 0 {
		return lo, TightNoFail, trials, nil
	}
	depth := 0
	for (1<<(depth+1))-1 <= lanes {
		depth++
	}
	for hi/lo > 1+bisectTol {
		if ctx.Err() != nil {
			return 0, "", trials, ctx.Err()
		}
		// The tree in heap order: node k < size has bracket br[k] and
		// midpoint √(lo·hi); its children are the brackets after a success
		// (2k+1) and after a failure (2k+2). Narrow brackets are leaves.
		type bracket struct {
			lo, hi float64
			valid  bool
		}
		size := (1 << depth) - 1
		br := make([]bracket, size)
		br[0] = bracket{lo, hi, true}
		var ms []float64
		var node []int
		for k := 0; k < size; k++ {
			b := br[k]
			if !b.valid || b.hi/b.lo <= 1+bisectTol {
				continue
			}
			mid := math.Sqrt(b.lo * b.hi)
			ms = append(ms, mid)
			node = append(node, k)
			if 2*k+2 < size {
				br[2*k+1] = bracket{mid, b.hi, true}
				br[2*k+2] = bracket{b.lo, mid, true}
			}
		}
		got, err := ok(ms)
		if err != nil {
			return 0, "", trials, err
		}
		res := make(map[int]bool, len(node))
		for i, k := range node {
			res[k] = got[i]
		}
		for k := 0; hi/lo > 1+bisectTol; {
			g, evaluated := res[k]
			if !evaluated {
				break
			}
			mid := math.Sqrt(lo * hi)
			trials++
			if g {
				lo, k = mid, 2*k+1
			} else {
				hi, k = mid, 2*k+2
			}
		}
	}
	return lo, TightBracketed, trials, nil
}

// linearToEpsLanes is linearToEps for several (start, η) trials of one
// shape at once: trial q runs GD from starts[q] at etas[q] in a lane of a
// model.Batch for its own T1 horizon, and reports whether ℓ(t) ≤ eps at
// some t ≤ ⌈horizon⌉ before any divergence (model.Run's rules, as
// linearToEps). A nil start is a failed trial that is not run.
func linearToEpsLanes(starts []*model.Net, phi mat.Matrix, etas []float64, c, eps float64) ([]bool, error) {
	out := make([]bool, len(starts))
	var dims []int
	for _, n := range starts {
		if n != nil {
			dims = n.Dims()
			break
		}
	}
	if dims == nil {
		return out, nil
	}
	lanes := model.BatchLanesFor(dims)
	for i0 := 0; i0 < len(starts); i0 += lanes {
		i1 := min(i0+lanes, len(starts))
		b, err := model.NewBatch(dims, i1-i0)
		if err != nil {
			return nil, err
		}
		limit := make([]int, i1-i0) // last iterate K_q = ⌈T1 horizon⌉
		running := 0
		for q := range limit {
			n := starts[i0+q]
			if n == nil {
				limit[q] = -1
				continue
			}
			l0, err := model.Loss(n, phi)
			if err != nil {
				return nil, err
			}
			limit[q] = int(math.Ceil(invariants.Horizon(l0, eps, etas[i0+q], c, n.N())))
			if err := b.Set(q, n, phi, etas[i0+q]); err != nil {
				return nil, err
			}
			if err := b.SetEpsilon(q, eps); err != nil {
				return nil, err
			}
			running++
		}
		loss := make([]float64, i1-i0)
		for t := 0; running > 0; t++ {
			if err := b.Step(loss); err != nil { // ℓ(t) of every lane
				return nil, err
			}
			for q, k := range limit {
				if k < 0 {
					continue
				}
				st, steps := b.State(q)
				switch {
				case st == model.LaneConverged:
					out[i0+q] = steps <= k
				case st == model.LaneDiverged:
				case t < k:
					continue // still running, ℓ(t) > ε
				}
				limit[q] = -1 // done: converged, diverged, or ℓ(K) > ε
				running--
				if err := b.Clear(q); err != nil {
					return nil, err
				}
			}
		}
	}
	return out, nil
}
