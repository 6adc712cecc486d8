package counterexamples

import (
	"errors"
	"flag"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/model"
)

// update rewrites the saved counterexamples under testdata/:
//
//	RAPID_SEED=1 go test ./counterexamples -run 'TestFalsify$' -update
//
// (a fixed seed keeps the files canonical: rapid's shrinker is heuristic and
// with another seed may stop at a larger step exponent, still a valid case)
//
// (or DLNVERIFY_UPDATE_COUNTEREXAMPLES=1).
var update = flag.Bool("update", false, "rewrite counterexamples/testdata/*.json from the searches")

func updating() bool {
	return *update || os.Getenv("DLNVERIFY_UPDATE_COUNTEREXAMPLES") == "1"
}

// expectedMode is the failure each search must end on.
var expectedMode = map[string]Mode{
	"drop-balance": Diverges,
	"drop-margin":  Floor,
	"drop-width":   Floor,
	"drop-step":    Diverges,
}

// maxShrunkSize bounds the size (N + Σ d_j) of each shrunk case: rapid must
// reach the minimal counterexample. Those are N = 2 with d = 1 (size 5) for
// balance, margin and step, and dims 2→1→2 (size 7) for the width
// condition. The generators draw list-like structure as rapid slices
// (drawShape), so the shrinker can delete one hidden layer or eigenvalue at
// a time, and TestFalsify lifts rapid's shrink-time cap, so the bound is the
// minimum itself, with one exception measured over 220 seeds
// (RAPID_SEED=1..220, all passing): drop-width ends at 7 in 205 and at 8
// (dims 2→1→3, Φ = [I; 0]) in 15, a local minimum of the shrinker; 8 is
// that measured allowance.
var maxShrunkSize = map[string]int{
	"drop-balance": 5,
	"drop-margin":  5,
	"drop-width":   8,
	"drop-step":    5,
}

func TestFalsify(t *testing.T) {
	// rapid caps shrinking at a wall-clock budget (30 s by default). The
	// shrinker stops by itself when no move makes progress, so the cap only
	// guards against a runaway; but with it the shrunk size depended on the
	// machine's load (drop-width at RAPID_SEED=1 stops at size 10 under a
	// 1 s cap and reaches the minimal 7 without one). The test lifts the cap
	// to its own deadline so that the size bound below tests the shrinker,
	// not the load.
	st := rapidtb.Current()
	st.ShrinkTime = 10 * time.Minute
	if d, ok := t.Deadline(); ok {
		st.ShrinkTime = max(time.Until(d)-30*time.Second, time.Second)
	}
	restore, err := rapidtb.Set(st)
	if err != nil {
		t.Fatal(err)
	}
	defer restore()
	searches := Searches()
	if len(searches) != 4 {
		t.Fatalf("want one search per hypothesis of Theorem 1, got %d", len(searches))
	}
	seen := map[Hypothesis]bool{}
	for _, s := range searches {
		seen[s.Hypothesis] = true
		t.Run(s.Name, func(t *testing.T) {
			rapidtb.ReplayOnFailure(t)
			// model.Reference: the searches' failures are statements about
			// exact GD. drop-margin's floor lives on the invariant set
			// W_1 = ⋯ = W_N of an identity start, a saddle that exact GD
			// never leaves; model.Fast's fused d_N = 1 sweep (912a8dd)
			// rounds the layers' updates differently, breaks W_1 = W_2 by
			// one ulp near step 47 at N = 2, d = 1, Φ = −1, and then
			// escapes to W_1W_2 = −1 (ℓ → 0). With Fast the shrinker could
			// not keep N = 2 failing and stopped at N = 4 or d = 2.
			f, err := s.Run(Options{Impl: model.Reference{}})
			if err != nil {
				t.Fatalf("%v\nrapid:\n%s", err, f.Rapid)
			}
			cs := f.Case
			t.Logf("%s", f)
			if cs.Hypothesis != s.Hypothesis || !violates(cs) {
				t.Fatalf("shrunk case does not violate %s: %+v", s.Hypothesis, cs.Start)
			}
			if cs.Mode != expectedMode[s.Name] {
				t.Fatalf("shrunk case fails by %q, want %q", cs.Mode, expectedMode[s.Name])
			}
			if cs.Size() > f.FirstSize {
				t.Fatalf("shrunk case (size %d) is larger than the first found (size %d)", cs.Size(), f.FirstSize)
			}
			if cs.Size() > maxShrunkSize[s.Name] {
				t.Fatalf("rapid shrank only to size %d (N = %d, dims %v); want ≤ %d", cs.Size(), cs.N, cs.Dims, maxShrunkSize[s.Name])
			}
			if f.Failed == 0 || f.Cases == 0 {
				t.Fatalf("no failing case counted: %+v", f)
			}
			// The shrunk case must replay.
			if _, err := cs.Replay(model.Reference{}); err != nil {
				t.Fatalf("shrunk case does not replay: %v", err)
			}
			if updating() {
				b, err := cs.MarshalIndent()
				if err != nil {
					t.Fatal(err)
				}
				path := filepath.Join("testdata", s.Name+".json")
				if err := os.WriteFile(path, b, 0o644); err != nil {
					t.Fatal(err)
				}
				t.Logf("wrote %s", path)
			}
		})
	}
	for _, h := range []Hypothesis{Balance, Margin, Width, Step} {
		if !seen[h] {
			t.Fatalf("no search drops %s", h)
		}
	}
}

// TestReplaySaved loads every saved counterexample and checks that its
// failure mode still holds.
func TestReplaySaved(t *testing.T) {
	paths, err := filepath.Glob(filepath.Join("testdata", "*.json"))
	if err != nil {
		t.Fatal(err)
	}
	if len(paths) < 4 {
		t.Fatalf("want ≥ 4 saved counterexamples under testdata/, found %d", len(paths))
	}
	for _, p := range paths {
		cs, err := LoadCase(p)
		if err != nil {
			t.Fatal(err)
		}
		o, err := cs.Replay(model.Reference{}) // exact GD: see TestFalsify on Fast and the identity saddle
		if err != nil {
			t.Fatalf("%s: %v", p, err)
		}
		if !violates(cs) {
			t.Fatalf("%s: the saved start does not violate %s", p, cs.Hypothesis)
		}
		t.Logf("%s: %s (size %d) still %s: %s", p, cs.Name, cs.Size(), cs.Mode, o.Detail)
	}
}

// TestFalsifyControls restores each search's dropped hypothesis: rapid must
// then find no counterexample. For drop-margin (Φ positive definite) and
// drop-width (A1 holds) the cases must actually converge within the
// budget; for drop-balance and drop-step the restored cases are Theorem 1
// cases at T1's tiny η, which cannot converge within 300 steps and count
// as inconclusive, but none may fail.
func TestFalsifyControls(t *testing.T) {
	for _, s := range Searches() {
		t.Run(s.Name, func(t *testing.T) {
			f, err := s.Run(Options{Control: true})
			if !errors.Is(err, ErrNoCounterexample) {
				t.Fatalf("control should find nothing; got %v\n%s", err, f.Rapid)
			}
			t.Logf("control: %d cases, %d converged, %d failed, %d inconclusive", f.Cases, f.Converged, f.Failed, f.Inconclusive)
			if f.Cases == 0 || f.Failed != 0 {
				t.Fatalf("control counts wrong: %+v", f)
			}
			if (s.Hypothesis == Margin || s.Hypothesis == Width) && f.Converged != f.Cases {
				t.Fatalf("control cases should all converge within the budget: %d of %d", f.Converged, f.Cases)
			}
		})
	}
}
