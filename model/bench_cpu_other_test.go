//go:build !linux

package model_test

func threadCPU() int64 { return -1 }

func lockThread() func() { return func() {} }
