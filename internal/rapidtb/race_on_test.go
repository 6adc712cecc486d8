//go:build race

package rapidtb_test

// raceEnabled: this test binary runs under the race detector, so the
// racer is built with -race too.
const raceEnabled = true
