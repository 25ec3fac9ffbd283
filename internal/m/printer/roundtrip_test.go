package printer

import (
	"bytes"
	"flag"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
)

var update = flag.Bool("update", false, "rewrite expected formatter outputs")

// TestRoundTripCorpus formats every valid case of the parser's conformance
// corpus and checks parse → print → parse equality and idempotence.
func TestRoundTripCorpus(t *testing.T) {
	files, _ := filepath.Glob("../parser/testdata/valid/*.txtar")
	if len(files) == 0 {
		t.Fatal("no corpus")
	}
	n := 0
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		for _, af := range a.Files {
			if !strings.HasSuffix(af.Name, ".m") {
				continue
			}
			roundTrip(t, af.Name, string(bytes.TrimSuffix(af.Data, []byte("\n"))))
			n++
		}
	}
	t.Logf("%d cases round-tripped", n)
}

// TestFormatGolden pins the layout: testdata/format/*.txtar hold pairs
// NAME.in and NAME.out.
func TestFormatGolden(t *testing.T) {
	files, _ := filepath.Glob("testdata/format/*.txtar")
	if len(files) == 0 {
		t.Fatal("no golden files")
	}
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string][]byte{}
		for _, af := range a.Files {
			if strings.HasSuffix(af.Name, ".out") {
				want[strings.TrimSuffix(af.Name, ".out")] = af.Data
			}
		}
		var files []txtar.File
		for _, af := range a.Files {
			if !strings.HasSuffix(af.Name, ".in") {
				continue
			}
			name := strings.TrimSuffix(af.Name, ".in")
			got := roundTrip(t, name, string(af.Data))
			files = append(files, af, txtar.File{Name: name + ".out", Data: []byte(got)})
			if *update {
				continue
			}
			if d := cmp.Diff(string(want[name]), got); d != "" {
				t.Errorf("%s: layout changed (-want +got):\n%s", name, d)
			}
		}
		if *update {
			a.Files = files
			if err := os.WriteFile(f, txtar.Format(a), 0o644); err != nil {
				t.Fatal(err)
			}
		}
	}
}

func TestSourceRejectsInvalid(t *testing.T) {
	_, err := Source("bad.pq", []byte("let a = in a"))
	if err == nil || !strings.HasPrefix(err.Error(), "bad.pq:1:9: ") {
		t.Fatalf("got %v", err)
	}
}

func TestExpr(t *testing.T) {
	x, err := parser.ParseExpr("f( a,[b=1] ,  each  _ )")
	if err != nil {
		t.Fatal(err)
	}
	if got := Expr(x); got != "f(a, [b = 1], each _)" {
		t.Errorf("got %q", got)
	}
}

func TestDiff(t *testing.T) {
	a := []byte("a\nb\nc\nd\ne\nf\ng\nh\ni\nk\n")
	b := []byte("a\nb\nC\nd\ne\nf\ng\nh\ni\nk\nj\n")
	got := string(Diff("x.pq", a, b))
	want := "--- x.pq (original)\n+++ x.pq (formatted)\n" +
		"@@ -1,6 +1,6 @@\n a\n b\n-c\n+C\n d\n e\n f\n" +
		"@@ -8,3 +8,4 @@\n h\n i\n k\n+j\n"
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	if Diff("x", a, a) != nil {
		t.Error("diff of equal inputs")
	}
}

func TestPrintConstructedTree(t *testing.T) {
	// Trees built by hand (no positions, no FileSet) print too.
	x := &ast.BinaryExpr{X: &ast.Ident{Name: "a", Raw: "a"}, Op: token.ADD, Y: &ast.Literal{Kind: ast.Number, Raw: "1", Value: "1"}}
	if got := Expr(x); got != "a + 1" {
		t.Errorf("got %q", got)
	}
	// Without Raw, names and literals are spelled from their values.
	r := &ast.InvokeExpr{
		Fun: &ast.Ident{Name: "#table"},
		Args: []ast.Expr{
			&ast.RecordExpr{Fields: []*ast.Field{
				{Name: &ast.Ident{Name: "Content-Type"}, Value: &ast.Literal{Kind: ast.Text, Value: "a\"b\n"}},
				{Name: &ast.Ident{Name: "Response Status"}, Value: &ast.Literal{Kind: ast.Null}},
				{Name: &ast.Ident{Name: "let"}, Value: &ast.Ident{Name: "let"}},
			}},
			&ast.Ident{Name: "Table.AddColumn"},
		},
	}
	want := `#table([#"Content-Type" = "a""b#(lf)", Response Status = null, let = #"let"], Table.AddColumn)`
	if got := Expr(r); got != want {
		t.Errorf("got  %s\nwant %s", got, want)
	}
	if _, err := parser.ParseExpr(want); err != nil {
		t.Error(err)
	}
}

func TestSourceKeepsBOM(t *testing.T) {
	out, err := Source("b.pq", []byte("\ufeff1+2"))
	if err != nil || string(out) != "\ufeff1 + 2\n" {
		t.Errorf("got %q, %v", out, err)
	}
}

// TestRoundTripConnectors formats the hand-written connector sources in the
// parser's testdata.
func TestRoundTripConnectors(t *testing.T) {
	files, _ := filepath.Glob("../parser/testdata/connectors/*.pq")
	if len(files) == 0 {
		t.Fatal("no connector sources")
	}
	for _, f := range files {
		src, err := os.ReadFile(f)
		if err != nil {
			t.Fatal(err)
		}
		roundTrip(t, f, string(src))
	}
}
