package mockcdr

import (
	"bytes"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestEHREndpointsPerProfile checks GET /ehr/{id} and GET /ehr?subject_id&
// subject_namespace under every profile: the base path, the EHR shape, the
// vendor's error body for 400 and 404, and DIPS' byte order mark.
func TestEHREndpointsPerProfile(t *testing.T) {
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) {
			s := open(t, profile)
			base := s.BaseURL()
			if !strings.HasSuffix(base, s.Profile().BasePath) {
				t.Fatalf("base %s", base)
			}
			e := s.Data().EHRs[3]
			r := call(t, "GET", base+"/ehr/"+e.ID, nil)
			if r.status != 200 || r.header.Get("Content-Type") != "application/json" {
				t.Fatalf("GET ehr: %d %v", r.status, r.header)
			}
			if got := bytes.HasPrefix(r.body, []byte("\xEF\xBB\xBF")); got != s.Profile().BOM {
				t.Errorf("BOM %v, profile says %v", got, s.Profile().BOM)
			}
			m := r.json(t)
			want := map[string]any{
				"system_id":    map[string]any{"value": "mock.pqx.local"},
				"ehr_id":       map[string]any{"value": e.ID},
				"time_created": map[string]any{"value": isoTime(e.TimeCreated)},
				"ehr_status": map[string]any{
					"id":        map[string]any{"_type": "OBJECT_VERSION_ID", "value": e.ID[:8] + "-status::mock.pqx.local::1"},
					"namespace": "local", "type": "EHR_STATUS",
				},
				"ehr_access": map[string]any{
					"id":        map[string]any{"_type": "OBJECT_VERSION_ID", "value": e.ID[:8] + "-access::mock.pqx.local::1"},
					"namespace": "local", "type": "EHR_ACCESS",
				},
			}
			if diff := cmp.Diff(want, m); diff != "" {
				t.Errorf("EHR (-want +got):\n%s", diff)
			}
			bySubject := call(t, "GET", base+"/ehr?"+url.Values{"subject_id": {e.SubjectID}, "subject_namespace": {e.SubjectNamespace}}.Encode(), nil)
			if diff := cmp.Diff(want, bySubject.json(t)); diff != "" {
				t.Errorf("EHR by subject (-want +got):\n%s", diff)
			}

			wantError(t, s, call(t, "GET", base+"/ehr/00000000-0000-4000-8000-000000000000", nil), 404, "not found")
			wantError(t, s, call(t, "GET", base+"/ehr?subject_id=nobody&subject_namespace=nowhere", nil), 404, "No EHR")
			wantError(t, s, call(t, "GET", base+"/ehr?subject_namespace=x", nil), 400, "required")
			// An escaped "/" or "?" stays inside the id's segment: the id is
			// refused as not a UUID instead of reaching another endpoint.
			for _, raw := range []string{"a%2Fb", "..%2Fdefinition%2Fquery", "x%3Fy%3D1", "a%20b"} {
				wantError(t, s, call(t, "GET", base+"/ehr/"+raw, nil), 400, "not a UUID")
			}
			log := s.Log()
			last := log[len(log)-1]
			if last.Path != s.Profile().BasePath+"/ehr/a b" || last.RawPath != s.Profile().BasePath+"/ehr/a%20b" || last.Endpoint != "ehr" {
				t.Errorf("log of an escaped id: path %q raw %q endpoint %q", last.Path, last.RawPath, last.Endpoint)
			}
			if first := log[0]; first.RawPath != "" || first.Method != "GET" || first.Status != 200 {
				t.Errorf("log of a plain id: %+v", first)
			}
		})
	}
}

