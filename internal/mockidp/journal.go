package mockidp

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"regexp"
	"sync"
	"time"
)

// Entry is one request to the mock and the decision taken on it. Secrets
// never appear: client secrets and code verifiers are replaced by
// "[redacted]", and codes and tokens by a short fingerprint ("#1a2b3c4d")
// so that entries can still be correlated.
type Entry struct {
	Seq        int64             `json:"seq"`
	Time       time.Time         `json:"time"` // virtual time
	Endpoint   string            `json:"endpoint"`
	Method     string            `json:"method"`
	Path       string            `json:"path"`
	GrantType  string            `json:"grant_type,omitempty"`
	ClientID   string            `json:"client_id,omitempty"`
	AuthMethod string            `json:"auth_method,omitempty"` // none, client_secret_basic, client_secret_post
	Params     map[string]string `json:"params,omitempty"`
	Status     int               `json:"status"`
	// Outcome is "ok", "redirect", "error" or "fault".
	Outcome string `json:"outcome"`
	Error   string `json:"error,omitempty"`
	// Reason is the stable machine code of the decision ("issued",
	// "refresh_rotated", "refresh_reused", "pkce_mismatch", ...).
	Reason string `json:"reason"`
	Hint   string `json:"hint,omitempty"`
	// Family and Generation identify the refresh-token family and the
	// generation of the token presented or issued.
	Family     string `json:"family,omitempty"`
	Generation int    `json:"generation,omitempty"`
	// Issued lists fingerprints of what the request issued.
	Issued []string `json:"issued,omitempty"`
	// Effects lists side effects: "family F revoked", "session S ended", ...
	Effects []string `json:"effects,omitempty"`
	// Fault names the injected fault that shaped the response.
	Fault string `json:"fault,omitempty"`
	// Warnings are findings that did not fail the request (e.g. no state).
	Warnings []string `json:"warnings,omitempty"`
}

// Journal records entries in memory, oldest first, keeping at most a limit.
type Journal struct {
	mu      sync.Mutex
	entries []Entry
	seq     int64
	limit   int
	dropped int64
}

func newJournal(limit int) *Journal {
	if limit <= 0 {
		limit = 100000
	}
	return &Journal{limit: limit}
}

func (j *Journal) add(e Entry) {
	j.mu.Lock()
	j.seq++
	e.Seq = j.seq
	if len(j.entries) >= j.limit {
		// Drop the oldest half at once so appends stay amortised O(1).
		n := len(j.entries) / 2
		j.dropped += int64(n)
		j.entries = append(j.entries[:0], j.entries[n:]...)
	}
	j.entries = append(j.entries, e)
	j.mu.Unlock()
}

// Entries returns a copy of the recorded entries.
func (j *Journal) Entries() []Entry {
	j.mu.Lock()
	defer j.mu.Unlock()
	return append([]Entry(nil), j.entries...)
}

// Filter returns the entries for which keep reports true.
func (j *Journal) Filter(keep func(*Entry) bool) []Entry {
	var out []Entry
	for _, e := range j.Entries() {
		if keep(&e) {
			out = append(out, e)
		}
	}
	return out
}

// Dropped reports how many old entries were discarded to respect the limit.
func (j *Journal) Dropped() int64 {
	j.mu.Lock()
	defer j.mu.Unlock()
	return j.dropped
}

// Clear forgets the recorded entries (sequence numbers keep counting), so
// a test can assert on what happens after its setup.
func (j *Journal) Clear() { j.reset() }

func (j *Journal) reset() {
	j.mu.Lock()
	j.entries, j.dropped = nil, 0
	j.mu.Unlock()
}

// WriteJSONLines writes the entries whose JSON form matches re (all if re is
// nil) as JSON lines, and returns how many it wrote.
func (j *Journal) WriteJSONLines(w io.Writer, re *regexp.Regexp) (int, error) {
	n := 0
	for _, e := range j.Entries() {
		b, err := json.Marshal(e)
		if err != nil {
			return n, err
		}
		if re != nil && !re.Match(b) {
			continue
		}
		b = append(b, '\n')
		if _, err := w.Write(b); err != nil {
			return n, err
		}
		n++
	}
	return n, nil
}

// Fingerprint returns the short fingerprint under which a code or token
// appears in the journal.
func Fingerprint(secret string) string {
	if secret == "" {
		return ""
	}
	sum := sha256.Sum256([]byte(secret))
	return "#" + hex.EncodeToString(sum[:4])
}

// redactedParams copies form parameters for the journal with secrets removed.
func redactedParams(form map[string][]string) map[string]string {
	if len(form) == 0 {
		return nil
	}
	out := make(map[string]string, len(form))
	for k, vs := range form {
		v := ""
		if len(vs) > 0 {
			v = vs[0]
		}
		if len(vs) > 1 {
			v += " (+duplicates)"
		}
		switch k {
		case "client_secret", "code_verifier", "password", "client_assertion":
			v = "[redacted]"
		case "code", "refresh_token", "access_token", "token", "id_token_hint":
			v = Fingerprint(v)
		}
		out[k] = v
	}
	return out
}
