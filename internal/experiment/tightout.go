package experiment

import (
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"path/filepath"
	"strconv"
	"text/tabwriter"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"

	"github.com/dlnverify/dlnverify/internal/report"
)

// PrintTightness prints the tightness table.
func PrintTightness(w io.Writer, cs []TightCase) {
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	fmt.Fprintln(tw, "case\tN\tdims\tσ_min(Φ)\tc\tη*\tmax η/η*\tstab/η*\tδ*\tmax δ/δ*\tat η/η*\ttrials\t")
	for _, c := range cs {
		fmt.Fprintf(tw, "%d\t%d\t%s\t%.3f\t%.3f\t%.2e\t%s\t%.2e\t%.2e\t%s\t%.0e\t%d\t\n", c.Index, c.N, fmtDims(c.Dims), c.SigmaMinPh, c.C,
			c.EtaBound, fmtMultiple(c.EtaMultiple, c.EtaStatus), c.EtaStability, c.DeltaBound, fmtMultiple(c.DeltaMultiple, c.DeltaStatus), c.DeltaEta/c.EtaBound, c.Trials)
	}
	tw.Flush()
	fmt.Fprintln(w, "max η/η*: largest step (multiple of T1's η*) with ℓ ≤ ε within T1's horizon at that η; stab: 2/(N σ_max(Φ)^{2−2/N}) as a multiple of η*;")
	fmt.Fprintln(w, "max δ/δ*: largest start imbalance (multiple of T1's δ*) with the same conclusion at step 'at η/η*'; ≥ = no failure found up to it; < = none succeeded.")
}

func fmtMultiple(m float64, status string) string {
	switch status {
	case TightNoFail:
		return fmt.Sprintf("≥%.3g", m)
	case TightNoSuccess:
		return "<floor"
	}
	return fmt.Sprintf("%.3g", m)
}

