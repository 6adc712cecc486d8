//go:build amd64 && !purego

#include "textflag.h"

// func lanesGemm8AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool)
// For each chunk h < chunks (lanes 8h..8h+7, i.e. every base advanced by 64
// bytes), i < m, j < n and the 8 lanes q: s = Σ_{l<k} a[i*ars+l*acs+q]·b[l*brs+j*bcs+q],
// c[i*crs+j*ccs+q] = alpha[q]·s (+ c[…] when add). Strides in elements.
// Lanes 0..3 in Y0, 4..7 in Y1; the loop over l carries two FMA chains and
// out-of-order execution overlaps the chains of successive (i, j).
TEXT ·lanesGemm8AVX2(SB), NOSPLIT, $8-177
	MOVQ acs+64(FP), R8
	SHLQ $3, R8
	MOVQ brs+96(FP), R9
	SHLQ $3, R9
	MOVQ bcs+104(FP), R10
	SHLQ $3, R10
	MOVQ ccs+144(FP), R11
	SHLQ $3, R11
	MOVQ ars+56(FP), R12
	SHLQ $3, R12
	MOVQ crs+136(FP), R13
	SHLQ $3, R13

lg_chunk:
	MOVQ    chunks+24(FP), AX
	TESTQ   AX, AX
	JEQ     lg_done
	MOVQ    alpha_base+152(FP), AX
	VMOVUPD (AX), Y14
	VMOVUPD 32(AX), Y15
	MOVQ    a_base+32(FP), SI
	MOVQ    c_base+112(FP), AX
	MOVQ    AX, crow-8(SP)
	MOVQ    m+0(FP), R15
	TESTQ   R15, R15
	JEQ     lg_cnext

lg_iloop:
	MOVQ  b_base+72(FP), DI
	MOVQ  crow-8(SP), DX
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
	MOVBLZX     add+176(FP), CX
	TESTQ       CX, CX
	JEQ         lg_set
	VFMADD213PD (DX), Y14, Y0
	VFMADD213PD 32(DX), Y15, Y1
	JMP         lg_write

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
	MOVQ crow-8(SP), DX
	ADDQ R13, DX
	MOVQ DX, crow-8(SP)
	DECQ R15
	JNE  lg_iloop

lg_cnext:
	ADDQ $64, a_base+32(FP)
	ADDQ $64, b_base+72(FP)
	ADDQ $64, c_base+112(FP)
	ADDQ $64, alpha_base+152(FP)
	DECQ chunks+24(FP)
	JMP  lg_chunk

lg_done:
	VZEROUPPER
	RET

// func lanesGemm22AVX2(m, n, k, chunks int, a []float64, ars, acs int, b []float64, brs, bcs int, c []float64, crs, ccs int, alpha []float64, add bool)
// lanesGemm8AVX2's loop for even m and n, register-blocked 2×2 in (i, j):
// per l it loads op(A)(i..i+1, l) and op(B)(l, j..j+1) for the 8 lanes once
// (8 vectors) for 8 FMAs into the 8 accumulators Y0..Y7
// (C(i,j), C(i,j+1), C(i+1,j), C(i+1,j+1), two vectors each).
TEXT ·lanesGemm22AVX2(SB), NOSPLIT, $8-177
	MOVQ acs+64(FP), R8
	SHLQ $3, R8
	MOVQ brs+96(FP), R9
	SHLQ $3, R9
	MOVQ bcs+104(FP), R10
	SHLQ $3, R10
	MOVQ ccs+144(FP), R11
	SHLQ $3, R11
	MOVQ ars+56(FP), R12
	SHLQ $3, R12
	MOVQ crs+136(FP), R13
	SHLQ $3, R13

lb_chunk:
	MOVQ  chunks+24(FP), AX
	TESTQ AX, AX
	JEQ   lb_done
	MOVQ  a_base+32(FP), SI
	MOVQ  c_base+112(FP), AX
	MOVQ  AX, crow-8(SP)
	MOVQ  m+0(FP), R15
	SHRQ  $1, R15
	TESTQ R15, R15
	JEQ   lb_cnext

