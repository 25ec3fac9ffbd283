package eval

import "testing"

// Cases written from the documented behaviour in the Power Query M function
// reference (our own inputs), including error reasons.

func TestLibText(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Text.From(123)`, want: `"123"`},
		{src: `Text.From(1.5)`, want: `"1.5"`},
		{src: `Text.From(true)`, want: `"true"`},
		{src: `Text.From(null)`, want: `null`},
		{src: `Text.From(#date(2024, 3, 4))`, want: `"3/4/2024"`},
		{src: `Text.From(#datetime(2024, 3, 4, 13, 5, 6))`, want: `"3/4/2024 1:05:06 PM"`},
		{src: `Text.From(#duration(1, 2, 3, 4))`, want: `"1.02:03:04"`},
		{src: `Text.From([a = 1])`, reason: "Expression.Error", msg: "We cannot convert a value of type Record to type Text."},
		{src: `Text.Length("hello")`, want: `5`},
		{src: `Text.Length("😀")`, want: `2`},
		{src: `Text.Length(null)`, want: `null`},
		{src: `Text.Replace("the quick fox", "quick", "slow")`, want: `"the slow fox"`},
		{src: `Text.Replace("aaa", "a", "b")`, want: `"bbb"`},
		{src: `Text.Combine({"a", null, "b"}, ", ")`, want: `"a, b"`},
		{src: `Text.Combine({"a", "b"})`, want: `"ab"`},
		{src: `Text.Combine({"a", 1})`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type Text."},
		{src: `Text.Contains("Hello", "ell")`, want: `true`},
		{src: `Text.Contains("Hello", "ELL")`, want: `false`},
		{src: `Text.Contains("Hello", "ELL", Comparer.OrdinalIgnoreCase)`, want: `true`},
		{src: `Text.StartsWith("Hello", "He")`, want: `true`},
		{src: `Text.EndsWith("Hello", "lo")`, want: `true`},
		{src: `Text.Split("a,b,,c", ",")`, want: `{"a", "b", "", "c"}`},
		{src: `Text.SplitAny("a,b;c", ",;")`, want: `{"a", "b", "c"}`},
		{src: `Text.Trim("  a b  ")`, want: `"a b"`},
		{src: `Text.Trim("--a--", "-")`, want: `"a"`},
		{src: `Text.TrimStart("  a ")`, want: `"a "`},
		{src: `Text.TrimEnd("/path///", "/")`, want: `"/path"`},
		{src: `Text.Lower("ABC")`, want: `"abc"`},
		{src: `Text.Upper("abc")`, want: `"ABC"`},
		{src: `Text.Proper("hello wORLD")`, want: `"Hello World"`},
		{src: `Text.Start("abcdef", 3)`, want: `"abc"`},
		{src: `Text.Start("ab", 5)`, want: `"ab"`},
		{src: `Text.End("abcdef", 2)`, want: `"ef"`},
		{src: `Text.Middle("abcdef", 2, 3)`, want: `"cde"`},
		{src: `Text.Range("abcdef", 1, 2)`, want: `"bc"`},
		{src: `Text.Range("abc", 5)`, reason: "Expression.Error", msg: "out of range"},
		{src: `Text.At("abc", 1)`, want: `"b"`},
		{src: `Text.At("abc", 3)`, reason: "Expression.Error", msg: "out of range"},
		{src: `Text.Remove("a-b_c", {"-", "_"})`, want: `"abc"`},
		{src: `Text.Insert("ac", 1, "b")`, want: `"abc"`},
		{src: `Text.PadStart("7", 3, "0")`, want: `"007"`},
		{src: `Text.PadEnd("7", 3)`, want: `"7  "`},
		{src: `Text.PositionOf("abcabc", "c")`, want: `2`},
		{src: `Text.PositionOf("abcabc", "c", Occurrence.Last)`, want: `5`},
		{src: `Text.PositionOf("abcabc", "c", Occurrence.All)`, want: `{2, 5}`},
		{src: `Text.PositionOf("abc", "z")`, want: `-1`},
		{src: `Text.BeforeDelimiter("111-222-333", "-")`, want: `"111"`},
		{src: `Text.BeforeDelimiter("111-222-333", "-", 1)`, want: `"111-222"`},
		{src: `Text.BeforeDelimiter("111-222-333", "-", {1, RelativePosition.FromEnd})`, want: `"111"`},
		{src: `Text.AfterDelimiter("111-222-333", "-")`, want: `"222-333"`},
		{src: `Text.AfterDelimiter("111-222-333", "-", {0, RelativePosition.FromEnd})`, want: `"333"`},
		{src: `Text.BetweenDelimiters("a(b)c", "(", ")")`, want: `"b"`},
		{src: `Text.Format("#{0}, #{1}", {"a", 2})`, want: `"a, 2"`},
		{src: `Text.Format("#[x]!", [x = "hi"])`, want: `"hi!"`},
		{src: `Text.NewGuid()`, want: `"00000001-0000-4000-8000-000000000001"`},
		{src: `Text.Repeat("ab", 3)`, want: `"ababab"`},
		{src: `Text.Reverse("abc")`, want: `"cba"`},
		{src: `Text.ToList("ab")`, want: `{"a", "b"}`},
		{src: `Character.FromNumber(65)`, want: `"A"`},
		{src: `Character.ToNumber("A")`, want: `65`},
	})
}

