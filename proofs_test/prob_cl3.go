package proofs

// CL3, tested form (verified-as-reconstructed; the sheet's constants are U).
//
// Setting: d_N = 1, d_0 ≥ 20, hidden widths ≥ 2, every entry of every W_j
// i.i.d. N(0, s²), target Φ ∈ R^{1×d_0} with φ = ‖Φ‖ = σ_min(Φ). Write
// M = ‖W_{1:N}‖. By peeling one layer at a time, M = s^N ∏_{j<N} χ_{d_j}
// (independent χ variables) and the direction of W_{1:N} is uniform on the
// sphere and independent of M. Let u₁ be its coordinate along Φ and
// f = f_max(d_0) the largest density of u₁ (stat.SphereCoordinateDensityMax).
// Since ‖W−Φ‖² = φ² − 2φMu₁ + M², the start has margin ≥ c ∈ [0, φ) iff
// u₁ ≥ c/M + (M² − c²)/(2φM), so (using P(0 ≤ u₁ < x) ≤ f x):
//
//	(small s)  P(margin ≥ c) ≥ ½ − f·(c·E[1/M] + E[M]/(2φ))   for every c ≥ 0,
//	(always)   P(margin > 0) ≤ ½  and  margin ≤ M  (triangle inequality),
//	(large s)  P(margin > 0) ≤ P(M < 2φ) ≤ min{½, 2φ·E[1/M]}.
//
// With c = θ/(f·E[1/M]) ∝ s^N the first bound reads ½ − θ − f E[M]/(2φ):
// as s → 0 the probability of a margin of order s^N tends to ½ (θ = 0.005
// gives the paper's 0.49 once f E[M]/(2φ) ≤ 0.005), the margin can never
// exceed M = O(s^N), and as s → ∞ the probability of any margin collapses
// like s^{−N}. E[M] = s^N ∏ E χ_{d_j}, E[1/M] = s^{−N} ∏ E[1/χ_{d_j}].

