package parser

import (
	"errors"
	"os"
	"path/filepath"
	"sort"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

// FuzzParse checks that the parser never panics, that every node span and
// every error position lies inside the input, and that errors are sorted.
func FuzzParse(f *testing.F) {
	files, _ := filepath.Glob(filepath.Join("testdata", "*", "*.txtar"))
	for _, file := range files {
		a, err := txtar.ParseFile(file)
		if err != nil {
			f.Fatal(err)
		}
		for _, af := range a.Files {
			if filepath.Ext(af.Name) == ".m" {
				f.Add(af.Data)
			}
		}
	}
	if b, err := os.ReadFile(filepath.Join("testdata", "bench_seed.pq")); err == nil {
		f.Add(b)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		fset := token.NewFileSet()
		doc, err := ParseFile(fset, "f.pq", src, ParseComments)
		if err != nil {
			var list scanner.ErrorList
			if !errors.As(err, &list) {
				t.Fatalf("error is %T, not an ErrorList", err)
			}
			if !sort.IsSorted(list) {
				t.Fatalf("errors not sorted: %v", list)
			}
			for _, e := range list {
				if e.Pos.Offset < 0 || e.Pos.Offset > len(src) || e.Pos.Line < 1 || e.Pos.Column < 1 {
					t.Fatalf("error position %+v outside input of %d bytes", e.Pos, len(src))
				}
			}
		}
		if doc == nil {
			return
		}
		file := fset.File(doc.Pos())
		if file == nil {
			if len(src) > 0 && err == nil {
				t.Fatalf("document without file")
			}
			return
		}
		lo, hi := token.Pos(file.Base()), token.Pos(file.Base()+len(src))
		ast.Inspect(doc, func(n ast.Node) bool {
			if n == nil {
				return false
			}
			if n.Pos() < lo || n.End() > hi || n.Pos() > n.End() {
				t.Fatalf("%T span [%d,%d) outside [%d,%d]", n, n.Pos(), n.End(), lo, hi)
			}
			return true
		})
		_ = ast.SExpr(doc)
	})
}
