package eval

import "testing"

// Table keys, after the examples of the function reference (Type.TableKeys,
// Type.AddTableKey, Type.ReplaceTableKeys, Table.AddKey, Table.Keys,
// Table.ReplaceKeys).
func TestTableKeys(t *testing.T) {
	const base = `type table [ID = number, FirstName = text, LastName = text]`
	runCases(t, []evalCase{
		{src: `Type.TableKeys(Type.AddTableKey(type table [ID = number, Name = text], {"ID"}, true))`,
			want: `{[Columns = {"ID"}, Primary = true]}`},
		{src: `Type.TableKeys(type table [ID = number])`, want: `{}`},
		{src: `Type.TableKeys(Type.ReplaceTableKeys(` + base + `, {[Columns = {"ID"}, Primary = true], [Columns = {"FirstName", "LastName"}, Primary = false]}))`,
			want: `{[Columns = {"ID"}, Primary = true], [Columns = {"FirstName", "LastName"}, Primary = false]}`},
		{src: `Type.TableKeys(Type.ReplaceTableKeys(Type.AddTableKey(type table [ID = number, Name = text], {"ID"}, true), {}))`, want: `{}`},
		{src: `Type.ReplaceTableKeys(` + base + `, {[Columns = {"ID"}, Primary = false]})`,
			want: `Type.AddTableKey(type table [ID = number, FirstName = text, LastName = text], {"ID"}, false)`},
		{src: `Type.ReplaceTableKeys(` + base + `, {[Columns = {"Nope"}, Primary = true]})`, reason: "Expression.Error", msg: "The column 'Nope' of the table wasn't found."},
		{src: `Type.ReplaceTableKeys(` + base + `, {[Columns = {"ID"}, Primary = true], [Columns = {"FirstName"}, Primary = true]})`,
			reason: "Expression.Error", msg: "only one primary key"},
		{src: `Type.ReplaceTableKeys(` + base + `, {[Columns = {"ID"}]})`, reason: "Expression.Error", msg: "The field 'Primary' of the record wasn't found."},
		{src: `Type.ReplaceTableKeys(type [A = number], {})`, reason: "Expression.Error", msg: "not a table type"},
		{src: `let t = Table.AddKey(Table.FromRecords({[Id = 1, Name = "Hello There"], [Id = 2, Name = "Good Bye"]}), {"Id"}, true),
			r = Table.ReplaceKeys(t, {[Columns = {"Id"}, Primary = false]}) in {r = Table.FromRecords({[Id = 1, Name = "Hello There"], [Id = 2, Name = "Good Bye"]}), Table.Keys(r)}`,
			want: `{true, {[Columns = {"Id"}, Primary = false]}}`},
		{src: `Table.ReplaceKeys(#table({"A", "B"}, {{1, 2}}), {[Columns = {"A"}, Primary = true], [Columns = {"B"}, Primary = true]})`,
			reason: "Expression.Error", msg: "only one primary key"},
		{src: `Table.ReplaceKeys(#table({"A"}, {{1}}), {[Columns = {"Z"}, Primary = false]})`, reason: "Expression.Error", msg: "The column 'Z' of the table wasn't found."},
		{src: `Table.ReplaceKeys(#table({"A"}, {{1}}), {1})`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Record."},
		{src: `Table.Keys(Table.ReplaceKeys(Table.AddKey(#table({"A"}, {{1}}), {"A"}, true), {}))`, want: `{}`},
		{src: `Table.AddKey(#table({"A"}, {{1}}), {"A"}, true)`, want: `#table(Type.AddTableKey(type table [A = any], {"A"}, true), {{1}})`},
		{src: `Table.Keys(#table({"A"}, {{1}}))`, want: `{}`},
		// Keys live in the table type, so Value.Type carries them.
		{src: `Type.TableKeys(Value.Type(Table.AddKey(#table({"A", "B"}, {}), {"A", "B"}, false)))`, want: `{[Columns = {"A", "B"}, Primary = false]}`},
		// A serialized keyed table evaluates back with its keys.
		{src: `Table.Keys(#table(Type.AddTableKey(type table [A = number], {"A"}, true), {{1}}))`, want: `{[Columns = {"A"}, Primary = true]}`},
	})
}
