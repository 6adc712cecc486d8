package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
)

func TestS2_GradientMatchesFiniteDifferences(t *testing.T) { runRegistered(t) }

func TestS2_GradientMatchesFiniteDifferences_CatchesPlantedBug(t *testing.T) {
	for _, impl := range faulty.All() {
		if impl == (faulty.Sequential{}) {
			continue // an O(η²) mistake: G1's to catch, below S2's resolution at η = 10⁻³
		}
		expectFailure(t, "S2 vs "+impl.Name(), S2GradientMatchesFiniteDifferences(impl, NewStats()))
	}
}