func TestLibConversions(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Number.From("12.5")`, want: `12.5`},
		{src: `Number.From("1e3")`, want: `1000`},
		{src: `Number.From(true)`, want: `1`},
		{src: `Number.From(null)`, want: `null`},
		{src: `Number.From("abc")`, reason: "DataFormat.Error", msg: "We couldn't convert to Number."},
		{src: `Number.FromText("-42")`, want: `-42`},
		{src: `Number.FromText("50%")`, want: `0.5`},
		{src: `Number.ToText(4)`, want: `"4"`},
		{src: `Number.ToText(4, "F2")`, want: `"4.00"`},
		{src: `Number.ToText(1234.5, "N1")`, want: `"1,234.5"`},
		{src: `Number.ToText(255, "X")`, want: `"FF"`},
		{src: `Number.ToText(7, "D3")`, want: `"007"`},
		{src: `Number.ToText(3.14159, "0.00")`, want: `"3.14"`},
		{src: `Number.ToText(0.25, "P0")`, want: `"25 %"`},
		{src: `Int64.From("42")`, want: `42`},
		{src: `Int64.From(2.5)`, want: `2`},
		{src: `Int64.From(3.5)`, want: `4`},
		{src: `Int32.From(1e12)`, reason: "Expression.Error", msg: "out of range"},
		{src: `Logical.From(0)`, want: `false`},
		{src: `Logical.From("TRUE")`, want: `true`},
		{src: `Logical.FromText("maybe")`, reason: "Expression.Error", msg: "We couldn't convert to Logical."},
		{src: `Logical.ToText(true)`, want: `"true"`},
	})
}

func TestLibRecord(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Record.FieldNames([a = 1, b = 2])`, want: `{"a", "b"}`},
		{src: `Record.FieldValues([a = 1, b = 2])`, want: `{1, 2}`},
		{src: `Record.FieldCount([a = 1, b = 2])`, want: `2`},
		{src: `Record.Field([a = 1], "a")`, want: `1`},
		{src: `Record.Field([a = 1], "b")`, reason: "Expression.Error", msg: "The field 'b' of the record wasn't found."},
		{src: `Record.FieldOrDefault([a = 1], "b", 0)`, want: `0`},
		{src: `Record.FieldOrDefault([a = 1], "b")`, want: `null`},
		{src: `Record.HasFields([a = 1, b = 2], {"a", "b"})`, want: `true`},
		{src: `Record.HasFields([a = 1], "b")`, want: `false`},
		{src: `Record.AddField([a = 1], "b", 2)`, want: `[a = 1, b = 2]`},
		{src: `Record.AddField([a = 1], "a", 2)`, reason: "Expression.Error", msg: "already exists"},
		{src: `Record.RemoveFields([a = 1, b = 2, c = 3], {"a", "c"})`, want: `[b = 2]`},
		{src: `Record.RemoveFields([a = 1], "z")`, reason: "Expression.Error", msg: "The field 'z' of the record wasn't found."},
		{src: `Record.RemoveFields([a = 1], "z", MissingField.Ignore)`, want: `[a = 1]`},
		{src: `Record.SelectFields([a = 1, b = 2], {"b"})`, want: `[b = 2]`},
		{src: `Record.SelectFields([a = 1], {"a", "z"}, MissingField.UseNull)`, want: `[a = 1, z = null]`},
		{src: `Record.RenameFields([a = 1, b = 2], {"a", "x"})`, want: `[x = 1, b = 2]`},
		{src: `Record.RenameFields([a = 1, b = 2], {{"a", "x"}, {"b", "y"}})`, want: `[x = 1, y = 2]`},
		{src: `Record.ReorderFields([a = 1, b = 2, c = 3], {"c", "a"})`, want: `[c = 3, b = 2, a = 1]`},
		{src: `Record.TransformFields([a = 1, b = 2], {"a", each _ * 10})`, want: `[a = 10, b = 2]`},
		{src: `Record.Combine({[a = 1], [b = 2], [a = 3]})`, want: `[a = 3, b = 2]`},
		{src: `Record.FromList({1, "x"}, {"n", "s"})`, want: `[n = 1, s = "x"]`},
		{src: `Record.FromList({1}, {"n", "s"})`, reason: "Expression.Error", msg: "must match"},
		{src: `Record.ToList([a = 1, b = 2])`, want: `{1, 2}`},
		{src: `Record.ToTable([a = 1])`, want: `#table(type table [Name = any, Value = any], {{"a", 1}})`},
		{src: `Record.FromTable(Record.ToTable([a = 1, b = 2]))`, want: `[a = 1, b = 2]`},
	})
}

