package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/mat"
)

// Fast is a gradient-descent Stepper tuned for speed. It computes exactly
// what Reference computes (S2: every ∂L^N/∂W_j = W_{j+1:N}ᵀ E W_{1:j−1}ᵀ with
// E = W_{1:N} − Φ taken at the same iterate, then W_j ← W_j − η ∂L^N/∂W_j,
// returning the pre-step loss), in a different evaluation order and without
// allocating in steady state.
//
// Evaluation order. With r = d_N ("thin output") it forms the left partials
// A_j = W_{j+1:N} (d_N×d_j, j = N−1..0; A_0 = W_{1:N}) by a chain that starts
// at the output, then E = A_0 − Φ, then sweeps j = 1..N carrying
// R_j = E W_{1:j−1}ᵀ (d_N×d_{j−1}, R_{j+1} = R_j W_jᵀ from the old W_j) and
// applies the rank-d_N update W_j −= η A_jᵀ R_j. With s = d_0 ("thin input")
// it does the mirror image: right partials B_j = W_{1:j−1} from the input,
// then Q_j = W_{j+1:N}ᵀ E carried from the output (Q_{j−1} = W_jᵀ Q_j from the
// old W_j) and W_j −= η Q_j B_jᵀ. Either order reads every W_j before it is
// overwritten, so all layers are updated from the same iterate. Each costs
// about 3·r·Σ_j d_j d_{j−1} (resp. 3·s·Σ_j d_j d_{j−1}) multiply-adds, i.e.
// O(min(d_0, d_N) · #params) once the cheaper order is chosen; Fast picks
// the order with the smaller exact multiply-add count for the shape
// (FastPlan reports it). Identity partials (W_{1:0}, W_{N+1:N}) are never
// multiplied.
//
// Kernels (see gemm, fast_kernels.go). On amd64 with AVX2+FMA (detected from CPUID/XCR0 at
// start-up) products are done by Go-assembly micro-kernels — 8×8 AVX-512,
// 4×8 and 4×4 AVX2 register blocks, with a transposed operand staged in the
// workspace — and the row-vector chains and rank-1 updates of the thin-end
// order by AVX2 kernels: at d_N = 1 the chain A_j = A_{j+1}W_{j+1} by a
// row-gemv (rowGemvAVX2) and, per layer, R_{j+1} = R_jW_jᵀ and the update
// W_j −= ηA_jᵀR_j fused into one pass over W_j's rows (rowsDotAxpy);
// otherwise axpy/dot rows. Otherwise (other GOARCH, the purego build
// tag, older CPUs) they use register-blocked Go loops, and products with at
// least fastBLASMin multiply-adds call gonum's pure-Go BLAS (blas/gonum
// Dgemm) on tiles of at most 64×128 output entries, which keeps gonum on its
// serial, allocation-free path (it spawns goroutines, and allocates, for
// larger outputs). Results agree with Reference to rounding (differences
// in summation order only). The build is cgo-free.
//
// Workspaces are cached per network shape inside the Fast value (the most
// recently used shape first), so after the first step of a shape a Step
// allocates nothing. A Fast value is NOT safe for concurrent use: give each
// goroutine its own (the zero value is ready to use; NewFast is the same).
type Fast struct {
	ws   []*fastWS // most recently used first
	held bool      // the last StepIf skipped its update
}

// NewFast returns a ready Fast stepper (equivalent to new(Fast)).
func NewFast() *Fast { return new(Fast) }

// fastMaxShapes bounds the workspace cache; the least recently used shape is
// dropped beyond it.
const fastMaxShapes = 8

// Name implements Stepper.
func (*Fast) Name() string { return "fast" }

// Order is a GD evaluation order chosen by Fast.
type Order int

// The evaluation orders.
const (
	// OrderThinOutput chains products from the output end (cost ∝ d_N).
	OrderThinOutput Order = iota
	// OrderThinInput chains products from the input end (cost ∝ d_0).
	OrderThinInput
)

func (o Order) String() string {
	if o == OrderThinInput {
		return "thin-input"
	}
	return "thin-output"
}

