package experiment

import (
	"math"
	"testing"

	"github.com/stretchr/testify/require"
	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// The plateau abort's premise: on runs that do escape the saddle late, the
// predicted time left, N/((N−2)ρ) with ρ = d ln p/dt, p = ⟨W_{1:N}, Φ⟩, over (t/2, t], never
// overestimates the true time left by the rule's safety factor 20 at any
// check t ≥ 16000 on the plateau (ℓ > ℓ(0)/2). Checked on late-converging
// runs from the quick grid's regime, both initialisations, N = 3 and 8.
func TestPlateauPredictionIsConservative(t *testing.T) {
	if testing.Short() {
		t.Skip("runs a few 1e4–1e5-step trainings")
	}
	cases := []struct {
		init string
		N    int
		std  float64
		eta  float64
	}{
		{InitGaussian, 8, 0.0316, 0.1},
		{InitGaussian, 8, 0.05, 0.1},
		{InitGaussian, 3, 5.6e-5, 0.1},
		{InitGaussian, 3, 2e-5, 0.1},
		{InitBalanced, 8, 1e-6, 0.1},
		{InitBalanced, 8, 3e-7, 0.1},
	}
	checked := 0
	for ci, tc := range cases {
		cfg := Fig1Config{Width: 32, Phi: mat.NewDense(1, 128, nil)}
		phi := unitRow(128, model.NewRand(1))
		n, err := NewInit(tc.init, cfg.dims(tc.N), tc.std, uint64(1000+ci))
		require.NoError(t, err)
		st := model.NewFast()
		l0 := mustLoss(t, n, phi)
		_ = l0
		type chk struct {
			t    int
			pred float64
		}
		var checks []chk
		deltaHalf, next, hit := 0.0, 1000, -1
		Nf := float64(tc.N)
		for k := 0; k < 400000; k++ {
			l, err := st.Step(n, phi, tc.eta)
			require.NoError(t, err)
			if l <= 1e-5 {
				hit = k
				break
			}
			if k == next {
				// As in train: checks at k = 1000·2^i, alignment after step k.
				if l > l0/2 {
					d := alignment(n, phi)
					if k >= 16000 && d > 0 && deltaHalf > 0 {
						rho := math.Log(d/deltaHalf) / float64(k/2)
						checks = append(checks, chk{k, Nf / ((Nf - 2) * rho)})
					}
					deltaHalf = d
				}
				next = 2 * next
			}
		}
		for _, c := range checks {
			ratio := c.pred / float64(hit-c.t)
			t.Logf("%s N=%d s=%.2g: converged at %d; at t=%d predicted %.3g steps left, actual %d (ratio %.2f)", tc.init, tc.N, tc.std, hit, c.t, c.pred, hit-c.t, ratio)
			require.Less(t, ratio, 20.0)
			checked++
		}
		if len(checks) == 0 {
			t.Logf("%s N=%d s=%.2g: converged at %d, no plateau check applied", tc.init, tc.N, tc.std, hit)
		}
	}
	require.Greater(t, checked, 0, "no late-converging run reached a plateau check")
}
