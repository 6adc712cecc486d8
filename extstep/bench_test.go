//go:build unix

package extstep_test

import (
	"bytes"
	"fmt"
	"math/rand/v2"
	"os/exec"
	"syscall"
	"testing"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/extstep"
	"github.com/dlnverify/dlnverify/model"
)

// benchNet is N = 3, 4×4×4×4, near the identity, with Φ near the identity.
func benchNet() (*model.Net, *mat.Dense) {
	r := rand.New(rand.NewPCG(1, 2))
	layers := make([]mat.Matrix, 3)
	for j := range layers {
		m := mat.NewDense(4, 4, nil)
		for i := 0; i < 4; i++ {
			for k := 0; k < 4; k++ {
				v := 0.05 * r.NormFloat64()
				if i == k {
					v++
				}
				m.Set(i, k, v)
			}
		}
		layers[j] = m
	}
	n, _ := model.NewNet(layers)
	phi := mat.NewDense(4, 4, nil)
	for i := 0; i < 4; i++ {
		phi.Set(i, i, 1.2)
	}
	return n, phi
}

func cpuSelf() float64 {
	var ru syscall.Rusage
	_ = syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return float64(ru.Utime.Nano()+ru.Stime.Nano()) / 1e9
}

// BenchmarkNumpyStep measures examples/numpy_stepper.py at N3 4×4×4×4 per
// GD step through the protocol. Batch1 sends one request per step (the
// whole round trip every step); Spec256 is what Step does on a trajectory
// (speculative batches of up to 256 steps). Besides the wall time (ns/op,
// which a loaded machine inflates), it reports CPU time per step, which
// separates the parts: compute-µs is the peer's CPU inside its step
// function, peer-proto-µs the rest of the peer's CPU in the session
// (framing, numpy conversions, speculated steps beyond the first), and
// client-µs the Go side (framing, comparisons, copies).
func BenchmarkNumpyStep(b *testing.B) {
	py := ""
	for _, c := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(c, "-c", "import numpy").Run() == nil {
			py = c
			break
		}
	}
	if py == "" {
		b.Skip("no python3 with numpy (apt-get install python3-numpy)")
	}
	for _, c := range []struct {
		name  string
		batch int
	}{{"Batch1", 1}, {"Spec256", 256}} {
		b.Run(c.name, func(b *testing.B) {
			var stderr bytes.Buffer
			p, err := extstep.Start("exec "+py+" ../examples/numpy_stepper.py --stats", extstep.Options{MaxBatch: c.batch, Stderr: &stderr})
			if err != nil {
				b.Fatal(err)
			}
			n, phi := benchNet()
			b.ResetTimer()
			cpu0 := cpuSelf()
			for i := 0; i < b.N; i++ {
				if _, err := p.Step(n, phi, 1e-3); err != nil {
					b.Fatal(err)
				}
			}
			client := cpuSelf() - cpu0
			b.StopTimer()
			st := p.Stats()
			_ = p.Close()
			var steps int
			var compute, session float64
			if _, err := fmt.Sscanf(stderr.String(), "numpy_stepper stats: steps=%d compute_cpu_s=%g session_cpu_s=%g", &steps, &compute, &session); err != nil {
				b.Fatalf("no stats from the peer (%v): %q", err, stderr.String())
			}
			perStep := func(s float64) float64 { return s / float64(b.N) * 1e6 }
			b.ReportMetric(float64(st.Requests)/float64(b.N), "req/step")
			b.ReportMetric(perStep(compute), "compute-µs")
			b.ReportMetric(perStep(session-compute), "peer-proto-µs")
			b.ReportMetric(perStep(client), "client-µs")
		})
	}
}