// FastPlan reports the evaluation order Fast uses for a network with
// dimensions d_0..d_N and the multiply-add counts of one step in both
// orders. It returns an error for invalid dims.
func FastPlan(dims []int) (order Order, madsOut, madsIn int, err error) {
	if err := checkDims(dims); err != nil {
		return OrderThinOutput, 0, 0, err
	}
	madsOut, madsIn = stepMads(dims)
	if madsIn < madsOut {
		return OrderThinInput, madsOut, madsIn, nil
	}
	return OrderThinOutput, madsOut, madsIn, nil
}

// stepMads counts the multiply-adds of one step in each order, skipping
// the identity partials exactly as Step does.
func stepMads(d []int) (out, in int) {
	N := len(d) - 1
	r, s := d[N], d[0]
	// Thin output: A_j = A_{j+1} W_{j+1} for j = N−2..0 (A_{N−1} = W_N);
	// R_{j+1} = R_j W_jᵀ for j = 1..N−1; update W_j −= η A_jᵀ R_j for
	// j = 1..N−1 (W_N −= η R_N is a plain axpy).
	for j := 0; j <= N-2; j++ {
		out += r * d[j+1] * d[j]
	}
	for j := 1; j <= N-1; j++ {
		out += 2 * r * d[j] * d[j-1]
	}
	out += d[N] * d[N-1]
	// Thin input, mirrored.
	for j := 2; j <= N; j++ {
		in += s * d[j] * d[j-1]
	}
	for j := 2; j <= N; j++ {
		in += 2 * s * d[j] * d[j-1]
	}
	in += d[1] * d[0]
	return out, in
}

// fastWS is the workspace of one network shape.
type fastWS struct {
	dims  []int
	order Order
	w     []blas64.General // views of the current layers, refreshed per step
	chain []blas64.General // thin output: A_0..A_{N−2}; thin input: B_3..B_{N+1} at chain[j−3]
	carry [2]blas64.General
	e     blas64.General // E = W_{1:N} − Φ
	phi   blas64.General // copy of Φ when it is not a *mat.Dense
	// scratch holds a transposed operand for the micro-kernel (≤ d_max²).
	scratch []float64
	// proceed is StepIf's predicate during one step (nil otherwise); held
	// records that it declined the update.
	proceed func(float64) bool
	held    bool
}

func newFastWS(dims []int) *fastWS {
	N := len(dims) - 1
	order, _, _, _ := FastPlan(dims)
	ws := &fastWS{dims: append([]int(nil), dims...), order: order, w: make([]blas64.General, N)}
	maxD := 0
	for _, d := range dims {
		maxD = max(maxD, d)
	}
	switch order {
	case OrderThinOutput:
		r := dims[N]
		for j := 0; j <= N-2; j++ {
			ws.chain = append(ws.chain, newGeneral(r, dims[j]))
		}
		for i := range ws.carry {
			ws.carry[i] = newGeneral(r, maxD)
		}
	case OrderThinInput:
		s := dims[0]
		for j := 3; j <= N+1; j++ {
			ws.chain = append(ws.chain, newGeneral(dims[j-1], s))
		}
		for i := range ws.carry {
			ws.carry[i] = newGeneral(maxD, s)
		}
	}
	ws.e = newGeneral(dims[N], dims[0])
	ws.scratch = make([]float64, maxD*maxD)
	return ws
}

func newGeneral(r, c int) blas64.General {
	return blas64.General{Rows: r, Cols: c, Stride: c, Data: make([]float64, r*c)}
}

// shaped returns g's storage viewed as r×c (g has room for it).
func shaped(g blas64.General, r, c int) blas64.General {
	return blas64.General{Rows: r, Cols: c, Stride: c, Data: g.Data[:r*c]}
}

// workspace finds (or builds) the workspace for n's shape, moving it to the
// front of the cache.
func (f *Fast) workspace(n *Net) *fastWS {
	for i, ws := range f.ws {
		if ws.matches(n) {
			if i != 0 {
				copy(f.ws[1:i+1], f.ws[:i])
				f.ws[0] = ws
			}
			return ws
		}
	}
	ws := newFastWS(n.Dims())
	if len(f.ws) < fastMaxShapes {
		f.ws = append(f.ws, nil)
	}
	copy(f.ws[1:], f.ws)
	f.ws[0] = ws
	return ws
}

func (ws *fastWS) matches(n *Net) bool {
	if len(ws.dims) != len(n.w)+1 {
		return false
	}
	for j, l := range n.w {
		r, c := l.Dims()
		if r != ws.dims[j+1] || c != ws.dims[j] {
			return false
		}
	}
	return true
}

