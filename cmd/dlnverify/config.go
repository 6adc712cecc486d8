package main

import (
	"bytes"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"

	"gonum.org/v1/gonum/mat"

	"github.com/dlnverify/dlnverify/invariants"
	"github.com/dlnverify/dlnverify/model"
)

// trainConfig is the JSON configuration of `dlnverify train --config FILE`
// (docs/cli.md documents it). Exactly one of Layers and Init is given.
// Pointer fields distinguish "missing" from zero.
type trainConfig struct {
	Phi     [][]float64   `json:"phi"`              // Φ, d_N×d_0, a list of rows (required)
	Layers  [][][]float64 `json:"layers,omitempty"` // W_1..W_N, each a list of rows
	Init    *initSpec     `json:"init,omitempty"`   // or an initialisation
	Eta     *etaSpec      `json:"eta"`              // step size, or "t1" (required)
	Steps   *int          `json:"steps"`            // GD steps K ≥ 0 (required)
	Epsilon *float64      `json:"epsilon,omitempty"`
	Stride  *int          `json:"stride,omitempty"` // record every Stride-th iterate; default 200–400 iterates spread over the steps run
	Flow    *bool         `json:"flow,omitempty"`   // gradient flow (RK4) for time steps·η instead of GD
	Dt      *float64      `json:"dt,omitempty"`     // RK4 step for flow; default η
	Impl    *string       `json:"impl,omitempty"`   // GD implementation: "fast" (default) or "reference"
}

// initSpec is an initialisation by kind.
type initSpec struct {
	Kind      string      `json:"kind"`                // balanced | gaussian | identity
	Dims      []int       `json:"dims"`                // d_0..d_N
	Std       *float64    `json:"std,omitempty"`       // entry std s (gaussian; balanced without "a")
	Seed      *uint64     `json:"seed,omitempty"`      // default 1
	A         [][]float64 `json:"a,omitempty"`         // balanced: the end-to-end matrix for Procedure 1
	Insert    *bool       `json:"insert,omitempty"`    // balanced: random orthogonal insertion (P1)
	Imbalance *float64    `json:"imbalance,omitempty"` // then unbalance the start to this D1 value δ
}

// etaSpec is a step size: a positive number, or "t1" for Theorem 1's η
// bound at the start's measured margin.
type etaSpec struct {
	value float64
	t1    bool
}

func (e *etaSpec) UnmarshalJSON(b []byte) error {
	var s string
	if json.Unmarshal(b, &s) == nil {
		return e.Set(s)
	}
	var v float64
	if err := json.Unmarshal(b, &v); err != nil {
		return fmt.Errorf(`eta must be a number or "t1" (got %s)`, b)
	}
	e.value, e.t1 = v, false
	return nil
}

// MarshalJSON writes the step as a number, or "t1".
func (e etaSpec) MarshalJSON() ([]byte, error) {
	if e.t1 {
		return []byte(`"t1"`), nil
	}
	return json.Marshal(e.value)
}

func (e *etaSpec) String() string {
	if e == nil {
		return ""
	}
	if e.t1 {
		return "t1"
	}
	return strconv.FormatFloat(e.value, 'g', -1, 64)
}

// Set implements flag.Value.
func (e *etaSpec) Set(s string) error {
	if strings.EqualFold(strings.TrimSpace(s), "t1") {
		e.value, e.t1 = 0, true
		return nil
	}
	v, err := strconv.ParseFloat(strings.TrimSpace(s), 64)
	if err != nil {
		return fmt.Errorf(`eta must be a number or "t1" (got %q)`, s)
	}
	e.value, e.t1 = v, false
	return nil
}

// readTrainConfig reads a JSON configuration strictly: unknown fields and
// trailing data are errors.
func readTrainConfig(path string) (trainConfig, error) {
	var cfg trainConfig
	b, err := os.ReadFile(path)
	if err != nil {
		return cfg, fmt.Errorf("cannot read config: %w", err)
	}
	if err := decodeStrict(b, &cfg); err != nil {
		return cfg, fmt.Errorf("config %s: %w", path, err)
	}
	return cfg, nil
}

