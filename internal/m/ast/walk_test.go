package ast_test

import (
	"fmt"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
)

func TestWalkVisitsInSourceOrder(t *testing.T) {
	src := `section S;
[A = 1] shared F = (x as number, optional y) as text => let a = {x..y, ...}, b = [c = a{0}?[d]?] in if a is list then try b otherwise error "e" else (type function (p as {text}) as table [r = number, ...]) meta [m = @F];`
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, "w.pq", []byte(src), 0)
	if err != nil {
		t.Fatal(err)
	}
	var last token.Pos
	var kinds []string
	depth := 0
	ast.Inspect(doc, func(n ast.Node) bool {
		if n == nil {
			depth--
			return false
		}
		depth++
		if n.Pos() < last {
			t.Errorf("%T at %v visited after %v", n, fset.Position(n.Pos()), fset.Position(last))
		}
		last = n.Pos()
		kinds = append(kinds, strings.TrimPrefix(fmt.Sprintf("%T", n), "*ast."))
		return true
	})
	if depth != 0 {
		t.Errorf("unbalanced Visit(nil) calls: %d", depth)
	}
	got := strings.Join(kinds, " ")
	for _, want := range []string{"SectionDocument Ident SectionMember RecordExpr Field Ident Literal Ident FunctionExpr", "FunctionExpr Param Ident PrimitiveType Param Ident PrimitiveType LetExpr",
		"RangeExpr Ident Ident NotImplemented", "FieldAccess ItemAccess Ident Literal Ident", "TryExpr Ident ErrorExpr Literal",
		"FunctionType Param Ident ListType PrimitiveType TableType RecordType FieldSpec Ident PrimitiveType"} {
		if !strings.Contains(got, want) {
			t.Errorf("visit order lacks %q:\n%s", want, got)
		}
	}
}

func TestInspectPrunes(t *testing.T) {
	x, err := parser.ParseExpr("f(g(1), [a = h(2)])")
	if err != nil {
		t.Fatal(err)
	}
	calls := 0
	ast.Inspect(x, func(n ast.Node) bool {
		if _, ok := n.(*ast.InvokeExpr); ok {
			calls++
			return false // do not descend: inner calls are not counted
		}
		return true
	})
	if calls != 1 {
		t.Errorf("got %d calls, want 1", calls)
	}
}

func TestSExprHandBuilt(t *testing.T) {
	id := func(s string) *ast.Ident { return &ast.Ident{Name: s, Raw: s} }
	x := &ast.FunctionExpr{
		Params: []*ast.Param{{Name: id("x")}, {Optional: 1, Name: id("y"), Type: &ast.NullableType{Type: &ast.PrimitiveType{Name: "text"}}}},
		Body:   &ast.BinaryExpr{X: id("x"), Op: token.AMP, Y: &ast.Literal{Kind: ast.Text, Raw: `"a""b"`, Value: `a"b`}},
	}
	want := `(fn (x (optional y (nullable text))) _ (& x "a\"b"))`
	if got := ast.SExpr(x); got != want {
		t.Errorf("got %s\nwant %s", got, want)
	}
	q := &ast.Ident{Name: "a b", Raw: `#"a b"`, Quoted: true}
	if got := ast.SExpr(q); got != `#"a b"` {
		t.Errorf("quoted: %s", got)
	}
}
