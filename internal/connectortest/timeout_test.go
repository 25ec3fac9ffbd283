package connectortest

import (
	"strings"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// TestTimeout checks the Timeout option: a server slower than it fails the
// query with a timeout error, one inside it answers.
func TestTimeout(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "slow", Count: -1, Delay: mockcdr.Duration(400 * time.Millisecond)}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q1", "[Timeout = #duration(0, 0, 0, 0.1)]"))
	if !strings.Contains(err.Error(), "timed out") {
		t.Errorf("slow server with Timeout 0.1 s: %v", err)
	}
	if got := e.eval(t, query("Q1", "[Timeout = 5]")); got != "25" {
		t.Errorf("slow server with Timeout 5 s: %s rows", got)
	}
}
