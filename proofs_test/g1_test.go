package proofs

import (
	"testing"

	"github.com/dlnverify/dlnverify/internal/faulty"
	"github.com/dlnverify/dlnverify/model"
)

func TestG1_ImbalanceChangesByEtaSquared(t *testing.T) { runRegistered(t) }

func TestG1_ImbalanceChangesByEtaSquared_CatchesPlantedBug(t *testing.T) {
	for _, impl := range []model.Stepper{faulty.DoubleEta{}, faulty.Sequential{}, faulty.DropLayer{}} {
		expectFailure(t, "G1 vs "+impl.Name(), G1ImbalanceChangesByEtaSquared(impl, NewStats()))
	}
}
