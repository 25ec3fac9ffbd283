package pqtest

import (
	"bytes"
	"context"
	"encoding/xml"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

func write(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, data := range files {
		p := filepath.Join(dir, filepath.FromSlash(name))
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(data), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestDiscover(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"b/Two.query.pq":             "2",
		"a/One.query.pq":             "1",
		"a/One.parameterquery.pq":    "1",
		"a/Skip.query.pq":            "1",
		"a/Skip.query.pq.ignore":     "",
		"a/Other.pq":                 "1",
		".hidden/Hidden.query.pq":    "1",
		"a/Nested/Deep.query.pq":     "1",
		"a/Not.query.pqout":          "1",
		"a/Fn.parameterquery.pq.bak": "",
	})
	tests, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, tc := range tests {
		rel, _ := filepath.Rel(dir, tc.Query)
		s := filepath.ToSlash(rel)
		if tc.Ignored {
			s += " (ignored)"
		}
		if tc.ParameterQuery != "" {
			s += " (param)"
		}
		got = append(got, s)
	}
	want := "a/Nested/Deep.query.pq, a/One.query.pq (param), a/Skip.query.pq (ignored), b/Two.query.pq"
	if g := strings.Join(got, ", "); g != want {
		t.Errorf("got  %s\nwant %s", g, want)
	}
	// Naming a file runs it even when ignored; other files are refused.
	tests, err = Discover([]string{filepath.Join(dir, "a/Skip.query.pq")})
	if err != nil || len(tests) != 1 || tests[0].Ignored {
		t.Errorf("explicit file: %+v, %v", tests, err)
	}
	if _, err := Discover([]string{filepath.Join(dir, "a/Other.pq")}); err == nil || !strings.Contains(err.Error(), "not a query file") {
		t.Errorf("non-query file: %v", err)
	}
}

func TestRunOutcomes(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"Same.query.pq":      `#table({"A"}, {{1}})`,
		"Same.query.pqout":   "#table(type table [A = any], {{1}})\r\n",
		"Format.query.pq":    `[D = #date(2024, 1, 2), N = 0.5]`,
		"Format.query.pqout": "[D=#date(2024,1,2),N=.5]",
		"Type.query.pq":      `#table(type table [A = number], {{1}})`,
		"Type.query.pqout":   `#table(type table [A = text], {{1}})`,
		"Err.query.pq":       `error "boom"`,
		"Err.query.pqout":    `error [Reason = "Expression.Error", Message = "boom", Detail = null, Message.Format = null, Message.Parameters = null, ErrorCode = null]`,
		"New.query.pq":       `"new"`,
		"Bad.query.pq":       `let in`,
	})
	tests, err := Discover([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	rs, err := Run(context.Background(), tests, &Options{})
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]Status{}
	for _, r := range rs {
		got[strings.TrimSuffix(filepath.Base(r.Query), ".query.pq")] = r.Status
	}
	want := map[string]Status{"Same": Passed, "Format": Passed, "Type": Failed, "Err": Passed, "New": Passed, "Bad": Error}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("%s: %s, want %s", k, got[k], v)
		}
	}
	data, err := os.ReadFile(filepath.Join(dir, "New.query.pqout"))
	if err != nil || string(data) != "\"new\"\n" {
		t.Errorf("New.query.pqout = %q, %v", data, err)
	}
	// FailOnMissingOutputFile fails instead of writing; Update writes.
	os.Remove(filepath.Join(dir, "New.query.pqout"))
	newTest, _ := Discover([]string{filepath.Join(dir, "New.query.pq")})
	rs, _ = Run(context.Background(), newTest, &Options{FailOnMissingOutputFile: true})
	if rs[0].Status != Failed || fileExists(filepath.Join(dir, "New.query.pqout")) {
		t.Errorf("fomof: %s, written %v", rs[0].Status, fileExists(filepath.Join(dir, "New.query.pqout")))
	}
	typeTest, _ := Discover([]string{filepath.Join(dir, "Type.query.pq")})
	rs, _ = Run(context.Background(), typeTest, &Options{Update: true})
	if rs[0].Status != Passed || !rs[0].Written {
		t.Errorf("update: %+v", rs[0])
	}
}

func TestTimeout(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{"Loop.query.pq": `List.Accumulate({1..2000000}, 0, (s, x) => s + x * 2)`})
	tests, _ := Discover([]string{dir})
	start := time.Now()
	rs, _ := Run(context.Background(), tests, &Options{Timeout: 50 * time.Millisecond})
	if rs[0].Status != Error || !strings.Contains(rs[0].Details, "cancelled") {
		t.Errorf("status %s (%s), want Error: cancelled", rs[0].Status, rs[0].Details)
	}
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("timeout not honoured: %v", d)
	}
}

func TestPrettyAndDiff(t *testing.T) {
	long := `#table(type table [A = number, B = text], {{1, "a,b"}, {2, "` + strings.Repeat("x", 90) + `"}, {3, "c"}})`
	want := "#table(type table [A = number, B = text], {\n  {1, \"a,b\"},\n  {2, \"" + strings.Repeat("x", 90) + "\"},\n  {3, \"c\"}\n})"
	if got := Pretty(long); got != want {
		t.Errorf("Pretty:\n%s\nwant\n%s", got, want)
	}
	if got := Pretty(`[a = 1]`); got != `[a = 1]` {
		t.Errorf("short value re-laid out: %s", got)
	}
	d := lineDiff([]string{"a", "b", "c", "d", "e", "f", "g", "h", "i"}, []string{"a", "b", "c", "d", "X", "f", "g", "h", "i"})
	want = "--- expected\n+++ actual\n  ...\n  b\n  c\n  d\n- e\n+ X\n  f\n  g\n  h\n  ...\n"
	if d != want {
		t.Errorf("lineDiff:\n%s\nwant\n%s", d, want)
	}
}

