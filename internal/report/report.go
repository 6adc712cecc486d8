// Package report holds the output conventions every command of dlnverify
// shares, so that a number means the same in each file it writes: one JSON
// encoding of floats (Float), one logarithmic axis for figures
// (DecadeTicks, LogAxis) and one way to fold a message into the one line an
// error is printed as (OneLine).
package report

import (
	"fmt"
	"math"
	"strconv"
	"strings"

	"gonum.org/v1/plot"
)

// Float is a float64 whose JSON form survives NaN and ±Inf, which
// encoding/json rejects: NaN (an undefined quantity) is null, +Inf the
// string "+Inf" and −Inf "-Inf"; every finite value is the shortest decimal
// that round-trips. UnmarshalJSON reads the same forms back.
type Float float64

// MarshalJSON implements json.Marshaler.
func (f Float) MarshalJSON() ([]byte, error) {
	v := float64(f)
	switch {
	case math.IsNaN(v):
		return []byte("null"), nil
	case math.IsInf(v, 1):
		return []byte(`"+Inf"`), nil
	case math.IsInf(v, -1):
		return []byte(`"-Inf"`), nil
	}
	return strconv.AppendFloat(nil, v, 'g', -1, 64), nil
}

// UnmarshalJSON implements json.Unmarshaler: null is NaN, "+Inf" and
// "-Inf" are the infinities, anything else must be a JSON number.
func (f *Float) UnmarshalJSON(b []byte) error {
	switch string(b) {
	case "null":
		*f = Float(math.NaN())
	case `"+Inf"`:
		*f = Float(math.Inf(1))
	case `"-Inf"`:
		*f = Float(math.Inf(-1))
	default:
		v, err := strconv.ParseFloat(string(b), 64)
		if err != nil {
			return fmt.Errorf("not a number: %s", b)
		}
		*f = Float(v)
	}
	return nil
}

// Floats converts a slice for JSON output.
func Floats(xs []float64) []Float {
	out := make([]Float, len(xs))
	for i, x := range xs {
		out[i] = Float(x)
	}
	return out
}

// LogAxis gives a plot axis a log scale labelled by DecadeTicks.
func LogAxis(a *plot.Axis) {
	a.Scale = plot.LogScale{}
	a.Tick.Marker = DecadeTicks{}
}

// DecadeTicks labels the powers of ten of a log axis exactly ("1e-05",
// not "9.999999999999998e-06"), with unlabelled minor ticks at 2..9 × 10^k;
// over more than ten decades it labels every k-th decade only and drops
// the minor ticks. It returns no ticks for a range that is not positive.
type DecadeTicks struct{}

// Ticks implements plot.Ticker.
func (DecadeTicks) Ticks(lo, hi float64) []plot.Tick {
	if !(lo > 0) || !(hi > 0) {
		return nil
	}
	k0, k1 := int(math.Floor(math.Log10(lo))), int(math.Ceil(math.Log10(hi)))
	every := max(1, (k1-k0+9)/10)
	var ticks []plot.Tick
	for k := k0; k <= k1; k++ {
		v, _ := strconv.ParseFloat("1e"+strconv.Itoa(k), 64)
		label := ""
		if (k-k0)%every == 0 {
			label = strconv.FormatFloat(v, 'g', -1, 64)
		}
		// Only ticks inside the range: gonum pads the axis for the labels
		// of all ticks it is given, drawn or not.
		if v >= lo && v <= hi {
			ticks = append(ticks, plot.Tick{Value: v, Label: label})
		}
		if every == 1 {
			for i := 2; i < 10; i++ {
				if m := float64(i) * v; m >= lo && m <= hi {
					ticks = append(ticks, plot.Tick{Value: m})
				}
			}
		}
	}
	return ticks
}

// OneLine folds a message into one line, as every error of the binary is
// printed: line breaks become " | " and runs of white space one space.
func OneLine(s string) string {
	s = strings.TrimSpace(s)
	return strings.Join(strings.Fields(strings.ReplaceAll(s, "\n", " | ")), " ")
}
