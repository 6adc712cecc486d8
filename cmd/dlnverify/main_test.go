package main

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"image/png"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/model"
)

// runCLI runs the command in-process.
func runCLI(t *testing.T, args ...string) (stdout, stderr string, code int) {
	t.Helper()
	var o, e bytes.Buffer
	code = run(args, &o, &e)
	return o.String(), e.String(), code
}

// requireUsageError asserts exit status 2 with exactly one line on stderr
// naming dlnverify, containing want, and no stack trace.
func requireUsageError(t *testing.T, want string, args ...string) {
	t.Helper()
	_, stderr, code := runCLI(t, args...)
	if code != 2 {
		t.Fatalf("%v: exit %d, want 2 (stderr %q)", args, code, stderr)
	}
	lines := strings.Split(strings.TrimRight(stderr, "\n"), "\n")
	if len(lines) != 1 || !strings.HasPrefix(lines[0], "dlnverify") {
		t.Fatalf("%v: stderr must be one dlnverify line, got %q", args, stderr)
	}
	if strings.Contains(stderr, "goroutine") || strings.Contains(stderr, ".go:") {
		t.Fatalf("%v: stack trace on stderr: %q", args, stderr)
	}
	if !strings.Contains(stderr, want) {
		t.Fatalf("%v: stderr %q does not mention %q", args, stderr, want)
	}
}

func writeFile(t *testing.T, name, content string) string {
	t.Helper()
	p := filepath.Join(t.TempDir(), name)
	if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
		t.Fatal(err)
	}
	return p
}

func TestTopLevelErrorsAndHelp(t *testing.T) {
	requireUsageError(t, "missing subcommand", []string{}...)
	requireUsageError(t, `unknown subcommand "frobnicate"`, "frobnicate")
	requireUsageError(t, `unknown subcommand "nope"`, "help", "nope")

	out, _, code := runCLI(t, "help")
	if code != 0 || !strings.Contains(out, "verify") || !strings.Contains(out, "falsify") {
		t.Fatalf("help: exit %d, output %q", code, out)
	}
	for _, sub := range []string{"verify", "train", "bounds", "falsify"} {
		out, _, code := runCLI(t, "help", sub)
		if code != 0 || !strings.Contains(out, "usage: dlnverify "+sub) {
			t.Fatalf("help %s: exit %d, output %q", sub, code, out)
		}
		out2, _, code2 := runCLI(t, sub, "-h")
		if code2 != 0 || out2 != out {
			t.Fatalf("%s -h: exit %d, output differs from help %s", sub, code2, sub)
		}
	}
}

func TestPanicIsRecovered(t *testing.T) {
	extraCommands = []command{{"boom", "test only", func([]string, io.Writer, io.Writer) error { panic("kaboom") }}}
	defer func() { extraCommands = nil }()
	requireUsageError(t, "internal error: kaboom", "boom")
}

// TestExperimentWired: `experiment` reaches internal/experiment.Main, whose
// errors keep the one-line, exit-2 contract.
func TestExperimentWired(t *testing.T) {
	if !experimentAvailable {
		requireUsageError(t, "not yet available", "experiment")
		return
	}
	requireUsageError(t, "need a subcommand", "experiment")
	requireUsageError(t, `unknown subcommand "fig9"`, "experiment", "fig9")
	if out, _, code := runCLI(t, "experiment", "--help"); code != 0 || !strings.Contains(out, "fig1") {
		t.Fatalf("experiment --help: exit %d\n%s", code, out)
	}
}

// explicitConfig is a small explicit-matrix configuration (N = 3,
// dims 2-3-2-2) with a margin and a step well inside GD's stable range.
const explicitConfig = `{
  "phi": [[0.9, 0.2], [-0.1, 0.7]],
  "layers": [
    [[0.9, 0.1], [0.05, 0.8], [0.1, -0.1]],
    [[0.95, 0.0, 0.1], [0.05, 0.9, 0.0]],
    [[1.0, 0.05], [-0.05, 0.95]]
  ],
  "eta": 0.05,
  "steps": 400,
  "stride": 1
}`

