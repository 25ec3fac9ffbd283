package connectortest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// page is what the CDR saw of one query request.
type page struct {
	Offset, Fetch int // -1: not sent
	Status, Rows  int
}

func pagesOf(rs []mockcdr.Request) []page {
	var out []page
	for _, r := range rs {
		p := page{Offset: -1, Fetch: -1, Status: r.Status, Rows: r.Rows}
		if r.OffsetSent {
			p.Offset = r.Offset
		}
		if r.FetchSent {
			p.Fetch = r.Fetch
		}
		out = append(out, p)
	}
	return out
}

func query(id, options string) string {
	return fmt.Sprintf(`Table.RowCount(K.Query(%s, null, %s))`, mtext(mockcdr.FixtureAQL(id)), options)
}

// TestPaging checks the envelope paging of every vendor profile from the
// CDR's request log: offsets advance by the rows received, fetch is never
// 0, and paging stops on a short or empty page or at MaxRows.
func TestPaging(t *testing.T) {
	for _, tc := range []struct {
		name, profile, vendor, fixture, options string
		rows                                    int
		pages                                   []page
	}{
		{"ehrbase across boundaries", "ehrbase", "ehrbase", "Q3", "[PageSize = 1000]", 2137,
			[]page{{0, 1000, 200, 1000}, {1000, 1000, 200, 1000}, {2000, 1000, 200, 137}}},
		{"ehrbase exact multiple", "ehrbase", "ehrbase", "Q1", "[PageSize = 5]", 25,
			[]page{{0, 5, 200, 5}, {5, 5, 200, 5}, {10, 5, 200, 5}, {15, 5, 200, 5}, {20, 5, 200, 5}, {25, 5, 200, 0}}},
		// Better leaves rows out past the end: the end of the data, not an error.
		{"better rows missing past the end", "better", "better", "Q1", "[PageSize = 5]", 25,
			[]page{{0, 5, 200, 5}, {5, 5, 200, 5}, {10, 5, 200, 5}, {15, 5, 200, 5}, {20, 5, 200, 5}, {25, 5, 200, -1}}},
		// DIPS answers with a UTF-8 byte order mark.
		{"dips BOM bodies", "dips", "dips", "Q1", "[PageSize = 10]", 25,
			[]page{{0, 10, 200, 10}, {10, 10, 200, 10}, {20, 10, 200, 5}}},
		{"MaxRows caps fetch", "ehrbase", "ehrbase", "Q3", "[PageSize = 5, MaxRows = 12]", 12,
			[]page{{0, 5, 200, 5}, {5, 5, 200, 5}, {10, 2, 200, 2}}},
		{"MaxRows below PageSize", "spec", "generic", "Q3", "[MaxRows = 3]", 3,
			[]page{{0, 3, 200, 3}}},
		{"MaxRows 0 sends fetch 1", "ehrbase", "ehrbase", "Q3", "[MaxRows = 0]", 0,
			[]page{{0, 1, 200, 1}}},
		{"Paging none", "ehrbase", "ehrbase", "Q1", `[Paging = "none"]`, 25,
			[]page{{-1, -1, 200, 25}}},
		{"default page size", "ehrbase", "ehrbase", "Q3", "null", 2137,
			[]page{{0, 1000, 200, 1000}, {1000, 1000, 200, 1000}, {2000, 1000, 200, 137}}},
		{"dips default page size", "dips", "dips", "Q8", "[MaxRows = 1200]", 1200,
			[]page{{0, 500, 200, 500}, {500, 500, 200, 500}, {1000, 200, 200, 200}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			e := newEnv(t, mockcdr.Config{Profile: tc.profile}, tc.vendor, "")
			if got, want := e.eval(t, query(tc.fixture, tc.options)), fmt.Sprint(tc.rows); got != want {
				t.Errorf("%d rows, want %s", tc.rows, got)
			}
			if diff := cmp.Diff(tc.pages, pagesOf(e.queries(0))); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
		})
	}
}

