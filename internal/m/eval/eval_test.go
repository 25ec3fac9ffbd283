package eval

import (
	"strings"
	"testing"
	"time"
)

// evalCase is one expression and its expected outcome: the M serialization
// of the value, or an error reason and a message fragment.
type evalCase struct {
	src    string
	want   string // serialized value when err == ""
	reason string // expected error reason
	msg    string // fragment of the expected error message
}

func testHost() *Host {
	return &Host{
		Clock:   NewVirtualClock(time.Date(2024, 5, 6, 7, 8, 9, 0, time.UTC)),
		NewGuid: SequentialGuids(1),
	}
}

// evalString evaluates src in a fresh environment and deep-forces it.
func evalString(t testing.TB, src string) (string, error) {
	t.Helper()
	th := NewThread(nil, testHost())
	v, err := th.EvalSource("test.pq", []byte(src))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		return "", err
	}
	return Serialize(th, v), nil
}

func runCases(t *testing.T, cases []evalCase) {
	t.Helper()
	for _, c := range cases {
		got, err := evalString(t, c.src)
		if c.reason == "" {
			if err != nil {
				t.Errorf("%s\n\tunexpected error: %v", c.src, err)
				continue
			}
			if got != c.want {
				t.Errorf("%s\n\tgot  %s\n\twant %s", c.src, got, c.want)
			}
			continue
		}
		if err == nil {
			t.Errorf("%s\n\tgot value %s, want error %s", c.src, got, c.reason)
			continue
		}
		me := AsError(err)
		if me == nil {
			t.Errorf("%s\n\tgot non-M error %v", c.src, err)
			continue
		}
		if me.Reason() != c.reason || !strings.Contains(me.Message(), c.msg) {
			t.Errorf("%s\n\tgot error %s: %s\n\twant %s: …%s…", c.src, me.Reason(), me.Message(), c.reason, c.msg)
		}
	}
}

func TestLaziness(t *testing.T) {
	runCases(t, []evalCase{
		{src: `[A = error "a", B = 1][B]`, want: `1`},
		{src: `{error "a", 1}{1}`, want: `1`},
		{src: `let x = error "unused", y = 2 in y`, want: `2`},
		{src: `([A = error "a"] & [B = 2])[B]`, want: `2`},
		{src: `({error "a"} & {3}){1}`, want: `3`},
		{src: `false and error "x"`, want: `false`},
		{src: `true or error "x"`, want: `true`},
		{src: `if true then 1 else error "x"`, want: `1`},
		{src: `1 ?? error "x"`, want: `1`},
		{src: `try 1 otherwise error "x"`, want: `1`},
		{src: `List.Count(List.Transform({1, "a"}, each _ + 1))`, want: `2`},
		{src: `List.Transform({1, "a"}, each _ + 1){0}`, want: `2`},
		// Function arguments are evaluated before the body.
		{src: `let f = (x) => 1 in f(error "arg")`, reason: "Expression.Error", msg: "arg"},
	})
}

