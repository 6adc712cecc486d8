package extstep_test

import (
	"math/rand/v2"
	"os"
	"os/exec"
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
					v += 1
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

// BenchmarkNumpyStep measures the numpy client at N3 4×4×4×4 per GD step
// through the protocol: Batch1 is one request per step (the protocol's
// whole round trip), Spec256 is the speculative batching Step uses on a
// trajectory. The per-step compute of the same numpy code in-process is
// measured by the Python side (docs/external.md records both).
func BenchmarkNumpyStep(b *testing.B) {
	py := numpyPythonB(b)
	for _, c := range []struct {
		name  string
		batch int
	}{{"Batch1", 1}, {"Spec256", 256}} {
		b.Run(c.name, func(b *testing.B) {
			p, err := extstep.Start(py+" ../examples/numpy_stepper.py", extstep.Options{MaxBatch: c.batch, Stderr: os.Stderr})
			if err != nil {
				b.Fatal(err)
			}
			defer p.Close()
			n, phi := benchNet()
			b.ResetTimer()
			for i := 0; i < b.N; i++ {
				if _, err := p.Step(n, phi, 1e-3); err != nil {
					b.Fatal(err)
				}
			}
			b.StopTimer()
			st := p.Stats()
			b.ReportMetric(float64(st.Requests)/float64(b.N), "req/step")
		})
	}
}

func numpyPythonB(b *testing.B) string {
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	b.Skip("no python3 with numpy (apt-get install python3-numpy)")
	return ""
}
