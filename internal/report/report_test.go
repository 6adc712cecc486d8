package report

import (
	"encoding/json"
	"math"
	"testing"
)

func TestFloatJSON(t *testing.T) {
	b, err := json.Marshal([]Float{1.5, Float(math.NaN()), Float(math.Inf(1)), Float(math.Inf(-1)), 1e-300, Float(math.Nextafter(0.3, 1))})
	if err != nil {
		t.Fatal(err)
	}
	if string(b) != `[1.5,null,"+Inf","-Inf",1e-300,0.30000000000000004]` {
		t.Fatalf("got %s", b)
	}
	var back []Float
	if err := json.Unmarshal(b, &back); err != nil {
		t.Fatal(err)
	}
	if back[0] != 1.5 || !math.IsNaN(float64(back[1])) || !math.IsInf(float64(back[2]), 1) || !math.IsInf(float64(back[3]), -1) ||
		back[4] != 1e-300 || back[5] != Float(math.Nextafter(0.3, 1)) {
		t.Fatalf("round trip gave %v", back)
	}
	var f Float
	if err := json.Unmarshal([]byte(`"NaN"`), &f); err == nil {
		t.Fatal(`"NaN" accepted`)
	}
}

func TestDecadeTicks(t *testing.T) {
	ticks := DecadeTicks{}.Ticks(1e-5, 1e-3)
	var labels []string
	for _, tk := range ticks {
		if tk.Label != "" {
			labels = append(labels, tk.Label)
		}
		if tk.Value < 1e-5 || tk.Value > 1e-3 {
			t.Fatalf("tick %g outside the range", tk.Value)
		}
	}
	if len(labels) != 3 || labels[0] != "1e-05" || labels[1] != "0.0001" || labels[2] != "0.001" {
		t.Fatalf("labels %q", labels)
	}
	if len(ticks) != 3+2*8 { // minor ticks 2..9 × 1e-5 and × 1e-4
		t.Fatalf("%d ticks", len(ticks))
	}
	// 300 decades: every 30th labelled, no minor ticks.
	wide := DecadeTicks{}.Ticks(1e-300, 1)
	n := 0
	for _, tk := range wide {
		if tk.Label != "" {
			n++
		}
	}
	if len(wide) != 301 || n != 11 {
		t.Fatalf("wide range: %d ticks, %d labelled", len(wide), n)
	}
	if (DecadeTicks{}).Ticks(0, 1) != nil || (DecadeTicks{}).Ticks(-1, 1) != nil {
		t.Fatal("ticks for a non-positive range")
	}
}

func TestOneLine(t *testing.T) {
	for in, want := range map[string]string{
		"plain":                     "plain",
		"  two\nlines \n":           "two | lines",
		"a\n\nb\tc":                 "a | | b c",
		"peer said:\r\n  bad shape": "peer said: | bad shape",
	} {
		if got := OneLine(in); got != want {
			t.Errorf("OneLine(%q) = %q, want %q", in, got, want)
		}
	}
}
