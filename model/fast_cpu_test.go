//go:build linux && amd64 && !purego

package model

import (
	"os"
	"strings"
	"testing"
)

// TestFastCPUFeatureDetection checks the CPUID/XCR0 detection of
// fast_amd64.go against an independent source, the flags the Linux kernel
// reports in /proc/cpuinfo (which it clears for features whose register
// state the OS does not enable): AVX2+FMA kernels exactly when avx, avx2,
// fma and xsave are listed, the AVX-512 kernel exactly when avx512f is
// listed as well. A wrong detection either runs instructions the CPU or OS
// lacks (a crash elsewhere) or silently drops the vector kernels.
func TestFastCPUFeatureDetection(t *testing.T) {
	raw, err := os.ReadFile("/proc/cpuinfo")
	if err != nil {
		t.Skipf("no /proc/cpuinfo: %v", err)
	}
	var flags map[string]bool
	for _, line := range strings.Split(string(raw), "\n") {
		if k, v, ok := strings.Cut(line, ":"); ok && strings.TrimSpace(k) == "flags" {
			flags = map[string]bool{}
			for _, f := range strings.Fields(v) {
				flags[f] = true
			}
			break
		}
	}
	if flags == nil {
		t.Skip("no flags line in /proc/cpuinfo")
	}
	want2 := flags["avx"] && flags["avx2"] && flags["fma"] && flags["xsave"]
	want512 := want2 && flags["avx512f"]
	t.Logf("/proc/cpuinfo: AVX2+FMA %v, AVX-512F %v; detected: %v, %v", want2, want512, haveAVX2FMA, haveAVX512)
	if haveAVX2FMA != want2 {
		t.Errorf("haveAVX2FMA = %v, but /proc/cpuinfo says %v", haveAVX2FMA, want2)
	}
	if haveAVX512 != want512 {
		t.Errorf("haveAVX512 = %v, but /proc/cpuinfo says %v", haveAVX512, want512)
	}
}
