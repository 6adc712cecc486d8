package extstep

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"os/exec"
	"slices"
	"strings"
	"sync"
	"time"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/internal/linalg"
	"github.com/dlnverify/dlnverify/internal/report"
	"github.com/dlnverify/dlnverify/model"
)

// Defaults of Options.
const (
	// DefaultTimeout is how long the client waits for the peer's handshake
	// or for one reply (a request carries up to MaxBatch steps).
	DefaultTimeout = 10 * time.Second
	// DefaultMaxBatch is the most steps one speculative request asks for.
	DefaultMaxBatch = 256
	// TimeoutEnv overrides DefaultTimeout (a Go duration, e.g. "30s") for
	// the CLI and `go test`.
	TimeoutEnv = "DLNVERIFY_EXEC_TIMEOUT"
)

// Unit round-offs a peer can declare: the machine epsilon of its floating
// point type (linalg.MachEps = ε_mach = 2⁻⁵² for float64, the unit the
// proofs_test tiers are written in; the unit round-off proper is half of it).
const (
	UnitFloat64 = linalg.MachEps
	UnitFloat32 = 0x1p-23
)

// Options configures Start. The zero value uses the defaults.
type Options struct {
	Timeout  time.Duration // per handshake and per reply; 0 means DefaultTimeout
	MaxBatch int           // most steps per request; 0 means DefaultMaxBatch, 1 disables speculation
	Stderr   io.Writer     // receives the peer's stderr; nil means os.Stderr
}

// OptionsFromEnv returns the default Options with the timeout taken from
// TimeoutEnv when it is set.
func OptionsFromEnv() (Options, error) {
	var o Options
	if v, ok := os.LookupEnv(TimeoutEnv); ok {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			return o, fmt.Errorf("%s=%q is not a positive duration (e.g. 30s)", TimeoutEnv, v)
		}
		o.Timeout = d
	}
	return o, nil
}

var errMalformed = errors.New("malformed reply")

// PeerError is a fault of the peer process: it crashed or exited, did not
// answer in time, sent a malformed frame, changed a shape or sent a NaN.
// After one, the Peer is dead and every Step returns the same error. Its
// message is one line and names the step.
type PeerError struct {
	Cmd     string // the command line
	Name    string // the implementation's name from the handshake ("" before it)
	Step    int    // the 1-based step (Step call) of this Peer that failed; 0 in the handshake
	Request uint64 // the request id (0 for the handshake)
	Msg     string
}

func (e *PeerError) Error() string {
	who := fmt.Sprintf("exec peer %q", e.Cmd)
	if e.Name != "" {
		who += " (" + e.Name + ")"
	}
	if e.Step == 0 {
		return fmt.Sprintf("%s: handshake: %s", who, e.Msg)
	}
	return fmt.Sprintf("%s: step %d (request %d): %s", who, e.Step, e.Request, e.Msg)
}

// Stats counts a Peer's traffic.
type Stats struct {
	Steps    int // steps returned by Step
	Requests int // step requests sent
	Computed int // steps the peer computed (≥ Steps: speculation can be wasted)
}

// Peer is a model.Stepper whose step runs in another process, spoken to
// over the protocol of docs/external.md on the process's stdin and stdout.
// It is safe for concurrent use (calls are serialised).
//
// Batching: a request asks for k steps from one iterate and the reply
// carries every iterate and pre-step loss. Step asks for k > 1 steps
// speculatively: when a caller steps an iterate Step returned, with the
// same Φ and η, the next iterate is already there (compared bit for bit).
// Up to Streams trajectories are followed at once (a property may step two
// networks in turn); a new one starts with k = 1 and k doubles each time
// its speculation is used up, to at most MaxBatch, so the steps computed
// in vain never exceed the steps used. Results are exactly what single
// steps would return, as long as the peer's step is a function of
// (W, Φ, η).
type Peer struct {
	mu       sync.Mutex
	cmdline  string
	timeout  time.Duration
	maxBatch int

	cmd     *exec.Cmd
	in, out *os.File
	r       *bufio.Reader
	exited  chan struct{}
	waitErr error

	name   string
	bits   int
	fatal  error
	closed bool
	id     uint64
	stats  Stats

	buf, wbuf []byte
	cur, phi  []float64 // the caller's iterate and Φ, flattened
	streams   []*spec   // most recently used first
}

