package main

import (
	"fmt"
	"io"
)

func cmdVerify(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not yet available")
}

func cmdFalsify(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not yet available")
}

func cmdExperiment(args []string, stdout, stderr io.Writer) error {
	return fmt.Errorf("not yet available (package internal/experiment has not landed)")
}
