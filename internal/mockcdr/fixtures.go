package mockcdr

import (
	"encoding/json"
	"fmt"
	"sort"
	"strconv"
	"strings"
	"sync"
)

// Column is one result-set column: its name (alias, or #n when unaliased)
// and its path relative to the AQL variable.
type Column struct {
	Name string `json:"name"`
	Path string `json:"path"`
}

// Param is an AQL parameter a fixture requires.
type Param struct {
	Name string `json:"name"` // without "$"
	Type string `json:"type"` // "number" or "string"
}

// Fixture is one canned query of the registry.
type Fixture struct {
	// ID is the corpus id (Q1 … Q12, Q5b), or EHRIDS, EXAMPLE, BULK.
	ID string `json:"id"`
	// Title says what the fixture exercises.
	Title string `json:"title"`
	// AQL is the query text clients send.
	AQL string `json:"aql"`
	// Columns are the result columns; empty for Invalid fixtures.
	Columns []Column `json:"columns,omitempty"`
	// Params are the required parameters.
	Params []Param `json:"params,omitempty"`
	// AliasOf names the fixture that serves this one: its AQL differs only
	// by in-query paging (Q9 is Q3 with LIMIT 5).
	AliasOf string `json:"alias_of,omitempty"`
	// Invalid fixtures are answered with the vendor's 400 parse error.
	Invalid bool `json:"invalid,omitempty"`
	// EHRScoped fixtures honour the ehr_id parameter and header.
	EHRScoped bool `json:"ehr_scoped,omitempty"`

	rows  func(d *Dataset) []row
	where func(d *Dataset, r *row, params map[string]any) bool
}

// row is one result row with the values predicates need.
type row struct {
	ehr      int
	sys, dia float64
	cells    []any
	raw      json.RawMessage // cells encoded once: pages are concatenations
}

// AQL path prefixes of the published archetypes.
const (
	bpData    = "o/data[at0001]/events[at0006]/data[at0003]"
	bpTime    = "o/data[at0001]/events[at0006]/time/value"
	tempData  = "o/data[at0002]/events[at0003]/data[at0001]"
	tempTime  = "o/data[at0002]/events[at0003]/time/value"
	bpFrom    = "FROM EHR e CONTAINS COMPOSITION c CONTAINS OBSERVATION o[openEHR-EHR-OBSERVATION.blood_pressure.v2]"
	bpOrder   = "ORDER BY " + bpTime + " DESC"
	bpColumns = "SELECT e/ehr_id/value AS ehr_id, " + bpTime + " AS time, " +
		bpData + "/items[at0004]/value/magnitude AS systolic, " + bpData + "/items[at0005]/value/magnitude AS diastolic "
)

var (
	colEhrID  = Column{"ehr_id", "/ehr_id/value"}
	colBPTime = Column{"time", "/data[at0001]/events[at0006]/time/value"}
	colSys    = Column{"systolic", "/data[at0001]/events[at0006]/data[at0003]/items[at0004]/value/magnitude"}
	colDia    = Column{"diastolic", "/data[at0001]/events[at0006]/data[at0003]/items[at0005]/value/magnitude"}
	colSysDV  = Column{"systolic", "/data[at0001]/events[at0006]/data[at0003]/items[at0004]/value"}
)

