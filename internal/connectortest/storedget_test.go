package connectortest

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// getSwitch is the vendor switch in the rendered section.
const (
	getOff = "StoredQueryGet = false;"
	getOn  = "StoredQueryGet = true;"
)

// newGetEnv is newEnv with the GET form of stored queries switched on, as
// a tenant of a GET vendor is built, so that the form can be checked
// against every mock profile.
func newGetEnv(t testing.TB, profile, vendor string) *env {
	t.Helper()
	e := newEnv(t, mockcdr.Config{Profile: profile}, vendor, "")
	for i, f := range e.res.Files {
		if f.Name != e.res.Section {
			continue
		}
		if n := bytes.Count(f.Data, []byte(getOff)); n != 1 {
			t.Fatalf("the rendered section has %d %q switches, want 1", n, getOff)
		}
		e.res.Files[i].Data = bytes.Replace(f.Data, []byte(getOff), []byte(getOn), 1)
	}
	return e
}

// urlRequest is what the CDR saw of one stored-query request.
type urlRequest struct {
	Method, Path string
	Query        url.Values
	Body         string
	Status, Rows int
}

func (e *env) urlRequests(seq int) []urlRequest {
	var out []urlRequest
	for _, r := range e.queries(seq) {
		out = append(out, urlRequest{r.Method, r.Path, r.Query, r.Body, r.Status, r.Rows})
	}
	return out
}

// page returns the URL values of a page request plus extra pairs.
func pageValues(offset, fetch int, extra url.Values) url.Values {
	v := url.Values{"offset": {strconv.Itoa(offset)}, "fetch": {strconv.Itoa(fetch)}}
	for k, vs := range extra {
		v[k] = vs
	}
	return v
}

// checkPagingRules checks the rules every query request keeps: offset
// only with fetch, fetch never 0, no body and no parameter keys with $.
func checkPagingRules(t *testing.T, rs []mockcdr.Request) {
	t.Helper()
	for _, r := range rs {
		if r.OffsetSent != r.FetchSent || r.FetchSent && r.Fetch == 0 {
			t.Errorf("#%d %s: offset sent %v, fetch sent %v (%d)", r.Seq, r.Path, r.OffsetSent, r.FetchSent, r.Fetch)
		}
		if r.Method == "GET" && (r.Body != "" || r.Header.Get("Content-Type") != "") {
			t.Errorf("#%d GET with a body %q (%s)", r.Seq, r.Body, r.Header.Get("Content-Type"))
		}
		if len(r.DollarKeys) > 0 {
			t.Errorf("#%d parameter keys with $: %v", r.Seq, r.DollarKeys)
		}
	}
}

// TestStoredQueryMethodPerVendor checks the baked vendor switch: Cadasto
// tenants run stored queries with GET, every other vendor with POST.
func TestStoredQueryMethodPerVendor(t *testing.T) {
	for vendor, want := range map[string]string{"cadasto": "GET", "ehrbase": "POST", "better": "POST", "dips": "POST", "generic": "POST"} {
		t.Run(vendor, func(t *testing.T) {
			e := newEnv(t, mockcdr.Config{Profile: "spec"}, vendor, "")
			if got := e.eval(t, `Table.RowCount(K.StoredQuery("org.pqx::ehrs", null, null, [PageSize = 20]))`); got != "25" {
				t.Errorf("%s rows, want 25", got)
			}
			qs := e.queries(0)
			if len(qs) != 2 {
				t.Fatalf("%d requests, want 2", len(qs))
			}
			for _, q := range qs {
				if q.Method != want || q.StoredQuery != "org.pqx::ehrs/1.0.0" {
					t.Errorf("%s %s (%s), want %s", q.Method, q.Path, q.StoredQuery, want)
				}
			}
			if want == "POST" && (qs[1].ParamsField != "query_parameters" || !strings.Contains(qs[1].Body, `"offset":20`)) {
				t.Errorf("POST body %s", qs[1].Body)
			}
			if want == "GET" && !cmp.Equal(qs[1].Query, pageValues(20, 20, nil)) {
				t.Errorf("GET query %v", qs[1].Query)
			}
		})
	}
}

