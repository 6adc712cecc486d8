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

// CL2Bound is Claim 2's bound on P(δ-balanced) for the customary
// initialisation with i.i.d. N(0, s²) entries:
// max{0, 1 − 10 δ⁻² N s⁴ d_max³}, with the factor N (the weaker reading of
// the sheet's U detail N vs N−1).
func CL2Bound(delta float64, N int, s float64, dMax int) float64 {
	d := float64(dMax)
	return math.Max(0, 1-10*float64(N)*math.Pow(s, 4)*d*d*d/(delta*delta))
}

// probCL2Config parameterises the CL2 property so that planted-bug
// companions run the same body.
type probCL2Config struct {
	key      string  // ledger key (the test name, or a planted variant's)
	samples  int     // Monte Carlo draws per case
	initStd  float64 // factor applied to s by the sampler: 1 is the claim's init
	minBound float64 // cases with a smaller bound do not count as valid
}

func probCL2Check(cfg probCL2Config) func(model.Stepper, *Stats) func(*rapid.T) {
	return func(_ model.Stepper, st *Stats) func(*rapid.T) {
		alpha := ProbAlpha()
		return func(t *rapid.T) {
			c := gen.BalanceCases().Draw(t, "case")
			N := len(c.Dims) - 1
			dMax := 0
			for _, d := range c.Dims {
				dMax = max(dMax, d)
			}
			s := c.Std
			// δ such that the claim's bound takes the drawn value.
			delta := s * s * math.Sqrt(10*float64(N)*float64(dMax*dMax*dMax)/(1-c.BoundTarget))
			bound := CL2Bound(delta, N, s, dMax)
			t.Logf("CL2 case: N=%d dims=%s s=%.4g δ=%.4g d_max=%d claimed P(δ-balanced) ≥ %.4f (Monte Carlo n=%d, α=%.3g)",
				N, probFmtDims(c.Dims), s, delta, dMax, bound, cfg.samples, alpha)
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
			for i := 0; i < cfg.samples; i++ {
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
			v, err := stat.AtLeast(k, cfg.samples, bound, alpha)
			if err != nil {
				t.Fatalf("stat: %v", err)
			}
			st.Slack(v.Slack(true))
			probRecord(cfg.key, probCase{Label: fmt.Sprintf("N=%d dims=%s s=%.3g δ=%.3g (largest imbalance seen %.3gδ)", N, probFmtDims(c.Dims), s, delta, worst/delta), AtLeast: true, Verdict: v})
			t.Logf("CL2 estimate: %v; largest imbalance seen %.4g", v, worst)
			if v.Refuted {
				t.Fatalf("CL2 refuted: P(δ-balanced) estimate %d/%d = %.4f, upper bound %.4f (α = %.2g) < claimed %.4f (N=%d dims=%s s=%.4g δ=%.4g)",
					k, cfg.samples, v.Estimate, v.Bound, alpha, bound, N, probFmtDims(c.Dims), s, delta)
			}
		}
	}
}

var probCL2 = probCL2Config{key: "TestCL2_BalancedWithHighProbability", samples: 300, initStd: 1, minBound: 0.3}

var _ = Register(Property{
	ID:   "CL2",
	Name: "BalancedWithHighProbability",
	Statement: "i.i.d. N(0,s²) layers are δ-balanced with probability ≥ max{0, 1 − 10δ⁻²N s⁴ d_max³} " +
		"(factor N: the weaker reading; verified-as-reconstructed, R/U); Monte Carlo, one-sided Clopper–Pearson at 1−ProbAlpha()",
	Status:   "R",
	Check:    probCL2Check(probCL2),
	MinValid: 15,
})
