package eval

import (
	"go/ast"
	"go/parser"
	"go/token"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
)

// TestNoDoubleRegistration parses the library sources and checks that no
// name is registered twice: the library map would silently keep whichever
// init ran last.
func TestNoDoubleRegistration(t *testing.T) {
	files, err := filepath.Glob("*.go")
	if err != nil {
		t.Fatal(err)
	}
	fset := token.NewFileSet()
	where := map[string]string{}
	for _, f := range files {
		if strings.HasSuffix(f, "_test.go") {
			continue
		}
		file, err := parser.ParseFile(fset, f, nil, 0)
		if err != nil {
			t.Fatal(err)
		}
		ast.Inspect(file, func(n ast.Node) bool {
			call, ok := n.(*ast.CallExpr)
			if !ok {
				return true
			}
			id, ok := call.Fun.(*ast.Ident)
			if !ok {
				return true
			}
			var names []string
			switch id.Name {
			case "register":
				// Each argument is a constructor call whose first argument
				// is the registered name.
				for _, arg := range call.Args {
					if c, ok := arg.(*ast.CallExpr); ok && len(c.Args) > 0 {
						if lit, ok := c.Args[0].(*ast.BasicLit); ok && lit.Kind == token.STRING {
							s, _ := strconv.Unquote(lit.Value)
							names = append(names, s)
						}
					}
				}
			case "registerValue", "notSupported":
				for _, arg := range call.Args {
					if lit, ok := arg.(*ast.BasicLit); ok && lit.Kind == token.STRING {
						s, _ := strconv.Unquote(lit.Value)
						names = append(names, s)
					}
					if id.Name == "registerValue" {
						break
					}
				}
			}
			for _, name := range names {
				pos := fset.Position(call.Pos()).String()
				if prev, dup := where[name]; dup {
					t.Errorf("%s registered twice: %s and %s", name, prev, pos)
				}
				where[name] = pos
			}
			return true
		})
	}
	if len(where) < 300 {
		t.Fatalf("found only %d registrations; the scan is broken", len(where))
	}
}
