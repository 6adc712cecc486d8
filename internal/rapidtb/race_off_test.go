//go:build !race

package rapidtb_test

const raceEnabled = false
