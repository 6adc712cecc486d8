package main

import (
	"encoding/json"
	"math"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// The right values below come from math/big by hand in
// invariants/scale_test.go (TestBoundsScaleFree): η*(N=3, ‖Φ‖=1e-160,
// c=5e-161) = 1.2885018406068379e207, η*(N=8, ‖Φ‖=1e100, c=5e99) =
// 2.3627422551368098e-183; the tier is that test's 4u·(8 + Σ|p ln x|).
const (
	etaTiny      = 1.2885018406068379e207
	etaTinyTol   = 4 * linalg.UnitRoundoff * (8 + 10.0/3*math.Ln2 + 4.0/3*160*math.Ln10)
	etaHuge      = 2.3627422551368098e-183
	etaHugeTol   = 4 * linalg.UnitRoundoff * (8 + 3.75*math.Ln2 + 1.75*100*math.Ln10)
	noMarginText = "undefined (no margin c > 0)"
)

func relErr(got, want float64) float64 { return math.Abs(got-want) / math.Abs(want) }

// TestBoundsExtremeScales: `bounds` at representable extreme scales where
// the two powers of η* leave float64's range separately (issue 14 item 5;
// both gave null).
func TestBoundsExtremeScales(t *testing.T) {
	for _, c := range []struct {
		args      []string
		want, tol float64
	}{
		{[]string{"--phi-norm", "1e-160", "--sigma-min", "1e-160", "--N", "3", "--c", "5e-161"}, etaTiny, etaTinyTol},
		{[]string{"--phi-norm", "1e100", "--sigma-min", "1e100", "--N", "8", "--c", "5e99"}, etaHuge, etaHugeTol},
	} {
		stdout, stderr, code := runCLI(t, append([]string{"bounds", "--json"}, c.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", c.args, code, stderr)
		}
		var got boundsResult
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatal(err)
		}
		b := got.Theorem1
		if b == nil || !(relErr(float64(b.EtaBound), c.want) <= c.tol) {
			t.Fatalf("%v: η* = %+v, want %v", c.args, b, c.want)
		}
		for name, v := range map[string]float64{"δ*": float64(b.DeltaBound), "rate": float64(b.Rate), "T(ε)": float64(b.Horizon)} {
			if math.IsNaN(v) || math.IsInf(v, 0) {
				t.Fatalf("%v: %s = %v", c.args, name, v)
			}
		}
		text, _, _ := runCLI(t, append([]string{"bounds"}, c.args...)...)
		if strings.Contains(text, "NaN") || strings.Contains(text, "Inf") {
			t.Fatalf("%v: text has a non-finite value:\n%s", c.args, text)
		}
	}
}

// TestTrainEtaT1ExtremeScale: `"eta": "t1"` at ‖Φ‖ = 1e-160 uses the
// finite η* instead of blaming a NaN the user never gave.
func TestTrainEtaT1ExtremeScale(t *testing.T) {
	path := writeFile(t, "tiny.json", `{"phi":[[1e-160]],"layers":[[[5e-161]],[[1]],[[1]]],"eta":"t1","steps":0}`)
	out := trainJSON(t, "--config", path)
	if !(relErr(out.Eta, etaTiny) <= etaTinyTol) || out.EtaRule != "t1" {
		t.Fatalf("η = %v (%s), want η* = %v", out.Eta, out.EtaRule, etaTiny)
	}
}

// TestNoMarginNoBound: without a margin the bounds of Theorem 1 are
// undefined, and every front end says so the same way: null in JSON,
// "undefined" in text (issue 14 item 4; train printed δ* from c², η*
// negative or NaN; falsify printed 0; bounds omitted R1's).
func TestNoMarginNoBound(t *testing.T) {
	// train: c = 1 − |−0.25 − 1| = −0.25.
	path := writeFile(t, "nomargin.json", `{"phi":[[1]],"layers":[[[0.5]],[[-0.5]]],"eta":0.1,"steps":3,"epsilon":1e-6}`)
	stdout, stderr, code := runCLI(t, "train", "--config", path, "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var raw struct {
		Theorem1  map[string]json.RawMessage `json:"theorem1"`
		Guarantee json.RawMessage            `json:"t1_guarantee"`
	}
	if err := json.Unmarshal([]byte(stdout), &raw); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"delta_bound", "eta_bound", "rate", "horizon"} {
		if string(raw.Theorem1[k]) != "null" {
			t.Fatalf("train --json: theorem1.%s = %s, want null\n%s", k, raw.Theorem1[k], stdout)
		}
	}
	if string(raw.Guarantee) != "null" || string(raw.Theorem1["margin_c"]) != "-0.25" {
		t.Fatalf("train --json: guarantee %s, margin %s", raw.Guarantee, raw.Theorem1["margin_c"])
	}
	text, _, _ := runCLI(t, "train", "--config", path, "--quiet")
	if strings.Count(text, "≤ δ* = "+noMarginText) != 1 || strings.Count(text, "≤ η* = "+noMarginText) != 1 || strings.Contains(text, "rate") {
		t.Fatalf("train text:\n%s", text)
	}
	// eta "t1" without a margin stays a usage error naming the margin.
	t1 := writeFile(t, "t1.json", `{"phi":[[1]],"layers":[[[0.5]],[[-0.5]]],"eta":"t1","steps":3}`)
	requireUsageError(t, `eta "t1" needs a start with deficiency margin c > 0 (measured -0.25)`, "train", "--config", t1)

	// bounds: R1 at Φ = 2I has c = 1 − 2‖Φ − I‖_F = 1 − 2√2 < 0.
	far := writeFile(t, "far.json", `[[2, 0], [0, 2]]`)
	out, _, _ := runCLI(t, "bounds", "--phi", "@"+far, "--N", "2")
	if !strings.Contains(out, "δ*, η*, rate and T(ε): undefined (no margin c > 0)") {
		t.Fatalf("bounds text:\n%s", out)
	}
	js, _, _ := runCLI(t, "bounds", "--phi", "@"+far, "--N", "2", "--json")
	var br struct {
		Residual struct {
			Bounds map[string]json.RawMessage `json:"bounds"`
		} `json:"residual"`
	}
	if err := json.Unmarshal([]byte(js), &br); err != nil {
		t.Fatal(err)
	}
	for _, k := range []string{"delta_bound", "eta_bound", "rate", "horizon"} {
		if string(br.Residual.Bounds[k]) != "null" {
			t.Fatalf("bounds --json: residual.bounds.%s = %s, want null\n%s", k, br.Residual.Bounds[k], js)
		}
	}
}