type trainOut struct {
	Status         string       `json:"status"`
	StepsRun       int          `json:"steps_run"`
	FinalLoss      report.Float `json:"final_loss"`
	FinalImbalance report.Float `json:"final_imbalance"`
	FinalMargin    report.Float `json:"final_margin"`
	InitialLoss    report.Float `json:"initial_loss"`
	Method         string       `json:"method"`
	Impl           string       `json:"impl"`
	Eta            float64      `json:"eta"`
	EtaRule        string       `json:"eta_rule"`
	Theorem1       struct {
		Holds    bool         `json:"holds"`
		C        report.Float `json:"margin_c"`
		Delta    report.Float `json:"delta"`
		EtaBound report.Float `json:"eta_bound"`
	} `json:"theorem1"`
	Trajectory []struct {
		Step      int          `json:"step"`
		Loss      report.Float `json:"loss"`
		Imbalance report.Float `json:"imbalance"`
	} `json:"trajectory"`
}

func trainJSON(t *testing.T, args ...string) trainOut {
	t.Helper()
	stdout, stderr, code := runCLI(t, append([]string{"train", "--json"}, args...)...)
	if code != 0 {
		t.Fatalf("train %v: exit %d: %s", args, code, stderr)
	}
	var out trainOut
	dec := json.NewDecoder(strings.NewReader(stdout))
	dec.DisallowUnknownFields()
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatalf("train %v: JSON: %v\n%s", args, err, stdout)
	}
	return out
}

// TestTrainConfigReproducesReference: `train --config` with explicit
// matrices gives model.Run's loss trajectory to 1e-10 relative (it is the
// same computation, so in fact bit for bit): with no --impl that of
// model.Fast (the default), with --impl reference that of model.Reference.
func TestTrainConfigReproducesReference(t *testing.T) {
	for _, c := range []struct {
		args []string
		impl model.Stepper
	}{{nil, model.NewFast()}, {[]string{"--impl", "reference"}, model.Reference{}}} {
		t.Run(c.impl.Name(), func(t *testing.T) { trainConfigReproduces(t, c.args, c.impl) })
	}
}

func trainConfigReproduces(t *testing.T, extra []string, impl model.Stepper) {
	path := writeFile(t, "cfg.json", explicitConfig)
	got := trainJSON(t, append([]string{"--config", path}, extra...)...)

	var cfg trainConfig
	if err := json.Unmarshal([]byte(explicitConfig), &cfg); err != nil {
		t.Fatal(err)
	}
	net, err := model.NewNetFromRows(cfg.Layers)
	if err != nil {
		t.Fatal(err)
	}
	phi, _ := model.DenseFromRows(cfg.Phi)
	want, err := model.Run(impl, net, phi, model.RunConfig{Eta: 0.05, MaxSteps: 400, Stride: 1})
	if err != nil {
		t.Fatal(err)
	}
	if got.Impl != impl.Name() {
		t.Fatalf("impl %q, want %q", got.Impl, impl.Name())
	}
	if len(got.Trajectory) != len(want.Trajectory) || len(want.Trajectory) != 401 {
		t.Fatalf("trajectory has %d rows, reference %d (want 401)", len(got.Trajectory), len(want.Trajectory))
	}
	const relTol = 1e-10 // the acceptance bound; JSON floats round-trip exactly, so 0 is expected
	exact := 0
	defer func() { t.Logf("%d of %d losses bit-identical to model.Run's", exact, len(want.Trajectory)) }()
	for i, w := range want.Trajectory {
		g := got.Trajectory[i]
		if float64(g.Loss) == w.Loss {
			exact++
		}
		if g.Step != w.Step || math.Abs(float64(g.Loss)-w.Loss) > relTol*math.Abs(w.Loss) {
			t.Fatalf("row %d: step %d loss %v, reference step %d loss %v", i, g.Step, float64(g.Loss), w.Step, w.Loss)
		}
	}
	if math.Abs(float64(got.FinalLoss)-want.FinalLoss) > relTol*want.FinalLoss || got.StepsRun != 400 || got.Status != "max_steps" {
		t.Fatalf("final: %+v vs reference %v", got, want.FinalLoss)
	}
	if !(float64(got.FinalLoss) < float64(got.InitialLoss)/100) {
		t.Fatalf("GD did not reduce the loss: %v → %v", float64(got.InitialLoss), float64(got.FinalLoss))
	}
	// The text form carries the same numbers.
	stdout, _, code := runCLI(t, "train", "--config", path)
	if code != 0 || !strings.Contains(stdout, "result: max_steps after 400 steps") || !strings.Contains(stdout, "hypotheses hold: NO") {
		t.Fatalf("text output: exit %d\n%s", code, stdout)
	}
}

