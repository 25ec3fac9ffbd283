package mockcdr

import (
	"net/http"
	"net/url"
	"strings"
	"sync"
	"time"
)

// Request is one entry of the request log: what a client sent, as far as
// openEHR semantics go, and how the mock answered. Credentials are never
// recorded; Authorization and subscription-key headers are redacted.
type Request struct {
	Seq    int       `json:"seq"`
	Time   time.Time `json:"time"`
	Method string    `json:"method"`
	Path   string    `json:"path"`
	// RawPath is the path as sent, when its escaping differs from Path
	// (an escaped "/", "?" or space inside an id).
	RawPath string      `json:"raw_path,omitempty"`
	Query   url.Values  `json:"query,omitempty"`
	Header  http.Header `json:"header,omitempty"`
	// Body is the request body, cut at 64 KiB.
	Body string `json:"body,omitempty"`

	// Endpoint classifies the request: query.aql, query.stored,
	// definition.query, definition.template, ehr, status, options,
	// ehrscape, smart, or "" for unknown paths.
	Endpoint string `json:"endpoint,omitempty"`
	// Fixture is the id of the fixture that served a query.
	Fixture string `json:"fixture,omitempty"`
	// InQueryPaging describes LIMIT/OFFSET/TOP found in the AQL, e.g.
	// "limit:5,offset:10" or "top:3"; empty when the AQL has none.
	InQueryPaging string `json:"in_query_paging,omitempty"`
	// StoredQuery is the resolved "name/version" of a stored query.
	StoredQuery string `json:"stored_query,omitempty"`
	// OffsetSent and FetchSent say whether the client sent offset and fetch
	// (in the JSON body or the URL), and Offset and Fetch their values.
	OffsetSent bool `json:"offset_sent"`
	Offset     int  `json:"offset,omitempty"`
	FetchSent  bool `json:"fetch_sent"`
	Fetch      int  `json:"fetch,omitempty"`
	// ParamsField is where parameters came from: "query_parameters",
	// "query-parameters" (the pre-1.0.2 spelling, ignored), or "url".
	ParamsField string `json:"params_field,omitempty"`
	// Params are the parameters as received (keys as sent).
	Params map[string]any `json:"params,omitempty"`
	// DollarKeys lists parameter keys sent with a leading "$", which the
	// specification forbids.
	DollarKeys []string `json:"dollar_keys,omitempty"`
	// EhrIDParam and EhrIDHeader are the ehr_id parameter and the
	// openehr-ehr-id header.
	EhrIDParam  string `json:"ehr_id_param,omitempty"`
	EhrIDHeader string `json:"ehr_id_header,omitempty"`

	// AuthScheme is "basic", "bearer" or "" (none sent).
	AuthScheme string `json:"auth_scheme,omitempty"`
	// Subject is the authenticated user name or token subject.
	Subject string `json:"subject,omitempty"`
	// ClaimStyle is keycloak, auth0 or entra for Bearer tokens.
	ClaimStyle string `json:"claim_style,omitempty"`
	// CredentialInURL reports a token or password in the query string.
	CredentialInURL bool `json:"credential_in_url,omitempty"`

	// Status is the HTTP status sent.
	Status int `json:"status"`
	// Rows is the number of rows in the result set, or -1 when rows was
	// left out or the answer was not a result set.
	Rows int `json:"rows"`
	// Fault names the injected faults that fired, comma-separated.
	Fault string `json:"fault,omitempty"`
	// Error is the error message sent, if any.
	Error    string        `json:"error,omitempty"`
	Duration time.Duration `json:"duration_ns"`
}

// requestLog is a bounded, concurrency-safe log.
type requestLog struct {
	mu      sync.Mutex
	limit   int
	seq     int
	entries []Request
}

func (l *requestLog) add(r *Request) {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.seq++
	r.Seq = l.seq
	l.entries = append(l.entries, *r)
	if len(l.entries) > l.limit {
		// Drop the oldest half at once to keep appends amortised O(1).
		n := len(l.entries) - l.limit/2
		l.entries = append(l.entries[:0:0], l.entries[n:]...)
	}
}

func (l *requestLog) since(seq int) []Request {
	l.mu.Lock()
	defer l.mu.Unlock()
	var out []Request
	for _, e := range l.entries {
		if e.Seq > seq {
			out = append(out, e)
		}
	}
	return out
}

func (l *requestLog) clear() {
	l.mu.Lock()
	defer l.mu.Unlock()
	l.entries = nil
}

// redactHeader copies h without credentials.
func redactHeader(h http.Header) http.Header {
	out := make(http.Header, len(h))
	for k, v := range h {
		switch strings.ToLower(k) {
		case "authorization", "proxy-authorization":
			red := make([]string, len(v))
			for i, s := range v {
				scheme, _, _ := strings.Cut(s, " ")
				red[i] = scheme + " [redacted]"
			}
			out[k] = red
		case "dips-subscription-key", "ocp-apim-subscription-key", "cookie":
			out[k] = []string{"[redacted]"}
		default:
			out[k] = append([]string(nil), v...)
		}
	}
	return out
}

// credentialParams are query-string keys that carry secrets; a client that
// puts them in a URL leaks them into proxy and server logs.
var credentialParams = []string{"access_token", "token", "id_token", "password", "client_secret", "authorization", "apikey", "api_key", "subscription-key"}

func redactQuery(q url.Values) (url.Values, bool) {
	found := false
	out := make(url.Values, len(q))
	for k, v := range q {
		secret := false
		for _, c := range credentialParams {
			if strings.EqualFold(k, c) {
				secret = true
			}
		}
		if secret {
			found = true
			out[k] = []string{"[redacted]"}
		} else {
			out[k] = v
		}
	}
	return out, found
}
