//go:build !amd64 || purego

package model

// Without the amd64 assembly (haveAVX2FMA is false) the Batch kernels are
// the Go loops of batch_kernels.go; these stand-ins only let the package
// build and compute exactly those loops.

func lanesGemm8AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool) {
	lanesGemm8Go(m, n, k, chunks, a, ars, acs, b, brs, bcs, c, crs, ccs, alpha, add)
}

func lanesGemm22AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool) {
	lanesGemm8Go(m, n, k, chunks, a, ars, acs, b, brs, bcs, c, crs, ccs, alpha, add)
}

func lanesErrLoss8AVX2(cnt, stride int, p, phi, e, loss []float64) {
	lanesErrLoss8Go(cnt, stride, p, phi, e, loss)
}

func lanesAxpy8AVX2(cnt, stride int, alpha, x, y []float64) { lanesAxpy8Go(cnt, stride, alpha, x, y) }