// TestBoundsRateAndHorizonScaleFree: the rate and T(ε) at η* at scales
// where η* is +Inf or 0 (issue 14 item 5's kind; they printed NaN). The
// right values are the log-domain closed forms evaluated by hand:
// rate = (c/‖Φ‖)^{14/3}/165888 (N = 3), T = ln(ℓ(0)/ε)/rate with
// ln ℓ(0) = 2 ln(σ_min − c) − ln 2. Tier: 4u·(8 + ln 165888 + 14/3·(|ln c| +
// |ln ‖Φ‖|) + |ln ℓ(0)| + |ln ε|), monomial's and the logarithms' errors.
func TestBoundsRateAndHorizonScaleFree(t *testing.T) {
	u := linalg.UnitRoundoff
	for _, cs := range []struct {
		args             []string
		rate, lnL0, lnEp float64 // lnL0 = ln ℓ(0), lnEp = ln ε
		note             bool    // T = 0 only because ℓ(0) ≤ ε: a note says so
	}{
		{[]string{"--phi-norm", "1e-300", "--sigma-min", "1e-300", "--N", "3", "--c", "5e-301", "--epsilon", "1e-310"},
			math.Pow(0.5, 14.0/3) / 165888, 2*(math.Log(5)-301*math.Ln10) - math.Ln2, -310 * math.Ln10, true},
		{[]string{"--phi-norm", "5e-324", "--sigma-min", "5e-324", "--N", "3", "--c", "5e-324"},
			1.0 / 165888, math.Inf(-1), -6 * math.Ln10, false},
		{[]string{"--phi-norm", "1e308", "--sigma-min", "1e308", "--N", "3", "--c", "1e307"},
			math.Pow(0.1, 14.0/3) / 165888, 2*(math.Log(9)+307*math.Ln10) - math.Ln2, -6 * math.Ln10, false},
		{[]string{"--phi-norm", "1e-160", "--sigma-min", "1e-160", "--N", "3", "--c", "5e-161"},
			math.Pow(0.5, 14.0/3) / 165888, 2*(math.Log(5)-161*math.Ln10) - math.Ln2, -6 * math.Ln10, true},
		{[]string{"--phi-norm", "1e-160", "--sigma-min", "1e-160", "--N", "3", "--c", "5e-161", "--epsilon", "1e-322"}, // ε parses to 20·2^{−1074}
			math.Pow(0.5, 14.0/3) / 165888, 2*(math.Log(5)-161*math.Ln10) - math.Ln2, math.Log(20) - 1074*math.Ln2, false},
	} {
		stdout, stderr, code := runCLI(t, append([]string{"bounds", "--json"}, cs.args...)...)
		if code != 0 {
			t.Fatalf("%v: exit %d: %s", cs.args, code, stderr)
		}
		var got boundsResult
		if err := json.Unmarshal([]byte(stdout), &got); err != nil {
			t.Fatal(err)
		}
		b := got.Theorem1
		tol := 4 * u * (8 + math.Log(165888) + 14.0/3*2*745 + 2*745)
		if b == nil || !(relErr(float64(b.Rate), cs.rate) <= tol) {
			t.Fatalf("%v: rate = %+v, want %v", cs.args, b, cs.rate)
		}
		wantT := math.Max(0, cs.lnL0-cs.lnEp) / cs.rate
		if h := float64(b.Horizon); !(h == wantT || relErr(h, wantT) <= tol) {
			t.Fatalf("%v: T(ε) = %v, want %v", cs.args, h, wantT)
		}
		text, _, _ := runCLI(t, append([]string{"bounds"}, cs.args...)...)
		if strings.Contains(text, "NaN") {
			t.Fatalf("%v: text has NaN:\n%s", cs.args, text)
		}
		if has := strings.Contains(text, "T(ε) = 0 trivially"); has != cs.note {
			t.Fatalf("%v: note on a trivial T(ε) = 0: %v, want %v:\n%s", cs.args, has, cs.note, text)
		}
	}
}

// TestBoundsPlannerLimits: --dims above planMaxParams weights skips the
// planner with a note (it used to calibrate 3000³ for minutes), and --dims
// that no Φ with the given norms fits is a one-line error.
func TestBoundsPlannerLimits(t *testing.T) {
	out, stderr, code := runCLI(t, "bounds", "--phi-norm", "3000", "--sigma-min", "1", "--N", "2", "--c", "0.25", "--dims", "3000,3000,3000")
	if code != 0 || !strings.Contains(out, "note: planner skipped: dims [3000 3000 3000] have 18000000 weights > 262144") || strings.Contains(out, "planner (dims") {
		t.Fatalf("exit %d, stderr %q, stdout:\n%s", code, stderr, out)
	}
	_, stderr, code = runCLI(t, "bounds", "--phi-norm", "1", "--sigma-min", "0.9", "--N", "2", "--c", "0.25", "--dims", "3,3,3")
	if code != 2 || !strings.Contains(stderr, "--dims [3 3 3] do not fit the norms") || !strings.Contains(stderr, "= 1.55885 > --phi-norm 1") {
		t.Fatalf("exit %d, stderr %q", code, stderr)
	}
}