// Streams is how many trajectories a Peer speculates on at once.
const Streams = 4

// spec is the last reply: k iterates after the request's start.
type spec struct {
	valid  bool
	dims   []int
	eta    float64
	phi    []float64
	start  []float64   // the request's iterate
	states [][]float64 // states[i]: the iterate after step i+1
	losses []float64   // losses[i]: ℓ before step i+1
	next   int         // the next state to serve
	id     uint64
	batch  int // k of the last request
}

func (s *spec) prev() []float64 {
	if s.next == 0 {
		return s.start
	}
	return s.states[s.next-1]
}

// Start runs cmdline with /bin/sh -c in its own process group and performs
// the handshake.
func Start(cmdline string, o Options) (*Peer, error) {
	if strings.TrimSpace(cmdline) == "" {
		return nil, errors.New("exec: empty command")
	}
	p := &Peer{cmdline: cmdline, timeout: o.Timeout, maxBatch: o.MaxBatch,
		buf: make([]byte, 1<<15), exited: make(chan struct{})}
	if p.timeout <= 0 {
		p.timeout = DefaultTimeout
	}
	if p.maxBatch <= 0 {
		p.maxBatch = DefaultMaxBatch
	}
	p.maxBatch = min(p.maxBatch, MaxBatchLimit)
	inR, inW, err := os.Pipe()
	if err != nil {
		return nil, err
	}
	outR, outW, err := os.Pipe()
	if err != nil {
		inR.Close()
		inW.Close()
		return nil, err
	}
	cmd := exec.Command("/bin/sh", "-c", cmdline)
	cmd.Stdin, cmd.Stdout = inR, outW
	cmd.Stderr = o.Stderr
	if cmd.Stderr == nil {
		cmd.Stderr = os.Stderr
	}
	setProcessGroup(cmd)
	if err := cmd.Start(); err != nil {
		for _, f := range []*os.File{inR, inW, outR, outW} {
			f.Close()
		}
		return nil, &PeerError{Cmd: cmdline, Msg: "cannot start: " + err.Error()}
	}
	inR.Close()
	outW.Close()
	p.cmd, p.in, p.out = cmd, inW, outR
	p.r = bufio.NewReaderSize(deadlineReader{outR}, 1<<16)
	go func() {
		p.waitErr = cmd.Wait()
		close(p.exited)
	}()
	if err := p.handshake(); err != nil {
		p.kill()
		return nil, err
	}
	return p, nil
}

// deadlineReader hides *os.File's ReadFrom-style fast paths from bufio;
// it exists so that the read deadline set on the file applies.
type deadlineReader struct{ f *os.File }

func (d deadlineReader) Read(b []byte) (int, error) { return d.f.Read(b) }

func (p *Peer) handshake() error {
	p.wbuf = putHeader(p.wbuf[:0], KindHello, 0)
	if err := p.send(); err != nil {
		return p.fail(0, 0, err)
	}
	h, err := readHeader(p.r, p.buf)
	if err != nil {
		return p.fail(0, 0, err)
	}
	if h.version != Version {
		return p.fail(0, 0, fmt.Errorf("peer speaks protocol version %d, this client %d", h.version, Version))
	}
	if h.kind == KindError {
		msg, err := readText(p.r, p.buf)
		if err != nil {
			return p.fail(0, 0, err)
		}
		return p.fail(0, 0, fmt.Errorf("peer refused: %s", report.OneLine(msg)))
	}
	if h.kind != KindHelloReply {
		return p.fail(0, 0, fmt.Errorf("%w: frame kind %d, want %d (hello reply)", errMalformed, h.kind, KindHelloReply))
	}
	bits, err := readU32(p.r, p.buf)
	if err != nil {
		return p.fail(0, 0, err)
	}
	if bits != 64 && bits != 32 {
		return p.fail(0, 0, fmt.Errorf("%w: precision %d bits (64 or 32)", errMalformed, bits))
	}
	name, err := readText(p.r, p.buf)
	if err != nil {
		return p.fail(0, 0, err)
	}
	name = strings.TrimSpace(name)
	if name == "" || strings.ContainsAny(name, "\n\r") {
		return p.fail(0, 0, fmt.Errorf("%w: implementation name %q (non-empty, one line)", errMalformed, name))
	}
	p.name, p.bits = name, int(bits)
	return nil
}

