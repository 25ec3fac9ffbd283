package printer

import "testing"

func TestSmokePrint(t *testing.T) {
	src := `[Version = "1.0.0"]
section Foo;

[DataSource.Kind="Foo", Publish="Foo.Publish"]
shared Foo.Contents = (url as text, optional n as nullable number) as table =>
    let
        // comment
        a = Web.Contents(url, [Headers = [#"Content-Type" = "x", Accept = "application/json", #"User-Agent" = "pqx"], ManualStatusHandling = {400, 401}]),
        b = Table.AddColumn(a, "x", each [Response Status] + _[y]? ?? 1), // trailing


        c = try b otherwise null,
        /* block */ d = try b catch (e) => e[Message],
        t = type table [A = text, optional B = Int64.Type, ...],
        f = type function (x as text) as number,
        g = {1..3, 5},
        h = if a is number then -a * 2 + 3 else not true and false or x as logical,
        h2 = if a is number then "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa" else if b then "bbbbbbbbbbbbbbbbbbb" else "c",
        i = @Foo.Contents meta [a = 1],
        j = Section1!Member,
        k = #table({"a"}, {{1}}){0}?[a]?,
        l = #"weird name" & "#(cr,lf)""q""",
        m = a[[x],[y]]?
    in
        m;
Foo = Extension.LoadString("x");
// end
`
	t.Log("\n" + roundTrip(t, "x.pq", src))
}