// Step implements Stepper. It validates η, the network and Φ (shape and
// finiteness) before touching the network, and returns errors as Reference
// does; it allocates only the first time it meets a network shape.
func (f *Fast) Step(n *Net, phi mat.Matrix, eta float64) (float64, error) {
	loss, _, err := f.StepIf(n, phi, eta, nil)
	return loss, err
}

// StepIf implements CheckedStepper: the loss comes from the forward pass
// (before any layer changes) and proceed is called there (nil: always
// step). It allocates nothing more than Step.
func (f *Fast) StepIf(n *Net, phi mat.Matrix, eta float64, proceed func(float64) bool) (float64, bool, error) {
	loss, err := f.step(n, phi, eta, proceed)
	return loss, err == nil && !f.held, err
}

func (f *Fast) step(n *Net, phi mat.Matrix, eta float64, proceed func(float64) bool) (float64, error) {
	f.held = false
	if err := checkEta(eta); err != nil {
		return math.NaN(), err
	}
	if n == nil || len(n.w) == 0 {
		return math.NaN(), fmt.Errorf("%w: Fast.Step needs a network with N ≥ 1 layers", ErrShape)
	}
	for j, l := range n.w {
		r, c := l.Dims()
		if r == 0 || c == 0 {
			return math.NaN(), fmt.Errorf("%w: layer W_%d is empty", ErrShape, j+1)
		}
		if j > 0 {
			if pr, _ := n.w[j-1].Dims(); c != pr {
				return math.NaN(), fmt.Errorf("%w: layers W_%d and W_%d do not chain", ErrShape, j, j+1)
			}
		}
	}
	if phi == nil {
		return math.NaN(), fmt.Errorf("%w: target Φ is nil", ErrShape)
	}
	dN, _ := n.w[len(n.w)-1].Dims()
	_, d0 := n.w[0].Dims()
	if pr, pc := phi.Dims(); pr != dN || pc != d0 {
		return math.NaN(), n.CheckTarget(phi) // the same message as Reference
	}
	ws := f.workspace(n)
	for j, l := range n.w {
		ws.w[j] = l.RawMatrix()
	}
	ph, ok := rawOf(phi)
	if !ok {
		if ws.phi.Data == nil {
			ws.phi = newGeneral(dN, d0)
		}
		for i := 0; i < dN; i++ {
			row := ws.phi.Data[i*d0 : i*d0+d0]
			for k := range row {
				row[k] = phi.At(i, k)
			}
		}
		ph = ws.phi
	}
	ws.proceed, ws.held = proceed, false
	var loss float64
	var err error
	if ws.order == OrderThinOutput {
		loss, err = ws.stepThinOutput(ph, eta)
	} else {
		loss, err = ws.stepThinInput(ph, eta)
	}
	f.held, ws.proceed = ws.held, nil
	return loss, err
}

// hold calls the pending proceed predicate on the iterate's loss and
// reports whether the step must be skipped.
func (ws *fastWS) hold(loss float64) bool {
	ws.held = ws.proceed != nil && !ws.proceed(loss)
	return ws.held
}

// rawOf returns the raw storage of Φ when it has one in row-major form.
func rawOf(phi mat.Matrix) (blas64.General, bool) {
	if d, ok := phi.(*mat.Dense); ok {
		return d.RawMatrix(), true
	}
	return blas64.General{}, false
}

// errorAndLoss sets E = P − Φ and returns ½‖E‖_F², or an error (before any
// layer is changed) when Φ has a non-finite entry. Φ is scanned only when
// the sum is not finite: a finite sum implies a finite Φ (P is finite then
// too), and non-finite weights alone give a non-finite loss, not an error,
// as in Reference.
func (ws *fastWS) errorAndLoss(p, ph blas64.General) (float64, error) {
	e := ws.e
	var sum float64
	for i := 0; i < e.Rows; i++ {
		er := e.Data[i*e.Stride : i*e.Stride+e.Cols]
		pr := p.Data[i*p.Stride : i*p.Stride+e.Cols]
		fr := ph.Data[i*ph.Stride : i*ph.Stride+e.Cols]
		pr = pr[:len(er)]
		fr = fr[:len(er)]
		for k := range er {
			v := pr[k] - fr[k]
			er[k] = v
			sum += v * v
		}
	}
	if math.IsNaN(sum) || math.IsInf(sum, 0) {
		for i := 0; i < e.Rows; i++ {
			for _, fv := range ph.Data[i*ph.Stride : i*ph.Stride+e.Cols] {
				if math.IsNaN(fv) || math.IsInf(fv, 0) {
					return math.NaN(), fmt.Errorf("%w in target Φ", ErrNonFinite)
				}
			}
		}
	}
	return 0.5 * sum, nil
}

