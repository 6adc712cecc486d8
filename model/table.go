package model

import (
	"bufio"
	"compress/gzip"
	"encoding/csv"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"
)

// Table is a numeric CSV table: one example per row.
type Table struct {
	Names []string    // column names from the header, or "column 1", … when there is none
	Rows  [][]float64 // the data rows, all of the same width
}

// ReadTable reads a CSV table of finite numbers, gzip-compressed or not (a
// gzip stream is recognised by its magic bytes). A first row that does not
// parse as numbers is the header. Lines starting with '#' are comments. A
// non-numeric cell after the header is an error naming its line and column.
func ReadTable(r io.Reader) (Table, error) {
	br := bufio.NewReader(r)
	if magic, err := br.Peek(2); err == nil && magic[0] == 0x1f && magic[1] == 0x8b {
		gz, err := gzip.NewReader(br)
		if err != nil {
			return Table{}, fmt.Errorf("model: gzip: %w", err)
		}
		defer gz.Close()
		br = bufio.NewReader(gz)
	}
	cr := csv.NewReader(br)
	cr.TrimLeadingSpace = true
	cr.Comment = '#'
	var t Table
	width := -1
	for {
		rec, err := cr.Read()
		if err == io.EOF {
			break
		}
		line, _ := cr.FieldPos(0)
		if err != nil {
			return Table{}, fmt.Errorf("model: CSV: %w", err)
		}
		vals := make([]float64, len(rec))
		bad := -1
		for i, s := range rec {
			v, perr := strconv.ParseFloat(strings.TrimSpace(s), 64)
			if perr != nil || math.IsNaN(v) || math.IsInf(v, 0) {
				bad = i
				break
			}
			vals[i] = v
		}
		if bad >= 0 {
			if t.Names == nil && len(t.Rows) == 0 {
				t.Names = make([]string, len(rec))
				for i, s := range rec {
					t.Names[i] = strings.TrimSpace(s)
				}
				width = len(rec)
				continue
			}
			return Table{}, fmt.Errorf("model: CSV line %d, column %d (%s): %q is not a finite number", line, bad+1, t.colName(bad), rec[bad])
		}
		if width >= 0 && len(vals) != width {
			return Table{}, fmt.Errorf("model: CSV line %d has %d columns, expected %d", line, len(vals), width)
		}
		width = len(vals)
		t.Rows = append(t.Rows, vals)
	}
	if len(t.Rows) == 0 {
		return Table{}, fmt.Errorf("model: CSV holds no data rows")
	}
	if t.Names == nil {
		t.Names = make([]string, width)
		for i := range t.Names {
			t.Names[i] = fmt.Sprintf("column %d", i+1)
		}
	}
	return t, nil
}

func (t Table) colName(i int) string {
	if t.Names != nil && i < len(t.Names) {
		return fmt.Sprintf("%q", t.Names[i])
	}
	return "no header"
}

// Split returns the features (X, d_x×m) and labels (Y, d_y×m) of the table
// and the feature names. labels names the label columns, comma-separated,
// each a header name or a 1-based column number; empty means the last
// column. Every other column is a feature.
func (t Table) Split(labels string) (Data, []string, error) {
	width := len(t.Names)
	isLabel := make([]bool, width)
	var order []int
	if strings.TrimSpace(labels) == "" {
		order = []int{width - 1}
	} else {
		for _, f := range strings.Split(labels, ",") {
			f = strings.TrimSpace(f)
			col := -1
			for i, n := range t.Names {
				if n == f {
					col = i
					break
				}
			}
			if col < 0 {
				if k, err := strconv.Atoi(f); err == nil && k >= 1 && k <= width {
					col = k - 1
				}
			}
			if col < 0 {
				return Data{}, nil, fmt.Errorf("model: label column %q is neither a header name nor a column number in 1..%d", f, width)
			}
			if isLabel[col] {
				return Data{}, nil, fmt.Errorf("model: label column %q given twice", f)
			}
			order = append(order, col)
		}
	}
	for _, c := range order {
		isLabel[c] = true
	}
	var feats []int
	var names []string
	for i := 0; i < width; i++ {
		if !isLabel[i] {
			feats = append(feats, i)
			names = append(names, t.Names[i])
		}
	}
	if len(feats) == 0 {
		return Data{}, nil, fmt.Errorf("model: CSV rows have %d columns, all labels: need at least one feature", width)
	}
	m := len(t.Rows)
	x := mat.NewDense(len(feats), m, nil)
	y := mat.NewDense(len(order), m, nil)
	for k, row := range t.Rows {
		for i, c := range feats {
			x.Set(i, k, row[c])
		}
		for i, c := range order {
			y.Set(i, k, row[c])
		}
	}
	return Data{X: x, Y: y}, names, nil
}

// ReadCSV reads a data set with one example per row whose last dy columns
// are the labels and the others the features (see ReadTable for the
// format). It returns X (d_x×m) and Y (dy×m).
func ReadCSV(r io.Reader, dy int) (Data, error) {
	if dy < 1 {
		return Data{}, fmt.Errorf("model: ReadCSV needs dy ≥ 1 label columns (got %d)", dy)
	}
	t, err := ReadTable(r)
	if err != nil {
		return Data{}, err
	}
	w := len(t.Names)
	if w-dy < 1 {
		return Data{}, fmt.Errorf("model: CSV rows have %d columns; need at least one feature besides %d label columns", w, dy)
	}
	cols := make([]string, dy)
	for i := range cols {
		cols[i] = strconv.Itoa(w - dy + 1 + i)
	}
	d, _, err := t.Split(strings.Join(cols, ","))
	return d, err
}
