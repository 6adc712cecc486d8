package gen

import (
	"fmt"

	"gonum.org/v1/gonum/mat"
	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/model"
)

// LayerScales are the layer sizes ‖W_j‖_σ drawn by Generic (a log grid
// around 1: the algebraic claims hold at any size, the grid keeps products
// of six layers within a few decades of 1).
var LayerScales = []float64{1, 0.5, 1.5, 0.25, 2}

// GenericCase is an arbitrary network and target (no hypotheses): the
// input of the algebraic identities (G1, G2, S1–S3, F1, F2, B1, …).
type GenericCase struct {
	Shape
	Target     TargetSpec
	Phi        *mat.Dense
	LayerScale float64 // ‖W_j‖_σ of every layer
	LayerCond  float64 // σ_max/σ_min of every layer
	Seed       uint64
	Net        *model.Net
}

// String names the key figures of the case.
func (g GenericCase) String() string {
	return fmt.Sprintf("N=%d dims=%v ‖Φ‖_F=%.4g cond(Φ)=%.3g ‖W_j‖_σ=%.3g cond(W_j)=%.3g seed=%d",
		g.N, g.Dims, g.Target.Frob, g.Target.Condition, g.LayerScale, g.LayerCond, g.Seed)
}

// Generic draws an architecture (ShapeOptions), a target (Targets) and
// layers W_j = U_j diag(σ) V_jᵀ with seeded Haar factors, ‖W_j‖_σ from
// LayerScales and singular values spaced geometrically down to
// ‖W_j‖_σ/cond, cond ∈ 1..4.
func Generic(o ShapeOptions) *rapid.Generator[GenericCase] {
	shapes := Shapes(o)
	targets := Targets()
	return rapid.Custom(func(t *rapid.T) GenericCase {
		g := GenericCase{Shape: shapes.Draw(t, "shape"), Target: targets.Draw(t, "target")}
		g.LayerScale = rapid.SampledFrom(LayerScales).Draw(t, "‖W_j‖_σ")
		g.LayerCond = 1 + float64(rapid.IntRange(0, 6).Draw(t, "cond(W)×2−2"))/2
		g.Seed = rapid.Uint64().Draw(t, "seed")
		phi, err := g.Target.Build(g.Dims[g.N], g.Dims[0])
		if err != nil {
			t.Fatalf("gen: Φ: %v", err)
		}
		g.Phi = phi
		n, err := Layers(g.Dims, g.LayerScale, g.LayerCond, g.Seed)
		if err != nil {
			t.Fatalf("gen: layers: %v", err)
		}
		g.Net = n
		return g
	})
}

// Layers builds W_j = U_j diag(σ) V_jᵀ, σ geometric from scale down to
// scale/cond, seeded Haar factors.
func Layers(dims []int, scale, cond float64, seed uint64) (*model.Net, error) {
	rng := model.NewRand(seed)
	ls := make([]mat.Matrix, len(dims)-1)
	for j := range ls {
		r := min(dims[j+1], dims[j])
		sv := make([]float64, r)
		for i := range sv {
			f := 0.0
			if r > 1 {
				f = float64(i) / float64(r-1)
			}
			sv[i] = scale * pow(cond, -f)
		}
		w, err := linalg.FromSingularValues(dims[j+1], dims[j], sv, rng)
		if err != nil {
			return nil, err
		}
		ls[j] = w
	}
	return model.NewNet(ls)
}
