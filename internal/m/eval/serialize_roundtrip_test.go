package eval

import (
	"math"
	"math/rand/v2"
	"strings"
	"testing"
	"time"
)

// valueGen builds random M values from a byte stream, so the same
// generator serves the seeded property test and the fuzzer.
type valueGen struct {
	data   []byte
	pos    int
	rng    *rand.Rand // when set, used instead of data
	hasNaN bool
}

func (g *valueGen) n(k int) int {
	if k <= 1 {
		return 0
	}
	if g.rng != nil {
		return g.rng.IntN(k)
	}
	if g.pos >= len(g.data) {
		return 0
	}
	b := int(g.data[g.pos])
	g.pos++
	return b % k
}

func (g *valueGen) u64() uint64 {
	var v uint64
	for i := 0; i < 8; i++ {
		v = v<<8 | uint64(g.n(256))
	}
	return v
}

var genNames = []string{"A", "b", "Name", "with space", "quote\"d", "#x", "a.b", "", "Ünï", "if", "Column1"}

func (g *valueGen) text() string {
	pieces := []string{"a", "Z", " ", "\"", "\n", "\t", "#(", ")", "é", "😀", "\\", "\r\n", "0", "\x01"}
	var b strings.Builder
	for i, k := 0, g.n(6); i < k; i++ {
		b.WriteString(pieces[g.n(len(pieces))])
	}
	return b.String()
}

func (g *valueGen) number() float64 {
	switch g.n(8) {
	case 0:
		return float64(g.n(1000)) - 500
	case 1:
		return float64(g.n(100000)) / 1000
	case 2:
		return math.Inf(1 - 2*g.n(2))
	case 3:
		g.hasNaN = true
		return math.NaN()
	case 4:
		return float64(g.n(1000)) * math.Pow(10, float64(g.n(40)-20))
	default:
		f := math.Float64frombits(g.u64())
		if math.IsNaN(f) || math.IsInf(f, 0) {
			return 0.5
		}
		return f
	}
}

func (g *valueGen) scalar() Value {
	tick := func(max int64) time.Duration { return time.Duration(int64(g.u64()%uint64(max))) * 100 }
	day := 24 * time.Hour
	base := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	days := int(g.u64() % 3652058) // 0001-01-01 .. 9999-12-31
	switch g.n(11) {
	case 0:
		return NullValue
	case 1:
		return Bool(g.n(2) == 1)
	case 2:
		return Num(g.number())
	case 3, 4:
		return Str(g.text())
	case 5:
		return Date{T: base.AddDate(0, 0, days)}
	case 6:
		return DateTime{T: base.AddDate(0, 0, days).Add(tick(int64(day / 100)))}
	case 7:
		off := (g.n(57) - 28) * 30 * 60 // -14:00 .. +14:00 in half hours
		t := base.AddDate(0, 0, days).Add(tick(int64(day / 100)))
		return DateTimeZone{T: time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.FixedZone("", off))}
	case 8:
		return Time{D: tick(int64(day / 100))}
	case 9:
		d := tick(int64(3650 * day / 100))
		if g.n(2) == 1 {
			d = -d
		}
		return Duration{D: d}
	default:
		b := make([]byte, g.n(6))
		for i := range b {
			b[i] = byte(g.n(256))
		}
		return Bytes(b)
	}
}

func (g *valueGen) typ(depth int) *Type {
	prims := []Base{BaseAny, Base(KindNumber), Base(KindText), Base(KindDate), Base(KindDateTime), Base(KindLogical), Base(KindBinary), Base(KindDuration)}
	var t *Type
	switch k := g.n(6); {
	case depth > 2 || k < 3:
		t = Prim(prims[g.n(len(prims))])
		if g.n(5) == 0 {
			t = Prim(Base(KindNumber)).Named("Int64.Type")
		}
	case k == 3:
		t = ListType(g.typ(depth + 1))
	case k == 4:
		t = RecordType(g.n(2) == 1, g.fields(depth)...)
	default:
		t = TableType(g.fields(depth)...)
		t.Keys = g.keys(t.Fields)
	}
	if g.n(4) == 0 {
		t = t.AsNullable()
	}
	if g.n(6) == 0 {
		t = t.WithMeta(g.meta(depth)).(*Type)
	}
	return t
}

