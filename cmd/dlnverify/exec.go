package main

import (
	"errors"
	"strings"

	"github.com/dlnverify/dlnverify/extstep"
	"github.com/dlnverify/dlnverify/model"
)

// execPrefix introduces an external stepper in --impl: exec:'CMD ARGS'
// runs CMD with /bin/sh -c and speaks docs/external.md's protocol to it.
const execPrefix = extstep.Prefix

// startExec starts the peer of an exec: impl (the timeout from
// extstep.TimeoutEnv).
func startExec(spec string) (model.Stepper, error) {
	o, err := extstep.OptionsFromEnv()
	if err != nil {
		return nil, err
	}
	cmd, _ := extstep.Command(spec)
	return extstep.Start(cmd, o)
}

// isExec reports whether an --impl value names an external stepper.
func isExec(name string) bool { _, ok := extstep.Command(name); return ok }

// closeStepper ends an external stepper's process; other steppers hold
// nothing.
func closeStepper(s model.Stepper) {
	if p, ok := s.(*extstep.Peer); ok {
		_ = p.Close()
	}
}

// peerFault is the fault that ended an external stepper's peer (crash,
// timeout, malformed reply, shape change, NaN), or nil. Such a fault is
// not a claim failing: the command stops and exits 2 with it.
func peerFault(s model.Stepper) error {
	p, ok := s.(*extstep.Peer)
	if !ok {
		return nil
	}
	var pe *extstep.PeerError
	if err := p.Err(); errors.As(err, &pe) {
		return err
	}
	return nil
}

// shellQuote quotes s for a POSIX shell when it needs it (a replay line
// with --impl exec:'python3 x.py').
func shellQuote(s string) string {
	if s != "" && !strings.ContainsAny(s, " \t\n'\"\\$`;&|<>()*?[]#~!{}") {
		return s
	}
	return "'" + strings.ReplaceAll(s, "'", `'\''`) + "'"
}