func TestTrainDefaultFlagsHoldTheorem1(t *testing.T) {
	stdout, stderr, code := runCLI(t, "train", "--steps", "2000")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{"hypotheses hold: yes", "(t1)", "progress: step 2000/2000 (100%)", "final loss within it: yes"} {
		if !strings.Contains(stdout, want) {
			t.Fatalf("output lacks %q:\n%s", want, stdout)
		}
	}
	quiet, _, _ := runCLI(t, "train", "--steps", "2000", "--quiet")
	if strings.Contains(quiet, "progress:") {
		t.Fatalf("--quiet printed progress:\n%s", quiet)
	}
}

func TestTrainInitKinds(t *testing.T) {
	cases := []struct {
		name string
		init string
		phi  string
		eta  string
		ok   func(trainOut) bool
	}{
		{"balanced A", `{"kind":"balanced","dims":[2,3,2],"a":[[0.8,0.1],[0,0.5]],"insert":true,"seed":4}`, `[[0.9,0.1],[0,0.6]]`, `"t1"`,
			func(o trainOut) bool { return o.Theorem1.Holds && float64(o.Theorem1.Delta) < 1e-12 }},
		{"balanced std", `{"kind":"balanced","dims":[3,4,1],"std":0.3,"seed":2}`, `[[0.6,0.8,0]]`, `0.01`,
			func(o trainOut) bool { return float64(o.Theorem1.Delta) < 1e-12 }},
		{"gaussian", `{"kind":"gaussian","dims":[2,2,2],"std":0.4,"seed":3}`, `[[1,0],[0,1]]`, `0.01`,
			func(o trainOut) bool { return float64(o.Theorem1.Delta) > 1e-3 }},
		{"identity", `{"kind":"identity","dims":[2,2,2,2]}`, `[[1.1,0.1],[0,0.9]]`, `"t1"`,
			func(o trainOut) bool { return o.Theorem1.Holds && float64(o.Theorem1.Delta) == 0 }},
		{"imbalanced", `{"kind":"identity","dims":[2,2,2],"imbalance":0.01,"seed":5}`, `[[1.1,0.1],[0,0.9]]`, `0.01`,
			func(o trainOut) bool { return math.Abs(float64(o.Theorem1.Delta)-0.01) < 1e-8 }},
	}
	for _, c := range cases {
		cfg := `{"phi":` + c.phi + `,"init":` + c.init + `,"eta":` + c.eta + `,"steps":50}`
		out := trainJSON(t, "--config", writeFile(t, "c.json", cfg))
		if !c.ok(out) || out.StepsRun != 50 {
			t.Errorf("%s: unexpected result %+v", c.name, out)
		}
	}
}

