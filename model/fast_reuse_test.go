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

// Reuse and types (issue 18 item 3): one Fast value serves many shapes and
// many targets in arbitrary order, with Φ given as any mat.Matrix, and
// every step agrees with Reference. State kept between calls (a stale copy
// of Φ, a workspace of the wrong shape) shows up only when the same Fast
// meets a second target of a shape it has seen, or a Φ of another type.

// reuseShapes: both evaluation orders, N = 1, d_0 = 1, d_N = 1, square Φ,
// and more shapes than Fast's workspace cache holds (8), so shapes are
// evicted and rebuilt.
var reuseShapes = [][]int{
	{3, 2}, {1, 4}, {4, 1}, {1, 1}, {5, 3, 1}, {1, 3, 4}, {3, 3, 3}, {2, 5, 3},
	{4, 2, 4}, {2, 3, 2, 3}, {6, 4, 4, 2}, {1, 2, 2, 1}, {3, 1, 3}, {2, 2, 2, 2},
}

// phiKind is the concrete type Φ is passed as.
type phiKind int

const (
	phiDense      phiKind = iota // *mat.Dense
	phiTransposed                // mat.Transpose of a *mat.Dense holding Φᵀ (what .T() returns)
	phiStrided                   // *mat.Dense view into a wider matrix (stride ≠ columns)
	phiCustom                    // rowMajor, a mat.Matrix of this test's own
	phiSym                       // *mat.SymDense (square shapes; Φ symmetrised), built by SetSym
	phiVec                       // *mat.VecDense (d_0 = 1)
	numPhiKinds
)

func (k phiKind) String() string {
	return [...]string{"*mat.Dense", "mat.Transpose", "strided *mat.Dense view", "custom mat.Matrix", "*mat.SymDense", "*mat.VecDense"}[k]
}

// rowMajor is a minimal mat.Matrix that is none of gonum's types.
type rowMajor struct {
	r, c int
	data []float64
}

func (m rowMajor) Dims() (int, int)    { return m.r, m.c }
func (m rowMajor) At(i, j int) float64 { return m.data[i*m.c+j] }
func (m rowMajor) T() mat.Matrix       { return mat.Transpose{Matrix: m} }
func (m rowMajor) String() string      { return fmt.Sprintf("rowMajor %d×%d", m.r, m.c) }
func (k phiKind) fits(r, c int) bool {
	return k != phiSym && k != phiVec || k == phiSym && r == c || k == phiVec && c == 1
}

// reuseTargets is the number of targets per shape; reuseKinds the Φ types.
const reuseTargets = 3

var reuseKinds = []phiKind{phiDense, phiTransposed, phiStrided, phiCustom, phiSym, phiVec}

func isDenseMatrix(phi mat.Matrix) bool { _, ok := phi.(*mat.Dense); return ok }

// phiAs returns Φ passed as kind k (symmetrised for phiSym).
func phiAs(k phiKind, phi *mat.Dense) mat.Matrix {
	r, c := phi.Dims()
	switch k {
	case phiTransposed:
		return mat.DenseCopyOf(phi.T()).T()
	case phiStrided:
		big := mat.NewDense(r+1, c+2, nil)
		for i := range r + 1 {
			for j := range c + 2 {
				big.Set(i, j, 1e3) // poison outside the view
			}
		}
		v := big.Slice(1, r+1, 1, c+1).(*mat.Dense)
		v.Copy(phi)
		return v
	case phiCustom:
		m := rowMajor{r, c, make([]float64, r*c)}
		for i := range r {
			for j := range c {
				m.data[i*c+j] = phi.At(i, j)
			}
		}
		return m
	case phiSym:
		s := mat.NewSymDense(r, nil)
		for i := range r {
			for j := i; j < r; j++ {
				s.SetSym(i, j, 0.5*(phi.At(i, j)+phi.At(j, i)))
			}
		}
		return s
	case phiVec:
		v := mat.NewVecDense(r, nil)
		for i := range r {
			v.SetVec(i, phi.At(i, 0))
		}
		return v
	}
	return phi
}

// reuseProblem is one shape's evolving network and its targets.
type reuseProblem struct {
	net     *model.Net
	targets []*mat.Dense
}

