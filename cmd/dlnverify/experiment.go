package main

import (
	"io"

	"github.com/dlnverify/dlnverify/internal/experiment"
)

// experimentAvailable reports whether internal/experiment is wired in.
const experimentAvailable = true

// cmdExperiment hands `dlnverify experiment …` to internal/experiment.Main,
// which parses its own flags and reports its own errors (one line on
// stderr, exit status 2).
func cmdExperiment(args []string, stdout, stderr io.Writer) error {
	if code := experiment.Main(args, stdout, stderr); code != 0 {
		return exitStatus(code)
	}
	return nil
}