func TestLibList(t *testing.T) {
	runCases(t, []evalCase{
		{src: `List.Count({1, 2, 3})`, want: `3`},
		{src: `List.First({})`, want: `null`},
		{src: `List.First({}, 0)`, want: `0`},
		{src: `List.First({4, 5})`, want: `4`},
		{src: `List.Last({4, 5})`, want: `5`},
		{src: `List.Select({1, 2, 3, 4}, each _ > 2)`, want: `{3, 4}`},
		{src: `List.Select({1}, each "x")`, reason: "Expression.Error", msg: "to type Logical"},
		{src: `List.Contains({"a", "b"}, "b")`, want: `true`},
		{src: `List.Contains({"a", "b"}, "B")`, want: `false`},
		{src: `List.Contains({"a", "b"}, "B", Comparer.OrdinalIgnoreCase)`, want: `true`},
		{src: `List.Combine({{1}, {2, 3}, {}})`, want: `{1, 2, 3}`},
		{src: `List.MatchesAny({1, 2}, each _ > 1)`, want: `true`},
		{src: `List.MatchesAll({1, 2}, each _ > 1)`, want: `false`},
		{src: `List.IsEmpty({})`, want: `true`},
		{src: `List.Accumulate({1, 2, 3}, 0, (s, x) => s + x)`, want: `6`},
		{src: `List.Generate(() => 1, each _ < 5, each _ * 2)`, want: `{1, 2, 4}`},
		{src: `List.Generate(() => [i = 0], each [i] < 3, each [i = [i] + 1], each [i] * 10)`, want: `{0, 10, 20}`},
		{src: `List.Distinct({1, 2, 1, 3})`, want: `{1, 2, 3}`},
		{src: `List.RemoveNulls({1, null, 2})`, want: `{1, 2}`},
		{src: `List.Skip({1, 2, 3})`, want: `{2, 3}`},
		{src: `List.Skip({1, 2, 3}, 2)`, want: `{3}`},
		{src: `List.FirstN({1, 2, 3}, 2)`, want: `{1, 2}`},
		{src: `List.FirstN({1, 2, 3, 1}, each _ < 3)`, want: `{1, 2}`},
		{src: `List.LastN({1, 2, 3}, 2)`, want: `{2, 3}`},
		{src: `List.Range({1, 2, 3, 4}, 1, 2)`, want: `{2, 3}`},
		{src: `List.Reverse({1, 2, 3})`, want: `{3, 2, 1}`},
		{src: `List.Sum({1, 2, 3.5})`, want: `6.5`},
		{src: `List.Sum({})`, want: `null`},
		{src: `List.Max({1, 5, 3})`, want: `5`},
		{src: `List.Min({4, 2, 8})`, want: `2`},
		{src: `List.Min({}, -1)`, want: `-1`},
		{src: `List.Average({1, 2, 3})`, want: `2`},
		{src: `List.PositionOf({"a", "b"}, "b")`, want: `1`},
		{src: `List.PositionOf({"a", "b"}, "z")`, want: `-1`},
		{src: `List.Zip({{1, 2}, {"a", "b"}})`, want: `{{1, "a"}, {2, "b"}}`},
		{src: `List.Numbers(1, 3)`, want: `{1, 2, 3}`},
		{src: `List.Numbers(0, 3, 5)`, want: `{0, 5, 10}`},
		{src: `List.Repeat({1, 2}, 2)`, want: `{1, 2, 1, 2}`},
		{src: `List.Sort({3, 1, 2})`, want: `{1, 2, 3}`},
		{src: `List.Sort({3, 1, 2}, Order.Descending)`, want: `{3, 2, 1}`},
		{src: `List.Difference({1, 2, 3}, {2})`, want: `{1, 3}`},
		{src: `List.RemoveItems({1, 2, 3, 2}, {2})`, want: `{1, 3}`},
		{src: `List.InsertRange({1, 4}, 1, {2, 3})`, want: `{1, 2, 3, 4}`},
		{src: `List.AnyTrue({false, true})`, want: `true`},
		{src: `List.AllTrue({true, false})`, want: `false`},
		{src: `List.Single({1, 2})`, reason: "Expression.Error", msg: "too many elements"},
		{src: `List.Transform(1, each _)`, reason: "Expression.Error", msg: "We cannot convert the value 1 to type List."},
		{src: `List.Transform({1}, (a, b) => a)`, reason: "Expression.Error", msg: "number of arguments"},
		{src: `Comparer.OrdinalIgnoreCase("a", "A")`, want: `0`},
		{src: `Comparer.Ordinal("a", "B")`, want: `1`},
		{src: `Comparer.Equals(Comparer.FromCulture("en-US", true), "a", "A")`, want: `true`},
	})
}

