package model

import (
	"math"
	"testing"

	"gonum.org/v1/gonum/blas/blas64"

	"github.com/dlnverify/dlnverify/internal/linalg"
)

// TestFastKernels checks the vector kernels (assembly where available)
// against plain loops on every length 0..69, and gemm in every transpose
// combination and dispatch path against a naive triple loop. The tier is
// γ_k Σ_l |a||b| per entry (k the inner length, u = 2⁻⁵³) — the standard
// bound for any summation order.
func TestFastKernels(t *testing.T) {
	t.Logf("AVX2+FMA kernels in use: %v; AVX-512 kernel: %v", haveAVX2FMA, haveAVX512)
	rng := NewRand(3)
	for n := 0; n < 70; n++ {
		x := make([]float64, n+3)
		y := make([]float64, n+3)
		for i := range x {
			x[i], y[i] = rng.NormFloat64(), rng.NormFloat64()
		}
		y2 := append([]float64(nil), y...)
		axpy(0.7, x[:n], y)
		axpyGo(0.7, x[:n], y2)
		for i := range y {
			if math.Abs(y[i]-y2[i]) > 2*linalg.UnitRoundoff*(math.Abs(y2[i])+0.7*math.Abs(x[i])) {
				t.Fatalf("axpy n=%d i=%d: %v vs %v", n, i, y[i], y2[i])
			}
		}
		var abs float64
		for i := 0; i < n; i++ {
			abs += math.Abs(x[i] * y[i])
		}
		if d := math.Abs(dot(x[:n], y) - dotGo(x[:n], y)); d > 2*float64(n+1)*linalg.UnitRoundoff*abs {
			t.Fatalf("dot n=%d: differs by %g", n, d)
		}
	}
	gen := func(r, c, stride int) blas64.General {
		g := blas64.General{Rows: r, Cols: c, Stride: stride, Data: make([]float64, (r-1)*stride+c)}
		for i := range g.Data {
			g.Data[i] = rng.NormFloat64()
		}
		return g
	}
	for _, sz := range [][3]int{{1, 1, 1}, {3, 5, 2}, {4, 4, 4}, {4, 8, 4}, {5, 9, 7}, {8, 8, 8}, {8, 12, 5}, {12, 15, 6}, {16, 4, 9}, {13, 17, 11}, {2, 40, 30}, {33, 70, 65}, {1, 128, 32}, {70, 33, 129}, {20, 140, 10}, {130, 9, 20}, {1, 9, 7}, {1, 21, 3}, {1, 37, 40}} {
		m, n, k := sz[0], sz[1], sz[2]
		for _, tA := range []bool{false, true} {
			for _, tB := range []bool{false, true} {
				for _, add := range []bool{false, true} {
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
					gemm(tA, tB, -0.5, a, b, add, c, make([]float64, k*n))
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
						for j := 0; j < n; j++ {
							var s, abs float64
							for l := 0; l < k; l++ {
								s += at(i, l) * bt(l, j)
								abs += math.Abs(at(i, l) * bt(l, j))
							}
							want := -0.5 * s
							if add {
								want += c0[i*c.Stride+j]
							}
							tol := 2*float64(k+2)*linalg.UnitRoundoff*(0.5*abs) + linalg.MachEps*math.Abs(want)
							if got := c.Data[i*c.Stride+j]; math.Abs(got-want) > tol {
								t.Fatalf("gemm %v tA=%v tB=%v add=%v [%d,%d]: %v want %v", sz, tA, tB, add, i, j, got, want)
							}
						}
						// Padding between rows is untouched.
						for j := n; j < c.Stride && i < m-1; j++ {
							if c.Data[i*c.Stride+j] != c0[i*c.Stride+j] {
								t.Fatalf("gemm %v wrote outside C", sz)
							}
						}
					}
				}
			}
		}
	}
}

