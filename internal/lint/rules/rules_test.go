package rules

import (
	"fmt"
	"os"
	"path/filepath"
	"regexp"
	"sort"
	"strconv"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/lint"
)

// wantRE matches an expectation comment: // want:COL `message regexp`
// expects a finding of the archive's rule at column COL of that line.
var wantRE = regexp.MustCompile("// want:(\\d+) `([^`]*)`")

type want struct {
	line, col int
	msg       *regexp.Regexp
}

func wantsOf(t *testing.T, name string, src []byte) []want {
	var ws []want
	for i, line := range strings.Split(string(src), "\n") {
		for _, m := range wantRE.FindAllStringSubmatch(line, -1) {
			col, _ := strconv.Atoi(m[1])
			re, err := regexp.Compile(m[2])
			if err != nil {
				t.Fatalf("%s:%d: bad want regexp: %v", name, i+1, err)
			}
			ws = append(ws, want{i + 1, col, re})
		}
	}
	return ws
}

// TestRules runs testdata/<RULE>.txtar: every file in the archive is
// linted, and the findings of RULE must be exactly those its want comments
// name, at the exact line and column. Files whose name starts with ok_ are
// near misses and must carry no want comment.
func TestRules(t *testing.T) {
	archives, err := filepath.Glob(filepath.Join("testdata", "PQX*.txtar"))
	if err != nil {
		t.Fatal(err)
	}
	defer func() {
		if len(archives) < 12 {
			t.Errorf("only %d rule archives in testdata", len(archives))
		}
	}()
	for _, path := range archives {
		rule := strings.TrimSuffix(filepath.Base(path), ".txtar")
		t.Run(rule, func(t *testing.T) {
			if lint.Lookup(rule) == nil {
				t.Fatalf("rule %s is not registered", rule)
			}
			ar, err := txtar.ParseFile(path)
			if err != nil {
				t.Fatal(err)
			}
			var srcs []lint.Source
			for _, f := range ar.Files {
				srcs = append(srcs, lint.Source{Name: f.Name, Content: f.Data})
			}
			res := LintSources(srcs, lint.Config{})
			bad := 0
			for _, f := range ar.Files {
				ws := wantsOf(t, f.Name, f.Data)
				if strings.HasPrefix(f.Name, "ok_") && len(ws) > 0 {
					t.Errorf("%s: a near miss must not expect findings", f.Name)
				}
				bad += len(ws)
				var got []lint.Diagnostic
				for _, d := range res.Diagnostics {
					if d.Pos.Filename == f.Name && d.Rule == rule {
						got = append(got, d)
					}
					if d.Pos.Filename == f.Name && d.Rule == lint.SyntaxRule {
						t.Errorf("%s: snippet does not parse: %s", posOf(d), d.Message)
					}
				}
				compare(t, f.Name, ws, got)
			}
			if bad == 0 {
				t.Errorf("%s has no snippet that triggers the rule", path)
			}
		})
	}
}

func posOf(d lint.Diagnostic) string {
	return fmt.Sprintf("%s:%d:%d", d.Pos.Filename, d.Pos.Line, d.Pos.Column)
}

func compare(t *testing.T, name string, ws []want, got []lint.Diagnostic) {
	t.Helper()
	used := make([]bool, len(got))
	for _, w := range ws {
		found := false
		for i, d := range got {
			if !used[i] && d.Pos.Line == w.line && d.Pos.Column == w.col {
				used[i] = true
				found = true
				if !w.msg.MatchString(d.Message) {
					t.Errorf("%s: message %q does not match %q", posOf(d), d.Message, w.msg)
				}
				break
			}
		}
		if !found {
			t.Errorf("%s:%d:%d: missing finding matching %q", name, w.line, w.col, w.msg)
		}
	}
	var extra []string
	for i, d := range got {
		if !used[i] {
			extra = append(extra, posOf(d)+": "+d.Message)
		}
	}
	sort.Strings(extra)
	for _, e := range extra {
		t.Errorf("unexpected finding %s", e)
	}
}

// TestRegistry checks that every rule of the package has what --explain,
// --list-rules and SARIF show.
func TestRegistry(t *testing.T) {
	for i := 1; i <= 12; i++ {
		id := fmt.Sprintf("PQX%03d", i)
		r := lint.Lookup(id)
		if r == nil {
			t.Errorf("%s not registered", id)
			continue
		}
		if r.Summary == "" || len(r.Explanation) < 200 {
			t.Errorf("%s: summary or explanation missing or too short", id)
		}
		if (r.Check == nil) != (id == KindsRule) {
			t.Errorf("%s: only %s is checked across files", id, KindsRule)
		}
	}
}

var _ = os.ReadFile
