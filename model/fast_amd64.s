//go:build amd64 && !purego

#include "textflag.h"

// func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)
TEXT ·cpuid(SB), NOSPLIT, $0-24
	MOVL eaxArg+0(FP), AX
	MOVL ecxArg+4(FP), CX
	CPUID
	MOVL AX, eax+8(FP)
	MOVL BX, ebx+12(FP)
	MOVL CX, ecx+16(FP)
	MOVL DX, edx+20(FP)
	RET

// func xgetbv() (eax, edx uint32)
TEXT ·xgetbv(SB), NOSPLIT, $0-8
	MOVL $0, CX
	XGETBV
	MOVL AX, eax+0(FP)
	MOVL DX, edx+4(FP)
	RET

// func axpyAVX2(alpha float64, x, y []float64)
// y[i] += alpha*x[i] for i < len(x); the caller guarantees len(y) ≥ len(x).
TEXT ·axpyAVX2(SB), NOSPLIT, $0-56
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         y_base+32(FP), DI
	VBROADCASTSD alpha+0(FP), Y0
	MOVQ         CX, BX
	ANDQ         $-16, BX
	XORQ         AX, AX
	JMP          axpy_check16

axpy_loop16:
	VMOVUPD     (SI)(AX*8), Y1
	VMOVUPD     32(SI)(AX*8), Y2
	VMOVUPD     64(SI)(AX*8), Y3
	VMOVUPD     96(SI)(AX*8), Y4
	VFMADD213PD (DI)(AX*8), Y0, Y1
	VFMADD213PD 32(DI)(AX*8), Y0, Y2
	VFMADD213PD 64(DI)(AX*8), Y0, Y3
	VFMADD213PD 96(DI)(AX*8), Y0, Y4
	VMOVUPD     Y1, (DI)(AX*8)
	VMOVUPD     Y2, 32(DI)(AX*8)
	VMOVUPD     Y3, 64(DI)(AX*8)
	VMOVUPD     Y4, 96(DI)(AX*8)
	ADDQ        $16, AX

axpy_check16:
	CMPQ AX, BX
	JLT  axpy_loop16
	MOVQ CX, BX
	ANDQ $-4, BX
	JMP  axpy_check4

axpy_loop4:
	VMOVUPD     (SI)(AX*8), Y1
	VFMADD213PD (DI)(AX*8), Y0, Y1
	VMOVUPD     Y1, (DI)(AX*8)
	ADDQ        $4, AX

axpy_check4:
	CMPQ AX, BX
	JLT  axpy_loop4
	JMP  axpy_checktail

axpy_tail:
	VMOVSD      (SI)(AX*8), X1
	VFMADD213SD (DI)(AX*8), X0, X1
	VMOVSD      X1, (DI)(AX*8)
	INCQ        AX

axpy_checktail:
	CMPQ AX, CX
	JLT  axpy_tail
	VZEROUPPER
	RET

// func dotAVX2(x, y []float64) float64
// Σ_{i < len(x)} x[i]*y[i]; the caller guarantees len(y) ≥ len(x).
TEXT ·dotAVX2(SB), NOSPLIT, $0-56
	MOVQ   x_base+0(FP), SI
	MOVQ   x_len+8(FP), CX
	MOVQ   y_base+24(FP), DI
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	MOVQ   CX, BX
	ANDQ   $-16, BX
	XORQ   AX, AX
	JMP    dot_check16

dot_loop16:
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VMOVUPD     64(SI)(AX*8), Y6
	VMOVUPD     96(SI)(AX*8), Y7
	VFMADD231PD (DI)(AX*8), Y4, Y0
	VFMADD231PD 32(DI)(AX*8), Y5, Y1
	VFMADD231PD 64(DI)(AX*8), Y6, Y2
	VFMADD231PD 96(DI)(AX*8), Y7, Y3
	ADDQ        $16, AX

dot_check16:
	CMPQ AX, BX
	JLT  dot_loop16
	MOVQ CX, BX
	ANDQ $-4, BX
	JMP  dot_check4

dot_loop4:
	VMOVUPD     (SI)(AX*8), Y4
	VFMADD231PD (DI)(AX*8), Y4, Y0
	ADDQ        $4, AX

dot_check4:
	CMPQ AX, BX
	JLT  dot_loop4
	VADDPD       Y1, Y0, Y0
	VADDPD       Y3, Y2, Y2
	VADDPD       Y2, Y0, Y0
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	JMP          dot_checktail