func TestTrainFlowAgreesWithSmallStepGD(t *testing.T) {
	// Gradient flow for time τ = 40·0.005 = 0.2 against GD with η = 0.005:
	// GD is a first-order discretisation, so the losses agree to O(η).
	gd := trainJSON(t, "--eta", "0.005", "--steps", "40", "--quiet")
	fl := trainJSON(t, "--eta", "0.005", "--steps", "40", "--flow", "--dt", "0.001", "--quiet")
	if fl.Method != "flow" || fl.StepsRun != 40 || fl.Status != "max_steps" {
		t.Fatalf("flow result %+v", fl)
	}
	g, f := float64(gd.FinalLoss), float64(fl.FinalLoss)
	if !(f < float64(fl.InitialLoss)) || math.Abs(g-f) > 0.05*f {
		t.Fatalf("flow loss %v vs GD %v (start %v)", f, g, float64(fl.InitialLoss))
	}
	if !(float64(fl.FinalImbalance) < 1e-9) { // F1: flow conserves the (zero) imbalance
		t.Fatalf("flow changed the imbalance to %v", float64(fl.FinalImbalance))
	}
}

// TestTrainDivergedJSON: a diverging run still writes valid JSON; its
// non-finite numbers are null / "+Inf" strings.
func TestTrainDivergedJSON(t *testing.T) {
	cfg := `{"phi":[[1,0],[0,1]],"init":{"kind":"gaussian","dims":[2,2,2,2],"std":2,"seed":1},"eta":5,"steps":1000,"stride":1}`
	stdout, stderr, code := runCLI(t, "train", "--json", "--config", writeFile(t, "d.json", cfg))
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var generic map[string]any
	if err := json.Unmarshal([]byte(stdout), &generic); err != nil {
		t.Fatalf("invalid JSON for a diverged run: %v", err)
	}
	if generic["status"] != "diverged" {
		t.Fatalf("status %v, want diverged", generic["status"])
	}
	var out trainOut
	if err := json.Unmarshal([]byte(stdout), &out); err != nil {
		t.Fatal(err)
	}
	if out.StepsRun >= 1000 {
		t.Fatalf("diverged run went on for %d steps", out.StepsRun)
	}
}

func TestTrainPlot(t *testing.T) {
	dir := t.TempDir()
	pngPath, svgPath := filepath.Join(dir, "run.png"), filepath.Join(dir, "run.svg")
	for _, p := range []string{pngPath, svgPath} {
		stdout, stderr, code := runCLI(t, "train", "--eta", "0.05", "--steps", "300", "--quiet", "--plot", p)
		if code != 0 || !strings.Contains(stdout, "plot written to "+p) {
			t.Fatalf("--plot %s: exit %d: %s %s", p, code, stdout, stderr)
		}
	}
	f, err := os.Open(pngPath)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	img, err := png.Decode(f)
	if err != nil {
		t.Fatalf("PNG does not decode: %v", err)
	}
	if b := img.Bounds(); b.Dx() < 300 || b.Dy() < 300 {
		t.Fatalf("PNG is only %v", b)
	}
	svg, err := os.ReadFile(svgPath)
	if err != nil {
		t.Fatal(err)
	}
	dec := xml.NewDecoder(bytes.NewReader(svg))
	var root string
	for {
		tok, err := dec.Token()
		if err == io.EOF {
			break
		}
		if err != nil {
			t.Fatalf("SVG is not XML: %v", err)
		}
		if se, ok := tok.(xml.StartElement); ok && root == "" {
			root = se.Name.Local
		}
	}
	if root != "svg" {
		t.Fatalf("SVG root element is %q", root)
	}
	// A run whose loss reaches exactly 0 (or never leaves 0) must still plot.
	zero := `{"phi":[[1]],"layers":[[[1]],[[1]]],"eta":0.1,"steps":5}`
	_, stderr, code := runCLI(t, "train", "--quiet", "--config", writeFile(t, "z.json", zero), "--plot", filepath.Join(dir, "z.png"))
	if code != 0 {
		t.Fatalf("zero-loss plot: exit %d: %s", code, stderr)
	}
}

