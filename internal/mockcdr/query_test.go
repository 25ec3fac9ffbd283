package mockcdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// pageAll pages through q with fetch=size the way a correct client does and
// returns all rows and the number of requests.
func pageAll(t testing.TB, s *Server, q string, size int) ([][]any, int) {
	t.Helper()
	var all [][]any
	for req := 1; ; req++ {
		rs := decodeRS(t, aql(t, s, q, map[string]any{"offset": len(all), "fetch": size}))
		rows := rs.rows()
		all = append(all, rows...)
		if len(rows) < size {
			return all, req
		}
		if req > 1000 {
			t.Fatal("paging does not end")
		}
	}
}

func TestPagingAllProfiles(t *testing.T) {
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) {
			s := open(t, profile)
			for _, tc := range []struct {
				fixture string
				size    int
			}{{"BULK", 1000}, {"BULK", 10007}, {"BULK", 2500}, {"Q3", 500}, {"Q1", 10}, {"Q1", 5}} {
				rows, reqs := pageAll(t, s, FixtureAQL(tc.fixture), tc.size)
				want := s.FixtureRows(tc.fixture)
				if len(rows) != want {
					t.Errorf("%s in pages of %d: %d rows, want %d", tc.fixture, tc.size, len(rows), want)
				}
				if wantReqs := want/tc.size + 1; reqs != wantReqs {
					t.Errorf("%s in pages of %d: %d requests, want %d", tc.fixture, tc.size, reqs, wantReqs)
				}
				seen := map[string]bool{}
				for _, r := range rows {
					k := fmt.Sprint(r)
					if seen[k] && tc.fixture != "Q3" { // Q3 may repeat a reading
						t.Fatalf("%s: row %v served twice", tc.fixture, r)
					}
					seen[k] = true
				}
			}
		})
	}
}

func TestPastTheEnd(t *testing.T) {
	q := FixtureAQL("BULK")
	for _, tc := range []struct {
		profile  string
		wantRows bool
	}{{"ehrbase", true}, {"spec", true}, {"better", false}, {"dips", false}} {
		s := open(t, tc.profile)
		rs := decodeRS(t, aql(t, s, q, map[string]any{"offset": 10007, "fetch": 1000}))
		if (rs.Rows != nil) != tc.wantRows {
			t.Errorf("%s past the end: rows present = %v, want %v", tc.profile, rs.Rows != nil, tc.wantRows)
		}
		if tc.wantRows && len(rs.rows()) != 0 {
			t.Errorf("%s past the end: %d rows", tc.profile, len(rs.rows()))
		}
		// The last short page is complete everywhere.
		if n := len(decodeRS(t, aql(t, s, q, map[string]any{"offset": 10000, "fetch": 1000})).rows()); n != 7 {
			t.Errorf("%s: last page has %d rows, want 7", tc.profile, n)
		}
	}
	// DIPS leaves rows out of any empty page, Better only past the end.
	dips, better := open(t, "dips"), open(t, "better")
	q5 := FixtureAQL("Q5")
	params := map[string]any{"query_parameters": map[string]any{"min_sys": 1000}}
	if rs := decodeRS(t, aql(t, dips, q5, params)); rs.Rows != nil {
		t.Error("dips: empty result has rows")
	}
	if rs := decodeRS(t, aql(t, better, q5, params)); rs.Rows == nil || len(rs.rows()) != 0 {
		t.Error("better: empty first page should be rows: []")
	}
}