// keys returns up to two keys over some of cols, at most one primary.
func (g *valueGen) keys(cols []TypeField) []TableKey {
	if len(cols) == 0 {
		return nil
	}
	var keys []TableKey
	primary := false
	for i, k := 0, g.n(3); i < k; i++ {
		var names []string
		for _, c := range cols {
			if g.n(2) == 0 {
				names = append(names, c.Name)
			}
		}
		if len(names) == 0 {
			names = []string{cols[g.n(len(cols))].Name}
		}
		p := !primary && g.n(2) == 0
		primary = primary || p
		keys = append(keys, TableKey{Columns: names, Primary: p})
	}
	return keys
}

// meta returns a non-empty metadata record, as connectors attach them:
// paging links, documentation texts, nested records.
func (g *valueGen) meta(depth int) *Record {
	names := []string{"NextLink", "Documentation.Name", "a", "with space", "Nested"}
	var fs []Field
	seen := map[string]bool{}
	for i, k := 0, 1+g.n(3); i < k; i++ {
		n := names[g.n(len(names))]
		if seen[n] {
			continue
		}
		seen[n] = true
		var v Value
		if n == "Nested" && depth < 3 {
			v = g.value(depth + 1)
		} else {
			v = g.scalar()
		}
		fs = append(fs, Field{n, v})
	}
	return NewRecord(fs...)
}

func (g *valueGen) fields(depth int) []TypeField {
	var out []TypeField
	seen := map[string]bool{}
	for i, k := 0, g.n(4); i < k; i++ {
		n := genNames[g.n(len(genNames))]
		if seen[n] {
			continue
		}
		seen[n] = true
		out = append(out, TypeField{Name: n, Type: g.typ(depth + 1), Optional: g.n(4) == 0})
	}
	return out
}

func (g *valueGen) value(depth int) Value {
	v := g.bareValue(depth)
	if g.n(8) == 0 {
		v = v.WithMeta(g.meta(depth + 1))
	}
	return v
}

func (g *valueGen) bareValue(depth int) Value {
	if depth > 3 {
		return g.scalar()
	}
	switch g.n(10) {
	case 0:
		items := make([]Value, g.n(4))
		for i := range items {
			items[i] = g.value(depth + 1)
		}
		return NewList(items...)
	case 1:
		var fs []Field
		seen := map[string]bool{}
		for i, k := 0, g.n(4); i < k; i++ {
			n := genNames[g.n(len(genNames))]
			if !seen[n] {
				seen[n] = true
				fs = append(fs, Field{n, g.value(depth + 1)})
			}
		}
		return NewRecord(fs...)
	case 2:
		cols := g.fields(depth)
		for i := range cols {
			cols[i].Optional = false
			cols[i].Type = Prim(BaseAny)
			if g.n(2) == 0 {
				cols[i].Type = Prim(Base(KindText)).AsNullable()
			}
		}
		rows := make([][]Value, g.n(4))
		for i := range rows {
			rows[i] = make([]Value, len(cols))
			for j := range rows[i] {
				if cols[j].Type.Base == Base(KindText) {
					rows[i][j] = Str(g.text())
				} else {
					rows[i][j] = g.value(depth + 1)
				}
			}
		}
		typ := TableType(cols...)
		typ.Keys = g.keys(cols)
		return NewTable(typ, rows)
	case 3:
		return g.typ(0)
	default:
		return g.scalar()
	}
}

// roundTrip checks value → text → parse → evaluate, for Serialize and for
// SerializeWith with metadata: the text evaluates to a value that
// serialises to the same text (so table keys, and with metadata every
// metadata record, survive) and (NaN aside) is equal.
func roundTrip(t *testing.T, v Value, hasNaN bool) {
	t.Helper()
	for _, opt := range []SerializeOptions{{}, {Metadata: true}} {
		th := NewThread(nil, nil)
		text := SerializeWith(th, v, opt)
		back, err := th.EvalSource("roundtrip.pq", []byte(text))
		if err == nil {
			err = th.DeepForce(back)
		}
		if err != nil {
			t.Fatalf("serialization (%+v) does not evaluate: %v\n%s", opt, err, text)
		}
		if again := SerializeWith(th, back, opt); again != text {
			t.Fatalf("re-serialization (%+v) differs:\n%s\n%s", opt, text, again)
		}
		if !opt.Metadata && back.Meta() != nil {
			t.Fatalf("metadata written without Metadata:\n%s", text)
		}
		if opt.Metadata && !sameMeta(th, v, back) {
			t.Fatalf("metadata lost:\n%s", text)
		}
		if tv, ok := v.(*Table); ok && !sameKeys(tv.Type().Keys, back.(*Table).Type().Keys) {
			t.Fatalf("table keys lost:\n%s", text)
		}
		if hasNaN {
			continue
		}
		eq, err := Equal(th, v, back)
		if err != nil || !eq {
			t.Fatalf("round trip not equal (%v):\n%s", err, text)
		}
		if tv, ok := v.(*Table); ok && !equalType(tv.Type(), back.(*Table).Type()) {
			t.Fatalf("table type lost:\n%s", text)
		}
	}
}

