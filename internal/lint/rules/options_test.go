package rules

import (
	"bytes"
	"fmt"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/lint"
)

func findings(name, src, rule string) []lint.Diagnostic {
	var out []lint.Diagnostic
	for _, d := range lint.Lint(name, []byte(src), lint.Config{}) {
		if d.Rule == rule {
			out = append(out, d)
		}
	}
	return out
}

// TestInsecureOptions checks the PQX003 options: loopback by default,
// hosts allowed for every file or for one file (a tenant in pqx build).
func TestInsecureOptions(t *testing.T) {
	const src = `section S; A = "http://cdr.lab.example/v1"; B = "http://127.0.0.1:8080/";`
	if n := len(findings("s.pq", src, "PQX003")); n != 1 {
		t.Fatalf("default: %d findings, want 1 (loopback accepted)", n)
	}
	SetFileOptions("tenant.pq", Options{AllowHTTPHosts: []string{"CDR.lab.example"}})
	defer ClearFileOptions("tenant.pq")
	if n := len(findings("tenant.pq", src, "PQX003")); n != 0 {
		t.Errorf("host allowed for tenant.pq: %d findings", n)
	}
	if n := len(findings("other.pq", src, "PQX003")); n != 1 {
		t.Errorf("the allowance of tenant.pq leaked to other.pq: %d findings", n)
	}
	SetFileOptions("strict.pq", Options{DenyLoopbackHTTP: true})
	defer ClearFileOptions("strict.pq")
	if n := len(findings("strict.pq", src, "PQX003")); n != 2 {
		t.Errorf("loopback denied: %d findings, want 2", n)
	}
	SetOptions(Options{AllowHTTPHosts: []string{"*"}})
	defer SetOptions(Options{})
	if n := len(findings("any.pq", src, "PQX003")); n != 0 {
		t.Errorf("* allows every host: %d findings", n)
	}
}

func TestSelect(t *testing.T) {
	ruleIDs := func() []string {
		var ids []string
		for _, r := range lint.Rules() {
			ids = append(ids, r.ID)
		}
		return ids
	}()
	running := func(disable []string) []string {
		var on []string
		for _, id := range ruleIDs {
			if !slices.Contains(disable, id) {
				on = append(on, id)
			}
		}
		return on
	}
	for _, tc := range []struct {
		spec string
		want []string // rules that run
		err  string
	}{
		{spec: "PQX001,pqx004", want: []string{"PQX001", "PQX004", lint.DirectiveRule, lint.SyntaxRule}},
		{spec: "-PQX008", want: slices.DeleteFunc(slices.Clone(ruleIDs), func(s string) bool { return s == "PQX008" })},
		{spec: "all,-PQX003", want: slices.DeleteFunc(slices.Clone(ruleIDs), func(s string) bool { return s == "PQX003" })},
		{spec: "", want: ruleIDs},
		{spec: "PQX001,nope", err: `unknown rule "nope"`},
		{spec: "-syntax", err: "syntax errors cannot be disabled"},
		{spec: "-all", err: "-all"},
	} {
		disable, err := Select(tc.spec)
		if tc.err != "" {
			if err == nil || !strings.Contains(err.Error(), tc.err) {
				t.Errorf("Select(%q) error = %v, want %q", tc.spec, err, tc.err)
			}
			continue
		}
		if err != nil {
			t.Errorf("Select(%q): %v", tc.spec, err)
			continue
		}
		got := running(disable)
		want := slices.Clone(tc.want)
		slices.Sort(got)
		slices.Sort(want)
		if !slices.Equal(got, want) {
			t.Errorf("Select(%q) runs %v, want %v", tc.spec, got, want)
		}
	}
}

func TestExplain(t *testing.T) {
	var buf bytes.Buffer
	if err := Explain(&buf, "pqx005"); err != nil {
		t.Fatal(err)
	}
	out := buf.String()
	if !strings.HasPrefix(out, "PQX005 (error): ") || !strings.Contains(out, "S256") {
		t.Errorf("Explain output:\n%s", out)
	}
	for _, line := range strings.Split(out, "\n")[1:] {
		if len(line) > 80 {
			t.Errorf("line longer than 80 columns: %q", line)
		}
	}
	if err := Explain(&buf, "PQX404"); err == nil {
		t.Error("Explain of an unknown rule succeeded")
	}
}

// corpus returns the M sources of testdata and the rendered default
// connector, for the fuzz seeds and the benchmark.
func corpus(tb testing.TB) [][]byte {
	tb.Helper()
	var out [][]byte
	archives, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	for _, path := range archives {
		data, err := os.ReadFile(path)
		if err != nil {
			tb.Fatal(err)
		}
		for _, f := range txtar.Parse(data).Files {
			out = append(out, f.Data)
		}
	}
	return out
}

// FuzzRules runs every rule on arbitrary input: a rule must never panic or
// loop, whatever the parser accepts.
func FuzzRules(f *testing.F) {
	for _, src := range corpus(f) {
		f.Add(src)
	}
	f.Fuzz(func(t *testing.T, src []byte) {
		if len(src) > 1<<14 {
			return
		}
		lint.Lint("f.pq", src, lint.Config{})
		CheckSources([]lint.Source{{Name: "a.pq", Content: src}, {Name: "b.pq", Content: src}})
	})
}

// BenchmarkDefaultConnector lints the rendered section document of every
// tenant of the default connector with all rules, as pqx build does.
func BenchmarkDefaultConnector(b *testing.B) {
	srcs := renderDefaultB(b)
	var size int64
	for _, s := range srcs {
		size += int64(len(s.Content))
	}
	b.SetBytes(size)
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		if res := LintSources(srcs, lint.Config{}); len(res.Diagnostics) != 0 {
			b.Fatal(res.Diagnostics[0].Message)
		}
	}
}

// TestPathological feeds the rules sources built to make a naive folder
// exponential or cyclic; they must finish quickly and report nothing odd.
func TestPathological(t *testing.T) {
	var b strings.Builder
	b.WriteString("section P;\n[DataSource.Kind = \"P\"]\nshared P.Contents = () => Web.Contents(a40);\na0 = \"https://x.example.org/\";\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "a%d = a%d & a%d;\n", i, i-1, i-1)
	}
	b.WriteString("F = Value.ReplaceType(F, type function () as any);\nG = H meta [];\nH = G meta [];\n")
	b.WriteString("P = [TestConnection = (p) => {\"P.Contents\"}, Authentication = [OAuth = [StartLogin = F, FinishLogin = G, Refresh = H]]];\n")
	b.WriteString("StartLogin = (u, s, d) => [LoginUri = a40 & \"?state=\" & s & \"&\" & Uri.BuildQueryString(q40), Context = error (\"x\" & a40)];\nq0 = [state = 1];\n")
	for i := 1; i <= 40; i++ {
		fmt.Fprintf(&b, "q%d = if true then q%d else q%d;\n", i, i-1, i-1)
	}
	done := make(chan []lint.Diagnostic)
	go func() { done <- lint.Lint("p.pq", []byte(b.String()), lint.Config{}) }()
	select {
	case ds := <-done:
		for _, d := range ds {
			if d.Rule == lint.SyntaxRule {
				t.Fatalf("test source does not parse: %s", d.Message)
			}
		}
	case <-time.After(20 * time.Second):
		t.Fatal("rules did not finish on a doubling chain of bindings")
	}
}
