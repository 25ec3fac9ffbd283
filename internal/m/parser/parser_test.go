package parser

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

func TestDepthLimit(t *testing.T) {
	n := MaxDepth + 10
	inputs := map[string]string{
		"parens":   strings.Repeat("(", n) + "1" + strings.Repeat(")", n),
		"lists":    strings.Repeat("{", n) + strings.Repeat("}", n),
		"records":  strings.Repeat("[a=", n) + "1" + strings.Repeat("]", n),
		"unary":    strings.Repeat("-", n) + "1",
		"not":      strings.Repeat("not ", n) + "x",
		"each":     strings.Repeat("each ", n) + "_",
		"listtype": "type " + strings.Repeat("{", n) + "number" + strings.Repeat("}", n),
		"nullable": "type " + strings.Repeat("nullable ", n) + "number",
		"lets":     strings.Repeat("let a = ", n) + "1" + strings.Repeat(" in a", n),
		"calls":    "f" + strings.Repeat("(", n) + strings.Repeat(")", n),
		"fns":      strings.Repeat("() => ", n) + "1",
	}
	for name, src := range inputs {
		_, err := ParseFile(token.NewFileSet(), name, []byte(src), 0)
		if err == nil || !strings.Contains(err.Error(), "nested too deeply") {
			t.Errorf("%s: got %v, want a nesting error", name, err)
		}
	}
	// Just under the limit is fine.
	ok := strings.Repeat("(", MaxDepth/2) + "1" + strings.Repeat(")", MaxDepth/2)
	if _, err := ParseExpr(ok); err != nil {
		t.Errorf("depth %d: %v", MaxDepth/2, err)
	}
}