func sameKeys(a, b []TableKey) bool {
	if len(a) != len(b) {
		return false
	}
	for i := range a {
		if a[i].Primary != b[i].Primary || strings.Join(a[i].Columns, "\x00") != strings.Join(b[i].Columns, "\x00") {
			return false
		}
	}
	return true
}

// sameMeta compares the top-level metadata of two values by their
// serialization (Equal would ignore metadata nested inside them).
func sameMeta(th *Thread, a, b Value) bool {
	ma, mb := a.Meta(), b.Meta()
	if (ma == nil) != (mb == nil) {
		return false
	}
	opt := SerializeOptions{Metadata: true}
	return ma == nil || SerializeWith(th, ma, opt) == SerializeWith(th, mb, opt)
}

func TestSerializeRoundTrip(t *testing.T) {
	for seed := uint64(0); seed < 2000; seed++ {
		g := &valueGen{rng: rand.New(rand.NewPCG(seed, 7))}
		v := g.value(0)
		roundTrip(t, v, g.hasNaN)
	}
}

func TestSerializeForms(t *testing.T) {
	cases := []struct {
		v    Value
		want string
	}{
		{NewTable(TableType(TypeField{Name: "A", Type: Prim(Base(KindNumber))}, TypeField{Name: "B", Type: Prim(Base(KindText))}), [][]Value{{Num(1), Str("x")}}),
			`#table(type table [A = number, B = text], {{1, "x"}})`},
		{DateTime{T: time.Date(2014, 1, 1, 16, 0, 0, 123450000, time.UTC)}, `#datetime(2014, 1, 1, 16, 0, 0.12345)`},
		{Bytes([]byte("hi")), `#binary("aGk=")`},
		{NewRecord(Field{"a b", Num(-1.5)}, Field{"c", NewList(Str("q\""), NullValue)}), `[#"a b" = -1.5, c = {"q""", null}]`},
		{Num(math.Inf(-1)), `-#infinity`},
		{Duration{D: -(26*time.Hour + 30*time.Second)}, `-#duration(1, 2, 0, 30)`},
	}
	for _, c := range cases {
		if got := Serialize(NewThread(nil, nil), c.v); got != c.want {
			t.Errorf("got  %s\nwant %s", got, c.want)
		}
		roundTrip(t, c.v, false)
	}
}

func FuzzSerializeRoundTrip(f *testing.F) {
	f.Add([]byte{0, 1, 2, 3})
	f.Add([]byte{2, 5, 3, 1, 9, 200, 17, 4, 4, 4, 4})
	f.Add([]byte("table of things \x02\x03\x02\x02"))
	f.Fuzz(func(t *testing.T, data []byte) {
		g := &valueGen{data: data}
		v := g.value(0)
		roundTrip(t, v, g.hasNaN)
	})
}

