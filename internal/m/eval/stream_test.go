package eval

import (
	"errors"
	"fmt"
	"strings"
	"testing"
)

// TestStreamSemantics checks streamed lists and tables from their results:
// infinite generators prove that nothing past what is read is produced, and
// an error planted after the last item read proves the same for finite ones.
func TestStreamSemantics(t *testing.T) {
	const nat = `List.Generate(() => 0, each true, each _ + 1)`
	// Reading item 3 or beyond fails: next(2) raises.
	const fuse = `List.Generate(() => 0, each true, each if _ = 2 then error "read too far" else _ + 1)`
	const pages = `List.Generate(() => 0, each true, each _ + 1, (p) => {[A = p * 2, B = "x"], [A = p * 2 + 1, B = "y"]})`
	runCases(t, []evalCase{
		{src: `List.FirstN(` + nat + `, 4)`, want: `{0, 1, 2, 3}`},
		{src: `List.FirstN(` + nat + `, each _ < 3)`, want: `{0, 1, 2}`},
		{src: `List.First(List.Skip(` + nat + `, 1000))`, want: `1000`},
		{src: `List.Range(` + nat + `, 10, 2)`, want: `{10, 11}`},
		{src: `List.Range(` + nat + `, 0, 2)`, want: `{0, 1}`},
		{src: `List.Range(List.Generate(() => 0, each _ < 3, each _ + 1), 3)`, want: `{}`},
		{src: `List.Range(List.Generate(() => 0, each _ < 3, each _ + 1), 4)`, reason: "Expression.Error", msg: "argument"},
		{src: nat + `{7}`, want: `7`},
		{src: `List.IsEmpty(` + nat + `)`, want: `false`},
		{src: `List.IsEmpty(List.Generate(() => 0, each false, each _))`, want: `true`},
		{src: `List.First(List.Generate(() => 0, each false, each _), "none")`, want: `"none"`},
		{src: `List.FirstN(List.Transform(` + nat + `, each _ * _), 4)`, want: `{0, 1, 4, 9}`},
		{src: `List.FirstN(List.Select(` + nat + `, each Number.Mod(_, 5) = 0), 3)`, want: `{0, 5, 10}`},
		{src: `List.FirstN(List.Combine({{"a"}, ` + nat + `}), 3)`, want: `{"a", 0, 1}`},
		{src: `List.FirstN({"a"} & ` + nat + `, 2)`, want: `{"a", 0}`},
		{src: `List.FirstN(` + fuse + `, 3)`, want: `{0, 1, 2}`},
		{src: fuse + `{2}`, want: `2`},
		{src: fuse + `{3}`, reason: "Expression.Error", msg: "read too far"},
		{src: `List.Count(` + fuse + `)`, reason: "Expression.Error", msg: "read too far"},
		{src: `(try List.Count(` + fuse + `))[Error][Message]`, want: `"read too far"`},
		{src: `List.Generate(() => 0, each _ < 3, each _ + 1, each _ * 10)`, want: `{0, 10, 20}`},
		{src: `List.Generate(() => 0, each "yes", each _ + 1){0}`, reason: "Expression.Error", msg: "Logical"},
		{src: `List.Generate(() => 1, each _ < 3, each _ + 1) = {1, 2}`, want: `true`},
		{src: `List.Generate(() => 1, each _ < 3, each _ + 1) = {1, 2, 3}`, want: `false`},
		{src: `List.Combine({{1}, List.Generate(() => 0, each true, each _)}){0}`, want: `1`},
		{src: `List.Combine(List.Generate(() => 0, each _ < 3, each _ + 1, each 1)){1}`, reason: "Expression.Error", msg: "List"},
		// Tables built from streams stay streamed through row-wise shaping.
		{src: `Table.FirstN(Table.FromRecords(List.Combine(` + pages + `)), 3)`,
			want: `#table(type table [A = any, B = any], {{0, "x"}, {1, "y"}, {2, "x"}})`},
		{src: `Table.FirstN(Table.FromRows(List.Transform(` + nat + `, each {_, -_}), {"P", "N"}), 2)`,
			want: `#table(type table [P = any, N = any], {{0, 0}, {1, -1}})`},
		{src: `Table.First(Table.SelectRows(Table.AddColumn(Table.FromRecords(List.Combine(` + pages + `)), "C", each [A] * 10), each [C] > 50))`,
			want: `[A = 6, B = "x", C = 60]`},
		{src: `Table.FirstN(Table.TransformColumnTypes(Table.FromRows(List.Transform(` + nat + `, each {Text.From(_)}), {"T"}), {{"T", type number}}), 2)`,
			want: `#table(type table [T = number], {{0}, {1}})`},
		{src: `Table.FirstN(Table.ExpandRecordColumn(Table.FromRows(List.Transform(` + nat + `, each {[x = _, y = 1]}), {"R"}), "R", {"x"}, {"R.x"}), 2)`,
			want: `#table(type table [R.x = any], {{0}, {1}})`},
		{src: `Table.FirstN(Table.RenameColumns(Table.RemoveColumns(Table.FromRecords(List.Combine(` + pages + `)), "B"), {"A", "Z"}), 2)`,
			want: `#table(type table [Z = any], {{0}, {1}})`},
		{src: `Table.FirstN(Table.FromRecords(List.Combine(` + pages + `)) & #table({"A"}, {{-1}}), 1)`,
			want: `#table(type table [A = any, B = any], {{0, "x"}})`},
		{src: `Table.FromRecords(List.Combine(` + pages + `)){5}`, want: `[A = 5, B = "y"]`},
		{src: `List.FirstN(Table.FromRecords(List.Combine(` + pages + `))[B], 3)`, want: `{"x", "y", "x"}`},
		{src: `Table.ColumnNames(Table.FromRecords(List.Combine(` + pages + `), type table [A = number, B = text]))`, want: `{"A", "B"}`},
		{src: `Table.IsEmpty(Table.Skip(Table.FromRows(List.Transform(` + nat + `, each {_})), 500))`, want: `false`},
		{src: `Table.RowCount(Table.FromRows(List.Generate(() => 0, each _ < 5, each _ + 1, each {_})))`, want: `5`},
		{src: `Table.FromRows(List.Generate(() => 0, each _ < 3, each _ + 1, each {_, _})){2}`, want: `[Column1 = 2, Column2 = 2]`},
		{src: `Table.RowCount(Table.FromRows(List.Generate(() => 0, each _ < 3, each _ + 1, each {_, _})))`, want: `3`},
		{src: `Table.FromRows(List.Generate(() => 0, each _ < 3, each _ + 1, each if _ = 2 then {1} else {_, _}), {"a", "b"}){1}`, want: `[a = 1, b = 1]`},
		{src: `Table.RowCount(Table.FromRows(List.Generate(() => 0, each _ < 3, each _ + 1, each if _ = 2 then {1} else {_, _}), {"a", "b"}))`,
			reason: "Expression.Error", msg: "2 keys were specified, but 1 values were provided."},
		// A Table.GenerateByPage-style helper: pages as nested tables,
		// expanded, with the first page's type.
		{src: `let
                gen = List.Generate(() => #table({"K"}, {{0}, {1}}), each _ <> null, each let k = List.Max(_[K]) in #table({"K"}, {{k + 1}, {k + 2}})),
                tableOfPages = Table.FromList(gen, Splitter.SplitByNothing(), {"Column1"}),
                firstRow = tableOfPages{0}?,
                all = Value.ReplaceType(Table.ExpandTableColumn(tableOfPages, "Column1", Table.ColumnNames(firstRow[Column1])), Value.Type(firstRow[Column1]))
            in
                Table.FirstN(all, 5)`,
			want: `#table(type table [K = any], {{0}, {1}, {2}, {3}, {4}})`},
		{src: `List.Accumulate({1, 2}, Table.FromRows(List.Transform(` + nat + `, each {_}), {"n"}), (t, k) => Table.Skip(t, k)){0}`,
			want: `[n = 3]`},
	})
}

