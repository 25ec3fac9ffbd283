package eval

import "testing"

// Table.* cases written from the documented behaviour in the Power Query M
// function reference (our own inputs), including error reasons.

const tblAB = `Table.FromRecords({[A = 1, B = "x"], [A = 2, B = "y"], [A = 3, B = "z"]})`

func TestLibTableBuild(t *testing.T) {
	runCases(t, []evalCase{
		{src: tblAB, want: `#table(type table [A = any, B = any], {{1, "x"}, {2, "y"}, {3, "z"}})`},
		{src: `Table.FromRecords({[A = 1], [B = 2]})`, reason: "Expression.Error", msg: "The field 'A' of the record wasn't found."},
		{src: `Table.FromRecords({[A = 1], [B = 2]}, {"A", "B"}, MissingField.UseNull)`, want: `#table(type table [A = any, B = any], {{1, null}, {null, 2}})`},
		{src: `Table.FromRecords({[A = 1]}, type table [A = number])`, want: `#table(type table [A = number], {{1}})`},
		{src: `Table.FromRecords({})`, want: `#table(type table, {})`},
		{src: `Table.FromRecords({1})`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Record."},
		{src: `Table.FromRows({{1, "a"}, {2, "b"}}, {"N", "T"})`, want: `#table(type table [N = any, T = any], {{1, "a"}, {2, "b"}})`},
		{src: `Table.FromRows({{1, "a"}})`, want: `#table(type table [Column1 = any, Column2 = any], {{1, "a"}})`},
		{src: `Table.FromRows({{1}}, {"A", "B"})`, reason: "Expression.Error", msg: "2 keys were specified, but 1 values were provided."},
		{src: `Table.FromList({"a", "b"})`, want: `#table(type table [Column1 = any], {{"a"}, {"b"}})`},
		{src: `Table.FromList({"a,apple", "b,ball"}, null, {"Letter", "Example Word"})`, want: `#table(type table [Letter = any, #"Example Word" = any], {{"a", "apple"}, {"b", "ball"}})`},
		{src: `Table.FromList({1})`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Text."},
		{src: `Table.FromList({"a,b", "c,d"}, Splitter.SplitTextByDelimiter(","), {"X", "Y"})`, want: `#table(type table [X = any, Y = any], {{"a", "b"}, {"c", "d"}})`},
		{src: `Table.FromList({[a = 1]}, Splitter.SplitByNothing(), {"R"})`, want: `#table(type table [R = any], {{[a = 1]}})`},
		{src: `Table.FromList({"a,b,c"}, Splitter.SplitTextByDelimiter(","), {"X", "Y"})`, reason: "Expression.Error", msg: "more columns"},
		{src: `Table.FromList({"a,b,c"}, Splitter.SplitTextByDelimiter(","), {"X", "Y"}, null, ExtraValues.Ignore)`, want: `#table(type table [X = any, Y = any], {{"a", "b"}})`},
		{src: `Table.FromList({"a,b,c"}, Splitter.SplitTextByDelimiter(","), {"X", "Y"}, null, ExtraValues.List)`, want: `#table(type table [X = any, Y = any], {{"a", {"b", "c"}}})`},
		{src: `Table.FromList({"a"}, Splitter.SplitTextByDelimiter(","), {"X", "Y"}, "-")`, want: `#table(type table [X = any, Y = any], {{"a", "-"}})`},
		{src: `Table.FromColumns({{1, 2}, {"a"}}, {"N", "T"})`, want: `#table(type table [N = any, T = any], {{1, "a"}, {2, null}})`},
		{src: `Table.ToRecords(` + tblAB + `){1}`, want: `[A = 2, B = "y"]`},
		{src: `Table.ToRows(#table({"A", "B"}, {{1, 2}}))`, want: `{{1, 2}}`},
		{src: `Table.ToColumns(#table({"A", "B"}, {{1, 2}, {3, 4}}))`, want: `{{1, 3}, {2, 4}}`},
		{src: `Table.ToList(#table({"A", "B"}, {{1, "x"}}))`, want: `{"1,x"}`},
		{src: `Table.ToList(#table({"A", "B"}, {{"1", "x"}}), Combiner.CombineTextByDelimiter(";"))`, want: `{"1;x"}`},
		{src: `Table.Column(` + tblAB + `, "B")`, want: `{"x", "y", "z"}`},
		{src: `Table.Column(` + tblAB + `, "C")`, reason: "Expression.Error", msg: "The column 'C' of the table wasn't found."},
		{src: `Table.ColumnNames(` + tblAB + `)`, want: `{"A", "B"}`},
		{src: `Table.ColumnCount(` + tblAB + `)`, want: `2`},
		{src: `Table.HasColumns(` + tblAB + `, {"A", "C"})`, want: `false`},
		{src: `Table.RowCount(` + tblAB + `)`, want: `3`},
		{src: `Table.IsEmpty(#table({"A"}, {}))`, want: `true`},
		{src: `Table.First(` + tblAB + `)`, want: `[A = 1, B = "x"]`},
		{src: `Table.First(#table({"A"}, {}), "none")`, want: `"none"`},
		{src: `Table.Last(` + tblAB + `)`, want: `[A = 3, B = "z"]`},
		{src: `Table.FirstValue(` + tblAB + `)`, want: `1`},
		{src: `(` + tblAB + `){5}`, reason: "Expression.Error", msg: "There weren't enough elements in the enumeration to complete the operation."},
		{src: `Table.SingleRow(#table({"A"}, {}))`, reason: "Expression.Error", msg: "There weren't enough elements in the enumeration"},
		{src: `Table.Schema(#table(type table [A = Int64.Type, B = nullable text], {}))[TypeName]`, want: `{"Int64.Type", "Text.Type"}`},
	})
}

func TestLibTableColumns(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.AddColumn(` + tblAB + `, "C", each [A] * 10)`, want: `#table(type table [A = any, B = any, C = any], {{1, "x", 10}, {2, "y", 20}, {3, "z", 30}})`},
		{src: `Table.AddColumn(` + tblAB + `, "C", each [A], Int64.Type)`, want: `#table(type table [A = any, B = any, C = Int64.Type], {{1, "x", 1}, {2, "y", 2}, {3, "z", 3}})`},
		{src: `Table.AddColumn(` + tblAB + `, "A", each 1)`, reason: "Expression.Error", msg: "The field 'A' already exists in the record."},
		{src: `try Table.AddColumn(#table({"A"}, {{1}, {0}}), "C", each error "bad"){1}[C] otherwise "lazy"`, want: `"lazy"`},
		{src: `Table.RowCount(Table.AddColumn(#table({"A"}, {{1}}), "C", each error "never"))`, want: `1`},
		{src: `Table.AddIndexColumn(#table({"A"}, {{"a"}, {"b"}}), "I", 1)`, want: `#table(type table [A = any, I = number], {{"a", 1}, {"b", 2}})`},
		{src: `Table.DuplicateColumn(#table({"A"}, {{1}}), "A", "B")`, want: `#table(type table [A = any, B = any], {{1, 1}})`},
		{src: `Table.RemoveColumns(` + tblAB + `, "A")`, want: `#table(type table [B = any], {{"x"}, {"y"}, {"z"}})`},
		{src: `Table.RemoveColumns(` + tblAB + `, {"C"})`, reason: "Expression.Error", msg: "The column 'C' of the table wasn't found."},
		{src: `Table.RemoveColumns(` + tblAB + `, {"C", "A"}, MissingField.Ignore)`, want: `#table(type table [B = any], {{"x"}, {"y"}, {"z"}})`},
		{src: `Table.SelectColumns(` + tblAB + `, {"B", "A"})`, want: `#table(type table [B = any, A = any], {{"x", 1}, {"y", 2}, {"z", 3}})`},
		{src: `Table.SelectColumns(#table({"A"}, {{1}}), {"A", "Z"}, MissingField.UseNull)`, want: `#table(type table [A = any, Z = any], {{1, null}})`},
		{src: `Table.SelectColumns(#table({"A"}, {{1}}), {"Z"})`, reason: "Expression.Error", msg: "The column 'Z' of the table wasn't found."},
		{src: `Table.ReorderColumns(#table({"A", "B", "C"}, {{1, 2, 3}}), {"C", "A"})`, want: `#table(type table [C = any, B = any, A = any], {{3, 2, 1}})`},
		{src: `Table.RenameColumns(` + tblAB + `, {"A", "N"})`, want: `#table(type table [N = any, B = any], {{1, "x"}, {2, "y"}, {3, "z"}})`},
		{src: `Table.RenameColumns(` + tblAB + `, {{"A", "B"}})`, reason: "Expression.Error", msg: "The field 'B' already exists in the record."},
		{src: `Table.RenameColumns(` + tblAB + `, {{"Q", "R"}})`, reason: "Expression.Error", msg: "The column 'Q' of the table wasn't found."},
		{src: `Table.TransformColumnNames(#table({"a b"}, {{1}}), each Text.Replace(_, " ", "_"))`, want: `#table(type table [a_b = any], {{1}})`},
		{src: `Table.TransformColumns(` + tblAB + `, {"B", Text.Upper})`, want: `#table(type table [A = any, B = any], {{1, "X"}, {2, "Y"}, {3, "Z"}})`},
		{src: `Table.TransformColumns(` + tblAB + `, {{"A", each _ + 1, Int64.Type}, {"B", Text.Upper}})`, want: `#table(type table [A = Int64.Type, B = any], {{2, "X"}, {3, "Y"}, {4, "Z"}})`},
		{src: `Table.TransformColumns(#table({"A"}, {{1}}), {"Q", each _})`, reason: "Expression.Error", msg: "The column 'Q' of the table wasn't found."},
		{src: `Table.TransformColumns(#table({"A", "B"}, {{1, 2}}), {"A", each _ * 10}, each -_)`, want: `#table(type table [A = any, B = any], {{10, -2}})`},
		{src: `Table.TransformColumnTypes(#table({"N", "D", "T"}, {{"42", "2024-03-04", 7}}), {{"N", type number}, {"D", type date}, {"T", type text}})`,
			want: `#table(type table [N = number, D = date, T = text], {{42, #date(2024, 3, 4), "7"}})`},
		{src: `Table.TransformColumnTypes(#table({"N"}, {{"1.5"}, {null}}), {"N", Int64.Type})`, want: `#table(type table [N = Int64.Type], {{2}, {null}})`},
		{src: `Table.TransformColumnTypes(#table({"N"}, {{"x"}}), {"N", type number}){0}[N]`, reason: "DataFormat.Error", msg: ""},
		{src: `Table.RowCount(Table.TransformColumnTypes(#table({"N"}, {{"x"}}), {"N", type number}))`, want: `1`},
		{src: `Table.TransformColumnTypes(#table({"N"}, {{1}}), {"Q", type number})`, reason: "Expression.Error", msg: "The column 'Q' of the table wasn't found."},
		{src: `Table.TransformRows(` + tblAB + `, each [B])`, want: `{"x", "y", "z"}`},
	})
}

