package printer

import (
	"testing"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
)

// roundTrip checks that src formats to an equal tree and that formatting
// is idempotent; it returns the formatted text.
func roundTrip(t *testing.T, name, src string) string {
	t.Helper()
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, name, []byte(src), parser.ParseComments)
	if err != nil {
		t.Fatalf("%s: parse: %v", name, err)
	}
	out, err := Source(name, []byte(src))
	if err != nil {
		t.Fatalf("%s: format: %v", name, err)
	}
	doc2, err := parser.ParseFile(token.NewFileSet(), name, out, parser.ParseComments)
	if err != nil {
		t.Fatalf("%s: formatted output does not parse: %v\n%s", name, err, out)
	}
	if a, b := ast.SExpr(doc), ast.SExpr(doc2); a != b {
		t.Fatalf("%s: tree changed by formatting:\n%s\n%s\noutput:\n%s", name, a, b, out)
	}
	if c1, c2 := len(doc.CommentList()), len(doc2.CommentList()); c1 != c2 {
		t.Fatalf("%s: %d comments became %d:\n%s", name, c1, c2, out)
	}
	out2, err := Source(name, out)
	if err != nil {
		t.Fatal(err)
	}
	if string(out2) != string(out) {
		t.Fatalf("%s: not idempotent:\nfirst:\n%s\nsecond:\n%s", name, out, out2)
	}
	return string(out)
}
