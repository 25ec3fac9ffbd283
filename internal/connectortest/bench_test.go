package connectortest

import (
	"testing"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// BenchmarkBulkQuery runs the 10,007-row BULK fixture through the connector
// against an in-process mock CDR: envelope paging (default page size 1000),
// DV_QUANTITY and DV_CODED_TEXT flattened, every column typed, the table
// fully forced. The target is ≤ 1 s per run including the CDR. MB/s is
// the JSON received from the CDR.
func BenchmarkBulkQuery(b *testing.B) {
	e := newEnv(b, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	expr := `K.Query(` + mtext(mockcdr.FixtureAQL("BULK")) + `)`
	requests := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.cdr.ClearLog()
		v, _, err := e.run(b, expr)
		if err != nil {
			b.Fatal(err)
		}
		if tb, ok := v.(*eval.Table); !ok || tb.RowCount() != 10007 || len(tb.Columns()) != 9 {
			b.Fatalf("BULK gave %v, want 10,007 rows × 9 columns", v)
		}
		requests = len(e.queries(0))
		b.SetBytes(e.received)
	}
	b.ReportMetric(float64(requests), "requests/op")
	b.ReportMetric(float64(e.cdr.FixtureRows("BULK")), "rows/op")
}