// TestStoredQueryGetPaging checks the GET form's envelope paging against
// every mock profile: offset and fetch as URL pairs advance page by page,
// across page boundaries, and stop as the POST form does.
func TestStoredQueryGetPaging(t *testing.T) {
	for _, tc := range []struct{ profile, vendor string }{
		{"ehrbase", "ehrbase"}, {"better", "better"}, {"dips", "dips"}, {"spec", "generic"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			e := newGetEnv(t, tc.profile, tc.vendor)
			base := e.cdr.Profile().BasePath + "/query/"
			pastEnd := 0 // rows of the page past the end: [] or left out
			if e.cdr.Profile().OmitRowsPastEnd {
				pastEnd = -1
			}
			for _, c := range []struct {
				call string
				rows int
				want []urlRequest
			}{
				{`K.StoredQuery("org.pqx::ehrs", "1.0.0", null, [PageSize = 10])`, 25, []urlRequest{
					{"GET", base + "org.pqx::ehrs/1.0.0", pageValues(0, 10, nil), "", 200, 10},
					{"GET", base + "org.pqx::ehrs/1.0.0", pageValues(10, 10, nil), "", 200, 10},
					{"GET", base + "org.pqx::ehrs/1.0.0", pageValues(20, 10, nil), "", 200, 5},
				}},
				// An exact multiple needs one more, empty page.
				{`K.StoredQuery("org.pqx::ehrs", null, null, [PageSize = 25])`, 25, []urlRequest{
					{"GET", base + "org.pqx::ehrs", pageValues(0, 25, nil), "", 200, 25},
					{"GET", base + "org.pqx::ehrs", pageValues(25, 25, nil), "", 200, pastEnd},
				}},
				{`K.StoredQuery("org.pqx.bulk::blood_pressure", null, null, [MaxRows = 2500])`, 2500,
					bulkPages(base+"org.pqx.bulk::blood_pressure", 2500, e.pageSize(t))},
				{`K.StoredQuery("org.pqx::ehrs", null, null, [Paging = "none"])`, 25, []urlRequest{
					{"GET", base + "org.pqx::ehrs", nil, "", 200, 25},
				}},
			} {
				seq := e.lastSeq()
				if got := e.eval(t, `Table.RowCount(`+c.call+`)`); got != strconv.Itoa(c.rows) {
					t.Errorf("%s: %s rows, want %d", c.call, got, c.rows)
				}
				if diff := cmp.Diff(c.want, e.urlRequests(seq)); diff != "" {
					t.Errorf("%s: requests (-want +got):\n%s", c.call, diff)
				}
			}
			// The paged rows are the unpaged ones, in order.
			same := e.eval(t, `K.StoredQuery("org.pqx::ehrs", null, null, [PageSize = 7]) = K.StoredQuery("org.pqx::ehrs", null, null, [Paging = "none"])`)
			if same != "true" {
				t.Error("paged rows differ from the unpaged rows")
			}
			checkPagingRules(t, e.cdr.Log())
		})
	}
}

// bulkPages are the GET requests for the first maxRows rows of a large
// stored query: full pages, then a last one that asks for the rest.
func bulkPages(path string, maxRows, pageSize int) []urlRequest {
	var out []urlRequest
	for off := 0; off < maxRows; off += pageSize {
		n := min(pageSize, maxRows-off)
		out = append(out, urlRequest{"GET", path, pageValues(off, n, nil), "", 200, n})
	}
	return out
}

