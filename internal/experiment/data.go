package experiment

import (
	"fmt"
	"os"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/model"
)

// DataTarget is the target Φ derived from a real data set (E1's protocol).
type DataTarget struct {
	Phi      *mat.Dense // Λ_yx / ‖Λ_yx‖_F, 1×d_0
	Examples int        // m
	LyxNorm  float64    // ‖Λ_yx‖_F of the whitened data before scaling
	Kappa    float64    // S1's κ after scaling the labels by 1/‖Λ_yx‖_F
}

// TargetFromCSV reads a CSV of examples (features first, the scalar label
// last; a non-numeric first row is a header), PCA-whitens it with
// model.Whiten (so Λ_xx = I), and scales the labels so that ‖Λ_yx‖_F = 1.
// With Λ_xx = I the data loss is ½‖W − Φ‖_F² + κ (S1) with Φ = Λ_yx, so GD
// on the network sees the data only through Φ; κ is reported, not used.
func TargetFromCSV(path string) (DataTarget, error) {
	f, err := os.Open(path)
	if err != nil {
		return DataTarget{}, err
	}
	defer f.Close()
	d, err := model.ReadCSV(f, 1)
	if err != nil {
		return DataTarget{}, fmt.Errorf("%s: %w", path, err)
	}
	w, err := model.Whiten(d.X, d.Y)
	if err != nil {
		return DataTarget{}, fmt.Errorf("%s: %w", path, err)
	}
	st := w.Moments()
	norm := mat.Norm(st.Lyx, 2)
	if !(norm > 0) {
		return DataTarget{}, fmt.Errorf("%s: the labels are uncorrelated with the features (Λ_yx = 0), so Φ cannot be scaled to unit norm", path)
	}
	phi := mat.DenseCopyOf(st.Lyx)
	phi.Scale(1/norm, phi)
	_, m := d.X.Dims()
	return DataTarget{Phi: phi, Examples: m, LyxNorm: norm, Kappa: st.Kappa / (norm * norm)}, nil
}