func TestTrainErrors(t *testing.T) {
	good := map[string]string{
		"phi":    `[[0.9,0.2],[-0.1,0.7]]`,
		"layers": `[[[0.9,0.1],[0.05,0.8]],[[1,0],[0,1]]]`,
		"eta":    `0.01`,
		"steps":  `10`,
	}
	cfg := func(edit map[string]string) string {
		m := map[string]string{}
		for k, v := range good {
			m[k] = v
		}
		for k, v := range edit {
			m[k] = v
		}
		var parts []string
		for _, k := range []string{"phi", "layers", "init", "eta", "steps", "epsilon", "stride", "flow", "dt", "impl", "bogus"} {
			if v, ok := m[k]; ok && v != "" {
				parts = append(parts, `"`+k+`":`+v)
			}
		}
		return "{" + strings.Join(parts, ",") + "}"
	}
	cases := []struct {
		name, content, want string
	}{
		{"unknown field", cfg(map[string]string{"bogus": "1"}), `unknown field "bogus"`},
		{"unknown init field", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2,2],"sd":1}`}), `unknown field "sd"`},
		{"NaN literal", cfg(map[string]string{"eta": "NaN"}), "invalid JSON"},
		{"syntax", `{"phi": [[1,2]`, "invalid JSON"},
		{"empty", ``, "empty JSON"},
		{"trailing", cfg(nil) + ` {}`, "trailing data"},
		{"huge number", cfg(map[string]string{"eta": "1e999"}), "eta"},
		{"missing phi", cfg(map[string]string{"phi": ""}), `missing "phi"`},
		{"missing steps", cfg(map[string]string{"steps": ""}), `missing "steps"`},
		{"missing eta", cfg(map[string]string{"eta": ""}), `missing "eta"`},
		{"missing model", cfg(map[string]string{"layers": ""}), `missing "layers"`},
		{"both", cfg(map[string]string{"init": `{"kind":"identity","dims":[2,2,2]}`}), `not both`},
		{"ragged phi", cfg(map[string]string{"phi": `[[1,2],[3]]`}), "row 1 has 1 entries"},
		{"empty phi", cfg(map[string]string{"phi": `[]`}), "empty matrix"},
		{"layer chain", cfg(map[string]string{"layers": `[[[1,0],[0,1]],[[1,0,0],[0,1,0]]]`}), "W_2 is 2×3"},
		{"phi shape", cfg(map[string]string{"phi": `[[1,2,3],[4,5,6]]`}), "phi and layers disagree"},
		{"ragged layer", cfg(map[string]string{"layers": `[[[1,0],[0]],[[1,0],[0,1]]]`}), "layers: layer W_1"},
		{"negative steps", cfg(map[string]string{"steps": "-1"}), "steps = -1"},
		{"fractional steps", cfg(map[string]string{"steps": "1.5"}), "invalid JSON"},
		{"negative epsilon", cfg(map[string]string{"epsilon": "-1"}), "epsilon"},
		{"negative stride", cfg(map[string]string{"stride": "-2"}), "stride"},
		{"zero eta", cfg(map[string]string{"eta": "0"}), "eta = 0"},
		{"eta word", cfg(map[string]string{"eta": `"big"`}), `eta must be a number or "t1"`},
		{"t1 without margin", cfg(map[string]string{"phi": `[[-1,0],[0,1]]`, "eta": `"t1"`}), "deficiency margin"},
		{"dt without flow", cfg(map[string]string{"dt": "0.1"}), "dt applies to gradient flow"},
		{"bad dt", cfg(map[string]string{"flow": "true", "dt": "-0.1"}), "dt = -0.1"},
		{"unknown impl", cfg(map[string]string{"impl": `"turbo"`}), `unknown impl "turbo"`},
		{"impl with flow", cfg(map[string]string{"flow": "true", "impl": `"reference"`}), "applies to GD"},
		{"unknown kind", cfg(map[string]string{"layers": "", "init": `{"kind":"xavier","dims":[2,2]}`}), `unknown kind "xavier"`},
		{"missing kind", cfg(map[string]string{"layers": "", "init": `{"dims":[2,2]}`}), `missing "kind"`},
		{"missing dims", cfg(map[string]string{"layers": "", "init": `{"kind":"identity"}`}), `missing "dims"`},
		{"short dims", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2]}`}), "N ≥ 1"},
		{"zero width", cfg(map[string]string{"layers": "", "init": `{"kind":"gaussian","dims":[2,0,2],"std":1}`}), "d_1 = 0"},
		{"dims vs phi", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[3,3]}`}), "dims [3 3] give"},
		{"gaussian no std", cfg(map[string]string{"layers": "", "init": `{"kind":"gaussian","dims":[2,2]}`}), `missing "std"`},
		{"negative std", cfg(map[string]string{"layers": "", "init": `{"kind":"gaussian","dims":[2,2],"std":-1}`}), "std = -1"},
		{"identity unequal", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2,3,2]}`}), "all widths equal"},
		{"identity std", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2,2],"std":1}`}), `"std" is not used`},
		{"balanced both", cfg(map[string]string{"layers": "", "init": `{"kind":"balanced","dims":[2,2],"std":1,"a":[[1,0],[0,1]]}`}), "not both"},
		{"balanced neither", cfg(map[string]string{"layers": "", "init": `{"kind":"balanced","dims":[2,2]}`}), `missing "a"`},
		{"balanced narrow", cfg(map[string]string{"layers": "", "init": `{"kind":"balanced","dims":[2,1,2],"std":1}`}), "hidden width"},
		{"balanced a shape", cfg(map[string]string{"layers": "", "init": `{"kind":"balanced","dims":[2,2,2],"a":[[1,0,0],[0,1,0]]}`}), "A is 2×3"},
		{"bad imbalance", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2,2,2],"imbalance":-1}`}), "imbalance = -1"},
		{"imbalance depth 1", cfg(map[string]string{"layers": "", "init": `{"kind":"identity","dims":[2,2],"imbalance":0.1}`}), "depth 1"},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			requireUsageError(t, c.want, "train", "--quiet", "--config", writeFile(t, "c.json", c.content))
		})
	}
	flagCases := []struct {
		want string
		args []string
	}{
		{"cannot read config", []string{"--config", filepath.Join(t.TempDir(), "missing.json")}},
		{"flag provided but not defined: -frob", []string{"--frob"}},
		{`unexpected argument "extra"`, []string{"extra"}},
		{`invalid value "fast-ish"`, []string{"--eta", "fast-ish"}},
		{`invalid value "x"`, []string{"--steps", "x"}},
		{"--dims cannot be combined with --config", []string{"--config", "whatever.json", "--dims", "2,2"}},
		{"must end in .png or .svg", []string{"--plot", "out.pdf"}},
		{"non-finite entry", []string{"--phi", "NaN,0;0,1"}},
		{"--phi: row 0", []string{"--phi", "1,x;0,1"}},
		{"--dims", []string{"--dims", "2,two,2"}},
		{"--a", []string{"--a", "1;"}},
		{"the default --dims 2,2,2,2 gives d_N×d_0 = 2×2 but --phi is 2×3", []string{"--phi", "1,0,0;0,1,0"}},
		{`unknown impl "turbo"`, []string{"--impl", "turbo"}},
		{"the directory /nonexistent-dir does not exist", []string{"--steps", "1", "--plot", "/nonexistent-dir/x.png"}},
	}
	for _, c := range flagCases {
		requireUsageError(t, c.want, append([]string{"train", "--quiet"}, c.args...)...)
	}
}

