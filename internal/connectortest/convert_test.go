package connectortest

import (
	"testing"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// TestFlattenEveryRMType runs the connector's result conversion on cells of
// every RM type of the flattening table, including ones no fixture serves,
// and checks the column names, types and values.
func TestFlattenEveryRMType(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	rows := `{
        {[_type = "DV_ORDINAL", value = 2, symbol = [_type = "DV_CODED_TEXT", value = "moderate", defining_code = [code_string = "at0012", terminology_id = [value = "local"]]]],
         [_type = "DV_IDENTIFIER", id = "123", issuer = "NHS", assigner = "NHS", type = "NHS number"],
         [_type = "PARTY_IDENTIFIED", name = "Dr Who", external_ref = [id = [value = "p-1"], namespace = "hr"]],
         [_type = "DV_DATE_TIME", value = "2025-10-30T07:45:00+01:00"],
         [_type = "DV_PROPORTION", numerator = 1, denominator = 4, type = 1],
         [#"@class" = "DV_COUNT", magnitude = 7],
         [_type = "DV_BOOLEAN", value = true],
         [_type = "DV_MULTIMEDIA", size = 3],
         "2025-10-30", "2025-10", {1, 2}, null},
        {null, null, [_type = "PARTY_SELF"], null, null, null, null, null, null, null, null, null}
    }`
	cols := `{"o", "i", "p", "t", "r", "n", "b", "m", "d", "partial", "l", "empty"}`
	expr := `let rows = ` + rows + `, t = ToTable(` + cols + `, rows, rows, [Flatten = true, ColumnTypes = null]) in
        [Schema = Table.ToRows(Table.SelectColumns(Table.Schema(t), {"Name", "TypeName"})), First = Record.ToList(t{0}), Second = Record.ToList(t{1})]`
	got := e.eval(t, expr)
	want := `[Schema = {{"o.value", "Number.Type"}, {"o.symbol", "Text.Type"}, {"o.code", "Text.Type"}, ` +
		`{"i.id", "Text.Type"}, {"i.issuer", "Text.Type"}, {"i.assigner", "Text.Type"}, {"i.type", "Text.Type"}, ` +
		`{"p.name", "Text.Type"}, {"p.external_id", "Text.Type"}, {"t.value", "DateTimeZone.Type"}, ` +
		`{"r.numerator", "Number.Type"}, {"r.denominator", "Number.Type"}, {"n.magnitude", "Number.Type"}, {"b.value", "Logical.Type"}, ` +
		`{"m", "Text.Type"}, {"d", "Date.Type"}, {"partial", "Text.Type"}, {"l", "Text.Type"}, {"empty", "Any.Type"}}, ` +
		`First = {2, "moderate", "at0012", "123", "NHS", "NHS", "NHS number", "Dr Who", "p-1", #datetimezone(2025, 10, 30, 7, 45, 0, 1, 0), ` +
		`1, 4, 7, true, "{""_type"":""DV_MULTIMEDIA"",""size"":3}", #date(2025, 10, 30), "2025-10", "[1,2]", null}, ` +
		`Second = {null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null, null}]`
	if got != want {
		t.Errorf("conversion:\n got %s\nwant %s", got, want)
	}
}

// TestFlattenMixedTypes checks a column mixing DV_TEXT and DV_CODED_TEXT
// gets the coded text's fields, and a column with an RM type the table does
// not know becomes JSON text throughout.
func TestFlattenMixedTypes(t *testing.T) {
	e := newEnv(t, mockcdr.Config{Profile: "ehrbase"}, "ehrbase", "")
	expr := `let rows = {
            {[_type = "DV_TEXT", value = "free text"], [_type = "DV_TEXT", value = "a"]},
            {[_type = "DV_CODED_TEXT", value = "Sitting", defining_code = [code_string = "at1001", terminology_id = [value = "local"]]], [_type = "DV_SOMETHING", x = 1]}
        }, t = ToTable({"name", "mixed"}, rows, rows, [Flatten = true, ColumnTypes = null]) in
        [Columns = Table.ColumnNames(t), Rows = Table.ToRows(t)]`
	want := `[Columns = {"name.value", "name.code", "name.terminology", "mixed"}, ` +
		`Rows = {{"free text", null, null, "{""_type"":""DV_TEXT"",""value"":""a""}"}, {"Sitting", "at1001", "local", "{""_type"":""DV_SOMETHING"",""x"":1}"}}]`
	if got := e.eval(t, expr); got != want {
		t.Errorf("mixed types:\n got %s\nwant %s", got, want)
	}
}