func TestLibBinaryJSONURI(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Text.FromBinary(Text.ToBinary("héllo"))`, want: `"héllo"`},
		{src: `Binary.ToList(Text.ToBinary("A", TextEncoding.Utf16))`, want: `{65, 0}`},
		{src: `Binary.ToList(Text.ToBinary("é", TextEncoding.Ascii))`, want: `{63}`},
		{src: `Binary.ToText(Text.ToBinary("hello"), BinaryEncoding.Base64)`, want: `"aGVsbG8="`},
		{src: `Binary.ToText(Text.ToBinary("hi"), BinaryEncoding.Hex)`, want: `"6869"`},
		{src: `Text.FromBinary(Binary.FromText("aGVsbG8="))`, want: `"hello"`},
		{src: `Binary.FromText("!!!")`, reason: "DataFormat.Error", msg: "Base-64"},
		{src: `Binary.Length(#binary({1, 2}))`, want: `2`},
		{src: `Binary.ToText(Crypto.CreateHash(CryptoAlgorithm.SHA256, Text.ToBinary("abc")), BinaryEncoding.Hex)`, want: `"BA7816BF8F01CFEA414140DE5DAE2223B00361A396177A9CB410FF61F20015AD"`},
		{src: `Binary.ToText(Crypto.CreateHash(CryptoAlgorithm.SHA1, Text.ToBinary("abc")), BinaryEncoding.Hex)`, want: `"A9993E364706816ABA3E25717850C26C9CD0D89D"`},
		// PKCE S256 as connectors build it (RFC 7636 appendix B vector).
		{src: `let h = Binary.ToText(Crypto.CreateHash(CryptoAlgorithm.SHA256, Text.ToBinary("dBjftJeZ4CVP-mB92K27uhbUJU1p1r_wW1gFWFOEjXk")), BinaryEncoding.Base64) in Text.Replace(Text.Replace(Text.TrimEnd(h, "="), "+", "-"), "/", "_")`, want: `"E9Melhoa2OwvFrEMTJguCHaoeK1t8URWbuGJSstw-cM"`},
		{src: `Json.Document("{""b"": 1, ""a"": [true, null, ""x""], ""c"": {""d"": 1.5}}")`, want: `[b = 1, a = {true, null, "x"}, c = [d = 1.5]]`},
		{src: `Json.Document(Text.ToBinary("[1, 2]"))`, want: `{1, 2}`},
		{src: `Json.Document("{""a"": }")`, reason: "DataFormat.Error", msg: "JSON"},
		{src: `Json.Document("[1] x")`, reason: "DataFormat.Error", msg: "JSON"},
		{src: `Text.FromBinary(Json.FromValue([a = 1, b = {"x", null, true}, c = 1.5]))`, want: `"{""a"":1,""b"":[""x"",null,true],""c"":1.5}"`},
		{src: `Text.FromBinary(Json.FromValue(#date(2024, 1, 2)))`, want: `"""2024-01-02"""`},
		{src: `Text.FromBinary(Json.FromValue("<&>"))`, want: `"""<&>"""`},
		{src: `Text.FromBinary(Json.FromValue([A = {1, true, "3"}, B = #date(2012, 3, 25)]))`, want: `"{""A"":[1,true,""3""],""B"":""2012-03-25""}"`},
		{src: `Text.FromBinary(Json.FromValue({#infinity, -#infinity, #nan}))`, want: `"[null,null,null]"`},
		{src: `Text.FromBinary(Json.FromValue({#duration(1, 2, 3, 4.5), #duration(0, 0, 0, 0)}))`, want: `"[""P1DT2H3M4.5S"",""PT0S""]"`},
		{src: `Text.FromBinary(Json.FromValue(#table({"a"}, {{1}, {2}})))`, want: `"[{""a"":1},{""a"":2}]"`},
		{src: `Json.FromValue((x) => x)`, reason: "Expression.Error", msg: "Function"},
		{src: `Uri.BuildQueryString([a = "1", b = "x y", c = "+$"])`, want: `"a=1&b=x%20y&c=%2B%24"`},
		{src: `Uri.BuildQueryString([postId = {"1", "2"}])`, want: `"postId=1&postId=2"`},
		{src: `Uri.BuildQueryString([a = 1])`, reason: "Expression.Error", msg: "to type Text"},
		{src: `Uri.EscapeDataString("a b/c")`, want: `"a%20b%2Fc"`},
		{src: `Uri.Combine("https://x.org/a/b", "c")`, want: `"https://x.org/a/c"`},
		{src: `Uri.Combine("https://x.org/a/", "/d")`, want: `"https://x.org/d"`},
		{src: `Uri.Parts("https://user:pw@www.example.com:8080/p/q?x=1&y=a%20b&x=2#frag")`, want: `[Scheme = "https", Host = "www.example.com", Port = 8080, Path = "/p/q", Query = [x = {"1", "2"}, y = "a b"], Fragment = "frag", UserName = "user", Password = "pw"]`},
		{src: `Uri.Parts("https://oauth.example/cb?code=abc&state=s1")[Query][code]`, want: `"abc"`},
		{src: `Uri.Parts("www.example.com")`, want: `[Scheme = "http", Host = "www.example.com", Port = 80, Path = "/", Query = [], Fragment = "", UserName = "", Password = ""]`},
		{src: `Uri.Parts("http://contoso?a=" & "%2Bmoney%24")[Query][a]`, want: `"+money$"`},
		{src: `Uri.Parts("https://x.org")[Port]`, want: `443`},
		{src: `Uri.Parts("not a uri")`, reason: "Expression.Error", msg: "absolute URI"},
		{src: `Uri.FromParts([Scheme = "https", Host = "x.org", Port = 443, Path = "/a", Query = [q = "1"], Fragment = ""])`, want: `"https://x.org/a?q=1"`},
	})
}

