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