// Name implements model.Stepper: "exec:" and the name the peer declared.
func (p *Peer) Name() string { return "exec:" + p.name }

// Bits is the declared precision, 64 or 32.
func (p *Peer) Bits() int { return p.bits }

// UnitRoundoff is the declared precision's unit round-off (machine
// epsilon): UnitFloat64 or UnitFloat32. The property suite scales its
// tolerance tiers by it.
func (p *Peer) UnitRoundoff() float64 {
	if p.bits == 32 {
		return UnitFloat32
	}
	return UnitFloat64
}

// Pid is the process id of the command: /bin/sh, or the peer itself when
// the command line starts with exec. It leads the peer's process group.
func (p *Peer) Pid() int { return p.cmd.Process.Pid }

// Stats returns the traffic counts so far.
func (p *Peer) Stats() Stats {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.stats
}

// Err returns the PeerError that killed the peer, or nil.
func (p *Peer) Err() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.fatal
}

// Close ends the session: it closes the peer's stdin (a peer exits on end
// of input), waits up to a second, then kills the process group.
func (p *Peer) Close() error {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.in == nil {
		return nil
	}
	p.in.Close()
	select {
	case <-p.exited:
	case <-time.After(time.Second):
	}
	p.kill()
	p.closed = true
	return nil
}

// ErrClosed is what Step returns after Close (unless a PeerError ended the
// session first).
var ErrClosed = errors.New("extstep: the peer's session is closed")

// kill ends the process group and releases the pipes.
func (p *Peer) kill() {
	if p.cmd != nil && p.cmd.Process != nil {
		killGroup(p.cmd)
		select {
		case <-p.exited:
		case <-time.After(5 * time.Second):
		}
	}
	if p.in != nil {
		p.in.Close()
		p.out.Close()
		p.in, p.out = nil, nil
	}
}

// fail turns err into the Peer's fatal PeerError and kills the peer.
func (p *Peer) fail(step int, id uint64, err error) error {
	msg := err.Error()
	switch {
	case errors.Is(err, os.ErrDeadlineExceeded):
		msg = fmt.Sprintf("no reply within %v (timeout; %s sets it)", p.timeout, TimeoutEnv)
	case errors.Is(err, io.EOF), errors.Is(err, io.ErrUnexpectedEOF), errors.Is(err, os.ErrClosed), isBrokenPipe(err):
		select {
		case <-p.exited:
			msg = "peer exited (" + exitText(p.waitErr) + ")"
		case <-time.After(500 * time.Millisecond):
			msg = "peer closed its stdout"
		}
		if errors.Is(err, io.ErrUnexpectedEOF) {
			msg += " in the middle of a frame"
		}
	}
	pe := &PeerError{Cmd: p.cmdline, Name: p.name, Step: step, Request: id, Msg: report.OneLine(msg)}
	p.fatal = pe
	p.streams = nil
	p.kill()
	return pe
}

func exitText(err error) string {
	if err == nil {
		return "exit status 0"
	}
	return err.Error()
}

func (p *Peer) send() error {
	if err := p.in.SetWriteDeadline(time.Now().Add(p.timeout)); err != nil {
		return err
	}
	if err := p.out.SetReadDeadline(time.Now().Add(p.timeout)); err != nil {
		return err
	}
	_, err := p.in.Write(p.wbuf)
	return err
}

