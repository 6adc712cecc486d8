package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/mat"
)

// MaxHessianParams is the largest parameter count Sharpness handles: it
// forms the full P×P Hessian (2P gradient evaluations and an O(P³)
// eigendecomposition).
const MaxHessianParams = 1200

// Sharpness returns λ_max(∇²L^N), the largest eigenvalue of the Hessian of
// the loss with respect to all entries of W_1..W_N stacked (P = Σ_j d_j d_{j−1}
// of them), at the current iterate. 2/Sharpness is the classical stability
// limit of GD: on the quadratic model of L^N around this iterate, GD with
// step η is stable along every eigendirection iff η < 2/λ_max (a
// statement about the local quadratic, not a guarantee for the deep
// network). It returns NaN with no error when λ_max ≤ 0 (no limit: the
// quadratic model is not convex in any direction).
//
// The Hessian is formed column by column from central differences of the
// exact gradient (Gradients) with step h = 1e-4·max(1, max_ij |W|): the
// loss is a polynomial in the weights, so the truncation error is
// O(h²·‖∇³L‖), about 1e-8 relative at unit scales, and the rounding error
// is O(u·‖∇L‖/h); the result is then symmetrised. It is an error when P
// exceeds MaxHessianParams or Φ does not fit n.
func Sharpness(n *Net, phi mat.Matrix) (float64, error) {
	if err := n.CheckTarget(phi); err != nil {
		return math.NaN(), err
	}
	P, scale := 0, 1.0
	for _, w := range n.w {
		r, c := w.Dims()
		P += r * c
		for _, v := range w.RawMatrix().Data {
			scale = math.Max(scale, math.Abs(v))
		}
	}
	if P > MaxHessianParams {
		return math.NaN(), fmt.Errorf("model: Sharpness forms the full Hessian; %d parameters exceed %d", P, MaxHessianParams)
	}
	h := 1e-4 * scale
	H := mat.NewDense(P, P, nil)
	m := n.Clone()
	col := 0
	for _, w := range m.w {
		data := w.RawMatrix().Data
		for i := range data {
			v := data[i]
			data[i] = v + h
			gp, err := Gradients(m, phi)
			if err != nil {
				return math.NaN(), err
			}
			data[i] = v - h
			gm, _ := Gradients(m, phi)
			data[i] = v
			row := 0
			for k := range gp {
				a, b := gp[k].RawMatrix().Data, gm[k].RawMatrix().Data
				for q := range a {
					H.Set(row, col, (a[q]-b[q])/(2*h))
					row++
				}
			}
			col++
		}
	}
	sym := mat.NewSymDense(P, nil)
	for i := 0; i < P; i++ {
		for k := i; k < P; k++ {
			sym.SetSym(i, k, (H.At(i, k)+H.At(k, i))/2)
		}
	}
	var eig mat.EigenSym
	if !eig.Factorize(sym, false) {
		return math.NaN(), fmt.Errorf("model: Sharpness: eigendecomposition did not converge")
	}
	vals := eig.Values(nil)
	top := vals[len(vals)-1]
	if !(top > 0) {
		return math.NaN(), nil
	}
	return top, nil
}