// TestEHRLegacyStatus checks the EHRbase < 2.30 form: EHR_STATUS embedded
// with the subject's external reference.
func TestEHRLegacyStatus(t *testing.T) {
	s := start(t, Config{Auth: AuthConfig{Mode: AuthNone}, LegacyEHRStatus: true})
	e := s.Data().EHRs[0]
	m := call(t, "GET", s.BaseURL()+"/ehr/"+e.ID, nil).json(t)
	st, _ := m["ehr_status"].(map[string]any)
	ref, _ := st["subject"].(map[string]any)["external_ref"].(map[string]any)
	if st["_type"] != "EHR_STATUS" || ref["namespace"] != e.SubjectNamespace || ref["id"].(map[string]any)["value"] != e.SubjectID {
		t.Errorf("legacy ehr_status %v", st)
	}
	if st["uid"].(map[string]any)["value"] == "" || m["ehr_access"].(map[string]any)["type"] != "EHR_ACCESS" {
		t.Errorf("legacy EHR %v", m)
	}
}

// TestStoredQueryGetForm checks the URL form of a stored query: offset and
// fetch page as in a JSON body, parameters come from URL pairs (a repeated
// key is a list), versions resolve as for POST, and the log records it.
func TestStoredQueryGetForm(t *testing.T) {
	for _, profile := range Profiles() {
		t.Run(profile, func(t *testing.T) {
			s := open(t, profile)
			base := s.BaseURL() + "/query/org.pqx::ehrs/1.0.0"
			var got []any
			for off := 0; ; off += 10 {
				rs := decodeRS(t, call(t, "GET", base+"?"+url.Values{"offset": {strconv.Itoa(off)}, "fetch": {"10"}}.Encode(), nil))
				for _, r := range rs.rows() {
					got = append(got, r[0])
				}
				if len(rs.rows()) < 10 {
					break
				}
			}
			if len(got) != 25 {
				t.Errorf("paged GET: %d rows, want 25", len(got))
			}
			all := decodeRS(t, call(t, "GET", base, nil)).rows()
			for i := range all {
				if i < len(got) && all[i][0] != got[i] {
					t.Fatalf("row %d: paged %v, unpaged %v", i, got[i], all[i][0])
				}
			}

			hb := s.BaseURL() + "/query/org.pqx::high_blood_pressure"
			post := decodeRS(t, call(t, "POST", hb, map[string]any{"query_parameters": map[string]any{"min_sys": 160}}))
			get := decodeRS(t, call(t, "GET", hb+"?min_sys=160", nil))
			if len(get.rows()) == 0 || len(get.rows()) != len(post.rows()) {
				t.Errorf("GET %d rows, POST %d", len(get.rows()), len(post.rows()))
			}
			wantError(t, s, call(t, "GET", hb+"?min_sys=high", nil), 400, "must be a number")
			wantError(t, s, call(t, "GET", hb+"?offset=x&fetch=1&min_sys=1", nil), 400, "offset must be an integer")

			s.ClearLog()
			call(t, "GET", hb+"?min_sys=170&tag=a&tag=b&fetch=1&offset=0", nil)
			e := s.Log()[0]
			if e.ParamsField != "url" || !e.OffsetSent || !e.FetchSent || e.Fetch != 1 || e.StoredQuery != "org.pqx::high_blood_pressure/1.0.0" {
				t.Errorf("log %+v", e)
			}
			if diff := cmp.Diff(map[string]any{"min_sys": "170", "tag": []any{"a", "b"}}, e.Params); diff != "" {
				t.Errorf("params (-want +got):\n%s", diff)
			}
			if diff := cmp.Diff(url.Values{"min_sys": {"170"}, "tag": {"a", "b"}, "fetch": {"1"}, "offset": {"0"}}, e.Query); diff != "" {
				t.Errorf("query (-want +got):\n%s", diff)
			}

			rs := decodeRS(t, call(t, "GET", s.BaseURL()+"/query/org.pqx%3A%3Ablood_pressure/1.0?fetch=2", nil))
			if len(rs.rows()) != 2 || rs.Q != FixtureAQL("Q3") {
				t.Errorf("GET version 1.0: %d rows, q %.40q", len(rs.rows()), rs.Q)
			}
			wantError(t, s, call(t, "GET", s.BaseURL()+"/query/org.pqx::blood_pressure/3", nil), 404, "not found")
		})
	}
}
