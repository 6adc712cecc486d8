package main

import (
	"fmt"
	"io"
)

func cmdFalsify(args []string, stdout, stderr io.Writer) error {
	fs := newFlags("falsify", "falsify [--json]")
	fs.Bool("json", false, "print the counterexamples as JSON")
	if err := fs.parse(args, stdout); err != nil {
		return err
	}
	return fmt.Errorf("not yet available (package counterexamples has no searches yet)")
}
