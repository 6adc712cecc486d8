package counterexamples

import (
	"math"
	"strings"
	"testing"
)

// TestNoMarginNoBound: a start without a margin has no Theorem 1 bounds:
// NaN in Go, null in the case's JSON, "undefined" in its text (the saved
// drop-margin case had 0 for both). The saved file round-trips.
func TestNoMarginNoBound(t *testing.T) {
	c, err := LoadCase("testdata/drop-margin.json")
	if err != nil {
		t.Fatal(err)
	}
	n, err := c.Net()
	if err != nil {
		t.Fatal(err)
	}
	phi, err := c.Target()
	if err != nil {
		t.Fatal(err)
	}
	m := measureStart(n, phi)
	if !(m.Margin <= 0) || !math.IsNaN(m.DeltaBound) || !math.IsNaN(m.EtaBound) {
		t.Fatalf("measured %+v, want margin ≤ 0 and NaN bounds", m)
	}
	if !math.IsNaN(c.Start.DeltaBound) || !math.IsNaN(c.Start.EtaBound) {
		t.Fatalf("loaded %+v, want NaN bounds (null in the file)", c.Start)
	}
	s := c.String()
	if !strings.Contains(s, "T1 δ bound undefined: no margin") || !strings.Contains(s, "T1 η bound undefined: no margin") {
		t.Fatalf("text:\n%s", s)
	}
	b, err := c.MarshalIndent()
	if err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(string(b), `"delta_bound": null`) || !strings.Contains(string(b), `"eta_bound": null`) {
		t.Fatalf("JSON:\n%s", b)
	}
	// A case with a margin keeps finite bounds through the round trip.
	d, err := LoadCase("testdata/drop-step.json")
	if err != nil {
		t.Fatal(err)
	}
	if !(d.Start.DeltaBound > 0) || !(d.Start.EtaBound > 0) {
		t.Fatalf("drop-step start %+v", d.Start)
	}
}
