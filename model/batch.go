package model

import (
	"fmt"
	"math"
	"slices"

	"gonum.org/v1/gonum/mat"
)

// Batch advances B independent deep linear networks of one shape d_0..d_N
// (the lanes) by one GD step each per call, each with its own target Φ and
// step size η. It computes, lane by lane, exactly what Step of Reference or
// Fast computes — every ∂L^N/∂W_j at the same iterate, W_j ← W_j − η ∂L^N/∂W_j,
// the pre-step loss returned — in Fast's evaluation order (FastPlan), with
// the data laid out structure-of-arrays: entry (r, c) of W_j holds the B
// lanes' values contiguously, so every multiply-add of the step is one
// vector operation across lanes (AVX2+FMA assembly on amd64, a documented
// Go loop under the purego tag and on other GOARCHes; see batch_kernels.go).
// Lanes never mix: a lane whose values overflow cannot change another.
//
// Lanes are loaded and read one at a time (Set, Get, Clear). Step reports
// every lane's pre-step loss ℓ(t). The Run loop's rules apply per lane: a
// lane stops at the first iterate t whose loss is non-finite or exceeds
// DivergenceLimit(ℓ(0)) (LaneDiverged; ℓ(0) taken at Set) or, when
// SetEpsilon gave it an ε > 0, is ≤ ε (LaneConverged). No step is applied
// from there, as in Run: the lane's W(t) is kept for Get, State reports t
// steps (Run's Result.Steps), and the lane is zeroed so it costs the others
// nothing numerically. Step budgets are the caller's (State counts steps).
//
// A Step allocates nothing. A Batch is NOT safe for concurrent use.
type Batch struct {
	dims   []int
	lanes  int // B, the caller's lane count
	stride int // lanes padded to a multiple of batchChunk: the SoA stride
	order  Order
	w      [][]float64 // W_j at w[j−1]: d_j·d_{j−1} entries × stride
	phi    []float64   // d_N·d_0 entries × stride
	negEta []float64   // −η per lane (0 for idle and frozen lanes)
	ones   []float64   // 1 per lane
	chain  [][]float64 // as fastWS.chain, SoA
	carry  [2][]float64
	e      []float64
	loss   []float64 // ½‖E‖² per lane (the kernel's output)
	state  []LaneState
	limit  []float64   // divergence threshold per lane
	eps    []float64   // ε per lane (0: no convergence stop)
	stopAt []float64   // the loss at which a lane stopped
	steps  []int       // GD steps applied per lane since Set
	frozen [][]float64 // a stopped lane's W(t), layer by layer, packed
	stops  []int       // lanes stopping in the current Step (scratch)
}

// LaneState is the state of one lane of a Batch.
type LaneState int

// The lane states.
const (
	LaneIdle      LaneState = iota // nothing loaded (or cleared)
	LaneActive                     // loaded and stepping
	LaneDiverged                   // stopped: its loss diverged
	LaneConverged                  // stopped: its loss reached its ε
)

func (s LaneState) String() string {
	switch s {
	case LaneActive:
		return "active"
	case LaneDiverged:
		return "diverged"
	case LaneConverged:
		return "converged"
	}
	return "idle"
}

// batchChunk is the lane count one kernel call advances (two 4-wide AVX2
// vectors); the lane stride is a multiple of it.
const batchChunk = 8

// BatchLanes is the largest lane count BatchLanesFor suggests: enough to
// amortise per-product overhead on the smallest shapes. NewBatch accepts
// any B ≥ 1.
const BatchLanes = 32

// batchL1Bytes is the data-cache budget BatchLanesFor fills: a 32 KiB L1d,
// the common size on x86-64 (measured on the benchmark machine: 8 lanes of
// N4 8⁵ run at 244 ns/case-step, 64 lanes at 462 once the working set
// leaves L1).
const batchL1Bytes = 32 << 10

// BatchLanesFor suggests a lane count for dims: the largest multiple of 8,
// at most BatchLanes and at least 8, whose working set (weights, target,
// products and carries of one step) fits in a 32 KiB L1 data cache. It
// returns 8 for invalid dims.
func BatchLanesFor(dims []int) int {
	if checkDims(dims) != nil {
		return batchChunk
	}
	N := len(dims) - 1
	maxD, entries := 0, 2*dims[0]*dims[N] // Φ and E
	for j, d := range dims {
		maxD = max(maxD, d)
		if j > 0 {
			entries += d * dims[j-1]
		}
	}
	order, _, _, _ := FastPlan(dims)
	if order == OrderThinOutput {
		for j := 0; j <= N-2; j++ {
			entries += dims[N] * dims[j]
		}
		entries += 2 * dims[N] * maxD
	} else {
		for j := 3; j <= N+1; j++ {
			entries += dims[j-1] * dims[0]
		}
		entries += 2 * maxD * dims[0]
	}
	lanes := batchL1Bytes / (8 * entries) / batchChunk * batchChunk
	return min(BatchLanes, max(batchChunk, lanes))
}

