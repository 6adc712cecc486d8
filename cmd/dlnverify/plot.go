package main

import (
	"errors"
	"fmt"
	"image/color"
	"io"
	"math"
	"os"
	"path/filepath"
	"strings"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/dlnverify/dlnverify/internal/report"
)

// plotFormat returns "png" or "svg" from the file name.
func plotFormat(path string) (string, error) {
	switch ext := strings.ToLower(filepath.Ext(path)); ext {
	case ".png":
		return "png", nil
	case ".svg":
		return "svg", nil
	default:
		return "", fmt.Errorf("--plot %q: the file must end in .png or .svg", path)
	}
}

// writePlot draws two panels against steps: the loss on a log scale with
// T1's guaranteed rate ℓ(0)(1 − ηc^{2(N−1)/N})^t, and the imbalance (D1).
// checkPlotPath reports, before a run, whether path has a plot extension
// and lies in an existing directory where a file can be created (it
// creates and removes a temporary file there), so that a long run is not
// started only to fail at the end.
func checkPlotPath(path string) error {
	if _, err := plotFormat(path); err != nil {
		return err
	}
	if st, err := os.Stat(path); err == nil && st.IsDir() {
		return fmt.Errorf("--plot: %s is a directory", path)
	}
	dir := filepath.Dir(path)
	if st, err := os.Stat(dir); err != nil || !st.IsDir() {
		return fmt.Errorf("--plot %s: the directory %s does not exist", path, dir)
	}
	f, err := os.CreateTemp(dir, ".dlnverify-plot-check-*")
	if err != nil {
		var pe *os.PathError
		if errors.As(err, &pe) {
			err = pe.Err
		}
		return fmt.Errorf("--plot %s: cannot create a file in %s: %v", path, dir, err)
	}
	name := f.Name()
	f.Close()
	return os.Remove(name)
}

func writePlot(path string, r trainResult) error {
	format, err := plotFormat(path)
	if err != nil {
		return err
	}
	lossPlot, err := lossPanel(r)
	if err != nil {
		return err
	}
	imbPlot, err := imbalancePanel(r)
	if err != nil {
		return err
	}
	const w, h = 7 * vg.Inch, 7 * vg.Inch
	var canvas interface {
		vg.CanvasSizer
		io.WriterTo
	}
	if format == "png" {
		canvas = vgimg.PngCanvas{Canvas: vgimg.New(w, h)}
	} else {
		canvas = vgsvg.New(w, h)
	}
	dc := draw.New(canvas)
	tiles := draw.Tiles{Rows: 2, Cols: 1, PadTop: vg.Points(4), PadBottom: vg.Points(4), PadLeft: vg.Points(4),
		PadRight: vg.Points(8), PadY: vg.Points(12)}
	// Each panel draws in its own tile (plot.Align would line up the data
	// areas but leaves the legend floating over the title).
	lossPlot.Draw(tiles.At(dc, 0, 0))
	imbPlot.Draw(tiles.At(dc, 0, 1))
	f, err := os.Create(path)
	if err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	if _, err := canvas.WriteTo(f); err != nil {
		f.Close()
		return fmt.Errorf("--plot: writing %s: %w", path, err)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("--plot: %w", err)
	}
	return nil
}

func xLabel(r trainResult) string {
	if r.Method == "flow" {
		return "time / η"
	}
	return "GD step t"
}

// points keeps the finite values accepted by keep.
func points(r trainResult, y func(trainRecord) float64, keep func(float64) bool) plotter.XYs {
	var xy plotter.XYs
	for _, rec := range r.Trajectory {
		v := y(rec)
		if !math.IsNaN(v) && !math.IsInf(v, 0) && keep(v) {
			xy = append(xy, plotter.XY{X: float64(rec.Step), Y: v})
		}
	}
	return xy
}

func positive(v float64) bool { return v > 0 }
func anyValue(float64) bool   { return true }

// smallestPositive is the floor of the log axis: the guarantee line is cut
// there so that a bound decaying to 1e-300 does not flatten the loss curve.
const smallestPositive = 1e-300

