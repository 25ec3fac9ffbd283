package eval

import "testing"

// BenchmarkListTransform maps a million numbers and sums them, forcing
// every lazy item.
func BenchmarkListTransform(b *testing.B) {
	src := []byte(`List.Sum(List.Transform(List.Numbers(1, 1000000), each _ * 2))`)
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(nil, nil)
		v, err := th.EvalSource("bench.pq", src)
		if err != nil {
			b.Fatal(err)
		}
		if n := v.(Number).F; n != 1000001000000 {
			b.Fatalf("sum %v", n)
		}
	}
}

// BenchmarkRecursion measures function calls and let evaluation.
func BenchmarkRecursion(b *testing.B) {
	src := []byte(`let fib = (n) => if n < 2 then n else @fib(n - 1) + @fib(n - 2) in fib(20)`)
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(nil, nil)
		if _, err := th.EvalSource("fib.pq", src); err != nil {
			b.Fatal(err)
		}
	}
}

// benchSection is shaped like a rendered connector: a data source function
// with a function type, a kind record with OAuth functions, a Publish record
// with icons, and helpers.
const benchSection = `[Version = "1.2.3"]
section Bench;

[DataSource.Kind = "Bench", Publish = "Bench.Publish"]
shared Bench.Contents = Value.ReplaceType(ContentsImpl, ContentsType);

ContentsType = type function (
    url as (type text meta [Documentation.FieldCaption = "Server URL", Documentation.SampleValues = {"https://cdr.example"}]),
    optional options as (type nullable record meta [Documentation.FieldCaption = "Options"])
) as table meta [Documentation.Name = "Bench", Documentation.LongDescription = "Bench connector"];

ContentsImpl = (url as text, optional options as nullable record) =>
    let
        base = Text.TrimEnd(url, "/"),
        headers = [Accept = "application/json", #"User-Agent" = "Bench/1.2.3"],
        response = Web.Contents(base, [RelativePath = "rest/v1/query", Headers = headers, ManualStatusHandling = {400, 404}])
    in
        Json.Document(response);

AuthorizeUrl = "https://idp.example/oauth2/authorize";
TokenUrl = "https://idp.example/oauth2/token";
ClientId = Text.Trim(Text.FromBinary(Extension.Contents("client_id")));
RedirectUri = "https://oauth.powerbi.com/views/oauthredirect.html";

Base64UrlEncode = (b as binary) as text =>
    Text.Replace(Text.Replace(Text.TrimEnd(Binary.ToText(b, BinaryEncoding.Base64), "="), "+", "-"), "/", "_");

StartLogin = (dataSourcePath, state, display) =>
    let
        verifier = Text.NewGuid() & Text.NewGuid(),
        challenge = Base64UrlEncode(Crypto.CreateHash(CryptoAlgorithm.SHA256, Text.ToBinary(verifier, TextEncoding.Ascii)))
    in
        [
            LoginUri = AuthorizeUrl & "?" & Uri.BuildQueryString([client_id = ClientId, response_type = "code",
                redirect_uri = RedirectUri, state = state, code_challenge = challenge, code_challenge_method = "S256"]),
            CallbackUri = RedirectUri, WindowHeight = 720, WindowWidth = 1024, Context = verifier
        ];

FinishLogin = (context, callbackUri, state) =>
    let parts = Uri.Parts(callbackUri)[Query]
    in if parts[error]? <> null then error Error.Record("OAuth", parts[error]) else TokenMethod("authorization_code", "code", parts[code], context);

Refresh = (dataSourcePath, refreshToken) => TokenMethod("refresh_token", "refresh_token", refreshToken, null);

TokenMethod = (grantType, tokenField, code, verifier) =>
    let
        body = [client_id = ClientId, grant_type = grantType, redirect_uri = RedirectUri] & Record.AddField([], tokenField, code)
            & (if verifier = null then [] else [code_verifier = verifier]),
        response = Web.Contents(TokenUrl, [Content = Text.ToBinary(Uri.BuildQueryString(body)),
            Headers = [#"Content-Type" = "application/x-www-form-urlencoded", Accept = "application/json"],
            ManualStatusHandling = {400, 401}]),
        json = Json.Document(response)
    in
        if json[error]? <> null then error Error.Record(json[error], json[error_description]?) else json;

Logout = (token) => "https://idp.example/logout";

Bench = [
    TestConnection = (dataSourcePath) => {"Bench.Contents", dataSourcePath},
    Authentication = [OAuth = [StartLogin = StartLogin, FinishLogin = FinishLogin, Refresh = Refresh, Logout = Logout, Label = Extension.LoadString("AuthLabel")]],
    Label = Extension.LoadString("DataSourceLabel")
];

Bench.Publish = [
    Beta = true,
    Category = "Other",
    ButtonText = {Extension.LoadString("ButtonTitle"), Extension.LoadString("ButtonHelp")},
    LearnMoreUrl = "https://example.org/bench",
    SourceImage = Bench.Icons,
    SourceTypeImage = Bench.Icons
];

Bench.Icons = [
    Icon16 = {Extension.Contents("Bench16.png"), Extension.Contents("Bench20.png"), Extension.Contents("Bench24.png"), Extension.Contents("Bench32.png")},
    Icon32 = {Extension.Contents("Bench32.png"), Extension.Contents("Bench40.png"), Extension.Contents("Bench48.png"), Extension.Contents("Bench64.png")}
];
`

// BenchmarkLoadSection parses and loads benchSection in a fresh
// environment and evaluates its kind, Authentication and Publish records
// and the data source function's type, as a host does per evaluation.
func BenchmarkLoadSection(b *testing.B) {
	png := []byte("\x89PNG\r\n\x1a\nfake")
	h := &Host{
		NewGuid: SequentialGuids(1),
		Files: func(name string) ([]byte, bool) {
			if name == "client_id" {
				return []byte("bench-client\n"), true
			}
			return png, true
		},
		Strings: map[string]string{"AuthLabel": "Sign in", "DataSourceLabel": "Bench", "ButtonTitle": "Bench", "ButtonHelp": "Help"},
	}
	src := []byte(benchSection)
	b.SetBytes(int64(len(src)))
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(NewEnvironment(), h)
		s, err := th.LoadSectionSource("Bench.pq", src)
		if err != nil {
			b.Fatal(err)
		}
		for _, name := range []string{"Bench", "Bench.Publish", "Bench.Contents"} {
			v, err := s.Member(th, name)
			if err == nil {
				err = th.DeepForce(v)
			}
			if err != nil {
				b.Fatal(err)
			}
		}
		start, _ := th.EvalSource("q.pq", []byte(`#sections[Bench][StartLogin]("https://cdr.example", "st", null)[LoginUri]`))
		if _, ok := start.(Text); !ok {
			b.Fatalf("StartLogin gave %v", start)
		}
	}
}