import (
	"fmt"
	"math"
	"math/rand/v2"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

type probCL3Config struct {
	samples  int
	initStd  float64 // factor the sampler applies to s (1: the claim's init)
	minLevel float64 // small-s: only cases whose deficit Level ≥ minLevel count (planted runs)
	// densityFactor multiplies f_max(d_0) in the small-s bound (1: the
	// derivation's constant; planted bugs use the density of √d₀·u₁ instead).
	densityFactor func(d0 int) float64
}

// cl3Sample draws one customary start (model.Gaussian, the implementation
// under test) and returns its margin w.r.t. Φ and ‖W_{1:N}‖.
func cl3Sample(dims []int, s float64, phi []float64, phiNorm float64, rng *rand.Rand) (margin, m float64, err error) {
	net, err := model.Gaussian(dims, s, rng)
	if err != nil {
		return math.NaN(), math.NaN(), err
	}
	w := net.Product().RawRowView(0) // 1×d_0
	return probRowMargin(w, phi, phiNorm), probNorm2(w), nil
}

func probCL3SmallCheck(cfg probCL3Config) func(model.Stepper, *Stats) func(*rapid.T) {
	return func(_ model.Stepper, st *Stats) func(*rapid.T) {
		alpha := ProbAlpha()
		samples := cfg.samples * ProbSamplesScale()
		return func(t *rapid.T) {
			c := gen.SmallStdCases(cfg.minLevel).Draw(t, "case")
			dims, N, phiNorm := c.Dims, len(c.Dims)-1, c.PhiNorm
			m1, inv1 := invariants.CL3Moments(dims, 1)
			f := stat.SphereCoordinateDensityMax(dims[0])
			// s^N such that f·E[M]/(2φ) = Level; margin c = θ/(f E[1/M]).
			sN := 2 * phiNorm * c.Level / (f * m1)
			s := math.Pow(sN, 1/float64(N))
			margin := c.Theta * sN / (f * inv1)
			fb := f
			if cfg.densityFactor != nil {
				fb *= cfg.densityFactor(dims[0])
			}
			m, inv := invariants.CL3Moments(dims, s)
			bound := 0.5 - fb*(margin*inv+m/(2*phiNorm))
			t.Logf("CL3 small-s case: N=%d dims=%s ‖Φ‖=%.3g s=%.4g (s^N=%.3g) margin c=%.4g (θ=%.3g) E‖W‖=%.4g claimed P(margin ≥ c) ≥ %.4f, P(margin > 0) ≤ ½",
				N, probFmtDims(dims), phiNorm, s, sN, margin, c.Theta, m, bound)
			hidden := true
			for j := 1; j < N; j++ {
				hidden = hidden && dims[j] >= 2
			}
			valid := dims[N] == 1 && dims[0] >= 20 && hidden && bound >= 0.3*(1-1e-12) && margin < phiNorm
			st.Case(valid)
			if !valid {
				return
			}
			rng := model.NewRand(c.Seed)
			phiM := gen.UnitRow(dims[0], rng)
			phiM.Scale(phiNorm, phiM)
			phi := phiM.RawRowView(0)
			kc, kpos := 0, 0
			ratio := 0.0 // mean of positive margins over s^N
			for i := 0; i < samples; i++ {
				mg, mm, err := cl3Sample(dims, s*cfg.initStd, phi, phiNorm, rng)
				if err != nil {
					t.Fatal(err)
				}
				// margin ≤ ‖W‖ (triangle inequality), up to rounding of
				// the two norms: a few ulps of φ + M.
				if tol := 8 * linalg.MachEps * (phiNorm + mm); mg > mm+tol {
					t.Fatalf("margin %.6g exceeds ‖W_{1:N}‖ = %.6g", mg, mm)
				}
				if (margin == 0 && mg > 0) || (margin > 0 && mg >= margin) {
					kc++
				}
				if mg > 0 {
					kpos++
					ratio += mg / sN
				}
			}
			lo, err := stat.AtLeast(kc, samples, bound, alpha)
			if err != nil {
				t.Fatal(err)
			}
			hi, err := stat.AtMost(kpos, samples, 0.5, alpha)
			if err != nil {
				t.Fatal(err)
			}
			st.Slack(lo.Slack(true))
			st.Slack(hi.Slack(false))
			label := fmt.Sprintf("N=%d dims=%s ‖Φ‖=%.3g s=%.3g θ=%.3g", N, probFmtDims(dims), phiNorm, s, c.Theta)
			st.batch(probCase{Label: label, AtLeast: true, Verdict: lo})
			st.batch(probCase{Label: label, AtLeast: false, Verdict: hi})
			if kpos > 0 {
				ratio /= float64(kpos)
			}
			t.Logf("CL3 small-s estimates: margin ≥ c: %v; margin > 0: %v; mean positive margin / s^N = %.4g", lo, hi, ratio)
			if lo.Refuted {
				event := fmt.Sprintf("margin ≥ %.4g", margin)
				if margin == 0 {
					event = "margin > 0"
				}
				t.Fatalf("CL3 small-s refuted: P(%s) estimate %.4f, upper bound %.4f < claimed %.4f (%s)", event, lo.Estimate, lo.Bound, bound, label)
			}
			if hi.Refuted {
				t.Fatalf("CL3 refuted: P(margin > 0) estimate %.4f, lower bound %.4f > ½ (%s)", hi.Estimate, hi.Bound, label)
			}
		}
	}
}

func probCL3LargeCheck(cfg probCL3Config) func(model.Stepper, *Stats) func(*rapid.T) {
	return func(_ model.Stepper, st *Stats) func(*rapid.T) {
		alpha := ProbAlpha()
		samples := cfg.samples * ProbSamplesScale()
		return func(t *rapid.T) {
			c := gen.LargeStdCases().Draw(t, "case")
			dims, N, phiNorm := c.Dims, len(c.Dims)-1, c.PhiNorm
			_, inv1 := invariants.CL3Moments(dims, 1)
			// s^N such that 2φ E[1/M] = Level.
			sN := 2 * phiNorm * inv1 / c.Level
			s := math.Pow(sN, 1/float64(N))
			bound := invariants.CL3LargeStdBound(dims, s, phiNorm)
			m, _ := invariants.CL3Moments(dims, s)
			t.Logf("CL3 large-s case: N=%d dims=%s ‖Φ‖=%.3g s=%.4g E‖W‖=%.4g claimed P(margin > 0) ≤ %.4f",
				N, probFmtDims(dims), phiNorm, s, m, bound)
			hidden := true
			for j := 1; j < N; j++ {
				hidden = hidden && dims[j] >= 2
			}
			valid := dims[N] == 1 && dims[0] >= 20 && hidden && bound < 0.5
			st.Case(valid)
			if !valid {
				return
			}
			rng := model.NewRand(c.Seed)
			phiM := gen.UnitRow(dims[0], rng)
			phiM.Scale(phiNorm, phiM)
			phi := phiM.RawRowView(0)
			kpos := 0
			for i := 0; i < samples; i++ {
				mg, _, err := cl3Sample(dims, s*cfg.initStd, phi, phiNorm, rng)
				if err != nil {
					t.Fatal(err)
				}
				if mg > 0 {
					kpos++
				}
			}
			v, err := stat.AtMost(kpos, samples, bound, alpha)
			if err != nil {
				t.Fatal(err)
			}
			st.Slack(v.Slack(false))
			label := fmt.Sprintf("N=%d dims=%s ‖Φ‖=%.3g s=%.3g", N, probFmtDims(dims), phiNorm, s)
			st.batch(probCase{Label: label, AtLeast: false, Verdict: v})
			t.Logf("CL3 large-s estimate: %v", v)
			if v.Refuted {
				t.Fatalf("CL3 large-s refuted: P(margin > 0) estimate %.4f, lower bound %.4f > claimed %.4f (%s)", v.Estimate, v.Bound, bound, label)
			}
		}
	}
}

var (
	probCL3Small = probCL3Config{samples: 1000, initStd: 1}
	probCL3Large = probCL3Config{samples: 1000, initStd: 1}
)

var _ = Register(Property{
	ID:   "CL3",
	Kind: MonteCarlo,
	Name: "MarginNearHalfAtSmallStd",
	Statement: "d_N=1, d_0≥20, i.i.d. N(0,s²) layers: P(margin ≥ c) ≥ ½ − f_max(d_0)(c E[1/‖W‖] + E‖W‖/(2‖Φ‖)) → ½ as s→0 " +
		"with c ∝ s^N, P(margin>0) ≤ ½, margin ≤ ‖W_{1:N}‖ (tested form of a U claim: verified-as-reconstructed)",
	Status:   "U",
	Check:    probCL3SmallCheck(probCL3Small),
	MinValid: 15,
})

var _ = Register(Property{
	ID:   "CL3",
	Kind: MonteCarlo,
	Name: "MarginCollapsesAtLargeStd",
	Statement: "d_N=1, d_0≥20, i.i.d. N(0,s²) layers: P(margin > 0) ≤ min{½, 2‖Φ‖E[1/‖W_{1:N}‖]} = O(s^{−N}) " +
		"(tested form of a U claim: verified-as-reconstructed)",
	Status:   "U",
	Check:    probCL3LargeCheck(probCL3Large),
	MinValid: 15,
})