// countingThread returns a thread whose Text.NewGuid counts its calls, so a
// test can count how often an M function runs.
func countingThread(n *int) *Thread {
	th := NewThread(nil, testHost())
	th.Host.NewGuid = func() string { *n++; return "g" }
	return th
}

// TestStreamPulls counts the calls of List.Generate's next function: a
// reader gets exactly the items it asks for, and a streamed list read twice
// runs its source once.
func TestStreamPulls(t *testing.T) {
	// tick is 0 and counts one next call.
	const gen = `List.Generate(() => 0, each true, each _ + 1 + 0 * Text.Length(Text.NewGuid()))`
	for _, tc := range []struct {
		src  string
		next int
	}{
		{`List.FirstN(` + gen + `, 1)`, 0},
		{`List.FirstN(` + gen + `, 3)`, 2},
		{`let l = ` + gen + ` in {l{4}, l{2}, List.FirstN(l, 5)}`, 4},
		{`List.FirstN(List.Transform(` + gen + `, each _ + 1), 10)`, 9},
		{`Table.FirstN(Table.FromRows(List.Transform(` + gen + `, each {_}), {"n"}), 10)`, 9},
		{`Table.FirstN(Table.TransformColumns(Table.FromRows(List.Transform(` + gen + `, each {_}), {"n"}), {"n", each _ * 2}), 2)`, 1},
		{`List.Count(List.FirstN(` + gen + `, 100))`, 99},
	} {
		n := 0
		th := countingThread(&n)
		v, err := th.EvalSource("pulls.pq", []byte(tc.src))
		if err == nil {
			err = th.DeepForce(v)
		}
		if err != nil {
			t.Errorf("%s: %v", tc.src, err)
			continue
		}
		if n != tc.next {
			t.Errorf("%s: next ran %d times, want %d", tc.src, n, tc.next)
		}
	}
}