// WriteTightness writes tightness.csv, tightness.json and the figure.
func WriteTightness(dir string, cfg TightnessConfig, cs []TightCase) ([]string, error) {
	var files []string
	write := func(name string, f func(io.Writer) error) error {
		fh, err := os.Create(filepath.Join(dir, name))
		if err != nil {
			return err
		}
		if err := f(fh); err != nil {
			fh.Close()
			return err
		}
		files = append(files, name)
		return fh.Close()
	}
	if err := write("tightness.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"case", "depth", "dims", "phi_frobenius", "sigma_min_phi", "margin", "initial_loss", "eta_bound", "eta_multiple", "eta_status", "eta_stability_multiple", "delta_bound", "delta_multiple", "delta_status", "delta_eta", "trials"})
		for _, c := range cs {
			_ = cw.Write([]string{strconv.Itoa(c.Index), strconv.Itoa(c.N), fmtDims(c.Dims), fmtF(c.PhiF), fmtF(c.SigmaMinPh), fmtF(c.C), fmtF(c.Loss0), fmtF(c.EtaBound),
				fmtF(c.EtaMultiple), c.EtaStatus, fmtF(c.EtaStability), fmtF(c.DeltaBound), fmtF(c.DeltaMultiple), c.DeltaStatus, fmtF(c.DeltaEta), strconv.Itoa(c.Trials)})
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return files, err
	}
	if err := write("tightness.json", func(w io.Writer) error {
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(struct {
			Seed    uint64       `json:"seed"`
			Epsilon report.Float `json:"epsilon"`
			Budget  int          `json:"budget"`
			Cases   []tightJSON  `json:"cases"`
		}{cfg.Seed, report.Float(cfg.Epsilon), cfg.Budget, tightCasesJSON(cs)})
	}); err != nil {
		return files, err
	}
	for _, ext := range []string{"png", "svg"} {
		if err := write("tightness."+ext, func(w io.Writer) error { return plotTightness(w, ext, cs) }); err != nil {
			return files, err
		}
	}
	return files, nil
}

func plotTightness(w io.Writer, ext string, cs []TightCase) error {
	mk := func(title, ylabel string, get func(TightCase) (float64, string), extra func(TightCase) float64, extraName string) (*plot.Plot, error) {
		p := plot.New()
		p.Title.Text = title
		p.X.Label.Text = "case"
		p.Y.Label.Text = ylabel
		logAxes(p, false, true)
		p.X.Tick.Marker = intTicks{}
		p.X.Min, p.X.Max = -0.5, float64(len(cs))-0.5
		p.Legend.Top, p.Legend.Left = true, true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		var found, open, ex plotter.XYs
		for _, c := range cs {
			v, st := get(c)
			if v <= 0 {
				continue
			}
			if st == TightNoFail {
				open = append(open, plotter.XY{X: float64(c.Index), Y: v})
			} else {
				found = append(found, plotter.XY{X: float64(c.Index), Y: v})
			}
			if extra != nil {
				ex = append(ex, plotter.XY{X: float64(c.Index), Y: extra(c)})
			}
		}
		add := func(xy plotter.XYs, g draw.GlyphDrawer, name string) error {
			if len(xy) == 0 {
				return nil
			}
			s, err := plotter.NewScatter(xy)
			if err != nil {
				return err
			}
			s.Shape, s.Radius, s.Color = g, vg.Points(4), colBalanced
			if name == extraName {
				s.Color = colGaussian
			}
			p.Add(s)
			p.Legend.Add(name, s)
			return nil
		}
		if err := add(found, draw.CircleGlyph{}, "largest multiple that still converges"); err != nil {
			return nil, err
		}
		if err := add(open, draw.TriangleGlyph{}, "no failure up to (lower bound)"); err != nil {
			return nil, err
		}
		if extra != nil {
			if err := add(ex, draw.CrossGlyph{}, extraName); err != nil {
				return nil, err
			}
		}
		p.Add(plotter.NewGrid())
		lo, hi := math.Inf(1), 0.0
		for _, xy := range append(append(append(plotter.XYs{}, found...), open...), ex...) {
			lo, hi = math.Min(lo, xy.Y), math.Max(hi, xy.Y)
		}
		if hi > 0 {
			// Headroom above the data for the legend.
			p.Y.Min, p.Y.Max = lo/3, hi*math.Pow(hi/lo, 0.5)*10
		}
		return p, nil
	}
	pe, err := mk("step size: max η / T1's η*", "multiple of η*", func(c TightCase) (float64, string) { return c.EtaMultiple, c.EtaStatus },
		func(c TightCase) float64 { return c.EtaStability }, "2/(N σ_max(Φ)^{2−2/N}) / η*")
	if err != nil {
		return err
	}
	pd, err := mk("imbalance: max δ / T1's δ*", "multiple of δ*", func(c TightCase) (float64, string) { return c.DeltaMultiple, c.DeltaStatus }, nil, "")
	if err != nil {
		return err
	}
	return writeTiles(w, ext, []*plot.Plot{pe, pd}, 8.4*vg.Inch, 3.6*vg.Inch)
}

// tightJSON is TightCase in the binary's JSON float convention
// (report.Float: NaN null, ±Inf "+Inf"/"-Inf").
type tightJSON struct {
	Index         int          `json:"index"`
	Seed          uint64       `json:"seed"`
	N             int          `json:"depth"`
	Dims          []int        `json:"dims"`
	PhiF          report.Float `json:"phi_frobenius"`
	SigmaMinPh    report.Float `json:"sigma_min_phi"`
	SigmaMaxPh    report.Float `json:"sigma_max_phi"`
	C             report.Float `json:"margin"`
	Loss0         report.Float `json:"initial_loss"`
	EtaBound      report.Float `json:"eta_bound"`
	DeltaBound    report.Float `json:"delta_bound"`
	Holds         bool         `json:"hypotheses_hold"`
	EtaMultiple   report.Float `json:"eta_multiple"`
	EtaFloor      report.Float `json:"eta_floor"`
	EtaStatus     string       `json:"eta_status"`
	EtaStability  report.Float `json:"eta_stability_multiple"`
	DeltaMultiple report.Float `json:"delta_multiple"`
	DeltaEta      report.Float `json:"delta_eta"`
	DeltaStatus   string       `json:"delta_status"`
	Trials        int          `json:"trials"`
	Seconds       report.Float `json:"seconds"`
}

func tightCasesJSON(cs []TightCase) []tightJSON {
	out := make([]tightJSON, len(cs))
	for i, c := range cs {
		out[i] = tightJSON{Index: c.Index, Seed: c.Seed, N: c.N, Dims: c.Dims, PhiF: report.Float(c.PhiF), SigmaMinPh: report.Float(c.SigmaMinPh),
			SigmaMaxPh: report.Float(c.SigmaMaxPh), C: report.Float(c.C), Loss0: report.Float(c.Loss0), EtaBound: report.Float(c.EtaBound),
			DeltaBound: report.Float(c.DeltaBound), Holds: c.Holds, EtaMultiple: report.Float(c.EtaMultiple), EtaFloor: report.Float(c.EtaFloor),
			EtaStatus: c.EtaStatus, EtaStability: report.Float(c.EtaStability), DeltaMultiple: report.Float(c.DeltaMultiple),
			DeltaEta: report.Float(c.DeltaEta), DeltaStatus: c.DeltaStatus, Trials: c.Trials, Seconds: report.Float(c.Seconds)}
	}
	return out
}
