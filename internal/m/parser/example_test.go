package parser_test

import (
	"fmt"
	"os"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

func ExampleParseFile() {
	src := `section Demo;
[DataSource.Kind = "Demo"]
shared Demo.Contents = (url as text) => Web.Contents(url, [Headers = [Accept = "text/csv"]]);`
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, "Demo.pq", []byte(src), parser.ParseComments)
	if err != nil {
		fmt.Println(err)
		return
	}
	sd := doc.(*ast.SectionDocument)
	for _, m := range sd.Members {
		fmt.Println(fset.Position(m.Pos()), m.Name.Name, m.IsShared(), ast.SExpr(m.Attrs))
	}
	// Output:
	// Demo.pq:2:1 Demo.Contents true (record (DataSource.Kind "Demo"))
}

func ExampleParseFile_errors() {
	src := "let\n    a = [x = 1 y = 2],\n    b = a +\nin b"
	_, err := parser.ParseFile(token.NewFileSet(), "q.pq", []byte(src), 0)
	scanner.PrintError(os.Stdout, err)
	// Output:
	// q.pq:2:16: expected ',' or ']' in record, found identifier y
	//         a = [x = 1 y = 2],
	//                    ^
	// q.pq:4:1: expected an expression, found keyword in
	//     in b
	//     ^
}