// Step implements model.Stepper. An error that is not a *PeerError is the
// caller's (a shape mismatch, a bad η) or one the peer reported for this
// step; the session goes on. A *PeerError ends it.
func (p *Peer) Step(n *model.Net, phi mat.Matrix, eta float64) (float64, error) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if p.fatal != nil {
		return math.NaN(), p.fatal
	}
	if p.closed {
		return math.NaN(), ErrClosed
	}
	if !(eta > 0) || math.IsInf(eta, 0) {
		return math.NaN(), fmt.Errorf("model: step size η = %v must be a finite positive number", eta)
	}
	if err := n.CheckTarget(phi); err != nil {
		return math.NaN(), err
	}
	dims := n.Dims()
	if n.N() > maxLayers || slicesMax(dims) > maxDim {
		return math.NaN(), fmt.Errorf("exec: dims %v exceed the protocol's limits (N ≤ %d, d ≤ %d)", dims, maxLayers, maxDim)
	}
	p.cur = flattenNet(p.cur[:0], n)
	p.phi = flattenMatrix(p.phi[:0], phi)
	var sp *spec
	for i, c := range p.streams {
		if c.valid && eta == c.eta && slices.Equal(dims, c.dims) && equalBits(p.phi, c.phi) && equalBits(p.cur, c.prev()) {
			sp = c
			copy(p.streams[1:i+1], p.streams[:i]) // most recently used first
			p.streams[0] = sp
			break
		}
	}
	switch {
	case sp == nil: // a new trajectory: take a free slot or the least recently used one
		if len(p.streams) < Streams {
			p.streams = append(p.streams, nil)
		}
		last := len(p.streams) - 1
		sp = p.streams[last]
		if sp == nil {
			sp = &spec{}
		}
		copy(p.streams[1:], p.streams[:last])
		p.streams[0] = sp
		if err := p.request(sp, dims, eta, 1); err != nil {
			return math.NaN(), err
		}
	case sp.next == len(sp.states): // the speculation was used up: ask for more
		if err := p.request(sp, dims, eta, min(2*sp.batch, p.maxBatch)); err != nil {
			return math.NaN(), err
		}
	}
	return p.serve(sp, n)
}

// serve hands out the next speculated iterate.
func (p *Peer) serve(sp *spec, n *model.Net) (float64, error) {
	i := sp.next
	in, out, loss := sp.prev(), sp.states[i], sp.losses[i]
	step := p.stats.Steps + 1
	if allFinite(in) && (math.IsNaN(loss) || (!math.IsInf(loss, 0) && hasNaN(out))) {
		what := "the pre-step loss"
		if !math.IsNaN(loss) {
			what = "an updated layer"
		}
		return math.NaN(), p.fail(step, sp.id, fmt.Errorf("peer sent NaN in %s of step %d of the batch from a finite iterate", what, i+1))
	}
	sp.next++
	p.stats.Steps++
	off := 0
	for j := 1; j <= n.N(); j++ {
		raw := n.Layer(j).RawMatrix()
		for r := 0; r < raw.Rows; r++ {
			copy(raw.Data[r*raw.Stride:r*raw.Stride+raw.Cols], out[off:off+raw.Cols])
			off += raw.Cols
		}
	}
	return loss, nil
}