// TestInQueryPaging checks that AQL with LIMIT, OFFSET or TOP is sent once,
// without fetch and offset (EHRbase answers 422 otherwise).
func TestInQueryPaging(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if got := e.eval(t, query("Q9", "null")); got != "5" {
		t.Errorf("Q9 gave %s rows, want 5", got)
	}
	if diff := cmp.Diff([]page{{-1, -1, 200, 5}}, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("Q9 requests (-want +got):\n%s", diff)
	}
	for aql, want := range map[string]string{
		"SELECT e FROM EHR e LIMIT 5":                           "true",
		"select e from EHR e limit 5 offset 10":                 "true",
		"SELECT e FROM EHR e LIMIT $n":                          "true",
		"SELECT TOP 3 e FROM EHR e":                             "true",
		"SELECT DISTINCT TOP 3 e FROM EHR e":                    "true",
		"SELECT e FROM EHR e WHERE e/x = 'LIMIT 5'":             "false",
		`SELECT e FROM EHR e WHERE e/x = "it's LIMIT 5"`:        "false",
		"SELECT e/top AS top, e/limit AS limit FROM EHR e":      "false",
		"SELECT e FROM EHR e WHERE e/x = 'a' ORDER BY e/y DESC": "false",
	} {
		if got := e.eval(t, "HasInQueryPaging("+mtext(aql)+")"); got != want {
			t.Errorf("HasInQueryPaging(%q) = %s, want %s", aql, got, want)
		}
	}
}

// TestParameters checks that $ is dropped from parameter names and that
// $names inside string literals are not parameters.
func TestParameters(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	got := e.eval(t, fmt.Sprintf(`Table.RowCount(K.Query(%s, [#"$min_sys" = 150]))`, mtext(mockcdr.FixtureAQL("Q5"))))
	qs := e.queries(0)
	if len(qs) == 0 || qs[0].ParamsField != "query_parameters" || len(qs[0].DollarKeys) != 0 || qs[0].Params["min_sys"] != float64(150) {
		t.Fatalf("parameters sent: %+v", qs)
	}
	var n int
	for _, r := range qs {
		n += max(r.Rows, 0)
	}
	if got != fmt.Sprint(n) || n == 0 {
		t.Errorf("Q5 gave %s rows, the CDR sent %d", got, n)
	}
	if got := e.eval(t, `AqlParameters("SELECT a FROM EHR e WHERE x > $min_sys AND y = '$not' AND z < $max_1 OR w = $min_sys")`); got != `{"min_sys", "max_1"}` {
		t.Errorf("AqlParameters = %s", got)
	}
}

// TestEhrId checks that EhrId reaches the server as the ehr_id parameter and
// the openehr-ehr-id header, and scopes the result.
func TestEhrId(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "better"}, "better", "")
	id := e.cdr.Data().EHRs[3].ID
	got := e.eval(t, fmt.Sprintf(`List.Distinct(Table.Column(K.Query(%s, null, [EhrId = %s]), "ehr_id"))`, mtext(mockcdr.FixtureAQL("Q3")), mtext(id)))
	if got != `{"`+id+`"}` {
		t.Errorf("EhrId query gave EHRs %s", got)
	}
	for _, r := range e.queries(0) {
		if r.EhrIDParam != id || r.EhrIDHeader != id {
			t.Errorf("request %s: ehr_id %q, header %q", r.Path, r.EhrIDParam, r.EhrIDHeader)
		}
	}
}

