package gen

// Generators and samplers for the probabilistic claims (T2, L8, CL2, CL3).
//
// rapid draws only the structure of a case (depth, widths, the target's
// norm, the constants of the claim, a seed); the Monte Carlo draws inside a
// case come from model.NewRand(Seed), so a rapid seed (RAPID_SEED) fixes the
// whole run and a failing case shrinks in its structure. Scales are drawn as
// small integers mapped onto log grids, never as raw floats.

import (
	"fmt"
	"math"
	"math/rand/v2"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"
)

// ProbPhiNorms are the target norms ‖Φ‖ the probabilistic generators use
// (1 first, so shrinking lands on the unit target).
var ProbPhiNorms = []float64{1, 0.5, 2, 3}

// logGrid maps i ∈ 0..steps onto lo·(hi/lo)^{i/steps}.
func logGrid(lo, hi float64, i, steps int) float64 {
	return lo * math.Pow(hi/lo, float64(i)/float64(steps))
}

// linGrid maps i ∈ 0..steps onto lo + (hi−lo)·i/steps.
func linGrid(lo, hi float64, i, steps int) float64 {
	return lo + (hi-lo)*float64(i)/float64(steps)
}

// BalanceCase is a CL2 case: all entries of W_1..W_N i.i.d. N(0, Std²);
// BoundTarget is the value in (0, 1) that CL2's bound
// 1 − 10 δ⁻² N s⁴ d_max³ is to take (the property solves for δ).
type BalanceCase struct {
	Dims        []int // d_0..d_N, N ≥ 2
	Std         float64
	BoundTarget float64
	Seed        uint64
}

// BalanceCases draws CL2 cases: N 2..5, widths 1..8, s on a log grid in
// [0.01, 1], the bound's value in [0.3, 0.95].
func BalanceCases() *rapid.Generator[BalanceCase] {
	return rapid.Custom(func(t *rapid.T) BalanceCase {
		N := rapid.IntRange(2, 5).Draw(t, "N")
		dims := make([]int, N+1)
		for j := range dims {
			dims[j] = rapid.IntRange(1, 8).Draw(t, fmt.Sprintf("d%d", j))
		}
		return BalanceCase{
			Dims:        dims,
			Std:         logGrid(1, 0.01, rapid.IntRange(0, 8).Draw(t, "stdStep"), 8),
			BoundTarget: linGrid(0.3, 0.95, rapid.IntRange(0, 13).Draw(t, "boundStep"), 13),
			Seed:        rapid.Uint64().Draw(t, "seed"),
		}
	})
}

// ScalarOutputCase is a CL3 case: d_N = 1, d_0 ≥ 20, hidden widths ≥ 2
// (so that E[1/‖W_{1:N}‖] is finite), all entries i.i.d. N(0, s²). The
// standard deviation is not drawn directly: the property solves for s from
// Level, a probability-scale quantity (the deficit in the small-s bound or
// the value of the large-s bound), so every drawn case is non-trivial.
type ScalarOutputCase struct {
	Dims    []int // d_0..d_N with d_N = 1
	PhiNorm float64
	Level   float64
	// Theta is the margin level in probability units (small-s property):
	// the tested margin is c = Theta / (f_max(d_0) E[1/‖W_{1:N}‖]) ∝ s^N.
	Theta float64
	Seed  uint64
}

func scalarOutputDims(t *rapid.T) []int {
	N := rapid.IntRange(1, 4).Draw(t, "N")
	dims := make([]int, N+1)
	dims[0] = rapid.IntRange(20, 40).Draw(t, "d0")
	for j := 1; j < N; j++ {
		dims[j] = rapid.IntRange(2, 6).Draw(t, fmt.Sprintf("d%d", j))
	}
	dims[N] = 1
	return dims
}

// SmallStdCases draws CL3 small-s cases: Level (the bound's deficit from ½
// due to ‖W‖, f·E‖W‖/(2‖Φ‖)) on a log grid in [0.005, 0.15] restricted to
// Level ≥ minLevel (0 for the whole grid; planted-bug runs ask for the
// large deficits where a wrong constant shows), Theta in {0, 0.005, 0.05}.
func SmallStdCases(minLevel float64) *rapid.Generator[ScalarOutputCase] {
	const lo, hi, steps = 0.005, 0.15, 10
	first := 0
	for first < steps && logGrid(lo, hi, first, steps) < minLevel*(1-1e-12) {
		first++
	}
	return rapid.Custom(func(t *rapid.T) ScalarOutputCase {
		return ScalarOutputCase{
			Dims:    scalarOutputDims(t),
			PhiNorm: ProbPhiNorms[rapid.IntRange(0, len(ProbPhiNorms)-1).Draw(t, "phiIndex")],
			Level:   logGrid(lo, hi, steps-rapid.IntRange(0, steps-first).Draw(t, "deficitStep"), steps),
			Theta:   []float64{0, 0.005, 0.05}[rapid.IntRange(0, 2).Draw(t, "thetaIndex")],
			Seed:    rapid.Uint64().Draw(t, "seed"),
		}
	})
}

