package model_test

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/internal/selfcheck"
	"github.com/dlnverify/dlnverify/model"
)

// batchLike is what the reuse test drives: model.Batch, or a planted
// wrapper around it.
type batchLike interface {
	Set(lane int, n *model.Net, phi mat.Matrix, eta float64) error
	Clear(lane int) error
	Step(loss []float64) error
	Net(lane int) (*model.Net, error)
}

// batchReuse drives one Batch of shape dims with B lanes through `rounds`
// rounds; before each Step every lane is kept, Set anew (a fresh target
// passed as a random Φ type) or Cleared, as draw decides. After each Step, every active lane is compared
// with model.Reference stepped from the same state (one-step tiers,
// selfcheck.OneStepTiers), and re-Set to Reference's state. It returns ""
// or the first disagreement.
func batchReuse(b batchLike, dims []int, B, rounds int, seed uint64, draw func(what string, n int) int) string {
	rng := model.NewRand(seed)
	N := len(dims) - 1
	type lane struct {
		on   bool
		net  *model.Net
		phi  mat.Matrix
		kind phiKind
		tt   selfcheck.Tiers
	}
	lanes := make([]lane, B)
	var kinds []phiKind
	for _, k := range reuseKinds {
		if k.fits(dims[N], dims[0]) {
			kinds = append(kinds, k)
		}
	}
	fresh := func(q int) string {
		n, err := model.Gaussian(dims, 0.7/math.Sqrt(float64(max(dims[0], dims[N]))), rng)
		if err != nil {
			return err.Error()
		}
		k := kinds[draw("kind", len(kinds))]
		phi := phiAs(k, model.GaussianMatrix(dims[N], dims[0], 1/math.Sqrt(float64(max(dims[0], dims[N]))), rng))
		tt, err := selfcheck.OneStepTiers(n, phi)
		if err != nil {
			return err.Error()
		}
		lanes[q] = lane{on: true, net: n, phi: phi, kind: k, tt: tt}
		if err := b.Set(q, n, phi, tt.Eta); err != nil {
			return fmt.Sprintf("Set lane %d: %v", q, err)
		}
		return ""
	}
	loss := make([]float64, B)
	for round := 0; round < rounds; round++ {
		for q := range lanes {
			switch op := draw("op", 4); {
			case op == 1 || !lanes[q].on && op != 2:
				if msg := fresh(q); msg != "" {
					return msg
				}
			case op == 2:
				if err := b.Clear(q); err != nil {
					return err.Error()
				}
				lanes[q].on = false
			}
		}
		if err := b.Step(loss); err != nil {
			return err.Error()
		}
		for q, l := range lanes {
			what := fmt.Sprintf("round %d, lane %d of %d, dims %v, Φ as %v", round, q, B, dims, l.kind)
			if !l.on {
				if !math.IsNaN(loss[q]) {
					return fmt.Sprintf("%s: idle lane reported loss %v, want NaN", what, loss[q])
				}
				continue
			}
			ref := l.net.Clone()
			lr, err := model.Reference{}.Step(ref, l.phi, l.tt.Eta)
			if err != nil {
				return err.Error()
			}
			if d := math.Abs(lr - loss[q]); !(d <= l.tt.Loss(lr)) {
				return fmt.Sprintf("%s: pre-step loss %.17g (Reference) vs %.17g (Batch), |Δ| %.3g > tier %.3g", what, lr, loss[q], d, l.tt.Loss(lr))
			}
			got, err := b.Net(q)
			if err != nil {
				return err.Error()
			}
			if d := selfcheck.Dist(ref, got); !(d <= l.tt.W) {
				return fmt.Sprintf("%s: layers after the step differ by %.3g > tier %.3g", what, d, l.tt.W)
			}
			tt, err := selfcheck.OneStepTiers(ref, l.phi)
			if err != nil {
				return err.Error()
			}
			lanes[q].net, lanes[q].tt = ref, tt
			if err := b.Set(q, ref, l.phi, tt.Eta); err != nil {
				return err.Error()
			}
		}
	}
	return ""
}

// TestBatchReuseAcrossTargetsAndTypes: rapid draws a shape, a lane count
// (padding included) and the sequence of Set/Clear/keep per lane; one Batch
// serves the whole sequence.
func TestBatchReuseAcrossTargetsAndTypes(t *testing.T) {
	rapidtb.CheckT(t, func(rt *rapid.T) {
		dims := rapid.SampledFrom(reuseShapes).Draw(rt, "dims")
		B := rapid.IntRange(1, 11).Draw(rt, "lanes")
		b, err := model.NewBatch(dims, B)
		if err != nil {
			rt.Fatal(err)
		}
		seed := rapid.Uint64().Draw(rt, "seed")
		draw := func(what string, n int) int { return rapid.IntRange(0, n-1).Draw(rt, what) }
		if msg := batchReuse(b, dims, B, 8, seed, draw); msg != "" {
			rt.Fatal(msg)
		}
	})
}

// staleBatch is a planted fault: Set keeps the first non-*mat.Dense Φ a
// lane was given (a stale per-lane copy).
type staleBatch struct {
	*model.Batch
	kept map[int]mat.Matrix
}

func (s *staleBatch) Set(lane int, n *model.Net, phi mat.Matrix, eta float64) error {
	if _, dense := phi.(*mat.Dense); !dense {
		if old, ok := s.kept[lane]; ok {
			phi = old
		} else {
			s.kept[lane] = phi
		}
	}
	return s.Batch.Set(lane, n, phi, eta)
}

// TestBatchReuseSeesStalePhi: the same driver catches the stale per-lane
// Φ, by its tier.
func TestBatchReuseSeesStalePhi(t *testing.T) {
	caught := 0
	for seed := uint64(0); seed < 5; seed++ {
		dims := reuseShapes[int(seed)%len(reuseShapes)]
		b, err := model.NewBatch(dims, 3)
		require.NoError(t, err)
		r := model.NewRand(seed)
		draw := func(_ string, n int) int { return r.IntN(n) }
		msg := batchReuse(&staleBatch{Batch: b, kept: map[int]mat.Matrix{}}, dims, 3, 8, seed, draw)
		if msg != "" {
			require.True(t, strings.Contains(msg, "tier"), "caught for another reason: %s", msg)
			caught++
			t.Logf("caught: %s", msg)
		}
	}
	require.Equal(t, 5, caught, "stale per-lane Φ not caught on every seed")
}
