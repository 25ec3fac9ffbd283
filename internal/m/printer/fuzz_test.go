package printer

import (
	"bytes"
	"path/filepath"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
)

// FuzzRoundTrip checks, for every input that parses, that the formatted
// output parses to an equal tree with the same number of comments, and
// that formatting is idempotent.
func FuzzRoundTrip(f *testing.F) {
	for _, dir := range []string{"../parser/testdata/valid/*.txtar", "testdata/format/*.txtar"} {
		files, _ := filepath.Glob(dir)
		for _, file := range files {
			a, err := txtar.ParseFile(file)
			if err != nil {
				f.Fatal(err)
			}
			for _, af := range a.Files {
				if strings.HasSuffix(af.Name, ".m") || strings.HasSuffix(af.Name, ".in") {
					f.Add(af.Data)
				}
			}
		}
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		doc, err := parser.ParseFile(token.NewFileSet(), "f.pq", src, parser.ParseComments)
		if err != nil {
			return
		}
		out, err := Source("f.pq", src)
		if err != nil {
			t.Fatalf("Source failed on parsable input: %v", err)
		}
		doc2, err := parser.ParseFile(token.NewFileSet(), "f.pq", out, parser.ParseComments)
		if err != nil {
			t.Fatalf("output does not parse: %v\ninput:\n%s\noutput:\n%s", err, src, out)
		}
		if a, b := ast.SExpr(doc), ast.SExpr(doc2); a != b {
			t.Fatalf("tree changed:\n%s\n%s\ninput:\n%q\noutput:\n%q", a, b, src, out)
		}
		if len(doc.CommentList()) != len(doc2.CommentList()) {
			t.Fatalf("comments lost: %d → %d\ninput:\n%q\noutput:\n%q", len(doc.CommentList()), len(doc2.CommentList()), src, out)
		}
		out2, err := Source("f.pq", out)
		if err != nil || !bytes.Equal(out, out2) {
			t.Fatalf("not idempotent:\n%q\n%q", out, out2)
		}
	})
}
