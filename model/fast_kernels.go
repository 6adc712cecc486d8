package model

// Kernels of Fast: the products and vector operations the stepper
// (fast.go) is written in. gemm dispatches each product to the amd64
// assembly micro-kernels (fast_amd64.s, declared in fast_amd64.go) when the
// CPU has AVX2+FMA, and otherwise to the Go loops here or gonum's pure-Go
// Dgemm; fast_generic.go holds the pure-Go stand-ins for the assembly under
// the purego build tag and on other GOARCHes. All matrices are row-major
// blas64.General values; no kernel allocates.

import (
	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
)

// fastBLASMin is the multiply-add count from which, without the assembly
// kernels, a product goes to gonum's Dgemm instead of the Go loops (a
// 2⁵×2⁵×2⁴ product: below it Dgemm's argument checks and per-call overhead
// are a visible share; a judgement, not a tuned constant).
const fastBLASMin = 1 << 14

// axpyGeneral sets y += α x for equal-shaped x, y.
func axpyGeneral(alpha float64, x, y blas64.General) {
	for i := 0; i < y.Rows; i++ {
		yr := y.Data[i*y.Stride : i*y.Stride+y.Cols]
		axpy(alpha, x.Data[i*x.Stride:i*x.Stride+y.Cols], yr)
	}
}

// fastVecMin is the vector length from which axpy and dot use the AVX2
// kernels (below it the call overhead outweighs the vector width).
const fastVecMin = 8

// axpy sets y += α x (len(y) ≥ len(x)).
func axpy(alpha float64, x, y []float64) {
	if haveAVX2FMA && len(x) >= fastVecMin {
		axpyAVX2(alpha, x, y[:len(x)])
		return
	}
	axpyGo(alpha, x, y)
}

// dot is Σ x_i y_i over len(x) (len(y) ≥ len(x)).
func dot(x, y []float64) float64 {
	if haveAVX2FMA && len(x) >= fastVecMin {
		return dotAVX2(x, y[:len(x)])
	}
	return dotGo(x, y)
}

// rowsDotAxpy sets out[i] = Σ_c w[i,c] x[c] with the old row and then
// w[i,:] += α a[i] x, for every row i < len(out) of w (stride ldw, len(x)
// columns): the d_N = 1 sweep of one layer in one pass over it.
func rowsDotAxpy(alpha float64, a, x, w []float64, ldw int, out []float64) {
	if haveAVX2FMA && len(x) >= fastVecMin {
		rowsDotAxpyAVX2(alpha, a[:len(out)], x, w[:(len(out)-1)*ldw+len(x)], ldw, out)
		return
	}
	for i := range out {
		out[i] = dotAxpyGo(alpha*a[i], x, w[i*ldw:i*ldw+len(x)])
	}
}

// dotAxpyGo is the loop s += x[i]·y[i]; y[i] += α x[i] over i < len(x),
// returning s.
func dotAxpyGo(alpha float64, x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += v * y[i]
		y[i] += alpha * v
	}
	return s
}

