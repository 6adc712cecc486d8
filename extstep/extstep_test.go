//go:build unix

package extstep_test

import (
	"errors"
	"math"
	"math/rand/v2"
	"os"
	"os/exec"
	"strings"
	"syscall"
	"testing"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/extstep"
	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/testpeer"
	"github.com/dlnverify/dlnverify/model"
)

func init() { testpeer.MaybeRun() }

func randNet(r *rand.Rand, dims []int) (*model.Net, *mat.Dense) {
	layers := make([]mat.Matrix, len(dims)-1)
	for j := range layers {
		m := mat.NewDense(dims[j+1], dims[j], nil)
		for i := 0; i < dims[j+1]; i++ {
			for k := 0; k < dims[j]; k++ {
				v := 0.1 * r.NormFloat64()
				if i == k {
					v++
				}
				m.Set(i, k, v)
			}
		}
		layers[j] = m
	}
	n, err := model.NewNet(layers)
	if err != nil {
		panic(err)
	}
	phi := mat.NewDense(dims[len(dims)-1], dims[0], nil)
	for i := 0; i < dims[len(dims)-1]; i++ {
		for k := 0; k < dims[0]; k++ {
			phi.Set(i, k, r.NormFloat64())
		}
	}
	return n, phi
}

func start(t *testing.T, cmd string, o extstep.Options) *extstep.Peer {
	t.Helper()
	p, err := extstep.Start(cmd, o)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { _ = p.Close() })
	return p
}

// TestSpeculationIsExact steps two interleaved trajectories, changes η and
// Φ midway, and edits the iterate between steps: every returned iterate and
// loss must equal model.Reference's bit for bit (the test peer serves
// Reference), whatever the speculation did, and a long trajectory must be
// served by few requests.
func TestSpeculationIsExact(t *testing.T) {
	p := start(t, testpeer.Command("ok"), extstep.Options{})
	if p.Name() != "exec:testpeer-ok" || p.Bits() != 64 || p.UnitRoundoff() != linalg.MachEps {
		t.Fatalf("handshake: name %q bits %d unit %g", p.Name(), p.Bits(), p.UnitRoundoff())
	}
	r := rand.New(rand.NewPCG(3, 4))
	a, phiA := randNet(r, []int{3, 4, 2})
	b, phiB := randNet(r, []int{3, 4, 2})
	ra, rb := a.Clone(), b.Clone()
	check := func(what string, n, ref *model.Net, phi mat.Matrix, eta float64) {
		t.Helper()
		got, err := p.Step(n, phi, eta)
		if err != nil {
			t.Fatalf("%s: %v", what, err)
		}
		want, _ := model.Reference{}.Step(ref, phi, eta)
		if math.Float64bits(got) != math.Float64bits(want) {
			t.Fatalf("%s: loss %v, reference %v", what, got, want)
		}
		for j := 1; j <= n.N(); j++ {
			if !mat.Equal(n.Layer(j), ref.Layer(j)) {
				t.Fatalf("%s: W_%d differs from the reference", what, j)
			}
		}
	}
	for s := 0; s < 20; s++ { // two trajectories in turn: two streams
		check("interleaved a", a, ra, phiA, 0.01)
		check("interleaved b", b, rb, phiB, 0.01)
	}
	// More trajectories in turn than Streams: streams are evicted and restarted.
	var many, refs []*model.Net
	for i := 0; i < extstep.Streams+2; i++ {
		n, _ := randNet(r, []int{3, 4, 2})
		many, refs = append(many, n), append(refs, n.Clone())
	}
	for s := 0; s < 30; s++ {
		for i := range many {
			check("round robin", many[i], refs[i], phiA, 0.02)
		}
	}
	before := p.Stats()
	for s := 0; s < 1000; s++ {
		check("trajectory", a, ra, phiA, 0.01)
	}
	if got := p.Stats().Requests - before.Requests; got > 20 {
		t.Fatalf("1000 steps of one trajectory took %d requests; speculation is not batching", got)
	}
	check("new η", a, ra, phiA, 0.005)
	check("new Φ", a, ra, phiB, 0.005)
	a.Layer(1).Set(0, 0, a.Layer(1).At(0, 0)+1e-300)
	ra.Layer(1).Set(0, 0, ra.Layer(1).At(0, 0)+1e-300)
	check("edited iterate", a, ra, phiB, 0.005)
	if _, err := p.Step(a, phiB, -1); err == nil || p.Err() != nil {
		t.Fatalf("a bad η is the caller's error, not a peer fault: %v / %v", err, p.Err())
	}
}

