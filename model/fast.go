package model

import (
	"fmt"
	"math"

	"gonum.org/v1/gonum/blas"
	"gonum.org/v1/gonum/blas/blas64"
	"gonum.org/v1/gonum/blas/gonum"
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
// Kernels (see gemm). On amd64 with AVX2+FMA (detected from CPUID/XCR0 at
// start-up) products are done by Go-assembly micro-kernels — 8×8 AVX-512,
// 4×8 and 4×4 AVX2 register blocks, with a transposed operand staged in the
// workspace — and the row-vector chains and rank-1 updates of the thin-end
// order by AVX2 axpy/dot kernels. Otherwise (other GOARCH, the purego build
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

// fastBLASMin is the multiply-add count from which, without the assembly
// kernels, a product goes to gonum's Dgemm instead of the Go loops (a
// 2⁵×2⁵×2⁴ product: below it Dgemm's argument checks and per-call overhead
// are a visible share; a judgement, not a tuned constant).
const fastBLASMin = 1 << 14

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
	// Sweep j = 1..N with R_j = E W_{1:j−1}ᵀ.
	rj := ws.e
	for j := 1; j <= N; j++ {
		wj := ws.w[j-1]
		if j == N {
			axpyGeneral(-eta, rj, wj) // A_N = I
			break
		}
		next := shaped(ws.carry[j%2], r, d[j])
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

// axpyGeneral sets y += α x for equal-shaped x, y.
func axpyGeneral(alpha float64, x, y blas64.General) {
	for i := 0; i < y.Rows; i++ {
		yr := y.Data[i*y.Stride : i*y.Stride+y.Cols]
		axpy(alpha, x.Data[i*x.Stride:i*x.Stride+y.Cols], yr)
	}
}

// fastVecMin is the vector length from which axpy and dot use the AVX2
// kernels (below it the call overhead outweighs the vector width).
const fastVecMin = 8

// axpy sets y += α x (len(y) ≥ len(x)).
func axpy(alpha float64, x, y []float64) {
	if haveAVX2FMA && len(x) >= fastVecMin {
		axpyAVX2(alpha, x, y[:len(x)])
		return
	}
	axpyGo(alpha, x, y)
}

// dot is Σ x_i y_i over len(x) (len(y) ≥ len(x)).
func dot(x, y []float64) float64 {
	if haveAVX2FMA && len(x) >= fastVecMin {
		return dotAVX2(x, y[:len(x)])
	}
	return dotGo(x, y)
}

func axpyGo(alpha float64, x, y []float64) {
	y = y[:len(x)]
	for i, v := range x {
		y[i] += alpha * v
	}
}

func dotGo(x, y []float64) float64 {
	y = y[:len(x)]
	var s float64
	for i, v := range x {
		s += v * y[i]
	}
	return s
}

// gemm sets C = α op(A) op(B) (add = false) or C += α op(A) op(B) (add =
// true), op(X) = Xᵀ when the flag is set. Shapes are the callers' to get
// right; C never aliases A or B; scratch holds at least k·n values (for a
// transposed B). Dispatch, first match: ≤ fastTinyMax multiply-adds → one
// strided loop; AVX2 and m, n, k ≥ 4 → micro-kernels (kernGemm); AVX2 and
// rows of ≥ 16 → axpy/dot rows (loopGemm); ≥ fastBLASMin → gonum Dgemm
// tiles; thin (m < 2, n < 4 or k < 4) → loopGemm; else 2×4 Go blocks.
func gemm(tA, tB bool, alpha float64, a, b blas64.General, add bool, c blas64.General, scratch []float64) {
	m, n := c.Rows, c.Cols
	k := a.Cols
	if tA {
		k = a.Rows
	}
	if m*n*k <= fastTinyMax {
		tinyGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if haveAVX2FMA && m >= 4 && n >= 4 && k >= 4 {
		if tB { // the micro-kernel wants op(B) row-major: transpose B once
			t := blas64.General{Rows: k, Cols: n, Stride: n, Data: scratch[:k*n]}
			transposeInto(t, b, n, k)
			b = t
		}
		kernGemm(tA, m, n, k, alpha, a, b, add, c)
		return
	}
	if haveAVX2FMA && ((!tB && n >= 2*fastVecMin) || (tB && k >= 2*fastVecMin)) {
		loopGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if m*n*k >= fastBLASMin {
		gemmBLAS(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	if m < 2 || n < 4 || k < 4 {
		loopGemm(tA, tB, m, n, k, alpha, a, b, add, c)
		return
	}
	smallGemm(tA, tB, m, n, k, alpha, a, b, add, c)
}

// smallGemm is C (+)= α op(A) op(B) blocked 2×4 in registers: each pass
// over l loads 2 + 4 values for 8 multiply-adds, and C is written once per
// block. The inner loops are specialised per transpose case so that the
// operands are read through re-sliced rows (one bounds check per row, not
// per element).
func smallGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	var s [8]float64
	i := 0
	for ; i+2 <= m; i += 2 {
		j := 0
		for ; j+4 <= n; j += 4 {
			switch {
			case !tA && !tB:
				s = blockNN(a.Data[i*a.Stride:i*a.Stride+k], a.Data[(i+1)*a.Stride:(i+1)*a.Stride+k], b.Data, j, b.Stride)
			case tA && !tB:
				s = blockTN(a.Data, i, a.Stride, b.Data, j, b.Stride, k)
			case !tA && tB:
				s = blockNT(a.Data[i*a.Stride:i*a.Stride+k], a.Data[(i+1)*a.Stride:(i+1)*a.Stride+k], b.Data, j, b.Stride)
			default:
				for q := range s {
					var v float64
					for l := 0; l < k; l++ {
						v += a.Data[l*a.Stride+i+q/4] * b.Data[(j+q%4)*b.Stride+l]
					}
					s[q] = v
				}
			}
			c0 := c.Data[i*c.Stride+j : i*c.Stride+j+4]
			c1 := c.Data[(i+1)*c.Stride+j : (i+1)*c.Stride+j+4]
			if add {
				c0[0] += alpha * s[0]
				c0[1] += alpha * s[1]
				c0[2] += alpha * s[2]
				c0[3] += alpha * s[3]
				c1[0] += alpha * s[4]
				c1[1] += alpha * s[5]
				c1[2] += alpha * s[6]
				c1[3] += alpha * s[7]
			} else {
				c0[0] = alpha * s[0]
				c0[1] = alpha * s[1]
				c0[2] = alpha * s[2]
				c0[3] = alpha * s[3]
				c1[0] = alpha * s[4]
				c1[1] = alpha * s[5]
				c1[2] = alpha * s[6]
				c1[3] = alpha * s[7]
			}
		}
		for ; j < n; j++ {
			for ii := i; ii < i+2; ii++ {
				gemmEntry(tA, tB, ii, j, k, alpha, a, b, add, c)
			}
		}
	}
	for ; i < m; i++ {
		for j := 0; j < n; j++ {
			gemmEntry(tA, tB, i, j, k, alpha, a, b, add, c)
		}
	}
}

// gemmEntry computes one entry C[i,j] (+)= α Σ_l op(A)(i,l) op(B)(l,j).
func gemmEntry(tA, tB bool, i, j, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ai, al := i*a.Stride, 1
	if tA {
		ai, al = i, a.Stride
	}
	bj, bl := j, b.Stride
	if tB {
		bj, bl = j*b.Stride, 1
	}
	var v float64
	for l := 0; l < k; l++ {
		v += a.Data[ai] * b.Data[bj]
		ai += al
		bj += bl
	}
	if add {
		c.Data[i*c.Stride+j] += alpha * v
	} else {
		c.Data[i*c.Stride+j] = alpha * v
	}
}

// blockNN returns Σ_l a_r[l] B[l, j..j+3] for the rows a0, a1 (length k)
// of A, B row-major with stride ldb.
func blockNN(a0, a1, b []float64, j, ldb int) (s [8]float64) {
	a1 = a1[:len(a0)]
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ib := j
	for l, x0 := range a0 {
		x1 := a1[l]
		bl := b[ib : ib+4 : ib+4]
		s00 += x0 * bl[0]
		s01 += x0 * bl[1]
		s02 += x0 * bl[2]
		s03 += x0 * bl[3]
		s10 += x1 * bl[0]
		s11 += x1 * bl[1]
		s12 += x1 * bl[2]
		s13 += x1 * bl[3]
		ib += ldb
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// blockTN returns Σ_l A[l, i..i+1] ⊗ B[l, j..j+3] (A is k×m, row-major).
func blockTN(a []float64, i, lda int, b []float64, j, ldb, k int) (s [8]float64) {
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	ia, ib := i, j
	for l := 0; l < k; l++ {
		al := a[ia : ia+2 : ia+2]
		bl := b[ib : ib+4 : ib+4]
		x0, x1 := al[0], al[1]
		s00 += x0 * bl[0]
		s01 += x0 * bl[1]
		s02 += x0 * bl[2]
		s03 += x0 * bl[3]
		s10 += x1 * bl[0]
		s11 += x1 * bl[1]
		s12 += x1 * bl[2]
		s13 += x1 * bl[3]
		ia += lda
		ib += ldb
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// blockNT returns the dot products of the rows a0, a1 (length k) of A with
// the rows j..j+3 of B (B row-major with stride ldb, so op(B) = Bᵀ).
func blockNT(a0, a1, b []float64, j, ldb int) (s [8]float64) {
	k := len(a0)
	a1 = a1[:k]
	b0 := b[j*ldb : j*ldb+k]
	b1 := b[(j+1)*ldb : (j+1)*ldb+k]
	b2 := b[(j+2)*ldb : (j+2)*ldb+k]
	b3 := b[(j+3)*ldb : (j+3)*ldb+k]
	var s00, s01, s02, s03, s10, s11, s12, s13 float64
	for l, x0 := range a0 {
		x1 := a1[l]
		y0, y1, y2, y3 := b0[l], b1[l], b2[l], b3[l]
		s00 += x0 * y0
		s01 += x0 * y1
		s02 += x0 * y2
		s03 += x0 * y3
		s10 += x1 * y0
		s11 += x1 * y1
		s12 += x1 * y2
		s13 += x1 * y3
	}
	return [8]float64{s00, s01, s02, s03, s10, s11, s12, s13}
}

// fastTinyMax is the multiply-add count up to which a product is one
// plain triple loop: for the smallest shapes call and dispatch overhead,
// not arithmetic, is the cost.
const fastTinyMax = 27

// tinyGemm is C (+)= α op(A) op(B) as a single strided triple loop.
func tinyGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ars, acs := a.Stride, 1
	if tA {
		ars, acs = 1, a.Stride
	}
	brs, bcs := b.Stride, 1
	if tB {
		brs, bcs = 1, b.Stride
	}
	for i := 0; i < m; i++ {
		cr := c.Data[i*c.Stride : i*c.Stride+n]
		for j := range cr {
			var v float64
			ia, ib := i*ars, j*bcs
			for l := 0; l < k; l++ {
				v += a.Data[ia] * b.Data[ib]
				ia += acs
				ib += brs
			}
			if add {
				cr[j] += alpha * v
			} else {
				cr[j] = alpha * v
			}
		}
	}
}

// transposeInto sets dst (k×n) = srcᵀ for src n×k, in 4×4 tiles.
func transposeInto(dst, src blas64.General, n, k int) {
	j := 0
	for ; j+4 <= n; j += 4 {
		s0 := src.Data[j*src.Stride : j*src.Stride+k]
		s1 := src.Data[(j+1)*src.Stride : (j+1)*src.Stride+k]
		s2 := src.Data[(j+2)*src.Stride : (j+2)*src.Stride+k]
		s3 := src.Data[(j+3)*src.Stride : (j+3)*src.Stride+k]
		s1, s2, s3 = s1[:len(s0)], s2[:len(s0)], s3[:len(s0)]
		for l, v0 := range s0 {
			d := dst.Data[l*dst.Stride+j : l*dst.Stride+j+4 : l*dst.Stride+j+4]
			d[0], d[1], d[2], d[3] = v0, s1[l], s2[l], s3[l]
		}
	}
	for ; j < n; j++ {
		for l, v := range src.Data[j*src.Stride : j*src.Stride+k] {
			dst.Data[l*dst.Stride+j] = v
		}
	}
}

// kernGemm is C (+)= α op(A) B (B not transposed) with the 8×8 AVX-512
// micro-kernel (where available) and the 4×8 and 4×4 AVX2 ones over the
// full blocks, and the Go loops on the edges.
func kernGemm(tA bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ars, acs := a.Stride, 1
	if tA {
		ars, acs = 1, a.Stride
	}
	n8 := n &^ 7
	n4 := n &^ 3 // n8 or n8 + 4
	i := 0
	if haveAVX512 {
		for ; i+8 <= m; i += 8 {
			ad := a.Data[i*ars:]
			for j := 0; j < n8; j += 8 {
				kern8x8(k, alpha, add, ad, ars, acs, b.Data[j:], b.Stride, c.Data[i*c.Stride+j:], c.Stride)
			}
			if n4 > n8 {
				kern4x4(k, alpha, add, ad, ars, acs, b.Data[n8:], b.Stride, c.Data[i*c.Stride+n8:], c.Stride)
				kern4x4(k, alpha, add, a.Data[(i+4)*ars:], ars, acs, b.Data[n8:], b.Stride, c.Data[(i+4)*c.Stride+n8:], c.Stride)
			}
		}
	}
	for ; i+4 <= m; i += 4 {
		ad := a.Data[i*ars:]
		for j := 0; j < n8; j += 8 {
			kern4x8(k, alpha, add, ad, ars, acs, b.Data[j:], b.Stride, c.Data[i*c.Stride+j:], c.Stride)
		}
		if n4 > n8 {
			kern4x4(k, alpha, add, ad, ars, acs, b.Data[n8:], b.Stride, c.Data[i*c.Stride+n8:], c.Stride)
		}
	}
	m4 := i
	if n4 < n { // right edge: rows [0, m4), columns [n4, n)
		bs := blas64.General{Rows: k, Cols: n - n4, Stride: b.Stride, Data: b.Data[n4:]}
		cs := blas64.General{Rows: m4, Cols: n - n4, Stride: c.Stride, Data: c.Data[n4:]}
		loopGemm(tA, false, m4, n-n4, k, alpha, a, bs, add, cs)
	}
	if m4 < m { // bottom edge: rows [m4, m), all columns
		as := blas64.General{Stride: a.Stride, Data: a.Data[m4*ars:]}
		cs := blas64.General{Rows: m - m4, Cols: n, Stride: c.Stride, Data: c.Data[m4*c.Stride:]}
		loopGemm(tA, false, m-m4, n, k, alpha, as, b, add, cs)
	}
}

// loopGemm is gemm by rows (axpy and dot forms), for thin products (a
// single row, fewer than 4 columns, or inner dimension below 4: the rank-1
// updates and row-vector chains of the thin-end order), where register
// blocking does not pay.
func loopGemm(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	if !add {
		for i := 0; i < m; i++ {
			clear(c.Data[i*c.Stride : i*c.Stride+n])
		}
	}
	switch {
	case !tA && !tB: // C[i,:] += α Σ_l A[i,l] B[l,:]
		for i := 0; i < m; i++ {
			cr := c.Data[i*c.Stride : i*c.Stride+n]
			ar := a.Data[i*a.Stride : i*a.Stride+k]
			for l, av := range ar {
				axpy(alpha*av, b.Data[l*b.Stride:l*b.Stride+n], cr)
			}
		}
	case !tA && tB: // C[i,j] += α A[i,:]·B[j,:]
		for i := 0; i < m; i++ {
			cr := c.Data[i*c.Stride : i*c.Stride+n]
			ar := a.Data[i*a.Stride : i*a.Stride+k]
			for jj := range cr {
				cr[jj] += alpha * dot(ar, b.Data[jj*b.Stride:jj*b.Stride+k])
			}
		}
	case tA && !tB: // C[i,:] += α Σ_l A[l,i] B[l,:]
		for l := 0; l < k; l++ {
			ar := a.Data[l*a.Stride : l*a.Stride+m]
			br := b.Data[l*b.Stride : l*b.Stride+n]
			for i, av := range ar {
				axpy(alpha*av, br, c.Data[i*c.Stride:i*c.Stride+n])
			}
		}
	default: // not used by Step; kept for completeness
		for i := 0; i < m; i++ {
			for jj := 0; jj < n; jj++ {
				var sum float64
				for l := 0; l < k; l++ {
					sum += a.Data[l*a.Stride+i] * b.Data[jj*b.Stride+l]
				}
				c.Data[i*c.Stride+jj] += alpha * sum
			}
		}
	}
}

// Output tiles for gonum's Dgemm: at most 64×128 entries is 2 of its 64×64
// blocks, below its threshold (4 blocks) for going parallel, so every call
// stays serial and allocation-free.
const (
	fastTileRows = 64
	fastTileCols = 128
)

var gonumBLAS gonum.Implementation

func gemmBLAS(tA, tB bool, m, n, k int, alpha float64, a, b blas64.General, add bool, c blas64.General) {
	ta, tb := blas.NoTrans, blas.NoTrans
	if tA {
		ta = blas.Trans
	}
	if tB {
		tb = blas.Trans
	}
	beta := 0.0
	if add {
		beta = 1
	}
	for i0 := 0; i0 < m; i0 += fastTileRows {
		mi := min(fastTileRows, m-i0)
		// Rows i0.. of op(A): A[i0:, :] or the columns i0.. of A.
		var aoff int
		if tA {
			aoff = i0
		} else {
			aoff = i0 * a.Stride
		}
		for j0 := 0; j0 < n; j0 += fastTileCols {
			nj := min(fastTileCols, n-j0)
			var boff int
			if tB {
				boff = j0 * b.Stride
			} else {
				boff = j0
			}
			gonumBLAS.Dgemm(ta, tb, mi, nj, k, alpha,
				a.Data[aoff:], a.Stride, b.Data[boff:], b.Stride,
				beta, c.Data[i0*c.Stride+j0:], c.Stride)
		}
	}
}
