//go:build !amd64 || purego

package model

// Without the amd64 assembly the kernels below are never called
// (haveAVX2FMA is false); they exist so the package builds everywhere.

const (
	haveAVX2FMA = false
	haveAVX512  = false
)

func axpyAVX2(alpha float64, x, y []float64) { axpyGo(alpha, x, y) }

func dotAVX2(x, y []float64) float64 { return dotGo(x, y) }

func kern4x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	for i := 0; i < 4; i++ {
		for j := 0; j < 8; j++ {
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

func kern8x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	kern4x8(k, alpha, add, a, ars, acs, b, ldb, c, ldc)
	kern4x8(k, alpha, add, a[4*ars:], ars, acs, b, ldb, c[4*ldc:], ldc)
}

func kern4x4(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int) {
	for i := 0; i < 4; i++ {
		for j := 0; j < 4; j++ {
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
