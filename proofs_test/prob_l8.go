package proofs

import (
	"fmt"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/gen"
	"github.com/dlnverify/dlnverify/internal/stat"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

type probL8Config struct {
	samples int
	// bound computes the claimed probability; invariants.L8Bound for the
	// claim, something else in planted-bug companions.
	bound func(eps, b1 float64) float64
	// maxB1 restricts the cases that count (planted runs); 0: no limit.
	maxB1 float64
}

// l8Epsilon is ε = P(‖V‖ outside the window) for the case's radial law,
// exact: from the χ²_d law for the Gaussian, 0 for the shells (which lie in
// the window by construction).
func l8Epsilon(c gen.RotationInvariantCase) float64 {
	law := c.Law()
	if law.Kind != gen.RadialGaussian {
		return 0
	}
	lo, hi := c.Window()
	s2 := law.Sigma * law.Sigma
	return 1 - stat.ChiSquareWindow(c.D, lo*lo/s2, hi*hi/s2)
}

func probL8Check(cfg probL8Config) func(model.Stepper, *Stats) func(*rapid.T) {
	return func(_ model.Stepper, st *Stats) func(*rapid.T) {
		alpha := ProbAlpha()
		samples := cfg.samples * ProbSamplesScale()
		return func(t *rapid.T) {
			c := gen.RotationInvariantCases().Draw(t, "case")
			eps := l8Epsilon(c)
			bound := cfg.bound(eps, c.B1)
			margin := invariants.L8Margin(c.PhiNorm, c.B2, c.D)
			lo, hi := c.Window()
			law := c.Law()
			t.Logf("L8 case: d=%d ‖Φ‖=%.3g b₁=%.4g b₂=%.4g law=%v window [%.4g, %.4g] ε=%.4g margin c=%.4g claimed P ≥ %.4f",
				c.D, c.PhiNorm, c.B1, c.B2, law.Kind, lo, hi, eps, margin, bound)
			valid := c.D >= 20 && c.B2 > c.B1 && c.B1 >= 1 && eps >= 0 && eps < 1 && bound > 0.05 &&
				(cfg.maxB1 == 0 || c.B1 <= cfg.maxB1)
			st.Case(valid)
			if !valid {
				return
			}
			rng := model.NewRand(c.Seed)
			phiM := gen.UnitRow(c.D, rng)
			phiM.Scale(c.PhiNorm, phiM)
			phi := phiM.RawRowView(0)
			k, inWindow := 0, 0
			for i := 0; i < samples; i++ {
				v := law.Sample(c.D, rng).RawRowView(0)
				if r := probNorm2(v); r >= lo && r <= hi {
					inWindow++
				}
				if probRowMargin(v, phi, c.PhiNorm) >= margin {
					k++
				}
			}
			// The window hypothesis, measured: the shells must lie in it
			// every time; the Gaussian's in-window fraction must not refute
			// P(window) = 1 − ε (a check of the sampler and of ε).
			if law.Kind != gen.RadialGaussian && inWindow != samples {
				t.Fatalf("L8 hypothesis: %d of %d radii of the %v law fell outside the window", samples-inWindow, samples, law.Kind)
			}
			if law.Kind == gen.RadialGaussian {
				w1, err1 := stat.AtLeast(inWindow, samples, 1-eps, alpha)
				w2, err2 := stat.AtMost(inWindow, samples, 1-eps, alpha)
				if err1 != nil || err2 != nil {
					t.Fatalf("stat: %v %v", err1, err2)
				}
				if w1.Refuted || w2.Refuted {
					t.Fatalf("L8 hypothesis: the in-window fraction %d/%d refutes the exact P(window) = 1−ε = %.4f (sampler or ε wrong)", inWindow, samples, 1-eps)
				}
			}
			v, err := stat.AtLeast(k, samples, bound, alpha)
			if err != nil {
				t.Fatal(err)
			}
			st.Slack(v.Slack(true))
			label := fmt.Sprintf("d=%d b₁=%.3g b₂=%.3g law=%v ε=%.3g", c.D, c.B1, c.B2, law.Kind, eps)
			st.batch(probCase{Label: label, AtLeast: true, Verdict: v})
			t.Logf("L8 estimate: %v; in-window fraction %.4f (1−ε = %.4f)", v, float64(inWindow)/float64(samples), 1-eps)
			if v.Refuted {
				t.Fatalf("L8 refuted: P(margin ≥ %.4g) estimate %.4f, upper bound %.4f < claimed %.4f (%s)", margin, v.Estimate, v.Bound, bound, label)
			}
		}
	}
}

var probL8 = probL8Config{samples: 600, bound: invariants.L8Bound}

var _ = Register(Property{
	ID:   "L8",
	Kind: MonteCarlo,
	Name: "RotationInvariantMargin",
	Statement: "d≥20, V rotation-invariant with density, P(‖Φ‖/√(b₂d) ≤ ‖V‖ ≤ ‖Φ‖/√(b₁d)) ≥ 1−ε ⇒ " +
		"P(margin ‖Φ‖/(b₂d)) ≥ (1−ε)(3−4F(2/√b₁))/2 (R inequality: verified-as-reconstructed); Gaussian and shell radial laws",
	Status:   "R",
	Check:    probL8Check(probL8),
	MinValid: 15,
})
