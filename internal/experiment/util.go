package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// SyntheticTarget is Figure 1's synthetic target: a uniformly random unit
// vector in R^{d0} drawn from seed, as a 1×d0 matrix. By S3 every unit-norm
// Φ gives the same distribution of outcomes.
func SyntheticTarget(d0 int, seed uint64) *mat.Dense { return unitRow(d0, model.NewRand(seed)) }

// unitRow is a seeded uniformly random unit vector in R^d as a 1×d matrix.
func unitRow(d int, rng *rand.Rand) *mat.Dense {
	v := make([]float64, d)
	s := 0.0
	for i := range v {
		v[i] = rng.NormFloat64()
		s += v[i] * v[i]
	}
	s = math.Sqrt(s)
	for i := range v {
		v[i] /= s
	}
	return mat.NewDense(1, d, v)
}

func fmtDims(d []int) string {
	parts := make([]string, len(d))
	for i, x := range d {
		parts[i] = fmt.Sprint(x)
	}
	return strings.Join(parts, "-")
}
