package proofs

import (
	"fmt"
	"math"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// probCL2Config parameterises the CL2 property so that planted-bug
// companions run the same body.
type probCL2Config struct {
	samples  int     // Monte Carlo draws per case
	initStd  float64 // factor applied to s by the sampler: 1 is the claim's init
	minBound float64 // cases with a smaller bound do not count as valid
	// nMinus1 tests the stronger reading (factor N−1) instead of N.
	nMinus1 bool
}

func probCL2Check(cfg probCL2Config) func(model.Stepper, *Stats) func(*rapid.T) {
	return func(_ model.Stepper, st *Stats) func(*rapid.T) {
		alpha := ProbAlpha()
		samples := cfg.samples * ProbSamplesScale()
		return func(t *rapid.T) {
			c := gen.BalanceCases().Draw(t, "case")
			N := len(c.Dims) - 1
			dMax := 0
			for _, d := range c.Dims {
				dMax = max(dMax, d)
			}
			s := c.Std
			// δ such that the claim's bound takes the drawn value.
			factor, boundOf := float64(N), invariants.CL2Bound
			if cfg.nMinus1 {
				factor, boundOf = float64(N-1), invariants.CL2BoundNMinus1
			}
			delta := s * s * math.Sqrt(10*factor*float64(dMax*dMax*dMax)/(1-c.BoundTarget))
			bound := boundOf(delta, N, s, dMax)
			t.Logf("CL2 case: N=%d dims=%s s=%.4g δ=%.4g d_max=%d factor %g: claimed P(δ-balanced) ≥ %.4f (Monte Carlo n=%d, α=%.3g)",
				N, probFmtDims(c.Dims), s, delta, dMax, factor, bound, samples, alpha)
			// The grid's lowest bound value is minBound itself; allow its
			// rounding (a few ulps) when recomputed from δ.
			valid := N >= 2 && bound >= cfg.minBound*(1-1e-12) && bound < 1 && delta > 0
			st.Case(valid)
			if !valid {
				return
			}
			rng := model.NewRand(c.Seed)
			k := 0
			worst := 0.0
			for i := 0; i < samples; i++ {
				net, err := model.Gaussian(c.Dims, s*cfg.initStd, rng)
				if err != nil {
					t.Fatalf("init: %v", err)
				}
				imb := invariants.Imbalance(net)
				worst = math.Max(worst, imb)
				if imb <= delta {
					k++
				}
			}
			v, err := stat.AtLeast(k, samples, bound, alpha)
			if err != nil {
				t.Fatalf("stat: %v", err)
			}
			st.Slack(v.Slack(true))
			// The empirical constant: with x = factor·s⁴d_max³/δ², the bound
			// 1 − Kx matches the estimate at K = (1 − k/n)/x, and any
			// K < (1 − upper confidence bound)/x is refuted at 1 − α. The
			// largest of each over the cases is reported beside the sheet's 10.
			x := factor * math.Pow(s, 4) * float64(dMax*dMax*dMax) / (delta * delta)
			st.Max("K needed (estimate)", (1-v.Estimate)/x)
			st.Max("K refuted below (1−α)", (1-v.Bound)/x)
			st.batch(probCase{Label: fmt.Sprintf("N=%d dims=%s s=%.3g δ=%.3g (largest imbalance seen %.3gδ)", N, probFmtDims(c.Dims), s, delta, worst/delta), AtLeast: true, Verdict: v})
			t.Logf("CL2 estimate: %v; largest imbalance seen %.4g", v, worst)
			if v.Refuted {
				t.Fatalf("CL2 refuted: P(δ-balanced) estimate %d/%d = %.4f, upper bound %.4f (α = %.2g) < claimed %.4f (N=%d dims=%s s=%.4g δ=%.4g)",
					k, samples, v.Estimate, v.Bound, alpha, bound, N, probFmtDims(c.Dims), s, delta)
			}
		}
	}
}

var (
	probCL2        = probCL2Config{samples: 300, initStd: 1, minBound: 0.3}
	probCL2NMinus1 = probCL2Config{samples: 300, initStd: 1, minBound: 0.3, nMinus1: true}
)

var _ = Register(Property{
	ID:   "CL2",
	Kind: MonteCarlo,
	Name: "BalancedWithHighProbability",
	Statement: "i.i.d. N(0,s²) layers are δ-balanced with probability ≥ max{0, 1 − 10δ⁻²N s⁴ d_max³} " +
		"(factor N: the weaker reading; verified-as-reconstructed, R/U); Monte Carlo, one-sided Clopper–Pearson at 1−ProbAlpha()",
	Status:   "R",
	Check:    probCL2Check(probCL2),
	MinValid: 15,
})

var _ = Register(Property{
	ID:   "CL2",
	Kind: MonteCarlo,
	Name: "StrongerReadingNMinus1",
	Statement: "the same with factor N−1 (the sheet's U alternative, the stronger claim): P(δ-balanced) ≥ " +
		"max{0, 1 − 10δ⁻²(N−1)s⁴d_max³} (verified-as-reconstructed, U)",
	Status:   "U",
	Check:    probCL2Check(probCL2NMinus1),
	MinValid: 15,
})