func TestBounds(t *testing.T) {
	// N = 2, d = 1, c = 0.9 and three decades: the sheet's T ≈ 5e5.
	stdout, stderr, code := runCLI(t, "bounds", "--phi-norm", "1", "--sigma-min", "1", "--N", "2", "--c", "0.9", "--loss0", "1e-3", "--epsilon", "1e-6", "--json")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var got boundsResult
	if err := json.Unmarshal([]byte(stdout), &got); err != nil {
		t.Fatal(err)
	}
	b := got.Theorem1
	if b == nil || math.Abs(float64(b.Horizon)-5.175e5)/5.175e5 > 1e-3 {
		t.Fatalf("T(ε) = %+v, want ≈ 5.175e5", b)
	}
	if float64(b.EtaBound) != 1.4831467236328127e-05 && math.Abs(float64(b.EtaBound)/(math.Pow(0.9, 3)/(6144*8))-1) > 1e-12 {
		t.Fatalf("η* = %v", float64(b.EtaBound))
	}
	if math.Abs(float64(b.DeltaBound)/(0.81/(256*8))-1) > 1e-12 {
		t.Fatalf("δ* = %v", float64(b.DeltaBound))
	}

	// Φ from JSON and from CSV give the same text, including R1.
	js := writeFile(t, "phi.json", `[[1.1, 0.1], [0, 0.9]]`)
	csv := writeFile(t, "phi.csv", "c1,c2\n1.1,0.1\n0,0.9\n")
	a, _, c1 := runCLI(t, "bounds", "--phi", "@"+js, "--N", "3", "--c", "0.5")
	b2, _, c2 := runCLI(t, "bounds", "--phi", "@"+csv, "--N", "3", "--c", "0.5")
	if c1 != 0 || c2 != 0 || a != b2 {
		t.Fatalf("JSON and CSV Φ differ (exit %d, %d):\n%s\n%s", c1, c2, a, b2)
	}
	for _, want := range []string{"Theorem 1 at margin c = 0.5", "R1 (residual start W_j = I): ‖Φ − I‖_F = 0.173205 < ½: yes", "margin c = 1 − 2‖Φ − I‖_F = 0.65359"} {
		if !strings.Contains(a, want) {
			t.Fatalf("bounds output lacks %q:\n%s", want, a)
		}
	}
	// R1 alone (no --c) with a square Φ.
	if out, _, code := runCLI(t, "bounds", "--phi", "@"+js, "--N", "2"); code != 0 || strings.Contains(out, "Theorem 1 at margin") || !strings.Contains(out, "R1") {
		t.Fatalf("R1-only: exit %d\n%s", code, out)
	}
	far := writeFile(t, "far.json", `[[2, 0], [0, 2]]`)
	if out, _, _ := runCLI(t, "bounds", "--phi", "@"+far, "--N", "2"); !strings.Contains(out, "< ½: NO") {
		t.Fatalf("R1 should fail for Φ = 2I:\n%s", out)
	}

	errs := []struct {
		want string
		args []string
	}{
		{"missing --N", []string{"--phi-norm", "1", "--sigma-min", "1", "--c", "0.5"}},
		{"--N = 0", []string{"--N", "0", "--phi-norm", "1", "--sigma-min", "1", "--c", "0.5"}},
		{"missing Φ", []string{"--N", "2", "--c", "0.5"}},
		{"go together", []string{"--N", "2", "--c", "0.5", "--phi-norm", "1"}},
		{"not both", []string{"--N", "2", "--c", "0.5", "--phi", "@" + js, "--phi-norm", "1"}},
		{"--phi-norm = -1", []string{"--N", "2", "--c", "0.5", "--phi-norm", "-1", "--sigma-min", "0"}},
		{"--sigma-min = 2", []string{"--N", "2", "--c", "0.5", "--phi-norm", "1", "--sigma-min", "2"}},
		{"--c = 0.95", []string{"--N", "2", "--c", "0.95", "--phi-norm", "1", "--sigma-min", "0.9"}},
		{"--c = -1", []string{"--N", "2", "--c", "-1", "--phi-norm", "1", "--sigma-min", "0.9"}},
		{"missing --c", []string{"--N", "2", "--phi", "@" + writeFile(t, "wide.json", `[[1, 0, 0]]`)}},
		{"--epsilon = 0", []string{"--N", "2", "--c", "0.5", "--phi-norm", "1", "--sigma-min", "1", "--epsilon", "0"}},
		{"--loss0 = -1", []string{"--N", "2", "--c", "0.5", "--phi-norm", "1", "--sigma-min", "1", "--loss0", "-1"}},
		{"cannot read Φ", []string{"--N", "2", "--c", "0.5", "--phi", "@" + filepath.Join(t.TempDir(), "none.csv")}},
		{"invalid JSON", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "bad.json", `[[1, 0], [0, 1]`)}},
		{"trailing data", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "obj.json", `[[1, 0], [0, 1]] {"x":1}`)}},
		{"row 1 has 1 entries", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "rag.json", `[[1, 0], [1]]`)}},
		{"not a number", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "bad.csv", "1,0\n0,x\n")}},
		{"non-finite", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "nan.csv", "1,0\n0,NaN\n")}},
		{"empty file", []string{"--N", "2", "--c", "0.5", "--phi", "@" + writeFile(t, "empty.csv", "  \n")}},
		{"flag provided but not defined", []string{"--N", "2", "--cc", "0.5"}},
	}
	for _, e := range errs {
		requireUsageError(t, e.want, append([]string{"bounds"}, e.args...)...)
	}
}

