package connectortest

import (
	"fmt"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// TestLazyPages checks, from the CDR's request log, that the connector's
// pages are requested only as rows are read: a query's first rows cost one
// request, and reading into page n+1 costs exactly one more. This is how
// Power Query's List.Generate behaves, and what keeps a preview of a large
// result cheap.
func TestLazyPages(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	bulk := mtext(mockcdr.FixtureAQL("BULK"))
	for _, tc := range []struct {
		name, expr string
		want       string
		pages      []page
	}{
		{
			name:  "first rows",
			expr:  `Table.RowCount(Table.FirstN(K.Query(%s, null, [PageSize = 100]), 5))`,
			want:  "5",
			pages: []page{{0, 100, 200, 100}},
		},
		{
			name:  "one row into the second page",
			expr:  `Table.RowCount(Table.FirstN(K.Query(%s, null, [PageSize = 100]), 101))`,
			want:  "101",
			pages: []page{{0, 100, 200, 100}, {100, 100, 200, 100}},
		},
		{
			name:  "row by index",
			expr:  `K.Query(%s, null, [PageSize = 100]){250}[ehr_id] <> null`,
			want:  "true",
			pages: []page{{0, 100, 200, 100}, {100, 100, 200, 100}, {200, 100, 200, 100}},
		},
		{
			name:  "first row",
			expr:  `Table.First(K.Query(%s, null, [PageSize = 100]))[systolic.magnitude] is number`,
			want:  "true",
			pages: []page{{0, 100, 200, 100}},
		},
		{
			name:  "column names need no rows beyond the first page",
			expr:  `List.Count(Table.ColumnNames(K.Query(%s, null, [PageSize = 100])))`,
			want:  "9",
			pages: []page{{0, 100, 200, 100}},
		},
		{
			name:  "shaping stays lazy",
			expr:  `Table.RowCount(Table.FirstN(Table.SelectRows(Table.AddColumn(K.Query(%s, null, [PageSize = 100]), "x", each 1), each [x] = 1), 150))`,
			want:  "150",
			pages: []page{{0, 100, 200, 100}, {100, 100, 200, 100}},
		},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e.cdr.ClearLog()
			if got := e.eval(t, fmt.Sprintf(tc.expr, bulk)); got != tc.want {
				t.Errorf("got %s, want %s", got, tc.want)
			}
			if diff := cmp.Diff(tc.pages, pagesOf(e.queries(0))); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
	// Reading everything still pages to the end: 10,007 rows in 101 pages.
	e.cdr.ClearLog()
	if got := e.eval(t, fmt.Sprintf(`Table.RowCount(K.Query(%s, null, [PageSize = 100]))`, bulk)); got != "10007" {
		t.Errorf("all rows: %s", got)
	}
	if n := len(e.queries(0)); n != 101 {
		t.Errorf("all rows took %d requests, want 101", n)
	}
}

// BenchmarkBulkPreview reads the first 100 rows of the 10,007-row BULK
// query, as a preview does: one page of the default size is requested, not
// eleven.
func BenchmarkBulkPreview(b *testing.B) {
	e := newEnv(b, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	expr := `Table.FirstN(K.Query(` + mtext(mockcdr.FixtureAQL("BULK")) + `), 100)`
	requests := 0
	b.ReportAllocs()
	for b.Loop() {
		e.cdr.ClearLog()
		v, th, err := e.run(b, expr)
		if err == nil {
			err = th.DeepForce(v)
		}
		if err != nil {
			b.Fatal(err)
		}
		requests = len(e.queries(0))
	}
	if requests != 1 {
		b.Fatalf("%d requests for the first 100 rows, want 1", requests)
	}
	b.ReportMetric(float64(requests), "requests/op")
}