func TestEHRbasePagingRules(t *testing.T) {
	s := open(t, "ehrbase")
	q3, q9 := FixtureAQL("Q3"), FixtureAQL("Q9")

	wantError(t, s, aql(t, s, q3, map[string]any{"offset": 10}), 422, "offset provided, but no fetch parameter")
	wantError(t, s, aql(t, s, q9, map[string]any{"fetch": 10}), 422, "LIMIT")
	wantError(t, s, aql(t, s, q9, map[string]any{"fetch": 10, "offset": 0}), 422, "LIMIT")
	wantError(t, s, aql(t, s, q3, map[string]any{"fetch": "ten"}), 400, "fetch must be an integer")
	wantError(t, s, aql(t, s, q3, map[string]any{"fetch": true}), 400, "fetch must be an integer")
	wantError(t, s, aql(t, s, q3, map[string]any{"fetch": -1}), 400, "negative")

	// LIMIT without fetch: one request, the AQL's own window.
	rs := decodeRS(t, aql(t, s, q9, nil))
	if len(rs.rows()) != 5 {
		t.Errorf("Q9: %d rows, want 5", len(rs.rows()))
	}
	if e := s.Log()[len(s.Log())-1]; e.InQueryPaging != "limit:5" || e.Fixture != "Q3" || e.FetchSent || e.OffsetSent {
		t.Errorf("log of Q9: %+v", e)
	}
	all := decodeRS(t, aql(t, s, q3, nil)).rows()
	if len(all) != s.FixtureRows("Q3") {
		t.Errorf("Q3 without fetch: %d rows, want all %d (no default limit)", len(all), s.FixtureRows("Q3"))
	}
	off := decodeRS(t, aql(t, s, q3+" LIMIT 5 OFFSET 5", nil)).rows()
	if fmt.Sprint(off) != fmt.Sprint(all[5:10]) {
		t.Error("LIMIT 5 OFFSET 5 is not rows 5–9")
	}
	// Numeric strings are accepted for offset and fetch.
	rs = decodeRS(t, aql(t, s, q3, map[string]any{"offset": "2", "fetch": "3"}))
	if fmt.Sprint(rs.rows()) != fmt.Sprint(all[2:5]) {
		t.Error("offset/fetch as strings not honoured")
	}
	m := rs.Meta
	if m["resultsize"] != 3.0 || m["fetch"] != 3.0 || m["offset"] != 2.0 || m["_type"] != "RESULTSET" || m["_schema_version"] != "1.0.3" {
		t.Errorf("meta %v", m)
	}
	if m["_created"] != "2026-02-03T04:05:06.000Z" {
		t.Errorf("_created %v, want the fixed clock", m["_created"])
	}
	if _, ok := m["_href"]; ok {
		t.Error("_href on a POST answer")
	}

	// Limits from configuration.
	lim := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, MaxFetch: 500, MaxLimit: 100, DefaultLimit: 50})
	wantError(t, lim, aql(t, lim, q3, map[string]any{"fetch": 501}), 422, "maximum fetch 500")
	wantError(t, lim, aql(t, lim, q3+" LIMIT 101", nil), 422, "maximum limit 100")
	rs = decodeRS(t, aql(t, lim, q3, nil))
	if len(rs.rows()) != 50 || rs.Meta["fetch"] != 50.0 || rs.Meta["offset"] != 0.0 {
		t.Errorf("default limit: %d rows, meta %v", len(rs.rows()), rs.Meta)
	}
	if n := len(decodeRS(t, aql(t, lim, q9, nil)).rows()); n != 5 {
		t.Errorf("default limit applied to a LIMIT query: %d rows", n)
	}

	// fetch-precedence MIN_FETCH takes min(LIMIT, fetch) but refuses OFFSET.
	mf := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, FetchPrecedence: "min_fetch"})
	if n := len(decodeRS(t, aql(t, mf, q9, map[string]any{"fetch": 3})).rows()); n != 3 {
		t.Errorf("min_fetch LIMIT 5 fetch 3: %d rows", n)
	}
	if n := len(decodeRS(t, aql(t, mf, q9, map[string]any{"fetch": 30})).rows()); n != 5 {
		t.Errorf("min_fetch LIMIT 5 fetch 30: %d rows", n)
	}
	wantError(t, mf, aql(t, mf, q3+" LIMIT 5 OFFSET 5", map[string]any{"fetch": 3}), 422, "OFFSET")
}

