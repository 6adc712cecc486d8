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

// TestCaseBadInput: malformed cases and files give errors, not panics.
func TestCaseBadInput(t *testing.T) {
	good, err := Catalog()[0].Build()
	if err != nil {
		t.Fatal(err)
	}
	bad := []func(c *Case){
		func(c *Case) { c.Layers = nil },
		func(c *Case) { c.Phi = nil },
		func(c *Case) { c.Phi = [][]float64{{1, 2}} },
		func(c *Case) { c.Layers[0] = [][]float64{{1}} },
		func(c *Case) { c.Steps = 0 },
		func(c *Case) { c.Eta = -1 },
		func(c *Case) { c.Epsilon = 0 },
	}
	for i, mutate := range bad {
		c := good
		c.Layers = append([][][]float64(nil), good.Layers...)
		mutate(&c)
		if _, err := c.Replay(nil); err == nil {
			t.Fatalf("malformed case %d replayed without error", i)
		}
	}
	if _, err := LoadCase("testdata/does-not-exist.json"); err == nil {
		t.Fatal("missing file should fail")
	}
	if _, _, err := (Entry{Name: "empty"}).Run(nil); err == nil {
		t.Fatal("entry without construction should fail")
	}
	if _, err := (Search{Name: "empty"}).Run(Options{}); err == nil {
		t.Fatal("search without generator should fail")
	}
	if _, err := LookupSearch("nope"); err == nil {
		t.Fatal("unknown search should fail")
	}
	if _, err := LookupEntry("nope"); err == nil {
		t.Fatal("unknown entry should fail")
	}
	c5, _ := NewCL5(2, 2, 1)
	broken := *c5
	broken.Eigenvalues = broken.Eigenvalues[:1]
	if _, err := CheckCL5(nil, &broken, 0.1, 10); err == nil {
		t.Fatal("CL5 with a short eigenvalue list should fail")
	}
	c4, _ := NewCL4(2, 2, 0.5, 0.1)
	broken4 := *c4
	broken4.N = 3
	if _, err := CheckCL4(nil, &broken4, 50); err == nil {
		t.Fatal("CL4 with odd N should fail")
	}
}
