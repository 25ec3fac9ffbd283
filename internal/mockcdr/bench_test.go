package mockcdr

import (
	"bytes"
	"encoding/json"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkBulkPaged serves the 10,007-row bulk fixture in pages of 1,000
// over loopback HTTP, as a connector would fetch it: 11 POST requests.
func BenchmarkBulkPaged(b *testing.B) {
	for _, profile := range []string{"ehrbase", "dips"} {
		b.Run(profile, func(b *testing.B) {
			s := open(b, profile)
			q := FixtureAQL("BULK")
			client := &http.Client{Transport: &http.Transport{MaxIdleConnsPerHost: 4}}
			var bytesRead int64
			requests := 0
			b.ReportAllocs()
			for b.Loop() {
				rows := 0
				for page := 0; ; page++ {
					body, _ := json.Marshal(map[string]any{"q": q, "offset": page * 1000, "fetch": 1000})
					resp, err := client.Post(s.BaseURL()+"/query/aql", "application/json", bytes.NewReader(body))
					if err != nil {
						b.Fatal(err)
					}
					data, err := io.ReadAll(resp.Body)
					resp.Body.Close()
					if err != nil || resp.StatusCode != 200 {
						b.Fatalf("page %d: %d %v", page, resp.StatusCode, err)
					}
					requests++
					bytesRead += int64(len(data))
					var rs struct {
						Rows []json.RawMessage `json:"rows"`
					}
					if err := json.Unmarshal(bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF")), &rs); err != nil {
						b.Fatal(err)
					}
					rows += len(rs.Rows)
					if len(rs.Rows) < 1000 {
						break
					}
				}
				if rows != BulkRows {
					b.Fatalf("%d rows", rows)
				}
			}
			b.ReportMetric(float64(requests)/float64(b.N), "requests/op")
			b.SetBytes(bytesRead / int64(b.N))
		})
	}
}

// BenchmarkServePage measures the server alone: one 1,000-row page of the
// bulk fixture through the handler, without network or client decoding.
func BenchmarkServePage(b *testing.B) {
	s, err := New(Config{Auth: AuthConfig{Mode: AuthNone}})
	if err != nil {
		b.Fatal(err)
	}
	h := s.Handler()
	body, _ := json.Marshal(map[string]any{"q": FixtureAQL("BULK"), "offset": 5000, "fetch": 1000})
	var n int64
	b.ReportAllocs()
	for b.Loop() {
		req := httptest.NewRequest("POST", "/ehrbase/rest/openehr/v1/query/aql", bytes.NewReader(body))
		req.Header.Set("Content-Type", "application/json")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		if rec.Code != 200 {
			b.Fatal(rec.Code)
		}
		n = int64(rec.Body.Len())
	}
	b.SetBytes(n)
}
