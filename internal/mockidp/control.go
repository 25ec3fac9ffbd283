package mockidp

import (
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"regexp"
	"strings"
	"time"
)

// handleControl serves the /_mock/ control API. It answers only clients on
// a loopback address, whatever the listener.
//
//	GET    /_mock/                endpoints and profile name
//	GET    /_mock/profile         the effective profile
//	GET    /_mock/journal?grep=RE the journal as JSON lines; DELETE clears it
//	GET    /_mock/summary         the journal summarized (Summary)
//	POST   /_mock/check-login-uri {"uri","state","verifier"} → findings
//	POST   /_mock/faults          install a Fault (JSON); GET lists, DELETE clears
//	POST   /_mock/authorize       queue AuthorizeOutcome(s) (JSON object or array)
//	GET    /_mock/clock           {"now":..., "frozen":...}
//	POST   /_mock/clock/advance   ?by=DURATION or {"by":"DURATION"}
//	POST   /_mock/clients         register a Client (JSON)
//	POST   /_mock/keys/rotate     new signing key; {"kid":...}
//	POST   /_mock/reset           forget codes, tokens, faults, journal
func (s *Server) handleControl(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if ip := net.ParseIP(host); err != nil || ip == nil || !ip.IsLoopback() {
		http.Error(w, "403 forbidden: the control API answers loopback clients only", http.StatusForbidden)
		return
	}
	path := strings.TrimSuffix(strings.TrimPrefix(r.URL.Path, "/_mock"), "/")
	reply := func(v any) {
		w.Header().Set("Content-Type", "application/json")
		w.Header().Set("Cache-Control", "no-store")
		enc := json.NewEncoder(w)
		enc.SetIndent("", "  ")
		_ = enc.Encode(v)
	}
	bad := func(status int, format string, args ...any) {
		w.Header().Set("Content-Type", "application/json")
		w.WriteHeader(status)
		_ = json.NewEncoder(w).Encode(map[string]string{"error": fmt.Sprintf(format, args...)})
	}
	body := func(v any) bool {
		data, err := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		if err == nil {
			err = json.Unmarshal(data, v)
		}
		if err != nil {
			bad(http.StatusBadRequest, "request body: %v", err)
			return false
		}
		return true
	}
	method := func(allowed ...string) bool {
		for _, m := range allowed {
			if r.Method == m {
				return true
			}
		}
		w.Header().Set("Allow", strings.Join(allowed, ", "))
		bad(http.StatusMethodNotAllowed, "%s %s: use %s", r.Method, r.URL.Path, strings.Join(allowed, " or "))
		return false
	}
	switch path {
	case "":
		reply(map[string]any{"profile": s.prof.Name, "endpoints": s.Endpoints()})
	case "/profile":
		reply(s.prof)
	case "/journal":
		if !method(http.MethodGet, http.MethodDelete) {
			return
		}
		if r.Method == http.MethodDelete {
			s.journal.Clear()
			reply(map[string]bool{"cleared": true})
			return
		}
		var re *regexp.Regexp
		if g := r.URL.Query().Get("grep"); g != "" {
			if re, err = regexp.Compile(g); err != nil {
				bad(http.StatusBadRequest, "grep: %v", err)
				return
			}
		}
		w.Header().Set("Content-Type", "application/x-ndjson")
		_, _ = s.journal.WriteJSONLines(w, re)
	case "/check-login-uri":
		if !method(http.MethodPost) {
			return
		}
		var req struct {
			URI      string `json:"uri"`
			State    string `json:"state"`
			Verifier string `json:"verifier"`
		}
		if !body(&req) {
			return
		}
		findings := s.CheckAuthorizeURL(req.URI, req.State, req.Verifier)
		if findings == nil {
			findings = []Finding{}
		}
		reply(findings)
	case "/summary":
		reply(Summarize(s.journal.Entries()))
	case "/faults":
		switch r.Method {
		case http.MethodPost:
			var f Fault
			if !body(&f) {
				return
			}
			id, err := s.AddFault(f)
			if err != nil {
				bad(http.StatusBadRequest, "%v", err)
				return
			}
			reply(map[string]string{"id": id})
		case http.MethodDelete:
			s.ClearFaults()
			reply(map[string]bool{"cleared": true})
		case http.MethodGet:
			s.mu.Lock()
			list := make([]Fault, 0, len(s.faults))
			for _, f := range s.faults {
				list = append(list, f.Fault)
			}
			s.mu.Unlock()
			reply(list)
		default:
			method(http.MethodGet, http.MethodPost, http.MethodDelete)
		}
	case "/authorize":
		if !method(http.MethodPost) {
			return
		}
		data, _ := io.ReadAll(io.LimitReader(r.Body, 1<<20))
		var outs []AuthorizeOutcome
		if err := json.Unmarshal(data, &outs); err != nil {
			var one AuthorizeOutcome
			if err := json.Unmarshal(data, &one); err != nil {
				bad(http.StatusBadRequest, "request body: want an outcome object or array: %v", err)
				return
			}
			outs = []AuthorizeOutcome{one}
		}
		if err := s.ScriptAuthorize(outs...); err != nil {
			bad(http.StatusBadRequest, "%v", err)
			return
		}
		reply(map[string]int{"queued": len(outs)})
	case "/clock":
		reply(map[string]any{"now": s.clock.Now().Format(time.RFC3339Nano), "frozen": s.clock.Frozen()})
	case "/clock/advance":
		if !method(http.MethodPost) {
			return
		}
		by := r.URL.Query().Get("by")
		if by == "" {
			var req struct {
				By string `json:"by"`
			}
			if !body(&req) {
				return
			}
			by = req.By
		}
		d, err := ParseDuration(by)
		if err != nil {
			bad(http.StatusBadRequest, "by: %v", err)
			return
		}
		reply(map[string]string{"now": s.clock.Advance(d).Format(time.RFC3339Nano)})
	case "/clients":
		if !method(http.MethodPost) {
			return
		}
		var c Client
		if !body(&c) {
			return
		}
		if err := s.RegisterClient(c); err != nil {
			bad(http.StatusBadRequest, "%v", err)
			return
		}
		reply(map[string]string{"registered": c.ID})
	case "/keys/rotate":
		if !method(http.MethodPost) {
			return
		}
		kid, err := s.RotateKeys()
		if err != nil {
			bad(http.StatusInternalServerError, "%v", err)
			return
		}
		reply(map[string]string{"kid": kid})
	case "/reset":
		if !method(http.MethodPost) {
			return
		}
		s.Reset()
		reply(map[string]bool{"reset": true})
	default:
		bad(http.StatusNotFound, "no control endpoint %s", r.URL.Path)
	}
}