// TestFaults: each fault of the peer ends in one PeerError line naming the
// step, quickly, and the peer stays dead.
func TestFaults(t *testing.T) {
	cases := []struct {
		mode, want string
		step       int
	}{
		{"exit:3", "peer exited (exit status 3)", 0},
		{"kill:2", "peer exited (signal: killed)", 0},
		{"hang:2", "no reply within 1s (timeout; DLNVERIFY_EXEC_TIMEOUT sets it)", 0},
		{"shape:2", "shape changed: reply has d_1 = 5, request 4", 0},
		{"nan:4", "peer sent NaN in an updated layer of step 1 of the batch from a finite iterate", 0},
		{"garbage:2", `malformed reply: bad magic "Trac" (want "DLNV"; does the peer print to stdout?)`, 0},
		{"reqid:3", "malformed reply: reply to request 4, want 3", 0},
	}
	for _, c := range cases {
		t.Run(c.mode, func(t *testing.T) {
			p := start(t, testpeer.Command(c.mode), extstep.Options{Timeout: time.Second, MaxBatch: 1})
			r := rand.New(rand.NewPCG(5, 6))
			n, phi := randNet(r, []int{3, 4, 2})
			var err error
			s := 0
			t0 := time.Now()
			for s = 1; s <= 10 && err == nil; s++ {
				_, err = p.Step(n, phi, 0.01)
			}
			var pe *extstep.PeerError
			if !errors.As(err, &pe) {
				t.Fatalf("want a PeerError, got %v", err)
			}
			msg := err.Error()
			if !strings.Contains(msg, c.want) || strings.Contains(msg, "\n") {
				t.Fatalf("error %q: want one line containing %q", msg, c.want)
			}
			_, at, _ := strings.Cut(c.mode, ":")
			if !strings.Contains(msg, "step "+at+" (request "+at+")") {
				t.Fatalf("error %q does not name step %s", msg, at)
			}
			if el := time.Since(t0); el > 5*time.Second {
				t.Fatalf("the fault took %v to surface", el)
			}
			if _, err2 := p.Step(n, phi, 0.01); err2 != err {
				t.Fatalf("after a fault Step returned %v, want the same PeerError", err2)
			}
		})
	}
}

// TestKilledFromOutside: the peer's process group is killed by someone
// else between two steps; the next step that needs the peer reports it.
func TestKilledFromOutside(t *testing.T) {
	p := start(t, testpeer.Command("ok"), extstep.Options{Timeout: 5 * time.Second, MaxBatch: 1})
	r := rand.New(rand.NewPCG(9, 10))
	n, phi := randNet(r, []int{2, 3, 2})
	for s := 0; s < 5; s++ {
		if _, err := p.Step(n, phi, 0.01); err != nil {
			t.Fatal(err)
		}
	}
	if err := syscall.Kill(-p.Pid(), syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	t0 := time.Now()
	_, err := p.Step(n, phi, 0.01)
	var pe *extstep.PeerError
	if !errors.As(err, &pe) || pe.Step != 6 || !strings.Contains(err.Error(), "step 6 (request 6): peer exited (signal: killed)") {
		t.Fatalf("got %v", err)
	}
	if el := time.Since(t0); el > 2*time.Second {
		t.Fatalf("took %v", el)
	}
}

func TestHandshakeFaults(t *testing.T) {
	for _, c := range []struct{ cmd, want string }{
		{testpeer.Command("stdout"), `handshake: malformed reply: bad magic "load" (want "DLNV"; does the peer print to stdout?)`},
		{testpeer.Command("version"), "handshake: peer speaks protocol version 2, this client 1"},
		{"exit 7", "handshake: peer exited (exit status 7)"},
		{"sleep 30", "handshake: no reply within 1s"},
	} {
		t0 := time.Now()
		_, err := extstep.Start(c.cmd, extstep.Options{Timeout: time.Second, Stderr: os.Stderr})
		if err == nil || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: got %v, want %q", c.cmd, err, c.want)
		}
		if el := time.Since(t0); el > 5*time.Second {
			t.Errorf("%s: took %v", c.cmd, el)
		}
	}
}

