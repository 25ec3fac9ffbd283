package mockcdr

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"time"
)

// FaultKind names an injectable failure.
type FaultKind string

// Fault kinds. Status faults replace the answer; the others alter it.
const (
	FaultTooManyRequests FaultKind = "429"           // 429 with Retry-After
	FaultUnavailable     FaultKind = "503"           // 503 with Retry-After
	FaultBadGateway      FaultKind = "502"           // 502 with a proxy's HTML page
	FaultGatewayTimeout  FaultKind = "504"           // 504 with a proxy's HTML page
	FaultUnauthorized    FaultKind = "401"           // 401 as if the token expired
	FaultServerError     FaultKind = "500"           // 500 with the vendor's generic body
	FaultEmpty           FaultKind = "empty"         // 200 with an empty body
	FaultTruncated       FaultKind = "truncated"     // 200 with the body cut in half
	FaultIgnoreOffset    FaultKind = "ignore-offset" // offset is validated, then ignored
	FaultIgnoreFetch     FaultKind = "ignore-fetch"  // fetch is validated, then ignored
	FaultSlow            FaultKind = "slow"          // answer after Delay (408 past the query timeout)
	FaultBOM             FaultKind = "bom"           // prefix a UTF-8 byte order mark
	FaultNoRows          FaultKind = "no-rows"       // leave rows out of the result set
	FaultNullRows        FaultKind = "null-rows"     // send "rows": null (Better past the end)
	FaultHTML            FaultKind = "html"          // 200 with an SSO proxy's HTML login page
)

var faultKinds = []FaultKind{
	FaultTooManyRequests, FaultUnavailable, FaultBadGateway, FaultGatewayTimeout, FaultUnauthorized,
	FaultServerError, FaultEmpty, FaultTruncated, FaultIgnoreOffset, FaultIgnoreFetch, FaultSlow,
	FaultBOM, FaultNoRows, FaultNullRows, FaultHTML,
}

// FaultKinds returns every fault kind.
func FaultKinds() []FaultKind { return append([]FaultKind(nil), faultKinds...) }

// replaces reports whether the fault replaces the whole answer.
func (k FaultKind) replaces() bool {
	switch k {
	case FaultTooManyRequests, FaultUnavailable, FaultBadGateway, FaultGatewayTimeout, FaultUnauthorized,
		FaultServerError, FaultEmpty, FaultHTML:
		return true
	}
	return k.status() != 0
}

// status returns the code of a generic status fault: any other 4xx or 5xx
// code as the kind ("406", "409", "422") answers that status with the
// vendor's error body. It returns 0 for named kinds.
func (k FaultKind) status() int {
	n, err := strconv.Atoi(string(k))
	if err != nil || n < 400 || n > 599 || http.StatusText(n) == "" {
		return 0
	}
	for _, named := range faultKinds {
		if k == named {
			return 0
		}
	}
	return n
}

// Fault is a scheduled failure. It fires on API requests whose path
// (relative to the base) matches Path, after letting After of them pass,
// Count times.
type Fault struct {
	Kind FaultKind `json:"kind"`
	// Count is how many matching requests fail; 0 means 1, -1 means all.
	Count int `json:"count,omitempty"`
	// After lets this many matching requests through first, so After: 2
	// makes the third request fail (e.g. 401 in the middle of paging).
	After int `json:"after,omitempty"`
	// Path is a regular expression matched against the request path
	// relative to the base (e.g. "^/query/"); empty matches every API
	// request.
	Path string `json:"path,omitempty"`
	// Fixture, if set, restricts the fault to queries answered by that
	// fixture (e.g. "BULK"), so other queries of a test pass untouched.
	Fixture string `json:"fixture,omitempty"`
	// RetryAfter is the Retry-After header of 429 and 503 (default "1";
	// "-" sends none).
	RetryAfter string `json:"retry_after,omitempty"`
	// Delay is the delay of a slow fault (default 1s), bounded by
	// Config.MaxDelay.
	Delay Duration `json:"delay,omitempty"`
}

// Duration is a time.Duration written as text ("250ms") in JSON.
type Duration time.Duration