func TestSizeLimit(t *testing.T) {
	src := make([]byte, MaxSourceSize+1)
	for i := range src {
		src[i] = ' '
	}
	_, err := ParseFile(token.NewFileSet(), "big.pq", src, 0)
	if err == nil || !strings.Contains(err.Error(), "big.pq:1:1: source is") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorDetailCaret(t *testing.T) {
	src := "let\n\ta = [x = 1 y = 2]\nin a"
	_, err := ParseFile(token.NewFileSet(), "q.pq", []byte(src), 0)
	var list scanner.ErrorList
	if !errors.As(err, &list) || len(list) != 1 {
		t.Fatalf("got %v", err)
	}
	want := "q.pq:2:13: expected ',' or ']' in record, found identifier y\n" +
		"    \ta = [x = 1 y = 2]\n" +
		"    \t           ^"
	if got := list.Detail(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	if got := err.Error(); got != "q.pq:2:13: expected ',' or ']' in record, found identifier y" {
		t.Errorf("Error() = %q", got)
	}
}

func TestColumnsCountRunes(t *testing.T) {
	// Column 7 is after "ä = ü " (6 runes, 8 bytes); CRLF and U+2028 end lines.
	src := "[x=1,\r\nä = ü $]"
	_, err := ParseFile(token.NewFileSet(), "u.pq", []byte(src), 0)
	if err == nil || !strings.HasPrefix(err.Error(), "u.pq:2:7: ") {
		t.Fatalf("got %v", err)
	}
	_, err = ParseFile(token.NewFileSet(), "v.pq", []byte("1,\u2028 $"), 0)
	if err == nil || !strings.HasPrefix(err.Error(), "v.pq:1:2: ") {
		t.Fatalf("got %v", err)
	}
}

func TestErrorsSortedAndBounded(t *testing.T) {
	var b strings.Builder
	b.WriteString("section S;\n")
	for i := 0; i < 30; i++ {
		b.WriteString("A = 1 +;\n")
	}
	_, err := ParseFile(token.NewFileSet(), "s.pq", []byte(b.String()), 0)
	var list scanner.ErrorList
	if !errors.As(err, &list) {
		t.Fatalf("got %v", err)
	}
	if len(list) == 0 || len(list) > 11 {
		t.Errorf("got %d errors, want 1..11 without AllErrors", len(list))
	}
	if !sort.IsSorted(list) {
		t.Error("errors not sorted")
	}
	_, err = ParseFile(token.NewFileSet(), "s.pq", []byte(b.String()), AllErrors)
	if !errors.As(err, &list) || len(list) != 30 {
		t.Errorf("AllErrors: got %d errors, want 30", len(list))
	}
}

func TestParseExprRejectsSection(t *testing.T) {
	if _, err := ParseExpr("section S; A = 1;"); err == nil || !strings.Contains(err.Error(), "found a section document") {
		t.Errorf("got %v", err)
	}
	x, err := ParseExpr("1 + 2")
	if err != nil {
		t.Fatal(err)
	}
	if got := ast.SExpr(x); got != "(+ 1 2)" {
		t.Errorf("got %s", got)
	}
}

func TestIsSectionDocument(t *testing.T) {
	for src, want := range map[string]bool{
		"section S;":                       true,
		"// c\n[Version=\"1\"] section S;": true,
		"[a = 1]":                          false,
		"[a = 1] + 1":                      false,
		"let a = 1 in a":                   false,
		"":                                 false,
	} {
		if got := IsSectionDocument([]byte(src)); got != want {
			t.Errorf("%q: got %v", src, got)
		}
	}
}

func TestCommentsKept(t *testing.T) {
	src := "// a\nlet /* b */ x = 1 // c\nin x"
	doc, err := ParseFile(token.NewFileSet(), "", []byte(src), ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	var texts []string
	for _, c := range doc.CommentList() {
		texts = append(texts, c.Text)
	}
	if got := strings.Join(texts, "|"); got != "// a|/* b */|// c" {
		t.Errorf("got %q", got)
	}
	doc, _ = ParseFile(token.NewFileSet(), "", []byte(src), 0)
	if n := len(doc.CommentList()); n != 0 {
		t.Errorf("comments kept without ParseComments: %d", n)
	}
}

func TestLiteralValues(t *testing.T) {
	x, err := ParseExpr(`{"a""b#(tab)", #"x#(0041)", 0x1F, #!"v""w"}`)
	if err != nil {
		t.Fatal(err)
	}
	l := x.(*ast.ListExpr)
	want := []struct {
		kind       ast.LitKind
		raw, value string
	}{
		{ast.Text, `"a""b#(tab)"`, "a\"b\t"},
		{0, "", ""},
		{ast.Number, "0x1F", "0x1F"},
		{ast.Verbatim, `#!"v""w"`, `v"w`},
	}
	for i, w := range want {
		if i == 1 {
			id := l.Items[1].(*ast.Ident)
			if !id.Quoted || id.Name != "xA" || id.Raw != `#"x#(0041)"` {
				t.Errorf("ident: %+v", id)
			}
			continue
		}
		lit := l.Items[i].(*ast.Literal)
		if lit.Kind != w.kind || lit.Raw != w.raw || lit.Value != w.value {
			t.Errorf("item %d: got %v %q %q", i, lit.Kind, lit.Raw, lit.Value)
		}
	}
}

// TestConcurrentParse parses the same sources from several goroutines (the
// token buffers are pooled) and checks that every tree is the same; run it
// with -race.
func TestConcurrentParse(t *testing.T) {
	srcs := validSources(t)
	want := map[string]string{}
	for name, src := range srcs {
		doc, err := ParseFile(token.NewFileSet(), name, src, ParseComments)
		if err != nil {
			t.Fatal(err)
		}
		want[name] = ast.SExpr(doc)
	}
	fset := token.NewFileSet()
	errs := make(chan string, 4)
	for g := 0; g < 4; g++ {
		go func() {
			bad := ""
			for name, src := range srcs {
				doc, err := ParseFile(fset, name, src, ParseComments)
				if err != nil || ast.SExpr(doc) != want[name] {
					bad = name
				}
			}
			errs <- bad
		}()
	}
	for g := 0; g < 4; g++ {
		if bad := <-errs; bad != "" {
			t.Errorf("concurrent parse of %s differs", bad)
		}
	}
}

func TestConnectorSources(t *testing.T) {
	files, _ := filepath.Glob("testdata/connectors/*.pq")
	if len(files) == 0 {
		t.Fatal("no connector sources")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		fset := token.NewFileSet()
		doc, err := ParseFile(fset, f, src, ParseComments)
		if err != nil {
			t.Fatalf("%s:\n%s", f, asList(err).Detail())
		}
		sd, ok := doc.(*ast.SectionDocument)
		if !ok || sd.Attrs == nil || len(sd.Members) < 10 {
			t.Fatalf("%s: unexpected document %T", f, doc)
		}
		checkPositions(t, f, fset, doc, len(src))
	}
}