func newReuseProblems(seed uint64) []*reuseProblem {
	var ps []*reuseProblem
	for i, dims := range reuseShapes {
		n, phi, err := randomProblem(dims, seed+uint64(i))
		if err != nil {
			panic(err)
		}
		p := &reuseProblem{net: n, targets: []*mat.Dense{phi}}
		rng := model.NewRand(seed + 100 + uint64(i))
		for len(p.targets) < reuseTargets {
			r, c := phi.Dims()
			p.targets = append(p.targets, model.GaussianMatrix(r, c, 1/math.Sqrt(float64(max(r, c))), rng))
		}
		ps = append(ps, p)
	}
	return ps
}

// reuseStep steps p's network with Reference and with cand on the same Φ
// (passed as kind k) and compares them (selfcheck.CompareStep: one-step
// tiers); the network then advances along Reference. It returns "" or the
// disagreement.
func reuseStep(cand model.Stepper, p *reuseProblem, target int, k phiKind) string {
	next, msg := selfcheck.CompareStep(cand, p.net, phiAs(k, p.targets[target]))
	p.net = next
	if msg != "" {
		return fmt.Sprintf("target %d as %v: %s", target, k, msg)
	}
	return ""
}

// reuseSchedule is the deterministic order: three rounds over every shape,
// each shape stepped with every Φ type that fits it, the target changing
// between consecutive calls of one shape, other shapes (and evictions) in
// between.
func reuseSchedule(cand model.Stepper, ps []*reuseProblem) (steps int, bad string) {
	for round := 0; round < 3; round++ {
		for i, p := range ps {
			r, c := p.targets[0].Dims()
			for kk, k := range reuseKinds {
				if !k.fits(r, c) {
					continue
				}
				target := (round + kk + i) % reuseTargets
				steps++
				if msg := reuseStep(cand, p, target, k); msg != "" {
					return steps, fmt.Sprintf("round %d, step %d: %s", round, steps, msg)
				}
			}
		}
	}
	return steps, ""
}

func TestFastReuseAcrossShapesTargetsAndTypes(t *testing.T) {
	ps := newReuseProblems(11)
	f := model.NewFast()
	steps, bad := reuseSchedule(f, ps)
	require.Empty(t, bad)
	require.Greater(t, steps, 3*len(reuseShapes)*3, "schedule too short")
	t.Logf("%d steps of one Fast over %d shapes × %d targets × %d Φ types agreed with Reference", steps, len(reuseShapes), reuseTargets, numPhiKinds)
}

// TestFastReuseRandomOrder: rapid draws the order (shape, target, Φ type)
// of 40 steps of one Fast value.
func TestFastReuseRandomOrder(t *testing.T) {
	kindsSeen := map[phiKind]int{}
	rapidtb.CheckT(t, func(rt *rapid.T) {
		ps := newReuseProblems(rapid.Uint64Range(0, 1<<40).Draw(rt, "seed"))
		f := model.NewFast()
		for s := 0; s < 40; s++ {
			i := rapid.IntRange(0, len(ps)-1).Draw(rt, "shape")
			r, c := ps[i].targets[0].Dims()
			var fitting []phiKind
			for _, k := range reuseKinds {
				if k.fits(r, c) {
					fitting = append(fitting, k)
				}
			}
			k := rapid.SampledFrom(fitting).Draw(rt, "kind")
			target := rapid.IntRange(0, reuseTargets-1).Draw(rt, "target")
			kindsSeen[k]++
			if msg := reuseStep(f, ps[i], target, k); msg != "" {
				rt.Fatalf("step %d: %s", s, msg)
			}
		}
	})
	for k := phiDense; k < numPhiKinds; k++ {
		require.Positive(t, kindsSeen[k], "Φ type %v never drawn", k)
	}
	t.Logf("Φ types drawn: %v", kindsSeen)
}

// Planted faults of the kind "state kept between calls", each wrapping a
// real Fast so that only the planted behaviour differs.

// staleNonDense keeps the first copy of a non-*mat.Dense Φ per shape (the
// fault issue 18 found: the copy is refreshed only when first allocated).
type staleNonDense struct {
	f     *model.Fast
	cache map[string]*mat.Dense
	all   bool // keep a stale copy of every Φ, *mat.Dense too
}

