package scanner

import (
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/token"
)

// BenchmarkScan measures the scanner alone over connector-like text.
func BenchmarkScan(b *testing.B) {
	unit := `shared Bench.Contents = (url as text, optional n as nullable number) as table =>
    let
        // comment
        source = Web.Contents(url, [Headers = [#"User-Agent" = "pqx#(tab)1"], Timeout = #duration(0, 0, 1, 30)]),
        rows = Table.SelectRows(Json.Document(source)[items]? ?? {}, each [amount] > 1.5e2 and [id] <> 0x1F)
    in
        rows;
`
	src := []byte(strings.Repeat(unit, (1<<20)/len(unit)+1))
	fset := token.NewFileSet()
	file := fset.AddFile("bench.pq", src)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for i := 0; i < b.N; i++ {
		var s Scanner
		s.Init(file, nil, ScanComments)
		for {
			_, k, _ := s.ScanRaw()
			if k == token.EOF {
				break
			}
		}
	}
}