func TestReadPhiSingular(t *testing.T) {
	// A rank-deficient Φ has σ_min = 0: no margin c > 0 exists (D2's footnote).
	p := writeFile(t, "sing.json", `[[1, 1], [1, 1]]`)
	requireUsageError(t, "0 < c ≤ σ_min(Φ) = 0", "bounds", "--phi", "@"+p, "--N", "2", "--c", "0.1")
	phi, err := readPhi(p)
	if err != nil || !mat.Equal(phi, mat.NewDense(2, 2, []float64{1, 1, 1, 1})) {
		t.Fatalf("readPhi: %v %v", phi, err)
	}
}

func TestTrainFastMatchesReference(t *testing.T) {
	path := writeFile(t, "cfg.json", explicitConfig)
	ref := trainJSON(t, "--config", path)
	fast := trainJSON(t, "--config", path, "--impl", "fast")
	for i, r := range ref.Trajectory {
		f := fast.Trajectory[i]
		// Fast evaluates the same formula in another order: rounding only.
		// The weights then differ by about u·‖W‖·steps ≈ 2.2e-16·2·400 ≈
		// 2e-13 (budget 1e-12), so ℓ = ½‖E‖² differs by ≤ √(2ℓ)·1e-12 plus
		// a relative 1e-9 while ℓ is large.
		r0, f0 := float64(r.Loss), float64(f.Loss)
		if math.Abs(f0-r0) > 1e-9*r0+math.Sqrt(2*r0)*1e-12 {
			t.Fatalf("step %d: fast %v, reference %v", r.Step, float64(f.Loss), float64(r.Loss))
		}
	}
}

