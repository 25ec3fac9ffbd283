package eval

import (
	"testing"

	"github.com/pqxdev/pqx/internal/m/parser"
)

// FuzzEval evaluates arbitrary parsed input under tight bounds: it must
// never panic, and must stop within the step bound.
func FuzzEval(f *testing.F) {
	for _, s := range []string{
		`1 + 2`, `let x = {1..10} in List.Transform(x, each _ * 2)`, `[A = B, B = A][A]`,
		`try error [Reason = "R", Message.Format = "#{0}", Message.Parameters = {1}]`,
		`#table({"a"}, {{1}}){0}[a]`, `Text.Repeat("ab", 1e9)`, `List.Numbers(0, -1)`,
		`#table(-1, {})`, `let f = (n) => @f(n) in f(1)`, `Json.Document("[[[[1]]]]")`,
		`Uri.Parts("http://a/b?c=1&c=2")`, `Text.Format("#{5}", {1})`, `#date(1, 1, 1) - #duration(1, 0, 0, 0)`,
		`Number.ToText(1e300, "D")`, `Text.PadStart("a", 1e12)`, `List.Repeat({1}, 1e12)`,
		`Binary.Range(#binary({1}), 2)`, `Expression.Evaluate("1 +", [])`, `type function (x as number) as text`,
		`Table.AddKey(#table({"A", "B"}, {{1, 2}}), {"A"}, true) meta [NextLink = "n"]`,
		`Type.AddTableKey(type table [A = number], {"A"}, true) meta [Documentation.Name = "d"]`,
		`{1 meta [a = 2 meta [b = 3]], type [T = (Type.AddTableKey(type table [X = text], {"X"}, false))]}`,
		`Table.Join(#table({"K"}, {{1}, {null}}), "K", #table({"J"}, {{null}}), "J", JoinKind.RightSemi)`,
		`List.FirstN(List.Generate(() => 0, each true, each _ + 1), 3)`,
		`Table.FirstN(Table.FromRows(List.Transform(List.Generate(() => 0, each _ < 9, each _ + 1), each {_})), 2)`,
		`let l = List.Generate(() => 0, each _ < List.Count(@l), each _ + 1) in l{0}`,
		`List.Combine(List.Generate(() => {1}, each List.Count(_) < 4, each _ & _)){5}`,
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, src string) {
		if _, err := parser.ParseExpr(src); err != nil {
			return
		}
		th := NewThread(nil, testHost())
		th.Limits = Limits{MaxDepth: 200, MaxSteps: 20000, MaxListLen: 10000, MaxTextLen: 100000}
		v, err := th.EvalSource("fuzz.pq", []byte(src))
		if err == nil {
			err = th.DeepForce(v)
		}
		if err == nil {
			_ = Serialize(th, v)
			_ = SerializeWith(th, v, SerializeOptions{Metadata: true})
		}
		// Library calls may take a few steps beyond the bound before the
		// next check; the bound itself must hold to within that slack.
		if th.Steps() > th.Limits.MaxSteps+1000 {
			t.Fatalf("%d steps exceed the bound %d", th.Steps(), th.Limits.MaxSteps)
		}
	})
}
