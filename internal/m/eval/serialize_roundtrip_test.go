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
	}
	if g.n(4) == 0 {
		t = t.AsNullable()
	}
	return t
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
		return NewTable(TableType(cols...), rows)
	case 3:
		return g.typ(0)
	default:
		return g.scalar()
	}
}

// roundTrip checks value → text → parse → evaluate: the text evaluates to
// a value that serialises to the same text and (NaN aside) is equal.
func roundTrip(t *testing.T, v Value, hasNaN bool) {
	t.Helper()
	th := NewThread(nil, nil)
	text := Serialize(th, v)
	back, err := th.EvalSource("roundtrip.pq", []byte(text))
	if err == nil {
		err = th.DeepForce(back)
	}
	if err != nil {
		t.Fatalf("serialization does not evaluate: %v\n%s", err, text)
	}
	if again := Serialize(th, back); again != text {
		t.Fatalf("re-serialization differs:\n%s\n%s", text, again)
	}
	if hasNaN {
		return
	}
	eq, err := Equal(th, v, back)
	if err != nil || !eq {
		t.Fatalf("round trip not equal (%v):\n%s", err, text)
	}
	if tv, ok := v.(*Table); ok && !equalType(tv.Type(), back.(*Table).Type()) {
		t.Fatalf("table type lost:\n%s", text)
	}
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
