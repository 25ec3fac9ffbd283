package connectortest

import (
	"testing"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

func TestSmoke(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	t.Log(e.eval(t, `Table.FirstN(K.Query(`+mtext(mockcdr.FixtureAQL("Q4"))+`, null, [PageSize = 500]), 2)`))
	for _, r := range e.queries(0) {
		t.Logf("%s offset=%v/%d fetch=%v/%d rows=%d status=%d", r.Path, r.OffsetSent, r.Offset, r.FetchSent, r.Fetch, r.Rows, r.Status)
	}
}
