package parser

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

var update = flag.Bool("update", false, "rewrite the expected outputs of the corpus (review the diff!)")

// The conformance corpus lives in testdata/valid/*.txtar and
// testdata/invalid/*.txtar. Each valid case is a pair of files NAME.m (the
// source) and NAME.ast (the expected tree as ast.SExpr, whitespace
// insignificant); each invalid case is NAME.m and NAME.err (the expected
// errors, one `line:col: message` per line).

type corpusCase struct {
	archive string
	name    string
	src     []byte
	want    string
}

func loadCorpus(t *testing.T, dir, ext string) []corpusCase {
	t.Helper()
	files, err := filepath.Glob(filepath.Join("testdata", dir, "*.txtar"))
	if err != nil || len(files) == 0 {
		t.Fatalf("no corpus in testdata/%s: %v", dir, err)
	}
	var cases []corpusCase
	for _, f := range files {
		a, err := txtar.ParseFile(f)
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, af := range a.Files {
			if strings.HasSuffix(af.Name, ext) {
				want[strings.TrimSuffix(af.Name, ext)] = string(af.Data)
			}
		}
		for _, af := range a.Files {
			if !strings.HasSuffix(af.Name, ".m") {
				continue
			}
			name := strings.TrimSuffix(af.Name, ".m")
			src := bytes.TrimSuffix(af.Data, []byte("\n"))
			cases = append(cases, corpusCase{archive: f, name: name, src: src, want: want[name]})
		}
	}
	return cases
}

// ValidCorpus returns the sources of the valid corpus for other tests
// (round trip, fuzz seeds).
func validSources(t *testing.T) map[string][]byte {
	out := map[string][]byte{}
	for _, c := range loadCorpus(t, "valid", ".ast") {
		out[c.name] = c.src
	}
	return out
}

func normalizeSExpr(s string) string { return strings.Join(strings.Fields(s), " ") }

func TestValidCorpus(t *testing.T) {
	cases := loadCorpus(t, "valid", ".ast")
	got := map[string]map[string]string{}
	for _, c := range cases {
		fset := token.NewFileSet()
		doc, err := ParseFile(fset, c.name+".m", c.src, ParseComments)
		if err != nil {
			t.Errorf("%s: %s: unexpected error:\n%s", filepath.Base(c.archive), c.name, scanner.ErrorList(asList(err)).Detail())
			continue
		}
		s := ast.SExpr(doc)
		if got[c.archive] == nil {
			got[c.archive] = map[string]string{}
		}
		got[c.archive][c.name] = s
		checkPositions(t, c.name, fset, doc, len(c.src))
		if *update {
			continue
		}
		if c.want == "" {
			t.Errorf("%s: %s: no expected .ast (run with -update and review)", filepath.Base(c.archive), c.name)
			continue
		}
		if d := cmp.Diff(normalizeSExpr(c.want), s); d != "" {
			t.Errorf("%s: %s: tree mismatch (-want +got):\n%s", filepath.Base(c.archive), c.name, d)
		}
	}
	if *update {
		rewrite(t, got, ".ast")
	}
	if len(cases) < 150 {
		t.Errorf("valid corpus has %d cases; keep it at 150 or more", len(cases))
	}
}

func TestInvalidCorpus(t *testing.T) {
	cases := loadCorpus(t, "invalid", ".err")
	got := map[string]map[string]string{}
	for _, c := range cases {
		_, err := ParseFile(token.NewFileSet(), c.name+".m", c.src, 0)
		if err == nil {
			t.Errorf("%s: %s: parsed without error", filepath.Base(c.archive), c.name)
			continue
		}
		list := asList(err)
		var b strings.Builder
		for _, e := range list {
			fmt.Fprintf(&b, "%d:%d: %s\n", e.Pos.Line, e.Pos.Column, e.Msg)
		}
		if got[c.archive] == nil {
			got[c.archive] = map[string]string{}
		}
		got[c.archive][c.name] = b.String()
		if *update {
			continue
		}
		if d := cmp.Diff(c.want, b.String()); d != "" {
			t.Errorf("%s: %s: errors mismatch (-want +got):\n%s", filepath.Base(c.archive), c.name, d)
		}
	}
	if *update {
		rewrite(t, got, ".err")
	}
	if len(cases) < 60 {
		t.Errorf("invalid corpus has %d cases; the issue asks for at least 60", len(cases))
	}
}

func asList(err error) scanner.ErrorList {
	var list scanner.ErrorList
	if errors.As(err, &list) {
		return list
	}
	return scanner.ErrorList{{Msg: err.Error()}}
}

// rewrite stores the computed outputs next to their sources.
func rewrite(t *testing.T, got map[string]map[string]string, ext string) {
	for file, outs := range got {
		a, err := txtar.ParseFile(file)
		if err != nil {
			t.Fatal(err)
		}
		var files []txtar.File
		for _, f := range a.Files {
			if strings.HasSuffix(f.Name, ext) {
				continue
			}
			files = append(files, f)
			if strings.HasSuffix(f.Name, ".m") {
				name := strings.TrimSuffix(f.Name, ".m")
				if out, ok := outs[name]; ok {
					if !strings.HasSuffix(out, "\n") {
						out += "\n"
					}
					files = append(files, txtar.File{Name: name + ext, Data: []byte(out)})
				}
			}
		}
		a.Files = files
		if err := os.WriteFile(file, txtar.Format(a), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

// checkPositions verifies that every node's span is well formed, lies in
// the file, and nests inside its parent's span.
func checkPositions(t *testing.T, name string, fset *token.FileSet, doc ast.Document, size int) {
	t.Helper()
	file := fset.File(doc.Pos())
	if file == nil {
		t.Errorf("%s: document position %d not in the file set", name, doc.Pos())
		return
	}
	lo, hi := token.Pos(file.Base()), token.Pos(file.Base()+size)
	var stack []ast.Node
	ast.Inspect(doc, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return false
		}
		p, e := n.Pos(), n.End()
		if p < lo || e > hi || p > e {
			t.Errorf("%s: %T span [%d,%d) outside file [%d,%d] or reversed", name, n, p, e, lo, hi)
		}
		if len(stack) > 0 {
			parent := stack[len(stack)-1]
			if p < parent.Pos() || e > parent.End() {
				t.Errorf("%s: %T [%d,%d) not inside parent %T [%d,%d)", name, n, p, e, parent, parent.Pos(), parent.End())
			}
		}
		stack = append(stack, n)
		return true
	})
}