// fixtures is the corpus of reference §4 plus the bulk fixture.
var fixtures = []*Fixture{
	{
		ID: "Q1", Title: "EHR list",
		AQL: "SELECT e/ehr_id/value AS ehr_id, e/time_created/value AS time_created, " +
			"e/ehr_status/subject/external_ref/id/value AS subject_id, " +
			"e/ehr_status/subject/external_ref/namespace AS subject_namespace FROM EHR e",
		Columns: []Column{colEhrID, {"time_created", "/time_created/value"},
			{"subject_id", "/ehr_status/subject/external_ref/id/value"},
			{"subject_namespace", "/ehr_status/subject/external_ref/namespace"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			var rs []row
			for i, e := range d.EHRs {
				rs = append(rs, row{ehr: i, cells: []any{e.ID, isoTime(e.TimeCreated), e.SubjectID, e.SubjectNamespace}})
			}
			return rs
		},
	},
	{
		ID: "Q2", Title: "compositions with template ids",
		AQL: "SELECT c/uid/value AS uid, c/name/value AS name, c/archetype_details/template_id/value AS template_id, " +
			"c/context/start_time/value AS start_time FROM EHR e CONTAINS COMPOSITION c",
		Columns: []Column{{"uid", "/uid/value"}, {"name", "/name/value"},
			{"template_id", "/archetype_details/template_id/value"}, {"start_time", "/context/start_time/value"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			var rs []row
			for _, c := range d.Compositions {
				rs = append(rs, row{ehr: c.EHR, cells: []any{c.UID, c.Name, c.TemplateID, isoTime(c.StartTime)}})
			}
			return rs
		},
	},
	{
		ID: "Q3", Title: "blood pressure scalars, newest first",
		AQL:       bpColumns + bpFrom + " " + bpOrder,
		Columns:   []Column{colEhrID, colBPTime, colSys, colDia},
		EHRScoped: true,
		rows:      bpRows(false),
	},
	{
		ID: "Q4", Title: "blood pressure with systolic as a DV_QUANTITY",
		AQL: "SELECT e/ehr_id/value AS ehr_id, " + bpTime + " AS time, " + bpData + "/items[at0004]/value AS systolic, " +
			bpData + "/items[at0005]/value/magnitude AS diastolic " + bpFrom + " " + bpOrder,
		Columns:   []Column{colEhrID, colBPTime, colSysDV, colDia},
		EHRScoped: true,
		rows:      bpRows(true),
	},
	{
		ID: "Q5", Title: "blood pressure at or above $min_sys",
		AQL:       bpColumns + bpFrom + " WHERE " + bpData + "/items[at0004]/value/magnitude >= $min_sys " + bpOrder,
		Columns:   []Column{colEhrID, colBPTime, colSys, colDia},
		Params:    []Param{{"min_sys", "number"}},
		EHRScoped: true,
		rows:      bpRows(false),
		where: func(_ *Dataset, r *row, p map[string]any) bool {
			return r.sys >= p["min_sys"].(float64)
		},
	},
	{
		ID: "Q5b", Title: "abnormal blood pressure, five latest encounters (specification walkthrough)",
		AQL: "SELECT e/ehr_id/value AS ehr_id, c/context/start_time/value AS start_time, " +
			"obs/data[at0001]/events[at0006]/data[at0003]/items[at0004]/value/magnitude AS systolic, " +
			"obs/data[at0001]/events[at0006]/data[at0003]/items[at0005]/value/magnitude AS diastolic " +
			"FROM EHR e CONTAINS COMPOSITION c[openEHR-EHR-COMPOSITION.encounter.v1] " +
			"CONTAINS OBSERVATION obs[openEHR-EHR-OBSERVATION.blood_pressure.v1] " +
			"WHERE obs/data[at0001]/events[at0006]/data[at0003]/items[at0004]/value/magnitude >= 140 " +
			"OR obs/data[at0001]/events[at0006]/data[at0003]/items[at0005]/value/magnitude >= 90 " +
			"ORDER BY c/context/start_time/value DESC LIMIT 5",
		Columns:   []Column{colEhrID, {"start_time", "/context/start_time/value"}, colSys, colDia},
		EHRScoped: true,
		rows:      bpRows(false),
		where: func(_ *Dataset, r *row, _ map[string]any) bool {
			return r.sys >= 140 || r.dia >= 90
		},
	},
	{
		ID: "Q6", Title: "blood pressure of one EHR",
		AQL: bpColumns + "FROM EHR e[ehr_id/value=$ehr_id] CONTAINS COMPOSITION c " +
			"CONTAINS OBSERVATION o[openEHR-EHR-OBSERVATION.blood_pressure.v2] " + bpOrder,
		Columns:   []Column{colEhrID, colBPTime, colSys, colDia},
		Params:    []Param{{"ehr_id", "string"}},
		EHRScoped: true,
		rows:      bpRows(false),
		where: func(d *Dataset, r *row, p map[string]any) bool {
			return d.EHRs[r.ehr].ID == p["ehr_id"].(string)
		},
	},
	{
		ID: "Q7", Title: "body temperature",
		AQL: "SELECT e/ehr_id/value AS ehr_id, " + tempTime + " AS time, " + tempData + "/items[at0004]/value/magnitude AS temperature, " +
			tempData + "/items[at0004]/value/units AS unit FROM EHR e CONTAINS COMPOSITION c " +
			"CONTAINS OBSERVATION o[openEHR-EHR-OBSERVATION.body_temperature.v2] ORDER BY " + tempTime + " DESC",
		Columns: []Column{colEhrID, {"time", "/data[at0002]/events[at0003]/time/value"},
			{"temperature", "/data[at0002]/events[at0003]/data[at0001]/items[at0004]/value/magnitude"},
			{"unit", "/data[at0002]/events[at0003]/data[at0001]/items[at0004]/value/units"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			ts := append([]TempObservation(nil), d.Temperatures...)
			sort.SliceStable(ts, func(i, j int) bool { return ts[i].Time.After(ts[j].Time) })
			var rs []row
			for _, t := range ts {
				rs = append(rs, row{ehr: t.EHR, cells: []any{d.EHRs[t.EHR].ID, isoTime(t.Time), t.Temperature, t.Unit}})
			}
			return rs
		},
	},
	{
		ID: "Q8", Title: "pulse",
		AQL: "SELECT e/ehr_id/value AS ehr_id, " + tempTime + " AS time, " + tempData + "/items[at0004]/value/magnitude AS heart_rate " +
			"FROM EHR e CONTAINS COMPOSITION c CONTAINS OBSERVATION o[openEHR-EHR-OBSERVATION.pulse.v2] ORDER BY " + tempTime + " DESC",
		Columns: []Column{colEhrID, {"time", "/data[at0002]/events[at0003]/time/value"},
			{"heart_rate", "/data[at0002]/events[at0003]/data[at0001]/items[at0004]/value/magnitude"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			ps := append([]PulseObservation(nil), d.Pulses...)
			sort.SliceStable(ps, func(i, j int) bool { return ps[i].Time.After(ps[j].Time) })
			var rs []row
			for _, p := range ps {
				rs = append(rs, row{ehr: p.EHR, cells: []any{d.EHRs[p.EHR].ID, isoTime(p.Time), p.Rate}})
			}
			return rs
		},
	},
	{
		ID: "Q9", Title: "in-query paging: Q3 with LIMIT 5 (must be sent without fetch)",
		AQL:     bpColumns + bpFrom + " " + bpOrder + " LIMIT 5",
		AliasOf: "Q3",
	},
	{
		ID: "Q10", Title: "unaliased columns",
		AQL:       "SELECT e/ehr_id/value, c/name FROM EHR e CONTAINS COMPOSITION c",
		Columns:   []Column{{"#0", "/ehr_id/value"}, {"#1", "/name"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			var rs []row
			for _, c := range d.Compositions {
				rs = append(rs, row{ehr: c.EHR, cells: []any{d.EHRs[c.EHR].ID, map[string]any{"_type": "DV_TEXT", "value": c.Name}}})
			}
			return rs
		},
	},
	{
		ID: "Q11", Title: "aggregate: compositions per template",
		AQL:     "SELECT c/archetype_details/template_id/value AS template_id, COUNT(*) AS n FROM EHR e CONTAINS COMPOSITION c",
		Columns: []Column{{"template_id", "/archetype_details/template_id/value"}, {"n", ""}},
		rows: func(d *Dataset) []row {
			var order []string
			count := map[string]int{}
			for _, c := range d.Compositions {
				if count[c.TemplateID] == 0 {
					order = append(order, c.TemplateID)
				}
				count[c.TemplateID]++
			}
			var rs []row
			for _, t := range order {
				rs = append(rs, row{ehr: -1, cells: []any{t, float64(count[t])}})
			}
			return rs
		},
	},
	{
		ID: "Q12", Title: "invalid AQL", AQL: "SELECT asdf", Invalid: true,
	},
	{
		ID: "EHRIDS", Title: "EHR ids, unaliased (the connector's TestConnection query)",
		AQL:       "SELECT e/ehr_id/value FROM EHR e",
		Columns:   []Column{{"#0", "/ehr_id/value"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			var rs []row
			for i, e := range d.EHRs {
				rs = append(rs, row{ehr: i, cells: []any{e.ID}})
			}
			return rs
		},
	},
	{
		ID: "EXAMPLE", Title: "the reference's result-set example: high blood pressure with a DV_QUANTITY column",
		AQL: "SELECT e/ehr_id/value AS ehr_id, " + bpTime + " AS measured_at, " +
			bpData + "/items[at0004]/value/magnitude AS systolic, " + bpData + "/items[at0004]/value AS systolic_dv " +
			bpFrom + " WHERE " + bpData + "/items[at0004]/value/magnitude >= $min_sys " + bpOrder,
		Columns: []Column{colEhrID, {"measured_at", colBPTime.Path}, colSys,
			{"systolic_dv", colSysDV.Path}},
		Params:    []Param{{"min_sys", "number"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			var rs []row
			for _, o := range d.sortedBP() {
				rs = append(rs, row{ehr: o.EHR, sys: o.Systolic, dia: o.Diastolic,
					cells: []any{d.EHRs[o.EHR].ID, isoTime(o.Time), o.Systolic, dvQuantity(o.Systolic, "mm[Hg]")}})
			}
			return rs
		},
		where: func(_ *Dataset, r *row, p map[string]any) bool {
			return r.sys >= p["min_sys"].(float64)
		},
	},
	{
		ID: "BULK", Title: "10,007 blood pressure rows for page-boundary cases",
		AQL: "SELECT e/ehr_id/value AS ehr_id, " + bpTime + " AS time, " + bpData + "/items[at0004]/value AS systolic, " +
			bpData + "/items[at0005]/value/magnitude AS diastolic, o/data[at0001]/events[at0006]/state[at0007]/items[at0008]/value AS position " +
			"FROM EHR e CONTAINS COMPOSITION c[openEHR-EHR-COMPOSITION.encounter.v1] CONTAINS OBSERVATION o[openEHR-EHR-OBSERVATION.blood_pressure.v2] " +
			"WHERE c/archetype_details/template_id/value = '" + TemplateBulk + "' " + bpOrder,
		Columns: []Column{colEhrID, colBPTime, colSysDV, colDia,
			{"position", "/data[at0001]/events[at0006]/state[at0007]/items[at0008]/value"}},
		EHRScoped: true,
		rows: func(d *Dataset) []row {
			rs := make([]row, 0, len(d.Bulk))
			for _, o := range d.Bulk {
				rs = append(rs, row{ehr: o.EHR, sys: o.Systolic, dia: o.Diastolic, cells: []any{
					d.EHRs[o.EHR].ID, isoTime(o.Time), dvQuantity(o.Systolic, "mm[Hg]"), o.Diastolic,
					dvCodedText(positionText(o.Position), o.Position, "local"),
				}})
			}
			return rs
		},
	},
}

func bpRows(dv bool) func(d *Dataset) []row {
	return func(d *Dataset) []row {
		var rs []row
		for _, o := range d.sortedBP() {
			var sys any = o.Systolic
			if dv {
				sys = dvQuantity(o.Systolic, "mm[Hg]")
			}
			rs = append(rs, row{ehr: o.EHR, sys: o.Systolic, dia: o.Diastolic,
				cells: []any{d.EHRs[o.EHR].ID, isoTime(o.Time), sys, o.Diastolic}})
		}
		return rs
	}
}

func dvQuantity(m float64, units string) map[string]any {
	return map[string]any{"_type": "DV_QUANTITY", "magnitude": m, "units": units, "precision": 0}
}

func dvCodedText(value, code, terminology string) map[string]any {
	return map[string]any{"_type": "DV_CODED_TEXT", "value": value, "defining_code": map[string]any{
		"_type": "CODE_PHRASE", "code_string": code,
		"terminology_id": map[string]any{"_type": "TERMINOLOGY_ID", "value": terminology},
	}}
}

// Fixtures returns the fixture corpus in corpus order. The returned values
// must not be modified.
func Fixtures() []*Fixture { return fixtures }

// LookupFixture returns the fixture with the given id (case-insensitive).
func LookupFixture(id string) (*Fixture, bool) {
	for _, f := range fixtures {
		if strings.EqualFold(f.ID, id) {
			return f, true
		}
	}
	return nil, false
}

// FixtureAQL returns the AQL text of the fixture with the given id; it
// panics on an unknown id, so a typo in a test fails loudly.
func FixtureAQL(id string) string {
	f, ok := LookupFixture(id)
	if !ok {
		panic("mockcdr: unknown fixture " + strconv.Quote(id))
	}
	return f.AQL
}

// catalog is the per-seed registry: fixtures by normalised key and their
// rows, built and encoded once.
type catalog struct {
	data  *Dataset
	byKey map[string]*Fixture
	rows  map[string][]row
}

var catalogs sync.Map // seed → *catalog

func catalogFor(seed uint64) (*catalog, error) {
	if seed == 0 {
		seed = 1
	}
	if c, ok := catalogs.Load(seed); ok {
		return c.(*catalog), nil
	}
	c := &catalog{data: Generate(seed), byKey: map[string]*Fixture{}, rows: map[string][]row{}}
	for _, f := range fixtures {
		if f.Invalid || f.AliasOf != "" {
			continue
		}
		p, err := parseAQL(f.AQL, true)
		if err != nil {
			return nil, fmt.Errorf("fixture %s: %v", f.ID, err)
		}
		if other, dup := c.byKey[p.key]; dup {
			return nil, fmt.Errorf("fixtures %s and %s normalise to the same key", other.ID, f.ID)
		}
		c.byKey[p.key] = f
		rs := f.rows(c.data)
		for i := range rs {
			raw, err := json.Marshal(rs[i].cells)
			if err != nil {
				return nil, fmt.Errorf("fixture %s row %d: %v", f.ID, i, err)
			}
			rs[i].raw = raw
		}
		c.rows[f.ID] = rs
	}
	v, _ := catalogs.LoadOrStore(seed, c)
	return v.(*catalog), nil
}