// TestFastMicroKernels calls the block kernels and the vector kernels
// directly (the assembly in the default amd64 build, the documented Go loops
// of fast_generic.go under -tags purego or another GOARCH, where gemm never
// reaches them) against the loops their doc comments state, at k = 0..9 and
// with strided and transposed A. Kernels the CPU lacks are skipped.
func TestFastMicroKernels(t *testing.T) {
	rng := NewRand(5)
	type kern func(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)
	cases := []struct {
		name   string
		mb, nb int
		f      kern
		ok     bool
	}{
		{"kern4x8", 4, 8, kern4x8, haveAVX2FMA || !asmKernels},
		{"kern4x4", 4, 4, kern4x4, haveAVX2FMA || !asmKernels},
		{"kern8x8", 8, 8, kern8x8, haveAVX512 || !asmKernels},
	}
	for _, tc := range cases {
		if !tc.ok {
			t.Logf("%s: not supported by this CPU, skipped", tc.name)
			continue
		}
		for k := 0; k < 10; k++ {
			for _, tA := range []bool{false, true} {
				for _, add := range []bool{false, true} {
					ars, acs := k+1, 1 // A is mb×k with a padded stride
					if tA {
						ars, acs = 1, tc.mb+2 // Aᵀ stored k×mb
					}
					a := make([]float64, (tc.mb+2)*(k+2))
					for i := range a {
						a[i] = rng.NormFloat64()
					}
					ldb, ldc := tc.nb+3, tc.nb+1
					b := make([]float64, ldb*(k+1))
					for i := range b {
						b[i] = rng.NormFloat64()
					}
					c := make([]float64, ldc*tc.mb)
					for i := range c {
						c[i] = rng.NormFloat64()
					}
					c0 := append([]float64(nil), c...)
					tc.f(k, 0.75, add, a, ars, acs, b, ldb, c, ldc)
					for i := 0; i < tc.mb; i++ {
						for j := 0; j < ldc; j++ {
							if j >= tc.nb {
								if c[i*ldc+j] != c0[i*ldc+j] {
									t.Fatalf("%s k=%d wrote outside its block at [%d,%d]", tc.name, k, i, j)
								}
								continue
							}
							var s, abs float64
							for l := 0; l < k; l++ {
								s += a[i*ars+l*acs] * b[l*ldb+j]
								abs += math.Abs(a[i*ars+l*acs] * b[l*ldb+j])
							}
							want := 0.75 * s
							if add {
								want += c0[i*ldc+j]
							}
							tol := 2*float64(k+2)*linalg.UnitRoundoff*(0.75*abs) + linalg.MachEps*math.Abs(want)
							if got := c[i*ldc+j]; math.Abs(got-want) > tol {
								t.Fatalf("%s k=%d tA=%v add=%v [%d,%d]: %v want %v", tc.name, k, tA, add, i, j, got, want)
							}
						}
					}
				}
			}
		}
	}
	if haveAVX2FMA || !asmKernels {
		for n := 0; n < 20; n++ {
			x, y := make([]float64, n), make([]float64, n+2)
			for i := range x {
				x[i] = rng.NormFloat64()
			}
			for i := range y {
				y[i] = rng.NormFloat64()
			}
			y2 := append([]float64(nil), y...)
			axpyAVX2(-1.5, x, y[:n])
			var want float64
			for i, v := range x {
				y2[i] += -1.5 * v
				want += v * y2[i]
			}
			for i := range y {
				var xi float64
				if i < n {
					xi = x[i]
				}
				if math.Abs(y[i]-y2[i]) > linalg.MachEps*(math.Abs(y2[i])+1.5*math.Abs(xi)) {
					t.Fatalf("axpyAVX2 n=%d [%d]: %v want %v", n, i, y[i], y2[i])
				}
			}
			var abs float64
			for i, v := range x {
				abs += math.Abs(v * y[i])
			}
			if got := dotAVX2(x, y); math.Abs(got-want) > 2*float64(n+1)*linalg.UnitRoundoff*abs+1e-300 {
				t.Fatalf("dotAVX2 n=%d: %v want %v", n, got, want)
			}
		}
	}
}

// TestFastRowKernels checks the d_N = 1 kernels (rowGemvAVX2 through gemm's
// one-row path is in TestFastKernels; here both directly, assembly or the
// Go loops of fast_generic.go) and rowsDotAxpy against their stated loops,
// for every length 0..40 (the 16-, 4- and 1-wide tails) and 1..3 rows.
func TestFastRowKernels(t *testing.T) {
	if asmKernels && !haveAVX2FMA {
		t.Skip("no AVX2+FMA")
	}
	rng := NewRand(9)
	norm := func(n int) []float64 {
		v := make([]float64, n)
		for i := range v {
			v[i] = rng.NormFloat64()
		}
		return v
	}
	for n := 0; n <= 40; n++ {
		for k := 1; k <= 3; k++ {
			ldb := n + 2
			x, b, y := norm(k), norm(k*ldb), norm(n)
			for _, add := range []bool{false, true} {
				got := append([]float64(nil), y...)
				rowGemvAVX2(-0.5, x, b, ldb, got, add)
				for j := range y {
					var s, abs float64
					for l := range x {
						s += x[l] * b[l*ldb+j]
						abs += math.Abs(x[l] * b[l*ldb+j])
					}
					want := -0.5 * s
					if add {
						want += y[j]
					}
					if math.Abs(got[j]-want) > 2*float64(k+2)*linalg.UnitRoundoff*(0.5*abs)+linalg.MachEps*math.Abs(want) {
						t.Fatalf("rowGemvAVX2 n=%d k=%d add=%v [%d]: %v want %v", n, k, add, j, got[j], want)
					}
				}
			}
			// rows = k, columns n, stride n+3.
			a, xv, w := norm(k), norm(n), norm(k*(n+3))
			for _, f := range []struct {
				name string
				f    func(alpha float64, a, x, w []float64, ldw int, out []float64)
			}{{"rowsDotAxpyAVX2", rowsDotAxpyAVX2}, {"rowsDotAxpy", rowsDotAxpy}} {
				if f.name == "rowsDotAxpyAVX2" && n == 0 {
					continue // the dispatcher never sends empty rows to it
				}
				wg := append([]float64(nil), w...)
				out := make([]float64, k)
				f.f(0.25, a, xv, wg, n+3, out)
				for i := 0; i < k; i++ {
					var s, abs float64
					for c, v := range xv {
						s += v * w[i*(n+3)+c]
						abs += math.Abs(v * w[i*(n+3)+c])
					}
					if math.Abs(out[i]-s) > 2*float64(n+2)*linalg.UnitRoundoff*abs {
						t.Fatalf("%s n=%d row %d: dot %v want %v", f.name, n, i, out[i], s)
					}
					for c := 0; c < n+3; c++ {
						want, inc := w[i*(n+3)+c], 0.0
						if c < n {
							inc = 0.25 * a[i] * xv[c]
							want += inc
						}
						if got := wg[i*(n+3)+c]; math.Abs(got-want) > linalg.MachEps*(math.Abs(want)+math.Abs(inc)) {
							t.Fatalf("%s n=%d [%d,%d]: %v want %v", f.name, n, i, c, got, want)
						}
					}
				}
			}
		}
	}
}
