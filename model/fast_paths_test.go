package model

import (
	"fmt"
	"math"
	"strings"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// TestFastEveryPathEveryShape calls each product path of gemm directly —
// tinyGemm, smallGemm, loopGemm, gemmBLAS, kernGemm (after transposeInto
// for a transposed B, as gemm does), rowGemvAVX2 (row vector times B) — on every shape m, n, k in
// {1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17}, every transpose combination and
// both add modes, with padded strides, against the naive triple loop (tier
// γ_{k+2}·(Σ|terms| + |C_old| when adding) + 2u·|want| for each of the
// two computations; padding must stay untouched). Every path is
// therefore a correct product for every shape, whichever path gemm's
// dispatch picks: a change of a dispatch threshold changes only speed and
// rounding (docs/mutation.md uses this to classify such mutants). It also
// reaches the paths the default amd64 build never dispatches to (smallGemm,
// gemmBLAS), and kernGemm's edges: right edges of 1–3 columns, bottom
// edges of 1–3 rows, with and without the 8×8 kernel.
func TestFastEveryPathEveryShape(t *testing.T) {
	rng := NewRand(17)
	gen := func(r, c, stride int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: stride, Data: make([]float64, (r-1)*stride+c)}
		for i := range g.Data {
			g.Data[i] = rng.NormFloat64()
		}
		return g
	}
	type path struct {
		name string
		ok   bool
		run  func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, scratch []float64)
	}
	const alpha = -0.625
	paths := []path{
		{"tinyGemm", true, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, _ []float64) {
			tinyGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		}},
		{"smallGemm", true, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, _ []float64) {
			smallGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		}},
		{"loopGemm", true, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, _ []float64) {
			loopGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		}},
		{"gemmBLAS", true, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, _ []float64) {
			gemmBLAS(tA, tB, m, n, k, alpha, a, b, add, c)
		}},
		{"kernGemm", haveAVX2FMA || !asmKernels, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, scratch []float64) {
			if tB {
				tt := blas64.General{Rows: k, Cols: n, Stride: n, Data: scratch[:k*n]}
				transposeInto(tt, b, n, k)
				b = tt
			}
			kernGemm(tA, m, n, k, alpha, a, b, add, c)
		}},
		{"rowGemvAVX2 (m = 1, no transposes)", haveAVX2FMA || !asmKernels, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, scratch []float64) {
			rowGemvAVX2(alpha, a.Data[:k], b.Data, b.Stride, c.Data[:n], add)
		}},
		{"gemm", true, func(tA, tB bool, m, n, k int, a, b blas64.General, add bool, c blas64.General, scratch []float64) {
			gemm(tA, tB, alpha, a, b, add, c, scratch)
		}},
	}
	sizes := []int{1, 2, 3, 4, 5, 7, 8, 9, 12, 13, 17}
	checked := map[string]int{}
	for _, p := range paths {
		if !p.ok {
			t.Logf("%s: needs AVX2+FMA, which this CPU lacks; skipped", p.name)
			continue
		}
		for _, m := range sizes {
			for _, n := range sizes {
				for _, k := range sizes {
					for v := 0; v < 8; v++ {
						tA, tB, add := v&1 != 0, v&2 != 0, v&4 != 0
						if strings.HasPrefix(p.name, "rowGemv") && (m != 1 || tA || tB) {
							continue
						}
						var a, b blas64.General
						if tA {
							a = gen(k, m, m+1)
						} else {
							a = gen(m, k, k+2)
						}
						if tB {
							b = gen(n, k, k+3)
						} else {
							b = gen(k, n, n+1)
						}
						c := gen(m, n, n+2)
						c0 := append([]float64(nil), c.Data...)
						p.run(tA, tB, m, n, k, a, b, add, c, make([]float64, k*n))
						if msg := checkProduct(tA, tB, m, n, k, alpha, a, b, add, c, c0); msg != "" {
							t.Fatalf("%s m=%d n=%d k=%d tA=%v tB=%v add=%v: %s", p.name, m, n, k, tA, tB, add, msg)
						}
						checked[p.name]++
					}
				}
			}
		}
	}
	// Tiles: gemmBLAS cuts C into 64×128 tiles (fastTileRows × fastTileCols)
	// and kernGemm into 8-, 4-row and 8-, 4-column blocks; shapes on both
	// sides of one and two tile edges, thin k.
	for _, p := range paths {
		if !p.ok || strings.HasPrefix(p.name, "rowGemv") || p.name == "tinyGemm" || p.name == "smallGemm" {
			continue
		}
		for _, m := range []int{63, 64, 65, 129} {
			for _, n := range []int{127, 128, 129, 257} {
				for _, k := range []int{1, 3} {
					for v := 0; v < 8; v++ {
						tA, tB, add := v&1 != 0, v&2 != 0, v&4 != 0
						var a, b blas64.General
						if tA {
							a = gen(k, m, m+1)
						} else {
							a = gen(m, k, k+2)
						}
						if tB {
							b = gen(n, k, k+3)
						} else {
							b = gen(k, n, n+1)
						}
						c := gen(m, n, n+2)
						c0 := append([]float64(nil), c.Data...)
						p.run(tA, tB, m, n, k, a, b, add, c, make([]float64, k*n))
						if msg := checkProduct(tA, tB, m, n, k, alpha, a, b, add, c, c0); msg != "" {
							t.Fatalf("%s (tiles) m=%d n=%d k=%d tA=%v tB=%v add=%v: %s", p.name, m, n, k, tA, tB, add, msg)
						}
						checked[p.name+" (tiles)"]++
					}
				}
			}
		}
	}
	t.Logf("products checked per path: %v (8×8 kernel in use: %v)", checked, haveAVX512)
}

// checkProduct compares c with c0 (+)= α op(A) op(B) by the naive loop.
func checkProduct(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General, c0 []float64) string {
	at := func(i, l int) float64 {
		if tA {
			return a.Data[l*a.Stride+i]
		}
		return a.Data[i*a.Stride+l]
	}
	bt := func(l, j int) float64 {
		if tB {
			return b.Data[j*b.Stride+l]
		}
		return b.Data[l*b.Stride+j]
	}
	for i := 0; i < m; i++ {
		for j := 0; j < c.Stride && (j < n || i < m-1); j++ {
			got := c.Data[i*c.Stride+j]
			if j >= n { // padding between rows
				if got != c0[i*c.Stride+j] {
					return fmt.Sprintf("wrote outside C at row %d, column %d", i, j)
				}
				continue
			}
			var s, abs float64
			for l := 0; l < k; l++ {
				s += at(i, l) * bt(l, j)
				abs += math.Abs(at(i, l) * bt(l, j))
			}
			want := alpha * s
			acc := math.Abs(alpha) * abs
			if add {
				want += c0[i*c.Stride+j]
				// Paths that accumulate into C term by term (loopGemm's
				// axpy, gonum's Dgemm with β = 1) round each partial sum,
				// which carries C's old value: γ_{k+2} covers |c0| too.
				acc += math.Abs(c0[i*c.Stride+j])
			}
			tol := 2*float64(k+2)*linalg.UnitRoundoff*acc + linalg.MachEps*math.Abs(want)
			if math.Abs(got-want) > tol {
				return fmt.Sprintf("[%d,%d] = %v, want %v (|Δ| %.3g > tier %.3g)", i, j, got, want, math.Abs(got-want), tol)
			}
		}
	}
	return ""
}