// TestStreamBounds checks that reading an endless stream to its end stops
// at the list-size bound with a fatal error instead of running forever,
// and that a stream whose source reads the stream itself is a cycle.
func TestStreamBounds(t *testing.T) {
	th := NewThread(nil, testHost())
	th.Limits.MaxListLen = 10_000
	for _, src := range []string{
		`List.Count(List.Generate(() => 0, each true, each _ + 1))`,
		`Table.RowCount(Table.FromRows(List.Transform(List.Generate(() => 0, each true, each _ + 1), each {_})))`,
		`List.Generate(() => 0, each true, each _ + 1) = {}`,
	} {
		_, err := th.EvalSource("bounds.pq", []byte(src))
		if err == nil || !strings.Contains(err.Error(), "maximum list size") {
			t.Errorf("%s: got %v, want the list-size bound", src, err)
		}
		if me := (*Error)(nil); !errors.As(err, &me) || !me.Fatal {
			t.Errorf("%s: the bound must be fatal (not catchable by try): %v", src, err)
		}
	}
	_, err := th.EvalSource("cycle.pq", []byte(`let l = List.Generate(() => 0, each _ < List.Count(@l), each _ + 1) in List.Count(l)`))
	if err == nil || !strings.Contains(err.Error(), "cyclic reference") {
		t.Errorf("self-reading stream: got %v, want a cyclic reference error", err)
	}
}

// TestStreamSettle checks the fallback for readers without a thread (Go
// callers of Len and RowCount): the stream is read to its end, and an
// enumeration error becomes a last item that fails when forced.
func TestStreamSettle(t *testing.T) {
	th := NewThread(nil, testHost())
	v, err := th.EvalSource("settle.pq", []byte(`List.Generate(() => 0, each _ < 3, each if _ = 1 then error "late" else _ + 1)`))
	if err != nil {
		t.Fatal(err)
	}
	l := v.(*List)
	if !l.Streamed() {
		t.Fatal("List.Generate did not stream")
	}
	if n := l.Len(); n != 3 {
		t.Fatalf("Len = %d, want 2 items and the failing one", n)
	}
	if x, err := l.At(th, 1); err != nil || Serialize(th, x) != "1" {
		t.Errorf("item 1: %v, %v", x, err)
	}
	if _, err := l.At(th, 2); err == nil || !strings.Contains(err.Error(), "late") {
		t.Errorf("last item: %v, want the enumeration error", err)
	}
	v, err = th.EvalSource("settle.pq", []byte(`Table.FromRows(List.Generate(() => 0, each _ < 4, each _ + 1, each {_}), {"n"})`))
	if err != nil {
		t.Fatal(err)
	}
	tb := v.(*Table)
	if !tb.Streamed() || tb.RowCount() != 4 || tb.Streamed() {
		t.Errorf("table: streamed before, %d rows, settled after", tb.RowCount())
	}
}

