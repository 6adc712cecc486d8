package main

import (
	"fmt"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/experiment"
	"github.com/dlnverify/dlnverify/model"
)

// dataFlags are --data, --label, --reduce-rank (and --unit-phi where the
// subcommand lets the user choose): the one way from a data file to Φ in
// train, bounds and experiment fig1 (experiment.DataSpec has the rules).
type dataFlags struct {
	fs            *flagSet
	path, label   *string
	reduce, unit  *bool
	unitAvailable bool
}

func addDataFlags(fs *flagSet, unitFlag bool) *dataFlags {
	d := &dataFlags{fs: fs, unitAvailable: unitFlag}
	d.path = fs.String("data", "", experiment.DataFlagHelp["data"])
	d.label = fs.String("label", "", experiment.DataFlagHelp["label"])
	d.reduce = fs.Bool("reduce-rank", false, experiment.DataFlagHelp["reduce-rank"])
	if unitFlag {
		d.unit = fs.Bool("unit-phi", false, experiment.DataFlagHelp["unit-phi"])
	}
	return d
}

// given reports whether --data was given; the dependent flags without it
// are an error.
func (d *dataFlags) given() (bool, error) {
	if *d.path != "" {
		return true, nil
	}
	for _, f := range []string{"label", "reduce-rank", "unit-phi"} {
		if d.fs.wasSet(f) {
			return false, fmt.Errorf("--%s needs --data", f)
		}
	}
	return false, nil
}

// load whitens the file; unit forces ‖Φ‖_F = 1 (fig1's E1 protocol).
func (d *dataFlags) load(unit bool) (experiment.DataTarget, error) {
	spec := experiment.DataSpec{Path: *d.path, Label: *d.label, ReduceRank: *d.reduce, UnitPhi: unit}
	if d.unit != nil && *d.unit {
		spec.UnitPhi = true
	}
	return experiment.LoadTarget(spec)
}

// phiFlagHelp is the one meaning of --phi (train and bounds).
const phiFlagHelp = `target Φ (d_N×d_0): inline rows "a,b;c,d", or @FILE holding JSON rows [[…],[…]] or CSV rows (to derive Φ from a data set use --data)`

// parsePhi reads a --phi value: inline rows, or @FILE.
func parsePhi(s string) (*mat.Dense, error) {
	if path, ok := strings.CutPrefix(s, "@"); ok {
		return readPhi(path)
	}
	rows, err := parseMatrix(s)
	if err != nil {
		hint := ""
		if strings.ContainsAny(s, "./\\") || strings.HasSuffix(s, "csv") || strings.HasSuffix(s, "json") {
			hint = fmt.Sprintf(" (a file? write --phi @%s for a file holding Φ, or --data %s for a data set)", s, s)
		}
		return nil, fmt.Errorf("--phi: %w%s", err, hint)
	}
	phi, err := model.DenseFromRows(rows)
	if err != nil {
		return nil, fmt.Errorf("--phi: %w", err)
	}
	return phi, nil
}

// rowsOf returns a's rows.
func rowsOf(a *mat.Dense) [][]float64 {
	r, _ := a.Dims()
	rows := make([][]float64, r)
	for i := range rows {
		rows[i] = append([]float64(nil), a.RawRowView(i)...)
	}
	return rows
}
