package experiment

import (
	"context"
	"math"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// TraceRow is one record of Figure 1(c): the imbalance (D1 value) and
// min_j ‖W_jW_jᵀ‖_F along a training run.
type TraceRow struct {
	Depth     int     `json:"depth"`
	Init      string  `json:"init"`
	Std       float64 `json:"std"`
	Eta       float64 `json:"eta"`
	Step      int     `json:"step"`
	Loss      float64 `json:"loss"`
	Imbalance float64 `json:"imbalance"`
	MinGram   float64 `json:"min_gram"` // min_j ‖W_jW_jᵀ‖_F
}

// MinGram is min_j ‖W_jW_jᵀ‖_F, the scale Figure 1(c) compares the
// imbalance with.
func MinGram(n *model.Net) float64 {
	m := math.Inf(1)
	for j := 1; j <= n.N(); j++ {
		var g mat.Dense
		w := n.Layer(j)
		g.Mul(w, w.T())
		m = math.Min(m, mat.Norm(&g, 2))
	}
	return m
}

// Fig1cTrace reruns one grid point's fastest run, recording about `records`
// rows of (loss, imbalance, min_j ‖W_jW_jᵀ‖_F).
func Fig1cTrace(ctx context.Context, cfg Fig1Config, p Point, records int) ([]TraceRow, error) {
	if !p.Converged {
		return nil, nil
	}
	n, err := NewInit(p.Init, cfg.dims(p.Depth), p.Std, p.Seed)
	if err != nil {
		return nil, err
	}
	st := cfg.NewStepper
	var impl model.Stepper = model.NewFast()
	if st != nil {
		impl = st()
	}
	stride := max(1, p.Iterations/records)
	var rows []TraceRow
	for t := 0; t <= p.Iterations; t++ {
		if t%4096 == 0 && ctx.Err() != nil {
			return nil, ctx.Err()
		}
		if t%stride == 0 || t == p.Iterations {
			l, err := model.Loss(n, cfg.Phi)
			if err != nil {
				return nil, err
			}
			rows = append(rows, TraceRow{Depth: p.Depth, Init: p.Init, Std: p.Std, Eta: p.BestEta, Step: t, Loss: l, Imbalance: invariants.Imbalance(n), MinGram: MinGram(n)})
		}
		if t < p.Iterations {
			if _, err := impl.Step(n, cfg.Phi, p.BestEta); err != nil {
				return nil, err
			}
		}
	}
	return rows, nil
}

// RunFig1c picks, for each depth, the smallest std at which the layer-wise
// Gaussian initialisation converged and traces the fastest run there for
// both initialisations (where they converged). This is the "small-std run"
// of Figure 1(c).
func RunFig1c(ctx context.Context, cfg Fig1Config, res Fig1Result) ([]TraceRow, error) {
	var rows []TraceRow
	for _, N := range cfg.Depths {
		best := math.Inf(1)
		for _, p := range res.Points {
			if p.Depth == N && p.Init == InitGaussian && p.Converged {
				best = math.Min(best, p.Std)
			}
		}
		if math.IsInf(best, 1) {
			continue
		}
		for _, in := range cfg.Inits {
			for _, p := range res.Points {
				if p.Depth == N && p.Init == in && p.Std == best {
					r, err := Fig1cTrace(ctx, cfg, p, 200)
					if err != nil {
						return nil, err
					}
					rows = append(rows, r...)
				}
			}
		}
	}
	return rows, nil
}
