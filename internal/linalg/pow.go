package linalg

import "math"

// smallestNormal is 2^−1022, the least positive normal float64.
const smallestNormal = 0x1p-1022

// Pow is math.Pow(x, p) made correct for subnormal x (0 < x < 2^−1022).
// On amd64, Go's math.Log does not normalise subnormal inputs
// (golang/go#56600), so math.Pow with an exponent that is neither an
// integer nor ±½ returns values wrong by many orders of magnitude there:
// math.Pow(5e-324, 0.25) gives 1.03e-77 instead of 1.49e-81. Pow rescales
// such x by 2^64 (exact) and compensates: x^p = (x·2^64)^p · 2^{−64p}.
// Every other input goes to math.Pow unchanged.
func Pow(x, p float64) float64 {
	if x > 0 && x < smallestNormal {
		return math.Pow(x*0x1p64, p) * math.Pow(2, -64*p)
	}
	return math.Pow(x, p)
}

// Log is math.Log(x) made correct for subnormal x, for the same reason as
// Pow: x·2^64 is exact and normal, and ln x = ln(x·2^64) − 64 ln 2.
func Log(x float64) float64 {
	if x > 0 && x < smallestNormal {
		return math.Log(x*0x1p64) - 64*math.Ln2
	}
	return math.Log(x)
}
