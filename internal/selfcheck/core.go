package selfcheck

import (
	"fmt"
	"math"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// CoreShapes are the shapes of Core's differential run: both evaluation
// orders, N = 1, d_0 = 1, d_N = 1, square Φ, more shapes than Fast's
// workspace cache holds, and products large enough for every kernel path
// (micro-kernel edges, gonum Dgemm tiles beyond 64 rows).
var CoreShapes = [][]int{
	{3, 2}, {1, 4}, {4, 1}, {1, 1}, {5, 3, 1}, {1, 3, 4}, {3, 3, 3}, {2, 5, 3},
	{4, 2, 4}, {2, 3, 2, 3}, {6, 4, 4, 2}, {1, 2, 2, 1}, {3, 1, 3}, {9, 13, 7, 5},
	{40, 30, 1}, {32, 16, 32}, {70, 65, 33},
}

// CoreReport is the outcome of Core.
type CoreReport struct {
	Measurements Report   // Check(Public(), seed)
	Steps        int      // Fast-vs-Reference steps compared
	StepFailures []string // disagreements of the differential run
	Elapsed      time.Duration
}

// OK reports whether every comparison agreed (and some were made).
func (r CoreReport) OK() bool {
	return r.Measurements.OK() && r.Steps > 0 && len(r.StepFailures) == 0
}

// Summary is one line: what was compared, and the first disagreements.
func (r CoreReport) Summary() string {
	s := fmt.Sprintf("%d measurement/bound comparisons against numpy golden tables and independent references, %d Fast-vs-Reference steps over %d shapes and 3 Φ types",
		r.Measurements.Checks, r.Steps, len(CoreShapes))
	var bad []string
	for i, f := range r.Measurements.Failures {
		if i == 3 {
			bad = append(bad, fmt.Sprintf("… %d more", len(r.Measurements.Failures)-3))
			break
		}
		bad = append(bad, f.String())
	}
	for i, f := range r.StepFailures {
		if i == 3 {
			bad = append(bad, fmt.Sprintf("… %d more", len(r.StepFailures)-3))
			break
		}
		bad = append(bad, f)
	}
	if len(bad) > 0 {
		s += "\n" + strings.Join(bad, "\n")
	}
	return s
}

// Core is the fast self-check of the numerical core (well under a second
// on one core): every measurement and bound against the golden tables and
// the independent references (Check), and one model.Fast value reused
// across CoreShapes, with Φ as *mat.Dense, a transposed view and a
// mat.Matrix of another type, each step compared with model.Reference
// (CompareStep). It is what `dlnverify verify` runs as its CORE row; the
// full gate is `go test ./...`.
func Core(seed uint64) CoreReport {
	start := time.Now()
	rep := CoreReport{Measurements: Check(Public(), seed)}
	rep.Steps, rep.StepFailures = coreDifferential(model.NewFast(), seed)
	rep.Elapsed = time.Since(start)
	return rep
}

// coreDifferential steps cand (one value throughout) against Reference:
// 4 rounds over CoreShapes; within a round each shape takes 3 consecutive
// steps (so its workspace is cached between them) with a fresh target each
// time, passed as *mat.Dense, as a transposed view and as a plainMatrix.
func coreDifferential(cand model.Stepper, seed uint64) (steps int, failures []string) {
	rng := model.NewRand(seed)
	nets := make([]*model.Net, len(CoreShapes))
	for i, dims := range CoreShapes {
		dmax := 0
		for _, d := range dims {
			dmax = max(dmax, d)
		}
		n, err := model.Gaussian(dims, 1/math.Sqrt(float64(dmax)), rng)
		if err != nil {
			return steps, append(failures, fmt.Sprintf("setup %v: %v", dims, err))
		}
		nets[i] = n
	}
	for round := 0; round < 4; round++ {
		for i, dims := range CoreShapes {
			N := len(dims) - 1
			for kind := 0; kind < 3; kind++ {
				phi := model.GaussianMatrix(dims[N], dims[0], 1/math.Sqrt(float64(max(dims[0], dims[N]))), rng)
				var as mat.Matrix = phi
				switch (round + kind) % 3 {
				case 1:
					as = mat.DenseCopyOf(phi.T()).T()
				case 2:
					as = plainMatrix{phi}
				}
				next, msg := CompareStep(cand, nets[i], as)
				steps++
				if msg != "" {
					failures = append(failures, fmt.Sprintf("round %d: %s", round, msg))
				}
				nets[i] = next
			}
		}
	}
	return steps, failures
}

// plainMatrix hides the concrete type of a matrix (only Dims, At and T).
type plainMatrix struct{ m mat.Matrix }

func (p plainMatrix) Dims() (int, int)    { return p.m.Dims() }
func (p plainMatrix) At(i, j int) float64 { return p.m.At(i, j) }
func (p plainMatrix) T() mat.Matrix       { return mat.Transpose{Matrix: p} }
