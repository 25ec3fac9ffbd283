package connectortest

import (
	"testing"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// TestDuplicateRowsAcrossPages checks that identical rows on both sides of
// a page boundary (Q10: the same EHR and composition name again and again)
// are data, not a server ignoring offset.
func TestDuplicateRowsAcrossPages(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	for _, size := range []string{"1", "3"} {
		if got := e.eval(t, query("Q10", "[PageSize = "+size+", MaxRows = 40]")); got != "40" {
			t.Errorf("PageSize %s: %s rows, want 40", size, got)
		}
	}
	// A single-column query of one repeated value: every page is the same
	// as the first, and still data.
	if got := e.eval(t, query("Q10", "[PageSize = 2, MaxRows = 6]")); got != "6" {
		t.Errorf("%s rows", got)
	}
}