func (ws *fastWS) stepThinOutput(ph blas64.General, eta float64) (float64, error) {
	N := len(ws.w)
	d := ws.dims
	r := d[N]
	// Left partials A_j = W_{j+1:N}: A_{N−1} = W_N, A_j = A_{j+1} W_{j+1}.
	left := func(j int) blas64.General {
		if j == N-1 {
			return ws.w[N-1]
		}
		return ws.chain[j]
	}
	for j := N - 2; j >= 0; j-- {
		gemm(false, false, 1, left(j+1), ws.w[j], false, ws.chain[j], ws.scratch)
	}
	p := ws.w[0] // A_0 = W_{1:N}; W_1 itself when N = 1
	if N >= 2 {
		p = ws.chain[0]
	}
	loss, err := ws.errorAndLoss(p, ph)
	if err != nil || ws.hold(loss) {
		return loss, err
	}
	// Sweep j = 1..N with R_j = E W_{1:j−1}ᵀ (fused per row when d_N = 1).
	rj := ws.e
	for j := 1; j <= N; j++ {
		wj := ws.w[j-1]
		if j == N {
			axpyGeneral(-eta, rj, wj) // A_N = I
			break
		}
		next := shaped(ws.carry[j%2], r, d[j])
		if r == 1 && haveAVX2FMA && d[j-1] >= fastVecMin {
			// One pass over W_j's rows does both: R_{j+1}[i] = W_j[i,:]·R_j
			// with the old row, then W_j[i,:] −= η A_j[i] R_j, rounded as
			// the axpy path it replaces (fl(w + fl(−η A_j[i])·R_j), FMA).
			// Narrower rows keep the tiny-product path, whose rounding of
			// −η(A_j[i]R_j[c]) equals Reference's: a start symmetric
			// under swapping layers (1×1 layers W_1 = W_2) stays exactly
			// symmetric (TestFastKeepsLayerSwapSymmetry), as
			// counterexamples' saved cases rely on.
			rowsDotAxpy(-eta, left(j).Data, rj.Data[:d[j-1]], wj.Data, wj.Stride, next.Data[:d[j]])
			rj = next
			continue
		}
		gemm(false, true, 1, rj, wj, false, next, ws.scratch) // R_{j+1} = R_j W_jᵀ (old W_j)
		gemm(true, false, -eta, left(j), rj, true, wj, ws.scratch)
		rj = next
	}
	return loss, nil
}

func (ws *fastWS) stepThinInput(ph blas64.General, eta float64) (float64, error) {
	N := len(ws.w)
	d := ws.dims
	s := d[0]
	// Right partials B_j = W_{1:j−1}: B_2 = W_1, B_{j+1} = W_j B_j.
	right := func(j int) blas64.General {
		if j == 2 {
			return ws.w[0]
		}
		return ws.chain[j-3]
	}
	for j := 2; j <= N; j++ {
		gemm(false, false, 1, ws.w[j-1], right(j), false, ws.chain[j-2], ws.scratch)
	}
	p := ws.w[0] // B_{N+1} = W_{1:N}
	if N >= 2 {
		p = ws.chain[N-2]
	}
	loss, err := ws.errorAndLoss(p, ph)
	if err != nil || ws.hold(loss) {
		return loss, err
	}
	// Sweep j = N..1 with Q_j = W_{j+1:N}ᵀ E.
	qj := ws.e
	for j := N; j >= 1; j-- {
		wj := ws.w[j-1]
		if j == 1 {
			axpyGeneral(-eta, qj, wj) // B_1 = I
			break
		}
		next := shaped(ws.carry[j%2], d[j-1], s)
		gemm(true, false, 1, wj, qj, false, next, ws.scratch) // Q_{j−1} = W_jᵀ Q_j (old W_j)
		gemm(false, true, -eta, qj, right(j), true, wj, ws.scratch)
		qj = next
	}
	return loss, nil
}