// TestStoredQueryGetParameters checks parameter values in the URL: numbers,
// dates, times and logicals as the JSON body writes them, text as is, a
// list as a repeated key, keys without $; the rows match the POST form.
func TestStoredQueryGetParameters(t *testing.T) {
	for _, tc := range []struct{ profile, vendor string }{
		{"ehrbase", "ehrbase"}, {"better", "better"}, {"dips", "dips"}, {"spec", "generic"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			e := newGetEnv(t, tc.profile, tc.vendor)
			post := e.eval(t, `Table.RowCount(K.Query(`+mtext(mockcdr.FixtureAQL("Q5"))+`, [min_sys = 150]))`)
			seq := e.lastSeq()
			call := `K.StoredQuery("org.pqx::high_blood_pressure", "1.0.0", [#"$min_sys" = 150, since = #date(2025, 1, 2),
				at = #datetimezone(2025, 1, 2, 3, 4, 5.25, 1, 0), local = #datetime(2025, 1, 2, 3, 4, 5), clock = #time(7, 30, 0),
				flags = {"a", "b c"}, ok = true, ratio = 1.5, big = 12345678, label = "x y&z=1/ü"])`
			if got := e.eval(t, `Table.RowCount(`+call+`)`); got != post || got == "0" {
				t.Errorf("GET form: %s rows, POST form %s", got, post)
			}
			if got := e.eval(t, `List.Min(`+call+`[systolic]) >= 150`); got != "true" {
				t.Error("rows below min_sys")
			}
			qs := e.queries(seq)
			if len(qs) == 0 {
				t.Fatal("no requests")
			}
			want := pageValues(0, e.pageSize(t), url.Values{
				"min_sys": {"150"}, "since": {"2025-01-02"}, "at": {"2025-01-02T03:04:05.25+01:00"},
				"local": {"2025-01-02T03:04:05"}, "clock": {"07:30:00"},
				"flags": {"a", "b c"}, "ok": {"true"}, "ratio": {"1.5"}, "big": {"12345678"}, "label": {"x y&z=1/ü"},
			})
			if diff := cmp.Diff(want, qs[0].Query); diff != "" {
				t.Errorf("URL parameters (-want +got):\n%s", diff)
			}
			if qs[0].ParamsField != "url" || qs[0].StoredQuery != "org.pqx::high_blood_pressure/1.0.0" || qs[0].Status != 200 {
				t.Errorf("request %+v", qs[0])
			}
			checkPagingRules(t, e.cdr.Log())
		})
	}
}

