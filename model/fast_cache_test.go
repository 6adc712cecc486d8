package model

import (
	"fmt"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"
)

// TestFastCacheLRU pins the workspace cache's documented policy: at most
// fastMaxShapes shapes, the most recently used first, the least recently
// used dropped. A step of a cached shape allocates nothing; a step of an
// evicted one rebuilds its workspace (and allocates).
func TestFastCacheLRU(t *testing.T) {
	shape := func(i int) []int { return []int{i + 1, 2, 3} } // distinct d_0
	nets := make([]*Net, fastMaxShapes+1)
	phis := make([]*mat.Dense, len(nets))
	for i := range nets {
		var err error
		nets[i], err = Gaussian(shape(i), 0.5, NewRand(uint64(i)))
		if err != nil {
			t.Fatal(err)
		}
		phis[i] = GaussianMatrix(3, shape(i)[0], 0.5, NewRand(uint64(100+i)))
	}
	order := func(f *Fast) string {
		var s []string
		for _, ws := range f.ws {
			s = append(s, fmt.Sprint(ws.dims[0]-1))
		}
		return strings.Join(s, " ")
	}
	f := NewFast()
	for i := 0; i < fastMaxShapes; i++ { // fill: 7 6 … 0
		if _, err := f.Step(nets[i], phis[i], 1e-6); err != nil {
			t.Fatal(err)
		}
	}
	if got, want := order(f), "7 6 5 4 3 2 1 0"; got != want {
		t.Fatalf("cache order after filling: %q, want %q", got, want)
	}
	if _, err := f.Step(nets[0], phis[0], 1e-6); err != nil { // touch the oldest: it moves to the front
		t.Fatal(err)
	}
	if got, want := order(f), "0 7 6 5 4 3 2 1"; got != want {
		t.Fatalf("cache order after reusing shape 0: %q, want %q (most recently used first)", got, want)
	}
	if _, err := f.Step(nets[3], phis[3], 1e-6); err != nil { // a middle one
		t.Fatal(err)
	}
	if got, want := order(f), "3 0 7 6 5 4 2 1"; got != want {
		t.Fatalf("cache order after reusing shape 3: %q, want %q", got, want)
	}
	if _, err := f.Step(nets[8], phis[8], 1e-6); err != nil { // a ninth shape evicts the least recently used (1)
		t.Fatal(err)
	}
	if got, want := order(f), "8 3 0 7 6 5 4 2"; got != want {
		t.Fatalf("cache order after a ninth shape: %q, want %q (at most %d shapes, LRU dropped)", got, want, fastMaxShapes)
	}
	if a := testing.AllocsPerRun(5, func() { _, _ = f.Step(nets[0], phis[0], 1e-6) }); a != 0 {
		t.Fatalf("a cached shape allocated %v times per step", a)
	}
}

// TestFastEmptyLayerMessage: the error names the empty layer (1-based).
func TestFastEmptyLayerMessage(t *testing.T) {
	for j := 1; j <= 3; j++ {
		n, err := Gaussian([]int{2, 3, 3, 2}, 0.5, NewRand(1))
		if err != nil {
			t.Fatal(err)
		}
		n.Layer(j).Reset()
		_, err = NewFast().Step(n, mat.NewDense(2, 2, nil), 0.1)
		if want := fmt.Sprintf("layer W_%d is empty", j); err == nil || !strings.Contains(err.Error(), want) {
			t.Fatalf("emptied W_%d: error %v, want it to contain %q", j, err, want)
		}
	}
}
