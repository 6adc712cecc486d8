//go:build !amd64 || purego

package model

// Pure-Go stand-ins for the amd64 assembly of fast_amd64.s. In this build
// haveAVX2FMA and haveAVX512 are false, so gemm, axpy and dot never select
// them (they use the Go loops of fast_kernels.go instead); they exist so the
// package builds everywhere, and each computes exactly the loop documented
// for its assembly counterpart, shown here as in gonum's internal/asm/f64.

const (
	haveAVX2FMA = false
	haveAVX512  = false
	asmKernels  = false
)

// axpyAVX2 is
//
//	for i, v := range x {
//		y[i] += alpha * v
//	}
func axpyAVX2(alpha float64, x, y []float64) { axpyGo(alpha, x, y) }

// dotAVX2 is
//
//	var sum float64
//	for i, v := range x {
//		sum += v * y[i]
//	}
//	return sum
func dotAVX2(x, y []float64) float64 { return dotGo(x, y) }

// rowsDotAxpyAVX2 is
//
//	for i := range out {
//		var sum float64
//		for c, v := range x {
//			sum += v * w[i*ldw+c]
//			w[i*ldw+c] += alpha * a[i] * v
//		}
//		out[i] = sum
//	}
func rowsDotAxpyAVX2(alpha float64, a, x, w []float64, ldw int, out []float64) {
	for i := range out {
		out[i] = dotAxpyGo(alpha*a[i], x, w[i*ldw:])
	}
}

// rowGemvAVX2 is
//
//	for j := range y {
//		var s float64
//		for l, v := range x {
//			s += v * b[l*ldb+j]
//		}
//		if add {
//			y[j] += alpha * s
//		} else {
//			y[j] = alpha * s
//		}
//	}
func rowGemvAVX2(alpha float64, x, b []float64, ldb int, y []float64, add bool) {
	for j := range y {
		var s float64
		for l, v := range x {
			s += v * b[l*ldb+j]
		}
		if add {
			y[j] += alpha * s
		} else {
			y[j] = alpha * s
		}
	}
}

// kern4x8 is, for the 4×8 block of C at c (op(A)(i,l) = a[i*ars+l*acs], so
// A or Aᵀ; B row-major with stride ldb; C with stride ldc)
//
//	for i := 0; i < 4; i++ {
//		for j := 0; j < 8; j++ {
//			var s float64
//			for l := 0; l < k; l++ {
//				s += a[i*ars+l*acs] * b[l*ldb+j]
//			}
//			if add {
//				c[i*ldc+j] += alpha * s
//			} else {
//				c[i*ldc+j] = alpha * s
//			}
//		}
//	}
func kern4x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	kernBlock(4, 8, k, alpha, add, a, ars, acs, b, ldb, c, ldc)
}

// kern8x8 is the loop of kern4x8 over an 8×8 block (i < 8, j < 8).
func kern8x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	kernBlock(8, 8, k, alpha, add, a, ars, acs, b, ldb, c, ldc)
}

// kern4x4 is the loop of kern4x8 over a 4×4 block (i < 4, j < 4).
func kern4x4(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	kernBlock(4, 4, k, alpha, add, a, ars, acs, b, ldb, c, ldc)
}

// kernBlock is the loop of kern4x8 over an mb×nb block.
func kernBlock(mb, nb, k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	for i := 0; i < mb; i++ {
		for j := 0; j < nb; j++ {
			var s float64
			for l := 0; l < k; l++ {
				s += a[i*ars+l*acs] * b[l*ldb+j]
			}
			if add {
				c[i*ldc+j] += alpha * s
			} else {
				c[i*ldc+j] = alpha * s
			}
		}
	}
}
