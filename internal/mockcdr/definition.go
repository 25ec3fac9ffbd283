package mockcdr

import (
	"encoding/json"
	"fmt"
	"net/http"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"
)

// StoredQuery is a stored query definition.
type StoredQuery struct {
	Name    string `json:"name"`
	Type    string `json:"type"`
	Version string `json:"version"`
	Saved   string `json:"saved"`
	Q       string `json:"q"`
}

// seedStoredQueries are the stored queries every server starts with.
func seedStoredQueries() []StoredQuery {
	saved := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	list := []struct{ name, version, fixture string }{
		{"org.pqx::ehrs", "1.0.0", "Q1"},
		{"org.pqx::compositions", "1.0.0", "Q2"},
		{"org.pqx::blood_pressure", "1.0.0", "Q3"},
		{"org.pqx::blood_pressure", "1.1.0", "Q4"},
		{"org.pqx::high_blood_pressure", "1.0.0", "Q5"},
		{"org.pqx::patient_blood_pressure", "1.0.0", "Q6"},
		{"org.pqx::body_temperature", "1.0.0", "Q7"},
		{"org.pqx::pulse", "1.0.0", "Q8"},
		{"org.pqx::latest_blood_pressure", "1.0.0", "Q9"},
		{"org.pqx::templates_in_use", "1.0.0", "Q11"},
		{"org.pqx.bulk::blood_pressure", "1.0.0", "BULK"},
	}
	out := make([]StoredQuery, len(list))
	for i, e := range list {
		out[i] = StoredQuery{Name: e.name, Type: "aql", Version: e.version,
			Saved: created(saved.Add(time.Duration(i) * time.Hour)), Q: FixtureAQL(e.fixture)}
	}
	return out
}

// storedQueries is the mutable store behind the definition endpoints.
type storedQueries struct {
	mu   sync.Mutex
	list []StoredQuery
}

func (st *storedQueries) reset() {
	st.mu.Lock()
	defer st.mu.Unlock()
	st.list = seedStoredQueries()
}

// resolve finds name at version; an empty version means the latest, and a
// partial version (1, 1.2) the latest match.
func (st *storedQueries) resolve(name, version string) (StoredQuery, bool) {
	st.mu.Lock()
	defer st.mu.Unlock()
	var best *StoredQuery
	for i := range st.list {
		sq := &st.list[i]
		if sq.Name != name || !versionMatches(sq.Version, version) {
			continue
		}
		if best == nil || compareVersions(sq.Version, best.Version) > 0 {
			best = sq
		}
	}
	if best == nil {
		return StoredQuery{}, false
	}
	return *best, true
}

// match lists the definitions whose name starts with prefix (all for ""),
// sorted by name and version.
func (st *storedQueries) match(prefix string) []StoredQuery {
	st.mu.Lock()
	defer st.mu.Unlock()
	var out []StoredQuery
	for _, sq := range st.list {
		if strings.HasPrefix(sq.Name, prefix) {
			out = append(out, sq)
		}
	}
	sort.Slice(out, func(i, j int) bool {
		if out[i].Name != out[j].Name {
			return out[i].Name < out[j].Name
		}
		return compareVersions(out[i].Version, out[j].Version) < 0
	})
	return out
}

func (st *storedQueries) put(sq StoredQuery) bool {
	st.mu.Lock()
	defer st.mu.Unlock()
	for _, e := range st.list {
		if e.Name == sq.Name && e.Version == sq.Version {
			return false
		}
	}
	st.list = append(st.list, sq)
	return true
}

var (
	versionRE = regexp.MustCompile(`^[0-9]+(\.[0-9]+){0,2}$`)
	nameRE    = regexp.MustCompile(`^([a-zA-Z0-9_.-]+::)?[a-zA-Z0-9_.-]+$`)
)

func versionMatches(v, want string) bool {
	if want == "" || v == want {
		return true
	}
	return strings.HasPrefix(v, want+".")
}

func compareVersions(a, b string) int {
	pa, pb := strings.Split(a, "."), strings.Split(b, ".")
	for i := 0; i < max(len(pa), len(pb)); i++ {
		var x, y int
		if i < len(pa) {
			x, _ = strconv.Atoi(pa[i])
		}
		if i < len(pb) {
			y, _ = strconv.Atoi(pb[i])
		}
		if x != y {
			return x - y
		}
	}
	return 0
}

// checkQueryName validates a qualified name and version.
func (s *Server) checkQueryName(name, version string) *reply {
	if !nameRE.MatchString(name) {
		return s.errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid qualified query name %q", name), "name: invalid")
	}
	if s.profile.NamespaceRequired && !strings.Contains(name, "::") {
		return s.errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid qualified query name %q: a namespace (namespace::name) is required", name), "name: namespace required")
	}
	if version != "" && !versionRE.MatchString(version) {
		return s.errorReply(http.StatusBadRequest, fmt.Sprintf("Invalid version %q: expected SemVer (1, 1.2 or 1.2.3)", version), "version: invalid")
	}
	return nil
}

