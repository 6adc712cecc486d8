//go:build linux

package model_test

import (
	"runtime"
	"syscall"
)

// threadCPU returns the calling thread's user+system CPU time in ns
// (getrusage RUSAGE_THREAD); lockThread pins the goroutine so that it
// stays meaningful. On a machine shared with other jobs this is steadier
// than wall time, which also counts the time the thread waits for a core.
func threadCPU() int64 {
	var ru syscall.Rusage
	if err := syscall.Getrusage(1 /* RUSAGE_THREAD */, &ru); err != nil {
		return -1
	}
	return ru.Utime.Nano() + ru.Stime.Nano()
}

func lockThread() func() {
	runtime.LockOSThread()
	return runtime.UnlockOSThread
}