func TestOtherProfilesPaging(t *testing.T) {
	q3, q9 := FixtureAQL("Q3"), FixtureAQL("Q9")
	better := open(t, "better")
	all := decodeRS(t, aql(t, better, q3, nil)).rows()
	// Better: offset without fetch is fine; fetch applies within LIMIT.
	if got := decodeRS(t, aql(t, better, q3, map[string]any{"offset": 2100})).rows(); len(got) != len(all)-2100 {
		t.Errorf("better offset without fetch: %d rows", len(got))
	}
	if got := decodeRS(t, aql(t, better, q9, map[string]any{"fetch": 2, "offset": 1})).rows(); fmt.Sprint(got) != fmt.Sprint(all[1:3]) {
		t.Errorf("better fetch within LIMIT: %v", got)
	}
	// DIPS: fetch 0 with LIMIT means "not set"; BOM and _schemaVersion.
	dips := open(t, "dips")
	r := aql(t, dips, q9, map[string]any{"fetch": 0})
	if !bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF{")) {
		t.Errorf("dips body does not start with a BOM: %.20q", r.body)
	}
	rs := decodeRS(t, r)
	if len(rs.rows()) != 5 {
		t.Errorf("dips fetch 0 + LIMIT 5: %d rows", len(rs.rows()))
	}
	if rs.Meta["_schemaVersion"] != "1.0.3" || rs.Meta["_schema_version"] != nil || rs.Meta["resultsize"] != nil {
		t.Errorf("dips meta %v", rs.Meta)
	}
	if g, _ := rs.Meta["_generator"].(string); !strings.HasPrefix(g, "DIPS.OpenEhr") {
		t.Errorf("dips _generator %q", g)
	}
	// spec: fetch with TOP is an error; strings are not numbers.
	spec := open(t, "spec")
	top := strings.Replace(q3, "SELECT ", "SELECT TOP 4 ", 1)
	wantError(t, spec, aql(t, spec, top, map[string]any{"fetch": 2}), 400, "TOP")
	if n := len(decodeRS(t, aql(t, spec, top, nil)).rows()); n != 4 {
		t.Errorf("spec TOP 4: %d rows", n)
	}
	wantError(t, spec, aql(t, spec, q3, map[string]any{"fetch": "10"}), 400, "fetch must be an integer")
}

