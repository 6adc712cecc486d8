//go:build amd64 && !purego

package model

// AVX2+FMA kernels (fast_amd64.s) for the innermost loops of Fast, used
// when the CPU and OS support them; the pure-Go loops are the fallback
// (and the only path under the purego build tag or on other GOARCHes).

// asmKernels reports that the kernels below are assembly (false in the
// purego build, where they are the Go loops of fast_generic.go).
const asmKernels = true

//go:noescape
func axpyAVX2(alpha float64, x, y []float64)

//go:noescape
func dotAVX2(x, y []float64) float64

// rowsDotAxpyAVX2 sets out[i] = Σ_c w[i*ldw+c] x[c] (old w) and then
// w[i*ldw+c] += α a[i] x[c], for every row i < len(out) (fast_amd64.s).
//
//go:noescape
func rowsDotAxpyAVX2(alpha float64, a, x, w []float64, ldw int, out []float64)

// rowGemvAVX2 sets y = α xB (+ y with add) for a row vector x and B
// row-major with stride ldb (fast_amd64.s).
//
//go:noescape
func rowGemvAVX2(alpha float64, x, b []float64, ldb int, y []float64, add bool)

func cpuid(eaxArg, ecxArg uint32) (eax, ebx, ecx, edx uint32)

func xgetbv() (eax, edx uint32)

// haveAVX2FMA reports AVX2 and FMA3 support with YMM state enabled by the
// OS (CPUID.1:ECX.{FMA,OSXSAVE,AVX}, XCR0 bits 1–2, CPUID.7.0:EBX.AVX2).
var haveAVX2FMA = func() bool {
	maxID, _, _, _ := cpuid(0, 0)
	if maxID < 7 {
		return false
	}
	_, _, ecx1, _ := cpuid(1, 0)
	const fma, osxsave, avx = 1 << 12, 1 << 27, 1 << 28
	if ecx1&(fma|osxsave|avx) != fma|osxsave|avx {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&6 != 6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<5) != 0
}()

// kern4x8 is the register-blocked AVX2 micro-kernel: a 4×8 block of
// C (+)= α op(A) B with op(A)(i,l) = a[i*ars + l*acs] (so both A and Aᵀ)
// and B row-major (b[l*ldb + j]). See fast_amd64.s.
//
//go:noescape
func kern4x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)

// kern8x8 is kern4x8 for an 8×8 block with AVX-512 (fast_amd64.s).
//
//go:noescape
func kern8x8(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)

// haveAVX512 reports AVX-512F with ZMM state enabled by the OS (XCR0 bits
// 5–7 as well as 1–2; CPUID.7.0:EBX.AVX512F).
var haveAVX512 = func() bool {
	if !haveAVX2FMA {
		return false
	}
	if xcr0, _ := xgetbv(); xcr0&0xe6 != 0xe6 {
		return false
	}
	_, ebx7, _, _ := cpuid(7, 0)
	return ebx7&(1<<16) != 0
}()

// kern4x4 is kern4x8 for a 4×4 block (AVX2, fast_amd64.s).
//
//go:noescape
func kern4x4(k int, alpha float64, add bool, a []float64, ars, acs int, b []float64, ldb int, c []float64, ldc int)