func TestLibTableRows(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.SelectRows(` + tblAB + `, each [A] > 1)`, want: `#table(type table [A = any, B = any], {{2, "y"}, {3, "z"}})`},
		{src: `Table.SelectRows(` + tblAB + `, each "x")`, reason: "Expression.Error", msg: "We cannot convert the value \"x\" to type Logical."},
		{src: `Table.FirstN(` + tblAB + `, 2)`, want: `#table(type table [A = any, B = any], {{1, "x"}, {2, "y"}})`},
		{src: `Table.FirstN(` + tblAB + `, each [A] < 2)`, want: `#table(type table [A = any, B = any], {{1, "x"}})`},
		{src: `Table.FirstN(` + tblAB + `, 10)`, want: `#table(type table [A = any, B = any], {{1, "x"}, {2, "y"}, {3, "z"}})`},
		{src: `Table.LastN(` + tblAB + `, 1)`, want: `#table(type table [A = any, B = any], {{3, "z"}})`},
		{src: `Table.Skip(` + tblAB + `, 2)`, want: `#table(type table [A = any, B = any], {{3, "z"}})`},
		{src: `Table.Skip(` + tblAB + `)`, want: `#table(type table [A = any, B = any], {{2, "y"}, {3, "z"}})`},
		{src: `Table.Skip(` + tblAB + `, each [A] < 3)`, want: `#table(type table [A = any, B = any], {{3, "z"}})`},
		{src: `Table.RemoveLastN(` + tblAB + `, 2)`, want: `#table(type table [A = any, B = any], {{1, "x"}})`},
		{src: `Table.Range(` + tblAB + `, 1, 1)`, want: `#table(type table [A = any, B = any], {{2, "y"}})`},
		{src: `Table.Range(` + tblAB + `, 1)`, want: `#table(type table [A = any, B = any], {{2, "y"}, {3, "z"}})`},
		{src: `Table.RemoveRows(` + tblAB + `, 0, 2)`, want: `#table(type table [A = any, B = any], {{3, "z"}})`},
		{src: `Table.ReverseRows(#table({"A"}, {{1}, {2}}))`, want: `#table(type table [A = any], {{2}, {1}})`},
		{src: `Table.InsertRows(#table({"A"}, {{1}, {3}}), 1, {[A = 2]})`, want: `#table(type table [A = any], {{1}, {2}, {3}})`},
		{src: `Table.Sort(#table({"A", "B"}, {{2, "b"}, {1, "z"}, {2, "a"}}), {"A", {"B", Order.Descending}})`, want: `#table(type table [A = any, B = any], {{1, "z"}, {2, "b"}, {2, "a"}})`},
		{src: `Table.Sort(#table({"A"}, {{2}, {3}, {1}}), {"A", Order.Descending})`, want: `#table(type table [A = any], {{3}, {2}, {1}})`},
		{src: `Table.Sort(#table({"A"}, {{2}, {3}, {1}}), "A")`, want: `#table(type table [A = any], {{1}, {2}, {3}})`},
		{src: `Table.Sort(#table({"A"}, {{2}, {3}, {1}}), each -[A])`, want: `#table(type table [A = any], {{3}, {2}, {1}})`},
		{src: `Table.Sort(#table({"A"}, {{1}}), "Q")`, reason: "Expression.Error", msg: "The column 'Q' of the table wasn't found."},
		{src: `Table.Distinct(#table({"A", "B"}, {{1, "a"}, {1, "a"}, {1, "b"}}))`, want: `#table(type table [A = any, B = any], {{1, "a"}, {1, "b"}})`},
		{src: `Table.Distinct(#table({"A", "B"}, {{1, "a"}, {1, "b"}}), "A")`, want: `#table(type table [A = any, B = any], {{1, "a"}})`},
		{src: `Table.Distinct(#table({"A"}, {{"a"}, {"A"}}), {"A", Comparer.OrdinalIgnoreCase})`, want: `#table(type table [A = any], {{"a"}})`},
		{src: `Table.Contains(` + tblAB + `, [A = 2])`, want: `true`},
		{src: `Table.PositionOf(` + tblAB + `, [B = "z"])`, want: `2`},
		{src: `Table.MatchesAllRows(` + tblAB + `, each [A] > 0)`, want: `true`},
		{src: `Table.MatchesAnyRows(` + tblAB + `, each [A] > 2)`, want: `true`},
		{src: `Table.FindText(` + tblAB + `, "y")`, want: `#table(type table [A = any, B = any], {{2, "y"}})`},
		{src: `Table.RemoveRowsWithErrors(Table.AddColumn(#table({"A"}, {{1}, {0}}), "B", each if [A] = 0 then error "e" else 1))`, want: `#table(type table [A = any, B = any], {{1, 1}})`},
		{src: `Table.ReplaceErrorValues(Table.AddColumn(#table({"A"}, {{0}}), "B", each error "e"), {"B", -1})`, want: `#table(type table [A = any, B = any], {{0, -1}})`},
		{src: `Table.ReplaceValue(#table({"A", "B"}, {{"a b", "a"}}), "a", "z", Replacer.ReplaceText, {"A"})`, want: `#table(type table [A = any, B = any], {{"z b", "a"}})`},
		{src: `Table.ReplaceValue(#table({"A"}, {{1}, {2}}), 1, 9, Replacer.ReplaceValue, {"A"})`, want: `#table(type table [A = any], {{9}, {2}})`},
		{src: `Table.FillDown(#table({"A"}, {{1}, {null}, {2}, {null}}), {"A"})`, want: `#table(type table [A = any], {{1}, {1}, {2}, {2}})`},
		{src: `Table.FillUp(#table({"A"}, {{null}, {1}}), {"A"})`, want: `#table(type table [A = any], {{1}, {1}})`},
		{src: `Table.PromoteHeaders(#table({"Column1", "Column2"}, {{"a", "b"}, {1, 2}}))`, want: `#table(type table [a = any, b = any], {{1, 2}})`},
		{src: `Table.DemoteHeaders(#table({"a"}, {{1}}))`, want: `#table(type table [Column1 = any], {{"a"}, {1}})`},
		{src: `Table.Buffer(#table({"A"}, {{1}}))`, want: `#table(type table [A = any], {{1}})`},
	})
}

