// Package gen holds the rapid generators of the proof suite: they draw the
// structure of a case (depth N, widths d_0..d_N, the scale and conditioning
// of the target Φ, the deficiency margin c, the imbalance δ, the step η and
// a seed) so that rapid can shrink it, and build every matrix from explicit
// singular values and seeded Haar-orthogonal factors (never from
// rapid.Float64Range entries, which would bring subnormals and shrink
// towards meaningless corner values).
//
// Conventions are model's: x ↦ W_N⋯W_1 x, W_j ∈ R^{d_j×d_{j−1}}, Φ ∈
// R^{d_N×d_0}, layers numbered from 1. "Margin fraction" is c/σ_min(Φ) and
// the quantity the theorem's constants depend on is c/‖Φ‖_F.
//
// Every generated Theorem-1 case carries its measured hypotheses
// (invariants.Theorem1): the generators aim at the hypotheses, the
// properties measure and assert them.
package gen

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// MaxDepth and MaxWidth are the largest depth and width the default
// generators draw (the issue asks for at least 1..6 of each).
const (
	MaxDepth = 6
	MaxWidth = 6
)

// Shape is a drawn architecture.
type Shape struct {
	N    int
	Dims []int // d_0..d_N
}

// ShapeOptions bounds a drawn architecture.
type ShapeOptions struct {
	MinN, MaxN int // depth range (defaults 1..MaxDepth)
	MaxDim     int // largest width (default MaxWidth)
	// MaxSide caps min(d_0, d_N) (0: no cap). MaxSide = 1 gives the
	// vector-target cases (d_0 = 1 or d_N = 1) where σ_min(Φ) = ‖Φ‖_F.
	MaxSide int
	// Narrow allows hidden widths below min(d_0, d_N) (A1's violating
	// architectures); by default every hidden width is ≥ min(d_0, d_N).
	Narrow bool
	// Square forces all widths equal (residual networks, R1).
	Square bool
}

func (o ShapeOptions) withDefaults() ShapeOptions {
	if o.MinN < 1 {
		o.MinN = 1
	}
	if o.MaxN < o.MinN {
		o.MaxN = max(MaxDepth, o.MinN)
	}
	if o.MaxDim < 1 {
		o.MaxDim = MaxWidth
	}
	return o
}

// Shapes draws an architecture. Widths shrink towards 1 and depth towards
// MinN.
func Shapes(o ShapeOptions) *rapid.Generator[Shape] {
	o = o.withDefaults()
	return rapid.Custom(func(t *rapid.T) Shape {
		N := rapid.IntRange(o.MinN, o.MaxN).Draw(t, "N")
		dims := make([]int, N+1)
		if o.Square {
			d := rapid.IntRange(1, o.MaxDim).Draw(t, "d")
			for i := range dims {
				dims[i] = d
			}
			return Shape{N: N, Dims: dims}
		}
		dims[0] = rapid.IntRange(1, o.MaxDim).Draw(t, "d_0")
		dims[N] = rapid.IntRange(1, o.MaxDim).Draw(t, "d_N")
		if o.MaxSide > 0 && min(dims[0], dims[N]) > o.MaxSide {
			// Keep the larger side, cap the smaller one.
			if dims[0] <= dims[N] {
				dims[0] = o.MaxSide
			} else {
				dims[N] = o.MaxSide
			}
		}
		lo := min(dims[0], dims[N])
		if o.Narrow {
			lo = 1
		}
		for j := 1; j < N; j++ {
			dims[j] = rapid.IntRange(lo, o.MaxDim).Draw(t, fmt.Sprintf("d_%d", j))
		}
		return Shape{N: N, Dims: dims}
	})
}

// TargetSpec is the drawn structure of a target Φ ∈ R^{dy×dx}.
type TargetSpec struct {
	Frob      float64 // ‖Φ‖_F
	Condition float64 // σ_max/σ_min ≥ 1
	Seed      uint64  // orthogonal factors
}

// FrobScales are the target sizes ‖Φ‖_F drawn by Targets: a log grid from
// ¼ to 4 so that the scale-dependence of the bounds is exercised.
var FrobScales = []float64{1, 0.5, 2, 0.25, 4, 0.7071067811865476, 1.4142135623730951}

// Targets draws a target's structure: ‖Φ‖_F from FrobScales and a
// condition number in 1..8 (shrinking to well-conditioned, unit size).
func Targets() *rapid.Generator[TargetSpec] {
	return rapid.Custom(func(t *rapid.T) TargetSpec {
		return TargetSpec{
			Frob:      rapid.SampledFrom(FrobScales).Draw(t, "‖Φ‖_F"),
			Condition: 1 + float64(rapid.IntRange(0, 14).Draw(t, "cond×2−2"))/2,
			Seed:      rapid.Uint64().Draw(t, "Φ seed"),
		}
	})
}

// Build returns Φ ∈ R^{dy×dx} = U diag(σ) Vᵀ with Haar U, V from the seed,
// singular values geometrically spaced from σ_max to σ_max/Condition and
// scaled so that ‖Φ‖_F = Frob.
func (s TargetSpec) Build(dy, dx int) (*mat.Dense, error) {
	r := min(dy, dx)
	sv := make([]float64, r)
	ss := 0.0
	for i := range sv {
		f := 0.0
		if r > 1 {
			f = float64(i) / float64(r-1)
		}
		sv[i] = pow(s.Condition, -f)
		ss += sv[i] * sv[i]
	}
	for i := range sv {
		sv[i] *= s.Frob / math.Sqrt(ss)
	}
	return linalg.FromSingularValues(dy, dx, sv, model.NewRand(s.Seed))
}

// UnitDirection returns a seeded random r×c matrix of unit Frobenius norm.
func UnitDirection(r, c int, rng *rand.Rand) *mat.Dense {
	for {
		g := model.GaussianMatrix(r, c, 1, rng)
		if f := mat.Norm(g, 2); f > 0 {
			g.Scale(1/f, g)
			return g
		}
	}
}

// WithMargin returns A = Φ + (σ_min(Φ) − c)·E for a seeded unit direction
// E, so that A's deficiency margin σ_min(Φ) − ‖A − Φ‖_F is c (to rounding).
// It needs 0 < c ≤ σ_min(Φ).
func WithMargin(phi mat.Matrix, c float64, rng *rand.Rand) (*mat.Dense, error) {
	sm := invariants.SigmaMin(phi)
	if !(c > 0 && c <= sm) {
		return nil, fmt.Errorf("gen: margin %v outside (0, σ_min(Φ) = %v]", c, sm)
	}
	r, cc := phi.Dims()
	e := UnitDirection(r, cc, rng)
	var a mat.Dense
	a.Scale(sm-c, e)
	a.Add(&a, phi)
	return &a, nil
}

func pow(x, p float64) float64 { return math.Pow(x, p) }
