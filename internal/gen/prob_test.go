package gen

import (
	"math"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/model"
)

// probCollect draws n values from g, one per fixed example seed, so that
// coverage does not depend on -short, -rapid.checks or RAPID_SEED.
func probCollect[V any](g *rapid.Generator[V], n int) []V {
	out := make([]V, n)
	for i := range out {
		out[i] = g.Example(i)
	}
	return out
}

// The probabilistic generators cover the ranges their doc comments claim
// and every case meets its claim's structural hypotheses.
func TestProbBalanceCasesCoverage(t *testing.T) {
	seenN := map[int]bool{}
	minB, maxB, minS, maxS := 1.0, 0.0, math.Inf(1), 0.0
	maxD := 0
	for _, c := range probCollect(BalanceCases(), 100) {
		N := len(c.Dims) - 1
		seenN[N] = true
		for _, d := range c.Dims {
			if d < 1 || d > 8 {
				t.Fatalf("width %d outside 1..8", d)
			}
			maxD = max(maxD, d)
		}
		if !(c.BoundTarget >= 0.3 && c.BoundTarget <= 0.95) || !(c.Std >= 0.01*(1-1e-12) && c.Std <= 1) {
			t.Fatalf("case outside its ranges: %+v", c)
		}
		minB, maxB = math.Min(minB, c.BoundTarget), math.Max(maxB, c.BoundTarget)
		minS, maxS = math.Min(minS, c.Std), math.Max(maxS, c.Std)
	}
	for N := 2; N <= 5; N++ {
		if !seenN[N] {
			t.Errorf("depth N=%d never drawn", N)
		}
	}
	if minB > 0.35 || maxB < 0.9 || minS > 0.02 || maxS < 0.5 || maxD < 7 {
		t.Errorf("ranges poorly covered: bound [%v, %v], s [%v, %v], d_max %d", minB, maxB, minS, maxS, maxD)
	}
}

func TestProbScalarOutputCasesCoverage(t *testing.T) {
	for _, tc := range []struct {
		name     string
		g        *rapid.Generator[ScalarOutputCase]
		lo, hi   float64
		minLevel float64
	}{
		{"small", SmallStdCases(0), 0.005, 0.15, 0},
		{"small≥0.1", SmallStdCases(0.1), 0.1, 0.15, 0.1},
		{"large", LargeStdCases(), 0.005, 0.45, 0},
	} {
		seenN := map[int]bool{}
		minL, maxL := math.Inf(1), 0.0
		for _, c := range probCollect(tc.g, 100) {
			N := len(c.Dims) - 1
			seenN[N] = true
			if c.Dims[N] != 1 || c.Dims[0] < 20 || c.Dims[0] > 40 {
				t.Fatalf("%s: dims %v: need d_N = 1, 20 ≤ d_0 ≤ 40", tc.name, c.Dims)
			}
			for j := 1; j < N; j++ {
				if c.Dims[j] < 2 {
					t.Fatalf("%s: hidden width %d < 2", tc.name, c.Dims[j])
				}
			}
			if c.Level < tc.lo*(1-1e-9) || c.Level > tc.hi*(1+1e-9) || c.Level < tc.minLevel*(1-1e-9) {
				t.Fatalf("%s: level %v outside [%v, %v]", tc.name, c.Level, tc.lo, tc.hi)
			}
			minL, maxL = math.Min(minL, c.Level), math.Max(maxL, c.Level)
		}
		for N := 1; N <= 4; N++ {
			if !seenN[N] {
				t.Errorf("%s: depth N=%d never drawn", tc.name, N)
			}
		}
		if minL > tc.lo*1.5 || maxL < tc.hi/1.5 {
			t.Errorf("%s: levels [%v, %v] do not span [%v, %v]", tc.name, minL, maxL, tc.lo, tc.hi)
		}
	}
}

func TestProbRotationInvariantCases(t *testing.T) {
	kinds := map[RadialKind]bool{}
	minB1, maxB1 := math.Inf(1), 0.0
	for _, c := range probCollect(RotationInvariantCases(), 100) {
		kinds[c.Kind] = true
		minB1, maxB1 = math.Min(minB1, c.B1), math.Max(maxB1, c.B1)
		if c.D < 20 || !(c.B2 > c.B1) || c.B1 < 1 {
			t.Fatalf("case violates L8's structure: %+v", c)
		}
		lo, hi := c.Window()
		law := c.Law()
		rng := model.NewRand(c.Seed)
		for i := 0; i < 50; i++ {
			v := law.Sample(c.D, rng)
			r := math.Sqrt(probSumSquares(v.RawRowView(0)))
			if law.Kind != RadialGaussian && (r < lo*(1-1e-12) || r > hi*(1+1e-12)) {
				t.Fatalf("%v law: radius %v outside the window [%v, %v]", law.Kind, r, lo, hi)
			}
		}
		if law.Kind == RadialGaussian {
			// σ²d at the geometric middle of the squared window ends.
			mid := law.Sigma * law.Sigma * float64(c.D)
			if math.Abs(mid-lo*hi)/(lo*hi) > 1e-12 {
				t.Fatalf("Gaussian law: σ²d = %v, want lo·hi = %v", mid, lo*hi)
			}
		}
	}
	for k := RadialGaussian; k <= RadialLowerEdge; k++ {
		if !kinds[k] {
			t.Errorf("radial law %v never drawn", k)
		}
	}
	if minB1 > 30 || maxB1 < 1000 {
		t.Errorf("b₁ range [%v, %v] does not span [20, 2000]", minB1, maxB1)
	}
}

func probSumSquares(v []float64) float64 {
	s := 0.0
	for _, x := range v {
		s += x * x
	}
	return s
}

func TestProbScalarBalancedCases(t *testing.T) {
	seenN := map[int]bool{}
	minA, maxA := math.Inf(1), 0.0
	for _, c := range probCollect(ScalarBalancedCases(160), 100) {
		N := len(c.Dims) - 1
		seenN[N] = true
		d0 := float64(c.Dims[0])
		if c.Dims[N] != 1 || c.Dims[0] < 100 || c.Dims[0] > 160 || c.A < 100 {
			t.Fatalf("case violates T2's structure: %+v", c)
		}
		if smax := c.PhiNorm / math.Sqrt(c.A*d0*d0); c.Std() > smax*(1+1e-12) || c.Std() < smax/4*(1-1e-12) {
			t.Fatalf("s = %v outside [s_max/4, s_max] = [%v, %v]", c.Std(), smax/4, smax)
		}
		minA, maxA = math.Min(minA, c.A), math.Max(maxA, c.A)
	}
	for N := 1; N <= 4; N++ {
		if !seenN[N] {
			t.Errorf("depth N=%d never drawn", N)
		}
	}
	if minA > 200 || maxA < 5000 {
		t.Errorf("a range [%v, %v] does not span [100, 1e4]", minA, maxA)
	}
}

func TestProbUnitRowIsUnit(t *testing.T) {
	rng := model.NewRand(1)
	for d := 1; d < 50; d++ {
		v := UnitRow(d, rng).RawRowView(0)
		if s := probSumSquares(v); math.Abs(s-1) > 1e-14 {
			t.Fatalf("d=%d: ‖v‖² = %v", d, s)
		}
	}
}
