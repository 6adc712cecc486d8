package proofs

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

func TestF2_EndToEndOperatorKronecker(t *testing.T) { runRegistered(t) }

func TestF2_EndToEndOperatorKronecker_CatchesPlantedBug(t *testing.T) {
	// Broken constant: exponents (N−j+1)/N and (j−1)/N in the eigenvalue formula.
	broken := f2Claimed
	broken.eigen = func(w mat.Matrix, N int) ([][]float64, error) {
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
	}
	expectFailureWith(t, "F2 (c) with eigenvalue exponent (N−j+1)/N", f2Kronecker(NewStats(), broken), "F2 violated: eigenvalue")

	// One planted bug for each other clause, each asserted by its message.
	asym := f2Claimed
	asym.pw = func(w mat.Matrix, N int) (*mat.Dense, error) {
		p, err := pwExplicit(w, N)
		if err == nil {
			if r, _ := p.Dims(); r > 1 {
				p.Set(0, r-1, p.At(0, r-1)+1) // one entry off the symmetric pair
			}
		}
		return p, err
	}
	expectFailureWith(t, "F2 (a) with an asymmetric P_W", f2Kronecker(NewStats(), asym), "F2 violated: P_W not symmetric")
	apply := f2Claimed
	apply.apply = func(w mat.Matrix, e mat.Matrix, N int) (mat.Matrix, error) {
		return invariants.ApplyPW(w, e, N+1) // P_W of depth N+1
	}
	expectFailureWith(t, "F2 (b) with ApplyPW at the wrong depth", f2Kronecker(NewStats(), apply), "F2 violated: P_W vec(E) differs")
	minExp := f2Claimed
	minExp.minExp = func(N int) float64 { return float64(N-1) / float64(N) } // σ^{(N−1)/N} > σ^{2(N−1)/N} for σ < 1
	expectFailureWith(t, "F2 (d) with the exponent (N−1)/N", f2Kronecker(NewStats(), minExp), "F2 violated: λ_min(P_W)")
	vel := f2Claimed
	vel.velocity = func(n *model.Net, phi mat.Matrix) (*mat.Dense, error) {
		v, err := endToEndVelocity(n, phi)
		if err == nil {
			v.Scale(1.1, v)
		}
		return v, err
	}
	expectFailureWith(t, "F2 (e) with the velocity 10 % too fast", f2Kronecker(NewStats(), vel), "F2 violated: balanced end-to-end velocity")
}
