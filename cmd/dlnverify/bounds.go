package main

import (
	"bytes"
	"encoding/csv"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/experiment"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// boundsResult is what `bounds` computes; --json prints it.
type boundsResult struct {
	N           int                    `json:"N"`
	PhiDims     []int                  `json:"phi_dims,omitempty"` // rows, columns when Φ was given as a matrix
	PhiF        report.Float           `json:"phi_frobenius"`
	SigmaMinPhi report.Float           `json:"sigma_min_phi"`
	Epsilon     report.Float           `json:"epsilon"`
	Theorem1    *boundsAtC             `json:"theorem1,omitempty"` // at --c
	Residual    *residualR1            `json:"residual,omitempty"` // R1, when Φ is a square matrix
	Notes       []string               `json:"notes,omitempty"`
	Data        *experiment.DataReport `json:"data,omitempty"` // how --data became Φ (X and Y centred)
	phi         *mat.Dense             // nil when only norms were given
}

// boundsAtC is Theorem 1 at margin c.
type boundsAtC struct {
	C          report.Float `json:"c"`
	DeltaBound report.Float `json:"delta_bound"` // c² / (256 N³ ‖Φ‖_F^{2(N−1)/N}); null (undefined) unless c > 0
	EtaBound   report.Float `json:"eta_bound"`   // c^{(4N−2)/N} / (6144 N³ ‖Φ‖_F^{(6N−4)/N}); null unless c > 0
	Rate       report.Float `json:"rate"`        // η* c^{2(N−1)/N}; null unless c > 0
	Loss0      report.Float `json:"loss0"`       // ℓ(0) used for T(ε)
	Loss0Rule  string       `json:"loss0_rule"`  // "given", "worst case ½(σ_min(Φ) − c)²" or "residual ½‖Φ − I‖²_F"
	Horizon    report.Float `json:"horizon"`     // T(ε) = log(ℓ(0)/ε) / (η* c^{2(N−1)/N}); null unless c > 0
	lnLoss0    float64      // ln ℓ(0), exact where ℓ(0) under- or overflows
}

// residualR1 is R1's condition for the residual start W_j = I.
type residualR1 struct {
	DistanceToI report.Float `json:"distance_to_identity"` // ‖Φ − I‖_F
	Holds       bool         `json:"holds"`                // ‖Φ − I‖_F < ½
	C           report.Float `json:"c"`                    // 1 − 2‖Φ − I‖_F
	Bartlett    bool         `json:"bartlett_condition"`   // ‖Φ − I‖_F ≤ 1/(10e), the earlier result's
	Bounds      *boundsAtC   `json:"bounds,omitempty"`     // Theorem 1 at R1's c, ℓ(0) = ½‖Φ − I‖²_F
}

func cmdBounds(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("bounds", "bounds (--phi ROWS|@FILE | --data FILE [--label COL] [--unit-phi] | --phi-norm X --sigma-min Y) --N N [--c C] [--epsilon E] [--loss0 L] [--json]")
	phiS := fs.String("phi", "", phiFlagHelp)
	data := addDataFlags(fs, true)
	phiNorm := fs.Float64("phi-norm", 0, "‖Φ‖_F (instead of --phi)")
	sigmaMin := fs.Float64("sigma-min", 0, "σ_min(Φ) (instead of --phi)")
	n := fs.Int("N", 0, "depth N ≥ 1 (required)")
	c := fs.Float64("c", 0, "deficiency margin c, 0 < c ≤ σ_min(Φ) (required unless Φ is square: then R1's c is used)")
	eps := fs.Float64("epsilon", 1e-6, "target loss ε for T(ε)")
	loss0 := fs.Float64("loss0", 0, "initial loss ℓ(0) for T(ε) (default: the largest one margin c allows, ½(σ_min(Φ) − c)²)")
	asJSON := fs.Bool("json", false, "print the result as JSON")
	planDims := fs.String("dims", "", "network dims d_0,…,d_N: also print the wall time T(ε) takes at η*, from a measured step rate (model.MeasureStepRate)")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	if !fs.wasSet("N") {
		return fmt.Errorf("missing --N (the depth)")
	}
	if *n < 1 || *n > 1000 {
		return fmt.Errorf("--N = %d must be in [1, 1000]", *n)
	}
	if !(*eps > 0) || math.IsInf(*eps, 0) {
		return fmt.Errorf("--epsilon = %v must be a finite positive number", *eps)
	}
	res := boundsResult{N: *n, Epsilon: report.Float(*eps)}
	withData, err := data.given()
	if err != nil {
		return err
	}
	given := 0
	for _, g := range []bool{*phiS != "", withData, fs.wasSet("phi-norm") || fs.wasSet("sigma-min")} {
		if g {
			given++
		}
	}
	switch {
	case given > 1:
		return fmt.Errorf("give Φ one way: --phi ROWS|@FILE, --data FILE, or --phi-norm and --sigma-min, not both")
	case *phiS != "" || withData:
		var phi *mat.Dense
		if withData {
			dt, err := data.load(false)
			if err != nil {
				return err
			}
			phi, res.Data = dt.Phi, &dt.Report
		} else if phi, err = parsePhi(*phiS); err != nil {
			return err
		}
		res.phi = phi
		r, cc := phi.Dims()
		res.PhiDims = []int{r, cc}
		res.PhiF, res.SigmaMinPhi = report.Float(invariants.Frobenius(phi)), report.Float(invariants.SigmaMin(phi))
	case fs.wasSet("phi-norm") || fs.wasSet("sigma-min"):
		if !fs.wasSet("phi-norm") || !fs.wasSet("sigma-min") {
			return fmt.Errorf("--phi-norm and --sigma-min go together")
		}
		if !(*phiNorm > 0) || math.IsInf(*phiNorm, 0) {
			return fmt.Errorf("--phi-norm = %v must be a finite positive number", *phiNorm)
		}
		if !(*sigmaMin >= 0) || *sigmaMin > *phiNorm {
			return fmt.Errorf("--sigma-min = %v must be in [0, ‖Φ‖_F = %v] (σ_min ≤ ‖Φ‖_σ ≤ ‖Φ‖_F)", *sigmaMin, *phiNorm)
		}
		res.PhiF, res.SigmaMinPhi = report.Float(*phiNorm), report.Float(*sigmaMin)
	default:
		return fmt.Errorf("missing Φ: give --phi ROWS|@FILE, --data FILE, or --phi-norm and --sigma-min")
	}
	phiF, smin := float64(res.PhiF), float64(res.SigmaMinPhi)
	if !(phiF > 0) {
		return fmt.Errorf("‖Φ‖_F = 0: Theorem 1 needs σ_min(Φ) > 0")
	}
	if fs.wasSet("loss0") && (!(*loss0 >= 0) || math.IsInf(*loss0, 0)) {
		return fmt.Errorf("--loss0 = %v must be finite and ≥ 0", *loss0)
	}
	square := res.phi != nil && res.PhiDims[0] == res.PhiDims[1]
	if fs.wasSet("c") {
		if !(*c > 0) || *c > smin {
			return fmt.Errorf("--c = %v must satisfy 0 < c ≤ σ_min(Φ) = %.6g (a margin c needs ‖W − Φ‖_F ≤ σ_min(Φ) − c)", *c, smin)
		}
		// ln ℓ(0) in logarithms: ½(σ_min − c)² may under- or overflow at
		// extreme scales while ln(ℓ(0)/ε) and T(ε) do not.
		l0, rule := 0.5*(smin-*c)*(smin-*c), "worst case ½(σ_min(Φ) − c)²"
		lnL0 := 2*linalg.Log(smin-*c) - math.Ln2
		if fs.wasSet("loss0") {
			l0, rule, lnL0 = *loss0, "given", linalg.Log(*loss0)
			if *loss0 > 0.5*(smin-*c)*(smin-*c)*(1+1e-12) {
				res.Notes = append(res.Notes, fmt.Sprintf("ℓ(0) = %.6g exceeds ½(σ_min(Φ) − c)² = %.6g: no start with margin c has this loss", *loss0, 0.5*(smin-*c)*(smin-*c)))
			}
		}
		res.Theorem1 = boundsAt(*c, *n, phiF, l0, lnL0, rule, *eps)
		res.trivialNote("Theorem 1", res.Theorem1, phiF)
	} else if !square {
		return fmt.Errorf("missing --c (the deficiency margin); without it only R1 applies, which needs a square Φ given with --phi or --data")
	}
	if square {
		dist := (1 - invariants.ResidualMargin(res.phi)) / 2
		r1 := &residualR1{DistanceToI: report.Float(dist), Holds: dist < 0.5, C: report.Float(1 - 2*dist), Bartlett: dist <= 1/(10*math.E)}
		// Without a margin (‖Φ − I‖_F ≥ ½) the bounds are there, null.
		r1.Bounds = boundsAt(1-2*dist, *n, phiF, 0.5*dist*dist, 2*linalg.Log(dist)-math.Ln2, "residual ½‖Φ − I‖²_F", *eps)
		res.trivialNote("R1", r1.Bounds, phiF)
		res.Residual = r1
	} else if res.phi == nil {
		res.Notes = append(res.Notes, "R1 (residual start W_j = I) needs Φ itself: give a square Φ with --phi")
	} else {
		res.Notes = append(res.Notes, "R1 (residual start W_j = I) needs a square Φ")
	}
	var dims []int
	if *planDims != "" {
		var err error
		if dims, err = planShape(*planDims, *n, res.PhiDims); err != nil {
			return err
		}
		// ‖Φ‖_F² ≥ min(d_0, d_N)·σ_min(Φ)², so the norms bound the shape.
		if k := float64(min(dims[0], dims[*n])); res.phi == nil && smin*math.Sqrt(k) > phiF*(1+1e-12) {
			return fmt.Errorf("--dims %v do not fit the norms: a d_N×d_0 Φ with σ_min(Φ) = %.6g has ‖Φ‖_F ≥ √min(d_0, d_N)·σ_min(Φ) = %.6g > --phi-norm %.6g", dims, smin, math.Sqrt(k)*smin, phiF)
		}
	}
	if *asJSON {
		enc := json.NewEncoder(stdout)
		enc.SetIndent("", "  ")
		return enc.Encode(res)
	}
	if res.Data != nil {
		res.Data.Print(stdout)
	}
	res.print(stdout)
	if dims != nil && res.Theorem1 != nil {
		return printPlan(stdout, dims, float64(res.Theorem1.Horizon))
	}
	return nil
}

// planShape parses --dims: N+1 positive integers d_0,…,d_N matching Φ.
func planShape(dimsFlag string, N int, phiDims []int) ([]int, error) {
	dims, err := parseInts(dimsFlag)
	if err != nil || len(dims) != N+1 {
		return nil, fmt.Errorf("--dims %q must be N+1 = %d positive integers d_0,…,d_N", dimsFlag, N+1)
	}
	if phiDims != nil && (dims[0] != phiDims[1] || dims[N] != phiDims[0]) {
		return nil, fmt.Errorf("--dims %v do not match Φ (%d×%d = d_N×d_0)", dims, phiDims[0], phiDims[1])
	}
	return dims, nil
}

// planMaxParams caps the horizon planner: above this many weights
// (Σ d_j d_{j−1}) its calibration (a network, a batch of lanes and timed
// steps) would take seconds and hundreds of MB, so the line is skipped with
// a note.
const planMaxParams = 1 << 18

// printPlan prints the horizon planner's line for T(ε) = horizon steps on
// a network of shape dims, from a measured step rate.
func printPlan(w io.Writer, dims []int, horizon float64) error {
	params := 0
	for j := 1; j < len(dims); j++ {
		params += dims[j] * dims[j-1]
	}
	if params > planMaxParams {
		_, err := fmt.Fprintf(w, "note: planner skipped: dims %v have %d weights > %d (the planner's cap; its calibration would take seconds and hundreds of MB)\n", dims, params, planMaxParams)
		return err
	}
	rate, err := model.MeasureStepRate(model.NewFast(), dims, 100*time.Millisecond)
	if err != nil {
		return err
	}
	_, err = fmt.Fprintf(w, "planner (dims %v): T(ε) at η* = %s\n", dims, rate.Summary(horizon))
	return err
}

// boundsAt is Theorem 1 at margin c, its rate and T(ε) at η* computed
// scale-free (invariants.RateAtEtaBound, HorizonAtEtaBound) from
// lnL0 = ln ℓ(0), so they are finite whenever they are representable, even
// when η* or ℓ(0) is not.
func boundsAt(c float64, N int, phiF, loss0, lnL0 float64, rule string, eps float64) *boundsAtC {
	return &boundsAtC{C: report.Float(c), DeltaBound: report.Float(invariants.DeltaBound(c, N, phiF)),
		EtaBound: report.Float(invariants.EtaBound(c, N, phiF)),
		Rate:     report.Float(invariants.RateAtEtaBound(c, N, phiF)), Loss0: report.Float(loss0), Loss0Rule: rule, lnLoss0: lnL0,
		Horizon: report.Float(invariants.HorizonAtEtaBound(lnL0-linalg.Log(eps), c, N, phiF))}
}

// trivialNote adds a note when T(ε) = 0 only because ℓ(0) ≤ ε: ε is an
// absolute loss, so at a small scale ‖Φ‖_F it may exceed every loss.
func (r *boundsResult) trivialNote(what string, b *boundsAtC, phiF float64) {
	if b == nil || float64(b.Horizon) != 0 || math.IsInf(b.lnLoss0, -1) { // ℓ(0) = 0: T = 0 needs no note
		return
	}
	hint := "ε cannot be scaled to ‖Φ‖_F² in float64 here"
	if e := 1e-6 * phiF * phiF; e >= 0x1p-1022 && !math.IsInf(e, 0) {
		hint = fmt.Sprintf("for ε relative to the scale give e.g. --epsilon %.3g = 1e-6·‖Φ‖_F²", e)
	}
	r.Notes = append(r.Notes, fmt.Sprintf("%s: T(ε) = 0 trivially, ℓ(0) = %s ≤ ε = %.3g (ε is an absolute loss; %s)",
		what, b.loss0Text(), float64(r.Epsilon), hint))
}

// loss0Text prints ℓ(0), with ln ℓ(0) when ℓ(0) left float64's normal range.
func (b *boundsAtC) loss0Text() string {
	l := float64(b.Loss0)
	if l == 0 && math.IsInf(b.lnLoss0, -1) || l >= 0x1p-1022 && !math.IsInf(l, 0) {
		return fmt.Sprintf("%.6g", l)
	}
	return fmt.Sprintf("%.6g (outside float64's normal range: ln ℓ(0) = %.6g)", l, b.lnLoss0)
}

func (b *boundsAtC) print(w io.Writer, eps float64) {
	if !(b.C > 0) {
		fmt.Fprintf(w, "  δ*, η*, rate and T(ε): undefined (no margin c > 0)\n")
		return
	}
	fmt.Fprintf(w, "  δ bound   δ* = c²/(256N³‖Φ‖_F^{2(N−1)/N})          = %.6g\n", float64(b.DeltaBound))
	fmt.Fprintf(w, "  η bound   η* = c^{(4N−2)/N}/(6144N³‖Φ‖_F^{(6N−4)/N}) = %.6g\n", float64(b.EtaBound))
	fmt.Fprintf(w, "  rate      η*c^{2(N−1)/N}                            = %.6g per step\n", float64(b.Rate))
	fmt.Fprintf(w, "  horizon   T(ε) = log(ℓ(0)/ε)/(η*c^{2(N−1)/N})      = %.6g steps (ℓ(0) = %s, %s; ε = %.3g)\n",
		float64(b.Horizon), b.loss0Text(), b.Loss0Rule, eps)
}

func (r boundsResult) print(w io.Writer) {
	src := "given norms"
	if r.phi != nil {
		src = fmt.Sprintf("%d×%d matrix", r.PhiDims[0], r.PhiDims[1])
	}
	fmt.Fprintf(w, "Φ (%s): ‖Φ‖_F = %.6g, σ_min(Φ) = %.6g; N = %d\n", src, float64(r.PhiF), float64(r.SigmaMinPhi), r.N)
	if b := r.Theorem1; b != nil {
		fmt.Fprintf(w, "Theorem 1 at margin c = %.6g:\n", float64(b.C))
		b.print(w, float64(r.Epsilon))
	}
	if r1 := r.Residual; r1 != nil {
		fmt.Fprintf(w, "R1 (residual start W_j = I): ‖Φ − I‖_F = %.6g < ½: %s", float64(r1.DistanceToI), yesNo(r1.Holds))
		if r1.Holds {
			fmt.Fprintf(w, "; margin c = 1 − 2‖Φ − I‖_F = %.6g", float64(r1.C))
		}
		fmt.Fprintf(w, " (Bartlett et al.'s ‖Φ − I‖ ≤ 1/(10e) ≈ %.4f: %s)\n", 1/(10*math.E), yesNo(r1.Bartlett))
		if r1.Bounds != nil {
			r1.Bounds.print(w, float64(r.Epsilon))
		}
	}
	for _, n := range r.Notes {
		fmt.Fprintf(w, "note: %s\n", n)
	}
}

// readPhi reads Φ from JSON rows or CSV (comma-separated, one row per
// line; a non-numeric first line is a header).
func readPhi(path string) (*mat.Dense, error) {
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, fmt.Errorf("cannot read Φ: %w", err)
	}
	t := bytes.TrimSpace(b)
	if len(t) == 0 {
		return nil, fmt.Errorf("%s: empty file", path)
	}
	var rows [][]float64
	if t[0] == '[' {
		if err := decodeStrict(t, &rows); err != nil {
			return nil, fmt.Errorf("%s: %w (expected a list of rows)", path, err)
		}
	} else {
		if rows, err = readCSVRows(t); err != nil {
			return nil, fmt.Errorf("%s: %w", path, err)
		}
	}
	phi, err := model.DenseFromRows(rows)
	if err != nil {
		return nil, fmt.Errorf("%s: %w", path, err)
	}
	return phi, nil
}

// readCSVRows parses comma-separated rows of numbers; a first line that
// does not parse is a header and is skipped.
func readCSVRows(b []byte) ([][]float64, error) {
	cr := csv.NewReader(bytes.NewReader(b))
	cr.TrimLeadingSpace = true
	cr.FieldsPerRecord = -1
	recs, err := cr.ReadAll()
	if err != nil {
		return nil, fmt.Errorf("CSV: %w", err)
	}
	var rows [][]float64
	for i, rec := range recs {
		row := make([]float64, len(rec))
		for k, f := range rec {
			v, perr := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if perr != nil {
				if i == 0 {
					row = nil
					break
				}
				return nil, fmt.Errorf("CSV line %d, column %d: %q is not a number", i+1, k+1, f)
			}
			row[k] = v
		}
		if row != nil {
			rows = append(rows, row)
		}
	}
	if len(rows) == 0 {
		return nil, fmt.Errorf("CSV holds no rows of numbers")
	}
	return rows, nil
}
