package proofs

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
)

func TestF2_EndToEndOperatorKronecker(t *testing.T) { runRegistered(t) }

func TestF2_EndToEndOperatorKronecker_CatchesPlantedBug(t *testing.T) {
	// Broken constant: exponents (N−j+1)/N and (j−1)/N in the eigenvalue formula.
	broken := f2Options{eigen: func(w mat.Matrix, N int) ([][]float64, error) {
		ev, err := invariants.PWEigenvalues(w, N)
		if err != nil {
			return nil, err
		}
		sv := invariants.SingularValues(w)
		for a := range ev {
			for b := range ev[a] {
				sa, sb := 0.0, 0.0
				if a < len(sv) {
					sa = sv[a]
				}
				if b < len(sv) {
					sb = sv[b]
				}
				s := 0.0
				for j := 1; j <= N; j++ {
					s += math.Pow(sa, 2*float64(N-j+1)/float64(N)) * math.Pow(sb, 2*float64(j-1)/float64(N))
				}
				ev[a][b] = s
			}
		}
		return ev, nil
	}}
	expectFailure(t, "F2 with eigenvalue exponent (N−j+1)/N", f2Kronecker(NewStats(), broken))
}
