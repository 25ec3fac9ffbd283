package connectortest

import (
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

// ehrRequest is what the CDR saw of one EHR request.
type ehrRequest struct {
	Method, Path, RawPath string
	Query                 url.Values
	Status                int
}

func (e *env) ehrRequests(seq int) []ehrRequest {
	var out []ehrRequest
	for _, r := range e.cdr.LogSince(seq) {
		if r.Endpoint == "ehr" {
			out = append(out, ehrRequest{r.Method, r.Path, r.RawPath, r.Query, r.Status})
		}
	}
	return out
}

// lastSeq is the sequence number of the CDR's newest log entry.
func (e *env) lastSeq() int {
	log := e.cdr.Log()
	if len(log) == 0 {
		return 0
	}
	return log[len(log)-1].Seq
}

// ehrRecord is the record Ehr and EhrBySubject return for a mock EHR, as
// an M expression; the subject depends on how the EHR was found.
func ehrRecord(ehr mockcdr.EHR, subjectID, subjectNamespace string) string {
	subject := func(s string) string {
		if s == "" {
			return "null"
		}
		return mtext(s)
	}
	return `[ehr_id = ` + mtext(ehr.ID) +
		`, system_id = "mock.pqx.local"` +
		`, time_created = DateTimeZone.FromText(` + mtext(ehr.TimeCreated.Format(time.RFC3339)) + `)` +
		`, subject_id = ` + subject(subjectID) +
		`, subject_namespace = ` + subject(subjectNamespace) +
		`, ehr_status_id = ` + mtext(ehr.ID[:8]+"-status::mock.pqx.local::1") +
		`, ehr_access_id = ` + mtext(ehr.ID[:8]+"-access::mock.pqx.local::1") + `]`
}

// TestEhr checks K.Ehr under every vendor profile: the record, the one
// GET {base}/ehr/{id} request, 404 as openEHR.NotFound without the id in
// the Detail, and ids that are escaped into their path segment.
func TestEhr(t *testing.T) {
	for _, tc := range []struct{ profile, vendor string }{
		{"ehrbase", "ehrbase"}, {"better", "better"}, {"dips", "dips"}, {"spec", "generic"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			e := newEnv(t, mockcdr.Config{Profile: tc.profile}, tc.vendor, "")
			base := e.cdr.Profile().BasePath
			ehr := e.cdr.Data().EHRs[4]
			want := e.eval(t, ehrRecord(ehr, "", ""))
			if got := e.eval(t, `K.Ehr(`+mtext(ehr.ID)+`)`); got != want {
				t.Errorf("Ehr:\n got %s\nwant %s", got, want)
			}
			if diff := cmp.Diff([]ehrRequest{{"GET", base + "/ehr/" + ehr.ID, "", nil, 200}}, e.ehrRequests(0)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			if n := len(e.cdr.Log()); n != 1 {
				t.Errorf("%d requests, want 1", n)
			}

			seq := e.lastSeq()
			missing := "00000000-0000-4000-8000-000000000000"
			err := e.evalErr(t, `K.Ehr(`+mtext(missing)+`)`)
			if err.Reason() != "openEHR.NotFound" || !strings.Contains(err.Message(), "HTTP 404") {
				t.Errorf("unknown EHR: %v", err)
			}
			if got := e.detailField(t, err, "RequestPath"); got != `"ehr/{ehr_id}"` {
				t.Errorf("Detail.RequestPath = %s, want the path without the id", got)
			}
			if got := e.detailField(t, err, "Status"); got != "404" {
				t.Errorf("Detail.Status = %s", got)
			}
			for _, tr := range e.traces {
				if strings.Contains(tr, missing) {
					t.Errorf("trace shows the EHR id: %s", tr)
				}
			}
			if diff := cmp.Diff([]ehrRequest{{"GET", base + "/ehr/" + missing, "", nil, 404}}, e.ehrRequests(seq)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}

			// Characters that would leave the segment are escaped: the
			// server sees one segment and refuses the id (400).
			for id, raw := range map[string]string{
				"../definition/query": "..%2Fdefinition%2Fquery",
				"a b?c=1#d":           "a%20b%3Fc%3D1%23d",
				"x%2Fy":               "x%252Fy",
			} {
				seq := e.lastSeq()
				err := e.evalErr(t, `K.Ehr(`+mtext(id)+`)`)
				if err.Reason() != "openEHR.BadQuery" {
					t.Errorf("id %q: %v", id, err)
				}
				rs := e.ehrRequests(seq)
				decoded, _ := url.PathUnescape(raw)
				if len(rs) != 1 || rs[0].RawPath != base+"/ehr/"+raw || rs[0].Path != base+"/ehr/"+decoded || rs[0].Query != nil || rs[0].Status != 400 {
					t.Errorf("id %q: requests %+v, want one GET of %s", id, rs, base+"/ehr/"+raw)
				}
			}

			seq = e.lastSeq()
			for _, call := range []string{`K.Ehr("")`, `K.Ehr("  ")`, `K.EhrBySubject("", "ns")`, `K.EhrBySubject("id", "")`} {
				if err := e.evalErr(t, call); err.Reason() != "Expression.Error" || !strings.Contains(err.Message(), "must not be empty") {
					t.Errorf("%s: %v", call, err)
				}
			}
			if n := len(e.cdr.LogSince(seq)); n != 0 {
				t.Errorf("empty ids caused %d requests", n)
			}
		})
	}
}

// TestEhrBySubject checks K.EhrBySubject: GET {base}/ehr with subject_id and
// subject_namespace as URL parameters (escaped, so any text arrives as
// sent), the subject filled in from the lookup, and 404 as
// openEHR.NotFound.
func TestEhrBySubject(t *testing.T) {
	for _, tc := range []struct{ profile, vendor string }{
		{"ehrbase", "ehrbase"}, {"better", "better"}, {"dips", "dips"}, {"spec", "generic"},
	} {
		t.Run(tc.profile, func(t *testing.T) {
			e := newEnv(t, mockcdr.Config{Profile: tc.profile}, tc.vendor, "")
			base := e.cdr.Profile().BasePath
			ehr := e.cdr.Data().EHRs[7]
			want := e.eval(t, ehrRecord(ehr, ehr.SubjectID, ehr.SubjectNamespace))
			if got := e.eval(t, `K.EhrBySubject(`+mtext(ehr.SubjectID)+`, `+mtext(ehr.SubjectNamespace)+`)`); got != want {
				t.Errorf("EhrBySubject:\n got %s\nwant %s", got, want)
			}
			wantReqs := []ehrRequest{{"GET", base + "/ehr", "", url.Values{"subject_id": {ehr.SubjectID}, "subject_namespace": {ehr.SubjectNamespace}}, 200}}
			if diff := cmp.Diff(wantReqs, e.ehrRequests(0)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}

			seq := e.lastSeq()
			id, ns := "12&subject_namespace=x y/z?#", "urn:oid:1.2.3 + ü"
			err := e.evalErr(t, `K.EhrBySubject(`+mtext(id)+`, `+mtext(ns)+`)`)
			if err.Reason() != "openEHR.NotFound" || !strings.Contains(err.Message(), "HTTP 404") {
				t.Errorf("unknown subject: %v", err)
			}
			if got := e.detailField(t, err, "RequestPath"); got != `"ehr"` {
				t.Errorf("Detail.RequestPath = %s", got)
			}
			wantReqs = []ehrRequest{{"GET", base + "/ehr", "", url.Values{"subject_id": {id}, "subject_namespace": {ns}}, 404}}
			if diff := cmp.Diff(wantReqs, e.ehrRequests(seq)); diff != "" {
				t.Errorf("requests (-want +got):\n%s", diff)
			}
			for _, tr := range e.traces {
				if strings.Contains(tr, "subject_namespace=") || strings.Contains(tr, "urn:oid") {
					t.Errorf("trace shows the subject: %s", tr)
				}
			}
		})
	}
}

// TestEhrEmbeddedStatus checks an EHR whose EHR_STATUS is embedded
// (EHRbase before 2.30): the subject comes from the status.
func TestEhrEmbeddedStatus(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase", LegacyEHRStatus: true}, "ehrbase", "")
	ehr := e.cdr.Data().EHRs[0]
	want := e.eval(t, ehrRecord(ehr, ehr.SubjectID, ehr.SubjectNamespace))
	if got := e.eval(t, `K.Ehr(`+mtext(ehr.ID)+`)`); got != want {
		t.Errorf("Ehr:\n got %s\nwant %s", got, want)
	}
}

// TestEhrDocumented checks that both functions carry documentation.
func TestEhrDocumented(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	for fn, want := range map[string]string{"K.Ehr": "openEHR EHR", "K.EhrBySubject": "openEHR EHR by subject"} {
		if got := e.eval(t, `Value.Metadata(Value.Type(`+fn+`))[Documentation.Name]`); got != mtext(want) {
			t.Errorf("%s Documentation.Name = %s", fn, got)
		}
		got := e.eval(t, `Record.FieldNames(Type.FunctionParameters(Value.Type(`+fn+`)))`)
		if fn == "K.Ehr" && got != `{"ehrId"}` || fn == "K.EhrBySubject" && got != `{"subjectId", "subjectNamespace"}` {
			t.Errorf("%s parameters %s", fn, got)
		}
	}
}

// TestEhrResponses checks answers other than a plain EHR: retried 503s,
// an empty 200, a JSON answer that is no EHR, and times without a zone.
func TestEhrResponses(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "better"}, "better", "")
	ehr := e.cdr.Data().EHRs[1]
	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "503", Count: 1, Path: "^/ehr"}); err != nil {
		t.Fatal(err)
	}
	if got := e.eval(t, `K.Ehr(`+mtext(ehr.ID)+`)[ehr_id]`); got != mtext(ehr.ID) {
		t.Errorf("after a 503: %s", got)
	}
	if rs := e.ehrRequests(0); len(rs) != 2 || rs[0].Status != 503 || rs[1].Status != 200 {
		t.Errorf("requests %+v, want a 503 then a 200", rs)
	}

	if err := e.cdr.AddFault(mockcdr.Fault{Kind: "empty", Count: 1, Path: "^/ehr"}); err != nil {
		t.Fatal(err)
	}
	err := e.evalErr(t, `K.Ehr(`+mtext(ehr.ID)+`)`)
	if err.Reason() != "openEHR.BadResponse" || e.detailField(t, err, "RequestPath") != `"ehr/{ehr_id}"` {
		t.Errorf("empty answer: %v", err)
	}

	err = e.evalErr(t, `EhrRecord([message = "hello"], "ehr", "s", "ns")`)
	if err.Reason() != "openEHR.BadResponse" || !strings.Contains(err.Message(), "not an EHR") {
		t.Errorf("JSON that is no EHR: %v", err)
	}
	for created, want := range map[string]string{
		"2025-01-02T03:04:05":       `"2025-01-02T03:04:05"`,
		"2025-01-02":                `"2025-01-02"`,
		"2025-01-02T03:04:05Z":      "#datetimezone(2025, 1, 2, 3, 4, 5, 0, 0)",
		"2025-01-02T03:04:05-05:30": "#datetimezone(2025, 1, 2, 3, 4, 5, -5, -30)",
	} {
		got := e.eval(t, `EhrRecord([ehr_id = [value = "x"], time_created = [value = `+mtext(created)+`]], "ehr", null, null)[time_created]`)
		if got != want {
			t.Errorf("time_created %q gave %s, want %s", created, got, want)
		}
	}
}