func TestLibTableCombine(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.Group(#table({"K", "V"}, {{"a", 1}, {"b", 2}, {"a", 3}}), "K", {{"Sum", each List.Sum([V]), type number}, {"N", Table.RowCount}})`,
			want: `#table(type table [K = any, Sum = number, N = any], {{"a", 4, 2}, {"b", 2, 1}})`},
		{src: `Table.Group(#table({"K"}, {{"a"}, {"b"}, {"a"}}), {"K"}, {"N", Table.RowCount}, GroupKind.Local)`,
			want: `#table(type table [K = any, N = any], {{"a", 1}, {"b", 1}, {"a", 1}})`},
		{src: `Table.Join(#table({"K", "A"}, {{1, "a"}, {2, "b"}}), "K", #table({"K2", "B"}, {{1, "x"}, {1, "y"}, {3, "z"}}), "K2")`,
			want: `#table(type table [K = any, A = any, K2 = any, B = any], {{1, "a", 1, "x"}, {1, "a", 1, "y"}})`},
		{src: `Table.Join(#table({"K", "A"}, {{1, "a"}, {2, "b"}}), "K", #table({"K2", "B"}, {{1, "x"}, {3, "z"}}), "K2", JoinKind.FullOuter)`,
			want: `#table(type table [K = any, A = any, K2 = any, B = any], {{1, "a", 1, "x"}, {2, "b", null, null}, {null, null, 3, "z"}})`},
		{src: `Table.Join(#table({"K"}, {{1}}), "K", #table({"K"}, {{1}}), "K")`, reason: "Expression.Error", msg: "duplicate column names"},
		{src: `Table.NestedJoin(#table({"K"}, {{1}, {2}}), "K", #table({"K2", "B"}, {{1, "x"}}), "K2", "N", JoinKind.LeftOuter)`,
			want: `#table(type table [K = any, N = table [K2 = any, B = any]], {{1, #table(type table [K2 = any, B = any], {{1, "x"}})}, {2, #table(type table [K2 = any, B = any], {})}})`},
		{src: `Table.ExpandRecordColumn(#table({"I", "R"}, {{1, [a = 1, b = 2]}, {2, null}}), "R", {"a", "c"}, {"R.a", "R.c"})`,
			want: `#table(type table [I = any, R.a = any, R.c = any], {{1, 1, null}, {2, null, null}})`},
		{src: `Table.ExpandRecordColumn(#table({"R"}, {{[a = 1]}}), "Q", {"a"})`, reason: "Expression.Error", msg: "The column 'Q' of the table wasn't found."},
		{src: `Table.ExpandRecordColumn(#table({"a", "R"}, {{1, [a = 1]}}), "R", {"a"})`, reason: "Expression.Error", msg: "The field 'a' already exists in the record."},
		{src: `Table.ExpandListColumn(#table({"I", "L"}, {{1, {"a", "b"}}, {2, {}}}), "L")`,
			want: `#table(type table [I = any, L = any], {{1, "a"}, {1, "b"}, {2, null}})`},
		{src: `Table.ExpandTableColumn(Table.NestedJoin(#table({"K"}, {{1}, {2}}), "K", #table({"K2", "B"}, {{1, "x"}, {1, "y"}}), "K2", "N", JoinKind.LeftOuter), "N", {"B"})`,
			want: `#table(type table [K = any, B = any], {{1, "x"}, {1, "y"}, {2, null}})`},
		{src: `Table.Combine({#table({"A"}, {{1}}), #table({"B"}, {{2}})})`, want: `#table(type table [A = any, B = any], {{1, null}, {null, 2}})`},
		{src: `#table({"A"}, {{1}}) & #table({"A"}, {{2}})`, want: `#table(type table [A = any], {{1}, {2}})`},
		{src: `Table.Unpivot(#table({"K", "X", "Y"}, {{"a", 1, null}}), {"X", "Y"}, "Attr", "Val")`, want: `#table(type table [K = any, Attr = text, Val = any], {{"a", "X", 1}})`},
		{src: `Table.UnpivotOtherColumns(#table({"K", "X", "Y"}, {{"a", 1, 2}}), {"K"}, "Attr", "Val")`, want: `#table(type table [K = any, Attr = text, Val = any], {{"a", "X", 1}, {"a", "Y", 2}})`},
		{src: `Table.Keys(Table.AddKey(#table({"A"}, {{1}}), {"A"}, true))`, want: `{[Columns = {"A"}, Primary = true]}`},
		{src: `Table.AddKey(#table({"A"}, {{1}}), {"B"}, true)`, reason: "Expression.Error", msg: "The column 'B' of the table wasn't found."},
		{src: `Table.Keys(Table.SelectRows(Table.AddKey(#table({"A"}, {{1}}), {"A"}, true), each true))`, want: `{[Columns = {"A"}, Primary = true]}`},
	})
}

