package experiment

import (
	"fmt"
	"image/color"
	"io"
	"math"

	"gonum.org/v1/plot"
	"gonum.org/v1/plot/plotter"
	"gonum.org/v1/plot/vg"
	"gonum.org/v1/plot/vg/draw"
	"gonum.org/v1/plot/vg/vgimg"
	"gonum.org/v1/plot/vg/vgsvg"

	"github.com/dlnverify/dlnverify/internal/report"
)

var (
	colGaussian = color.RGBA{R: 0xd6, G: 0x27, B: 0x28, A: 0xff}
	colBalanced = color.RGBA{R: 0x1f, G: 0x77, B: 0xb4, A: 0xff}
)

func initColor(in string) color.Color {
	if in == InitGaussian {
		return colGaussian
	}
	return colBalanced
}

// writeTiles draws a row of plots side by side and writes PNG or SVG.
func writeTiles(w io.Writer, ext string, plots []*plot.Plot, width, height vg.Length) error {
	var c interface {
		vg.CanvasSizer
		io.WriterTo
	}
	switch ext {
	case "png":
		img := vgimg.New(width, height)
		c = pngCanvas{vgimg.PngCanvas{Canvas: img}}
	case "svg":
		c = vgsvg.New(width, height)
	default:
		return fmt.Errorf("experiment: unknown figure format %q", ext)
	}
	dc := draw.New(c)
	tiles := draw.Tiles{Rows: 1, Cols: len(plots), PadX: vg.Millimeter * 4, PadTop: vg.Millimeter * 2, PadBottom: vg.Millimeter * 2, PadLeft: vg.Millimeter * 2, PadRight: vg.Millimeter * 2}
	canvases := plot.Align([][]*plot.Plot{plots}, tiles, dc)
	for i, p := range plots {
		p.Draw(canvases[0][i])
	}
	_, err := c.WriteTo(w)
	return err
}

type pngCanvas struct{ vgimg.PngCanvas }

func (p pngCanvas) WriteTo(w io.Writer) (int64, error) { return p.PngCanvas.WriteTo(w) }

func logAxes(p *plot.Plot, x, y bool) {
	if x {
		report.LogAxis(&p.X)
	}
	if y {
		report.LogAxis(&p.Y)
	}
}

// intTicks labels integers (case numbers).
type intTicks struct{}

func (intTicks) Ticks(lo, hi float64) []plot.Tick {
	var ts []plot.Tick
	for v := math.Ceil(lo); v <= hi; v++ {
		ts = append(ts, plot.Tick{Value: v, Label: fmt.Sprint(int(v))})
	}
	return ts
}

// plotFig1 draws one panel per depth: iterations to converge against the
// init std (log–log), one line per initialisation; grid points where no η
// converged are drawn as crosses on the cap line.
func plotFig1(w io.Writer, ext string, res Fig1Result) error {
	cfg := res.Config
	var plots []*plot.Plot
	capY := float64(cfg.MaxIter) * 1.6
	for _, N := range cfg.Depths {
		p := plot.New()
		p.Title.Text = fmt.Sprintf("N = %d (%s)", N, depthLabel(cfg, N))
		p.X.Label.Text = "init std s"
		p.Y.Label.Text = "iterations to ℓ ≤ ε (best η)"
		logAxes(p, true, true)
		// Headroom above the cap for the legend.
		p.Y.Min, p.Y.Max = 1, capY*300
		p.Legend.Top = true
		p.Legend.Left = true
		p.Legend.TextStyle.Font.Size = vg.Points(9)
		cap := plotter.XYs{{X: cfg.Stds[0], Y: float64(cfg.MaxIter)}, {X: cfg.Stds[len(cfg.Stds)-1], Y: float64(cfg.MaxIter)}}
		if l, err := plotter.NewLine(cap); err == nil {
			l.Color = color.Gray{Y: 0x99}
			l.Dashes = []vg.Length{vg.Points(3), vg.Points(3)}
			p.Add(l)
			p.Legend.Add("iteration cap (× above it: no η converged)", l)
		}
		for _, in := range cfg.Inits {
			var conv, fail plotter.XYs
			for _, pt := range res.Points {
				if pt.Depth != N || pt.Init != in {
					continue
				}
				if pt.Converged {
					conv = append(conv, plotter.XY{X: pt.Std, Y: math.Max(float64(pt.Iterations), 1)})
				} else {
					fail = append(fail, plotter.XY{X: pt.Std, Y: capY})
				}
			}
			col := initColor(in)
			if len(conv) > 0 {
				l, s, err := plotter.NewLinePoints(conv)
				if err != nil {
					return err
				}
				l.Color, s.Color = col, col
				s.Shape = draw.CircleGlyph{}
				p.Add(l, s)
				p.Legend.Add(in, l, s)
			}
			if len(fail) > 0 {
				s, err := plotter.NewScatter(fail)
				if err != nil {
					return err
				}
				s.Color = col
				s.Shape = draw.CrossGlyph{}
				s.Radius = vg.Points(3.5)
				p.Add(s)
			}
		}
		plots = append(plots, p)
	}
	return writeTiles(w, ext, plots, vg.Length(len(plots))*4.2*vg.Inch, 3.6*vg.Inch)
}

