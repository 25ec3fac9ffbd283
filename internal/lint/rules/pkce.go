package rules

import (
	"github.com/pqxdev/pqx/internal/m/ast"
)

// derivation says what goes into computing an expression: a random value,
// a SHA-256 hash, or something the analysis cannot see (a parameter).
type derivation struct {
	random, hash, opaque bool
	// randoms are the let variables (their value expressions) holding a
	// random value that the expression uses.
	randoms map[ast.Expr]bool
}

// derive follows e through let variables, record fields, section members
// and the bodies of the member functions it calls.
func (a *analysis) derive(e ast.Expr) derivation {
	d := derivation{randoms: map[ast.Expr]bool{}}
	seen := map[ast.Node]bool{}
	var walk func(n ast.Node, depth int)
	walk = func(n ast.Node, depth int) {
		if depth > maxDepth || n == nil || seen[n] {
			return
		}
		seen[n] = true
		inspectExprs(n, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.InvokeExpr:
				name := calleeName(x)
				switch {
				case name == "Crypto.CreateHash":
					d.hash = true
				case randomFuncs[name]:
					d.random = true
				}
			case *ast.Ident:
				b := a.lookup(x)
				switch {
				case b.param != nil || b.each != nil:
					d.opaque = true
				case b.expr != nil:
					if fn, ok := b.expr.(*ast.FunctionExpr); ok {
						for _, f := range a.reachable(fn) {
							if len(calls(f.Body, "Crypto.CreateHash")) > 0 {
								d.hash = true
							}
						}
						return true
					}
					if b.member == nil && randomCall(b.expr) != nil {
						d.randoms[b.expr] = true
					}
					walk(b.expr, depth+1)
				}
			case *ast.FunctionExpr:
				return false
			}
			return true
		})
	}
	walk(e, 0)
	return d
}

// sharesRandom reports whether two derivations use a common random
// variable.
func sharesRandom(x, y derivation) bool {
	for e := range x.randoms {
		if y.randoms[e] {
			return true
		}
	}
	return false
}