func TestLibCore(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Error.Record("R")`, want: `[Reason = "R", Message = null, Detail = null, Message.Format = null, Message.Parameters = null, ErrorCode = null]`},
		{src: `Error.Record("R", "M", [d = 1], {"p"})`, want: `[Reason = "R", Message = "M", Detail = [d = 1], Message.Format = "M", Message.Parameters = {"p"}, ErrorCode = null]`},
		{src: `Value.Equals(1, 1)`, want: `true`},
		{src: `Value.Compare(1, 2)`, want: `-1`},
		{src: `Value.Add(1, 2)`, want: `3`},
		{src: `Function.Invoke((a, b) => a + b, {1, 2})`, want: `3`},
		{src: `Function.InvokeAfter(() => DateTime.LocalNow(), #duration(0, 0, 0, 5))`, want: `#datetime(2024, 5, 6, 7, 8, 14)`},
		{src: `Function.From(type function (a as number, b as number) as number, List.Sum)(1, 2)`, want: `3`},
		{src: `Expression.Constant("a""b")`, want: `"""a""""b"""`},
		{src: `Expression.Identifier("a b")`, want: `"#""a b"""`},
		{src: `Expression.Identifier("Table.Name")`, want: `"Table.Name"`},
		{src: `Diagnostics.Trace(TraceLevel.Information, "msg", 42)`, want: `42`},
		{src: `DateTimeZone.UtcNow()`, want: `#datetimezone(2024, 5, 6, 7, 8, 9, 0, 0)`},
		{src: `#date(2024, 2, 30)`, reason: "Expression.Error", msg: "outside the range"},
		{src: `#time(24, 0, 0)`, want: `#time(0, 0, 0)`},
		{src: `#table(2, {{1, 2}})`, want: `#table(type table [Column1 = any, Column2 = any], {{1, 2}})`},
		{src: `#table({"a"}, {{1, 2}})`, reason: "Expression.Error", msg: "number of columns"},
		{src: `Extension.Contents("x.png")`, reason: "Expression.Error", msg: "wasn't found"},
		{src: `Extension.CurrentCredential()`, reason: "Expression.Error", msg: "no credential"},
		{src: `Extension.CredentialError(Credential.AccessDenied, "nope")`, want: `[Reason = "Credential.AccessDenied", Message = "nope", Detail = null, Message.Format = null, Message.Parameters = null, ErrorCode = null]`},
	})
}