// TestExampleConfigs keeps the configurations docs/cli.md shows valid.
func TestExampleConfigs(t *testing.T) {
	ex := trainJSON(t, "--quiet", "--config", "testdata/explicit.json")
	if ex.Status != "converged" {
		t.Fatalf("explicit.json: status %s", ex.Status)
	}
	bal := trainJSON(t, "--quiet", "--config", "testdata/balanced.json", "--steps", "100")
	if !bal.Theorem1.Holds || bal.StepsRun != 100 {
		t.Fatalf("balanced.json: %+v", bal.Theorem1)
	}
	requireUsageError(t, "stride = -3", "train", "--quiet", "--stride", "-3")
	requireUsageError(t, `invalid value "x" for flag -stride`, "train", "--stride", "x")
}

func TestProgressOutput(t *testing.T) {
	var b bytes.Buffer
	bar := &barProgress{w: &b, total: 200}
	bar.update(100, 0.25)
	bar.done()
	if s := b.String(); !strings.HasPrefix(s, "\r[###############               ]  50% step 100/200 loss 2.500e-01") || !strings.HasSuffix(s, "\n") {
		t.Fatalf("bar: %q", s)
	}
	b.Reset()
	lines := newProgress(&b, 100) // a buffer is not a terminal: plain lines
	for i := 1; i <= 100; i++ {
		lines.update(i, 1)
	}
	if n := strings.Count(b.String(), "\n"); n != 10 || strings.Contains(b.String(), "\r") {
		t.Fatalf("plain progress printed %d lines: %q", n, b.String())
	}
}
