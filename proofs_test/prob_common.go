package proofs

// Shared machinery of the probabilistic properties (T2, L8, CL2, CL3).
//
// Each probabilistic property draws a case's structure with rapid, runs a
// batch of seeded Monte Carlo samples inside the case, and asserts with an
// exact one-sided Clopper–Pearson bound (internal/stat) that the batch does
// not refute the claimed probability bound at confidence 1 − ProbAlpha().
//
// Family-wise false-alarm rate. A true claim is refuted by one assertion
// with probability ≤ α (the bounds are exact and conservative). One default
// run makes at most probAssertionsPerCheck assertions per rapid check
// summed over all probabilistic properties, so by Bonferroni the chance that
// a correct implementation fails anywhere in the run is
// ≤ probAssertionsPerCheck · checks · α = ProbFamilyAlpha. α is derived from
// the configured number of rapid checks (-rapid.checks / RAPID_CHECKS), so
// deeper runs keep the same family-wise rate.

import (
	"fmt"
	"math"
	"os"
	"sort"
	"strconv"
	"strings"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
	"github.com/dlnverify/dlnverify/internal/stat"
)

// ProbFamilyAlpha is the family-wise false-alarm budget of one run of all
// probabilistic properties: < 1e-3 as the suite promises.
const ProbFamilyAlpha = 1e-3

// probAssertionsPerCheck bounds the Clopper–Pearson assertions one rapid
// check makes, summed over every probabilistic property: CL2 1 + 1
// (factors N and N−1), CL3 small-s 2, CL3 large-s 1, L8 3 (the claim, and a
// two-sided check of the Gaussian law's window probability 1−ε), T2 1 = 9;
// counted as 10.
const probAssertionsPerCheck = 10

// ProbAlpha is the one-sided error level of each Clopper–Pearson assertion:
// ProbFamilyAlpha / (probAssertionsPerCheck · checks), with checks the
// configured rapid.checks (100 by default, so α = 1e-6, confidence
// 99.9999 %). Under -short rapid runs a fifth of the checks; α is not
// relaxed, which only makes the short run more conservative.
func ProbAlpha() float64 {
	return ProbFamilyAlpha / float64(probAssertionsPerCheck*rapidtb.Checks())
}

// ProbSamplesScale multiplies every Monte Carlo batch size: the
// environment variable DLNVERIFY_PROB_SAMPLES (a positive integer, default
// 1) runs deeper batches, which resolve smaller gaps between truth and claim
// (the gap a batch can resolve shrinks like 1/√samples).
func ProbSamplesScale() int {
	if v, ok := os.LookupEnv("DLNVERIFY_PROB_SAMPLES"); ok {
		if n, err := strconv.Atoi(v); err == nil && n > 0 {
			return n
		}
	}
	return 1
}

// probCase is one Monte Carlo batch's outcome, kept for the end-of-test
// report (rapid only prints a case's logs when it fails).
type probCase struct {
	Label   string
	AtLeast bool // the claim was p ≥ Claimed (else p ≤ Claimed)
	Verdict stat.Verdict
}

// probSummary describes recorded batches: how many, the mean estimate
// against the mean claimed bound, and the tightest batches (smallest slack
// between the confidence bound and the claim).
func probSummary(cs []probCase, tightest int) string {
	if len(cs) == 0 {
		return "no Monte Carlo batches recorded"
	}
	var b strings.Builder
	groups := map[string][]probCase{}
	var names []string
	for _, c := range cs {
		kind := "≥"
		if !c.AtLeast {
			kind = "≤"
		}
		if _, ok := groups[kind]; !ok {
			names = append(names, kind)
		}
		groups[kind] = append(groups[kind], c)
	}
	sort.Strings(names)
	for _, kind := range names {
		g := groups[kind]
		var est, claim float64
		samples := 0
		for _, c := range g {
			est += c.Verdict.Estimate
			claim += c.Verdict.Claimed
			samples += c.Verdict.N
		}
		fmt.Fprintf(&b, "claims p %s p₀: %d batches, %d samples, mean estimate %.4f vs mean claimed %.4f (one-sided confidence 1−α, α = %.2g)\n",
			kind, len(g), samples, est/float64(len(g)), claim/float64(len(g)), g[0].Verdict.Alpha)
		sort.Slice(g, func(i, j int) bool {
			return g[i].Verdict.Slack(g[i].AtLeast) < g[j].Verdict.Slack(g[j].AtLeast)
		})
		for i := 0; i < tightest && i < len(g); i++ {
			fmt.Fprintf(&b, "  tight: %s: %v\n", g[i].Label, g[i].Verdict)
		}
	}
	return strings.TrimSuffix(b.String(), "\n")
}

// probFmtDims formats dims as d_0→…→d_N.
func probFmtDims(d []int) string {
	s := make([]string, len(d))
	for i, v := range d {
		s[i] = strconv.Itoa(v)
	}
	return strings.Join(s, "→")
}

// probRowMargin is D2's margin σ_min(Φ) − ‖W − Φ‖_F for row vectors
// W, Φ ∈ R^{1×d} (σ_min of a non-zero row is its norm); phiNorm = ‖Φ‖.
func probRowMargin(w, phi []float64, phiNorm float64) float64 {
	ss := 0.0
	for i := range w {
		d := w[i] - phi[i]
		ss += d * d
	}
	return phiNorm - math.Sqrt(ss)
}

func probNorm2(v []float64) float64 {
	ss := 0.0
	for _, x := range v {
		ss += x * x
	}
	return math.Sqrt(ss)
}
