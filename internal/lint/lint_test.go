package lint

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"os"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"github.com/pqxdev/pqx/internal/m/ast"
)

// testRule flags identifiers named foo, to exercise the rule plumbing.
const testRule = "test-no-foo"

func init() {
	Register(&Rule{
		ID:          testRule,
		Severity:    Warning,
		Summary:     "test rule: no identifier foo",
		Explanation: "Used by the lint package's tests.",
		Check: func(p *Pass) {
			ast.Inspect(p.Doc, func(n ast.Node) bool {
				if id, ok := n.(*ast.Ident); ok && id.Name == "foo" {
					p.Reportf(id, "identifier foo")
				}
				return true
			})
		},
	})
}

func summarize(ds []Diagnostic) []string {
	var out []string
	for _, d := range ds {
		out = append(out, d.Pos.String()+" "+d.Severity.String()+" "+d.Rule+": "+d.Message)
	}
	return out
}

func TestRuleAndSuppression(t *testing.T) {
	src := `let
    a = foo, // pqx:ignore test-no-foo shadowed on purpose
    // pqx:ignore test-no-foo the next code line is fine

    b = foo,
    c = foo,
    d = foo // pqx:ignore test-no-foo
in
    foo // pqx:ignore no-such-rule because
`
	got := summarize(Lint("q.pq", []byte(src), Config{}))
	want := []string{
		"q.pq:6:9 warning test-no-foo: identifier foo",
		"q.pq:7:13 warning ignore-directive: pqx:ignore test-no-foo needs a reason after the rule ID",
		"q.pq:7:9 warning test-no-foo: identifier foo",
		"q.pq:9:5 warning test-no-foo: identifier foo",
		"q.pq:9:9 warning ignore-directive: pqx:ignore names unknown rule no-such-rule",
	}
	sort.Strings(want)
	sort.Strings(got)
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
}

func TestFileWideSuppressionAndDisable(t *testing.T) {
	src := "// pqx:ignore-file test-no-foo generated code\n{foo, foo}"
	if ds := Lint("g.pq", []byte(src), Config{}); len(ds) != 0 {
		t.Errorf("got %v", summarize(ds))
	}
	if ds := Lint("g.pq", []byte("{foo}"), Config{Disable: []string{testRule}}); len(ds) != 0 {
		t.Errorf("disabled rule ran: %v", summarize(ds))
	}
	if ds := Lint("g.pq", []byte("{foo}"), Config{SyntaxOnly: true}); len(ds) != 0 {
		t.Errorf("--syntax-only ran rules: %v", summarize(ds))
	}
}

func TestSyntaxErrorsNotSuppressible(t *testing.T) {
	src := "// pqx:ignore-file syntax nope\nlet a = in a"
	got := summarize(Lint("s.pq", []byte(src), Config{}))
	want := []string{"s.pq:2:9 error syntax: expected an expression, found keyword in"}
	if d := cmp.Diff(want, got); d != "" {
		t.Errorf("(-want +got):\n%s", d)
	}
	// Rules do not run on a file that does not parse.
	if ds := Lint("s.pq", []byte("{foo,"), Config{}); len(ds) != 1 || ds[0].Rule != SyntaxRule {
		t.Errorf("got %v", summarize(ds))
	}
}

func TestRegistry(t *testing.T) {
	rs := Rules()
	for i := 1; i < len(rs); i++ {
		if rs[i-1].ID >= rs[i].ID {
			t.Errorf("rules not sorted: %s, %s", rs[i-1].ID, rs[i].ID)
		}
	}
	if Lookup(SyntaxRule) == nil || Lookup("nope") != nil {
		t.Error("Lookup")
	}
	defer func() {
		if recover() == nil {
			t.Error("duplicate Register did not panic")
		}
	}()
	Register(&Rule{ID: SyntaxRule})
}

func writeFiles(t *testing.T, dir string, files map[string]string) {
	t.Helper()
	for name, content := range files {
		p := filepath.Join(dir, name)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte(content), 0o644); err != nil {
			t.Fatal(err)
		}
	}
}

func TestExpand(t *testing.T) {
	dir := t.TempDir()
	writeFiles(t, dir, map[string]string{
		"a.pq": "1", "sub/b.pqm": "2", "sub/c.query.pq": "3", "sub/readme.md": "x",
		".git/d.pq": "4", "bin/e.pq": "5", "sub/deep/f.m": "6",
	})
	got, err := Expand([]string{dir})
	if err != nil {
		t.Fatal(err)
	}
	var rel []string
	for _, g := range got {
		r, _ := filepath.Rel(dir, g)
		rel = append(rel, filepath.ToSlash(r))
	}
	want := []string{"a.pq", "sub/b.pqm", "sub/c.query.pq", "sub/deep/f.m"}
	if d := cmp.Diff(want, rel); d != "" {
		t.Errorf("dir (-want +got):\n%s", d)
	}
	got, err = Expand([]string{filepath.Join(dir, "**", "*.pq")})
	if err != nil || len(got) != 4 { // a, sub/c.query, .git/d, bin/e: globs are literal
		t.Errorf("glob: %v %v", got, err)
	}
	if _, err := Expand([]string{filepath.Join(dir, "nope.pq")}); err == nil {
		t.Error("missing file: no error")
	}
	if _, err := Expand([]string{filepath.Join(dir, "*.xyz")}); err == nil {
		t.Error("empty glob: no error")
	}
	os.Mkdir(filepath.Join(dir, "empty"), 0o755)
	if _, err := Expand([]string{filepath.Join(dir, "empty")}); err == nil {
		t.Error("folder without M files: no error")
	}
}