// TestFlatteningAndTypes checks the column names and types of RM objects
// flattened into <column>.<field> columns.
func TestFlatteningAndTypes(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	schema := func(id, options string) string {
		return e.eval(t, fmt.Sprintf(`let t = K.Query(%s, null, %s) in Table.ToRows(Table.SelectColumns(Table.Schema(t), {"Name", "TypeName"}))`, mtext(mockcdr.FixtureAQL(id)), options))
	}
	for _, tc := range []struct{ id, options, want string }{
		{"Q4", "[MaxRows = 50]", `{{"ehr_id", "Text.Type"}, {"time", "DateTimeZone.Type"}, {"systolic.magnitude", "Number.Type"}, {"systolic.units", "Text.Type"}, {"systolic.precision", "Number.Type"}, {"diastolic", "Number.Type"}}`},
		{"BULK", "[MaxRows = 50]", `{{"ehr_id", "Text.Type"}, {"time", "DateTimeZone.Type"}, {"systolic.magnitude", "Number.Type"}, {"systolic.units", "Text.Type"}, {"systolic.precision", "Number.Type"}, {"diastolic", "Number.Type"}, {"position.value", "Text.Type"}, {"position.code", "Text.Type"}, {"position.terminology", "Text.Type"}}`},
		{"Q10", "[MaxRows = 5]", `{{"#0", "Text.Type"}, {"#1.value", "Text.Type"}}`},
		// Without flattening the objects stay records, for the user to expand.
		{"Q4", "[MaxRows = 5, Flatten = false]", `{{"ehr_id", "Text.Type"}, {"time", "DateTimeZone.Type"}, {"systolic", "Any.Type"}, {"diastolic", "Number.Type"}}`},
		{"Q4", `[MaxRows = 5, ColumnTypes = [time = type text, diastolic = Int64.Type]]`, `{{"ehr_id", "Text.Type"}, {"time", "Text.Type"}, {"systolic.magnitude", "Number.Type"}, {"systolic.units", "Text.Type"}, {"systolic.precision", "Number.Type"}, {"diastolic", "Int64.Type"}}`},
	} {
		if got := schema(tc.id, tc.options); got != tc.want {
			t.Errorf("%s %s schema:\n got %s\nwant %s", tc.id, tc.options, got, tc.want)
		}
	}
	// The values: a DV_QUANTITY's fields and a DV_CODED_TEXT's code.
	got := e.eval(t, fmt.Sprintf(`let r = K.Query(%s, null, [MaxRows = 1]){0} in {r[systolic.units], r[position.terminology], r[position.code] <> null, r[time] is datetimezone}`, mtext(mockcdr.FixtureAQL("BULK"))))
	if got != `{"mm[Hg]", "local", true, true}` {
		t.Errorf("BULK first row: %s", got)
	}
}

// TestOptionsChecked checks that a misspelt or ill-typed option is an error
// naming the option, before any request.
func TestOptionsChecked(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	for opts, want := range map[string]string{
		"[Pagesize = 10]":                    "Unknown option Pagesize",
		"[PageSize = 0]":                     "PageSize must be",
		`[Paging = "always"]`:                "Paging must be",
		"[MaxRows = -1]":                     "MaxRows must be",
		"[ColumnTypes = [nope = type text]]": "ColumnTypes names columns the result does not have: nope",
	} {
		err := e.evalErr(t, query("Q1", opts))
		if !strings.Contains(err.Message(), want) {
			t.Errorf("%s: %v, want %q", opts, err, want)
		}
	}
}

// TestServerQuirks covers servers that ignore offset (raise, never loop)
// or fetch (an oversize first page is the whole answer).
func TestServerQuirks(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "better"}, "better", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "ignore-offset", Count: -1}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q1", "[PageSize = 10]"))
	if err.Reason() != "openEHR.BadResponse" || !strings.Contains(err.Message(), "ignored the offset") {
		t.Errorf("ignore-offset: %v", err)
	}
	if n := len(e.queries(0)); n != 2 {
		t.Errorf("ignore-offset: %d requests, want 2", n)
	}

	e.cdr.Reset()
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "ignore-fetch", Count: -1}); err != nil {
		t.Fatal(err)
	}
	if got := e.eval(t, query("Q1", "[PageSize = 10]")); got != "25" {
		t.Errorf("ignore-fetch: %s rows, want 25", got)
	}
	if diff := cmp.Diff([]page{{0, 10, 200, 25}}, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("ignore-fetch requests (-want +got):\n%s", diff)
	}
}

