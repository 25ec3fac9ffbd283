package parser

import (
	"testing"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func TestSmoke(t *testing.T) {
	src := `[Version = "1.0.0"]
section Foo;

[DataSource.Kind="Foo", Publish="Foo.Publish"]
shared Foo.Contents = (url as text, optional n as nullable number) as table =>
    let
        // comment
        a = Web.Contents(url, [Headers = [#"Content-Type" = "x"]]),
        b = Table.AddColumn(a, "x", each [Response Status] + _[y]? ?? 1),
        c = try b otherwise null,
        d = try b catch (e) => e[Message],
        t = type table [A = text, optional B = Int64.Type, ...],
        f = type function (x as text) as number,
        g = {1..3, 5},
        h = if a is number then -a * 2 + 3 else not true and false or x as logical,
        i = @Foo.Contents meta [a = 1],
        j = Section1!Member,
        k = #table({"a"}, {{1}}){0}?[a]?,
        l = #"weird name" & "#(cr,lf)""q""",
        m = a[[x],[y]]?
    in
        m;
Foo = Extension.LoadString("x");
`
	doc, err := ParseFile(token.NewFileSet(), "x.pq", []byte(src), ParseComments)
	if err != nil {
		t.Fatal(err)
	}
	t.Log(ast.SExpr(doc))
}
