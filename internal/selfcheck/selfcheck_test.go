package selfcheck

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

func TestPublicAgreesWithReferences(t *testing.T) {
	rep := Check(Public(), 20190501)
	for _, f := range rep.Failures {
		t.Error(f)
	}
	t.Logf("%d comparisons: %v", rep.Checks, rep.PerMeas)
}

// TestReferencesManySeeds runs the reference route on fresh random inputs:
// 20 seeds from DLNVERIFY_SELFCHECK_SEED (default: random), each printed
// with its replay command on failure.
func TestReferencesManySeeds(t *testing.T) {
	base := uint64(time.Now().UnixNano())
	if s := os.Getenv("DLNVERIFY_SELFCHECK_SEED"); s != "" {
		v, err := strconv.ParseUint(s, 10, 64)
		if err != nil {
			t.Fatalf("DLNVERIFY_SELFCHECK_SEED=%q: %v", s, err)
		}
		base = v
	}
	n := 20
	if s := os.Getenv("DLNVERIFY_SELFCHECK_SEEDS"); s != "" {
		n, _ = strconv.Atoi(s)
	}
	for k := 0; k < n; k++ {
		seed := base + uint64(k)
		rep := Check(Public(), seed)
		for _, f := range rep.Failures {
			t.Errorf("seed %d: %v\nreplay: DLNVERIFY_SELFCHECK_SEED=%d DLNVERIFY_SELFCHECK_SEEDS=1 go test ./internal/selfcheck/ -run TestReferencesManySeeds", seed, f, seed)
		}
	}
}

func TestCore(t *testing.T) {
	r := Core(20190501)
	if !r.OK() {
		t.Fatalf("core self-check failed: %s", r.Summary())
	}
	t.Logf("%s in %v", r.Summary(), r.Elapsed)
}

// TestCoreSeesStaleState: Core's differential run fails, by its tier, on a
// stepper that keeps a stale copy of Φ per shape (state kept between calls).
func TestCoreSeesStaleState(t *testing.T) {
	steps, fails := coreDifferential(&stale{f: model.NewFast(), seen: map[string]*mat.Dense{}}, 1)
	if len(fails) == 0 {
		t.Fatalf("stale-Φ stepper not caught in %d steps", steps)
	}
	if !strings.Contains(fails[0], "tier") {
		t.Fatalf("caught for another reason: %s", fails[0])
	}
	t.Logf("caught in %d of %d steps; first: %s", len(fails), steps, fails[0])
}

type stale struct {
	f    *model.Fast
	seen map[string]*mat.Dense
}

func (s *stale) Name() string { return "stale(bug)" }
func (s *stale) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	k := fmt.Sprint(n.Dims())
	if c, ok := s.seen[k]; ok {
		return s.f.Step(n, c, eta)
	}
	s.seen[k] = mat.DenseCopyOf(phi)
	return s.f.Step(n, phi, eta)
}
