package gostepper_test

import (
	"os"
	"strings"
	"testing"

	"github.com/dlnverify/dlnverify/examples/gostepper"
	proofs "github.com/dlnverify/dlnverify/proofs_test"
)

// cheapGD are the GD properties that take one step or a few per case: the
// default `go test` checks the example against them in about a second.
// DLNVERIFY_GOSTEPPER_SUITE=1 runs every registered property instead
// (minutes: T1's full horizon, L1 and L2 take 10⁴–10⁵ steps per case).
var cheapGD = []string{"G1", "G2", "S2", "S3"}

func selected(t *testing.T) []proofs.Property {
	all := proofs.All()
	if os.Getenv("DLNVERIFY_GOSTEPPER_SUITE") == "1" {
		return all
	}
	var out []proofs.Property
	for _, p := range all {
		for _, id := range cheapGD {
			if p.ID == id {
				out = append(out, p)
			}
		}
	}
	if len(out) < len(cheapGD) {
		t.Fatalf("only %d of the properties %v are registered", len(out), cheapGD)
	}
	return out
}

// TestGoStepperPassesTheClaims is how a Go team gates its own
// implementation: every selected property, run by proofs.Verify.
func TestGoStepperPassesTheClaims(t *testing.T) {
	for _, p := range selected(t) {
		o := proofs.Verify(p, gostepper.Stepper{})
		if !o.Passed {
			t.Errorf("%s_%s: %s", o.ID, o.Name, o.Failure)
			continue
		}
		t.Logf("%s_%s: PASS, %d cases, %d valid", o.ID, o.Name, o.Tried, o.Valid)
	}
}

// TestBrokenGoStepperIsRejected: the transposed residual fails the GD
// algebra claims, each with its claim ID in the message, a shrunk case
// and rapid's reproduction line.
func TestBrokenGoStepperIsRejected(t *testing.T) {
	failed, props := 0, selected(t)
	for _, p := range props {
		o := proofs.Verify(p, gostepper.Stepper{Broken: true})
		if o.Passed {
			continue
		}
		failed++
		for _, want := range []string{p.ID + " violated", "draw case: gen.GenericCase{Shape:", "To reproduce, specify -run="} {
			if !strings.Contains(o.Failure, want) {
				t.Errorf("%s_%s failed without %q:\n%s", o.ID, o.Name, want, o.Failure)
			}
		}
	}
	if failed == 0 || (len(props) == len(cheapGD) && failed < len(props)) {
		t.Fatalf("%d of %d properties rejected the broken stepper", failed, len(props))
	}
	t.Logf("%d properties rejected the transposed residual", failed)
}
