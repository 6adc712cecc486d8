package experiment

import (
	"fmt"
	"math"
	"math/rand/v2"
	"strings"

	"gonum.org/v1/gonum/mat"
)

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