// FuzzStreamEquivalence is a differential test: a pipeline of list and
// table functions over a List.Generate stream must give what it gives over
// the same items materialised first (List.Buffer), value for value and
// error for error.
func FuzzStreamEquivalence(f *testing.F) {
	f.Add(uint8(10), []byte{0, 3, 5, 9})
	f.Add(uint8(0), []byte{1, 2, 12})
	f.Add(uint8(25), []byte{8, 10, 11, 13, 14, 15})
	f.Add(uint8(7), []byte{6, 7, 9, 16, 17})
	listOps := []func(x string, n int) string{
		func(x string, n int) string { return fmt.Sprintf("List.FirstN(%s, %d)", x, n) },
		func(x string, n int) string { return fmt.Sprintf("List.Skip(%s, %d)", x, n) },
		func(x string, n int) string { return fmt.Sprintf("List.Transform(%s, each _ * 2 + %d)", x, n) },
		func(x string, n int) string {
			return fmt.Sprintf("List.Select(%s, each Number.Mod(_, %d) <> 0)", x, n%4+2)
		},
		func(x string, n int) string { return fmt.Sprintf("List.Combine({%s, {%d}})", x, n) },
		func(x string, n int) string { return fmt.Sprintf("(%s & {%d})", x, n) },
		func(x string, n int) string { return fmt.Sprintf("List.Range(%s, %d)", x, n%5) },
		func(x string, n int) string { return fmt.Sprintf("List.FirstN(%s, each _ < %d)", x, n) },
	}
	tableOps := []func(x string, n int) string{
		func(x string, n int) string { return fmt.Sprintf("Table.FirstN(%s, %d)", x, n) },
		func(x string, n int) string { return fmt.Sprintf("Table.Skip(%s, %d)", x, n) },
		func(x string, n int) string {
			return fmt.Sprintf("Table.SelectRows(%s, each Number.Mod([A], %d) <> 0)", x, n%3+2)
		},
		func(x string, n int) string {
			return fmt.Sprintf(`Table.TransformColumns(%s, {"A", each _ + %d, type number})`, x, n)
		},
		func(x string, n int) string { return fmt.Sprintf(`Table.AddColumn(%s, "C%d", each [A] * 3)`, x, n) },
		func(x string, n int) string {
			return fmt.Sprintf(`Table.RemoveColumns(%s, {"B"}, MissingField.Ignore)`, x)
		},
		func(x string, n int) string { return fmt.Sprintf(`Table.Range(%s, %d, %d)`, x, n%4, n%7) },
		func(x string, n int) string { return fmt.Sprintf(`(%s & #table({"A"}, {{%d}}))`, x, n) },
		func(x string, n int) string { return fmt.Sprintf(`Table.FromRecords(Table.ToRecords(%s))`, x) },
	}
	build := func(src string, ops []byte) string {
		x, table := src, false
		for i, op := range ops {
			n := int(op>>4) + i
			k := int(op & 0x0f)
			switch {
			case !table && k < len(listOps):
				x = listOps[k](x, n)
			case !table:
				x = fmt.Sprintf(`Table.FromRows(List.Transform(%s, each {_, Text.From(_)}), {"A", "B"})`, x)
				table = true
			default:
				x = tableOps[k%len(tableOps)](x, n)
			}
		}
		return x
	}
	run := func(src string) string {
		th := NewThread(nil, testHost())
		th.Limits = Limits{MaxDepth: 500, MaxSteps: 1_000_000, MaxListLen: 100_000}
		v, err := th.EvalSource("eq.pq", []byte(src))
		if err == nil {
			err = th.DeepForce(v)
		}
		if err != nil {
			return "error: " + err.Error()
		}
		return Serialize(th, v)
	}
	f.Fuzz(func(t *testing.T, n uint8, ops []byte) {
		if len(ops) > 12 {
			ops = ops[:12]
		}
		gen := fmt.Sprintf("List.Generate(() => 0, each _ < %d, each _ + 1)", n%40)
		streamed, buffered := build(gen, ops), build("List.Buffer("+gen+")", ops)
		if a, b := run(streamed), run(buffered); a != b {
			t.Fatalf("%s\n\tstreamed: %s\n\tbuffered: %s", streamed, a, b)
		}
	})
}