func decodeStrict(b []byte, v any) error {
	dec := json.NewDecoder(bytes.NewReader(b))
	dec.DisallowUnknownFields()
	if err := dec.Decode(v); err != nil {
		if errors.Is(err, io.EOF) {
			return fmt.Errorf("empty JSON")
		}
		var se *json.SyntaxError
		if errors.As(err, &se) {
			return fmt.Errorf("invalid JSON at byte %d: %v (NaN and Inf are not JSON numbers)", se.Offset, err)
		}
		return fmt.Errorf("invalid JSON: %v", err)
	}
	if dec.More() {
		return fmt.Errorf("invalid JSON: trailing data after the JSON value")
	}
	var extra json.RawMessage
	if err := dec.Decode(&extra); !errors.Is(err, io.EOF) {
		return fmt.Errorf("invalid JSON: trailing data after the JSON value")
	}
	return nil
}

// trainSetup is a validated configuration, ready to run.
type trainSetup struct {
	phi     *mat.Dense
	net     *model.Net
	eta     float64
	etaRule string // "given" or "t1"
	steps   int
	epsilon float64
	stride  int
	points  int // model.RunConfig.Points when no stride is given
	flow    bool
	dt      float64
	impl    model.Stepper
	hyp     invariants.Theorem1 // Theorem 1's hypotheses measured at the start
	// stability is the classical stability limit 2/λ_max(∇²L^N) at the
	// start (model.Sharpness); NaN when it cannot be computed.
	stability float64
}

// trainPoints is how many iterates train records without a stride: 200 to
// 400 spread over the steps the run actually took (model.RunConfig.Points).
const trainPoints = 200

// maxTrainSteps bounds steps so that a typo cannot start a run of years.
const maxTrainSteps = 1 << 40

// setup validates cfg and builds the start.
func (cfg trainConfig) setup() (*trainSetup, error) {
	if cfg.Phi == nil {
		return nil, fmt.Errorf(`missing "phi" (the target Φ, d_N×d_0, a list of rows)`)
	}
	phi, err := model.DenseFromRows(cfg.Phi)
	if err != nil {
		return nil, fmt.Errorf("phi: %w", err)
	}
	var net *model.Net
	switch {
	case cfg.Layers != nil && cfg.Init != nil:
		return nil, fmt.Errorf(`give either "layers" or "init", not both`)
	case cfg.Layers != nil:
		net, err = model.NewNetFromRows(cfg.Layers)
		if err != nil {
			return nil, fmt.Errorf("layers: %w", err)
		}
	case cfg.Init != nil:
		net, err = cfg.Init.build(phi)
		if err != nil {
			return nil, fmt.Errorf("init: %w", err)
		}
	default:
		return nil, fmt.Errorf(`missing "layers" (W_1..W_N) or "init" (an initialisation)`)
	}
	if err := net.CheckTarget(phi); err != nil {
		return nil, fmt.Errorf("phi and layers disagree: %w", err)
	}
	s := &trainSetup{phi: phi, net: net}
	if cfg.Steps == nil {
		return nil, fmt.Errorf(`missing "steps" (the number of GD steps)`)
	}
	s.steps = *cfg.Steps
	if s.steps < 0 || int64(s.steps) > maxTrainSteps {
		return nil, fmt.Errorf("steps = %d must be in [0, 2^40]", s.steps)
	}
	if cfg.Epsilon != nil {
		s.epsilon = *cfg.Epsilon
		if !(s.epsilon >= 0) || math.IsInf(s.epsilon, 0) {
			return nil, fmt.Errorf("epsilon = %v must be finite and ≥ 0 (0 disables the stop rule)", s.epsilon)
		}
	}
	s.points = trainPoints
	if cfg.Stride != nil {
		s.points = 0
		s.stride = *cfg.Stride
		if s.stride < 0 {
			return nil, fmt.Errorf("stride = %d must be ≥ 0 (0 records the first and last iterate only)", s.stride)
		}
	}
	if cfg.Flow != nil {
		s.flow = *cfg.Flow
	}
	implName := defaultImpl
	if cfg.Impl != nil {
		if s.flow {
			return nil, fmt.Errorf("impl %q applies to GD, not to gradient flow", *cfg.Impl)
		}
		implName = *cfg.Impl
	}
	if s.impl, err = stepperByName(implName); err != nil {
		return nil, err
	}
	// Theorem 1 at the measured margin, first without η to get its bound.
	s.hyp = invariants.CheckTheorem1(net, phi, 0, 0)
	if cfg.Eta == nil {
		return nil, fmt.Errorf(`missing "eta" (a step size > 0, or "t1" for Theorem 1's bound)`)
	}
	if cfg.Eta.t1 {
		if !(s.hyp.C > 0) {
			return nil, fmt.Errorf(`eta "t1" needs a start with deficiency margin c > 0 (measured %.4g); give eta as a number`, s.hyp.C)
		}
		s.eta, s.etaRule = s.hyp.EtaBound, "t1"
		if !(s.eta > 0) || math.IsInf(s.eta, 0) {
			return nil, fmt.Errorf(`eta "t1": Theorem 1's η* = %v at margin c = %.4g is outside float64's range; give eta as a number`, s.eta, s.hyp.C)
		}
	} else {
		s.eta, s.etaRule = cfg.Eta.value, "given"
	}
	if !(s.eta > 0) || math.IsInf(s.eta, 0) {
		return nil, fmt.Errorf("eta = %v must be a finite positive number", s.eta)
	}
	s.hyp = invariants.CheckTheorem1(net, phi, s.eta, 0)
	s.stability = math.NaN()
	if lam, err := model.Sharpness(net, phi); err == nil {
		s.stability = 2 / lam // NaN stays NaN
	}
	if cfg.Dt != nil {
		if !s.flow {
			return nil, fmt.Errorf("dt applies to gradient flow only (set flow / --flow)")
		}
		s.dt = *cfg.Dt
		if !(s.dt > 0) || math.IsInf(s.dt, 0) {
			return nil, fmt.Errorf("dt = %v must be a finite positive number", s.dt)
		}
	} else if s.flow {
		s.dt = s.eta
	}
	return s, nil
}

