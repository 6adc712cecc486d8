//go:build amd64 && !purego

#include "textflag.h"

// func lanesGemm8AVX2(m, n, k int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool)
// For i < m, j < n and the 8 lanes q: s = Σ_{l<k} a[i*ars+l*acs+q]·b[l*brs+j*bcs+q],
// c[i*crs+j*ccs+q] = alpha[q]·s (+ c[…] when add). Strides in elements.
// Lanes 0..3 in Y0, 4..7 in Y1; the loop over l carries two FMA chains and
// out-of-order execution overlaps the chains of successive (i, j).
TEXT ·lanesGemm8AVX2(SB), NOSPLIT, $0-169
	MOVQ    acs+56(FP), R8
	SHLQ    $3, R8
	MOVQ    brs+88(FP), R9
	SHLQ    $3, R9
	MOVQ    bcs+96(FP), R10
	SHLQ    $3, R10
	MOVQ    ccs+136(FP), R11
	SHLQ    $3, R11
	MOVQ    ars+48(FP), R12
	SHLQ    $3, R12
	MOVQ    crs+128(FP), R13
	SHLQ    $3, R13
	MOVQ    alpha_base+144(FP), AX
	VMOVUPD (AX), Y14
	VMOVUPD 32(AX), Y15
	MOVQ    a_base+24(FP), SI
	MOVQ    m+0(FP), R15
	TESTQ   R15, R15
	JEQ     lg_done

lg_iloop:
	MOVQ  b_base+64(FP), DI
	MOVQ  c_base+104(FP), DX
	MOVQ  n+8(FP), R14
	TESTQ R14, R14
	JEQ   lg_inext

lg_jloop:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	MOVQ   SI, AX
	MOVQ   DI, BX
	MOVQ   k+16(FP), CX
	TESTQ  CX, CX
	JEQ    lg_store

lg_lloop:
	VMOVUPD     (AX), Y2
	VMOVUPD     32(AX), Y3
	VFMADD231PD (BX), Y2, Y0
	VFMADD231PD 32(BX), Y3, Y1
	ADDQ        R8, AX
	ADDQ        R9, BX
	DECQ        CX
	JNE         lg_lloop

lg_store:
	MOVBLZX add+168(FP), CX
	TESTQ   CX, CX
	JEQ     lg_set
	VFMADD213PD (DX), Y14, Y0
	VFMADD213PD 32(DX), Y15, Y1
	JMP     lg_write

lg_set:
	VMULPD Y14, Y0, Y0
	VMULPD Y15, Y1, Y1

lg_write:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	ADDQ    R10, DI
	ADDQ    R11, DX
	DECQ    R14
	JNE     lg_jloop

lg_inext:
	ADDQ R12, SI
	MOVQ c_base+104(FP), DX
	ADDQ R13, DX
	MOVQ DX, c_base+104(FP)
	DECQ R15
	JNE  lg_iloop

lg_done:
	VZEROUPPER
	RET

// func lanesErrLoss8AVX2(cnt, stride int, p, phi, e, loss []float64)
// For i < cnt and the 8 lanes q: v = p[i*stride+q] − phi[i*stride+q],
// e[i*stride+q] = v, s[q] += v²; then loss[q] = s[q]/2.
TEXT ·lanesErrLoss8AVX2(SB), NOSPLIT, $0-112
	MOVQ   cnt+0(FP), CX
	MOVQ   stride+8(FP), R8
	SHLQ   $3, R8
	MOVQ   p_base+16(FP), SI
	MOVQ   phi_base+40(FP), DI
	MOVQ   e_base+64(FP), DX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	TESTQ  CX, CX
	JEQ    le_done

le_loop:
	VMOVUPD     (SI), Y2
	VMOVUPD     32(SI), Y3
	VSUBPD      (DI), Y2, Y2
	VSUBPD      32(DI), Y3, Y3
	VMOVUPD     Y2, (DX)
	VMOVUPD     Y3, 32(DX)
	VFMADD231PD Y2, Y2, Y0
	VFMADD231PD Y3, Y3, Y1
	ADDQ        R8, SI
	ADDQ        R8, DI
	ADDQ        R8, DX
	DECQ        CX
	JNE         le_loop

le_done:
	MOVQ         $0x3fe0000000000000, AX // 0.5
	MOVQ         AX, X4
	VBROADCASTSD X4, Y4
	VMULPD       Y4, Y0, Y0
	VMULPD       Y4, Y1, Y1
	MOVQ         loss_base+88(FP), AX
	VMOVUPD      Y0, (AX)
	VMOVUPD      Y1, 32(AX)
	VZEROUPPER
	RET

// func lanesAxpy8AVX2(cnt, stride int, alpha, x, y []float64)
// For i < cnt and the 8 lanes q: y[i*stride+q] += alpha[q]·x[i*stride+q].
TEXT ·lanesAxpy8AVX2(SB), NOSPLIT, $0-88
	MOVQ    cnt+0(FP), CX
	MOVQ    stride+8(FP), R8
	SHLQ    $3, R8
	MOVQ    alpha_base+16(FP), AX
	VMOVUPD (AX), Y14
	VMOVUPD 32(AX), Y15
	MOVQ    x_base+40(FP), SI
	MOVQ    y_base+64(FP), DI
	TESTQ   CX, CX
	JEQ     la_done

la_loop:
	VMOVUPD     (SI), Y2
	VMOVUPD     32(SI), Y3
	VFMADD213PD (DI), Y14, Y2
	VFMADD213PD 32(DI), Y15, Y3
	VMOVUPD     Y2, (DI)
	VMOVUPD     Y3, 32(DI)
	ADDQ        R8, SI
	ADDQ        R8, DI
	DECQ        CX
	JNE         la_loop

la_done:
	VZEROUPPER
	RET
