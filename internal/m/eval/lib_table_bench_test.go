package eval

import (
	"strings"
	"testing"
)

// BenchmarkTablePipeline is the REST shaping pipeline of a connector over
// 100,000 records: Table.FromRecords → Table.TransformColumnTypes →
// Table.SelectRows, with every cell of the result forced. Target: ≤ 1 s.
func BenchmarkTablePipeline(b *testing.B) {
	src := []byte(`let
	recs = List.Transform(List.Numbers(1, 100000), each [Id = Text.From(_), Name = "n", Score = _ / 2, When = "2024-01-02"]),
	t = Table.FromRecords(recs),
	typed = Table.TransformColumnTypes(t, {{"Id", Int64.Type}, {"Name", type text}, {"Score", type number}, {"When", type date}}),
	sel = Table.SelectRows(typed, each [Score] > 25000)
in sel`)
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(nil, nil)
		v, err := th.EvalSource("bench.pq", src)
		if err == nil {
			err = th.DeepForce(v)
		}
		if err != nil {
			b.Fatal(err)
		}
		if n := v.(*Table).RowCount(); n != 50000 {
			b.Fatalf("%d rows", n)
		}
	}
}

// BenchmarkSerializeTable writes a 10,000-row, 5-column table in .pqout
// form. Target: ≤ 100 ms.
func BenchmarkSerializeTable(b *testing.B) {
	th := NewThread(nil, nil)
	v, err := th.EvalSource("bench.pq", []byte(`Table.TransformColumnTypes(Table.FromRecords(List.Transform(List.Numbers(1, 10000),
		each [Id = _, Name = "name " & Text.From(_), Score = _ / 3, When = #datetime(2024, 1, 2, 3, 4, 5), Ok = Number.IsEven(_)])),
		{{"Id", Int64.Type}, {"Name", type text}})`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		b.Fatal(err)
	}
	var n int
	b.ReportAllocs()
	for b.Loop() {
		s := Serialize(th, v)
		n = len(s)
		if !strings.HasPrefix(s, "#table(type table [Id = Int64.Type") {
			b.Fatal(s[:50])
		}
	}
	b.SetBytes(int64(n))
}
