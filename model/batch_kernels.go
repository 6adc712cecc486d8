package model

// Kernels of Batch. Every operand is structure-of-arrays: entry e of a
// matrix holds its lanes at x[e·stride + q], and one call advances the 8
// lanes q = 0..7 of the slices it is given (the caller offsets them to the
// chunk). With AVX2+FMA (haveAVX2FMA) the lanesXxx functions run the
// assembly of batch_amd64.s, otherwise the Go loops below, which are the
// specification of what the assembly computes.

// lanesGemm is C = α ⊙ op(A) op(B) (C += … with add) for chunks·8 lanes:
// see lanesGemm8Go for the loop. With the assembly, the even part of C goes
// to the 2×2-blocked kernel and an odd last row or column to the plain one.
func lanesGemm(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool) {
	if !haveAVX2FMA {
		lanesGemm8Go(m, n, k, chunks, a, ars, acs, b, brs, bcs, c, crs, ccs, alpha, add)
		return
	}
	m2, n2 := m&^1, n&^1
	if m2 > 0 && n2 > 0 {
		lanesGemm22AVX2(m2, n2, k, chunks, a, ars, acs, b, brs, bcs, c, crs, ccs, alpha, add)
	}
	if n2 < n { // last column, all rows
		lanesGemm8AVX2(m, 1, k, chunks, a, ars, acs, b[n2*bcs:], brs, bcs, c[n2*ccs:], crs, ccs, alpha, add)
	}
	if m2 < m && n2 > 0 { // last row, the even columns
		lanesGemm8AVX2(1, n2, k, chunks, a[m2*ars:], ars, acs, b, brs, bcs, c[m2*crs:], crs, ccs, alpha, add)
	}
}

// lanesErrLoss8 sets E = P − Φ and loss = ½‖E‖_F² per lane: see
// lanesErrLoss8Go.
func lanesErrLoss8(cnt, stride int, p, phi, e, loss []float64) {
	if haveAVX2FMA {
		lanesErrLoss8AVX2(cnt, stride, p, phi, e, loss)
		return
	}
	lanesErrLoss8Go(cnt, stride, p, phi, e, loss)
}

// lanesAxpy8 is y += α ⊙ x per lane: see lanesAxpy8Go.
func lanesAxpy8(cnt, stride int, alpha, x, y []float64) {
	if haveAVX2FMA {
		lanesAxpy8AVX2(cnt, stride, alpha, x, y)
		return
	}
	lanesAxpy8Go(cnt, stride, alpha, x, y)
}

// lanesGemm8Go is (strides in float64 elements, already multiplied by the
// lane stride; op(A)(i,l) at a[i*ars+l*acs], op(B)(l,j) at b[l*brs+j*bcs],
// C(i,j) at c[i*crs+j*ccs]; each chunk h is the same with every slice, α
// included, advanced by 8h)
//
//	for i := 0; i < m; i++ {
//		for j := 0; j < n; j++ {
//			for q := 0; q < 8; q++ {
//				var s float64
//				for l := 0; l < k; l++ {
//					s += a[i*ars+l*acs+q] * b[l*brs+j*bcs+q]
//				}
//				if add {
//					c[i*crs+j*ccs+q] += alpha[q] * s
//				} else {
//					c[i*crs+j*ccs+q] = alpha[q] * s
//				}
//			}
//		}
//	}
//
// (the assembly fuses the multiply-adds, and α·s + C, with FMA).
func lanesGemm8Go(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool) {
	for h := 0; h < chunks; h++ {
		o := 8 * h
		lanesGemm8Chunk(m, n, k, a[o:], ars, acs, b[o:], brs, bcs, c[o:], crs, ccs, alpha[o:], add)
	}
}

func lanesGemm8Chunk(m, n, k int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool) {
	alpha = alpha[:8]
	for i := 0; i < m; i++ {
		for j := 0; j < n; j++ {
			var s [8]float64
			ia, ib := i*ars, j*bcs
			for l := 0; l < k; l++ {
				av := a[ia : ia+8 : ia+8]
				bv := b[ib : ib+8 : ib+8]
				for q := range s {
					s[q] += av[q] * bv[q]
				}
				ia += acs
				ib += brs
			}
			ic := i*crs + j*ccs
			cv := c[ic : ic+8 : ic+8]
			for q := range s {
				if add {
					cv[q] += alpha[q] * s[q]
				} else {
					cv[q] = alpha[q] * s[q]
				}
			}
		}
	}
}

// lanesErrLoss8Go is
//
//	var s [8]float64
//	for i := 0; i < cnt; i++ {
//		for q := 0; q < 8; q++ {
//			v := p[i*stride+q] - phi[i*stride+q]
//			e[i*stride+q] = v
//			s[q] += v * v
//		}
//	}
//	for q := 0; q < 8; q++ {
//		loss[q] = 0.5 * s[q]
//	}
func lanesErrLoss8Go(cnt, stride int, p, phi, e, loss []float64) {
	var s [8]float64
	for i := 0; i < cnt; i++ {
		o := i * stride
		pv, fv, ev := p[o:o+8:o+8], phi[o:o+8:o+8], e[o:o+8:o+8]
		for q := range s {
			v := pv[q] - fv[q]
			ev[q] = v
			s[q] += v * v
		}
	}
	loss = loss[:8]
	for q := range s {
		loss[q] = 0.5 * s[q]
	}
}

// lanesAxpy8Go is
//
//	for i := 0; i < cnt; i++ {
//		for q := 0; q < 8; q++ {
//			y[i*stride+q] += alpha[q] * x[i*stride+q]
//		}
//	}
func lanesAxpy8Go(cnt, stride int, alpha, x, y []float64) {
	alpha = alpha[:8]
	for i := 0; i < cnt; i++ {
		o := i * stride
		xv, yv := x[o:o+8:o+8], y[o:o+8:o+8]
		for q := range alpha {
			yv[q] += alpha[q] * xv[q]
		}
	}
}