// TestSerializeKeysAndMetadata pins the written forms: keys as
// Type.AddTableKey calls (always), metadata as `(value) meta [...]` (only
// with SerializeOptions.Metadata).
func TestSerializeKeysAndMetadata(t *testing.T) {
	cases := []struct {
		src, plain, meta string
	}{
		{src: `Table.AddKey(#table(type table [A = number, B = text], {{1, "x"}}), {"A"}, true)`,
			plain: `#table(Type.AddTableKey(type table [A = number, B = text], {"A"}, true), {{1, "x"}})`},
		{src: `Table.AddKey(Table.AddKey(#table({"A", "B"}, {}), {"A"}, true), {"A", "B"}, false)`,
			plain: `#table(Type.AddTableKey(Type.AddTableKey(type table [A = any, B = any], {"A"}, true), {"A", "B"}, false), {})`},
		{src: `Type.AddTableKey(type table [#"a b" = text], {"a b"}, false)`,
			plain: `Type.AddTableKey(type table [#"a b" = text], {"a b"}, false)`},
		// In type position the key call is parenthesised.
		{src: `type [T = Type.AddTableKey(type table [X = text], {"X"}, true), L = {Type.AddTableKey(type table [Y = any], {"Y"}, false)}]`,
			plain: `type [T = (Type.AddTableKey(type table [X = text], {"X"}, true)), L = {(Type.AddTableKey(type table [Y = any], {"Y"}, false))}]`},
		{src: `{1 meta [NextLink = "p2"], "a"}`, plain: `{1, "a"}`, meta: `{(1) meta [NextLink = "p2"], "a"}`},
		{src: `[A = {} meta [n = 1]] meta [Documentation.Name = "D"]`, plain: `[A = {}]`,
			meta: `([A = ({}) meta [n = 1]]) meta [Documentation.Name = "D"]`},
		{src: `(1 meta [a = 1]) meta [b = 2 meta [c = 3]]`, plain: `1`, meta: `(1) meta [a = 1, b = (2) meta [c = 3]]`},
		// A navigation table: keys on the type, metadata on the type.
		{src: `Value.ReplaceType(#table({"Name", "Data"}, {{"a", 1}}), Type.AddTableKey(type table [Name = text, Data = any], {"Name"}, true) meta [NavigationTable.NameColumn = "Name"])`,
			plain: `#table(Type.AddTableKey(type table [Name = text, Data = any], {"Name"}, true), {{"a", 1}})`,
			meta:  `#table((Type.AddTableKey(type table [Name = text, Data = any], {"Name"}, true)) meta [NavigationTable.NameColumn = "Name"], {{"a", 1}})`},
		{src: `type {(type text meta [x = 1])}`, plain: `type {text}`, meta: `type {((type text) meta [x = 1])}`},
		{src: `Value.ReplaceMetadata(#table({"A"}, {{1}}), [m = 1])`, plain: `#table(type table [A = any], {{1}})`,
			meta: `(#table(type table [A = any], {{1}})) meta [m = 1]`},
	}
	for _, c := range cases {
		th := NewThread(nil, testHost())
		v, err := th.EvalSource("keys.pq", []byte(c.src))
		if err == nil {
			err = th.DeepForce(v)
		}
		if err != nil {
			t.Fatalf("%s: %v", c.src, err)
		}
		if c.meta == "" {
			c.meta = c.plain
		}
		if got := Serialize(th, v); got != c.plain {
			t.Errorf("%s\n\tSerialize   %s\n\twant        %s", c.src, got, c.plain)
		}
		if got := SerializeWith(th, v, SerializeOptions{Metadata: true}); got != c.meta {
			t.Errorf("%s\n\twith meta   %s\n\twant        %s", c.src, got, c.meta)
		}
		roundTrip(t, v, false)
	}
}

// TestSerializeLazyBinaryMetadata: a lazy binary's metadata comes from its
// producer (Web.Contents); with metadata the bytes and that record are
// written together.
func TestSerializeLazyBinaryMetadata(t *testing.T) {
	produced := Bytes([]byte("hi")).WithMeta(NewRecord(Field{"Response.Status", Num(200)}))
	v := LazyBinary(Defer(func(*Thread) (Value, error) { return produced, nil }))
	th := NewThread(nil, testHost())
	if got, want := SerializeWith(th, v, SerializeOptions{Metadata: true}), `(#binary("aGk=")) meta [Response.Status = 200]`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if got, want := Serialize(th, v), `#binary("aGk=")`; got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	failing := LazyBinary(Defer(func(*Thread) (Value, error) { return nil, NewError("DataSource.Error", "down") }))
	if got := SerializeWith(th, failing, SerializeOptions{Metadata: true}); !strings.HasPrefix(got, "error ") {
		t.Errorf("failing producer: got %s, want an error expression", got)
	}
}

// BenchmarkSerializeWithMetadata writes a keyed 10,000-row table whose
// cells carry metadata, with SerializeOptions.Metadata. Target: within 2x
// of BenchmarkSerializeTable per byte.
func BenchmarkSerializeWithMetadata(b *testing.B) {
	th := NewThread(nil, nil)
	v, err := th.EvalSource("bench.pq", []byte(`Table.AddKey(Table.FromRecords(List.Transform(List.Numbers(1, 10000),
		each [Id = _, Link = ("p" & Text.From(_)) meta [NextLink = "n" & Text.From(_)], Score = _ / 3])), {"Id"}, true)`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		b.Fatal(err)
	}
	opt := SerializeOptions{Metadata: true}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		s := SerializeWith(th, v, opt)
		n = len(s)
		if !strings.HasPrefix(s, `#table(Type.AddTableKey(type table [Id = any, Link = any, Score = any], {"Id"}, true), {{1, ("p1") meta [NextLink = "n1"]`) {
			b.Fatal(s[:120])
		}
	}
	b.SetBytes(int64(n))
}