// request sends one step request of k steps from p.cur and reads the
// reply into sp.
func (p *Peer) request(sp *spec, dims []int, eta float64, k int) error {
	p.id++
	id, step := p.id, p.stats.Steps+1
	sp.valid = false
	b := putHeader(p.wbuf[:0], KindStep, id)
	b = le.AppendUint32(b, uint32(len(dims)-1))
	b = le.AppendUint32(b, uint32(k))
	b = le.AppendUint64(b, math.Float64bits(eta))
	for _, d := range dims {
		b = le.AppendUint32(b, uint32(d))
	}
	b = appendF64s(b, p.phi)
	b = appendF64s(b, p.cur)
	p.wbuf = b
	p.stats.Requests++
	if err := p.send(); err != nil {
		return p.fail(step, id, err)
	}
	h, err := readHeader(p.r, p.buf)
	if err != nil {
		return p.fail(step, id, err)
	}
	if h.version != Version {
		return p.fail(step, id, fmt.Errorf("%w: protocol version %d, want %d", errMalformed, h.version, Version))
	}
	if h.id != id {
		return p.fail(step, id, fmt.Errorf("%w: reply to request %d, want %d", errMalformed, h.id, id))
	}
	if h.kind == KindError {
		msg, err := readText(p.r, p.buf)
		if err != nil {
			return p.fail(step, id, err)
		}
		// sp stays invalid: the next Step starts over with single steps
		return fmt.Errorf("%s: step %d: peer error: %s", p.Name(), step, report.OneLine(msg))
	}
	if h.kind != KindStepReply {
		return p.fail(step, id, fmt.Errorf("%w: frame kind %d, want %d (step reply)", errMalformed, h.kind, KindStepReply))
	}
	gotN, err := readU32(p.r, p.buf)
	if err != nil {
		return p.fail(step, id, err)
	}
	gotK, err := readU32(p.r, p.buf)
	if err != nil {
		return p.fail(step, id, err)
	}
	if int(gotN) != len(dims)-1 {
		return p.fail(step, id, fmt.Errorf("shape changed: reply has N = %d layers, request %d", gotN, len(dims)-1))
	}
	if int(gotK) != k {
		return p.fail(step, id, fmt.Errorf("%w: reply carries %d steps, request asked for %d", errMalformed, gotK, k))
	}
	for j, d := range dims {
		g, err := readU32(p.r, p.buf)
		if err != nil {
			return p.fail(step, id, err)
		}
		if int(g) != d {
			return p.fail(step, id, fmt.Errorf("shape changed: reply has d_%d = %d, request %d (dims %v)", j, g, d, dims))
		}
	}
	size := layerSize(dims)
	if cap(sp.losses) < k {
		sp.losses = make([]float64, k)
	}
	sp.losses = sp.losses[:k]
	for len(sp.states) < k {
		sp.states = append(sp.states, nil)
	}
	sp.states = sp.states[:k]
	var lb [1]float64
	for i := 0; i < k; i++ {
		if err := readF64s(p.r, p.buf, lb[:]); err != nil {
			return p.fail(step, id, err)
		}
		sp.losses[i] = lb[0]
		if cap(sp.states[i]) < size {
			sp.states[i] = make([]float64, size)
		}
		sp.states[i] = sp.states[i][:size]
		if err := readF64s(p.r, p.buf, sp.states[i]); err != nil {
			return p.fail(step, id, err)
		}
	}
	p.stats.Computed += k
	sp.dims = append(sp.dims[:0], dims...)
	sp.eta = eta
	sp.phi = append(sp.phi[:0], p.phi...)
	sp.start = append(sp.start[:0], p.cur...)
	sp.next, sp.id, sp.batch, sp.valid = 0, id, k, true
	return nil
}

func flattenNet(dst []float64, n *model.Net) []float64 {
	for j := 1; j <= n.N(); j++ {
		dst = flattenMatrix(dst, n.Layer(j))
	}
	return dst
}

func flattenMatrix(dst []float64, m mat.Matrix) []float64 {
	if d, ok := m.(*mat.Dense); ok {
		raw := d.RawMatrix()
		for r := 0; r < raw.Rows; r++ {
			dst = append(dst, raw.Data[r*raw.Stride:r*raw.Stride+raw.Cols]...)
		}
		return dst
	}
	rows, cols := m.Dims()
	for r := 0; r < rows; r++ {
		for c := 0; c < cols; c++ {
			dst = append(dst, m.At(r, c))
		}
	}
	return dst
}

func equalBits(a, b []float64) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if math.Float64bits(a[i]) != math.Float64bits(b[i]) {
			return false
		}
	}
	return true
}

func slicesMax(v []int) int {
	m := 0
	for _, x := range v {
		m = max(m, x)
	}
	return m
}

func allFinite(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) || math.IsInf(x, 0) {
			return false
		}
	}
	return true
}

func hasNaN(v []float64) bool {
	for _, x := range v {
		if math.IsNaN(x) {
			return true
		}
	}
	return false
}

// Prefix introduces an external stepper wherever an implementation is
// named (--impl, DLNVERIFY_IMPL): exec:'CMD ARGS'.
const Prefix = "exec:"

// Command returns the command line of an exec:'CMD ARGS' implementation
// name, and whether name is one.
func Command(name string) (string, bool) {
	if !strings.HasPrefix(name, Prefix) {
		return "", false
	}
	return strings.TrimPrefix(name, Prefix), true
}
