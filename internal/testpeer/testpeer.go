//go:build unix

// Package testpeer is a misbehaving external stepper for tests of the
// extstep protocol client and of the CLI: a test binary calls MaybeRun
// from an init function, and a command line "DLNVERIFY_TESTPEER=mode
// /path/to/test.binary" then serves model.Reference over the protocol
// (extstep.Serve) with the fault named by mode injected into its
// output.
//
// Modes (M counts step replies, 1-based; the hello reply is not counted):
//
//	ok          a correct peer
//	exit:M      exit with status 3 instead of sending reply M
//	kill:M      SIGKILL itself instead of sending reply M
//	hang:M      never send reply M (the client's timeout fires)
//	shape:M     reply M declares d_1 one larger
//	nan:M       reply M carries a NaN in W_1 of its first step
//	garbage:M   reply M starts with text instead of the magic
//	reqid:M     reply M echoes the wrong request id
//	stdout      print a line to stdout before the hello reply
//	version     the hello reply declares protocol version 2
//	float32     a correct peer that declares precision 32
package testpeer

import (
	"encoding/binary"
	"fmt"
	"io"
	"math"
	"os"
	"strconv"
	"strings"
	"syscall"
	"time"

	"github.com/dlnverify/dlnverify/extstep"
	"github.com/dlnverify/dlnverify/model"
)

// Env is the environment variable that selects the mode.
const Env = "DLNVERIFY_TESTPEER"

// Command is the command line that runs the current test binary as a peer
// in the given mode.
func Command(mode string) string {
	return "exec env " + Env + "=" + mode + " " + strconv.Quote(os.Args[0])
}

// MaybeRun serves as a peer and exits when Env is set; otherwise it
// returns at once.
func MaybeRun() {
	mode, ok := os.LookupEnv(Env)
	if !ok {
		return
	}
	name, at, _ := strings.Cut(mode, ":")
	m, _ := strconv.Atoi(at)
	bits := 64
	if name == "float32" {
		bits = 32
	}
	w := &faultWriter{w: os.Stdout, mode: name, at: m}
	if err := extstep.Serve(model.Reference{}, "testpeer-"+name, bits, os.Stdin, w); err != nil {
		fmt.Fprintln(os.Stderr, "testpeer:", err)
		os.Exit(1)
	}
	os.Exit(0)
}

// faultWriter sees each frame as one Write (frames are small in tests)
// and injects the fault.
type faultWriter struct {
	w      io.Writer
	mode   string
	at     int
	frames int
}

func (f *faultWriter) Write(b []byte) (int, error) {
	f.frames++
	reply := f.frames - 1 // 0 is the hello reply
	if reply == 0 {
		switch f.mode {
		case "stdout":
			fmt.Fprintln(f.w, "loading the model…")
		case "version":
			b = append([]byte(nil), b...)
			binary.LittleEndian.PutUint32(b[4:], 2)
		}
		return f.w.Write(b)
	}
	if reply != f.at {
		return f.w.Write(b)
	}
	b = append([]byte(nil), b...)
	switch f.mode {
	case "exit":
		os.Exit(3)
	case "kill":
		_ = syscall.Kill(os.Getpid(), syscall.SIGKILL)
		time.Sleep(time.Hour)
	case "hang":
		time.Sleep(time.Hour)
	case "shape":
		d1 := binary.LittleEndian.Uint32(b[20+8+4:])
		binary.LittleEndian.PutUint32(b[20+8+4:], d1+1)
	case "garbage":
		b = append([]byte("Traceback (most recent call last):\n"), b...)
	case "reqid":
		binary.LittleEndian.PutUint64(b[12:], binary.LittleEndian.Uint64(b[12:])+1)
	case "nan":
		n := int(binary.LittleEndian.Uint32(b[20:]))
		off := 20 + 8 + 4*(n+1) + 8 // header, N and k, dims, the first loss
		binary.LittleEndian.PutUint64(b[off:], math.Float64bits(math.NaN()))
	}
	return f.w.Write(b)
}