func (in *initSpec) build(phi *mat.Dense) (*model.Net, error) {
	if in.Dims == nil {
		return nil, fmt.Errorf(`missing "dims" (d_0..d_N)`)
	}
	if len(in.Dims) < 2 {
		return nil, fmt.Errorf("dims %v must list d_0..d_N with N ≥ 1", in.Dims)
	}
	for i, d := range in.Dims {
		if d < 1 || d > 4096 {
			return nil, fmt.Errorf("d_%d = %d must be in [1, 4096]", i, d)
		}
	}
	N := len(in.Dims) - 1
	r, c := phi.Dims()
	if in.Dims[0] != c || in.Dims[N] != r {
		return nil, fmt.Errorf("dims %v give d_N×d_0 = %d×%d but phi is %d×%d", in.Dims, in.Dims[N], in.Dims[0], r, c)
	}
	seed := uint64(1)
	if in.Seed != nil {
		seed = *in.Seed
	}
	rng := model.NewRand(seed)
	unused := func(field string) error {
		return fmt.Errorf("%q is not used by kind %q", field, in.Kind)
	}
	var (
		net *model.Net
		err error
	)
	switch in.Kind {
	case "balanced":
		switch {
		case in.A != nil && in.Std != nil:
			return nil, fmt.Errorf(`balanced: give "a" (the end-to-end matrix) or "std" (A Gaussian), not both`)
		case in.A == nil && in.Std == nil:
			return nil, fmt.Errorf(`balanced: missing "a" (the end-to-end matrix) or "std" (A with i.i.d. N(0, std²) entries)`)
		}
		var ins = rng
		if in.Insert == nil || !*in.Insert {
			ins = nil
		}
		if in.A != nil {
			a, aerr := model.DenseFromRows(in.A)
			if aerr != nil {
				return nil, fmt.Errorf("a: %w", aerr)
			}
			net, err = model.Balanced(a, in.Dims, ins)
		} else {
			if err := checkStd(*in.Std); err != nil {
				return nil, err
			}
			net, err = model.BalancedGaussian(in.Dims, *in.Std, rng, ins != nil)
		}
	case "gaussian":
		if in.A != nil {
			return nil, unused("a")
		}
		if in.Insert != nil {
			return nil, unused("insert")
		}
		if in.Std == nil {
			return nil, fmt.Errorf(`gaussian: missing "std" (the entry standard deviation)`)
		}
		if err := checkStd(*in.Std); err != nil {
			return nil, err
		}
		net, err = model.Gaussian(in.Dims, *in.Std, rng)
	case "identity":
		for _, f := range []struct {
			name string
			set  bool
		}{{"a", in.A != nil}, {"std", in.Std != nil}, {"insert", in.Insert != nil}, {"seed", in.Seed != nil && in.Imbalance == nil}} {
			if f.set {
				return nil, unused(f.name)
			}
		}
		for i, d := range in.Dims {
			if d != in.Dims[0] {
				return nil, fmt.Errorf("identity needs all widths equal (d_%d = %d ≠ d_0 = %d)", i, d, in.Dims[0])
			}
		}
		net, err = model.Identity(in.Dims[0], N)
	case "":
		return nil, fmt.Errorf(`missing "kind" (balanced, gaussian or identity)`)
	default:
		return nil, fmt.Errorf("unknown kind %q (balanced, gaussian or identity)", in.Kind)
	}
	if err != nil {
		return nil, err
	}
	if in.Imbalance != nil {
		d := *in.Imbalance
		if !(d >= 0) || math.IsInf(d, 0) {
			return nil, fmt.Errorf("imbalance = %v must be finite and ≥ 0", d)
		}
		if net, err = model.PerturbImbalance(net, d, rng); err != nil {
			return nil, err
		}
	}
	return net, nil
}

