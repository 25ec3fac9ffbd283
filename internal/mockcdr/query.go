package mockcdr

import (
	"bytes"
	"cmp"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// api serves requests below the base path.
func (s *Server) api(x *exchange) *reply {
	r := x.r
	segs, err := splitPath(x.rawRel)
	if err != nil {
		return s.errorReply(http.StatusBadRequest, err.Error())
	}
	notFound := func() *reply {
		return s.errorReply(http.StatusNotFound, fmt.Sprintf("No endpoint %s %s", r.Method, r.URL.Path))
	}
	switch {
	case len(segs) == 0:
		x.entry.Endpoint = "options"
		if r.Method == http.MethodOptions && s.profile.Conformance {
			return s.conformance()
		}
		return notFound()
	case segs[0] == "query" && len(segs) >= 2 && len(segs) <= 3:
		if r.Method != http.MethodGet && r.Method != http.MethodPost {
			return s.methodNotAllowed("GET, POST")
		}
		if segs[1] == "aql" && len(segs) == 2 {
			x.entry.Endpoint = "query.aql"
			return s.adHocQuery(x)
		}
		x.entry.Endpoint = "query.stored"
		version := ""
		if len(segs) == 3 {
			version = segs[2]
		}
		return s.storedQuery(x, segs[1], version)
	case segs[0] == "definition" && len(segs) >= 2 && segs[1] == "query" && len(segs) <= 4:
		x.entry.Endpoint = "definition.query"
		return s.definitionQuery(x, segs[2:])
	case segs[0] == "definition" && len(segs) >= 3 && len(segs) <= 4 && segs[1] == "template" && segs[2] == "adl1.4":
		x.entry.Endpoint = "definition.template"
		if r.Method != http.MethodGet {
			return s.methodNotAllowed("GET")
		}
		if len(segs) == 3 {
			return s.templateList()
		}
		return s.template(x, segs[3])
	case segs[0] == "ehr" && len(segs) <= 2:
		x.entry.Endpoint = "ehr"
		if r.Method != http.MethodGet {
			return s.methodNotAllowed("GET")
		}
		if len(segs) == 1 {
			return s.ehrBySubject(x)
		}
		return s.ehr(segs[1])
	}
	return notFound()
}

// splitPath splits an escaped relative path into unescaped segments, so
// that "org.pqx%3A%3Abp" and "org.pqx::bp" are the same name. Empty segments
// (trailing slashes) are dropped.
func splitPath(rel string) ([]string, error) {
	var segs []string
	for _, seg := range strings.Split(rel, "/") {
		if seg == "" {
			continue
		}
		u, err := url.PathUnescape(seg)
		if err != nil {
			return nil, fmt.Errorf("bad path segment %q: %v", seg, err)
		}
		segs = append(segs, u)
	}
	return segs, nil
}

func (s *Server) methodNotAllowed(allow string) *reply {
	rp := s.errorReply(http.StatusMethodNotAllowed, "Request method not supported; allowed: "+allow)
	rp.header.Set("Allow", allow)
	return rp
}

// queryRequest is what a client asked for, from a JSON body or the URL.
type queryRequest struct {
	q                     string
	qSent                 bool
	params                map[string]any
	offset, fetch         int
	offsetSent, fetchSent bool
	ehrParam              string
}

// parseQueryRequest reads q, offset, fetch, parameters and ehr_id, and
// records them in the log entry.
func (s *Server) parseQueryRequest(x *exchange) (*queryRequest, *reply) {
	r, e := x.r, x.entry
	qr := &queryRequest{params: map[string]any{}}
	if r.Method == http.MethodGet {
		for k, vs := range r.URL.Query() {
			v := vs[0]
			var err error
			switch k {
			case "q":
				qr.q, qr.qSent = v, true
			case "offset":
				qr.offset, err = atoiParam("offset", v)
				qr.offsetSent = true
			case "fetch":
				qr.fetch, err = atoiParam("fetch", v)
				qr.fetchSent = true
			case "ehr_id":
				qr.ehrParam = v
			default:
				// A list parameter repeats its key (form style, explode).
				if len(vs) > 1 {
					list := make([]any, len(vs))
					for i, v := range vs {
						list[i] = v
					}
					qr.params[k] = list
				} else {
					qr.params[k] = v
				}
				e.ParamsField = "url"
			}
			if err != nil {
				return nil, s.errorReply(http.StatusBadRequest, err.Error())
			}
		}
	} else {
		if !contentTypeIs(r, "application/json") {
			return nil, s.errorReply(http.StatusUnsupportedMediaType,
				fmt.Sprintf("Content-Type %q is not supported; send application/json", r.Header.Get("Content-Type")))
		}
		var body map[string]json.RawMessage
		if len(bytes.TrimSpace(x.body)) > 0 {
			if err := json.Unmarshal(x.body, &body); err != nil {
				return nil, s.errorReply(http.StatusBadRequest, "JSON parse error: "+err.Error())
			}
		}
		for k, raw := range body {
			var err error
			switch k {
			case "q":
				if err = json.Unmarshal(raw, &qr.q); err != nil {
					err = fmt.Errorf("q must be a string")
				}
				qr.qSent = true
			case "offset":
				qr.offset, qr.offsetSent, err = s.jsonInt("offset", raw)
			case "fetch":
				qr.fetch, qr.fetchSent, err = s.jsonInt("fetch", raw)
			case "query_parameters", "query-parameters":
				var ps map[string]any
				if err = json.Unmarshal(raw, &ps); err != nil {
					err = fmt.Errorf("%s must be an object", k)
					break
				}
				e.ParamsField = k
				if k == "query_parameters" {
					for pk, pv := range ps {
						qr.params[pk] = pv
					}
				} else if e.Params == nil {
					// The pre-1.0.2 spelling is logged but ignored, as
					// current servers do: its parameters go missing.
					e.Params = ps
				}
			case "ehr_id":
				if err = json.Unmarshal(raw, &qr.ehrParam); err != nil {
					err = fmt.Errorf("ehr_id must be a string")
				}
			}
			if err != nil {
				return nil, s.errorReply(http.StatusBadRequest, err.Error())
			}
		}
	}
	if qr.offsetSent && qr.offset < 0 || qr.fetchSent && qr.fetch < 0 {
		return nil, s.errorReply(http.StatusBadRequest, "offset and fetch must not be negative")
	}
	e.OffsetSent, e.Offset, e.FetchSent, e.Fetch = qr.offsetSent, qr.offset, qr.fetchSent, qr.fetch
	if len(qr.params) > 0 {
		e.Params = qr.params
	}
	for k := range qr.params {
		if strings.HasPrefix(k, "$") || strings.HasPrefix(k, ":") {
			e.DollarKeys = append(e.DollarKeys, k)
		}
	}
	sort.Strings(e.DollarKeys)
	e.EhrIDParam = qr.ehrParam
	e.EhrIDHeader = r.Header.Get("Openehr-Ehr-Id")
	return qr, nil
}

func atoiParam(name, v string) (int, error) {
	n, err := strconv.Atoi(strings.TrimSpace(v))
	if err != nil {
		return 0, fmt.Errorf("%s must be an integer, got %q", name, v)
	}
	return n, nil
}

// jsonInt reads offset or fetch from a JSON body: a number, or (except on
// strict servers) a numeric string, as EHRbase accepts; null is absent.
func (s *Server) jsonInt(name string, raw json.RawMessage) (int, bool, error) {
	if string(raw) == "null" {
		return 0, false, nil
	}
	var n json.Number
	d := json.NewDecoder(bytes.NewReader(raw))
	d.UseNumber()
	var v any
	if err := d.Decode(&v); err != nil {
		return 0, true, fmt.Errorf("%s must be an integer", name)
	}
	switch v := v.(type) {
	case json.Number:
		n = v
	case string:
		if s.profile.StrictNumbers {
			return 0, true, fmt.Errorf("%s must be an integer, got the string %q", name, v)
		}
		n = json.Number(strings.TrimSpace(v))
	default:
		return 0, true, fmt.Errorf("%s must be an integer", name)
	}
	i, err := strconv.Atoi(string(n))
	if err != nil {
		return 0, true, fmt.Errorf("%s must be an integer, got %s", name, raw)
	}
	return i, true, nil
}

func (s *Server) adHocQuery(x *exchange) *reply {
	qr, rp := s.parseQueryRequest(x)
	if rp != nil {
		return rp
	}
	if !qr.qSent || strings.TrimSpace(qr.q) == "" {
		return s.errorReply(http.StatusBadRequest, "Required parameter q is missing", "q: required")
	}
	return s.execute(x, qr, qr.q, nil)
}

func (s *Server) storedQuery(x *exchange, name, version string) *reply {
	if rp := s.checkQueryName(name, version); rp != nil {
		return rp
	}
	sq, ok := s.stored.resolve(name, version)
	if !ok {
		what := name
		if version != "" {
			what += "/" + version
		}
		return s.errorReply(http.StatusNotFound, fmt.Sprintf("Stored query %s not found", what))
	}
	x.entry.StoredQuery = sq.Name + "/" + sq.Version
	qr, rp := s.parseQueryRequest(x)
	if rp != nil {
		return rp
	}
	return s.execute(x, qr, sq.Q, &sq)
}

// execute looks q up in the fixture registry and answers with one page of
// its rows under the profile's paging rules.
func (s *Server) execute(x *exchange, qr *queryRequest, q string, sq *StoredQuery) *reply {
	p := s.profile
	pa, err := parseAQL(q, p.ColonParams)
	if err != nil {
		return s.parseError(err.Error())
	}
	f := s.cat.byKey[pa.key]
	if f == nil {
		if !strings.Contains(pa.key, " FROM ") {
			return s.parseError(fmt.Sprintf("line 1:%d mismatched input '<EOF>' expecting {',', FROM}", len(q)))
		}
		return s.parseError("the mock CDR has no fixture for this AQL; see GET /__mock/fixtures")
	}
	x.entry.Fixture = f.ID
	var ip []string
	if pa.hasTop {
		ip = append(ip, fmt.Sprintf("top:%d", pa.top))
	}
	if pa.hasLimit {
		ip = append(ip, fmt.Sprintf("limit:%d", pa.limit))
	}
	if pa.hasOffset {
		ip = append(ip, fmt.Sprintf("offset:%d", pa.offset))
	}
	x.entry.InQueryPaging = strings.Join(ip, ",")

	params := map[string]any{}
	for _, fp := range f.Params {
		v, ok := qr.params[fp.Name]
		if !ok && fp.Name == "ehr_id" {
			// The EHR context (ehr_id parameter or openehr-ehr-id header)
			// also fills $ehr_id, as servers bind it into the parameters.
			if id := cmp.Or(qr.ehrParam, x.entry.EhrIDHeader); id != "" {
				v, ok = id, true
			}
		}
		if !ok {
			return s.errorReply(http.StatusBadRequest, fmt.Sprintf("Missing query parameter value for $%s", fp.Name), fp.Name+": required")
		}
		cv, err := convertParam(fp, v)
		if err != nil {
			return s.errorReply(http.StatusBadRequest, err.Error(), fp.Name+": "+err.Error())
		}
		params[fp.Name] = cv
	}

	ehrIdx := -1
	if f.EHRScoped {
		id := qr.ehrParam
		if h := x.entry.EhrIDHeader; h != "" {
			if id != "" && id != h && p.EhrIDConflict {
				return s.errorReply(http.StatusConflict, "ehr_id parameter and openehr-ehr-id header disagree")
			}
			if id == "" {
				id = h
			}
		}
		if id != "" {
			if ehrIdx = s.cat.data.ehrIndex(id); ehrIdx < 0 {
				return s.errorReply(http.StatusNotFound, fmt.Sprintf("EHR with id %s not found", id))
			}
		}
	}

	// Paging rules of the profile.
	offset, fetch := qr.offset, qr.fetch
	offsetSent, fetchSent := qr.offsetSent, qr.fetchSent
	if p.FetchZeroIsUnset && fetchSent && fetch == 0 {
		fetchSent = false
	}
	inQuery := pa.hasLimit || pa.hasOffset || pa.hasTop
	if s.cfg.MaxLimit > 0 && pa.hasLimit && pa.limit > s.cfg.MaxLimit {
		return s.errorReply(http.StatusUnprocessableEntity, fmt.Sprintf("Query LIMIT %d exceeds maximum limit %d", pa.limit, s.cfg.MaxLimit))
	}
	if p.OffsetNeedsFetch && offsetSent && !fetchSent {
		return s.errorReply(http.StatusUnprocessableEntity, "Invalid paging: offset provided, but no fetch parameter")
	}
	windowLimit := -1 // rows the AQL itself selects, -1 = all
	if pa.hasTop {
		windowLimit = pa.top
	}
	if pa.hasLimit {
		windowLimit = pa.limit
	}
	if fetchSent && inQuery {
		switch s.policy {
		case FetchReject:
			return s.errorReply(http.StatusUnprocessableEntity,
				"Query contains a LIMIT clause, fetch and offset parameters must not be used (fetch precedence REJECT)")
		case FetchMin:
			if pa.hasOffset || offsetSent {
				return s.errorReply(http.StatusUnprocessableEntity,
					"Query contains an OFFSET clause, fetch and offset parameters must not be used")
			}
			windowLimit = min(windowLimit, fetch)
			fetchSent = false
		case FetchRejectTop:
			if pa.hasTop {
				return s.errorReply(http.StatusBadRequest, "fetch cannot be combined with AQL TOP", "fetch: not allowed with TOP")
			}
		}
	}
	if s.cfg.MaxFetch > 0 && fetchSent && fetch > s.cfg.MaxFetch {
		return s.errorReply(http.StatusUnprocessableEntity, fmt.Sprintf("Fetch parameter %d exceeds maximum fetch %d", fetch, s.cfg.MaxFetch))
	}
	if x.fault(FaultIgnoreOffset) {
		offset = 0
	}
	if x.fault(FaultIgnoreFetch) {
		fetchSent = false
	}
	defaultLimited := false
	if !fetchSent && !inQuery && s.cfg.DefaultLimit > 0 {
		fetch, fetchSent, defaultLimited = s.cfg.DefaultLimit, true, true
	}

	rows := window(s.selectRows(f, params, ehrIdx), pa.offset, windowLimit)
	total := len(rows)
	page := window(rows, offset, -1)
	if fetchSent {
		page = window(page, 0, fetch)
	}

	omitRows := x.fault(FaultNoRows) ||
		p.OmitEmptyRows && len(page) == 0 ||
		p.OmitRowsPastEnd && offset > 0 && offset >= total

	meta := map[string]any{
		"_type":            "RESULTSET",
		p.SchemaVersionKey: "1.0.3",
		"_created":         s.now().UTC().Format("2006-01-02T15:04:05.000Z07:00"),
		"_executed_aql":    substituteParams(q, params, p.ColonParams),
	}
	if p.Generator != "" {
		meta["_generator"] = p.Generator
	}
	if p.HrefOnGet && x.r.Method == http.MethodGet {
		meta["_href"] = "http://" + x.r.Host + x.r.URL.RequestURI()
	}
	if p.PagingMeta {
		meta["resultsize"] = len(page)
		if fetchSent || defaultLimited {
			meta["fetch"], meta["offset"] = fetch, offset
		}
	}
	name := ""
	if sq != nil {
		name = sq.Name
		if p.VersionedName {
			name += "/" + sq.Version
		}
	}
	rp := &reply{status: http.StatusOK, header: http.Header{"Content-Type": {"application/json"}},
		body: encodeResultSet(meta, name, q, f.Columns, page, omitRows, x.fault(FaultNullRows)), json: true, etag: true, rows: len(page)}
	if omitRows || x.fault(FaultNullRows) {
		rp.rows = -1
	}
	return rp
}

// selectRows returns the fixture's rows that pass its WHERE predicate with
// params and belong to EHR ehrIdx (any EHR when negative). Without a filter
// the shared slice is returned as is.
func (s *Server) selectRows(f *Fixture, params map[string]any, ehrIdx int) []row {
	rows := s.cat.rows[f.ID]
	if f.where == nil && ehrIdx < 0 {
		return rows
	}
	var kept []row
	for i := range rows {
		r := &rows[i]
		if ehrIdx >= 0 && r.ehr != ehrIdx || f.where != nil && !f.where(s.cat.data, r, params) {
			continue
		}
		kept = append(kept, *r)
	}
	return kept
}

// window returns rows[off:off+n] clamped to the slice; n < 0 means all.
func window(rows []row, off, n int) []row {
	if off >= len(rows) {
		return nil
	}
	rows = rows[off:]
	if n >= 0 && n < len(rows) {
		rows = rows[:n]
	}
	return rows
}

func convertParam(p Param, v any) (any, error) {
	switch p.Type {
	case "number":
		switch v := v.(type) {
		case float64:
			return v, nil
		case string:
			f, err := strconv.ParseFloat(strings.TrimSpace(v), 64)
			if err != nil {
				return nil, fmt.Errorf("parameter %s must be a number, got %q", p.Name, v)
			}
			return f, nil
		}
		return nil, fmt.Errorf("parameter %s must be a number", p.Name)
	default:
		if s, ok := v.(string); ok {
			return s, nil
		}
		return nil, fmt.Errorf("parameter %s must be a string", p.Name)
	}
}

// parseError answers invalid or unknown AQL the way the vendor reports a
// parse failure.
func (s *Server) parseError(detail string) *reply {
	msg := "Could not parse AQL query: " + detail
	if s.profile.Errors == ErrorEHRbase {
		msg = "AQL Parse exception: " + detail
	}
	return s.errorReply(http.StatusBadRequest, msg, "q: "+detail)
}

// encodeResultSet writes a result set from pre-encoded rows; this keeps a
// 1,000-row page to a copy rather than a reflection walk.
func encodeResultSet(meta map[string]any, name, q string, cols []Column, rows []row, omitRows, nullRows bool) []byte {
	size := 256 + len(q)
	for _, r := range rows {
		size += len(r.raw) + 1
	}
	b := bytes.NewBuffer(make([]byte, 0, size))
	enc := json.NewEncoder(b)
	enc.SetEscapeHTML(false)
	b.WriteString(`{"meta":`)
	enc.Encode(meta)
	trimNL(b)
	if name != "" {
		b.WriteString(`,"name":`)
		enc.Encode(name)
		trimNL(b)
	}
	b.WriteString(`,"q":`)
	enc.Encode(q)
	trimNL(b)
	b.WriteString(`,"columns":`)
	if cols == nil {
		cols = []Column{}
	}
	enc.Encode(cols)
	trimNL(b)
	switch {
	case omitRows:
	case nullRows:
		b.WriteString(`,"rows":null`)
	default:
		b.WriteString(`,"rows":[`)
		for i, r := range rows {
			if i > 0 {
				b.WriteByte(',')
			}
			b.Write(r.raw)
		}
		b.WriteByte(']')
	}
	b.WriteByte('}')
	return b.Bytes()
}

func trimNL(b *bytes.Buffer) {
	if n := b.Len(); n > 0 && b.Bytes()[n-1] == '\n' {
		b.Truncate(n - 1)
	}
}

// ehrScape serves Better's legacy query API: rows are objects keyed by
// column name and RM objects carry @class instead of _type.
func (s *Server) ehrScape(x *exchange) *reply {
	segs, _ := splitPath(x.rel)
	if len(segs) != 1 || segs[0] != "query" || x.r.Method != http.MethodGet {
		return s.errorReply(http.StatusNotFound, "No endpoint "+x.r.Method+" "+x.r.URL.Path)
	}
	aql := x.r.URL.Query().Get("aql")
	pa, err := parseAQL(aql, true)
	if err != nil {
		return s.parseError(err.Error())
	}
	f := s.cat.byKey[pa.key]
	if f == nil || len(f.Params) > 0 {
		return s.parseError("the mock CDR has no parameterless fixture for this AQL")
	}
	x.entry.Fixture = f.ID
	limit := -1
	if pa.hasLimit {
		limit = pa.limit
	}
	if pa.hasTop {
		limit = pa.top
	}
	rows := window(s.selectRows(f, nil, -1), pa.offset, limit)
	set := make([]map[string]any, len(rows))
	for i, r := range rows {
		obj := make(map[string]any, len(f.Columns))
		for j, c := range f.Columns {
			obj[c.Name] = atClass(r.cells[j])
		}
		set[i] = obj
	}
	rp := jsonReply(http.StatusOK, map[string]any{
		"meta":        map[string]any{"href": "http://" + x.r.Host + x.r.URL.RequestURI()},
		"aql":         aql,
		"executedAql": aql,
		"resultSet":   set,
	})
	rp.rows = len(rows)
	return rp
}

// atClass renames _type to @class throughout an RM value.
func atClass(v any) any {
	m, ok := v.(map[string]any)
	if !ok {
		return v
	}
	out := make(map[string]any, len(m))
	for k, e := range m {
		if k == "_type" {
			k = "@class"
		}
		out[k] = atClass(e)
	}
	return out
}

// created formats a timestamp as EHRbase does: yyyy-MM-dd'T'HH:mm:ss.SSSXXX.
func created(t time.Time) string { return t.UTC().Format("2006-01-02T15:04:05.000Z07:00") }