func TestReadSettings(t *testing.T) {
	dir := t.TempDir()
	write(t, dir, map[string]string{
		"ok.testsettings.json":     "\ufeff{\"ExtensionPaths\": [\"..\\\\conn\"], \"QueryFilePath\": \"q\", \"FailOnMissingOutputFile\": true}",
		"bad.testsettings.json":    "{\n  \"QueryFilePath\": 3\n}",
		"syntax.testsettings.json": "{\n  \"QueryFilePath\": \"x\",,\n}",
	})
	s, err := ReadSettings(filepath.Join(dir, "ok.testsettings.json"))
	if err != nil {
		t.Fatal(err)
	}
	if s.ExtensionPaths[0] != filepath.Join(filepath.Dir(dir), "conn") || s.QueryFilePath != filepath.Join(dir, "q") || !s.FailOnMissingOutputFile {
		t.Errorf("settings: %+v", s)
	}
	if _, err := ReadSettings(filepath.Join(dir, "bad.testsettings.json")); err == nil || !strings.Contains(err.Error(), "2:") || !strings.Contains(err.Error(), "QueryFilePath") {
		t.Errorf("type error: %v", err)
	}
	if _, err := ReadSettings(filepath.Join(dir, "syntax.testsettings.json")); err == nil || !strings.Contains(err.Error(), "2:") {
		t.Errorf("syntax error: %v", err)
	}
}

func TestReadCredential(t *testing.T) {
	dir := t.TempDir()
	cases := []struct{ json, want, err string }{
		{`{"AuthenticationKind": "OAuth2", "AuthenticationProperties": {"AccessToken": "at", "RefreshToken": "rt"}}`, "OAuth at rt", ""},
		{`{"AuthenticationKind": "UsernamePassword", "AuthenticationProperties": {"Username": "u", "Password": "p"}}`, "UsernamePassword u p", ""},
		{`{"AuthenticationKind": "Anonymous"}`, "Anonymous", ""},
		{`{"AuthenticationKind": "Key", "AuthenticationProperties": {}}`, "", "Key credential needs AuthenticationProperties.Key"},
		{`{"AuthenticationKind": "OAuth", "AuthenticationProperties": {"AccessToken": "$$ACCESS_TOKEN$$"}}`, "", "template placeholder"},
		{`{"AuthenticationKind": "Magic"}`, "", `"Magic" is not one of`},
		{`{}`, "", "AuthenticationKind is missing"},
	}
	for i, c := range cases {
		p := filepath.Join(dir, "c.json")
		write(t, dir, map[string]string{"c.json": c.json})
		cred, err := ReadCredential(p)
		if c.err != "" {
			if err == nil || !strings.Contains(err.Error(), c.err) {
				t.Errorf("%d: error %v, want %q", i, err, c.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("%d: %v", i, err)
			continue
		}
		got := cred.AuthenticationKind
		for _, s := range []string{cred.AccessToken, cred.Username, cred.Password} {
			if s != "" {
				got += " " + s
			}
		}
		if cred.Properties != nil {
			if v := cred.Properties.GetEager("refresh_token"); v != nil {
				got += " rt"
			}
		}
		if got != c.want {
			t.Errorf("%d: %q, want %q", i, got, c.want)
		}
	}
}

func TestJUnit(t *testing.T) {
	start := time.Date(2024, 1, 2, 3, 4, 5, 0, time.UTC)
	rs := []Result{
		{Test: Test{Query: "a/One.query.pq"}, Status: Passed, Start: start, Elapsed: 1500 * time.Millisecond},
		{Test: Test{Query: "a/Two.query.pq"}, Status: Failed, Details: "differs", Diff: "--- expected\n- <1>\n+ &2", Start: start},
		{Test: Test{Query: "b/Three.query.pq"}, Status: Error, Details: "b/Three.query.pq:1:1: bad\nmore", Start: start},
		{Test: Test{Query: "b/Four.query.pq"}, Status: Skipped, Details: "ignored", Start: start},
	}
	var buf bytes.Buffer
	if err := WriteJUnit(&buf, rs); err != nil {
		t.Fatal(err)
	}
	var doc struct {
		Tests    int `xml:"tests,attr"`
		Failures int `xml:"failures,attr"`
		Errors   int `xml:"errors,attr"`
		Skipped  int `xml:"skipped,attr"`
		Suites   []struct {
			Name  string `xml:"name,attr"`
			Time  string `xml:"time,attr"`
			Cases []struct {
				Name    string `xml:"name,attr"`
				Failure *struct {
					Message string `xml:"message,attr"`
					Body    string `xml:",chardata"`
				} `xml:"failure"`
				Error *struct {
					Message string `xml:"message,attr"`
				} `xml:"error"`
			} `xml:"testcase"`
		} `xml:"testsuite"`
	}
	if err := xml.Unmarshal(buf.Bytes(), &doc); err != nil {
		t.Fatalf("%v\n%s", err, buf.String())
	}
	if doc.Tests != 4 || doc.Failures != 1 || doc.Errors != 1 || doc.Skipped != 1 || len(doc.Suites) != 2 {
		t.Fatalf("counts: %+v", doc)
	}
	a := doc.Suites[0]
	if a.Name != "a" || a.Time != "1.500" || a.Cases[1].Failure == nil || a.Cases[1].Failure.Body != "--- expected\n- <1>\n+ &2" {
		t.Errorf("suite a: %+v", a)
	}
	if e := doc.Suites[1].Cases[0].Error; e == nil || e.Message != "b/Three.query.pq:1:1: bad" {
		t.Errorf("error case: %+v", e)
	}
}
