package mockidp

import (
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"net/http"
	"strconv"
	"time"
	"unicode/utf8"
)

// exchange is one request in flight: the journal entry being built and the
// response modifications requested by faults.
type exchange struct {
	s   *Server
	w   http.ResponseWriter
	r   *http.Request
	e   Entry
	now time.Time
	// set by faults that shape a successful token response
	expiresIn string // "", "string", "zero", "missing"
	noRefresh bool
}

func (s *Server) begin(w http.ResponseWriter, r *http.Request, endpoint string) *exchange {
	now := s.clock.Now()
	return &exchange{s: s, w: w, r: r, now: now,
		e: Entry{Time: now, Endpoint: endpoint, Method: r.Method, Path: r.URL.Path}}
}

func (x *exchange) record(status int, outcome string) {
	x.e.Status, x.e.Outcome = status, outcome
	x.s.journal.add(x.e)
}

// jsonBuf builds a JSON object with fields in a fixed order, which keeps
// responses readable in journals and avoids reflection on the hot path.
type jsonBuf struct{ b []byte }

func (j *jsonBuf) key(k string) {
	if len(j.b) == 0 {
		j.b = append(j.b, '{')
	} else {
		j.b = append(j.b, ',')
	}
	j.b = appendJSONString(j.b, k)
	j.b = append(j.b, ':')
}

func (j *jsonBuf) str(k, v string) { j.key(k); j.b = appendJSONString(j.b, v) }
func (j *jsonBuf) num(k string, v int64) {
	j.key(k)
	j.b = strconv.AppendInt(j.b, v, 10)
}
func (j *jsonBuf) boolean(k string, v bool) { j.key(k); j.b = strconv.AppendBool(j.b, v) }
func (j *jsonBuf) raw(k string, v any) {
	data, err := json.Marshal(v)
	if err != nil {
		data = []byte("null")
	}
	j.key(k)
	j.b = append(j.b, data...)
}
func (j *jsonBuf) bytes() []byte {
	if len(j.b) == 0 {
		return []byte("{}")
	}
	return append(j.b, '}')
}

const hexDigits = "0123456789abcdef"

func appendJSONString(b []byte, s string) []byte {
	b = append(b, '"')
	// Tokens and most texts need no escaping: copy them in one go.
	plain := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c == '"' || c == '\\' || c >= utf8.RuneSelf {
			plain = false
			break
		}
	}
	if plain {
		b = append(b, s...)
		return append(b, '"')
	}
	for i := 0; i < len(s); {
		c := s[i]
		if c >= 0x20 && c != '"' && c != '\\' && c < utf8.RuneSelf {
			b = append(b, c)
			i++
			continue
		}
		if c >= utf8.RuneSelf {
			r, size := utf8.DecodeRuneInString(s[i:])
			if r == utf8.RuneError && size == 1 {
				b = append(b, `\ufffd`...)
			} else {
				b = append(b, s[i:i+size]...)
			}
			i += size
			continue
		}
		switch c {
		case '"', '\\':
			b = append(b, '\\', c)
		case '\n':
			b = append(b, '\\', 'n')
		case '\r':
			b = append(b, '\\', 'r')
		case '\t':
			b = append(b, '\\', 't')
		default:
			b = append(b, '\\', 'u', '0', '0', hexDigits[c>>4], hexDigits[c&0xf])
		}
		i++
	}
	return append(b, '"')
}

// noStore sets the headers RFC 6749 §5.1 requires on every token response.
func noStore(h http.Header) {
	h.Set("Content-Type", "application/json;charset=UTF-8")
	h.Set("Cache-Control", "no-store")
	h.Set("Pragma", "no-cache")
}

func (x *exchange) writeJSON(status int, body []byte) {
	noStore(x.w.Header())
	x.w.Header().Set("Content-Length", strconv.Itoa(len(body)))
	x.w.WriteHeader(status)
	_, _ = x.w.Write(body)
}

// ok answers 200 with a JSON body and journals the request.
func (x *exchange) ok(body []byte, reason string) {
	if x.e.Reason == "" {
		x.e.Reason = reason
	}
	x.writeJSON(http.StatusOK, body)
	x.record(http.StatusOK, "ok")
}

// fail answers a JSON OAuth error and journals it. Profile quirks (status
// overrides, vendor fields) are applied here, in one place.
func (x *exchange) fail(err *oauthError) {
	p := x.s.prof
	status := err.Status
	desc := err.Description
	if err.Code == "invalid_grant" && x.e.GrantType == "refresh_token" && len(err.Reason) > 8 && err.Reason[:8] == "refresh_" {
		if p.Errors.BadRefreshStatus != 0 {
			status = p.Errors.BadRefreshStatus
		}
		if desc == "" && p.Errors.BadRefreshDescription != "" {
			desc = p.Errors.BadRefreshDescription
		}
	}
	if d, ok := p.Errors.Descriptions[err.Reason]; ok && desc == "" {
		desc = d
	}
	if desc == "" {
		desc = err.Hint
	}
	var j jsonBuf
	j.str("error", err.Code)
	if p.Errors.Vendor == "entra" {
		n, ok := entraCodes[err.Reason]
		if !ok {
			n = 90000
		}
		desc = "AADSTS" + strconv.Itoa(n) + ": " + desc
		j.str("error_description", sanitizeDescription(desc))
		j.raw("error_codes", []int{n})
		j.str("timestamp", x.now.Format("2006-01-02 15:04:05Z"))
		j.str("trace_id", randomGUID())
		j.str("correlation_id", randomGUID())
	} else {
		j.str("error_description", sanitizeDescription(desc))
	}
	if err.Hint != "" && err.Hint != desc {
		j.str("error_hint", sanitizeDescription(err.Hint))
	}
	if err.Code == "invalid_client" && err.basicAuth {
		// RFC 6749 §5.2: MUST be 401 with WWW-Authenticate when the client
		// authenticated with the Authorization header.
		status = http.StatusUnauthorized
		x.w.Header().Set("WWW-Authenticate", `Basic realm="`+x.s.prof.Name+`", error="invalid_client"`)
	}
	x.e.Error, x.e.Reason, x.e.Hint = err.Code, err.Reason, err.Hint
	x.writeJSON(status, j.bytes())
	x.record(status, "error")
}

func randomGUID() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	h := hex.EncodeToString(b[:])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}
