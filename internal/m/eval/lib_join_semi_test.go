package eval

import "testing"

// Semi joins: our own inputs, with the behaviour of JoinKind.LeftSemi (6)
// and JoinKind.RightSemi (7) as the function reference describes it.

const (
	semiLeft  = `#table({"K", "A"}, {{1, "a"}, {2, "b"}, {1, "c"}, {null, "n"}, {3, "d"}})`
	semiRight = `#table({"K2", "B"}, {{1, "x"}, {1, "y"}, {4, "z"}, {null, "m"}, {2, "w"}})`
)

func TestSemiJoin(t *testing.T) {
	runCases(t, []evalCase{
		{src: `{JoinKind.LeftSemi, JoinKind.RightSemi}`, want: `{6, 7}`},
		// Each matching left row once, in left order, however many right
		// rows match it; null keys match null keys.
		{src: `Table.Join(` + semiLeft + `, "K", ` + semiRight + `, "K2", JoinKind.LeftSemi)`,
			want: `#table(type table [K = any, A = any, K2 = any, B = any], {{1, "a", null, null}, {2, "b", null, null}, {1, "c", null, null}, {null, "n", null, null}})`},
		{src: `Table.Join(` + semiLeft + `, "K", ` + semiRight + `, "K2", 6)`,
			want: `#table(type table [K = any, A = any, K2 = any, B = any], {{1, "a", null, null}, {2, "b", null, null}, {1, "c", null, null}, {null, "n", null, null}})`},
		// The right semi join keeps right rows in right order.
		{src: `Table.Join(` + semiLeft + `, "K", ` + semiRight + `, "K2", JoinKind.RightSemi)`,
			want: `#table(type table [K = any, A = any, K2 = any, B = any], {{null, null, 1, "x"}, {null, null, 1, "y"}, {null, null, null, "m"}, {null, null, 2, "w"}})`},
		// Composite keys: both columns must be equal.
		{src: `Table.Join(#table({"P", "Q", "V"}, {{1, "a", 10}, {1, "b", 11}, {2, "a", 12}}), {"P", "Q"}, #table({"X", "Y"}, {{1, "b"}, {2, "a"}, {2, "a"}, {3, "a"}}), {"X", "Y"}, JoinKind.LeftSemi)`,
			want: `#table(type table [P = any, Q = any, V = any, X = any, Y = any], {{1, "b", 11, null, null}, {2, "a", 12, null, null}})`},
		{src: `Table.Join(#table({"P", "Q", "V"}, {{1, "a", 10}, {1, "b", 11}, {2, "a", 12}}), {"P", "Q"}, #table({"X", "Y"}, {{1, "b"}, {2, "a"}, {2, "a"}, {3, "a"}}), {"X", "Y"}, JoinKind.RightSemi)`,
			want: `#table(type table [P = any, Q = any, V = any, X = any, Y = any], {{null, null, null, 1, "b"}, {null, null, null, 2, "a"}, {null, null, null, 2, "a"}})`},
		// Numbers compare by value (1 = 1.0); text is case-sensitive.
		{src: `Table.RowCount(Table.Join(#table({"K"}, {{1}, {"a"}}), "K", #table({"J"}, {{1.0}, {"A"}}), "J", JoinKind.LeftSemi))`, want: `1`},
		{src: `Table.RowCount(Table.Join(#table({"K"}, {{1}}), "K", #table({"J"}, {}), "J", JoinKind.LeftSemi))`, want: `0`},
		{src: `Table.Join(#table({"K"}, {{1}}), "K", #table({"K"}, {{1}}), "K", JoinKind.LeftSemi)`, reason: "Expression.Error", msg: "duplicate column names"},
		{src: `Table.Join(#table({"K"}, {{1}}), "Z", #table({"J"}, {{1}}), "J", JoinKind.LeftSemi)`, reason: "Expression.Error", msg: "The column 'Z' of the table wasn't found."},
		{src: `Table.Join(#table({"K", "L"}, {{1, 2}}), {"K", "L"}, #table({"J"}, {{1}}), {"J"}, JoinKind.RightSemi)`, reason: "Expression.Error", msg: "The number of keys in the tables doesn't match."},
		// Cells other than the keys stay lazy: an erroring cell fails only
		// when it is read.
		{src: `Table.RowCount(Table.Join(Table.AddColumn(#table({"K"}, {{1}, {2}}), "E", each error "lazy"), "K", #table({"J"}, {{2}}), "J", JoinKind.LeftSemi))`, want: `1`},
		{src: `try Table.Join(Table.AddColumn(#table({"K"}, {{1}}), "E", each error "lazy"), "K", #table({"J"}, {{1}}), "J", JoinKind.LeftSemi){0}[E] otherwise "deferred"`, want: `"deferred"`},
	})
}