// TestNavigationTable is the Table.ToNavigationTable helper connectors ship:
// a key and navigation metadata on the table type survive Value.ReplaceType.
func TestNavigationTable(t *testing.T) {
	src := `let
	ToNav = (table as table, keyColumns as list, nameColumn as text, dataColumn as text, itemKindColumn as text, itemNameColumn as text, isLeafColumn as text) as table =>
		let
			tableType = Value.Type(table),
			newTableType = Type.AddTableKey(tableType, keyColumns, true) meta [
				NavigationTable.NameColumn = nameColumn, NavigationTable.DataColumn = dataColumn,
				NavigationTable.ItemKindColumn = itemKindColumn, Preview.DelayColumn = itemNameColumn,
				NavigationTable.IsLeafColumn = isLeafColumn]
		in Value.ReplaceType(table, newTableType),
	src = #table({"Name", "Key", "Data", "ItemKind", "ItemName", "IsLeaf"}, {{"Ehr", "ehr", {1}, "Table", "Table", true}}),
	nav = ToNav(src, {"Key"}, "Name", "Data", "ItemKind", "ItemName", "IsLeaf")
in
	[Keys = Table.Keys(nav), Meta = Value.Metadata(Value.Type(nav))[NavigationTable.NameColumn], Data = nav{[Key = "ehr"]}[Data]]`
	runCases(t, []evalCase{{src: src, want: `[Keys = {[Columns = {"Key"}, Primary = true]}, Meta = "Name", Data = {1}]`}})
}

