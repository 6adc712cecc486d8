// Command gostepper-peer serves examples/gostepper over the external
// stepper protocol (docs/external.md) on stdin/stdout:
//
//	dlnverify verify --impl exec:'go run ./examples/gostepper/cmd/gostepper-peer'
//	dlnverify verify --impl exec:'go run ./examples/gostepper/cmd/gostepper-peer -broken'
package main

import (
	"flag"
	"fmt"
	"os"

	"github.com/dlnverify/dlnverify/examples/gostepper"
	"github.com/dlnverify/dlnverify/extstep"
)

func main() {
	broken := flag.Bool("broken", false, "serve the deliberately broken variant (transposed residual)")
	flag.Parse()
	s := gostepper.Stepper{Broken: *broken}
	if err := extstep.Serve(s, s.Name(), 64, os.Stdin, os.Stdout); err != nil {
		fmt.Fprintln(os.Stderr, "gostepper-peer:", err)
		os.Exit(1)
	}
}
