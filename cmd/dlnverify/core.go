package main

import (
	"fmt"

	"github.com/dlnverify/dlnverify/internal/selfcheck"
)

// coreResult is verify's core self-check (internal/selfcheck.Core): every
// measurement and bound against numpy golden tables and independent
// references, and model.Fast against model.Reference step by step across
// shapes and Φ types. It takes well under a second. It does not replace
// the gate, which is `go test ./...` (docs/gate.md); it makes a verify run
// on a broken core fail even where no claim property would notice.
type coreResult struct {
	Passed      bool    `json:"passed"`
	Comparisons int     `json:"comparisons"` // measurement and bound comparisons
	Steps       int     `json:"steps"`       // Fast-vs-Reference steps compared
	Detail      string  `json:"detail"`
	Seconds     float64 `json:"seconds"`
}

// coreCheck is selfcheck.Core; a test replaces it with a failing one.
var coreCheck = selfcheck.Core

func runCore(seed uint64) coreResult {
	r := coreCheck(seed)
	return coreResult{Passed: r.OK(), Comparisons: r.Measurements.Checks, Steps: r.Steps, Detail: r.Summary(), Seconds: r.Elapsed.Seconds()}
}

// text is the line verify prints before its table.
func (c coreResult) text() string {
	res := "PASS"
	if !c.Passed {
		res = "FAIL"
	}
	return fmt.Sprintf("core self-check: %s (%d measurement/bound comparisons, %d Fast-vs-Reference steps, %.2fs; the full gate is go test ./...)",
		res, c.Comparisons, c.Steps, c.Seconds)
}