func TestFixtures(t *testing.T) {
	s := open(t, "ehrbase")
	d := s.Data()
	get := func(id string, fields map[string]any) resultSet {
		t.Helper()
		return decodeRS(t, aql(t, s, FixtureAQL(id), fields))
	}
	cols := func(rs resultSet) string {
		var names []string
		for _, c := range rs.Columns {
			names = append(names, c.Name)
		}
		return strings.Join(names, ",")
	}
	for _, tc := range []struct {
		id, cols string
		rows     int
	}{
		{"Q1", "ehr_id,time_created,subject_id,subject_namespace", 25},
		{"Q2", "uid,name,template_id,start_time", len(d.Compositions)},
		{"Q3", "ehr_id,time,systolic,diastolic", len(d.BloodPressure)},
		{"Q4", "ehr_id,time,systolic,diastolic", len(d.BloodPressure)},
		{"Q5b", "ehr_id,start_time,systolic,diastolic", 5},
		{"Q7", "ehr_id,time,temperature,unit", len(d.Temperatures)},
		{"Q8", "ehr_id,time,heart_rate", len(d.Pulses)},
		{"Q9", "ehr_id,time,systolic,diastolic", 5},
		{"Q10", "#0,#1", len(d.Compositions)},
		{"Q11", "template_id,n", 3},
		{"BULK", "ehr_id,time,systolic,diastolic,position", 10007},
		{"EHRIDS", "#0", 25},
	} {
		rs := get(tc.id, nil)
		if got := cols(rs); got != tc.cols {
			t.Errorf("%s columns %s, want %s", tc.id, got, tc.cols)
		}
		if len(rs.rows()) != tc.rows {
			t.Errorf("%s: %d rows, want %d", tc.id, len(rs.rows()), tc.rows)
		}
		for _, r := range rs.rows() {
			if len(r) != len(rs.Columns) {
				t.Fatalf("%s: row %v has %d cells for %d columns", tc.id, r, len(r), len(rs.Columns))
			}
		}
		if rs.Q != FixtureAQL(tc.id) {
			t.Errorf("%s: q not echoed", tc.id)
		}
	}
	for id, want := range map[string]int{"Q9": 5, "Q5b": 5, "Q12": 0, "Q5": len(d.BloodPressure), "BULK": 10007, "nope": 0} {
		if got := s.FixtureRows(id); got != want {
			t.Errorf("FixtureRows(%s) = %d, want %d", id, got, want)
		}
	}
	// Paths are relative to the variable.
	q3 := get("Q3", map[string]any{"fetch": 1})
	if q3.Columns[2].Path != "/data[at0001]/events[at0006]/data[at0003]/items[at0004]/value/magnitude" || q3.Columns[0].Path != "/ehr_id/value" {
		t.Errorf("Q3 paths %v", q3.Columns)
	}
	// Q3 is newest first with numeric values.
	rows := get("Q3", nil).rows()
	for i := 1; i < len(rows); i++ {
		if rows[i][1].(string) > rows[i-1][1].(string) {
			t.Fatalf("Q3 row %d is newer than row %d", i, i-1)
		}
	}
	if _, ok := rows[0][2].(float64); !ok {
		t.Errorf("Q3 systolic %T, want a number", rows[0][2])
	}
	// Q4 and BULK carry RM objects.
	sys := get("Q4", map[string]any{"fetch": 1}).rows()[0][2].(map[string]any)
	if sys["_type"] != "DV_QUANTITY" || sys["units"] != "mm[Hg]" || sys["precision"] != 0.0 || sys["magnitude"] != rows[0][2] {
		t.Errorf("Q4 systolic %v", sys)
	}
	pos := get("BULK", map[string]any{"fetch": 1}).rows()[0][4].(map[string]any)
	if pos["_type"] != "DV_CODED_TEXT" || pos["defining_code"].(map[string]any)["code_string"] == "" {
		t.Errorf("BULK position %v", pos)
	}
	// Q10's #1 is a DV_TEXT.
	if c := get("Q10", map[string]any{"fetch": 1}).rows()[0][1].(map[string]any); c["_type"] != "DV_TEXT" || c["value"] == "" {
		t.Errorf("Q10 #1 %v", c)
	}
	// Q11 counts add up to the compositions.
	total := 0.0
	for _, r := range get("Q11", nil).rows() {
		total += r[1].(float64)
	}
	if int(total) != len(d.Compositions) {
		t.Errorf("Q11 counts sum to %v, want %d", total, len(d.Compositions))
	}
	// The reference's example: a scalar and a DV_QUANTITY of the same value.
	ex := get("EXAMPLE", map[string]any{"query_parameters": map[string]any{"min_sys": 140}, "fetch": 2})
	if len(ex.rows()) != 2 || ex.Columns[1].Name != "measured_at" {
		t.Fatalf("EXAMPLE %v", ex)
	}
	for _, r := range ex.rows() {
		if dv := r[3].(map[string]any); dv["magnitude"] != r[2] || r[2].(float64) < 140 {
			t.Errorf("EXAMPLE row %v", r)
		}
	}
	// Q5b is abnormal readings only.
	for _, r := range get("Q5b", nil).rows() {
		if r[2].(float64) < 140 && r[3].(float64) < 90 {
			t.Errorf("Q5b row %v is not abnormal", r)
		}
	}
	// Q7 units vary.
	units := map[any]bool{}
	for _, r := range get("Q7", nil).rows() {
		units[r[3]] = true
	}
	if !units["Cel"] || !units["°C"] || len(units) != 2 {
		t.Errorf("Q7 units %v", units)
	}
	// Q12 and unknown AQL: EHRbase's 400.
	wantError(t, s, aql(t, s, FixtureAQL("Q12"), nil), 400, "AQL Parse exception")
	wantError(t, s, aql(t, s, "SELECT x FROM EHR e", nil), 400, "no fixture")
	wantError(t, s, call(t, "POST", s.BaseURL()+"/query/aql", map[string]any{"fetch": 1}), 400, "q is missing")
	wantError(t, s, call(t, "POST", s.BaseURL()+"/query/aql", "{not json", "Content-Type", "application/json"), 400, "JSON parse error")
}

