package counterexamples

import (
	"errors"
	"testing"
)

// TestCatalog runs every catalog entry and checks its failure mode, its
// recorded hypothesis measurements, and that it violates the hypothesis it
// names.
func TestCatalog(t *testing.T) {
	entries := Catalog()
	if len(entries) < 5 {
		t.Fatalf("catalog has %d entries, want ≥ 5", len(entries))
	}
	for _, e := range entries {
		cs, o, err := e.Run(nil)
		if err != nil {
			t.Fatalf("%s: %v", e.Name, err)
		}
		if cs.Mode != e.Mode || o.Mode != e.Mode {
			t.Fatalf("%s: mode %q/%q, entry says %q", e.Name, cs.Mode, o.Mode, e.Mode)
		}
		if !violates(cs) {
			t.Fatalf("%s: the start does not violate %s: %+v", e.Name, e.Hypothesis, cs.Start)
		}
		t.Logf("%s\n%s\n  %s", e.Shows, cs, o.Detail)
	}
}

// violates reports whether the measured start violates c.Hypothesis.
func violates(c Case) bool {
	m := c.Start
	switch c.Hypothesis {
	case Margin:
		return !(m.Margin > 0)
	case Width:
		return !m.WidthsOK
	case Balance:
		return m.Margin > 0 && m.Imbalance > m.DeltaBound
	case Step:
		return m.Margin > 0 && c.Eta > m.EtaBound
	}
	return false
}

// TestCatalogPlantedBug: a catalog predicate must fail when the failure
// does not happen. Replaying a case against a stepper that does nothing
// (the loss never moves) cannot diverge, and replaying the CL5 entry with a
// positive target converges, so Replay must report ErrNotReproduced.
func TestCatalogPlantedBug(t *testing.T) {
	e, err := LookupEntry("CL4/unbalanced-start")
	if err != nil {
		t.Fatal(err)
	}
	if _, _, err := e.Run(frozen{}); !errors.Is(err, ErrNotReproduced) {
		t.Fatalf("a frozen stepper should not reproduce divergence; got %v", err)
	}
	e, _ = LookupEntry("CL5/negative-eigenvalue")
	cs, err := e.Build()
	if err != nil {
		t.Fatal(err)
	}
	cs.Phi[0][0] = 1 // planted: all eigenvalues positive
	if o, err := cs.Replay(nil); !errors.Is(err, ErrNotReproduced) {
		t.Fatalf("CL5 floor with a positive Φ should be breached; got %v (%s)", err, o.Detail)
	} else {
		t.Logf("planted bug detected: %v", err)
	}
}