// TestGenerateByPage runs the paging helper connectors ship (from the
// Power Query SDK samples, re-typed): pages from List.Generate expanded
// into one table whose type is the first page's.
func TestGenerateByPage(t *testing.T) {
	src := `let
	Table.GenerateByPage = (getNextPage as function) as table =>
		let
			listOfPages = List.Generate(() => getNextPage(null), (lastPage) => lastPage <> null, (lastPage) => getNextPage(lastPage)),
			tableOfPages = Table.FromList(listOfPages, Splitter.SplitByNothing(), {"Column1"}),
			firstRow = tableOfPages{0}?,
			keys = if (firstRow = null) then {"Column1"} else Table.ColumnNames(firstRow[Column1]),
			appliedType = if (firstRow = null) then Value.Type(Table.FromRows({})) else Value.Type(firstRow[Column1])
		in
			Value.ReplaceType(Table.ExpandTableColumn(tableOfPages, "Column1", keys), appliedType),
	pages = {{[id = 1, v = "a"], [id = 2, v = "b"]}, {[id = 3, v = "c"]}},
	page = (i) => Table.TransformColumnTypes(Table.FromRecords(pages{i}), {"id", Int64.Type}) meta [Next = if i + 1 < List.Count(pages) then i + 1 else null],
	result = Table.GenerateByPage((previous) =>
		let next = if previous = null then 0 else Value.Metadata(previous)[Next]
		in if next = null then null else page(next))
in
	result`
	runCases(t, []evalCase{{src: src, want: `#table(type table [id = Int64.Type, v = any], {{1, "a"}, {2, "b"}, {3, "c"}})`}})
}