func TestParameters(t *testing.T) {
	s := open(t, "ehrbase")
	q5 := FixtureAQL("Q5")
	rs := decodeRS(t, aql(t, s, q5, map[string]any{"query_parameters": map[string]any{"min_sys": 140}}))
	if len(rs.rows()) == 0 || len(rs.rows()) >= s.FixtureRows("Q3") {
		t.Fatalf("Q5 min_sys 140: %d rows", len(rs.rows()))
	}
	for _, r := range rs.rows() {
		if r[2].(float64) < 140 {
			t.Fatalf("row %v below min_sys", r)
		}
	}
	if ex := rs.Meta["_executed_aql"].(string); !strings.Contains(ex, ">= 140 ") || strings.Contains(ex, "$min_sys") {
		t.Errorf("_executed_aql %q", ex)
	}
	wantError(t, s, aql(t, s, q5, nil), 400, "min_sys")
	wantError(t, s, aql(t, s, q5, map[string]any{"query_parameters": map[string]any{"min_sys": "high"}}), 400, "must be a number")
	// "$min_sys" as a key and the old query-parameters spelling do not count.
	r := aql(t, s, q5, map[string]any{"query_parameters": map[string]any{"$min_sys": 140}})
	wantError(t, s, r, 400, "min_sys")
	wantError(t, s, aql(t, s, q5, map[string]any{"query-parameters": map[string]any{"min_sys": 140}}), 400, "min_sys")
	log := s.Log()
	if e := log[len(log)-2]; strings.Join(e.DollarKeys, ",") != "$min_sys" {
		t.Errorf("log dollar keys %v", e.DollarKeys)
	}
	if e := log[len(log)-1]; e.ParamsField != "query-parameters" {
		t.Errorf("log params field %q", e.ParamsField)
	}
	// GET: parameters as URL pairs.
	u := s.BaseURL() + "/query/aql?" + url.Values{"q": {q5}, "min_sys": {"150"}, "fetch": {"10"}}.Encode()
	rs = decodeRS(t, call(t, "GET", u, nil))
	if len(rs.rows()) != 10 || rs.rows()[9][2].(float64) < 150 {
		t.Errorf("GET Q5: %v %v", rs.rows(), rs.Meta)
	}
	if href, _ := rs.Meta["_href"].(string); !strings.Contains(href, "/query/aql?") {
		t.Errorf("GET _href %q", href)
	}
	// :name parameters: Better only.
	colon := strings.Replace(q5, "$min_sys", ":min_sys", 1)
	better := open(t, "better")
	if n := len(decodeRS(t, aql(t, better, colon, map[string]any{"query_parameters": map[string]any{"min_sys": 140}})).rows()); n == 0 {
		t.Error("better :min_sys gave no rows")
	}
	wantError(t, s, aql(t, s, colon, map[string]any{"query_parameters": map[string]any{"min_sys": 140}}), 400, "AQL Parse exception")
}

func TestEhrScoping(t *testing.T) {
	s := open(t, "ehrbase")
	d := s.Data()
	id := d.EHRs[3].ID
	want := 0
	for _, o := range d.BloodPressure {
		if o.EHR == 3 {
			want++
		}
	}
	check := func(rs resultSet) {
		t.Helper()
		if len(rs.rows()) != want {
			t.Errorf("%d rows, want %d", len(rs.rows()), want)
		}
		for _, r := range rs.rows() {
			if r[0] != id {
				t.Fatalf("row of EHR %v", r[0])
			}
		}
	}
	check(decodeRS(t, aql(t, s, FixtureAQL("Q6"), map[string]any{"query_parameters": map[string]any{"ehr_id": id}})))
	check(decodeRS(t, aql(t, s, FixtureAQL("Q3"), nil, "openehr-ehr-id", id)))
	check(decodeRS(t, aql(t, s, FixtureAQL("Q6"), nil, "openehr-ehr-id", id)))
	check(decodeRS(t, call(t, "GET", s.BaseURL()+"/query/aql?"+url.Values{"q": {FixtureAQL("Q6")}, "ehr_id": {id}}.Encode(), nil)))
	wantError(t, s, aql(t, s, FixtureAQL("Q6"), nil), 400, "$ehr_id")
	check(decodeRS(t, aql(t, s, FixtureAQL("Q3"), nil, "openEHR-EHR-id", id)))
	check(decodeRS(t, call(t, "GET", s.BaseURL()+"/query/aql?"+url.Values{"q": {FixtureAQL("Q3")}, "ehr_id": {id}}.Encode(), nil)))
	wantError(t, s, aql(t, s, FixtureAQL("Q3"), nil, "openehr-ehr-id", "00000000-0000-4000-8000-000000000000"), 404, "not found")
	if e := s.Log()[1]; e.EhrIDHeader != id || e.EhrIDParam != "" {
		t.Errorf("log ehr id header %q param %q", e.EhrIDHeader, e.EhrIDParam)
	}
	// Better: 409 when header and parameter disagree.
	b := open(t, "better")
	r := aql(t, b, FixtureAQL("Q3"), map[string]any{"ehr_id": d.EHRs[1].ID}, "openehr-ehr-id", id)
	wantError(t, b, r, 409, "disagree")
}