// NewBatch returns a Batch of lanes idle lanes for networks with dims
// d_0..d_N (N ≥ 1, every d_j ≥ 1). It returns an error for invalid dims or
// lanes < 1.
func NewBatch(dims []int, lanes int) (*Batch, error) {
	if err := checkDims(dims); err != nil {
		return nil, err
	}
	if lanes < 1 {
		return nil, fmt.Errorf("model: a batch needs at least one lane (got %d)", lanes)
	}
	N := len(dims) - 1
	L := (lanes + batchChunk - 1) / batchChunk * batchChunk
	order, _, _, _ := FastPlan(dims)
	b := &Batch{
		dims: append([]int(nil), dims...), lanes: lanes, stride: L, order: order,
		phi:    make([]float64, dims[N]*dims[0]*L),
		negEta: make([]float64, L), ones: make([]float64, L),
		e: make([]float64, dims[N]*dims[0]*L), loss: make([]float64, L),
		state: make([]LaneState, lanes), limit: make([]float64, lanes),
		eps: make([]float64, lanes), stopAt: make([]float64, lanes),
		steps: make([]int, lanes), frozen: make([][]float64, lanes),
		stops: make([]int, 0, lanes),
	}
	for i := range b.ones {
		b.ones[i] = 1
	}
	maxD := 0
	for _, d := range dims {
		maxD = max(maxD, d)
	}
	for j := 1; j <= N; j++ {
		b.w = append(b.w, make([]float64, dims[j]*dims[j-1]*L))
	}
	switch order {
	case OrderThinOutput:
		for j := 0; j <= N-2; j++ {
			b.chain = append(b.chain, make([]float64, dims[N]*dims[j]*L))
		}
		for i := range b.carry {
			b.carry[i] = make([]float64, dims[N]*maxD*L)
		}
	case OrderThinInput:
		for j := 3; j <= N+1; j++ {
			b.chain = append(b.chain, make([]float64, dims[j-1]*dims[0]*L))
		}
		for i := range b.carry {
			b.carry[i] = make([]float64, maxD*dims[0]*L)
		}
	}
	return b, nil
}

// Lanes returns B, the number of lanes.
func (b *Batch) Lanes() int { return b.lanes }

// Dims returns a copy of d_0..d_N.
func (b *Batch) Dims() []int { return append([]int(nil), b.dims...) }

// State returns lane's state and the number of GD steps applied to it since
// it was Set (for a stopped lane, the iterate t it stopped at, as Run's
// Result.Steps).
func (b *Batch) State(lane int) (LaneState, int) {
	if lane < 0 || lane >= b.lanes {
		return LaneIdle, 0
	}
	return b.state[lane], b.steps[lane]
}

func (b *Batch) checkLane(lane int) error {
	if lane < 0 || lane >= b.lanes {
		return fmt.Errorf("model: lane %d out of range [0, %d)", lane, b.lanes)
	}
	return nil
}

func (b *Batch) checkNet(n *Net) error {
	if n == nil {
		return fmt.Errorf("%w: nil network", ErrShape)
	}
	if got := n.Dims(); !slices.Equal(got, b.dims) {
		return fmt.Errorf("%w: network dims %v, batch dims %v", ErrShape, got, b.dims)
	}
	return nil
}

// Set loads a copy of n, target Φ (d_N×d_0, finite) and step size η (finite,
// > 0) into lane, which becomes active with its step count reset and no ε.
// Its divergence threshold is DivergenceLimit(ℓ(0)) with ℓ(0) the loss of n
// on Φ; a lane whose ℓ(0) is already non-finite stops at once (diverged at
// step 0, as Run). Errors leave the lane as it was.
func (b *Batch) Set(lane int, n *Net, phi mat.Matrix, eta float64) error {
	if err := b.checkLane(lane); err != nil {
		return err
	}
	if err := checkEta(eta); err != nil {
		return err
	}
	if err := b.checkNet(n); err != nil {
		return err
	}
	l0, err := Loss(n, phi) // checks Φ's shape and finiteness
	if err != nil {
		return err
	}
	L := b.stride
	for j, l := range n.w {
		raw := l.RawMatrix()
		dst := b.w[j]
		for r := 0; r < raw.Rows; r++ {
			for c, v := range raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols] {
				dst[(r*raw.Cols+c)*L+lane] = v
			}
		}
	}
	d0 := b.dims[0]
	for r := 0; r < b.dims[len(b.dims)-1]; r++ {
		for c := 0; c < d0; c++ {
			b.phi[(r*d0+c)*L+lane] = phi.At(r, c)
		}
	}
	b.negEta[lane] = -eta
	b.state[lane] = LaneActive
	b.steps[lane] = 0
	b.eps[lane] = 0
	b.limit[lane] = DivergenceLimit(l0)
	if b.diverged(lane, l0) {
		b.stopAt[lane] = l0
		b.freeze(lane, LaneDiverged)
	}
	return nil
}