func TestLibTablePivot(t *testing.T) {
	const src = `#table({"key", "attribute", "value"}, {{"x", "a", 1}, {"x", "c", 3}, {"y", "a", 2}, {"y", "b", 4}, {"y", "b", 5}})`
	runCases(t, []evalCase{
		{src: `Table.Pivot(Table.FirstN(` + src + `, 4), {"a", "b", "c"}, "attribute", "value")`,
			want: `#table(type table [key = any, a = any, b = any, c = any], {{"x", 1, null, 3}, {"y", 2, 4, null}})`},
		{src: `Table.Pivot(` + src + `, {"a", "b", "c"}, "attribute", "value", List.Sum)`,
			want: `#table(type table [key = any, a = any, b = any, c = any], {{"x", 1, null, 3}, {"y", 2, 9, null}})`},
		{src: `Table.Pivot(` + src + `, {"a", "b"}, "attribute", "value"){1}[b]`, reason: "Expression.Error", msg: "There were too many elements in the enumeration"},
		{src: `Table.Pivot(` + src + `, {"a"}, "nope", "value")`, reason: "Expression.Error", msg: "The column 'nope' of the table wasn't found."},
		{src: `Table.Unpivot(Table.Pivot(Table.FirstN(` + src + `, 4), {"a", "b", "c"}, "attribute", "value"), {"a", "b", "c"}, "attribute", "value")`,
			want: `#table(type table [key = any, attribute = text, value = any], {{"x", "a", 1}, {"x", "c", 3}, {"y", "a", 2}, {"y", "b", 4}})`},
	})
}