func lossPanel(r trainResult) (*plot.Plot, error) {
	p := plot.New()
	method := "GD"
	if r.Method == "flow" {
		method = "gradient flow"
	}
	p.Title.Text = fmt.Sprintf("%s, N = %d, dims %v, η = %.3g: %s after %d steps", method, r.N, r.Dims, float64(r.Eta), r.Status, r.StepsRun)
	p.X.Label.Text = xLabel(r)
	p.Y.Label.Text = "loss ℓ(t)"
	report.LogAxis(&p.Y)
	// The legend goes where the loss curve is not: bottom-left for a
	// decreasing loss, top-left for a growing one.
	p.Legend.Top, p.Legend.Left = float64(r.FinalLoss) > float64(r.InitialLoss) || math.IsNaN(float64(r.FinalLoss)), true
	p.Legend.XOffs, p.Legend.YOffs = vg.Points(8), vg.Points(6)
	if p.Legend.Top {
		p.Legend.YOffs = -vg.Points(6)
	}
	p.Add(plotter.NewGrid())

	loss := points(r, func(t trainRecord) float64 { return float64(t.Loss) }, positive)
	guar := points(r, func(t trainRecord) float64 { return float64(t.Guarantee) }, func(v float64) bool { return v >= smallestPositive })
	lo, hi := math.Inf(1), math.Inf(-1)
	for _, s := range []plotter.XYs{loss, guar} {
		for _, pt := range s {
			lo, hi = math.Min(lo, pt.Y), math.Max(hi, pt.Y)
		}
	}
	if math.IsInf(lo, 1) { // nothing positive to draw (e.g. loss exactly 0)
		lo, hi = 1e-16, 1
	}
	if hi/lo < 10 {
		lo, hi = lo/3, hi*3
	}
	p.Y.Min, p.Y.Max = lo, hi
	if len(loss) > 0 {
		l, err := plotter.NewLine(loss)
		if err != nil {
			return nil, fmt.Errorf("--plot: %w", err)
		}
		l.Color = color.RGBA{B: 200, A: 255}
		l.Width = vg.Points(1.5)
		p.Add(l)
		p.Legend.Add("loss ℓ(t)", l)
	}
	if len(guar) > 0 {
		l, err := plotter.NewLine(guar)
		if err != nil {
			return nil, fmt.Errorf("--plot: %w", err)
		}
		l.Color = color.RGBA{R: 200, A: 255}
		l.Dashes = []vg.Length{vg.Points(5), vg.Points(3)}
		l.Width = vg.Points(1.2)
		p.Add(l)
		label := "T1 rate ℓ(0)(1 − ηc^{2(N−1)/N})^t"
		if !r.Theorem1.Holds {
			label += " (hypotheses NOT met)"
		}
		p.Legend.Add(label, l)
	}
	fixEmptyX(p, r)
	return p, nil
}

func imbalancePanel(r trainResult) (*plot.Plot, error) {
	p := plot.New()
	p.Title.Text = "imbalance max_j ‖W_{j+1}ᵀW_{j+1} − W_jW_jᵀ‖_F (D1)"
	p.X.Label.Text = xLabel(r)
	p.Y.Label.Text = "imbalance"
	p.Add(plotter.NewGrid())
	imb := points(r, func(t trainRecord) float64 { return float64(t.Imbalance) }, anyValue)
	if len(imb) > 0 {
		l, err := plotter.NewLine(imb)
		if err != nil {
			return nil, fmt.Errorf("--plot: %w", err)
		}
		l.Color = color.RGBA{G: 140, A: 255}
		l.Width = vg.Points(1.5)
		p.Add(l)
	}
	fixEmptyX(p, r)
	return p, nil
}

// fixEmptyX gives the x axis the run's extent even when a panel has no
// points (all NaN), and a non-empty range for a zero-step run.
func fixEmptyX(p *plot.Plot, r trainResult) {
	p.X.Min, p.X.Max = 0, math.Max(1, float64(r.StepsRun))
}
