//go:build !unix

package extstep

import "os/exec"

func setProcessGroup(*exec.Cmd) {}

func killGroup(cmd *exec.Cmd) { _ = cmd.Process.Kill() }

func isBrokenPipe(error) bool { return false }
