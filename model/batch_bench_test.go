package model_test

import (
	"fmt"
	"os"
	"testing"

	"github.com/dlnverify/dlnverify/model"
)

// batchBenchShapes are the shapes of issue 12's batched goal.
var batchBenchShapes = [][]int{
	{2, 2, 2, 2},
	{4, 4, 4, 4},
	{8, 8, 8, 8, 8},
	{4, 4, 4, 4, 4, 4, 4},
	{16, 16, 16, 16},
}

// BenchmarkBatchStep times one model.Batch step of model.BatchLanesFor(dims)
// lanes (DLNVERIFY_BENCH_LANES overrides; every lane active, distinct
// problems) and reports, besides ns/op per
// batch step, case-ns/op: ns per case per step, the figure to compare with
// BenchmarkStep's Fast ns/op (bench/ratios.py does).
func BenchmarkBatchStep(b *testing.B) {
	for _, dims := range batchBenchShapes {
		b.Run(fmt.Sprintf("shape=%s/impl=batch", shapeName(dims)), func(b *testing.B) {
			lanes := model.BatchLanesFor(dims)
			if v := os.Getenv("DLNVERIFY_BENCH_LANES"); v != "" {
				fmt.Sscan(v, &lanes)
			}
			bt, err := model.NewBatch(dims, lanes)
			if err != nil {
				b.Fatal(err)
			}
			for q := 0; q < lanes; q++ {
				n, phi, err := randomProblem(dims, uint64(1+q))
				if err != nil {
					b.Fatal(err)
				}
				if err := bt.Set(q, n, phi, 1e-9); err != nil {
					b.Fatal(err)
				}
			}
			loss := make([]float64, lanes)
			defer lockThread()()
			b.ReportAllocs()
			b.ResetTimer()
			cpu0 := threadCPU()
			for b.Loop() {
				if err := bt.Step(loss); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(b.Elapsed().Nanoseconds())/float64(b.N)/float64(lanes), "case-ns/op")
			if cpu1 := threadCPU(); cpu0 >= 0 && cpu1 >= 0 {
				b.ReportMetric(float64(cpu1-cpu0)/float64(b.N)/float64(lanes), "case-cpu-ns/op")
			}
			b.ReportMetric(float64(stepMadsOf(dims)), "mads/op")
			b.ReportMetric(float64(lanes), "lanes")
		})
	}
}