// LargeStdCases draws CL3 large-s cases: Level (the value of the upper
// bound 2‖Φ‖E[1/‖W‖] on the margin probability) on a log grid in
// [0.005, 0.45].
func LargeStdCases() *rapid.Generator[ScalarOutputCase] {
	return rapid.Custom(func(t *rapid.T) ScalarOutputCase {
		return ScalarOutputCase{
			Dims:    scalarOutputDims(t),
			PhiNorm: ProbPhiNorms[rapid.IntRange(0, len(ProbPhiNorms)-1).Draw(t, "phiIndex")],
			Level:   logGrid(0.45, 0.005, rapid.IntRange(0, 10).Draw(t, "boundStep"), 10),
			Seed:    rapid.Uint64().Draw(t, "seed"),
		}
	})
}

// RadialKind names a radial law of a rotation-invariant distribution.
type RadialKind int

// The radial laws of L8's cases. All have a density on R^d: a uniform
// direction times an independent radius with a density.
const (
	// RadialGaussian: V ~ N(0, σ² I_d), radius σχ_d.
	RadialGaussian RadialKind = iota
	// RadialShell: radius uniform on the whole norm window (ε = 0).
	RadialShell
	// RadialUpperEdge: radius uniform on the top 5 % of the window (ε = 0),
	// where ‖V‖/(2‖Φ‖) in the margin condition is largest.
	RadialUpperEdge
	// RadialLowerEdge: radius uniform on the bottom 5 % of the window
	// (ε = 0), where c/‖V‖ is largest.
	RadialLowerEdge
)

func (k RadialKind) String() string {
	switch k {
	case RadialGaussian:
		return "gaussian"
	case RadialShell:
		return "shell"
	case RadialUpperEdge:
		return "upper-edge"
	case RadialLowerEdge:
		return "lower-edge"
	}
	return fmt.Sprintf("RadialKind(%d)", int(k))
}

// RadialLaw is a radial law: for RadialGaussian the scale Sigma, otherwise
// the radius interval [Lo, Hi].
type RadialLaw struct {
	Kind   RadialKind
	Sigma  float64
	Lo, Hi float64
}

// Radius draws ‖V‖.
func (l RadialLaw) Radius(d int, rng *rand.Rand) float64 {
	if l.Kind == RadialGaussian {
		ss := 0.0
		for i := 0; i < d; i++ {
			g := rng.NormFloat64()
			ss += g * g
		}
		return l.Sigma * math.Sqrt(ss)
	}
	return l.Lo + (l.Hi-l.Lo)*rng.Float64()
}

// Sample draws V ∈ R^{1×d}: a Haar-uniform direction times Radius.
func (l RadialLaw) Sample(d int, rng *rand.Rand) *mat.Dense {
	v := UnitRow(d, rng)
	v.Scale(l.Radius(d, rng), v)
	return v
}

// UnitRow returns a uniformly distributed unit vector of R^{1×d}.
func UnitRow(d int, rng *rand.Rand) *mat.Dense {
	for {
		v := mat.NewDense(1, d, nil)
		raw := v.RawMatrix().Data
		ss := 0.0
		for i := range raw {
			raw[i] = rng.NormFloat64()
			ss += raw[i] * raw[i]
		}
		if ss > 0 {
			v.Scale(1/math.Sqrt(ss), v)
			return v
		}
	}
}

// RotationInvariantCase is an L8 case: V ∈ R^d rotation-invariant with a
// density, claim constants b₂ > b₁ ≥ 1, target norm PhiNorm, and the kind
// of radial law (see Law).
type RotationInvariantCase struct {
	D       int
	PhiNorm float64
	B1, B2  float64
	Kind    RadialKind
	Seed    uint64
}

// Window returns L8's norm window [‖Φ‖/√(b₂d), ‖Φ‖/√(b₁d)].
func (c RotationInvariantCase) Window() (lo, hi float64) {
	d := float64(c.D)
	return c.PhiNorm / math.Sqrt(c.B2*d), c.PhiNorm / math.Sqrt(c.B1*d)
}