// definitionQuery serves GET /definition/query[/{name}[/{version}]] and PUT
// /definition/query/{name}[/{version}].
func (s *Server) definitionQuery(x *exchange, segs []string) *reply {
	r := x.r
	switch r.Method {
	case http.MethodGet:
		switch len(segs) {
		case 0, 1:
			prefix := ""
			if len(segs) == 1 {
				prefix = segs[0]
			}
			list := s.stored.match(prefix)
			if s.cfg.LegacyStoredQueryList {
				type legacy struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Saved   string `json:"saved"`
					Type    string `json:"type"`
				}
				vs := make([]legacy, len(list))
				for i, sq := range list {
					vs[i] = legacy{sq.Name, sq.Version, sq.Saved, sq.Type}
				}
				return jsonReply(http.StatusOK, map[string]any{"versions": vs})
			}
			if list == nil {
				list = []StoredQuery{}
			}
			return jsonReply(http.StatusOK, list)
		default:
			if rp := s.checkQueryName(segs[0], segs[1]); rp != nil {
				return rp
			}
			sq, ok := s.stored.resolve(segs[0], segs[1])
			if !ok {
				return s.errorReply(http.StatusNotFound, fmt.Sprintf("Stored query %s/%s not found", segs[0], segs[1]))
			}
			return jsonReply(http.StatusOK, sq)
		}
	case http.MethodPut:
		if len(segs) == 0 {
			return s.methodNotAllowed("GET")
		}
		name, version := segs[0], ""
		if len(segs) == 2 {
			version = segs[1]
		}
		if rp := s.checkQueryName(name, version); rp != nil {
			return rp
		}
		var q string
		switch {
		case contentTypeIs(r, "text/plain"):
			q = string(x.body)
		case contentTypeIs(r, "application/json") && s.profile.Name == "ehrbase":
			var body struct {
				Q string `json:"q"`
			}
			if err := json.Unmarshal(x.body, &body); err != nil {
				return s.errorReply(http.StatusBadRequest, "JSON parse error: "+err.Error())
			}
			q = body.Q
		default:
			return s.errorReply(http.StatusUnsupportedMediaType,
				fmt.Sprintf("Content-Type %q is not supported; send the AQL as text/plain", r.Header.Get("Content-Type")))
		}
		if _, err := parseAQL(q, s.profile.ColonParams); err != nil || strings.TrimSpace(q) == "" {
			detail := "empty query"
			if err != nil {
				detail = err.Error()
			}
			return s.parseError(detail)
		}
		if version == "" {
			version = "1.0.0"
			if latest, ok := s.stored.resolve(name, ""); ok {
				parts := strings.Split(latest.Version, ".")
				for len(parts) < 3 {
					parts = append(parts, "0")
				}
				n, _ := strconv.Atoi(parts[2])
				version = fmt.Sprintf("%s.%s.%d", parts[0], parts[1], n+1)
			}
		}
		sq := StoredQuery{Name: name, Type: "aql", Version: version, Saved: created(s.now()), Q: q}
		if !s.stored.put(sq) {
			return s.errorReply(http.StatusConflict, fmt.Sprintf("Stored query %s/%s already exists", name, version))
		}
		rp := jsonReply(http.StatusOK, sq)
		rp.header.Set("Location", "http://"+r.Host+s.profile.BasePath+"/definition/query/"+name+"/"+version)
		return rp
	}
	return s.methodNotAllowed("GET, PUT")
}

// Template is an operational template known to the server.
type Template struct {
	TemplateID       string `json:"template_id"`
	Concept          string `json:"concept"`
	ArchetypeID      string `json:"archetype_id"`
	CreatedTimestamp string `json:"created_timestamp"`
}

func templates() []Template {
	t := time.Date(2024, 1, 15, 9, 30, 0, 0, time.UTC)
	mk := func(id, concept string, i int) Template {
		return Template{id, concept, "openEHR-EHR-COMPOSITION.encounter.v1", created(t.Add(time.Duration(i) * 24 * time.Hour))}
	}
	return []Template{
		mk(TemplateBP, "Blood pressure", 0),
		mk(TemplateTemp, "Body temperature", 1),
		mk(TemplatePulse, "Pulse", 2),
		mk(TemplateBulk, "Bulk blood pressure", 3),
	}
}

func (s *Server) templateList() *reply { return jsonReply(http.StatusOK, templates()) }

// template answers an OPT stub for XML and a minimal web template for JSON.
func (s *Server) template(x *exchange, id string) *reply {
	for _, t := range templates() {
		if t.TemplateID != id {
			continue
		}
		if wantsXML(x.r.Header.Get("Accept")) {
			opt := `<?xml version="1.0" encoding="UTF-8"?>` + "\n" +
				`<template xmlns="http://schemas.openehr.org/v1" xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">` +
				`<language><terminology_id><value>ISO_639-1</value></terminology_id><code_string>en</code_string></language>` +
				`<concept>` + t.Concept + `</concept><template_id><value>` + t.TemplateID + `</value></template_id>` +
				`<definition><rm_type_name>COMPOSITION</rm_type_name><archetype_id><value>` + t.ArchetypeID +
				`</value></archetype_id></definition></template>`
			return &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/xml"}}, body: []byte(opt), rows: -1}
		}
		return jsonReply(http.StatusOK, map[string]any{
			"templateId":      t.TemplateID,
			"version":         "2.3",
			"defaultLanguage": "en",
			"languages":       []string{"en"},
			"tree": map[string]any{
				"id": strings.ToLower(strings.ReplaceAll(t.Concept, " ", "_")), "name": t.Concept,
				"rmType": "COMPOSITION", "nodeId": t.ArchetypeID, "min": 1, "max": 1,
				"aqlPath": "", "children": []any{},
			},
		})
	}
	return s.errorReply(http.StatusNotFound, fmt.Sprintf("Unknown template %s", id))
}