func TestLibTableMore(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.SplitColumn(#table({"Name", "N"}, {{"a-b", 1}, {"c", 2}}), "Name", Splitter.SplitTextByDelimiter("-"))`,
			want: `#table(type table [Name.1 = any, Name.2 = any, N = any], {{"a", "b", 1}, {"c", null, 2}})`},
		{src: `Table.SplitColumn(#table({"Name"}, {{"a-b-c"}}), "Name", Splitter.SplitTextByDelimiter("-"), {"X", "Y"})`,
			want: `#table(type table [X = any, Y = any], {{"a", "b"}})`},
		{src: `Table.CombineColumns(#table({"A", "B", "C"}, {{"x", "y", 1}}), {"A", "B"}, Combiner.CombineTextByDelimiter("-"), "AB")`,
			want: `#table(type table [AB = any, C = any], {{"x-y", 1}})`},
		{src: `Table.PrefixColumns(#table({"A"}, {{1}}), "T")`, want: `#table(type table [T.A = any], {{1}})`},
		{src: `Table.Transpose(#table({"A", "B"}, {{1, 2}, {3, 4}}))`, want: `#table(type table [Column1 = any, Column2 = any], {{1, 3}, {2, 4}})`},
		{src: `Table.Repeat(#table({"A"}, {{1}, {2}}), 2)`, want: `#table(type table [A = any], {{1}, {2}, {1}, {2}})`},
		{src: `Table.AlternateRows(#table({"A"}, {{1}, {2}, {3}, {4}, {5}}), 1, 1, 1)`, want: `#table(type table [A = any], {{1}, {3}, {5}})`},
		{src: `List.Transform(Table.Split(#table({"A"}, {{1}, {2}, {3}}), 2), Table.RowCount)`, want: `{2, 1}`},
		{src: `List.Transform(Table.Partition(#table({"A"}, {{1}, {2}, {3}}), "A", 2, each _), each Table.Column(_, "A"))`, want: `{{2}, {1, 3}}`},
		{src: `Table.IsDistinct(#table({"A"}, {{1}, {1}}))`, want: `false`},
		{src: `Table.Max(#table({"A", "B"}, {{1, "x"}, {3, "y"}, {2, "z"}}), "A")`, want: `[A = 3, B = "y"]`},
		{src: `Table.Min(#table({"A"}, {}), "A", "empty")`, want: `"empty"`},
		{src: `Table.MaxN(#table({"A"}, {{1}, {3}, {2}}), "A", 2)`, want: `#table(type table [A = any], {{3}, {2}})`},
		{src: `Table.MinN(#table({"A"}, {{1}, {3}, {2}}), "A", 2)`, want: `#table(type table [A = any], {{1}, {2}})`},
		{src: `Table.ReplaceRows(#table({"A"}, {{1}, {2}, {3}}), 1, 1, {[A = 9]})`, want: `#table(type table [A = any], {{1}, {9}, {3}})`},
		{src: `Table.RemoveMatchingRows(#table({"A", "B"}, {{1, "x"}, {2, "y"}}), {[A = 1]})`, want: `#table(type table [A = any, B = any], {{2, "y"}})`},
		{src: `Table.Keys(Table.ReplaceKeys(#table({"A"}, {{1}}), {[Columns = {"A"}, Primary = false]}))`, want: `{[Columns = {"A"}, Primary = false]}`},
		{src: `Table.AddJoinColumn(#table({"K"}, {{1}, {2}}), "K", () => #table({"K2", "V"}, {{1, "a"}}), "K2", "J")`,
			want: `#table(type table [K = any, J = table], {{1, #table(type table [K2 = any, V = any], {{1, "a"}})}, {2, #table(type table [K2 = any, V = any], {})}})`},
	})
}