dot_tail:
	VMOVSD      (SI)(AX*8), X4
	VFMADD231SD (DI)(AX*8), X4, X0
	INCQ        AX

dot_checktail:
	CMPQ    AX, CX
	JLT     dot_tail
	VMOVSD  X0, ret+48(FP)
	VZEROUPPER
	RET

// func kern4x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)
// For i < 4, j < 8: S[i][j] = Σ_{l<k} a[i*ars + l*acs] · b[l*ldb + j], then
// C[i*ldc + j] = α S[i][j] (+ C[i*ldc + j] when add). The caller guarantees
// the index ranges are inside the slices.
TEXT ·kern4x8(SB), NOSPLIT, $0-128
	MOVQ   k+0(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVQ   ars+48(FP), R8
	SHLQ   $3, R8
	MOVQ   acs+56(FP), R9
	SHLQ   $3, R9
	MOVQ   b_base+64(FP), DI
	MOVQ   ldb+88(FP), R10
	SHLQ   $3, R10
	LEAQ   (SI)(R8*1), R11
	LEAQ   (SI)(R8*2), R12
	LEAQ   (R12)(R8*1), R13
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y4, Y4, Y4
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	TESTQ  CX, CX
	JEQ    k48_store

k48_loop:
	VMOVUPD      (DI), Y8
	VMOVUPD      32(DI), Y9
	VBROADCASTSD (SI), Y10
	VBROADCASTSD (R11), Y11
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y9, Y10, Y1
	VFMADD231PD  Y8, Y11, Y2
	VFMADD231PD  Y9, Y11, Y3
	VBROADCASTSD (R12), Y10
	VBROADCASTSD (R13), Y11
	VFMADD231PD  Y8, Y10, Y4
	VFMADD231PD  Y9, Y10, Y5
	VFMADD231PD  Y8, Y11, Y6
	VFMADD231PD  Y9, Y11, Y7
	ADDQ         R9, SI
	ADDQ         R9, R11
	ADDQ         R9, R12
	ADDQ         R9, R13
	ADDQ         R10, DI
	DECQ         CX
	JNE          k48_loop

k48_store:
	MOVQ         c_base+96(FP), DX
	MOVQ         ldc+120(FP), R14
	SHLQ         $3, R14
	VBROADCASTSD alpha+8(FP), Y12
	VMULPD       Y12, Y0, Y0
	VMULPD       Y12, Y1, Y1
	VMULPD       Y12, Y2, Y2
	VMULPD       Y12, Y3, Y3
	VMULPD       Y12, Y4, Y4
	VMULPD       Y12, Y5, Y5
	VMULPD       Y12, Y6, Y6
	VMULPD       Y12, Y7, Y7
	MOVBLZX      add+16(FP), AX
	TESTQ        AX, AX
	JEQ          k48_write
	LEAQ         (DX)(R14*1), R11
	LEAQ         (DX)(R14*2), R12
	LEAQ         (R12)(R14*1), R13
	VADDPD       (DX), Y0, Y0
	VADDPD       32(DX), Y1, Y1
	VADDPD       (R11), Y2, Y2
	VADDPD       32(R11), Y3, Y3
	VADDPD       (R12), Y4, Y4
	VADDPD       32(R12), Y5, Y5
	VADDPD       (R13), Y6, Y6
	VADDPD       32(R13), Y7, Y7

k48_write:
	LEAQ    (DX)(R14*1), R11
	LEAQ    (DX)(R14*2), R12
	LEAQ    (R12)(R14*1), R13
	VMOVUPD Y0, (DX)
	VMOVUPD Y1, 32(DX)
	VMOVUPD Y2, (R11)
	VMOVUPD Y3, 32(R11)
	VMOVUPD Y4, (R12)
	VMOVUPD Y5, 32(R12)
	VMOVUPD Y6, (R13)
	VMOVUPD Y7, 32(R13)
	VZEROUPPER
	RET

// func kern8x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)
// As kern4x8 for an 8×8 block, with AVX-512: one ZMM accumulator per row
// of C and the A entries broadcast straight from memory.
TEXT ·kern8x8(SB), NOSPLIT, $0-128
	MOVQ   k+0(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVQ   ars+48(FP), R8
	SHLQ   $3, R8
	MOVQ   acs+56(FP), R9
	SHLQ   $3, R9
	MOVQ   b_base+64(FP), DI
	MOVQ   ldb+88(FP), R10
	SHLQ   $3, R10
	LEAQ   (SI)(R8*1), R11
	LEAQ   (SI)(R8*2), R12
	LEAQ   (R12)(R8*1), R13
	LEAQ   (SI)(R8*4), R14
	LEAQ   (R14)(R8*1), R15
	LEAQ   (R14)(R8*2), AX
	LEAQ   (AX)(R8*1), BX
	XORQ   DX, DX
	VPXORQ Z0, Z0, Z0
	VPXORQ Z1, Z1, Z1
	VPXORQ Z2, Z2, Z2
	VPXORQ Z3, Z3, Z3
	VPXORQ Z4, Z4, Z4
	VPXORQ Z5, Z5, Z5
	VPXORQ Z6, Z6, Z6
	VPXORQ Z7, Z7, Z7
	TESTQ  CX, CX
	JEQ    k88_store

k88_loop:
	VMOVUPD          (DI), Z8
	VFMADD231PD.BCST (SI)(DX*1), Z8, Z0
	VFMADD231PD.BCST (R11)(DX*1), Z8, Z1
	VFMADD231PD.BCST (R12)(DX*1), Z8, Z2
	VFMADD231PD.BCST (R13)(DX*1), Z8, Z3
	VFMADD231PD.BCST (R14)(DX*1), Z8, Z4
	VFMADD231PD.BCST (R15)(DX*1), Z8, Z5
	VFMADD231PD.BCST (AX)(DX*1), Z8, Z6
	VFMADD231PD.BCST (BX)(DX*1), Z8, Z7
	ADDQ             R9, DX
	ADDQ             R10, DI
	DECQ             CX
	JNE              k88_loop

k88_store:
	MOVQ         c_base+96(FP), DI
	MOVQ         ldc+120(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+8(FP), Z9
	VMULPD       Z9, Z0, Z0
	VMULPD       Z9, Z1, Z1
	VMULPD       Z9, Z2, Z2
	VMULPD       Z9, Z3, Z3
	VMULPD       Z9, Z4, Z4
	VMULPD       Z9, Z5, Z5
	VMULPD       Z9, Z6, Z6
	VMULPD       Z9, Z7, Z7
	LEAQ         (DI)(R8*1), R11
	LEAQ         (DI)(R8*2), R12
	LEAQ         (R12)(R8*1), R13
	LEAQ         (DI)(R8*4), R14
	LEAQ         (R14)(R8*1), R15
	LEAQ         (R14)(R8*2), AX
	LEAQ         (AX)(R8*1), BX
	MOVBLZX      add+16(FP), CX
	TESTQ        CX, CX
	JEQ          k88_write
	VADDPD       (DI), Z0, Z0
	VADDPD       (R11), Z1, Z1
	VADDPD       (R12), Z2, Z2
	VADDPD       (R13), Z3, Z3
	VADDPD       (R14), Z4, Z4
	VADDPD       (R15), Z5, Z5
	VADDPD       (AX), Z6, Z6
	VADDPD       (BX), Z7, Z7

k88_write:
	VMOVUPD Z0, (DI)
	VMOVUPD Z1, (R11)
	VMOVUPD Z2, (R12)
	VMOVUPD Z3, (R13)
	VMOVUPD Z4, (R14)
	VMOVUPD Z5, (R15)
	VMOVUPD Z6, (AX)
	VMOVUPD Z7, (BX)
	VZEROUPPER
	RET

// func kern4x4(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)
// As kern4x8 for a 4×4 block (one YMM accumulator per row of C).
TEXT ·kern4x4(SB), NOSPLIT, $0-128
	MOVQ   k+0(FP), CX
	MOVQ   a_base+24(FP), SI
	MOVQ   ars+48(FP), R8
	SHLQ   $3, R8
	MOVQ   acs+56(FP), R9
	SHLQ   $3, R9
	MOVQ   b_base+64(FP), DI
	MOVQ   ldb+88(FP), R10
	SHLQ   $3, R10
	LEAQ   (SI)(R8*1), R11
	LEAQ   (SI)(R8*2), R12
	LEAQ   (R12)(R8*1), R13
	XORQ   DX, DX
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	TESTQ  CX, CX
	JEQ    k44_store

k44_loop:
	VMOVUPD      (DI), Y8
	VBROADCASTSD (SI)(DX*1), Y10
	VBROADCASTSD (R11)(DX*1), Y11
	VBROADCASTSD (R12)(DX*1), Y12
	VBROADCASTSD (R13)(DX*1), Y13
	VFMADD231PD  Y8, Y10, Y0
	VFMADD231PD  Y8, Y11, Y1
	VFMADD231PD  Y8, Y12, Y2
	VFMADD231PD  Y8, Y13, Y3
	ADDQ         R9, DX
	ADDQ         R10, DI
	DECQ         CX
	JNE          k44_loop

k44_store:
	MOVQ         c_base+96(FP), DI
	MOVQ         ldc+120(FP), R8
	SHLQ         $3, R8
	VBROADCASTSD alpha+8(FP), Y9
	VMULPD       Y9, Y0, Y0
	VMULPD       Y9, Y1, Y1
	VMULPD       Y9, Y2, Y2
	VMULPD       Y9, Y3, Y3
	LEAQ         (DI)(R8*1), R11
	LEAQ         (DI)(R8*2), R12
	LEAQ         (R12)(R8*1), R13
	MOVBLZX      add+16(FP), CX
	TESTQ        CX, CX
	JEQ          k44_write
	VADDPD       (DI), Y0, Y0
	VADDPD       (R11), Y1, Y1
	VADDPD       (R12), Y2, Y2
	VADDPD       (R13), Y3, Y3

k44_write:
	VMOVUPD Y0, (DI)
	VMOVUPD Y1, (R11)
	VMOVUPD Y2, (R12)
	VMOVUPD Y3, (R13)
	VZEROUPPER
	RET

// func rowGemvAVX2(alpha float64, x, b []float64, ldb int, y []float64, add bool)
// For j < len(y): s_j = Σ_{l<len(x)} x[l]·b[l*ldb+j]; y[j] = alpha·s_j
// (+ y[j] when add): a row vector times a row-major matrix, with the
// column block of y held in registers across l (one load of b per FMA).
// The caller guarantees the index ranges are inside the slices.
TEXT ·rowGemvAVX2(SB), NOSPLIT, $0-89
	MOVQ         x_base+8(FP), SI
	MOVQ         x_len+16(FP), CX
	MOVQ         b_base+32(FP), DI
	MOVQ         ldb+56(FP), R8
	SHLQ         $3, R8
	MOVQ         y_base+64(FP), DX
	MOVQ         y_len+72(FP), R9
	VBROADCASTSD alpha+0(FP), Y15
	MOVBLZX      add+88(FP), R10
	XORQ         R11, R11          // column j
	MOVQ         R9, R12
	ANDQ         $-32, R12

rg_check32: // eight accumulators: two FMAs in flight per cycle
	CMPQ   R11, R12
	JGE    rg_done32
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	VXORPD Y5, Y5, Y5
	VXORPD Y6, Y6, Y6
	VXORPD Y7, Y7, Y7
	VXORPD Y8, Y8, Y8
	LEAQ   (DI)(R11*8), BX
	XORQ   AX, AX

rg_l32:
	CMPQ         AX, CX
	JGE          rg_store32
	VBROADCASTSD (SI)(AX*8), Y4
	VFMADD231PD  (BX), Y4, Y0
	VFMADD231PD  32(BX), Y4, Y1
	VFMADD231PD  64(BX), Y4, Y2
	VFMADD231PD  96(BX), Y4, Y3
	VFMADD231PD  128(BX), Y4, Y5
	VFMADD231PD  160(BX), Y4, Y6
	VFMADD231PD  192(BX), Y4, Y7
	VFMADD231PD  224(BX), Y4, Y8
	ADDQ         R8, BX
	INCQ         AX
	JMP          rg_l32

rg_store32:
	LEAQ   (DX)(R11*8), BX
	VMULPD Y15, Y0, Y0
	VMULPD Y15, Y1, Y1
	VMULPD Y15, Y2, Y2
	VMULPD Y15, Y3, Y3
	VMULPD Y15, Y5, Y5
	VMULPD Y15, Y6, Y6
	VMULPD Y15, Y7, Y7
	VMULPD Y15, Y8, Y8
	TESTQ  R10, R10
	JEQ    rg_w32
	VADDPD (BX), Y0, Y0
	VADDPD 32(BX), Y1, Y1
	VADDPD 64(BX), Y2, Y2
	VADDPD 96(BX), Y3, Y3
	VADDPD 128(BX), Y5, Y5
	VADDPD 160(BX), Y6, Y6
	VADDPD 192(BX), Y7, Y7
	VADDPD 224(BX), Y8, Y8

rg_w32:
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)
	VMOVUPD Y2, 64(BX)
	VMOVUPD Y3, 96(BX)
	VMOVUPD Y5, 128(BX)
	VMOVUPD Y6, 160(BX)
	VMOVUPD Y7, 192(BX)
	VMOVUPD Y8, 224(BX)
	ADDQ    $32, R11
	JMP     rg_check32

rg_done32:
	MOVQ R9, R12
	ANDQ $-16, R12

rg_check16:
	CMPQ R11, R12
	JGE  rg_done16
	VXORPD Y0, Y0, Y0
	VXORPD Y1, Y1, Y1
	VXORPD Y2, Y2, Y2
	VXORPD Y3, Y3, Y3
	LEAQ   (DI)(R11*8), BX
	XORQ   AX, AX

rg_l16:
	CMPQ         AX, CX
	JGE          rg_store16
	VBROADCASTSD (SI)(AX*8), Y4
	VFMADD231PD  (BX), Y4, Y0
	VFMADD231PD  32(BX), Y4, Y1
	VFMADD231PD  64(BX), Y4, Y2
	VFMADD231PD  96(BX), Y4, Y3
	ADDQ         R8, BX
	INCQ         AX
	JMP          rg_l16

rg_store16:
	LEAQ   (DX)(R11*8), BX
	VMULPD Y15, Y0, Y0
	VMULPD Y15, Y1, Y1
	VMULPD Y15, Y2, Y2
	VMULPD Y15, Y3, Y3
	TESTQ  R10, R10
	JEQ    rg_w16
	VADDPD (BX), Y0, Y0
	VADDPD 32(BX), Y1, Y1
	VADDPD 64(BX), Y2, Y2
	VADDPD 96(BX), Y3, Y3

rg_w16:
	VMOVUPD Y0, (BX)
	VMOVUPD Y1, 32(BX)
	VMOVUPD Y2, 64(BX)
	VMOVUPD Y3, 96(BX)
	ADDQ    $16, R11
	JMP     rg_check16

rg_done16:
	MOVQ R9, R12
	ANDQ $-4, R12

rg_check4:
	CMPQ   R11, R12
	JGE    rg_done4
	VXORPD Y0, Y0, Y0
	LEAQ   (DI)(R11*8), BX
	XORQ   AX, AX

rg_l4:
	CMPQ         AX, CX
	JGE          rg_store4
	VBROADCASTSD (SI)(AX*8), Y4
	VFMADD231PD  (BX), Y4, Y0
	ADDQ         R8, BX
	INCQ         AX
	JMP          rg_l4

rg_store4:
	LEAQ   (DX)(R11*8), BX
	VMULPD Y15, Y0, Y0
	TESTQ  R10, R10
	JEQ    rg_w4
	VADDPD (BX), Y0, Y0

rg_w4:
	VMOVUPD Y0, (BX)
	ADDQ    $4, R11
	JMP     rg_check4

rg_done4:
rg_check1:
	CMPQ   R11, R9
	JGE    rg_done
	VXORPD X0, X0, X0
	LEAQ   (DI)(R11*8), BX
	XORQ   AX, AX

rg_l1:
	CMPQ        AX, CX
	JGE         rg_store1
	VMOVSD      (SI)(AX*8), X4
	VFMADD231SD (BX), X4, X0
	ADDQ        R8, BX
	INCQ        AX
	JMP         rg_l1

rg_store1:
	LEAQ   (DX)(R11*8), BX
	VMULSD X15, X0, X0
	TESTQ  R10, R10
	JEQ    rg_w1
	VADDSD (BX), X0, X0

rg_w1:
	VMOVSD X0, (BX)
	INCQ   R11
	JMP    rg_check1

rg_done:
	VZEROUPPER
	RET

// func rowsDotAxpyAVX2(alpha float64, a, x, w []float64, ldw int, out []float64)
// For each row i < len(out) of w (stride ldw, len(x) columns):
// out[i] = dotAxpy(alpha·a[i], x, w[i*ldw:]) — the whole d_N = 1 sweep of
// one layer in one call (see dotAxpyAVX2).
TEXT ·rowsDotAxpyAVX2(SB), NOSPLIT, $0-112
	MOVQ   a_base+8(FP), R9
	MOVQ   x_base+32(FP), SI
	MOVQ   x_len+40(FP), CX
	MOVQ   w_base+56(FP), DI
	MOVQ   ldw+80(FP), R8
	SHLQ   $3, R8
	MOVQ   out_base+88(FP), R10
	MOVQ   out_len+96(FP), R11
	VMOVSD alpha+0(FP), X14
	MOVQ   CX, R13
	ANDQ   $-16, R13
	MOVQ   CX, BX
	ANDQ   $-8, BX
	MOVQ   CX, R12
	ANDQ   $-4, R12
	TESTQ  R11, R11
	JEQ    ra_done

ra_row:
	VMULSD       (R9), X14, X13
	VBROADCASTSD X13, Y15
	VXORPD       Y0, Y0, Y0
	VXORPD       Y1, Y1, Y1
	VXORPD       Y6, Y6, Y6
	VXORPD       Y7, Y7, Y7
	XORQ         AX, AX
	JMP          ra_check16

ra_loop16: // four dot chains, so FMA latency does not bound the loop
	VMOVUPD     (DI)(AX*8), Y2
	VMOVUPD     32(DI)(AX*8), Y3
	VMOVUPD     64(DI)(AX*8), Y8
	VMOVUPD     96(DI)(AX*8), Y9
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VMOVUPD     64(SI)(AX*8), Y10
	VMOVUPD     96(SI)(AX*8), Y11
	VFMADD231PD Y2, Y4, Y0
	VFMADD231PD Y3, Y5, Y1
	VFMADD231PD Y8, Y10, Y6
	VFMADD231PD Y9, Y11, Y7
	VFMADD231PD Y4, Y15, Y2
	VFMADD231PD Y5, Y15, Y3
	VFMADD231PD Y10, Y15, Y8
	VFMADD231PD Y11, Y15, Y9
	VMOVUPD     Y2, (DI)(AX*8)
	VMOVUPD     Y3, 32(DI)(AX*8)
	VMOVUPD     Y8, 64(DI)(AX*8)
	VMOVUPD     Y9, 96(DI)(AX*8)
	ADDQ        $16, AX

ra_check16:
	CMPQ   AX, R13
	JLT    ra_loop16
	VADDPD Y6, Y0, Y0
	VADDPD Y7, Y1, Y1
	JMP    ra_check8

ra_loop8:
	VMOVUPD     (DI)(AX*8), Y2
	VMOVUPD     32(DI)(AX*8), Y3
	VMOVUPD     (SI)(AX*8), Y4
	VMOVUPD     32(SI)(AX*8), Y5
	VFMADD231PD Y2, Y4, Y0
	VFMADD231PD Y3, Y5, Y1
	VFMADD231PD Y4, Y15, Y2
	VFMADD231PD Y5, Y15, Y3
	VMOVUPD     Y2, (DI)(AX*8)
	VMOVUPD     Y3, 32(DI)(AX*8)
	ADDQ        $8, AX

ra_check8:
	CMPQ   AX, BX
	JLT    ra_loop8
	VADDPD Y1, Y0, Y0
	JMP    ra_check4

ra_loop4:
	VMOVUPD     (DI)(AX*8), Y2
	VMOVUPD     (SI)(AX*8), Y4
	VFMADD231PD Y2, Y4, Y0
	VFMADD231PD Y4, Y15, Y2
	VMOVUPD     Y2, (DI)(AX*8)
	ADDQ        $4, AX

ra_check4:
	CMPQ         AX, R12
	JLT          ra_loop4
	VEXTRACTF128 $1, Y0, X1
	VADDPD       X1, X0, X0
	VPERMILPD    $1, X0, X1
	VADDSD       X1, X0, X0
	JMP          ra_checktail

ra_tail:
	VMOVSD      (DI)(AX*8), X2
	VMOVSD      (SI)(AX*8), X4
	VFMADD231SD X2, X4, X0
	VFMADD231SD X4, X15, X2
	VMOVSD      X2, (DI)(AX*8)
	INCQ        AX

ra_checktail:
	CMPQ   AX, CX
	JLT    ra_tail
	VMOVSD X0, (R10)
	ADDQ   $8, R9
	ADDQ   $8, R10
	ADDQ   R8, DI
	DECQ   R11
	JNE    ra_row

ra_done:
	VZEROUPPER
	RET