func depthLabel(cfg Fig1Config, N int) string {
	return fmtDims(cfg.dims(N))
}

// plotFig1c draws, per depth, imbalance and min_j ‖W_jW_jᵀ‖_F against the
// iteration for the traced runs.
func plotFig1c(w io.Writer, ext string, depths []int, trace []TraceRow) error {
	var plots []*plot.Plot
	for _, N := range depths {
		p := plot.New()
		p.X.Label.Text = "iteration + 1"
		p.Y.Label.Text = "Frobenius norm"
		logAxes(p, true, true)
		p.Legend.Top = true
		p.Legend.Left = true
		p.Legend.TextStyle.Font.Size = vg.Points(8)
		any := false
		ymin, ymax := math.Inf(1), 0.0
		for _, in := range []string{InitGaussian, InitBalanced} {
			var imb, gram plotter.XYs
			std, eta := 0.0, 0.0
			for _, r := range trace {
				if r.Depth != N || r.Init != in {
					continue
				}
				std, eta = r.Std, r.Eta
				// Log axes cannot show 0: floor at 1e-300 (an exactly
				// balanced start).
				imb = append(imb, plotter.XY{X: float64(r.Step + 1), Y: math.Max(r.Imbalance, 1e-300)})
				gram = append(gram, plotter.XY{X: float64(r.Step + 1), Y: math.Max(r.MinGram, 1e-300)})
				ymin, ymax = math.Min(ymin, math.Max(r.Imbalance, 1e-300)), math.Max(ymax, r.MinGram)
				ymin = math.Min(ymin, r.MinGram)
			}
			if len(imb) == 0 {
				continue
			}
			any = true
			p.Title.Text = fmt.Sprintf("Fig. 1(c), N = %d, s = %.3g", N, std)
			li, err := plotter.NewLine(imb)
			if err != nil {
				return err
			}
			lg, err := plotter.NewLine(gram)
			if err != nil {
				return err
			}
			li.Color, lg.Color = initColor(in), initColor(in)
			lg.Dashes = []vg.Length{vg.Points(4), vg.Points(2)}
			p.Add(li, lg)
			p.Legend.Add(fmt.Sprintf("%s imbalance (η=%.2g)", in, eta), li)
			p.Legend.Add(fmt.Sprintf("%s min_j ||W_j W_j^T||_F", in), lg)
		}
		if any {
			// Room above the data for the legend.
			p.Y.Min, p.Y.Max = ymin/10, ymax*math.Pow(ymax/ymin, 0.35)*10
			plots = append(plots, p)
		}
	}
	if len(plots) == 0 {
		return fmt.Errorf("experiment: nothing to plot for Fig. 1(c)")
	}
	return writeTiles(w, ext, plots, vg.Length(len(plots))*4.2*vg.Inch, 3.6*vg.Inch)
}
