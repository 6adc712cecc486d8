package rapidtb_test

import (
	"strings"
	"testing"

	"pgregory.net/rapid"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

func TestRecorderSeesFailureAndShrinks(t *testing.T) {
	rep := rapidtb.Check("TestRecorder", func(t *rapid.T) {
		x := rapid.IntRange(0, 1000).Draw(t, "x")
		if x >= 10 {
			t.Fatalf("x = %d too big", x)
		}
	})
	if !rep.Failed {
		t.Fatal("the property is false but was not reported failed")
	}
	if !strings.Contains(rep.Text(), "x = 10 too big") {
		t.Fatalf("expected the shrunk case x = 10 in:\n%s", rep.Text())
	}
}

func TestRecorderPasses(t *testing.T) {
	rep := rapidtb.Check("TestRecorderPass", func(t *rapid.T) { _ = rapid.IntRange(0, 5).Draw(t, "x") })
	if rep.Failed {
		t.Fatal(rep.Text())
	}
}
