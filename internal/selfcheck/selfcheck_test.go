package selfcheck

import (
	"os"
	"strconv"
	"testing"
	"time"
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
