// Package lint checks Power Query M sources: it parses them, reports syntax
// errors, and runs the registered rules over the syntax tree. Rules live in
// a registry (Register) so that later checks plug in without touching the
// driver, the output formats (text, JSON, SARIF 2.1.0) or the suppression
// comments:
//
//	x = Web.Contents(url) // pqx:ignore rule-id why this is fine here
//	// pqx:ignore rule-id reason         (applies to the next line with code)
//	// pqx:ignore-file rule-id reason    (applies to the whole file)
//
// A suppression must name a registered rule and give a reason; syntax
// errors cannot be suppressed.
package lint

import (
	"fmt"
	"sort"
	"sync"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// Severity ranks diagnostics. Any Error makes `pqx lint` fail.
type Severity int

// Severities, from most to least severe.
const (
	Error Severity = iota
	Warning
	Info
)

// String returns "error", "warning" or "info".
func (s Severity) String() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "info"
}

// sarifLevel maps the severity to a SARIF result level.
func (s Severity) sarifLevel() string {
	switch s {
	case Error:
		return "error"
	case Warning:
		return "warning"
	}
	return "note"
}

// Rule is one check. ID is stable and kebab-case (it appears in
// suppression comments and SARIF); Summary is one line; Explanation says
// why the rule exists and how to fix a finding.
type Rule struct {
	ID          string
	Severity    Severity
	Summary     string
	Explanation string
	// Check inspects one parsed file and reports findings through the
	// Pass. It runs only on files that parse without errors. A nil Check
	// marks a rule implemented by the driver itself (syntax).
	Check func(*Pass)
}

// Pass is what a rule's Check sees for one file.
type Pass struct {
	Rule     *Rule
	Fset     *token.FileSet
	File     *token.File
	Filename string
	Src      []byte
	Doc      ast.Document

	report func(Diagnostic)
}

// Report records a finding spanning [pos, end) (end may be NoPos).
func (p *Pass) Report(pos, end token.Pos, msg string) {
	d := Diagnostic{
		Rule:     p.Rule.ID,
		Severity: p.Rule.Severity,
		Message:  msg,
		Pos:      p.Fset.Position(pos),
	}
	if end.IsValid() {
		d.End = p.Fset.Position(end)
	}
	d.Line = p.File.LineText(d.Pos.Line)
	p.report(d)
}

// Reportf records a finding at the span of node n.
func (p *Pass) Reportf(n ast.Node, format string, args ...any) {
	p.Report(n.Pos(), n.End(), fmt.Sprintf(format, args...))
}

var registry = struct {
	sync.RWMutex
	rules map[string]*Rule
}{rules: map[string]*Rule{}}

// Register adds a rule to the registry; call it from an init function. It
// panics on a duplicate or empty ID, which is a programming error.
func Register(r *Rule) {
	registry.Lock()
	defer registry.Unlock()
	if r.ID == "" {
		panic("lint.Register: rule without ID")
	}
	if _, dup := registry.rules[r.ID]; dup {
		panic("lint.Register: duplicate rule " + r.ID)
	}
	registry.rules[r.ID] = r
}

// Rules returns the registered rules sorted by ID.
func Rules() []*Rule {
	registry.RLock()
	defer registry.RUnlock()
	rs := make([]*Rule, 0, len(registry.rules))
	for _, r := range registry.rules {
		rs = append(rs, r)
	}
	sort.Slice(rs, func(i, j int) bool { return rs[i].ID < rs[j].ID })
	return rs
}

// Lookup returns the rule with the given ID, or nil.
func Lookup(id string) *Rule {
	registry.RLock()
	defer registry.RUnlock()
	return registry.rules[id]
}

// Rule IDs implemented by the driver.
const (
	SyntaxRule    = "syntax"
	DirectiveRule = "ignore-directive"
)

func init() {
	Register(&Rule{
		ID:       SyntaxRule,
		Severity: Error,
		Summary:  "the source does not parse as Power Query M",
		Explanation: "The file is not valid M according to the language specification: " +
			"Power Query would refuse to load it. The message names the first problem on " +
			"the line; fix it and run pqx lint again. Syntax errors cannot be suppressed.",
	})
	Register(&Rule{
		ID:       DirectiveRule,
		Severity: Warning,
		Summary:  "a pqx:ignore comment is malformed",
		Explanation: "Suppression comments have the form `// pqx:ignore RULE reason` (the next " +
			"line with code, or the line of a trailing comment) or `// pqx:ignore-file RULE " +
			"reason`. The rule must exist and the reason must not be empty, so that every " +
			"suppression documents why the finding does not apply.",
	})
}