// SetEpsilon gives an active lane the stop rule ℓ(t) ≤ ε (RunConfig.Epsilon
// without Continue; ε = 0 removes it). It is checked from the next Step on.
func (b *Batch) SetEpsilon(lane int, eps float64) error {
	if err := b.checkLane(lane); err != nil {
		return err
	}
	if !(eps >= 0) || math.IsInf(eps, 0) {
		return fmt.Errorf("model: ε = %v must be a finite number ≥ 0", eps)
	}
	b.eps[lane] = eps
	return nil
}

// Clear makes lane idle (zero weights, target and step size).
func (b *Batch) Clear(lane int) error {
	if err := b.checkLane(lane); err != nil {
		return err
	}
	b.zero(lane)
	b.state[lane], b.steps[lane] = LaneIdle, 0
	return nil
}

func (b *Batch) zero(lane int) {
	L := b.stride
	for _, w := range b.w {
		for i := lane; i < len(w); i += L {
			w[i] = 0
		}
	}
	for i := lane; i < len(b.phi); i += L {
		b.phi[i] = 0
	}
	b.negEta[lane] = 0
}

// freeze keeps lane's current weights for Get, zeroes the lane and sets
// its state.
func (b *Batch) freeze(lane int, st LaneState) {
	if b.frozen[lane] == nil {
		size := 0
		for _, w := range b.w {
			size += len(w) / b.stride
		}
		b.frozen[lane] = make([]float64, size) // once per lane, not per step
	}
	f := b.frozen[lane]
	k := 0
	for _, w := range b.w {
		for i := lane; i < len(w); i += b.stride {
			f[k] = w[i]
			k++
		}
	}
	b.zero(lane)
	b.state[lane] = st
}

// Get copies lane's current weights into n, which must have the batch's
// dims (a diverged lane gives its weights after the step it diverged on;
// an idle lane gives zeros).
func (b *Batch) Get(lane int, n *Net) error {
	if err := b.checkLane(lane); err != nil {
		return err
	}
	if err := b.checkNet(n); err != nil {
		return err
	}
	k := 0
	for j, l := range n.w {
		raw := l.RawMatrix()
		src := b.w[j]
		for r := 0; r < raw.Rows; r++ {
			row := raw.Data[r*raw.Stride : r*raw.Stride+raw.Cols]
			for c := range row {
				if b.state[lane] >= LaneDiverged {
					row[c] = b.frozen[lane][k]
					k++
				} else {
					row[c] = src[(r*raw.Cols+c)*b.stride+lane]
				}
			}
		}
	}
	return nil
}

// Net returns a new network holding lane's current weights (see Get).
func (b *Batch) Net(lane int) (*Net, error) {
	if err := b.checkLane(lane); err != nil {
		return nil, err
	}
	layers := make([]mat.Matrix, len(b.dims)-1)
	for j := range layers {
		layers[j] = mat.NewDense(b.dims[j+1], b.dims[j], nil)
	}
	n, err := NewNet(layers)
	if err != nil {
		return nil, err
	}
	return n, b.Get(lane, n)
}

// Step applies one GD step to every active lane and writes each lane's
// loss ℓ(t) before the step to loss[lane] (NaN for idle lanes; for a
// stopped lane the loss it stopped at). loss must have at least Lanes()
// entries. A lane whose ℓ(t) meets a stop rule stops at t without this
// step (see Batch).
func (b *Batch) Step(loss []float64) error {
	if len(loss) < b.lanes {
		return fmt.Errorf("model: Batch.Step needs %d loss slots (got %d)", b.lanes, len(loss))
	}
	if b.order == OrderThinOutput {
		b.stepThinOutput()
	} else {
		b.stepThinInput()
	}
	for _, q := range b.stops {
		b.zero(q) // the update ran on it with η = 0; clear any NaN it made
	}
	b.stops = b.stops[:0]
	for q := 0; q < b.lanes; q++ {
		switch b.state[q] {
		case LaneIdle:
			loss[q] = math.NaN()
		case LaneActive:
			loss[q] = b.loss[q]
			b.steps[q]++
		default:
			loss[q] = b.stopAt[q]
		}
	}
	return nil
}

// diverged is Run's divergence rule for lane: l non-finite or beyond the
// lane's limit.
func (b *Batch) diverged(lane int, l float64) bool {
	return divergedRule(l, b.limit[lane])
}

