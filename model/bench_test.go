package model_test

import (
	"fmt"
	"os"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/model"
)

// benchShapes are issue 6's benchmark shapes (d_0..d_N); the name is
// N<depth>_<dims>. bench/numpy_step.py times the same shapes.
var benchShapes = [][]int{
	{1, 1, 1},
	{2, 2, 2, 2},
	{4, 4, 4, 4},
	{8, 8, 8, 8, 8},
	{4, 4, 4, 4, 4, 4, 4},
	{16, 16, 16, 16},
	{128, 32, 32, 1},
	{128, 32, 32, 32, 32, 32, 32, 32, 1},
	{64, 64, 64, 64, 64},
	{256, 256, 256, 256, 256},
}

// stepMadsOf is the multiply-add count of one step in the order Fast and
// Batch use (model.FastPlan): the arithmetic the hardware limit of
// bench/RESULTS.md is computed from (one case, one step).
func stepMadsOf(dims []int) int {
	_, mo, mi, err := model.FastPlan(dims)
	if err != nil {
		return 0
	}
	return min(mo, mi)
}

func shapeName(dims []int) string {
	s := make([]string, len(dims))
	for i, d := range dims {
		s[i] = fmt.Sprint(d)
	}
	return fmt.Sprintf("N%d_%s", len(dims)-1, strings.Join(s, "x"))
}

// BenchmarkStep times one GD step of Reference and Fast on each shape, in
// the same run (compare with `benchstat -col /impl`). Besides wall-clock
// ns/op it reports cpu-ns/op, the thread's CPU time per step (Linux), which
// is less disturbed by other jobs on a shared machine. The step size is
// small enough that b.N steps keep the weights O(1). Set
// DLNVERIFY_BENCH_SKIP_REF_ABOVE=<d> to skip Reference on shapes whose
// largest width exceeds d.
func BenchmarkStep(b *testing.B) {
	skipAbove := 1 << 30
	if v := os.Getenv("DLNVERIFY_BENCH_SKIP_REF_ABOVE"); v != "" {
		fmt.Sscan(v, &skipAbove)
	}
	for _, dims := range benchShapes {
		dmax := 0
		for _, d := range dims {
			dmax = max(dmax, d)
		}
		for _, impl := range []model.Stepper{model.Reference{}, model.NewFast()} {
			b.Run(fmt.Sprintf("shape=%s/impl=%s", shapeName(dims), impl.Name()), func(b *testing.B) {
				if impl.Name() == "reference" && dmax > skipAbove {
					b.Skipf("reference skipped above width %d", skipAbove)
				}
				n, phi, err := randomProblem(dims, 1)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := impl.Step(n, phi, 1e-9); err != nil { // warm the workspace
					b.Fatal(err)
				}
				defer lockThread()()
				b.ReportAllocs()
				b.ResetTimer()
				cpu0 := threadCPU()
				for b.Loop() {
					if _, err := impl.Step(n, phi, 1e-9); err != nil {
						b.Fatal(err)
					}
				}
				if cpu1 := threadCPU(); cpu0 >= 0 && cpu1 >= 0 {
					b.ReportMetric(float64(cpu1-cpu0)/float64(b.N), "cpu-ns/op")
				}
				b.ReportMetric(float64(stepMadsOf(dims)), "mads/op")
			})
		}
	}
}
