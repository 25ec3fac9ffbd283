package mockcdr

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"strconv"
	"strings"
)

// serveControl serves the control API under /__mock/: request log, faults,
// reset, fixtures and server information. It answers only loopback clients.
func (s *Server) serveControl(w http.ResponseWriter, r *http.Request) {
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil || !isLoopbackHost(host) {
		writeControl(w, http.StatusForbidden, map[string]string{"message": "the control API answers loopback clients only"})
		return
	}
	rel := strings.TrimPrefix(r.URL.Path, controlPrefix)
	switch rel {
	case "/requests":
		switch r.Method {
		case http.MethodGet:
			since, _ := strconv.Atoi(r.URL.Query().Get("since"))
			log := s.LogSince(since)
			if log == nil {
				log = []Request{}
			}
			writeControl(w, http.StatusOK, log)
		case http.MethodDelete:
			s.ClearLog()
			w.WriteHeader(http.StatusNoContent)
		default:
			controlMethod(w, "GET, DELETE")
		}
	case "/faults":
		switch r.Method {
		case http.MethodGet:
			fs := s.Faults()
			if fs == nil {
				fs = []Fault{}
			}
			writeControl(w, http.StatusOK, fs)
		case http.MethodPost:
			var buf bytes.Buffer
			buf.ReadFrom(http.MaxBytesReader(w, r.Body, 1<<20))
			var list []Fault
			body := bytes.TrimSpace(buf.Bytes())
			if len(body) > 0 && body[0] == '{' {
				list = make([]Fault, 1)
				err = strictJSON(body, &list[0])
			} else {
				err = strictJSON(body, &list)
			}
			if err != nil {
				writeControl(w, http.StatusBadRequest, map[string]string{"message": "fault: " + err.Error()})
				return
			}
			for i, f := range list {
				if err := s.AddFault(f); err != nil {
					writeControl(w, http.StatusBadRequest, map[string]string{"message": fmt.Sprintf("fault[%d].%v", i, err)})
					return
				}
			}
			writeControl(w, http.StatusCreated, s.Faults())
		case http.MethodDelete:
			s.ClearFaults()
			w.WriteHeader(http.StatusNoContent)
		default:
			controlMethod(w, "GET, POST, DELETE")
		}
	case "/reset":
		if r.Method != http.MethodPost {
			controlMethod(w, "POST")
			return
		}
		s.Reset()
		w.WriteHeader(http.StatusNoContent)
	case "/fixtures":
		type item struct {
			*Fixture
			Rows int `json:"rows"`
		}
		var out []item
		for _, f := range fixtures {
			out = append(out, item{f, s.FixtureRows(f.ID)})
		}
		writeControl(w, http.StatusOK, out)
	case "", "/", "/info":
		writeControl(w, http.StatusOK, s.info("http://"+r.Host))
	default:
		writeControl(w, http.StatusNotFound, map[string]string{"message": "unknown control endpoint " + r.URL.Path})
	}
}

// Info describes a running server; `pqx mock cdr` prints it.
type Info struct {
	Profile    string `json:"profile"`
	Vendor     string `json:"vendor"`
	URL        string `json:"url"`
	BaseURL    string `json:"base_url"`
	ControlURL string `json:"control_url"`
	StatusURL  string `json:"status_url,omitempty"`
	EhrScape   string `json:"ehrscape_url,omitempty"`
	AuthMode   string `json:"auth_mode"`
	Seed       uint64 `json:"seed"`
}

// Info returns the server's description for its current URL.
func (s *Server) Info() Info { return s.info(s.URL()) }

func (s *Server) info(root string) Info {
	p := s.profile
	seed := s.cfg.Seed
	if seed == 0 {
		seed = 1
	}
	in := Info{Profile: p.Name, Vendor: p.Vendor, URL: root, BaseURL: root + p.BasePath,
		ControlURL: root + controlPrefix, AuthMode: s.auth.cfg.Mode, Seed: seed}
	if p.StatusPath != "" {
		in.StatusURL = root + p.StatusPath
	}
	if p.EhrScapePath != "" {
		in.EhrScape = root + p.EhrScapePath
	}
	return in
}

func strictJSON(b []byte, v any) error {
	d := json.NewDecoder(bytes.NewReader(b))
	d.DisallowUnknownFields()
	return d.Decode(v)
}

func writeControl(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	enc.Encode(v)
}

func controlMethod(w http.ResponseWriter, allow string) {
	w.Header().Set("Allow", allow)
	writeControl(w, http.StatusMethodNotAllowed, map[string]string{"message": "method not allowed; use " + allow})
}