func TestStoredQueries(t *testing.T) {
	s := open(t, "ehrbase")
	base := s.BaseURL()
	rs := decodeRS(t, call(t, "POST", base+"/query/org.pqx::blood_pressure/1.0.0", map[string]any{"offset": 0, "fetch": 10, "query_parameters": map[string]any{}}))
	if rs.Name != "org.pqx::blood_pressure/1.0.0" || len(rs.rows()) != 10 || rs.Q != FixtureAQL("Q3") {
		t.Errorf("stored 1.0.0: name %q rows %d", rs.Name, len(rs.rows()))
	}
	// Latest and partial versions resolve to 1.1.0 (Q4); %3A%3A is ::.
	for _, path := range []string{"/query/org.pqx::blood_pressure", "/query/org.pqx%3A%3Ablood_pressure/1", "/query/org.pqx::blood_pressure/1.1"} {
		rs := decodeRS(t, call(t, "GET", base+path+"?fetch=1", nil))
		if rs.Name != "org.pqx::blood_pressure/1.1.0" {
			t.Errorf("%s: name %q", path, rs.Name)
		}
		if _, ok := rs.rows()[0][2].(map[string]any); !ok {
			t.Errorf("%s: systolic is not a DV_QUANTITY", path)
		}
	}
	rs = decodeRS(t, call(t, "POST", base+"/query/org.pqx::high_blood_pressure", map[string]any{"query_parameters": map[string]any{"min_sys": 180}}))
	for _, r := range rs.rows() {
		if r[2].(float64) < 180 {
			t.Fatalf("stored Q5 row %v", r)
		}
	}
	wantError(t, s, call(t, "POST", base+"/query/org.pqx::latest_blood_pressure", map[string]any{"offset": 0, "fetch": 10}), 422, "LIMIT")
	wantError(t, s, call(t, "POST", base+"/query/org.pqx::nope", map[string]any{}), 404, "not found")
	wantError(t, s, call(t, "POST", base+"/query/org.pqx::blood_pressure/2", map[string]any{}), 404, "not found")
	wantError(t, s, call(t, "POST", base+"/query/blood_pressure", map[string]any{}), 400, "namespace")
	wantError(t, s, call(t, "POST", base+"/query/org.pqx::blood_pressure/v1", map[string]any{}), 400, "Invalid version")
	if e := s.Log()[0]; e.StoredQuery != "org.pqx::blood_pressure/1.0.0" || e.Endpoint != "query.stored" || !e.FetchSent || !e.OffsetSent {
		t.Errorf("log entry %+v", e)
	}

	// Definitions: a bare array with q; legacy {versions} without q.
	var list []StoredQuery
	r := call(t, "GET", base+"/definition/query", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != 11 || list[0].Q == "" {
		t.Fatalf("definition list: %v %s", err, r.body)
	}
	r = call(t, "GET", base+"/definition/query/org.pqx::blood", nil)
	if err := json.Unmarshal(r.body, &list); err != nil || len(list) != 2 {
		t.Errorf("prefix list: %s", r.body)
	}
	one := call(t, "GET", base+"/definition/query/org.pqx::pulse/1.0.0", nil).json(t)
	if one["q"] != FixtureAQL("Q8") || one["type"] != "aql" {
		t.Errorf("single definition %v", one)
	}
	legacy := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, LegacyStoredQueryList: true})
	lm := call(t, "GET", legacy.BaseURL()+"/definition/query", nil).json(t)
	vs, _ := lm["versions"].([]any)
	if len(vs) != 11 || vs[0].(map[string]any)["q"] != nil {
		t.Errorf("legacy list %v", lm)
	}

	// PUT text/plain, 409 on repeat, then run it; reset restores the seed.
	put := func(path, ct, body string) response {
		return call(t, "PUT", base+"/definition/query/"+path, body, "Content-Type", ct)
	}
	if r := put("my.ns::pulse/0.0.0", "text/plain", FixtureAQL("Q8")); r.status != 200 || !strings.HasSuffix(r.header.Get("Location"), "/definition/query/my.ns::pulse/0.0.0") {
		t.Fatalf("PUT: %d %s %v", r.status, r.body, r.header)
	}
	wantError(t, s, put("my.ns::pulse/0.0.0", "text/plain", FixtureAQL("Q8")), 409, "already exists")
	wantError(t, s, put("my.ns::x/1.0.0", "application/xml", "<q/>"), 415, "text/plain")
	wantError(t, s, put("my.ns::x/1.0.0", "text/plain", "SELECT 'open"), 400, "AQL Parse exception")
	if r := put("my.ns::json", "application/json", `{"q":"`+FixtureAQL("Q1")+`"}`); r.status != 200 || r.json(t)["version"] != "1.0.0" {
		t.Errorf("PUT JSON without version: %d %s", r.status, r.body)
	}
	if n := len(decodeRS(t, call(t, "POST", base+"/query/my.ns::pulse/0.0.0", map[string]any{})).rows()); n != s.FixtureRows("Q8") {
		t.Errorf("stored my.ns::pulse: %d rows", n)
	}
	s.Reset()
	wantError(t, s, call(t, "POST", base+"/query/my.ns::pulse", map[string]any{}), 404, "not found")
}

