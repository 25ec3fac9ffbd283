package scanner

import (
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/pqxdev/pqx/internal/m/token"
)

type scanned struct {
	kind token.Kind
	lit  string
}

func scanAll(t testing.TB, src string, mode Mode) ([]scanned, []string) {
	fset := token.NewFileSet()
	file := fset.AddFile("t.pq", []byte(src))
	var errs []string
	var s Scanner
	s.Init(file, func(pos token.Pos, msg string) {
		errs = append(errs, fset.Position(pos).String()+": "+msg)
	}, mode)
	var out []scanned
	for {
		_, k, lit := s.Scan()
		if k == token.EOF {
			return out, errs
		}
		if lit == "" {
			lit = k.String()
		}
		out = append(out, scanned{k, lit})
	}
}

func TestScanTokens(t *testing.T) {
	src := "\ufefflet Table.AddColumn = #\"a b\", x1=.5e3 in {1..2, ...} ?? a?[b] <> c <= d >= e => f & g @h S!m #table #infinity #!\"v\" /* c */ // d\n\"t\"\"x\" 0xFF"
	got, errs := scanAll(t, src, ScanComments)
	if len(errs) > 0 {
		t.Fatal(errs)
	}
	var b strings.Builder
	for _, s := range got {
		b.WriteString(s.kind.String() + ":" + s.lit + " ")
	}
	want := "let:let IDENT:Table.AddColumn =:= QUOTED_IDENT:#\"a b\" ,:, IDENT:x1 =:= NUMBER:.5e3 in:in {:{ NUMBER:1 ..:.. NUMBER:2 ,:, ...:... }:} ??:?? IDENT:a ?:? [:[ IDENT:b ]:] <>:<> IDENT:c <=:<= IDENT:d >=:>= IDENT:e =>:=> IDENT:f &:& IDENT:g @:@ IDENT:h IDENT:S !:! IDENT:m #table:#table #infinity:#infinity VERBATIM:#!\"v\" COMMENT:/* c */ COMMENT:// d TEXT:\"t\"\"x\" NUMBER:0xFF "
	if b.String() != want {
		t.Errorf("got\n%s\nwant\n%s", b.String(), want)
	}
	got, _ = scanAll(t, "a /* x */ b // y", 0)
	if len(got) != 2 {
		t.Errorf("comments not skipped: %v", got)
	}
}

func TestContextualWordsAreIdentifiers(t *testing.T) {
	for _, w := range []string{"optional", "nullable", "catch", "text", "number", "function", "table", "Type", "LET", "Each"} {
		got, _ := scanAll(t, w, 0)
		if len(got) != 1 || got[0].kind != token.IDENT {
			t.Errorf("%s: got %v", w, got)
		}
	}
	for _, w := range []string{"and", "as", "each", "else", "error", "false", "if", "in", "is", "let", "meta", "not", "null", "or", "otherwise", "section", "shared", "then", "true", "try", "type", "#binary", "#date", "#datetime", "#datetimezone", "#duration", "#infinity", "#nan", "#sections", "#shared", "#table", "#time"} {
		got, _ := scanAll(t, w, 0)
		if len(got) != 1 || !got[0].kind.IsKeyword() {
			t.Errorf("%s: got %v, want a keyword", w, got)
		}
	}
}

func TestUnquote(t *testing.T) {
	for raw, want := range map[string]string{
		`"abc"`:                  "abc",
		`""`:                     "",
		`"a""b"`:                 `a"b`,
		`"#(cr,lf)"`:             "\r\n",
		`"#(tab)#(#)(x)"`:        "\t#(x)",
		`"#(0041)#(0001F600)"`:   "A😀",
		`#"a b"`:                 "a b",
		`#!"#(cr)"`:              "#(cr)",
		`"# (not an escape) #x"`: "# (not an escape) #x",
	} {
		got, err := Unquote(raw)
		if err != nil || got != want {
			t.Errorf("Unquote(%s) = %q, %v; want %q", raw, got, err, want)
		}
	}
	for _, raw := range []string{`abc`, `"abc`, `"a"b"`, `"#(x)"`, `"#(D800)"`, `"#(00110000)"`} {
		if _, err := Unquote(raw); err == nil {
			t.Errorf("Unquote(%s): no error", raw)
		}
	}
}

func TestQuoteRoundTrip(t *testing.T) {
	for _, s := range []string{"", "plain", `say "hi"`, "a\r\nb\tc", "#(cr) literal", "\x00\x1f\u2028", "日本", "##("} {
		q := Quote(s)
		got, err := Unquote(q)
		if err != nil || got != s {
			t.Errorf("Quote(%q) = %s, decodes to %q, %v", s, q, got, err)
		}
	}
}

func TestIsRegularIdent(t *testing.T) {
	for name, want := range map[string]bool{
		"x": true, "_": true, "Table.AddColumn": true, "Int64.Type": true, "Größe": true,
		"": false, "a b": false, "let": false, "1x": false, "a.": false, ".a": false, "a..b": false,
		"#table": false, "a-b": false, "let.x": true,
	} {
		if got := IsRegularIdent(name); got != want {
			t.Errorf("IsRegularIdent(%q) = %v", name, got)
		}
	}
	if got := QuoteIdent("a b"); got != `#"a b"` {
		t.Errorf("QuoteIdent: %s", got)
	}
}

// FuzzScan checks that scanning never panics, that tokens are in order and
// inside the input, that error positions are inside the input, and that
// Quote and Unquote are inverse.
func FuzzScan(f *testing.F) {
	for _, s := range []string{
		"let a = 1 in a", `"a""b#(cr,lf)"`, "#\"x\" #!\"y\" #table", "0x1F 1.5e-3 .5 1..2 ...",
		"/* c */ // d\n", "\ufeffsection S;", "a?[b]?? c", "\"#(0001F600)\"", "#(", "\"unterminated",
	} {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fset := token.NewFileSet()
		file := fset.AddFile("f.pq", src)
		var s Scanner
		s.Init(file, func(pos token.Pos, msg string) {
			off := file.Offset(pos)
			if int(pos) < file.Base() || off > len(src) {
				t.Fatalf("error position %d outside input", pos)
			}
		}, ScanComments)
		last := -1
		for n := 0; ; n++ {
			start, k, end := s.ScanRaw()
			if start < last || end < start || end > len(src) {
				t.Fatalf("token %v [%d,%d) out of order or range (last %d, len %d)", k, start, end, last, len(src))
			}
			if k == token.EOF {
				break
			}
			if end == start {
				t.Fatalf("empty %v token at %d", k, start)
			}
			if k == token.TEXT || k == token.QUOTED_IDENT || k == token.VERBATIM {
				_, _ = Unquote(string(src[start:end]))
			}
			last = end
		}
		if utf8.Valid(src) {
			str := string(src)
			got, err := Unquote(Quote(str))
			if err != nil || got != str {
				t.Fatalf("Quote/Unquote(%q) = %q, %v", str, got, err)
			}
		}
	})
}
