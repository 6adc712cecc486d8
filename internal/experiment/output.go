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

	"github.com/dlnverify/dlnverify/internal/report"
)

func fmtF(x float64) string {
	if math.IsNaN(x) {
		return ""
	}
	return strconv.FormatFloat(x, 'g', 6, 64)
}

type jsonRun struct {
	Eta       report.Float `json:"eta"`
	Outcome   string       `json:"outcome"`
	Steps     int          `json:"steps"`
	Iters     int          `json:"iterations"`
	FinalLoss report.Float `json:"final_loss"`
	Monotone  bool         `json:"monotone"`
}

type jsonPoint struct {
	Depth      int          `json:"depth"`
	Init       string       `json:"init"`
	Std        report.Float `json:"std"`
	Seed       uint64       `json:"seed"`
	InitLoss   report.Float `json:"initial_loss"`
	Converged  bool         `json:"converged"`
	BestEta    report.Float `json:"best_eta"`
	Iterations int          `json:"iterations"`
	Seconds    report.Float `json:"seconds"`
	Runs       []jsonRun    `json:"runs"`
}

type jsonFig1 struct {
	Source  string      `json:"source"`
	Data    *DataReport `json:"data,omitempty"`
	Seed    uint64      `json:"seed"`
	Depths  []int       `json:"depths"`
	Width   int         `json:"width"`
	D0      int         `json:"d0"`
	Epsilon float64     `json:"epsilon"`
	MaxIter int         `json:"max_iter"`
	Stds    []float64   `json:"stds"`
	Etas    []float64   `json:"etas"`
	Pruned  bool        `json:"pruned"`
	Impl    string      `json:"impl"`
	Workers int         `json:"workers"`
	Seconds float64     `json:"seconds"`
	Points  []jsonPoint `json:"points"`
}

// WriteFig1 writes fig1.csv, fig1.json, fig1c.csv and the figures into dir
// and returns the file names written.
func WriteFig1(dir string, res Fig1Result, trace []TraceRow) ([]string, error) {
	var files []string
	write := func(name string, f func(io.Writer) error) error {
		path := filepath.Join(dir, name)
		fh, err := os.Create(path)
		if err != nil {
			return err
		}
		if err := f(fh); err != nil {
			fh.Close()
			return fmt.Errorf("%s: %w", path, err)
		}
		if err := fh.Close(); err != nil {
			return err
		}
		files = append(files, name)
		return nil
	}
	cfg := res.Config
	if err := write("fig1.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"depth", "init", "std", "converged", "best_eta", "iterations", "initial_loss", "seed"})
		for _, p := range res.Points {
			_ = cw.Write([]string{strconv.Itoa(p.Depth), p.Init, fmtF(p.Std), strconv.FormatBool(p.Converged), fmtF(p.BestEta), strconv.Itoa(p.Iterations), fmtF(p.InitLoss), strconv.FormatUint(p.Seed, 10)})
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return files, err
	}
	if err := write("fig1.json", func(w io.Writer) error {
		_, d0 := cfg.Phi.Dims()
		j := jsonFig1{Source: res.Source, Data: res.Data, Seed: cfg.Seed, Depths: cfg.Depths, Width: cfg.Width, D0: d0, Epsilon: cfg.Epsilon, MaxIter: cfg.MaxIter,
			Stds: cfg.Stds, Etas: cfg.Etas, Pruned: !cfg.Exhaustive, Impl: res.Impl, Workers: res.Workers, Seconds: res.Seconds}
		for _, p := range res.Points {
			jp := jsonPoint{Depth: p.Depth, Init: p.Init, Std: report.Float(p.Std), Seed: p.Seed, InitLoss: report.Float(p.InitLoss), Converged: p.Converged,
				BestEta: report.Float(p.BestEta), Iterations: p.Iterations, Seconds: report.Float(p.Seconds)}
			for _, r := range p.Runs {
				jp.Runs = append(jp.Runs, jsonRun{Eta: report.Float(r.Eta), Outcome: r.Outcome, Steps: r.Steps, Iters: r.Iters, FinalLoss: report.Float(r.FinalLoss), Monotone: r.Monotone})
			}
			j.Points = append(j.Points, jp)
		}
		enc := json.NewEncoder(w)
		enc.SetIndent("", " ")
		return enc.Encode(j)
	}); err != nil {
		return files, err
	}
	if err := write("fig1c.csv", func(w io.Writer) error {
		cw := csv.NewWriter(w)
		_ = cw.Write([]string{"depth", "init", "std", "eta", "step", "loss", "imbalance", "min_gram"})
		for _, r := range trace {
			_ = cw.Write([]string{strconv.Itoa(r.Depth), r.Init, fmtF(r.Std), fmtF(r.Eta), strconv.Itoa(r.Step), fmtF(r.Loss), fmtF(r.Imbalance), fmtF(r.MinGram)})
		}
		cw.Flush()
		return cw.Error()
	}); err != nil {
		return files, err
	}
	for _, ext := range []string{"png", "svg"} {
		if err := write("fig1."+ext, func(w io.Writer) error { return plotFig1(w, ext, res) }); err != nil {
			return files, err
		}
		if len(trace) > 0 {
			if err := write("fig1c."+ext, func(w io.Writer) error { return plotFig1c(w, ext, cfg.Depths, trace) }); err != nil {
				return files, err
			}
		}
	}
	return files, nil
}

// PrintFig1Table prints iterations-to-converge as a std × (depth, init) table.
func PrintFig1Table(w io.Writer, res Fig1Result) {
	tw := tabwriter.NewWriter(w, 2, 0, 2, ' ', tabwriter.AlignRight)
	cfg := res.Config
	fmt.Fprint(tw, "std\t")
	type col struct {
		N    int
		init string
	}
	var cols []col
	for _, N := range cfg.Depths {
		for _, in := range cfg.Inits {
			cols = append(cols, col{N, in})
			fmt.Fprintf(tw, "N=%d %s\t", N, in)
		}
	}
	fmt.Fprintln(tw)
	for _, s := range cfg.Stds {
		fmt.Fprintf(tw, "%.3g\t", s)
		for _, c := range cols {
			cell := "?"
			for _, p := range res.Points {
				if p.Depth == c.N && p.Init == c.init && p.Std == s {
					cell = "—"
					if p.Converged {
						cell = fmt.Sprintf("%d @%.2g", p.Iterations, p.BestEta)
					}
				}
			}
			fmt.Fprintf(tw, "%s\t", cell)
		}
		fmt.Fprintln(tw)
	}
	tw.Flush()
	fmt.Fprintln(w, "cells: iterations to ℓ ≤ ε @ fastest η; — = no η of the grid converged within the cap")
}
