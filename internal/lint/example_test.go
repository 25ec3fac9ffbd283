package lint_test

import (
	"os"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
)

// A semantic rule registers itself from an init function of the package
// that implements it; the driver, suppression comments and every output
// format pick it up without further wiring.
func ExampleRegister() {
	lint.Register(&lint.Rule{
		ID:       "no-verbatim",
		Severity: lint.Warning,
		Summary:  "verbatim literals #!\"…\" always raise an error when evaluated",
		Explanation: "Power Query writes #!\"…\" for text it could not parse; " +
			"a connector should not ship one.",
		Check: func(p *lint.Pass) {
			ast.Inspect(p.Doc, func(n ast.Node) bool {
				if l, ok := n.(*ast.Literal); ok && l.Kind == ast.Verbatim {
					p.Reportf(l, "verbatim literal")
				}
				return true
			})
		},
	})
}

func ExampleLint() {
	ds := lint.Lint("q.pq", []byte("let a = [x = 1 y = 2] in a"), lint.Config{SyntaxOnly: true})
	lint.WriteText(os.Stdout, ds)
	// Output:
	// q.pq:1:16: error: expected ',' or ']' in record, found identifier y [syntax]
	//     let a = [x = 1 y = 2] in a
	//                    ^
}