func TestDefinitionsAndEHRs(t *testing.T) {
	s := open(t, "ehrbase")
	base := s.BaseURL()
	var ts []Template
	r := call(t, "GET", base+"/definition/template/adl1.4", nil)
	if err := json.Unmarshal(r.body, &ts); err != nil || len(ts) != 4 {
		t.Fatalf("templates: %s", r.body)
	}
	if ts[0].TemplateID != TemplateBP || ts[0].CreatedTimestamp != "2024-01-15T09:30:00.000Z" || ts[0].ArchetypeID == "" || ts[0].Concept == "" {
		t.Errorf("template %+v", ts[0])
	}
	x := call(t, "GET", base+"/definition/template/adl1.4/"+TemplateBP, nil, "Accept", "application/xml")
	if x.header.Get("Content-Type") != "application/xml" || !bytes.Contains(x.body, []byte("<template_id><value>"+TemplateBP)) {
		t.Errorf("OPT: %s %s", x.header.Get("Content-Type"), x.body)
	}
	wt := call(t, "GET", base+"/definition/template/adl1.4/"+TemplateBP, nil, "Accept", "application/openehr.wt+json").json(t)
	if wt["templateId"] != TemplateBP || wt["tree"] == nil {
		t.Errorf("web template %v", wt)
	}
	wantError(t, s, call(t, "GET", base+"/definition/template/adl1.4/nope", nil), 404, "Unknown template")

	e := s.Data().EHRs[2]
	m := call(t, "GET", base+"/ehr/"+e.ID, nil).json(t)
	if m["ehr_id"].(map[string]any)["value"] != e.ID || m["ehr_status"].(map[string]any)["type"] != "EHR_STATUS" {
		t.Errorf("EHR %v", m)
	}
	wantError(t, s, call(t, "GET", base+"/ehr/00000000-0000-4000-8000-000000000000", nil), 404, "not found")
	wantError(t, s, call(t, "GET", base+"/ehr/not-a-uuid", nil), 400, "UUID")
	bs := call(t, "GET", base+"/ehr?"+url.Values{"subject_id": {e.SubjectID}, "subject_namespace": {e.SubjectNamespace}}.Encode(), nil).json(t)
	if bs["ehr_id"].(map[string]any)["value"] != e.ID {
		t.Errorf("EHR by subject %v", bs)
	}
	wantError(t, s, call(t, "GET", base+"/ehr?subject_id=x", nil), 400, "required")
	wantError(t, s, call(t, "GET", base+"/ehr?subject_id=x&subject_namespace=y", nil), 404, "No EHR")
	wantError(t, s, call(t, "DELETE", base+"/ehr/"+e.ID, nil), 405, "not supported")
	wantError(t, s, call(t, "GET", base+"/nothing/here", nil), 404, "No endpoint")
	wantError(t, s, call(t, "GET", s.URL()+"/openehr/v1/query/aql", nil), 404, "/ehrbase/rest/openehr/v1")

	// Vendor extras: EHRbase status and no conformance; Better conformance
	// and EhrScape.
	st := call(t, "GET", s.URL()+"/ehrbase/rest/status", nil).json(t)
	for _, k := range []string{"ehrbase_version", "openehr_sdk_version", "archie_version", "jvm_version", "os_version", "postgres_version"} {
		if st[k] == nil {
			t.Errorf("status lacks %s", k)
		}
	}
	wantError(t, s, call(t, "OPTIONS", base+"/", nil), 404, "No endpoint")
	b := open(t, "better")
	conf := call(t, "OPTIONS", b.BaseURL()+"/", nil).json(t)
	if conf["vendor"] != "Better" || conf["restapi_specs_version"] != "1.0.3" {
		t.Errorf("conformance %v", conf)
	}
	q5b := call(t, "GET", b.URL()+"/ehr/rest/v1/query?"+url.Values{"aql": {FixtureAQL("Q5b")}}.Encode(), nil).json(t)
	for _, o := range q5b["resultSet"].([]any) {
		m := o.(map[string]any)
		if m["systolic"].(float64) < 140 && m["diastolic"].(float64) < 90 {
			t.Errorf("EhrScape Q5b row %v is not abnormal", m)
		}
	}
	if n := len(q5b["resultSet"].([]any)); n != 5 {
		t.Errorf("EhrScape Q5b: %d rows", n)
	}
	es := call(t, "GET", b.URL()+"/ehr/rest/v1/query?"+url.Values{"aql": {FixtureAQL("Q9")}}.Encode(), nil).json(t)
	set, _ := es["resultSet"].([]any)
	if len(set) != 5 || es["aql"] != FixtureAQL("Q9") {
		t.Fatalf("EhrScape: %v", es)
	}
	q4 := call(t, "GET", b.URL()+"/ehr/rest/v1/query?"+url.Values{"aql": {FixtureAQL("Q4") + " LIMIT 1"}}.Encode(), nil).json(t)
	sys := q4["resultSet"].([]any)[0].(map[string]any)["systolic"].(map[string]any)
	if sys["@class"] != "DV_QUANTITY" || sys["_type"] != nil {
		t.Errorf("EhrScape RM object %v", sys)
	}
}