func TestArchive(t *testing.T) {
	dir := t.TempDir()
	var buf bytes.Buffer
	zw := zip.NewWriter(&buf)
	for name, content := range map[string]string{
		"Conn.pq":          "section Conn; shared A = 1;",
		"Helper.pqm":       "let a = in a",
		"icon.png":         "\x89PNG",
		"Space%20Name.pqm": "1",
	} {
		w, _ := zw.Create(name)
		w.Write([]byte(content))
	}
	zw.Close()
	pqx := filepath.Join(dir, "c.pqx")
	os.WriteFile(pqx, buf.Bytes(), 0o644)
	srcs, err := Load(pqx)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for _, s := range srcs {
		names = append(names, filepath.Base(s.Name))
	}
	res, err := Run([]string{pqx}, Config{})
	if err != nil {
		t.Fatal(err)
	}
	if res.Files != 3 || res.Errors() != 1 {
		t.Fatalf("files %d errors %d: %v", res.Files, res.Errors(), summarize(res.Diagnostics))
	}
	if got := res.Diagnostics[0].Pos.String(); got != pqx+"!/Helper.pqm:1:9" {
		t.Errorf("position %s", got)
	}
	found := false
	for _, s := range srcs {
		if strings.HasSuffix(s.Name, "!/Space Name.pqm") {
			found = true
		}
	}
	if !found {
		t.Errorf(".pqx part name not unescaped: %v", names)
	}
	os.WriteFile(filepath.Join(dir, "bad.mez"), []byte("not a zip"), 0o644)
	if _, err := Run([]string{filepath.Join(dir, "bad.mez")}, Config{}); err == nil {
		t.Error("bad archive: no error")
	}
}

func TestOutputs(t *testing.T) {
	res := &Result{Files: 1, Diagnostics: Lint("dir/x y.pq", []byte("[a = 1 b = 2]"), Config{})}
	var text bytes.Buffer
	WriteText(&text, res.Diagnostics)
	wantText := "dir/x y.pq:1:8: error: expected ',' or ']' in record, found identifier b [syntax]\n    [a = 1 b = 2]\n           ^\n"
	if d := cmp.Diff(wantText, text.String()); d != "" {
		t.Errorf("text (-want +got):\n%s", d)
	}

	var js bytes.Buffer
	if err := WriteJSON(&js, res); err != nil {
		t.Fatal(err)
	}
	var rep JSONReport
	if err := json.Unmarshal(js.Bytes(), &rep); err != nil {
		t.Fatal(err)
	}
	if rep.Errors != 1 || len(rep.Diagnostics) != 1 || rep.Diagnostics[0].Line != 1 || rep.Diagnostics[0].Column != 8 {
		t.Errorf("json: %s", js.String())
	}

	var sb bytes.Buffer
	if err := WriteSARIF(&sb, res, "v1.0.0"); err != nil {
		t.Fatal(err)
	}
	var log struct {
		Version string `json:"version"`
		Schema  string `json:"$schema"`
		Runs    []struct {
			ColumnKind string `json:"columnKind"`
			Tool       struct {
				Driver struct {
					Name    string `json:"name"`
					Version string `json:"version"`
					Rules   []struct {
						ID string `json:"id"`
					} `json:"rules"`
				} `json:"driver"`
			} `json:"tool"`
			Results []struct {
				RuleID    string `json:"ruleId"`
				RuleIndex int    `json:"ruleIndex"`
				Level     string `json:"level"`
				Locations []struct {
					PhysicalLocation struct {
						ArtifactLocation struct {
							URI string `json:"uri"`
						} `json:"artifactLocation"`
						Region struct {
							StartLine, StartColumn int
						} `json:"region"`
					} `json:"physicalLocation"`
				} `json:"locations"`
			} `json:"results"`
		} `json:"runs"`
	}
	if err := json.Unmarshal(sb.Bytes(), &log); err != nil {
		t.Fatal(err)
	}
	if log.Version != "2.1.0" || len(log.Runs) != 1 || log.Runs[0].ColumnKind != "unicodeCodePoints" {
		t.Fatalf("sarif: %s", sb.String())
	}
	run := log.Runs[0]
	if run.Tool.Driver.Name != "pqx" || run.Tool.Driver.Version != "v1.0.0" || len(run.Results) != 1 {
		t.Fatalf("sarif run: %+v", run)
	}
	r := run.Results[0]
	if r.RuleID != SyntaxRule || run.Tool.Driver.Rules[r.RuleIndex].ID != SyntaxRule || r.Level != "error" {
		t.Errorf("sarif result: %+v", r)
	}
	loc := r.Locations[0].PhysicalLocation
	if loc.ArtifactLocation.URI != "dir/x%20y.pq" || loc.Region.StartLine != 1 || loc.Region.StartColumn != 8 {
		t.Errorf("sarif location: %+v", loc)
	}
}
