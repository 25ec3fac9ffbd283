package mockidp

import (
	"fmt"
	"sort"
	"strings"
)

// Summary condenses a journal into what a test report needs: how requests
// ended, which refresh tokens were presented more than once (parallel or
// stale refreshes), what was revoked and which warnings were raised.
type Summary struct {
	Requests int `json:"requests"`
	// Reasons counts entries by endpoint/reason, e.g.
	// "token/refresh_rotated": 1, "token/refresh_reused": 3.
	Reasons map[string]int `json:"reasons"`
	// Reused lists refresh tokens presented more than once.
	Reused   []Reuse  `json:"reused,omitempty"`
	Effects  []string `json:"effects,omitempty"`
	Warnings []string `json:"warnings,omitempty"`
}

// Reuse is one refresh token (by fingerprint) presented several times.
type Reuse struct {
	Token    string   `json:"token"`
	Family   string   `json:"family,omitempty"`
	Seqs     []int64  `json:"seqs"`
	Outcomes []string `json:"outcomes"` // "200 refresh_rotated", "400 refresh_reused", ...
}

// Summarize builds a Summary of the entries.
func Summarize(entries []Entry) Summary {
	s := Summary{Requests: len(entries), Reasons: map[string]int{}}
	byToken := map[string]*Reuse{}
	var order []string
	for _, e := range entries {
		s.Reasons[e.Endpoint+"/"+e.Reason]++
		s.Effects = append(s.Effects, e.Effects...)
		for _, w := range e.Warnings {
			s.Warnings = append(s.Warnings, fmt.Sprintf("#%d %s: %s", e.Seq, e.Endpoint, w))
		}
		if e.GrantType != "refresh_token" || e.Params["refresh_token"] == "" {
			continue
		}
		fp := e.Params["refresh_token"]
		r := byToken[fp]
		if r == nil {
			r = &Reuse{Token: fp, Family: e.Family}
			byToken[fp] = r
			order = append(order, fp)
		}
		r.Seqs = append(r.Seqs, e.Seq)
		r.Outcomes = append(r.Outcomes, fmt.Sprintf("%d %s", e.Status, e.Reason))
	}
	for _, fp := range order {
		if r := byToken[fp]; len(r.Seqs) > 1 {
			s.Reused = append(s.Reused, *r)
		}
	}
	return s
}

// String renders the summary for humans, one fact per line.
func (s Summary) String() string {
	var b strings.Builder
	fmt.Fprintf(&b, "%d requests\n", s.Requests)
	keys := make([]string, 0, len(s.Reasons))
	for k := range s.Reasons {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	for _, k := range keys {
		fmt.Fprintf(&b, "  %-32s %d\n", k, s.Reasons[k])
	}
	for _, r := range s.Reused {
		fmt.Fprintf(&b, "refresh token %s (family %s) presented %d times: %s\n", r.Token, r.Family, len(r.Seqs), strings.Join(r.Outcomes, ", "))
	}
	for _, e := range s.Effects {
		fmt.Fprintf(&b, "effect: %s\n", e)
	}
	for _, w := range s.Warnings {
		fmt.Fprintf(&b, "warning: %s\n", w)
	}
	return b.String()
}