// stopRules runs after the forward pass: every active lane whose ℓ(t) meets
// a stop rule is frozen at W(t) before any layer is updated.
func (b *Batch) stopRules() {
	for q := 0; q < b.lanes; q++ {
		if b.state[q] != LaneActive {
			continue
		}
		l := b.loss[q]
		st := LaneActive
		switch {
		case b.diverged(q, l):
			st = LaneDiverged
		case hitRule(l, b.eps[q]):
			st = LaneConverged
		}
		if st != LaneActive {
			b.stopAt[q] = l
			b.freeze(q, st)
			b.stops = append(b.stops, q)
		}
	}
}

// gemm sets C = α⊙op(A)op(B) (or C += with add) lane by lane for m×n C
// with inner length k; strides are in entries (scaled by the lane stride
// here), α a per-lane vector.
func (b *Batch) gemm(m, n, k int, a []float64, ars, acs int, bm []float64, brs, bcs int, c []float64, alpha []float64, add bool) {
	L := b.stride
	lanesGemm(m, n, k, L/batchChunk, a, ars*L, acs*L, bm, brs*L, bcs*L, c, n*L, L, alpha, add)
}

// errLoss sets E = P − Φ and b.loss = ½‖E‖² per lane.
func (b *Batch) errLoss(p []float64) {
	L := b.stride
	cnt := len(b.e) / L
	for q := 0; q < L; q += batchChunk {
		lanesErrLoss8(cnt, L, p[q:], b.phi[q:], b.e[q:], b.loss[q:])
	}
}

func (b *Batch) axpy(x, y []float64) {
	L := b.stride
	cnt := len(y) / L
	for q := 0; q < L; q += batchChunk {
		lanesAxpy8(cnt, L, b.negEta[q:], x[q:], y[q:])
	}
}

func (b *Batch) stepThinOutput() {
	N := len(b.w)
	d := b.dims
	r := d[N]
	left := func(j int) []float64 {
		if j == N-1 {
			return b.w[N-1]
		}
		return b.chain[j]
	}
	// A_j = A_{j+1} W_{j+1} (r×d_j): A_{j+1} r×d_{j+1}, W_{j+1} d_{j+1}×d_j.
	for j := N - 2; j >= 0; j-- {
		b.gemm(r, d[j], d[j+1], left(j+1), d[j+1], 1, b.w[j], d[j], 1, b.chain[j], b.ones, false)
	}
	p := b.w[0]
	if N >= 2 {
		p = b.chain[0]
	}
	b.errLoss(p)
	b.stopRules()
	rj := b.e // R_j = E W_{1:j−1}ᵀ, r×d_{j−1}
	for j := 1; j <= N; j++ {
		wj := b.w[j-1] // d_j×d_{j−1}
		if j == N {
			b.axpy(rj, wj)
			break
		}
		next := b.carry[j%2]
		// R_{j+1} = R_j W_jᵀ (r×d_j), from the old W_j.
		b.gemm(r, d[j], d[j-1], rj, d[j-1], 1, wj, 1, d[j-1], next, b.ones, false)
		// W_j += −η A_jᵀ R_j: A_j r×d_j, so op(A)(i,l) = A_j(l,i).
		b.gemm(d[j], d[j-1], r, left(j), 1, d[j], rj, d[j-1], 1, wj, b.negEta, true)
		rj = next
	}
}

func (b *Batch) stepThinInput() {
	N := len(b.w)
	d := b.dims
	s := d[0]
	right := func(j int) []float64 {
		if j == 2 {
			return b.w[0]
		}
		return b.chain[j-3]
	}
	// B_{j+1} = W_j B_j (d_j×s): W_j d_j×d_{j−1}, B_j d_{j−1}×s.
	for j := 2; j <= N; j++ {
		b.gemm(d[j], s, d[j-1], b.w[j-1], d[j-1], 1, right(j), s, 1, b.chain[j-2], b.ones, false)
	}
	p := b.w[0]
	if N >= 2 {
		p = b.chain[N-2]
	}
	b.errLoss(p)
	b.stopRules()
	qj := b.e // Q_j = W_{j+1:N}ᵀ E, d_j×s
	for j := N; j >= 1; j-- {
		wj := b.w[j-1]
		if j == 1 {
			b.axpy(qj, wj)
			break
		}
		next := b.carry[j%2]
		// Q_{j−1} = W_jᵀ Q_j (d_{j−1}×s): op(A)(i,l) = W_j(l,i).
		b.gemm(d[j-1], s, d[j], wj, 1, d[j-1], qj, s, 1, next, b.ones, false)
		// W_j += −η Q_j B_jᵀ: Q_j d_j×s, B_j d_{j−1}×s, op(B)(l,c) = B_j(c,l).
		b.gemm(d[j], d[j-1], s, qj, s, 1, right(j), 1, s, wj, b.negEta, true)
		qj = next
	}
}