func (s *staleNonDense) Name() string { return "fast(stale Φ copy, bug)" }
func (s *staleNonDense) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	if phi != nil && (s.all || !isDenseMatrix(phi)) {
		key := fmt.Sprint(n.Dims())
		if c, ok := s.cache[key]; ok {
			phi = c
		} else {
			s.cache[key] = mat.DenseCopyOf(phi)
		}
	}
	return s.f.Step(n, phi, eta)
}

// rawUnwrap reads the storage behind a view as if it were Φ: a Transpose's
// inner Dense taken without transposing, a strided view's data taken as
// compact, a SymDense's upper-triangle storage taken as full.
type rawUnwrap struct {
	f    *model.Fast
	kind phiKind
}

func (s rawUnwrap) Name() string { return fmt.Sprintf("fast(raw storage of %v, bug)", s.kind) }
func (s rawUnwrap) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	r, c := phi.Dims()
	switch v := phi.(type) {
	case mat.Transpose:
		if s.kind == phiTransposed {
			if d, ok := v.Matrix.(*mat.Dense); ok {
				phi = mat.NewDense(r, c, append([]float64(nil), d.RawMatrix().Data[:r*c]...))
			}
		}
	case *mat.Dense:
		if raw := v.RawMatrix(); s.kind == phiStrided && raw.Stride != raw.Cols {
			phi = mat.NewDense(r, c, append([]float64(nil), raw.Data[:r*c]...))
		}
	case *mat.SymDense:
		if s.kind == phiSym {
			phi = mat.NewDense(r, c, append([]float64(nil), v.RawSymmetric().Data[:r*c]...))
		}
	}
	return s.f.Step(n, phi, eta)
}

// TestFastReuseSeesPlantedStateFaults: the deterministic schedule catches
// every planted fault, and the reason is a disagreement with Reference (not
// an error or a panic).
func TestFastReuseSeesPlantedStateFaults(t *testing.T) {
	bugs := []model.Stepper{
		&staleNonDense{f: model.NewFast(), cache: map[string]*mat.Dense{}},
		&staleNonDense{f: model.NewFast(), cache: map[string]*mat.Dense{}, all: true},
		rawUnwrap{f: model.NewFast(), kind: phiTransposed},
		rawUnwrap{f: model.NewFast(), kind: phiStrided},
		rawUnwrap{f: model.NewFast(), kind: phiSym},
	}
	for _, bug := range bugs {
		_, bad := reuseSchedule(bug, newReuseProblems(11))
		require.NotEmpty(t, bad, "%s was not caught", bug.Name())
		require.True(t, strings.Contains(bad, "tier"), "%s caught for another reason: %s", bug.Name(), bad)
		t.Logf("%s caught: %s", bug.Name(), bad)
	}
}

// TestFastStridedPhiPaddingIgnored: Φ given as a view into a larger matrix
// whose entries outside the view are NaN is a finite target. With an
// overflowing network (a non-finite loss, a diverged state, not an error)
// Fast scans Φ for non-finite entries and must look only inside the view,
// as Reference does.
func TestFastStridedPhiPaddingIgnored(t *testing.T) {
	for _, dims := range [][]int{{3, 2, 4}, {4, 2, 3}, {2, 2}} {
		N := len(dims) - 1
		big := mat.NewDense(dims[N]+2, dims[0]+3, nil)
		r, c := big.Dims()
		for i := range r {
			for j := range c {
				big.Set(i, j, math.NaN())
			}
		}
		view := big.Slice(1, 1+dims[N], 1, 1+dims[0]).(*mat.Dense)
		view.Copy(model.GaussianMatrix(dims[N], dims[0], 1, model.NewRand(2)))
		n, _, err := randomProblem(dims, 3)
		require.NoError(t, err)
		n.Layer(1).Set(0, 0, math.Inf(1))
		lr, errR := model.Reference{}.Step(n.Clone(), view, 0.1)
		lf, errF := model.NewFast().Step(n.Clone(), view, 0.1)
		require.NoError(t, errR, "Reference, dims %v", dims)
		require.NoError(t, errF, "Fast read outside the Φ view, dims %v", dims)
		require.Equal(t, math.IsNaN(lr), math.IsNaN(lf), "dims %v: ℓ %v vs %v", dims, lr, lf)
	}
}