// TestFloat32Declared: a peer's declared precision reaches UnitRoundoff.
func TestFloat32Declared(t *testing.T) {
	p := start(t, testpeer.Command("float32"), extstep.Options{})
	if p.Bits() != 32 || p.UnitRoundoff() != 0x1p-23 {
		t.Fatalf("bits %d unit %g", p.Bits(), p.UnitRoundoff())
	}
}

// TestNumpyClientMatchesReference runs examples/numpy_stepper.py against
// model.Reference on a few shapes (N = 1 included): losses and iterates
// agree to rounding (different summation order), and the broken variant
// does not.
func TestNumpyClientMatchesReference(t *testing.T) {
	py := numpyPython(t)
	for _, v := range []struct {
		args   string
		broken bool
	}{{"", false}, {" --broken sequential", true}} {
		p := start(t, py+" ../examples/numpy_stepper.py"+v.args, extstep.Options{})
		r := rand.New(rand.NewPCG(7, 8))
		worst := 0.0
		for _, dims := range [][]int{{3, 2}, {2, 3, 4}, {4, 4, 4, 4}, {1, 5, 1, 2}} {
			n, phi := randNet(r, dims)
			ref := n.Clone()
			for s := 0; s < 50; s++ {
				l, err := p.Step(n, phi, 0.01)
				if err != nil {
					t.Fatal(err)
				}
				lr, _ := model.Reference{}.Step(ref, phi, 0.01)
				worst = math.Max(worst, math.Abs(l-lr)/math.Max(lr, 1))
				for j := 1; j <= n.N(); j++ {
					var d mat.Dense
					d.Sub(n.Layer(j), ref.Layer(j))
					worst = math.Max(worst, mat.Norm(&d, math.Inf(1)))
				}
			}
		}
		if v.broken != (worst > 1e-6) {
			t.Errorf("numpy client%s: worst difference from the reference %.3g", v.args, worst)
		}
	}
}

func numpyPython(t *testing.T) string {
	t.Helper()
	for _, py := range []string{"/usr/bin/python3", "python3"} {
		if exec.Command(py, "-c", "import numpy").Run() == nil {
			return py
		}
	}
	t.Skip("no python3 with numpy (apt-get install python3-numpy)")
	return ""
}

// TestClose: after Close the peer has exited, Step returns ErrClosed (not
// a PeerError), and a second Close is harmless.
func TestClose(t *testing.T) {
	p, err := extstep.Start(testpeer.Command("ok"), extstep.Options{})
	if err != nil {
		t.Fatal(err)
	}
	n, phi := randNet(rand.New(rand.NewPCG(1, 1)), []int{2, 2})
	if _, err := p.Step(n, phi, 0.1); err != nil {
		t.Fatal(err)
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if _, err := p.Step(n, phi, 0.1); !errors.Is(err, extstep.ErrClosed) || p.Err() != nil {
		t.Fatalf("after Close: %v, Err %v", err, p.Err())
	}
	if err := p.Close(); err != nil {
		t.Fatal(err)
	}
	if err := syscall.Kill(p.Pid(), 0); err == nil {
		t.Fatal("the peer still runs after Close")
	}
}