func TestMemoisation(t *testing.T) {
	// Text.NewGuid is called once per let variable, however often used.
	got, err := evalString(t, `let g = Text.NewGuid() in g = g`)
	if err != nil || got != "true" {
		t.Fatalf("memoised let: got %s, %v", got, err)
	}
	got, err = evalString(t, `let r = [g = Text.NewGuid()] in r[g] = r[g]`)
	if err != nil || got != "true" {
		t.Fatalf("memoised field: got %s, %v", got, err)
	}
	got, err = evalString(t, `Text.NewGuid() = Text.NewGuid()`)
	if err != nil || got != "false" {
		t.Fatalf("fresh calls: got %s, %v", got, err)
	}
	// An error is memoised like a value: the failing entry is computed
	// once, so the host sees a single GUID request.
	th := NewThread(nil, testHost())
	n := 0
	th.Host.NewGuid = func() string { n++; return "g" }
	v, err := th.EvalSource("m.pq", []byte(`let e = error Text.NewGuid(), a = try e, b = try e in {a, b}`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil || n != 1 {
		t.Fatalf("error memoisation: %d guid calls, err %v", n, err)
	}
}

func TestCycles(t *testing.T) {
	runCases(t, []evalCase{
		{src: `[A = B, B = A][A]`, reason: "Expression.Error", msg: "A cyclic reference was encountered during evaluation"},
		{src: `let x = y, y = x in x`, reason: "Expression.Error", msg: "cyclic reference"},
		{src: `let x = @x in x`, reason: "Expression.Error", msg: "cyclic reference"},
		{src: `try [A = B, B = A][A] otherwise "caught"`, want: `"caught"`},
		// A field does not see itself without @: x here is the outer x.
		{src: `let x = 1 in [x = x + 1][x]`, want: `2`},
	})
}

func TestTryShapes(t *testing.T) {
	runCases(t, []evalCase{
		{src: `try 1`, want: `[HasError = false, Value = 1]`},
		{src: `try error "bad"`, want: `[HasError = true, Error = [Reason = "Expression.Error", Message = "bad", Detail = null, Message.Format = null, Message.Parameters = null, ErrorCode = null]]`},
		{src: `try error [Reason = "R", Message = "m", Detail = [x = 1]]`, want: `[HasError = true, Error = [Reason = "R", Message = "m", Detail = [x = 1], Message.Format = null, Message.Parameters = null, ErrorCode = null]]`},
		// The function reference's Error.Record examples.
		{src: `try error Error.Record("DivideByZero", "You attempted to divide by zero.")`, want: `[HasError = true, Error = [Reason = "DivideByZero", Message = "You attempted to divide by zero.", Detail = null, Message.Format = null, Message.Parameters = null, ErrorCode = null]]`},
		{src: `(try error Error.Record("NotFound", "Id #{0} missing.", "d", {7}, "E404"))[Error]`, want: `[Reason = "NotFound", Message = "Id 7 missing.", Detail = "d", Message.Format = "Id #{0} missing.", Message.Parameters = {7}, ErrorCode = "E404"]`},
		{src: `(try error Error.Record("R", "M")) [Error][Reason]`, want: `"R"`},
		{src: `try error "x" otherwise 2`, want: `2`},
		{src: `try error "x" catch (e) => e[Message]`, want: `"x"`},
		{src: `try error "x" catch () => "handled"`, want: `"handled"`},
		{src: `try 5 catch (e) => 0`, want: `5`},
		{src: `(try error [Message.Format = "Hello #{0} and #{1}", Message.Parameters = {"a", 2}])[Error][Message]`, want: `"Hello a and 2"`},
		{src: `(try error [Reason = "R", Message.Format = "n=#{0}", Message.Parameters = {1}])[Error]`, want: `[Reason = "R", Message = "n=1", Detail = null, Message.Format = "n=#{0}", Message.Parameters = {1}, ErrorCode = null]`},
		{src: `error Error.Record("DataSource.Error", "down", [Url = "u"])`, reason: "DataSource.Error", msg: "down"},
		{src: `error 1`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Record."},
		// Lazily raised errors inside a returned record escape the try.
		{src: `(try [A = error "late"])[Value][A]`, reason: "Expression.Error", msg: "late"},
	})
}

func TestMetadata(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Value.Metadata(1 meta [a = 1])`, want: `[a = 1]`},
		{src: `Value.Metadata((1 meta [a = 1]) meta [b = 2])`, want: `[a = 1, b = 2]`},
		{src: `Value.Metadata(1)`, want: `[]`},
		{src: `Value.Metadata(Value.RemoveMetadata("x" meta [a = 1]))`, want: `[]`},
		{src: `Value.Metadata(Value.ReplaceMetadata("x" meta [a = 1], [b = 2]))`, want: `[b = 2]`},
		{src: `(1 meta [a = 1]) = 1`, want: `true`},
		{src: `Value.Metadata((1 meta [a = 1]) + 1)`, want: `[]`},
		{src: `Value.Metadata({1} meta [NextLink = "n"])[NextLink]`, want: `"n"`},
		{src: `Value.Metadata(type number meta [Documentation.Name = "N"])`, want: `[Documentation.Name = "N"]`},
		{src: `1 meta 2`, reason: "Expression.Error", msg: "to type Record"},
	})
}

func TestEquality(t *testing.T) {
	runCases(t, []evalCase{
		{src: `true = 1`, want: `false`},
		{src: `null = null`, want: `true`},
		{src: `1 = 1.0`, want: `true`},
		{src: `#nan = #nan`, want: `false`},
		{src: `#nan <> #nan`, want: `true`},
		{src: `"a" = "A"`, want: `false`},
		{src: `{1, 2} = {1, 2}`, want: `true`},
		{src: `{1, 2} = {2, 1}`, want: `false`},
		{src: `[a = 1, b = 2] = [b = 2, a = 1]`, want: `true`},
		{src: `[a = 1] = [a = 1, b = 2]`, want: `false`},
		{src: `#table({"a"}, {{1}}) = #table({"a"}, {{1}})`, want: `true`},
		{src: `#table({"a"}, {{1}}) = #table({"a"}, {{2}})`, want: `false`},
		{src: `#date(2024, 1, 2) = #date(2024, 1, 2)`, want: `true`},
		{src: `type number = type number`, want: `true`},
		{src: `let f = (x) => x in f = f`, want: `true`},
		{src: `1 < 2`, want: `true`},
		{src: `"a" < "b"`, want: `true`},
		{src: `"B" < "a"`, want: `true`},
		{src: `null < 1`, want: `null`},
		{src: `#nan < 1`, want: `false`},
		{src: `#date(2024, 1, 1) < #date(2024, 1, 2)`, want: `true`},
		{src: `{1} < {2}`, reason: "Expression.Error", msg: "We cannot apply operator <"},
		{src: `"a" < 1`, reason: "Expression.Error", msg: "We cannot apply operator <"},
	})
}

func TestNullAndLogic(t *testing.T) {
	runCases(t, []evalCase{
		{src: `null + 1`, want: `null`},
		{src: `1 * null`, want: `null`},
		{src: `"a" & null`, want: `null`},
		{src: `not null`, want: `null`},
		{src: `-null`, want: `null`},
		{src: `false and null`, want: `false`},
		{src: `null and false`, want: `false`},
		{src: `null and true`, want: `null`},
		{src: `true or null`, want: `true`},
		{src: `null or true`, want: `true`},
		{src: `null or false`, want: `null`},
		{src: `if null then 1 else 2`, reason: "Expression.Error", msg: "to type Logical"},
		{src: `1 and true`, reason: "Expression.Error", msg: "and"},
		{src: `null ?? 3`, want: `3`},
		{src: `[a = 1][b]?`, want: `null`},
		{src: `[a = 1][b]`, reason: "Expression.Error", msg: "The field 'b' of the record wasn't found."},
		{src: `{1}{3}?`, want: `null`},
		{src: `{1}{3}`, reason: "Expression.Error", msg: "There weren't enough elements"},
		{src: `[error = "e"][error]? <> null`, want: `true`},
		{src: `null[a]?`, want: `null`},
	})
}

func TestOperators(t *testing.T) {
	runCases(t, []evalCase{
		{src: `1 + 2 * 3`, want: `7`},
		{src: `10 - 2 - 3`, want: `5`},
		{src: `1 / 0`, want: `#infinity`},
		{src: `-1 / 0`, want: `-#infinity`},
		{src: `0 / 0`, want: `#nan`},
		{src: `0.1 + 0.2`, want: `0.30000000000000004`},
		{src: `1e21`, want: `1E+21`},
		{src: `0x1F`, want: `31`},
		{src: `"a" & "b"`, want: `"ab"`},
		{src: `{1} & {2, 3}`, want: `{1, 2, 3}`},
		{src: `[a = 1, b = 2] & [b = 3, c = 4]`, want: `[a = 1, b = 3, c = 4]`},
		{src: `#date(2024, 1, 2) & #time(3, 4, 5)`, want: `#datetime(2024, 1, 2, 3, 4, 5)`},
		{src: `"a" & 1`, reason: "Expression.Error", msg: "We cannot apply operator & to types Text and Number."},
		{src: `"a" + 1`, reason: "Expression.Error", msg: "We cannot apply operator + to types Text and Number."},
		{src: `#date(2024, 1, 31) + #duration(1, 0, 0, 0)`, want: `#date(2024, 2, 1)`},
		{src: `#datetime(2024, 1, 1, 0, 0, 0) - #datetime(2023, 12, 31, 12, 0, 0)`, want: `#duration(0, 12, 0, 0)`},
		{src: `#duration(1, 2, 3, 4) * 2`, want: `#duration(2, 4, 6, 8)`},
		{src: `{1..3}`, want: `{1, 2, 3}`},
		{src: `{1, 3..5, 9}`, want: `{1, 3, 4, 5, 9}`},
		{src: `{3..1}`, want: `{}`},
		{src: `1 is number`, want: `true`},
		{src: `null is nullable number`, want: `true`},
		{src: `null is number`, want: `false`},
		{src: `"x" is any`, want: `true`},
		{src: `1 as nullable number`, want: `1`},
		{src: `"a" as number`, reason: "Expression.Error", msg: `We cannot convert the value "a" to type Number.`},
		{src: `[a = 1, b = 2][[a]]`, want: `[a = 1]`},
		{src: `[a = 1][[a], [z]]?`, want: `[a = 1, z = null]`},
		{src: `#table({"a", "b"}, {{1, 2}, {3, 4}})[b]`, want: `{2, 4}`},
		{src: `#table({"a", "b"}, {{1, 2}, {3, 4}}){1}`, want: `[a = 3, b = 4]`},
		{src: `#table({"a", "b"}, {{1, 2}, {3, 4}}){[a = 3]}[b]`, want: `4`},
	})
}

func TestFunctions(t *testing.T) {
	runCases(t, []evalCase{
		{src: `let f = (x, optional y) => if y = null then x else x + y in {f(1), f(1, 2)}`, want: `{1, 3}`},
		{src: `let f = (x) => x in f()`, reason: "Expression.Error", msg: "The number of arguments provided to a function is not valid."},
		{src: `let f = (x) => x in f(1, 2)`, reason: "Expression.Error", msg: "number of arguments"},
		{src: `let f = (x as number) => x in f("a")`, reason: "Expression.Error", msg: `We cannot convert the value "a" to type Number.`},
		{src: `let f = (x as nullable number) => x in f(null)`, want: `null`},
		{src: `let f = (optional x as number) => x in f()`, want: `null`},
		{src: `let f = (x) as text => x in f(1)`, reason: "Expression.Error", msg: "to type Text"},
		{src: `let fact = (n) => if n <= 1 then 1 else n * @fact(n - 1) in fact(10)`, want: `3628800`},
		{src: `let add = (a) => (b) => a + b, inc = add(1) in inc(41)`, want: `42`},
		{src: `List.Transform({1, 2}, each _ * 10)`, want: `{10, 20}`},
		{src: `List.Transform({[a = 1], [a = 2]}, each [a])`, want: `{1, 2}`},
		{src: `(each _ + 1)(1)`, want: `2`},
		{src: `let x = 1, f = () => x in let x = 2 in f()`, want: `1`},
		{src: `1(2)`, reason: "Expression.Error", msg: "to type Function"},
		{src: `Text.Length(1)`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Text."},
		{src: `Table.View(1)`, reason: "Expression.Error", msg: "Table.View is not supported by the pqx evaluator"},
		{src: `Table.NoSuchThing`, reason: "Expression.Error", msg: "Table.NoSuchThing is not supported by the pqx evaluator"},
		{src: `nosuchname`, reason: "Expression.Error", msg: "The name 'nosuchname' wasn't recognized."},
		{src: `...`, reason: "Expression.Error", msg: "Not Implemented"},
	})
}

func TestTypes(t *testing.T) {
	runCases(t, []evalCase{
		{src: `type table [a = number, b = nullable text]`, want: `type table [a = number, b = nullable text]`},
		{src: `type [a = number, optional b = text, ...]`, want: `type [a = number, optional b = text, ...]`},
		{src: `type {number}`, want: `type {number}`},
		{src: `type function (x as number, optional y as text) as logical`, want: `type function (x as number, optional y as text) as logical`},
		{src: `Value.Type(1)`, want: `type number`},
		{src: `Value.Type("a") = type text`, want: `true`},
		{src: `Int64.Type`, want: `type Int64.Type`},
		{src: `type nullable Int64.Type`, want: `type nullable Int64.Type`},
		{src: `Type.Is(type number, type nullable number)`, want: `true`},
		{src: `Type.Is(type nullable number, type number)`, want: `false`},
		{src: `Type.IsNullable(type nullable text)`, want: `true`},
		{src: `Type.NonNullable(type nullable text)`, want: `type text`},
		{src: `Type.RecordFields(type [a = number, optional b = text])`, want: `[a = [Type = type number, Optional = false], b = [Type = type text, Optional = true]]`},
		{src: `Type.IsOpenRecord(type [a = number, ...])`, want: `true`},
		{src: `Type.ClosedRecord(type [a = number, ...])`, want: `type [a = number]`},
		{src: `Type.ForRecord([a = [Type = type text, Optional = false]], false)`, want: `type [a = text]`},
		{src: `Type.FunctionParameters(type function (x as number, optional y as text) as any)`, want: `[x = type number, y = type nullable text]`},
		{src: `Type.FunctionRequiredParameters(type function (x as number, optional y as text) as any)`, want: `1`},
		{src: `Type.FunctionReturn(type function () as text)`, want: `type text`},
		{src: `Type.ListItem(type {text})`, want: `type text`},
		{src: `Type.TableRow(type table [a = number])`, want: `type [a = number]`},
		{src: `Type.ForFunction([ReturnType = type text, Parameters = [x = type number, y = type text]], 1)`, want: `type function (x as number, optional y as text) as text`},
		{src: `Value.Type(Value.ReplaceType((x) => x, type function (x as text) as text))`, want: `type function (x as text) as text`},
		{src: `Value.ReplaceType((x) => x, type function (x as text, y as text) as text)`, reason: "Expression.Error", msg: "not compatible"},
		{src: `Value.Metadata(Value.Type(Value.ReplaceType((x) => x, type function (x as text) as text meta [Documentation.Name = "F"])))`, want: `[Documentation.Name = "F"]`},
		{src: `Type.FunctionParameters(Value.Type((a, optional b) => a))`, want: `[a = type any, b = type any]`},
		{src: `Value.Is(1, type number)`, want: `true`},
		{src: `Type.TableKeys(Type.AddTableKey(type table [a = number], {"a"}, true))`, want: `{[Columns = {"a"}, Primary = true]}`},
		{src: `Type.TableSchema(type table [a = Int64.Type, b = nullable text])`, want: `#table(type table [Name = any, Position = any, TypeName = any, Kind = any, IsNullable = any], {{"a", 0, "Int64.Type", "number", false}, {"b", 1, "Text.Type", "text", true}})`},
	})
}

func TestSections(t *testing.T) {
	src := `[Version = "1.0.0"]
section Demo;

[DataSource.Kind = "Demo", Publish = "Demo.Publish"]
shared Demo.Contents = (n as number) => Helper(n) + Base;

Helper = (n) => if n = 0 then 0 else n + Helper(n - 1);
Base = 100;
shared Demo.Guid = Text.NewGuid();
Broken = error "never used";
Demo = [Authentication = [Anonymous = []], Label = "Demo"];
Demo.Publish = [Beta = true, ButtonText = {"Demo", "Help"}];
`
	env := NewEnvironment()
	th := NewThread(env, testHost())
	s, err := th.LoadSectionSource("demo.pq", []byte(src))
	if err != nil {
		t.Fatal(err)
	}
	if s.Name != "Demo" || len(s.Shared) != 2 {
		t.Fatalf("section %s shared %v", s.Name, s.Shared)
	}
	if got := Serialize(th, s.Attrs); got != `[Version = "1.0.0"]` {
		t.Errorf("section attrs %s", got)
	}
	if got := Serialize(th, s.MemberAttrs["Demo.Contents"]); got != `[DataSource.Kind = "Demo", Publish = "Demo.Publish"]` {
		t.Errorf("member attrs %s", got)
	}
	for _, c := range []evalCase{
		{src: `Demo.Contents(3)`, want: `106`},
		{src: `#sections[Demo][Demo][Label]`, want: `"Demo"`},
		{src: `Record.HasFields(#shared, {"Demo.Contents", "Text.From"})`, want: `true`},
		{src: `Record.HasFields(#shared, "Helper")`, want: `false`},
		{src: `Demo!Base`, want: `100`},
		{src: `Demo.Guid = Demo.Guid`, want: `true`},
		{src: `Expression.Evaluate("Demo.Contents(1) + x", #shared & [x = 1])`, want: `102`},
		{src: `Expression.Evaluate("Text.From(1)")`, reason: "Expression.Error", msg: "The name 'Text.From' wasn't recognized."},
		{src: `Expression.Evaluate("1 +", #shared)`, reason: "Expression.Error", msg: "Expression.Evaluate"},
		{src: `Helper`, reason: "Expression.Error", msg: "The name 'Helper' wasn't recognized."},
	} {
		v, err := th.EvalSource("q.pq", []byte(c.src))
		if err == nil {
			err = th.DeepForce(v)
		}
		if c.reason != "" {
			me := AsError(err)
			if me == nil || me.Reason() != c.reason || !strings.Contains(me.Message(), c.msg) {
				t.Errorf("%s: got %v, want %s …%s…", c.src, err, c.reason, c.msg)
			}
			continue
		}
		if err != nil {
			t.Errorf("%s: %v", c.src, err)
			continue
		}
		if got := Serialize(th, v); got != c.want {
			t.Errorf("%s: got %s want %s", c.src, got, c.want)
		}
	}
	// Inside the section, private members are visible by name.
	if v, err := th.EvalInSection(s, "in.pq", []byte(`Helper(2) + Base`)); err != nil || Serialize(th, v) != "103" {
		t.Errorf("EvalInSection: %v %v", v, err)
	}
	// A second section sharing the same name errors only on access.
	if _, err := th.LoadSectionSource("other.pq", []byte(`section Other; shared Demo.Guid = 1; shared Fine = 2;`)); err != nil {
		t.Fatal(err)
	}
	if v, err := th.EvalSource("q2.pq", []byte(`Fine`)); err != nil || Serialize(th, v) != "2" {
		t.Errorf("Fine: %v %v", v, err)
	}
	if _, err := th.EvalSource("q3.pq", []byte(`Demo.Guid`)); AsError(err) == nil {
		t.Errorf("duplicate shared name: want error, got %v", err)
	}
}

func TestBounds(t *testing.T) {
	for _, c := range []struct {
		src    string
		limits Limits
		msg    string
	}{
		{`let f = (n) => @f(n + 1) in f(0)`, Limits{MaxDepth: 100, MaxSteps: 1e6, MaxListLen: 1e6}, "maximum call depth"},
		{`List.Count(List.Generate(() => 0, each true, each _ + 1))`, Limits{MaxDepth: 100, MaxSteps: 1e9, MaxListLen: 1000}, "maximum list size"},
		{`List.Count(List.Generate(() => 0, each true, each _ + 1))`, Limits{MaxDepth: 100, MaxSteps: 5000, MaxListLen: 1e9}, "step limit"},
		{`{1..100000000}`, Limits{MaxDepth: 100, MaxSteps: 1e9, MaxListLen: 1000}, "maximum list size"},
		{`Text.Length(Text.Repeat("ab", 1e6))`, Limits{MaxDepth: 100, MaxSteps: 1e9, MaxTextLen: 1000}, "maximum text size"},
		{`Text.Replace(Text.Repeat("a", 100), "a", Text.Repeat("b", 100))`, Limits{MaxDepth: 100, MaxSteps: 1e9, MaxTextLen: 5000}, "maximum text size"},
		{`try (let f = (n) => @f(n + 1) in f(0)) otherwise 1`, Limits{MaxDepth: 50, MaxSteps: 1e6, MaxListLen: 1e6}, "maximum call depth"},
	} {
		th := NewThread(nil, testHost())
		th.Limits = c.limits
		_, err := th.EvalSource("b.pq", []byte(c.src))
		var me *Error
		if err == nil || !strings.Contains(err.Error(), c.msg) {
			t.Errorf("%s: got %v, want %q", c.src, err, c.msg)
			continue
		}
		if e, ok := err.(*Error); ok {
			me = e
		}
		if me == nil || !me.Fatal || AsError(err) != nil {
			t.Errorf("%s: bound error must be fatal (uncatchable): %#v", c.src, err)
		}
	}
}

func TestSerialize(t *testing.T) {
	runCases(t, []evalCase{
		{src: `"a""b#(lf)"`, want: `"a""b#(lf)"`},
		{src: `[#"a b" = 1, Response.Status = 2]`, want: `[#"a b" = 1, Response.Status = 2]`},
		{src: `#datetime(2014, 1, 1, 16, 0, 0.12345)`, want: `#datetime(2014, 1, 1, 16, 0, 0.12345)`},
		{src: `#datetimezone(2024, 1, 2, 3, 4, 5, -8, 0)`, want: `#datetimezone(2024, 1, 2, 3, 4, 5, -8, 0)`},
		{src: `#datetimezone(2024, 1, 2, 3, 4, 5, -5, -30)`, want: `#datetimezone(2024, 1, 2, 3, 4, 5, -5, -30)`},
		{src: `#datetimezone(2024, 1, 2, 3, 4, 5, 5, 30) = #datetimezone(2024, 1, 1, 21, 34, 5, 0, 0)`, want: `true`},
		{src: `#time(23, 59, 59)`, want: `#time(23, 59, 59)`},
		{src: `-#duration(1, 0, 0, 0)`, want: `-#duration(1, 0, 0, 0)`},
		{src: `#binary({1, 2, 3})`, want: `#binary("AQID")`},
		{src: `#table(type table [a = Int64.Type], {{1}})`, want: `#table(type table [a = Int64.Type], {{1}})`},
		{src: `-0.5`, want: `-0.5`},
		{src: `123456789012345`, want: `123456789012345`},
		{src: `1e15`, want: `1E+15`},
		{src: `0.00001`, want: `1E-05`},
		{src: `0.0001`, want: `0.0001`},
		{src: `{1, {2, [a = {}]}}`, want: `{1, {2, [a = {}]}}`},
	})
}

func TestSelfReference(t *testing.T) {
	// A record that contains itself is legal (lazy); comparing it must stop.
	th := NewThread(nil, testHost())
	_, err := th.EvalSource("s.pq", []byte(`let r = [a = @r] in r = r`))
	if err == nil || !strings.Contains(err.Error(), "nesting depth") {
		t.Fatalf("got %v", err)
	}
	got, err := evalString(t, `let r = [a = @r, b = 1] in r[a][a][a][b]`)
	if err != nil || got != "1" {
		t.Fatalf("got %s %v", got, err)
	}
}

func TestBacktrace(t *testing.T) {
	th := NewThread(nil, testHost())
	_, err := th.EvalSource("bt.pq", []byte("let\n  f = (x) => g(x),\n  g = (y) => Text.Length(y)\nin\n  f(1)"))
	me, ok := err.(*Error)
	if !ok {
		t.Fatalf("got %v", err)
	}
	want := "Expression.Error: We cannot convert the value 1 to type Text.\n" +
		"\tbt.pq:3:14: in Text.Length\n\tbt.pq:2:14: in g\n\tbt.pq:5:3: in f"
	if got := me.Backtrace(); got != want {
		t.Errorf("got\n%s\nwant\n%s", got, want)
	}
	_, err = th.EvalSource("op.pq", []byte("let\n  x = 1 + \"a\"\nin\n  x"))
	if me, ok := err.(*Error); !ok || me.Backtrace() != "Expression.Error: We cannot apply operator + to types Number and Text.\n\top.pq:2:7: raised here" {
		t.Errorf("origin: %q", me.Backtrace())
	}
	_, err = th.EvalSource("deep.pq", []byte(`let f = (n) => @f(n + 1) in f(0)`))
	if me, ok := err.(*Error); !ok || !strings.Contains(me.Backtrace(), "deep.pq:1:16: in f (15 more times)") {
		t.Errorf("repeated frames: %v", err)
	}
}

// TestParallelEnvironments evaluates one parsed section in several
// goroutines, each with its own Environment and Thread and a shared Host,
// as a host refreshing tokens in parallel does. Run with -race.
func TestParallelEnvironments(t *testing.T) {
	src := []byte(`section P;
shared P.Id = Text.NewGuid();
shared P.Sum = List.Sum(List.Transform({1..100}, each _ * 2));
shared P.Wait = Function.InvokeAfter(() => DateTime.LocalNow(), #duration(0, 0, 0, 1));
`)
	host := testHost()
	done := make(chan string, 8)
	for i := 0; i < 8; i++ {
		go func() {
			th := NewThread(NewEnvironment(), host)
			if _, err := th.LoadSectionSource("p.pq", src); err != nil {
				done <- err.Error()
				return
			}
			v, err := th.EvalSource("q.pq", []byte(`{P.Id, P.Sum, P.Wait}`))
			if err == nil {
				err = th.DeepForce(v)
			}
			if err != nil {
				done <- err.Error()
				return
			}
			done <- Serialize(th, v)
		}()
	}
	seen := map[string]bool{}
	for i := 0; i < 8; i++ {
		s := <-done
		if !strings.Contains(s, ", 10100, #datetime(") {
			t.Fatalf("got %s", s)
		}
		seen[s[:40]] = true
	}
	if len(seen) != 8 {
		t.Errorf("each environment must get its own GUID; got %d distinct", len(seen))
	}
}
