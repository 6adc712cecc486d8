package experiment

import (
	"errors"
	"fmt"
	"io"
	"os"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// DataSpec says how a data file becomes a target Φ: the one home of the
// `--data`, `--label`, `--reduce-rank` and `--unit-phi` flags of `train`,
// `bounds` and `experiment fig1` (docs/cli.md).
type DataSpec struct {
	Path       string // CSV (optionally gzip-compressed), one example per row
	Label      string // label column(s): header names or 1-based numbers, comma-separated; "" = the last column
	ReduceRank bool   // rank-deficient features: PCA-whiten onto the principal subspace instead of an error
	UnitPhi    bool   // scale the labels so that ‖Φ‖_F = 1 (the paper's E1 protocol)
}

// DataFlagHelp are the flag descriptions, shared by every subcommand.
var DataFlagHelp = map[string]string{
	"data":        "data set: CSV (or .csv.gz) with one example per row, a header optional; X and Y are centred, X whitened by SVD, Φ = Λ_yx = YXᵀ/m",
	"label":       "label column(s) of --data: header names or 1-based numbers, comma-separated (default: the last column)",
	"unit-phi":    "with --data: scale the labels so that ‖Φ‖_F = 1, as the paper's experiment (E1) does (default: Φ = Λ_yx in the labels' units)",
	"reduce-rank": "with --data: whiten dependent features onto their principal subspace (d_0 = rank) instead of refusing them",
}

// DataReport describes how a data set became Φ. Every number is finite.
// X and Y are always centred (zero mean over examples).
type DataReport struct {
	File          string       `json:"file"`
	Examples      int          `json:"examples"`       // m
	Features      int          `json:"features"`       // d_x of the file
	Rank          int          `json:"rank"`           // d_0 of Φ (= d_x unless reduce_rank dropped directions)
	Labels        []string     `json:"label_columns"`  // the label columns' names
	XCentred      bool         `json:"x_centred"`      // always true
	YCentred      bool         `json:"y_centred"`      // always true
	ReduceRank    bool         `json:"reduce_rank"`    // PCA onto the principal subspace allowed
	RankTol       report.Float `json:"rank_tolerance"` // max(max(m, d_x)·ε, 2ε√(m·Σρ_i²)/σ_max), relative to σ_max of the centred, scaled data
	SigmaRatio    report.Float `json:"sigma_min_over_max"`
	UnitPhi       bool         `json:"phi_scaled_to_unit"` // labels scaled so ‖Φ‖_F = 1
	LyxNorm       report.Float `json:"lyx_frobenius"`      // ‖Λ_yx‖_F before label scaling
	LabelScale    report.Float `json:"label_scale"`        // factor applied to the centred labels
	PhiF          report.Float `json:"phi_frobenius"`
	PhiSigmaMin   report.Float `json:"phi_sigma_min"`
	Kappa         report.Float `json:"kappa"`           // ½Tr Λ_yy − ½‖Λ_yx‖_F² (S1), in the units of the (scaled) labels
	ResidualXX    report.Float `json:"residual_xx"`     // max|XXᵀ/m − I|
	TolXX         report.Float `json:"residual_xx_tol"` // 2·max(m, d_x)·ε
	ResidualYX    report.Float `json:"residual_yx"`     // max|YXᵀ/m − Φ′|, Φ′ = Λ_yx by the whitening map
	TolYX         report.Float `json:"residual_yx_tol"` // 4·max(m, d_x)·(1+√d_x)·ε·(σ_max/σ_min)·max rms(y) (model.Whitened)
	Phi           [][]float64  `json:"phi"`             // Φ's rows
	PhiHead       []float64    `json:"-"`
	phiRows, cols int
}

// DataTarget is the target Φ derived from a data set, and its report.
type DataTarget struct {
	Phi    *mat.Dense // Λ_yx, d_y×Rank (scaled to unit norm with UnitPhi)
	Report DataReport
}

// LoadTarget reads spec.Path, whitens it with model.WhitenData and returns
// Φ = Λ_yx (S1: with Λ_xx = I the data loss is ½‖W − Φ‖_F² + κ, so GD
// sees the data only through Φ). Errors name the file, and for bad cells
// the line and column.
func LoadTarget(spec DataSpec) (DataTarget, error) {
	f, err := os.Open(spec.Path)
	if err != nil {
		return DataTarget{}, err
	}
	defer f.Close()
	tab, err := model.ReadTable(f)
	if err != nil {
		return DataTarget{}, fmt.Errorf("%s: %w", spec.Path, err)
	}
	d, names, err := tab.Split(spec.Label)
	if err != nil {
		return DataTarget{}, fmt.Errorf("%s: %w", spec.Path, err)
	}
	w, err := model.WhitenData(d.X, d.Y, model.WhitenOptions{ReduceRank: spec.ReduceRank, UnitPhi: spec.UnitPhi, Names: names})
	if de := (*model.DependentFeaturesError)(nil); errors.As(err, &de) && !spec.ReduceRank {
		hint := "--reduce-rank does the latter"
		if de.Constant {
			hint = "--reduce-rank drops it"
		}
		return DataTarget{}, fmt.Errorf("%s: %w; %s", spec.Path, err, hint)
	}
	if err != nil {
		return DataTarget{}, fmt.Errorf("%s: %w", spec.Path, err)
	}
	var labels []string
	for _, n := range tab.Names {
		if !contains(names, n) {
			labels = append(labels, n)
		}
	}
	r, c := w.Phi.Dims()
	rep := DataReport{File: spec.Path, Examples: w.Examples, Features: w.InputDim, Rank: w.Rank, Labels: labels,
		XCentred: true, YCentred: true, ReduceRank: spec.ReduceRank, RankTol: report.Float(w.RankTol), SigmaRatio: report.Float(w.SigmaMin),
		UnitPhi: spec.UnitPhi, LyxNorm: report.Float(w.LyxNorm), LabelScale: report.Float(w.LabelScale), PhiF: report.Float(invariants.Frobenius(w.Phi)),
		PhiSigmaMin: report.Float(invariants.SigmaMin(w.Phi)), Kappa: report.Float(w.Kappa), ResidualXX: report.Float(w.ResidualXX), TolXX: report.Float(w.TolXX),
		ResidualYX: report.Float(w.ResidualYX), TolYX: report.Float(w.TolYX), phiRows: r, cols: c}
	for i := 0; i < r; i++ {
		rep.Phi = append(rep.Phi, append([]float64(nil), w.Phi.RawRowView(i)...))
	}
	rep.PhiHead = append(rep.PhiHead, w.Phi.RawMatrix().Data[:min(6, r*c)]...)
	return DataTarget{Phi: w.Phi, Report: rep}, nil
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Print writes the report: the data, Φ, κ and the whitening residuals
// with their tolerances.
func (r DataReport) Print(w io.Writer) {
	fmt.Fprintf(w, "data %s: m = %d examples, d_x = %d features, label %s\n", r.File, r.Examples, r.Features, strings.Join(quoteAll(r.Labels), ", "))
	fmt.Fprintf(w, "  X and Y centred (zero mean over examples); features scaled to unit RMS and whitened by SVD: rank %d of %d", r.Rank, r.Features)
	fmt.Fprintf(w, " (σ_min/σ_max = %.3g > rank tolerance %.3g)", r.SigmaRatio, r.RankTol)
	if r.Rank < r.Features {
		fmt.Fprintf(w, "; --reduce-rank: PCA onto the %d principal directions, d_0 = %d", r.Rank, r.Rank)
	}
	fmt.Fprintln(w)
	scaled := "labels not scaled"
	if r.UnitPhi {
		scaled = fmt.Sprintf("labels scaled by 1/‖Λ_yx‖_F = 1/%.6g so ‖Φ‖_F = 1, as in the paper's E1", r.LyxNorm)
	}
	fmt.Fprintf(w, "  Φ = Λ_yx = YXᵀ/m: %d×%d, ‖Φ‖_F = %.6g, σ_min(Φ) = %.6g (%s); κ = %.6g\n", r.phiRows, r.cols, r.PhiF, r.PhiSigmaMin, scaled, r.Kappa)
	head := make([]string, len(r.PhiHead))
	for i, v := range r.PhiHead {
		head[i] = fmt.Sprintf("%.4g", v)
	}
	more := ""
	if len(r.PhiHead) < r.phiRows*r.cols {
		more = fmt.Sprintf(", … (%d entries; all in --json)", r.phiRows*r.cols)
	}
	fmt.Fprintf(w, "  Φ (row-major) = [%s%s]\n", strings.Join(head, ", "), more)
	fmt.Fprintf(w, "  whitening residuals: max|XXᵀ/m − I| = %.2g ≤ %.2g; max|YXᵀ/m − Φ′| = %.2g ≤ %.2g (Φ′: Λ_yx by the whitening map)\n", r.ResidualXX, r.TolXX, r.ResidualYX, r.TolYX)
}

func quoteAll(s []string) []string {
	out := make([]string, len(s))
	for i, x := range s {
		out[i] = fmt.Sprintf("%q", x)
	}
	return out
}
