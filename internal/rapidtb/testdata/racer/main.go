// Command racer reproduces the interleaving behind issue 14's data race in
// a fresh, non-test process (where the testing flags do not exist until
// rapidtb registers them): several workers start at the same instant, some
// running a rapid check, others reading the settings (as proofs' short()
// and ProbAlpha do), others changing nothing but reading the seed. Built
// with -race it must report no race; it prints "ok" when all workers end.
//
// TestWorkersStartingAtOnce builds and runs it.
package main

import (
	"fmt"
	"os"
	"sync"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

func main() {
	const workers = 8
	start := make(chan struct{})
	var wg sync.WaitGroup
	errs := make(chan string, workers)
	for w := range workers {
		wg.Add(1)
		go func() {
			defer wg.Done()
			<-start
			switch w % 3 {
			case 0:
				rep := rapidtb.Check(fmt.Sprintf("Racer%d", w), func(t *rapid.T) {
					_ = rapid.IntRange(0, 9).Draw(t, "x")
					_ = rapidtb.Short() // as a property reading its budget does
				})
				if rep.Failed {
					errs <- rep.Text()
				}
			case 1:
				_, _ = rapidtb.Short(), rapidtb.Checks()
			default:
				if rapidtb.Seed() == 0 {
					errs <- "seed 0 after Init"
				}
			}
		}()
	}
	close(start)
	wg.Wait()
	close(errs)
	bad := false
	for e := range errs {
		fmt.Fprintln(os.Stderr, e)
		bad = true
	}
	if bad {
		os.Exit(1)
	}
	fmt.Println("ok")
}
