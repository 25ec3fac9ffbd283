package connectortest

import (
	"strconv"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// TestStoredQueries checks the stored-query list in both shapes (EHRbase
// ≥ 2.30's bare array, older EHRbase's {versions} without q).
func TestStoredQueries(t *testing.T) {
	for _, legacy := range []bool{false, true} {
		e := newEnv(t, mockcdr.Config{Profile: "ehrbase", LegacyStoredQueryList: legacy}, "ehrbase", "")
		got := e.eval(t, `let t = K.StoredQueries(), r = t{[name = "org.pqx::blood_pressure"]}, h = t{[name = "org.pqx::high_blood_pressure"]} in {Table.ColumnNames(t), r[version], r[parameters], h[parameters], Text.Contains(r[q], "FROM EHR e")}`)
		want := `{{"name", "version", "type", "saved", "q", "parameters"}, "1.1.0", {}, {"min_sys"}, true}`
		if got != want {
			t.Errorf("legacy=%v:\n got %s\nwant %s", legacy, got, want)
		}
		all := e.eval(t, `Table.RowCount(Table.SelectRows(K.StoredQueries([AllVersions = true]), each [name] = "org.pqx::blood_pressure"))`)
		if all != "2" {
			t.Errorf("legacy=%v: AllVersions lists %s versions of blood_pressure, want 2", legacy, all)
		}
	}
}

// TestNavigator checks the navigator: Query, a Stored queries folder per
// namespace with a function for a query with $names and a table for one
// without, Templates, and the EHRs and Server info entries behind features.
func TestNavigator(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "{ehrs: true, server_info: true}")
	got := e.eval(t, `let n = K.Contents() in Table.ToRows(Table.SelectColumns(n, {"Name", "Key", "ItemKind", "IsLeaf"}))`)
	want := `{{"Query (AQL)", "query", "Function", true}, {"Stored queries", "stored-queries", "Folder", false}, {"Templates", "templates", "Table", true}, {"EHRs", "ehrs", "Table", true}, {"Server info", "server-info", "Record", true}}`
	if got != want {
		t.Errorf("navigator:\n got %s\nwant %s", got, want)
	}
	folders := e.eval(t, `Table.Column(K.Contents(){[Key = "stored-queries"]}[Data], "Name")`)
	if folders != `{"org.pqx", "org.pqx.bulk"}` {
		t.Errorf("namespaces %s", folders)
	}
	items := e.eval(t, `Table.ToRows(Table.SelectColumns(K.Contents(){[Key = "stored-queries"]}[Data]{[Key = "org.pqx"]}[Data], {"Name", "Key", "ItemKind"}))`)
	for _, want := range []string{`{"blood_pressure", "org.pqx::blood_pressure/1.1.0", "Table"}`, `{"high_blood_pressure", "org.pqx::high_blood_pressure/1.0.0", "Function"}`} {
		if !strings.Contains(items, want) {
			t.Errorf("org.pqx items %s lack %s", items, want)
		}
	}
	// The function leaf has one optional parameter per $name, and runs.
	fn := `K.Contents(){[Key = "stored-queries"]}[Data]{[Key = "org.pqx"]}[Data]{[Name = "high_blood_pressure"]}[Data]`
	if got := e.eval(t, `Record.FieldNames(Type.FunctionParameters(Value.Type(`+fn+`)))`); got != `{"min_sys", "options"}` {
		t.Errorf("function parameters %s", got)
	}
	before := len(e.cdr.Log())
	rows := e.eval(t, `Table.RowCount(`+fn+`(150, [PageSize = 100]))`)
	var sent int
	for _, r := range e.cdr.LogSince(0)[before:] {
		if r.Endpoint == "query.stored" {
			if r.Params["min_sys"] != float64(150) || r.StoredQuery != "org.pqx::high_blood_pressure/1.0.0" || r.Fetch != 100 {
				t.Errorf("stored query request: %+v", r)
			}
			sent += max(r.Rows, 0)
		}
	}
	if rows == "0" || rows != itoa(sent) {
		t.Errorf("navigator function gave %s rows, the CDR sent %d", rows, sent)
	}
	if got := e.eval(t, `Table.RowCount(K.Contents(){[Key = "ehrs"]}[Data])`); got != "25" {
		t.Errorf("EHRs table has %s rows", got)
	}
	if got := e.eval(t, `K.Contents(){[Key = "server-info"]}[Data]`); got != `[Vendor = "ehrbase", BaseUrl = "`+e.cdr.BaseURL()+`", Templates = 4, StoredQueries = 10]` {
		t.Errorf("server info %s", got)
	}
	if got := e.eval(t, `Table.ColumnNames(K.Templates())`); got != `{"template_id", "concept", "archetype_id", "created_timestamp"}` {
		t.Errorf("templates columns %s", got)
	}
}

