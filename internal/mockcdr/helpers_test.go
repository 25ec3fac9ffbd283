package mockcdr

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"
)

// fixedNow is the clock of test servers, so bodies are reproducible.
var fixedNow = time.Date(2026, 2, 3, 4, 5, 6, 0, time.UTC)

// start serves a mock CDR for cfg on a loopback httptest server.
func start(t testing.TB, cfg Config) *Server {
	t.Helper()
	if cfg.Clock == nil && cfg.FixedTime.IsZero() {
		cfg.Clock = func() time.Time { return fixedNow }
	}
	s, err := New(cfg)
	if err != nil {
		t.Fatal(err)
	}
	ts := httptest.NewServer(s.Handler())
	t.Cleanup(ts.Close)
	s.SetURL(ts.URL)
	return s
}

// open starts a server without authentication.
func open(t testing.TB, profile string) *Server {
	return start(t, Config{Profile: profile, Auth: AuthConfig{Mode: AuthNone}})
}

type response struct {
	status int
	header http.Header
	body   []byte
}

// json decodes the body (after a BOM, which the caller checks separately).
func (r response) json(t testing.TB) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF")), &m); err != nil {
		t.Fatalf("body is not a JSON object: %v\n%s", err, r.body)
	}
	return m
}

// call sends a request; body values other than string and nil are encoded
// as JSON with Content-Type application/json. Headers come in pairs.
func call(t testing.TB, method, url string, body any, headers ...string) response {
	t.Helper()
	var rd io.Reader
	ct := ""
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		enc, err := json.Marshal(b)
		if err != nil {
			t.Fatal(err)
		}
		rd = bytes.NewReader(enc)
		ct = "application/json"
	}
	req, err := http.NewRequest(method, url, rd)
	if err != nil {
		t.Fatal(err)
	}
	if ct != "" {
		req.Header.Set("Content-Type", ct)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	defer resp.Body.Close()
	b, err := io.ReadAll(resp.Body)
	if err != nil {
		t.Fatal(err)
	}
	return response{resp.StatusCode, resp.Header, b}
}

// aql posts an ad-hoc query with the given extra body fields.
func aql(t testing.TB, s *Server, q string, fields map[string]any, headers ...string) response {
	t.Helper()
	body := map[string]any{"q": q}
	for k, v := range fields {
		body[k] = v
	}
	return call(t, http.MethodPost, s.BaseURL()+"/query/aql", body, headers...)
}

// resultSet is a decoded result set.
type resultSet struct {
	Meta    map[string]any `json:"meta"`
	Name    string         `json:"name"`
	Q       string         `json:"q"`
	Columns []Column       `json:"columns"`
	Rows    *[][]any       `json:"rows"`
}

func decodeRS(t testing.TB, r response) resultSet {
	t.Helper()
	if r.status != http.StatusOK {
		t.Fatalf("status %d, want 200: %s", r.status, r.body)
	}
	var rs resultSet
	if err := json.Unmarshal(bytes.TrimPrefix(r.body, []byte("\xEF\xBB\xBF")), &rs); err != nil {
		t.Fatalf("not a result set: %v\n%.300s", err, r.body)
	}
	return rs
}

func (rs resultSet) rows() [][]any {
	if rs.Rows == nil {
		return nil
	}
	return *rs.Rows
}

// wantError checks status and the profile's error body shape.
func wantError(t testing.TB, s *Server, r response, status int, msgPart string) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.body)
	}
	m := r.json(t)
	msg, _ := m["message"].(string)
	if !strings.Contains(msg, msgPart) {
		t.Errorf("message %q does not contain %q", msg, msgPart)
	}
	switch s.Profile().Errors {
	case ErrorEHRbase:
		if m["error"] != http.StatusText(status) || len(m) != 2 {
			t.Errorf("EHRbase error body %s, want {error: %q, message}", r.body, http.StatusText(status))
		}
	case ErrorSpec:
		if _, ok := m["validationErrors"].([]any); !ok || len(m) != 2 {
			t.Errorf("spec error body %s, want {message, validationErrors}", r.body)
		}
	}
}
