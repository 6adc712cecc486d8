package main

import (
	"encoding/json"
	"fmt"
	"math"
	"strings"
	"testing"
)

// mixedUnitsCSV is issue 13's second case: years and cents, independent
// (correlation ≈ 0.06, condition number ≈ 1.1 after standardising, ≈ 1e13
// before), with a header and the label in the middle column.
func mixedUnitsCSV() string {
	var b strings.Builder
	b.WriteString("year,price,cents\n")
	for k := 0; k < 40; k++ {
		u := math.Sin(float64(k) * 1.3)
		v := math.Cos(float64(k) * 0.7)
		fmt.Fprintf(&b, "%g,%g,%g\n", 1990+5*u, 3*u-2*v+0.1*math.Sin(float64(k*k)), 1.5e9+1e7*(0.06*u+v))
	}
	return b.String()
}

// train --data: the data report (centred X and Y, Φ, κ, residuals with
// tolerances) before the Theorem 1 table; --json carries the same under
// "data". The label column is chosen by name.
func TestTrainData(t *testing.T) {
	path := writeFile(t, "mixed.csv", mixedUnitsCSV())
	out, stderr, code := runCLI(t, "train", "--data", path, "--label", "price", "--dims", "2,2,1", "--init", "balanced", "--std", "0.1", "--steps", "50", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	for _, want := range []string{`m = 40 examples, d_x = 2 features, label "price"`, "X and Y centred", "rank 2 of 2", "max|XXᵀ/m − I| = ", "κ = ", "Theorem 1 at the start", "hypotheses hold"} {
		if !strings.Contains(out, want) {
			t.Fatalf("stdout lacks %q:\n%s", want, out)
		}
	}
	js, stderr, code := runCLI(t, "train", "--data", path, "--label", "2", "--unit-phi", "--dims", "2,2,1", "--init", "balanced", "--std", "0.1", "--steps", "50", "--json", "--quiet")
	if code != 0 {
		t.Fatalf("exit %d: %s", code, stderr)
	}
	var r struct {
		Theorem1 struct {
			PhiF float64 `json:"phi_frobenius"`
		} `json:"theorem1"`
		Data struct {
			XCentred, YCentred bool
			Labels             []string    `json:"label_columns"`
			Unit               bool        `json:"phi_scaled_to_unit"`
			ResidualXX         float64     `json:"residual_xx"`
			TolXX              float64     `json:"residual_xx_tol"`
			ResidualYX         float64     `json:"residual_yx"`
			TolYX              float64     `json:"residual_yx_tol"`
			Phi                [][]float64 `json:"phi"`
		} `json:"data"`
	}
	if err := json.Unmarshal([]byte(js), &r); err != nil {
		t.Fatal(err)
	}
	d := r.Data
	if len(d.Labels) != 1 || d.Labels[0] != "price" || !d.Unit || math.Abs(r.Theorem1.PhiF-1) > 1e-12 || !(d.ResidualXX <= 1e-12) ||
		!(d.ResidualXX <= d.TolXX) || !(d.ResidualYX <= d.TolYX) || len(d.Phi) != 1 || len(d.Phi[0]) != 2 {
		t.Fatalf("train --json data: %+v (‖Φ‖_F %v)", d, r.Theorem1.PhiF)
	}
}

// The data errors are one line, exit 2, and say what is wrong: the bad
// cell's line and column, the dependent features, the flags' conflicts.
func TestDataErrors(t *testing.T) {
	oneHot := "x,red,green,blue,y\n"
	for k := 0; k < 12; k++ {
		d := []string{"1,0,0", "0,1,0", "0,0,1"}[k%3]
		oneHot += fmt.Sprintf("%d,%s,%d\n", k*k%7, d, k%5)
	}
	dep := writeFile(t, "onehot.csv", oneHot)
	bad := writeFile(t, "bad.csv", "a,b,y\n1,2,3\n4,five,6\n")
	few := writeFile(t, "few.csv", "1,2,3,4,5\n2,1,0,3,1\n0,0,1,1,2\n")
	mixed := writeFile(t, "mixed.csv", mixedUnitsCSV())
	for _, c := range []struct {
		want string
		args []string
	}{
		{`"red" + "green" + "blue" ≈ constant; drop a dependent feature (e.g. one dummy of a one-hot group) or reduce the rank (PCA whitening onto the principal subspace); --reduce-rank does the latter`, []string{"train", "--data", dep, "--dims", "4,1", "--init", "gaussian", "--std", "1"}},
		{`line 3, column 2 ("b"): "five" is not a finite number`, []string{"train", "--data", bad, "--dims", "2,1"}},
		{"3 examples for 4 features", []string{"bounds", "--data", few, "--N", "2", "--c", "0.1"}},
		{"--phi and --data both define Φ", []string{"train", "--data", mixed, "--phi", "1,2", "--dims", "2,1"}},
		{"give the widths with --dims 2,…,1", []string{"train", "--data", mixed}},
		{"--init balanced with --data needs --std", []string{"train", "--data", mixed, "--dims", "2,2,1"}},
		{"--label needs --data", []string{"train", "--label", "y"}},
		{"--unit-phi needs --data", []string{"bounds", "--unit-phi", "--N", "2", "--phi-norm", "1", "--sigma-min", "1"}},
		{"--data cannot be combined with --config", []string{"train", "--config", "x.json", "--data", mixed}},
		{"give Φ one way", []string{"bounds", "--data", mixed, "--phi", "1,2", "--N", "2"}},
		{`write --phi @data.csv for a file holding Φ, or --data data.csv for a data set`, []string{"bounds", "--phi", "data.csv", "--N", "2"}},
	} {
		requireUsageError(t, c.want, c.args...)
	}
	// PCA onto the principal subspace: d_0 = rank = 3.
	out, stderr, code := runCLI(t, "train", "--data", dep, "--reduce-rank", "--dims", "3,1", "--init", "gaussian", "--std", "0.1", "--eta", "0.01", "--steps", "5", "--quiet")
	if code != 0 || !strings.Contains(out, "rank 3 of 4") || !strings.Contains(out, "PCA onto the 3 principal directions") {
		t.Fatalf("--reduce-rank: exit %d\n%s%s", code, out, stderr)
	}
}

// --phi has one meaning in train and bounds: inline rows or @FILE.
func TestPhiFlagOneMeaning(t *testing.T) {
	f := writeFile(t, "phi.json", `[[0.8, 0], [0, 0.6]]`)
	a, _, c1 := runCLI(t, "bounds", "--phi", "0.8,0;0,0.6", "--N", "3", "--c", "0.5", "--json")
	b, _, c2 := runCLI(t, "bounds", "--phi", "@"+f, "--N", "3", "--c", "0.5", "--json")
	if c1 != 0 || c2 != 0 || a != b {
		t.Fatalf("bounds --phi inline vs @file: %d %d\n%s\n%s", c1, c2, a, b)
	}
	x, _, c3 := runCLI(t, "train", "--phi", "0.8,0;0,0.6", "--steps", "3", "--json", "--quiet")
	y, _, c4 := runCLI(t, "train", "--phi", "@"+f, "--steps", "3", "--json", "--quiet")
	strip := func(s string) string { // the wall time differs
		i := strings.Index(s, `"seconds"`)
		j := strings.Index(s[i:], "\n")
		return s[:i] + s[i+j:]
	}
	if c3 != 0 || c4 != 0 || strip(x) != strip(y) {
		t.Fatalf("train --phi inline vs @file: %d %d", c3, c4)
	}
}

// The former `fig1 --csv FILE` still works as --data, with a notice.
func TestFig1CSVAlias(t *testing.T) {
	_, stderr, code := runCLI(t, "experiment", "fig1", "--csv", "/nonexistent.csv", "--out", t.TempDir())
	if code != 2 || !strings.Contains(stderr, "--csv is deprecated; use --data /nonexistent.csv") || !strings.Contains(stderr, "/nonexistent.csv: no such file") {
		t.Fatalf("exit %d\n%s", code, stderr)
	}
}