// MarshalJSON writes the duration as text.
func (d Duration) MarshalJSON() ([]byte, error) { return json.Marshal(time.Duration(d).String()) }

// UnmarshalJSON reads text ("2s") or a number of nanoseconds.
func (d *Duration) UnmarshalJSON(b []byte) error {
	var s string
	if err := json.Unmarshal(b, &s); err == nil {
		v, err := time.ParseDuration(s)
		if err != nil {
			return err
		}
		*d = Duration(v)
		return nil
	}
	var n int64
	if err := json.Unmarshal(b, &n); err != nil {
		return fmt.Errorf("duration must be text like \"2s\" or nanoseconds")
	}
	*d = Duration(n)
	return nil
}

// validate checks a fault and fills defaults.
func (f *Fault) validate() (*regexp.Regexp, error) {
	known := false
	for _, k := range faultKinds {
		known = known || f.Kind == k
	}
	if !known && f.Kind.status() == 0 {
		names := make([]string, len(faultKinds))
		for i, k := range faultKinds {
			names[i] = string(k)
		}
		return nil, fmt.Errorf("kind: unknown fault %q (want one of %s, or another 4xx/5xx status)", f.Kind, strings.Join(names, ", "))
	}
	if f.Count == 0 {
		f.Count = 1
	}
	if f.Count < -1 {
		return nil, fmt.Errorf("count: must be positive or -1 (always)")
	}
	if f.After < 0 {
		return nil, fmt.Errorf("after: must not be negative")
	}
	if f.Delay < 0 {
		return nil, fmt.Errorf("delay: must not be negative")
	}
	if f.Kind == FaultSlow && f.Delay == 0 {
		f.Delay = Duration(time.Second)
	}
	if f.RetryAfter == "" && (f.Kind == FaultTooManyRequests || f.Kind == FaultUnavailable) {
		f.RetryAfter = "1"
	}
	if f.RetryAfter != "" && f.RetryAfter != "-" {
		if n, err := strconv.Atoi(f.RetryAfter); err != nil || n < 0 {
			if _, err := time.Parse(time.RFC1123, f.RetryAfter); err != nil {
				return nil, fmt.Errorf("retry_after: %q is neither delay-seconds nor an HTTP date", f.RetryAfter)
			}
		}
	}
	if f.Fixture != "" {
		if _, ok := LookupFixture(f.Fixture); !ok {
			return nil, fmt.Errorf("fixture: unknown fixture %q", f.Fixture)
		}
	}
	re, err := regexp.Compile(f.Path)
	if err != nil {
		return nil, fmt.Errorf("path: %v", err)
	}
	return re, nil
}

// faultState is a fault with its counters.
type faultState struct {
	Fault
	re   *regexp.Regexp
	seen int // matching requests let through because of After
	left int // firings left; -1 = unlimited
}

// faultSet schedules faults; safe for concurrent use.
type faultSet struct {
	mu     sync.Mutex
	faults []*faultState
}

func (s *faultSet) add(f Fault) error {
	re, err := f.validate()
	if err != nil {
		return err
	}
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = append(s.faults, &faultState{Fault: f, re: re, left: f.Count})
	return nil
}

func (s *faultSet) clear() {
	s.mu.Lock()
	defer s.mu.Unlock()
	s.faults = nil
}

// pending lists the faults that can still fire.
func (s *faultSet) pending() []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Fault
	for _, f := range s.faults {
		if f.left != 0 {
			out = append(out, f.Fault)
		}
	}
	return out
}

// fire returns the faults that fire for a request to rel. At most one
// answer-replacing fault fires per request; modifiers combine.
func (s *faultSet) fire(rel, fixture string) []Fault {
	s.mu.Lock()
	defer s.mu.Unlock()
	var out []Fault
	replaced := false
	for _, f := range s.faults {
		if f.left == 0 || !f.re.MatchString(rel) || f.Fixture != "" && !strings.EqualFold(f.Fixture, fixture) {
			continue
		}
		if f.Kind.replaces() && replaced {
			continue
		}
		if f.seen < f.After {
			f.seen++
			continue
		}
		if f.left > 0 {
			f.left--
		}
		replaced = replaced || f.Kind.replaces()
		out = append(out, f.Fault)
	}
	return out
}