// TestRetries checks retries of 429/502/503/504: Retry-After honoured, at
// most three attempts, IsRetry bypassing the response cache.
func TestRetries(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "429", Count: 2, RetryAfter: "7"}); err != nil {
		t.Fatal(err)
	}
	if got := e.eval(t, query("Q1", "null")); got != "25" {
		t.Errorf("after two 429s: %s rows", got)
	}
	if diff := cmp.Diff([]time.Duration{7 * time.Second, 7 * time.Second}, e.clock.Slept()); diff != "" {
		t.Errorf("waits (-want +got):\n%s", diff)
	}
	if diff := cmp.Diff([]page{{0, 1000, 429, -1}, {0, 1000, 429, -1}, {0, 1000, 200, 25}}, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}

	// Without Retry-After the waits back off exponentially.
	e.cdr.Reset()
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "503", Count: -1, RetryAfter: "-"}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, query("Q1", "null"))
	if err.Reason() != "openEHR.Unavailable" {
		t.Errorf("503 storm: %v", err)
	}
	if n := len(e.queries(0)); n != 3 {
		t.Errorf("503 storm: %d requests, want 3", n)
	}
	if diff := cmp.Diff([]time.Duration{time.Second, 2 * time.Second}, e.clock.Slept()); diff != "" {
		t.Errorf("back-off (-want +got):\n%s", diff)
	}

	// A 502 in the middle of paging is retried and paging goes on.
	e.cdr.Reset()
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "502", After: 1}); err != nil {
		t.Fatal(err)
	}
	if got := e.eval(t, query("Q1", "[PageSize = 10]")); got != "25" {
		t.Errorf("502 mid-paging: %s rows", got)
	}
	if diff := cmp.Diff([]page{{0, 10, 200, 10}, {10, 10, 502, -1}, {10, 10, 200, 10}, {20, 10, 200, 5}}, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("502 mid-paging requests (-want +got):\n%s", diff)
	}
}

// TestSafetyCap checks that a result larger than the safety cap (used when
// MaxRows is not set) is an error, not a silently truncated table. The cap
// is 5,000,000 rows in the connector; this runs its paging with a cap of 12.
func TestSafetyCap(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	run := func(fixture string) string {
		return fmt.Sprintf(`let opts = CheckOptions([PageSize = 5]) & [MaxRows = 12], body = [q = %s],
            first = FetchFirst("query/aql", body, "envelope", opts) in List.Count(CollectRows(first, "query/aql", body, opts))`, mtext(mockcdr.FixtureAQL(fixture)))
	}
	err := e.evalErr(t, run("Q3"))
	if err.Reason() != "openEHR.TooManyRows" {
		t.Errorf("Q3 over the cap: %v", err)
	}
	if diff := cmp.Diff([]page{{0, 5, 200, 5}, {5, 5, 200, 5}, {10, 2, 200, 2}}, pagesOf(e.queries(0))); diff != "" {
		t.Errorf("requests (-want +got):\n%s", diff)
	}
	// Under the cap the rows are all there.
	e.cdr.Reset()
	if got := e.eval(t, run("Q11")); got != "3" {
		t.Errorf("Q11 under the cap: %s rows", got)
	}
	if got := e.eval(t, `CheckOptions(null)[[MaxRows], [Capped]]`); got != "[MaxRows = 5000000, Capped = true]" {
		t.Errorf("default options %s", got)
	}
	if got := e.eval(t, `CheckOptions([MaxRows = 12])[[MaxRows], [Capped]]`); got != "[MaxRows = 12, Capped = false]" {
		t.Errorf("MaxRows options %s", got)
	}
}

// TestTrace checks the connector's diagnostics: one trace per request with
// its path, paging and status, and no query text or parameter.
func TestTrace(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	e.eval(t, fmt.Sprintf(`Table.RowCount(K.Query(%s, [min_sys = 150], [PageSize = 1000]))`, mtext(mockcdr.FixtureAQL("Q5"))))
	var got []string
	for _, tr := range e.traces {
		if strings.Contains(tr, "openEHR") {
			got = append(got, tr)
		}
		if strings.Contains(tr, "OBSERVATION") || strings.Contains(tr, "min_sys") || strings.Contains(tr, "150") {
			t.Errorf("trace shows the query: %s", tr)
		}
	}
	want := []string{"Information openEHR query/aql offset 0 fetch 1000: HTTP 200"}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("traces (-want +got):\n%s", diff)
	}
}
