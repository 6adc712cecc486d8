//go:build !amd64 || purego

package model

// Without the amd64 assembly the kernels below are never called
// (haveAVX2FMA is false); they exist so the package builds everywhere.

const haveAVX2FMA = false

func axpyAVX2(alpha float64, x, y []float64) { axpyGo(alpha, x, y) }

func dotAVX2(x, y []float64) float64 { return dotGo(x, y) }