// TestNavigatorWithoutFeatures checks EHRs and Server info stay out unless
// the tenant asks for them.
func TestNavigatorWithoutFeatures(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "better"}, "better", "")
	if got := e.eval(t, `Table.Column(K.Contents(), "Key")`); got != `{"query", "stored-queries", "templates"}` {
		t.Errorf("navigator keys %s", got)
	}
}

func itoa(n int) string { return strconv.Itoa(n) }

// TestStoredQuery checks versions, parameters and the body of a stored
// query call, and that a name that could leave the query path is refused
// before any request.
func TestStoredQuery(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "better"}, "better", "")
	for _, tc := range []struct{ call, resolved, columns string }{
		{`K.StoredQuery("org.pqx::blood_pressure", "1.0.0", null, [MaxRows = 3])`, "org.pqx::blood_pressure/1.0.0", `{"ehr_id", "time", "systolic", "diastolic"}`},
		{`K.StoredQuery("org.pqx::blood_pressure", "1", null, [MaxRows = 3])`, "org.pqx::blood_pressure/1.1.0", `{"ehr_id", "time", "systolic.magnitude", "systolic.units", "systolic.precision", "diastolic"}`},
		{`K.StoredQuery("org.pqx::blood_pressure", null, null, [MaxRows = 3])`, "org.pqx::blood_pressure/1.1.0", `{"ehr_id", "time", "systolic.magnitude", "systolic.units", "systolic.precision", "diastolic"}`},
		{`K.StoredQuery("org.pqx::high_blood_pressure", null, [#"$min_sys" = 160], [MaxRows = 3])`, "org.pqx::high_blood_pressure/1.0.0", `{"ehr_id", "time", "systolic", "diastolic"}`},
	} {
		seq := len(e.cdr.Log())
		if got := e.eval(t, `Table.ColumnNames(`+tc.call+`)`); got != tc.columns {
			t.Errorf("%s: columns %s, want %s", tc.call, got, tc.columns)
		}
		rs := e.cdr.LogSince(0)[seq:]
		if len(rs) != 1 || rs[0].StoredQuery != tc.resolved || rs[0].Status != 200 || !rs[0].OffsetSent || rs[0].Fetch != 3 || rs[0].ParamsField != "query_parameters" {
			t.Errorf("%s: requests %+v", tc.call, rs)
		}
	}
	seq := len(e.cdr.Log())
	for _, name := range []string{"../ehr/x", "a/b", "", "org.pqx::blood pressure"} {
		err := e.evalErr(t, `K.StoredQuery(`+mtext(name)+`)`)
		if err.Reason() != "Expression.Error" || !strings.Contains(err.Message(), "stored query name") {
			t.Errorf("name %q: %v", name, err)
		}
	}
	err := e.evalErr(t, `K.StoredQuery("org.pqx::ehrs", "1/../../x")`)
	if !strings.Contains(err.Message(), "SemVer") {
		t.Errorf("bad version: %v", err)
	}
	if n := len(e.cdr.Log()) - seq; n != 0 {
		t.Errorf("refused names caused %d requests", n)
	}
	err = e.evalErr(t, `K.StoredQuery("org.pqx::nope")`)
	if err.Reason() != "openEHR.NotFound" {
		t.Errorf("unknown stored query: %v", err)
	}
}