// TestStoredQueryGetVersionAndEhr checks versions in the path, the EHR
// context as ehr_id and header, EHRbase's LIMIT rejection retried without
// paging, and parameters the URL form refuses before any request.
func TestStoredQueryGetVersionAndEhr(t *testing.T) {
	e := newGetEnv(t, "ehrbase", "ehrbase")
	base := e.cdr.Profile().BasePath + "/query/"
	seq := e.lastSeq()
	if got := e.eval(t, `Table.ColumnNames(K.StoredQuery("org.pqx::blood_pressure", "1", null, [MaxRows = 3]))`); !strings.Contains(got, "systolic.magnitude") {
		t.Errorf("version 1 columns %s, want Q4's (1.1.0)", got)
	}
	qs := e.queries(seq)
	if len(qs) != 1 || qs[0].Path != base+"org.pqx::blood_pressure/1" || qs[0].StoredQuery != "org.pqx::blood_pressure/1.1.0" || !cmp.Equal(qs[0].Query, pageValues(0, 3, nil)) {
		t.Errorf("version request %+v", qs)
	}

	// In-query LIMIT: 422 for the paged request, then one without paging.
	seq = e.lastSeq()
	if got := e.eval(t, `Table.RowCount(K.StoredQuery("org.pqx::latest_blood_pressure"))`); got != "5" {
		t.Errorf("LIMIT stored query: %s rows", got)
	}
	want := []urlRequest{
		{"GET", base + "org.pqx::latest_blood_pressure", pageValues(0, 1000, nil), "", 422, -1},
		{"GET", base + "org.pqx::latest_blood_pressure", nil, "", 200, 5},
	}
	if diff := cmp.Diff(want, e.urlRequests(seq)); diff != "" {
		t.Errorf("LIMIT requests (-want +got):\n%s", diff)
	}

	ehr := e.cdr.Data().EHRs[2]
	for _, call := range []string{
		`K.StoredQuery("org.pqx::patient_blood_pressure", null, null, [EhrId = ` + mtext(ehr.ID) + `])`,
		`K.StoredQuery("org.pqx::patient_blood_pressure", null, [ehr_id = ` + mtext(ehr.ID) + `])`,
		`K.StoredQuery("org.pqx::patient_blood_pressure", null, [#"$ehr_id" = ` + mtext(ehr.ID) + `], [EhrId = ` + mtext(ehr.ID) + `])`,
	} {
		seq := e.lastSeq()
		if got := e.eval(t, `List.Distinct(`+call+`[ehr_id])`); got != `{`+mtext(ehr.ID)+`}` {
			t.Errorf("%s: ehr ids %s", call, got)
		}
		qs := e.queries(seq)
		if len(qs) == 0 || !cmp.Equal(qs[0].Query["ehr_id"], []string{ehr.ID}) {
			t.Fatalf("%s: requests %+v", call, qs)
		}
		if hasOption := strings.Contains(call, "EhrId"); hasOption != (qs[0].EhrIDHeader == ehr.ID) {
			t.Errorf("%s: openehr-ehr-id header %q", call, qs[0].EhrIDHeader)
		}
	}

	seq = e.lastSeq()
	for call, msg := range map[string]string{
		`K.StoredQuery("org.pqx::ehrs", null, [fetch = 5])`:                                "fetch cannot be sent in a URL",
		`K.StoredQuery("org.pqx::ehrs", null, [#"$offset" = 5])`:                           "offset cannot be sent in a URL",
		`K.StoredQuery("org.pqx::ehrs", null, [q = "x"])`:                                  "q cannot be sent in a URL",
		`K.StoredQuery("org.pqx::ehrs", null, [x = null])`:                                 "x is null",
		`K.StoredQuery("org.pqx::ehrs", null, [x = [a = 1]])`:                              "x must be text",
		`K.StoredQuery("org.pqx::ehrs", null, [x = {1, [a = 1]}])`:                         "x must be text",
		`K.StoredQuery("org.pqx::ehrs", null, [ehr_id = "a"], [EhrId = "b"])`:              "ehr_id differs from the EhrId option",
		`K.StoredQuery("org.pqx::high_blood_pressure", null, [min_sys = #binary({1, 2})])`: "min_sys must be text",
	} {
		err := e.evalErr(t, call)
		if err.Reason() != "Expression.Error" || !strings.Contains(err.Message(), msg) {
			t.Errorf("%s: %v, want %q", call, err, msg)
		}
	}
	if n := len(e.cdr.LogSince(seq)); n != 0 {
		t.Errorf("refused parameters caused %d requests", n)
	}
	checkPagingRules(t, e.cdr.Log())
}

// pageSize is the tenant's default page size.
func (e *env) pageSize(t *testing.T) int {
	t.Helper()
	n, err := strconv.Atoi(e.eval(t, "DefaultPageSize"))
	if err != nil {
		t.Fatal(err)
	}
	return n
}

// BenchmarkBulkStoredQueryGet is BenchmarkBulkQuery for the GET form: the
// BULK stored query (10,007 rows) paged with URL pairs. It should cost what
// the POST form costs; the pages are the same.
func BenchmarkBulkStoredQueryGet(b *testing.B) {
	e := newGetEnv(b, "ehrbase", "ehrbase")
	expr := `K.StoredQuery("org.pqx.bulk::blood_pressure")`
	requests := 0
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		e.cdr.ClearLog()
		v, _, err := e.run(b, expr)
		if err != nil {
			b.Fatal(err)
		}
		if tb, ok := v.(*eval.Table); !ok || tb.RowCount() != 10007 {
			b.Fatalf("BULK gave %v, want 10,007 rows", v)
		}
		requests = len(e.queries(0))
		if m := e.queries(0)[0].Method; m != "GET" {
			b.Fatalf("method %s", m)
		}
		b.SetBytes(e.received)
	}
	b.ReportMetric(float64(requests), "requests/op")
}