func TestNestedSemiJoin(t *testing.T) {
	runCases(t, []evalCase{
		// The left semi join keeps matching left rows with an empty table.
		{src: `Table.NestedJoin(` + semiLeft + `, "K", ` + semiRight + `, "K2", "N", JoinKind.LeftSemi)`,
			want: `#table(type table [K = any, A = any, N = table [K2 = any, B = any]], {` +
				`{1, "a", #table(type table [K2 = any, B = any], {})}, {2, "b", #table(type table [K2 = any, B = any], {})}, ` +
				`{1, "c", #table(type table [K2 = any, B = any], {})}, {null, "n", #table(type table [K2 = any, B = any], {})}})`},
		// The right semi join keeps matching right rows, one per row.
		{src: `Table.NestedJoin(` + semiLeft + `, "K", ` + semiRight + `, "K2", "N", JoinKind.RightSemi)`,
			want: `#table(type table [K = any, A = any, N = table [K2 = any, B = any]], {` +
				`{null, null, #table(type table [K2 = any, B = any], {{1, "x"}})}, {null, null, #table(type table [K2 = any, B = any], {{1, "y"}})}, ` +
				`{null, null, #table(type table [K2 = any, B = any], {{null, "m"}})}, {null, null, #table(type table [K2 = any, B = any], {{2, "w"}})}})`},
		{src: `Table.ExpandTableColumn(Table.NestedJoin(#table({"P", "Q"}, {{1, "a"}, {1, "b"}, {2, "b"}}), {"P", "Q"}, #table({"X", "Y", "V"}, {{1, "b", 7}, {2, "b", 8}, {2, "b", 9}}), {"X", "Y"}, "N", JoinKind.RightSemi), "N", {"V"})`,
			want: `#table(type table [P = any, Q = any, V = any], {{null, null, 7}, {null, null, 8}, {null, null, 9}})`},
		{src: `Table.ColumnNames(Table.NestedJoin(#table({"P", "Q"}, {{1, "a"}}), {"P", "Q"}, #table({"X", "Y"}, {{1, "a"}}), {"X", "Y"}, "N", JoinKind.LeftSemi))`,
			want: `{"P", "Q", "N"}`},
		{src: `Table.NestedJoin(#table({"K"}, {{1}}), "K", #table({"J"}, {{1}}), "J", "K", JoinKind.LeftSemi)`, reason: "Expression.Error", msg: "The field 'K' already exists in the record."},
		// Keys of the left table survive a left semi join.
		{src: `Table.Keys(Table.NestedJoin(Table.AddKey(#table({"K"}, {{1}}), {"K"}, true), "K", #table({"J"}, {{1}}), "J", "N", JoinKind.LeftSemi))`,
			want: `{[Columns = {"K"}, Primary = true]}`},
	})
}

// BenchmarkSemiJoin: a left semi join of 10,000 rows against 10,000 rows
// on a two-column key (half of them match). Target: ≤ 50 ms.
func BenchmarkSemiJoin(b *testing.B) {
	th := NewThread(nil, nil)
	src := `let
		l = Table.FromRecords(List.Transform(List.Numbers(0, 10000), each [K = _, T = Text.From(Number.Mod(_, 7)), V = _ * 2])),
		r = Table.FromRecords(List.Transform(List.Numbers(0, 10000, 2), each [K2 = _, T2 = Text.From(Number.Mod(_, 7))]))
	in {l, r}`
	v, err := th.EvalSource("bench.pq", []byte(src))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		b.Fatal(err)
	}
	tables, _ := v.(*List).Values(th)
	join := library["Table.Join"].(*Function)
	b.ReportAllocs()
	for b.Loop() {
		out, err := Call(th, join, []Value{tables[0], NewList(Str("K"), Str("T")), tables[1], NewList(Str("K2"), Str("T2")), Num(joinLeftSemi)})
		if err != nil {
			b.Fatal(err)
		}
		if n := out.(*Table).RowCount(); n != 5000 {
			b.Fatalf("%d rows, want 5000", n)
		}
	}
}