// maxStd keeps Gaussian entries far from overflow in the products.
const maxStd = 1e6

func checkStd(s float64) error {
	if !(s >= 0) || s > maxStd {
		return fmt.Errorf("std = %v must be in [0, %g]", s, maxStd)
	}
	return nil
}

// defaultImpl is the GD implementation every command uses unless told
// otherwise (--impl, "impl"): model.Fast, differential-tested against
// model.Reference, which --impl reference selects.
const defaultImpl = "fast"

// implementations are the GD implementations by --impl name. Each call
// makes a new stepper: a Fast holds a workspace and serves one goroutine.
var implementations = map[string]func() model.Stepper{
	"reference": func() model.Stepper { return model.Reference{} },
	"fast":      func() model.Stepper { return model.NewFast() },
}

// stepperFactory returns the constructor of the named implementation.
// An external stepper (exec:) starts a process that can fail and must be
// closed, so it has no factory; stepperByName starts it.
func stepperFactory(name string) (func() model.Stepper, error) {
	if isExec(name) {
		return nil, fmt.Errorf("--impl %s: external steppers are for verify, train and falsify", shellQuote(name))
	}
	if f, ok := implementations[name]; ok {
		return f, nil
	}
	return nil, fmt.Errorf("unknown impl %q (%s)", name, implUsage(false))
}

// stepperByName returns a new stepper of the named implementation: one of
// implementations, or exec:'CMD ARGS', an external stepper in a new
// process (the caller closes it with closeStepper).
func stepperByName(name string) (model.Stepper, error) {
	if isExec(name) {
		return startExec(name)
	}
	f, ok := implementations[name]
	if !ok {
		return nil, fmt.Errorf("unknown impl %q (%s)", name, implUsage(true))
	}
	return f(), nil
}

// parseMatrix parses "a,b;c,d" (rows separated by ';', entries by ',').
func parseMatrix(s string) ([][]float64, error) {
	var rows [][]float64
	for i, r := range strings.Split(s, ";") {
		var row []float64
		for _, f := range strings.Split(r, ",") {
			v, err := strconv.ParseFloat(strings.TrimSpace(f), 64)
			if err != nil {
				return nil, fmt.Errorf("row %d: %q is not a number", i, strings.TrimSpace(f))
			}
			row = append(row, v)
		}
		rows = append(rows, row)
	}
	return rows, nil
}

// parseInts parses "2,3,1".
func parseInts(s string) ([]int, error) {
	var out []int
	for _, f := range strings.Split(s, ",") {
		v, err := strconv.Atoi(strings.TrimSpace(f))
		if err != nil {
			return nil, fmt.Errorf("%q is not an integer", strings.TrimSpace(f))
		}
		out = append(out, v)
	}
	return out, nil
}