func TestLibTableFromRecordsDocumented(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Table.FromRecords({
			[CustomerID = 1, FirstName = "Bob", MiddleInitial = "C", LastName = "Smith"],
			[CustomerID = 2, FirstName = "Sarah", LastName = "Jones"],
			[CustomerID = 3, FirstName = "Harry", MiddleInitial = "H"]},
			type table [FirstName = nullable text, MiddleInitial = nullable text, LastName = nullable text],
			MissingField.UseNull)`,
			want: `#table(type table [FirstName = nullable text, MiddleInitial = nullable text, LastName = nullable text], {{"Bob", "C", "Smith"}, {"Sarah", null, "Jones"}, {"Harry", "H", null}})`},
		{src: `Table.ColumnsOfType(Table.FromRecords({[CustomerID = 1, Name = "Bob"]}, type table [CustomerID = Number.Type, Name = Text.Type]), {type number})`, want: `{"CustomerID"}`},
		{src: `Table.FromRecords({[A = 1]}, {"A"}, MissingField.Ignore)`, reason: "Expression.Error", msg: "missingField"},
	})
}

// TestTableDocumentedOptions covers options of the function reference that
// the first cut ignored.
func TestTableDocumentedOptions(t *testing.T) {
	runCases(t, []evalCase{
		// MissingField.UseNull adds the missing column, filled with nulls.
		{src: `Table.TransformColumns(Table.FromRecords({[A = "1", B = 2], [A = "5", B = 10]}), {"X", Number.FromText}, null, MissingField.UseNull)`,
			want: `#table(type table [A = any, B = any, X = any], {{"1", 2, null}, {"5", 10, null}})`},
		{src: `Table.TransformColumns(Table.FromRecords({[A = "1"]}), {{"A", Number.FromText}, {"Y", each 1, type number}}, null, MissingField.UseNull)`,
			want: `#table(type table [A = any, Y = number], {{1, null}})`},
		{src: `Table.TransformColumns(Table.FromRecords({[A = "1"]}), {"X", Number.FromText}, null, MissingField.Ignore)`,
			want: `#table(type table [A = any], {{"1"}})`},
		// Only text and numbers become headers unless PromoteAllScalars.
		{src: `Table.ColumnNames(Table.PromoteHeaders(#table(3, {{"a", 1, #date(2020, 1, 2)}, {1, 2, 3}})))`,
			want: `{"a", "1", "Column3"}`},
		{src: `Table.ColumnNames(Table.PromoteHeaders(#table(3, {{"a", 1, #date(2020, 1, 2)}, {1, 2, 3}}), [PromoteAllScalars = true]))`,
			want: `{"a", "1", "1/2/2020"}`},
		// List functions with the options of the reference.
		{src: `List.Difference({1, 1, 1}, {1})`, want: `{1, 1}`},
		{src: `List.PositionOf({1, 2, 1}, 1, Occurrence.Last)`, want: `2`},
		{src: `List.PositionOf({1, 2, 1}, 1, Occurrence.All)`, want: `{0, 2}`},
		{src: `List.Max({"aa", "b"}, null, each Text.Length(_))`, want: `"aa"`},
	})
}
