//go:build unix

package extstep

import (
	"errors"
	"os/exec"
	"syscall"
)

// setProcessGroup starts the peer in its own process group, so that
// killGroup also ends whatever the command line started (sh, python, …).
func setProcessGroup(cmd *exec.Cmd) {
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true}
}

func killGroup(cmd *exec.Cmd) {
	_ = syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL)
}

func isBrokenPipe(err error) bool { return errors.Is(err, syscall.EPIPE) }