// axpyGo is the loop y[i] += α x[i], i < len(x) (len(y) ≥ len(x)).
func axpyGo(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

// dotGo is the loop Σ_{i<len(x)} x[i] y[i] in index order (len(y) ≥ len(x)).
func dotGo(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// gemm sets C = α op(A) op(B) (add = false) or C += α op(A) op(B) (add =
// true), op(X) = Xᵀ when the flag is set. Shapes are the callers' to get
// right; C never aliases A or B; scratch holds at least k·n values (for a
// transposed B). Dispatch, first match: ≤ fastTinyMax multiply-adds → one
// strided loop; AVX2, one row, no transposes, n ≥ fastVecMin → rowGemvAVX2;
// AVX2 and m, n, k ≥ 4 → micro-kernels (kernGemm); AVX2 and
// rows of ≥ 16 → axpy/dot rows (loopGemm); ≥ fastBLASMin → gonum Dgemm
// tiles; thin (m < 2, n < 4 or k < 4) → loopGemm; else 2×4 Go blocks.
func gemm(tA, tB bool, alpha float64, a, b blas64.General, add bool, c blas64.General, scratch []float64) {
	m, n := c.Rows, c.Cols
	k := a.Cols
	if tA {
		k = a.Rows
	}
	if m*n*k <= fastTinyMax {
		tinyGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if haveAVX2FMA && m == 1 && !tA && !tB && n >= fastVecMin {
		// A row vector times a matrix (the thin-end chains at d_N = 1):
		// y held in registers across the rows of B.
		rowGemvAVX2(alpha, a.Data[:k], b.Data, b.Stride, c.Data[:n], add)
		return
	}
	if haveAVX2FMA && m >= 4 && n >= 4 && k >= 4 {
		if tB { // the micro-kernel wants op(B) row-major: transpose B once
			t := blas64.General{Rows: k, Cols: n, Stride: n, Data: scratch[:k*n]}
			transposeInto(t, b, n, k)
			b = t
		}
		kernGemm(tA, m, n, k, alpha, a, b, add, c)
		return
	}
	if haveAVX2FMA && ((!tB && n >= 2*fastVecMin) || (tB && k >= 2*fastVecMin)) {
		loopGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if m*n*k >= fastBLASMin {
		gemmBLAS(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if m < 2 || n < 4 || k < 4 {
		loopGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	smallGemm(tA, tB, m, n, k, alpha, a, b, add, c)
}

// smallGemm is C (+)= α op(A) op(B) blocked 2×4 in registers: each pass
// over l loads 2 + 4 values for 8 multiply-adds, and C is written once per
// block. The inner loops are specialised per transpose case so that the
// operands are read through re-sliced rows (one bounds check per row, not
// per element).
func smallGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	var s [8]float64
	i := 0
	for ; i+2 <= m; i += 2 {
		j := 0
		for ; j+4 <= n; j += 4 {
			switch {
			case !tA && !tB:
				s = blockNN(a.Data[i*a.Stride:i*a.Stride+k], a.Data[(i+1)*a.Stride:(i+1)*a.Stride+k], b.Data, j, b.Stride)
			case tA && !tB:
				s = blockTN(a.Data, i, a.Stride, b.Data, j, b.Stride, k)
			case !tA && tB:
				s = blockNT(a.Data[i*a.Stride:i*a.Stride+k], a.Data[(i+1)*a.Stride:(i+1)*a.Stride+k], b.Data, j, b.Stride)
			default:
				for q := range s {
					var v float64
					for l := 0; l < k; l++ {
						v += a.Data[l*a.Stride+i+q/4] * b.Data[(j+q%4)*b.Stride+l]
					}
					s[q] = v
				}
			}
			c0 := c.Data[i*c.Stride+j : i*c.Stride+j+4]
			c1 := c.Data[(i+1)*c.Stride+j : (i+1)*c.Stride+j+4]
			if add {
				c0[0] += alpha * s[0]
				c0[1] += alpha * s[1]
				c0[2] += alpha * s[2]
				c0[3] += alpha * s[3]
				c1[0] += alpha * s[4]
				c1[1] += alpha * s[5]
				c1[2] += alpha * s[6]
				c1[3] += alpha * s[7]
			} else {
				c0[0] = alpha * s[0]
				c0[1] = alpha * s[1]
				c0[2] = alpha * s[2]
				c0[3] = alpha * s[3]
				c1[0] = alpha * s[4]
				c1[1] = alpha * s[5]
				c1[2] = alpha * s[6]
				c1[3] = alpha * s[7]
			}
		}
		for ; j < n; j++ {
			for ii := i; ii < i+2; ii++ {
				gemmEntry(tA, tB, ii, j, k, alpha, a, b, add, c)
			}
		}
	}
	for ; i < m; i++ {
		for j := 0; j < n; j++ {
			gemmEntry(tA, tB, i, j, k, alpha, a, b, add, c)
		}
	}
}

// gemmEntry computes one entry C[i,j] (+)= α Σ_l op(A)(i,l) op(B)(l,j).
func gemmEntry(tA, tB bool, i, j, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ai, al := i*a.Stride, 1
	if tA {
		ai, al = i, a.Stride
	}
	bj, bl := j, b.Stride
	if tB {
		bj, bl = j*b.Stride, 1
	}
	var v float64
	for l := 0; l < k; l++ {
		v += a.Data[ai] * b.Data[bj]
		ai += al
		bj += bl
	}
	if add {
		c.Data[i*c.Stride+j] += alpha * v
	} else {
		c.Data[i*c.Stride+j] = alpha * v
	}
}

// blockNN returns Σ_l a_r[l] B[l, j..j+3] for the rows a0, a1 (length k)
// of A, B row-major with stride ldb.
func blockNN(a0, a1, b []float64, j, ldb int) (s [8]float64) {
	a1 = a1[:len(a0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ib := j
	for l, x0 := range a0 {
		x1 := a1[l]
		bl := b[ib : ib+4 : ib+4]
		s00 += x0 * bl[0]
		s01 += x0 * bl[1]
		s02 += x0 * bl[2]
		s03 += x0 * bl[3]
		s10 += x1 * bl[0]
		s11 += x1 * bl[1]
		s12 += x1 * bl[2]
		s13 += x1 * bl[3]
		ib += ldb
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// blockTN returns Σ_l A[l, i..i+1] ⊗ B[l, j..j+3] (A is k×m, row-major).
func blockTN(a []float64, i, lda int, b []float64, j, ldb, k int) (s [8]float64) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ia, ib := i, j
	for l := 0; l < k; l++ {
		al := a[ia : ia+2 : ia+2]
		bl := b[ib : ib+4 : ib+4]
		x0, x1 := al[0], al[1]
		s00 += x0 * bl[0]
		s01 += x0 * bl[1]
		s02 += x0 * bl[2]
		s03 += x0 * bl[3]
		s10 += x1 * bl[0]
		s11 += x1 * bl[1]
		s12 += x1 * bl[2]
		s13 += x1 * bl[3]
		ia += lda
		ib += ldb
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// blockNT returns the dot products of the rows a0, a1 (length k) of A with
// the rows j..j+3 of B (B row-major with stride ldb, so op(B) = Bᵀ).
func blockNT(a0, a1, b []float64, j, ldb int) (s [8]float64) {
	k := len(a0)
	a1 = a1[:k]
	b0 := b[j*ldb : j*ldb+k]
	b1 := b[(j+1)*ldb : (j+1)*ldb+k]
	b2 := b[(j+2)*ldb : (j+2)*ldb+k]
	b3 := b[(j+3)*ldb : (j+3)*ldb+k]
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	for l, x0 := range a0 {
		x1 := a1[l]
		y0, y1, y2, y3 := b0[l], b1[l], b2[l], b3[l]
		s00 += x0 * y0
		s01 += x0 * y1
		s02 += x0 * y2
		s03 += x0 * y3
		s10 += x1 * y0
		s11 += x1 * y1
		s12 += x1 * y2
		s13 += x1 * y3
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// fastTinyMax is the multiply-add count up to which a product is one
// plain triple loop: for the smallest shapes call and dispatch overhead,
// not arithmetic, is the cost.
const fastTinyMax = 27

// tinyGemm is C (+)= α op(A) op(B) as a single strided triple loop.
func tinyGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ars, acs := a.Stride, 1
	if tA {
		ars, acs = 1, a.Stride
	}
	brs, bcs := b.Stride, 1
	if tB {
		brs, bcs = 1, b.Stride
	}
	for i := 0; i < m; i++ {
		cr := c.Data[i*c.Stride : i*c.Stride+n]
		for j := range cr {
			var v float64
			ia, ib := i*ars, j*bcs
			for l := 0; l < k; l++ {
				v += a.Data[ia] * b.Data[ib]
				ia += acs
				ib += brs
			}
			if add {
				cr[j] += alpha * v
			} else {
				cr[j] = alpha * v
			}
		}
	}
}

// transposeInto sets dst (k×n) = srcᵀ for src n×k, in 4×4 tiles.
func transposeInto(dst, src blas64.General, n, k int) {
	j := 0
	for ; j+4 <= n; j += 4 {
		s0 := src.Data[j*src.Stride : j*src.Stride+k]
		s1 := src.Data[(j+1)*src.Stride : (j+1)*src.Stride+k]
		s2 := src.Data[(j+2)*src.Stride : (j+2)*src.Stride+k]
		s3 := src.Data[(j+3)*src.Stride : (j+3)*src.Stride+k]
		s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
		for l, v0 := range s0 {
			d := dst.Data[l*dst.Stride+j : l*dst.Stride+j+4 : l*dst.Stride+j+4]
			d[0], d[1], d[2], d[3] = v0, s1[l], s2[l], s3[l]
		}
	}
	for ; j < n; j++ {
		for l, v := range src.Data[j*src.Stride : j*src.Stride+k] {
			dst.Data[l*dst.Stride+j] = v
		}
	}
}

// kernGemm is C (+)= α op(A) B (B not transposed) with the 8×8 AVX-512
// micro-kernel (where available) and the 4×8 and 4×4 AVX2 ones over the
// full blocks, and the Go loops on the edges.
func kernGemm(tA bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ars, acs := a.Stride, 1
	if tA {
		ars, acs = 1, a.Stride
	}
	n8 := n &^ 7
	n4 := n &^ 3 // n8 or n8 + 4
	i := 0
	if haveAVX512 {
		for ; i+8 <= m; i += 8 {
			ad := a.Data[i*ars:]
			for j := 0; j < n8; j += 8 {
				kern8x8(k, alpha, add, ad, ars, acs, b.Data[j:], b.Stride, c.Data[i*c.Stride+j:], c.Stride)
			}
			if n4 > n8 {
				kern4x4(k, alpha, add, ad, ars, acs, b.Data[n8:], b.Stride, c.Data[i*c.Stride+n8:], c.Stride)
				kern4x4(k, alpha, add, a.Data[(i+4)*ars:], ars, acs, b.Data[n8:], b.Stride, c.Data[(i+4)*c.Stride+n8:], c.Stride)
			}
		}
	}
	for ; i+4 <= m; i += 4 {
		ad := a.Data[i*ars:]
		for j := 0; j < n8; j += 8 {
			kern4x8(k, alpha, add, ad, ars, acs, b.Data[j:], b.Stride, c.Data[i*c.Stride+j:], c.Stride)
		}
		if n4 > n8 {
			kern4x4(k, alpha, add, ad, ars, acs, b.Data[n8:], b.Stride, c.Data[i*c.Stride+n8:], c.Stride)
		}
	}
	m4 := i
	if n4 < n { // right edge: rows [0, m4), columns [n4, n)
		bs := blas64.General{Rows: k, Cols: n - n4, Stride: b.Stride, Data: b.Data[n4:]}
		cs := blas64.General{Rows: m4, Cols: n - n4, Stride: c.Stride, Data: c.Data[n4:]}
		loopGemm(tA, false, m4, n-n4, k, alpha, a, bs, add, cs)
	}
	if m4 < m { // bottom edge: rows [m4, m), all columns
		as := blas64.General{Stride: a.Stride, Data: a.Data[m4*ars:]}
		cs := blas64.General{Rows: m - m4, Cols: n, Stride: c.Stride, Data: c.Data[m4*c.Stride:]}
		loopGemm(tA, false, m-m4, n, k, alpha, as, b, add, cs)
	}
}

// loopGemm is gemm by rows (axpy and dot forms), for thin products (a
// single row, fewer than 4 columns, or inner dimension below 4: the rank-1
// updates and row-vector chains of the thin-end order), where register
// blocking does not pay.
func loopGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	if !add {
		for i := 0; i < m; i++ {
			clear(c.Data[i*c.Stride : i*c.Stride+n])
		}
	}
	switch {
	case !tA && !tB: // C[i,:] += α Σ_l A[i,l] B[l,:]
		for i := 0; i < m; i++ {
			cr := c.Data[i*c.Stride : i*c.Stride+n]
			ar := a.Data[i*a.Stride : i*a.Stride+k]
			for l, av := range ar {
				axpy(alpha*av, b.Data[l*b.Stride:l*b.Stride+n], cr)
			}
		}
	case !tA && tB: // C[i,j] += α A[i,:]·B[j,:]
		for i := 0; i < m; i++ {
			cr := c.Data[i*c.Stride : i*c.Stride+n]
			ar := a.Data[i*a.Stride : i*a.Stride+k]
			for jj := range cr {
				cr[jj] += alpha * dot(ar, b.Data[jj*b.Stride:jj*b.Stride+k])
			}
		}
	case tA && !tB: // C[i,:] += α Σ_l A[l,i] B[l,:]
		for l := 0; l < k; l++ {
			ar := a.Data[l*a.Stride : l*a.Stride+m]
			br := b.Data[l*b.Stride : l*b.Stride+n]
			for i, av := range ar {
				axpy(alpha*av, br, c.Data[i*c.Stride:i*c.Stride+n])
			}
		}
	default: // not used by Step; kept for completeness
		for i := 0; i < m; i++ {
			for jj := 0; jj < n; jj++ {
				var sum float64
				for l := 0; l < k; l++ {
					sum += a.Data[l*a.Stride+i] * b.Data[jj*b.Stride+l]
				}
				c.Data[i*c.Stride+jj] += alpha * sum
			}
		}
	}
}

// Output tiles for gonum's Dgemm: at most 64×128 entries is 2 of its 64×64
// blocks, below its threshold (4 blocks) for going parallel, so every call
// stays serial and allocation-free.
const (
	fastTileRows = 64
	fastTileCols = 128
)

var gonumBLAS gonum.Implementation

func gemmBLAS(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	beta := 0.0
	if add {
		beta = 1
	}
	for i0 := 0; i0 < m; i0 += fastTileRows {
		mi := min(fastTileRows, m-i0)
		// Rows i0.. of op(A): A[i0:, :] or the columns i0.. of A.
		var aoff int
		if tA {
			aoff = i0
		} else {
			aoff = i0 * a.Stride
		}
		for j0 := 0; j0 < n; j0 += fastTileCols {
			nj := min(fastTileCols, n-j0)
			var boff int
			if tB {
				boff = j0 * b.Stride
			} else {
				boff = j0
			}
			gonumBLAS.Dgemm(ta, tb, mi, nj, k, alpha,
				a.Data[aoff:], a.Stride, b.Data[boff:], b.Stride,
				beta, c.Data[i0*c.Stride+j0:], c.Stride)
		}
	}
}