func TestTraceAndPackageHooks(t *testing.T) {
	var traces []string
	h := testHost()
	h.Trace = func(level, msg string) { traces = append(traces, level+":"+msg) }
	h.Files = func(name string) ([]byte, bool) {
		if name == "client_id" {
			return []byte("abc123\n"), true
		}
		return nil, false
	}
	h.Strings = map[string]string{"ButtonTitle": "Connect"}
	h.Credential = &Credential{AuthenticationKind: "OAuth", AccessToken: "tok",
		Properties: NewRecord(Field{"refresh_token", Str("r1")})}
	th := NewThread(nil, h)
	v, err := th.EvalSource("h.pq", []byte(`{
		Diagnostics.Trace(TraceLevel.Warning, "w", 1),
		Text.Trim(Text.FromBinary(Extension.Contents("client_id"))),
		Extension.LoadString("ButtonTitle"),
		Extension.CurrentCredential()[access_token],
		Extension.CurrentCredential()[Properties][refresh_token]
	}`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		t.Fatal(err)
	}
	if got := Serialize(th, v); got != `{1, "abc123", "Connect", "tok", "r1"}` {
		t.Errorf("got %s", got)
	}
	if len(traces) != 1 || traces[0] != "Warning:w" {
		t.Errorf("traces %v", traces)
	}
}

func TestLibSplitter(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Splitter.SplitByNothing()("a,b")`, want: `{"a,b"}`},
		{src: `Splitter.SplitTextByDelimiter(",")("a,b,,c")`, want: `{"a", "b", "", "c"}`},
		{src: `Splitter.SplitTextByDelimiter(",", QuoteStyle.Csv)("a,""b,c"",d")`, want: `{"a", "b,c", "d"}`},
		{src: `Splitter.SplitTextByAnyDelimiter({",", ";"})("a,b;c")`, want: `{"a", "b", "c"}`},
		{src: `Combiner.CombineTextByDelimiter("-")({"a", "b"})`, want: `"a-b"`},
	})
}

func TestLibNumberDate(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Number.Round(2.5)`, want: `2`},
		{src: `Number.Round(3.5)`, want: `4`},
		{src: `Number.Round(1.2345, 2)`, want: `1.23`},
		{src: `Number.RoundUp(1.01)`, want: `2`},
		{src: `Number.RoundDown(-1.5)`, want: `-2`},
		{src: `Number.Mod(7, 3)`, want: `1`},
		{src: `Number.Mod(7, 0)`, reason: "Expression.Error", msg: "divide by zero"},
		{src: `Number.IntegerDivide(7, 2)`, want: `3`},
		{src: `Number.Power(2, 10)`, want: `1024`},
		{src: `Number.Abs(-3)`, want: `3`},
		{src: `Number.IsNaN(0 / 0)`, want: `true`},
		{src: `Number.BitwiseOr(5, 2)`, want: `7`},
		{src: `Number.Abs(null)`, want: `null`},
		{src: `DateTimeZone.From("2024-01-02T03:04:05+02:00")`, want: `#datetimezone(2024, 1, 2, 3, 4, 5, 2, 0)`},
		{src: `DateTime.From("2024-01-02T03:04:05")`, want: `#datetime(2024, 1, 2, 3, 4, 5)`},
		{src: `Date.From("2024-01-02")`, want: `#date(2024, 1, 2)`},
		{src: `Date.From("garbage")`, reason: "DataFormat.Error", msg: "DateTime"},
		{src: `DateTimeZone.ToUtc(#datetimezone(2024, 1, 2, 3, 0, 0, 2, 0))`, want: `#datetimezone(2024, 1, 2, 1, 0, 0, 0, 0)`},
		{src: `DateTime.ToText(#datetime(2024, 1, 2, 13, 4, 5), "yyyy-MM-ddTHH:mm:ss")`, want: `"2024-01-02T13:04:05"`},
		{src: `DateTimeZone.ToText(#datetimezone(2024, 1, 2, 3, 4, 5, -5, 0), "o")`, want: `"2024-01-02T03:04:05.0000000-05:00"`},
		{src: `Date.ToText(#date(2024, 3, 4), [Format = "dd MMM yyyy"])`, want: `"04 Mar 2024"`},
		{src: `Date.ToText(#date(2024, 3, 4))`, want: `"3/4/2024"`},
		{src: `Date.Year(#datetime(2024, 3, 4, 0, 0, 0))`, want: `2024`},
		{src: `Date.AddDays(#date(2024, 2, 28), 2)`, want: `#date(2024, 3, 1)`},
		{src: `Duration.From("1.02:03:04")`, want: `#duration(1, 2, 3, 4)`},
		{src: `DateTime.FromText("2010-12-31T01:30:25")`, want: `#datetime(2010, 12, 31, 1, 30, 25)`},
		{src: `DateTimeZone.FromText("2010-12-31T01:30:00-08:00")`, want: `#datetimezone(2010, 12, 31, 1, 30, 0, -8, 0)`},
		{src: `Date.FromText("2010-12-31")`, want: `#date(2010, 12, 31)`},
		{src: `Time.FromText("10:12:31")`, want: `#time(10, 12, 31)`},
		{src: `Time.From(#datetime(2024, 1, 1, 6, 30, 0))`, want: `#time(6, 30, 0)`},
		{src: `Duration.FromText("2.05:55:20")`, want: `#duration(2, 5, 55, 20)`},
		{src: `Duration.TotalSeconds(#duration(0, 1, 0, 0))`, want: `3600`},
		{src: `DateTimeZone.UtcNow() + #duration(0, 0, 0, Number.From("3600"))`, want: `#datetimezone(2024, 5, 6, 8, 8, 9, 0, 0)`},
	})
}