lb_iloop:
	MOVQ  b_base+72(FP), DI
	MOVQ  crow-8(SP), DX
	MOVQ  n+8(FP), R14
	SHRQ  $1, R14
	TESTQ R14, R14
	JEQ   lb_inext

lb_jloop:
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	MOVQ   SI, AX
	MOVQ   DI, BX
	MOVQ   k+16(FP), CX
	TESTQ  CX, CX
	JEQ    lb_store

lb_lloop:
	VMOVUPD     (AX), Y8
	VMOVUPD     32(AX), Y9
	VMOVUPD     (AX)(R12*1), Y10
	VMOVUPD     32(AX)(R12*1), Y11
	VMOVUPD     (BX), Y12
	VMOVUPD     32(BX), Y13
	VMOVUPD     (BX)(R10*1), Y14
	VMOVUPD     32(BX)(R10*1), Y15
	VFMADD231PD Y12, Y8, Y0
	VFMADD231PD Y13, Y9, Y1
	VFMADD231PD Y14, Y8, Y2
	VFMADD231PD Y15, Y9, Y3
	VFMADD231PD Y12, Y10, Y4
	VFMADD231PD Y13, Y11, Y5
	VFMADD231PD Y14, Y10, Y6
	VFMADD231PD Y15, Y11, Y7
	ADDQ        R8, AX
	ADDQ        R9, BX
	DECQ        CX
	JNE         lb_lloop

lb_store:
	MOVQ    alpha_base+152(FP), AX
	VMOVUPD (AX), Y8
	VMOVUPD 32(AX), Y9
	LEAQ    (DX)(R13*1), BX         // C(i+1, j)
	MOVBLZX add+176(FP), CX
	TESTQ   CX, CX
	JEQ     lb_set
	VFMADD213PD (DX), Y8, Y0
	VFMADD213PD 32(DX), Y9, Y1
	VFMADD213PD (DX)(R11*1), Y8, Y2
	VFMADD213PD 32(DX)(R11*1), Y9, Y3
	VFMADD213PD (BX), Y8, Y4
	VFMADD213PD 32(BX), Y9, Y5
	VFMADD213PD (BX)(R11*1), Y8, Y6
	VFMADD213PD 32(BX)(R11*1), Y9, Y7
	JMP         lb_write

lb_set:
	VMULPD Y8, Y0, Y0
	VMULPD Y9, Y1, Y1
	VMULPD Y8, Y2, Y2
	VMULPD Y9, Y3, Y3
	VMULPD Y8, Y4, Y4
	VMULPD Y9, Y5, Y5
	VMULPD Y8, Y6, Y6
	VMULPD Y9, Y7, Y7

lb_write:
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, (DX)(R11*1)
	VMOVUPD Y3, 32(DX)(R11*1)
	VMOVUPD Y4, (BX)
	VMOVUPD Y5, 32(BX)
	VMOVUPD Y6, (BX)(R11*1)
	VMOVUPD Y7, 32(BX)(R11*1)
	LEAQ    (DI)(R10*2), DI
	LEAQ    (DX)(R11*2), DX
	DECQ    R14
	JNE     lb_jloop

lb_inext:
	LEAQ (SI)(R12*2), SI
	MOVQ crow-8(SP), DX
	LEAQ (DX)(R13*2), DX
	MOVQ DX, crow-8(SP)
	DECQ R15
	JNE  lb_iloop

lb_cnext:
	ADDQ $64, a_base+32(FP)
	ADDQ $64, b_base+72(FP)
	ADDQ $64, c_base+112(FP)
	ADDQ $64, alpha_base+152(FP)
	DECQ chunks+24(FP)
	JMP  lb_chunk

lb_done:
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
