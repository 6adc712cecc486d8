//go:build amd64 && !purego

package model

// AVX2+FMA kernels of Batch (batch_amd64.s); each computes the loop
// documented on its Go counterpart in batch_kernels.go (lanesGemm8Go,
// lanesErrLoss8Go, lanesAxpy8Go), 8 lanes as two 4-wide vectors, the gemm
// kernels over chunks of 8 lanes. The
// caller guarantees every index is inside the slices.

//go:noescape
func lanesGemm8AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool)

// lanesGemm22AVX2 is lanesGemm8AVX2 for even m and n, register-blocked 2×2.
//
//go:noescape
func lanesGemm22AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool)

//go:noescape
func lanesErrLoss8AVX2(cnt, stride int, p, phi, e, loss []float64)

//go:noescape
func lanesAxpy8AVX2(cnt, stride int, alpha, x, y []float64)
