package rapidtb_test

import (
	"os"
	"testing"

	"github.com/dlnverify/dlnverify/internal/rapidtb"
)

// TestMain prints rapid's base seed and a replay command when a test fails.
func TestMain(m *testing.M) { os.Exit(rapidtb.Main(m)) }