func TestContentNegotiation(t *testing.T) {
	s := open(t, "ehrbase")
	q := FixtureAQL("Q1")
	for _, accept := range []string{"", "*/*", "application/json", "application/json;q=0.9, text/html", "application/xml", "application/*"} {
		if r := aql(t, s, q, nil, "Accept", accept); r.status != 200 {
			t.Errorf("Accept %q: %d", accept, r.status)
		}
	}
	for _, accept := range []string{"text/html", "text/csv", "application/json;q=0"} {
		wantError(t, s, aql(t, s, q, nil, "Accept", accept), 406, "not acceptable")
	}
	for _, ct := range []string{"text/plain", "application/x-www-form-urlencoded", ""} {
		r := call(t, "POST", s.BaseURL()+"/query/aql", `{"q":"x"}`, "Content-Type", ct)
		wantError(t, s, r, 415, "not supported")
	}
	r := aql(t, s, q, nil)
	if r.header.Get("Content-Type") != "application/json" || !strings.HasPrefix(r.header.Get("ETag"), `"`) {
		t.Errorf("headers %v", r.header)
	}
	if r2 := aql(t, s, q, nil); r2.header.Get("ETag") != r.header.Get("ETag") {
		t.Error("ETag differs for the same result")
	}
	if r.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
		t.Error("Content-Length mismatch")
	}
	_ = http.StatusOK
}