// Law returns the radial law of the case. The Gaussian, σ = ‖Φ‖/(d(b₁b₂)^{1/4}),
// puts the mean squared radius σ²d at the geometric middle of the window's
// squared ends, ‖Φ‖²/(d√(b₁b₂)); its ε is P(‖V‖ outside the window), exact
// from the χ²_d law. The shells lie inside the window (ε = 0).
func (c RotationInvariantCase) Law() RadialLaw {
	lo, hi := c.Window()
	switch c.Kind {
	case RadialGaussian:
		return RadialLaw{Kind: RadialGaussian, Sigma: c.PhiNorm / (float64(c.D) * math.Pow(c.B1*c.B2, 0.25))}
	case RadialShell:
		return RadialLaw{Kind: c.Kind, Lo: lo, Hi: hi}
	case RadialUpperEdge:
		return RadialLaw{Kind: c.Kind, Lo: hi - 0.05*(hi-lo), Hi: hi}
	default:
		return RadialLaw{Kind: RadialLowerEdge, Lo: lo, Hi: lo + 0.05*(hi-lo)}
	}
}

// RotationInvariantCases draws L8 cases: d 20..60, b₁ on a log grid in
// [20, 2000], b₂/b₁ in [1.5, 16], one of the four radial laws.
func RotationInvariantCases() *rapid.Generator[RotationInvariantCase] {
	return rapid.Custom(func(t *rapid.T) RotationInvariantCase {
		b1 := logGrid(20, 2000, rapid.IntRange(0, 8).Draw(t, "b1Step"), 8)
		return RotationInvariantCase{
			D:       rapid.IntRange(20, 60).Draw(t, "d"),
			PhiNorm: ProbPhiNorms[rapid.IntRange(0, len(ProbPhiNorms)-1).Draw(t, "phiIndex")],
			B1:      b1,
			B2:      b1 * logGrid(1.5, 16, rapid.IntRange(0, 6).Draw(t, "ratioStep"), 6),
			Kind:    RadialKind(rapid.IntRange(0, 3).Draw(t, "kind")),
			Seed:    rapid.Uint64().Draw(t, "seed"),
		}
	})
}

// ScalarBalancedCase is a T2 case: d_N = 1, d_0 ≥ 100, Procedure 1 with
// A ~ N(0, s²) i.i.d., s = StdFraction · ‖Φ‖/√(a d_0²).
type ScalarBalancedCase struct {
	Dims        []int // d_0..d_N with d_N = 1
	PhiNorm     float64
	A           float64 // the theorem's a ≥ 100
	StdFraction float64 // in (0, 1]: s as a fraction of its largest allowed value
	Seed        uint64
}

// Std is s = StdFraction·‖Φ‖/√(a d_0²).
func (c ScalarBalancedCase) Std() float64 {
	return c.StdFraction * c.PhiNorm / math.Sqrt(c.A*float64(c.Dims[0])*float64(c.Dims[0]))
}

// ScalarBalancedCases draws T2 cases: N 1..4, d_0 in [100, maxD0], hidden
// widths 1..3, a on a log grid in [100, 10⁴], s/s_max in [0.25, 1].
func ScalarBalancedCases(maxD0 int) *rapid.Generator[ScalarBalancedCase] {
	if maxD0 < 100 {
		maxD0 = 100
	}
	return rapid.Custom(func(t *rapid.T) ScalarBalancedCase {
		N := rapid.IntRange(1, 4).Draw(t, "N")
		dims := make([]int, N+1)
		dims[0] = rapid.IntRange(100, maxD0).Draw(t, "d0")
		for j := 1; j < N; j++ {
			dims[j] = rapid.IntRange(1, 3).Draw(t, fmt.Sprintf("d%d", j))
		}
		dims[N] = 1
		return ScalarBalancedCase{
			Dims:        dims,
			PhiNorm:     ProbPhiNorms[rapid.IntRange(0, len(ProbPhiNorms)-1).Draw(t, "phiIndex")],
			A:           logGrid(100, 1e4, rapid.IntRange(0, 8).Draw(t, "aStep"), 8),
			StdFraction: []float64{1, 0.5, 0.25}[rapid.IntRange(0, 2).Draw(t, "stdFractionIndex")],
			Seed:        rapid.Uint64().Draw(t, "seed"),
		}
	})
}
