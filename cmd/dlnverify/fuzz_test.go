package main

// Fuzz test of the JSON config reader of `dlnverify train --config`
// (issue 7): decodeStrict followed by trainConfig.setup, on arbitrary
// bytes. Either an error comes back, or a setup whose every field meets the
// documented contract. Inputs are capped at 8 KiB, and configurations whose
// initialisation would allocate more than fuzzMaxParams weights are skipped
// (setup accepts widths up to 4096, which is a legitimate but slow start,
// not a hang).
//
//	go test ./cmd/dlnverify/ -run '^$' -fuzz '^FuzzTrainConfig$' -fuzztime 60s

import (
	"math"
	"testing"
)

// fuzzMaxParams bounds Σ_j d_j·d_{j−1} for init configurations under fuzzing.
const fuzzMaxParams = 4096

func FuzzTrainConfig(f *testing.F) {
	for _, s := range []string{
		explicitConfig,
		`{"phi":[[1,0],[0,1]],"init":{"kind":"gaussian","dims":[2,2,2,2],"std":2,"seed":1},"eta":5,"steps":1000,"stride":1}`,
		`{"phi":[[1.1,0.1],[0,0.9]],"init":{"kind":"identity","dims":[2,2,2,2]},"eta":"t1","steps":50}`,
		`{"phi":[[1.1,0.1],[0,0.9]],"init":{"kind":"identity","dims":[2,2,2],"imbalance":0.01,"seed":5},"eta":0.01,"steps":50}`,
		`{"phi":[[0.9,0.2],[-0.1,0.7]],"init":{"kind":"balanced","dims":[2,3,2],"a":[[0.8,0.1],[0,0.6]],"insert":true},"eta":"t1","steps":10}`,
		`{"phi":[[0.5]],"init":{"kind":"balanced","dims":[1,4,1],"std":0.3},"eta":1e-3,"steps":0,"flow":true,"dt":1e-4}`,
		`{"phi":[[1]],"layers":[[[1]],[[1]]],"eta":0.1,"steps":5,"impl":"fast","epsilon":1e-9}`,
		`{"phi":[[1e308]],"layers":[[[1e308]]],"eta":1e-300,"steps":1}`,
		`{"phi":[[1,2]`,
		`{"phi":[[1]],"layers":[[[1]]],"eta":NaN,"steps":1}`,
		`{"phi":[[1]],"layers":[[[1]]],"eta":0.1,"steps":-1}`,
		`{"phi":[[1]],"layers":[[[1]]],"eta":0.1,"steps":1} {}`,
		`{"phi":[[1],[2]],"init":{"kind":"identity","dims":[1,1]},"eta":"t1","steps":1}`,
		``,
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) {
		if len(data) > 8192 {
			return
		}
		var cfg trainConfig
		if err := decodeStrict(data, &cfg); err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if cfg.Init != nil {
			params := 0
			for i := 1; i < len(cfg.Init.Dims); i++ {
				params += max(cfg.Init.Dims[i], 0) * max(cfg.Init.Dims[i-1], 0)
				if params > fuzzMaxParams || cfg.Init.Dims[i] > fuzzMaxParams {
					return
				}
			}
		}
		s, err := cfg.setup()
		if err != nil {
			if err.Error() == "" {
				t.Fatal("empty error message")
			}
			return
		}
		if s.net == nil || s.phi == nil || s.impl == nil {
			t.Fatalf("setup returned an incomplete start: %+v", s)
		}
		if err := s.net.CheckTarget(s.phi); err != nil {
			t.Fatalf("setup accepted Φ and layers that disagree: %v", err)
		}
		if !s.net.Finite() {
			t.Fatal("setup built a non-finite start")
		}
		if !(s.eta > 0) || math.IsInf(s.eta, 0) {
			t.Fatalf("setup accepted η = %v", s.eta)
		}
		if s.steps < 0 || int64(s.steps) > maxTrainSteps || s.stride < 0 {
			t.Fatalf("setup accepted steps %d, stride %d", s.steps, s.stride)
		}
		if !(s.epsilon >= 0) || math.IsInf(s.epsilon, 0) {
			t.Fatalf("setup accepted ε = %v", s.epsilon)
		}
		if s.flow && (!(s.dt > 0) || math.IsInf(s.dt, 0)) {
			t.Fatalf("setup accepted dt = %v for a flow", s.dt)
		}
		if s.etaRule == "t1" {
			// η from Theorem 1 requires a measured margin; the hypotheses
			// record must say the margin is positive and η equals the bound.
			if !(s.hyp.C > 0) || s.eta != s.hyp.EtaBound {
				t.Fatalf(`eta "t1" gave η = %v with hypotheses %+v`, s.eta, s.hyp)
			}
		}
		if s.hyp.Holds() && !(s.hyp.C > 0 && s.hyp.Delta <= s.hyp.DeltaBound && s.hyp.Eta <= s.hyp.EtaBound) {
			t.Fatalf("Theorem 1 reported to hold with %+v", s.hyp)
		}
	})
}

// FuzzFlagParsers: the --phi/--layers/--dims flag parsers never panic and
// return finite-or-error values of the right count.
func FuzzFlagParsers(f *testing.F) {
	for _, s := range []string{"1,2;3,4", "0.5", "1,,2", ";", "2,3,1", "NaN,Inf", " 7 , -3 ", "1e309"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 4096 {
			return
		}
		if rows, err := parseMatrix(s); err == nil && len(rows) == 0 {
			t.Fatalf("parseMatrix(%q) returned no rows and no error", s)
		}
		if ints, err := parseInts(s); err == nil && len(ints) == 0 {
			t.Fatalf("parseInts(%q) returned no integers and no error", s)
		}
	})
}