func TestCurrentCredentialRefresh(t *testing.T) {
	h := testHost()
	h.Credential = &Credential{AuthenticationKind: "OAuth", AccessToken: "old"}
	calls := 0
	h.RefreshCredential = func() (*Credential, error) {
		calls++
		return &Credential{AuthenticationKind: "OAuth", AccessToken: "new"}, nil
	}
	th := NewThread(nil, h)
	v, err := th.EvalSource("c.pq", []byte(`{Extension.CurrentCredential()[access_token], Extension.CurrentCredential(true)[access_token]}`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil || Serialize(th, v) != `{"old", "new"}` || calls != 1 {
		t.Fatalf("got %v %v, %d refreshes", Serialize(th, v), err, calls)
	}
}

func TestLibLines(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Lines.FromText("a#(cr,lf)b#(lf)c")`, want: `{"a", "b", "c"}`},
		{src: `Lines.FromText("a#(lf)b#(lf)", null, true)`, want: `{"a#(lf)", "b#(lf)"}`},
		{src: `Lines.ToText({"a", "b"})`, want: `"a#(cr)#(lf)b#(cr)#(lf)"`},
		{src: `Lines.FromBinary(Text.ToBinary("x#(lf)y"))`, want: `{"x", "y"}`},
		{src: `Text.FromBinary(Binary.Decompress(Binary.Compress(Text.ToBinary("hello"), Compression.GZip), Compression.GZip))`, want: `"hello"`},
		{src: `Text.FromBinary(Binary.Decompress(Binary.Compress(Text.ToBinary("hi"), Compression.Deflate), Compression.Deflate))`, want: `"hi"`},
		{src: `Binary.Decompress(Text.ToBinary("nope"), Compression.GZip)`, reason: "DataFormat.Error", msg: "GZip"},
	})
}

func TestLibCulture(t *testing.T) {
	runCases(t, []evalCase{
		// The function reference's Text.From examples.
		{src: `Text.From(3)`, want: `"3"`},
		{src: `Text.From(#datetime(2024, 6, 24, 14, 32, 22))`, want: `"6/24/2024 2:32:22 PM"`},
		{src: `Text.From(Binary.FromText("10FF", BinaryEncoding.Hex))`, want: `"EP8="`},
		{src: `Text.From(1.5, "en-US")`, want: `"1.5"`},
		{src: `Text.From(#datetime(2024, 6, 24, 14, 32, 22), "de-DE")`, reason: "Expression.Error", msg: "The culture 'de-DE' is not supported by the pqx evaluator"},
		{src: `Number.FromText("1,5", "fr-FR")`, reason: "Expression.Error", msg: "culture 'fr-FR'"},
	})
}
