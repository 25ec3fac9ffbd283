package lint

import (
	"errors"
	"sort"
	"strings"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

// Diagnostic is one finding.
type Diagnostic struct {
	Rule     string
	Severity Severity
	Pos      token.Position // start (Filename is the display name)
	End      token.Position // end, or zero when unknown
	Message  string
	Line     string // text of the source line at Pos, for a caret display
}

// Config selects what Lint checks.
type Config struct {
	// SyntaxOnly reports syntax errors only and runs no rules.
	SyntaxOnly bool
	// Disable lists rule IDs not to run.
	Disable []string
}

func (c Config) disabled(id string) bool {
	for _, d := range c.Disable {
		if d == id {
			return true
		}
	}
	return false
}

// Lint checks one source. name is the display name used in positions.
// Diagnostics come back sorted by position.
func Lint(name string, src []byte, cfg Config) []Diagnostic {
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	var diags []Diagnostic
	if err != nil {
		var list scanner.ErrorList
		if !errors.As(err, &list) {
			return []Diagnostic{{Rule: SyntaxRule, Severity: Error, Pos: token.Position{Filename: name}, Message: err.Error()}}
		}
		for _, e := range list {
			diags = append(diags, Diagnostic{Rule: SyntaxRule, Severity: Error, Pos: e.Pos, Message: e.Msg, Line: e.Line})
		}
		return diags
	}
	if cfg.SyntaxOnly {
		return nil
	}
	file := fset.File(doc.Pos())
	if file == nil {
		// An empty document has no position; rules have nothing to check.
		return nil
	}
	sup, dirDiags := parseDirectives(file, doc.CommentList())
	diags = append(diags, dirDiags...)
	for _, r := range Rules() {
		if r.Check == nil || cfg.disabled(r.ID) {
			continue
		}
		pass := &Pass{Rule: r, Fset: fset, File: file, Filename: name, Src: src, Doc: doc}
		pass.report = func(d Diagnostic) {
			if !sup.suppressed(d.Rule, d.Pos.Line) {
				diags = append(diags, d)
			}
		}
		r.Check(pass)
	}
	SortDiagnostics(diags)
	return diags
}

// SortDiagnostics sorts by file, line, column, rule and message.
func SortDiagnostics(ds []Diagnostic) {
	sort.SliceStable(ds, func(i, j int) bool {
		a, b := ds[i], ds[j]
		if a.Pos.Filename != b.Pos.Filename {
			return a.Pos.Filename < b.Pos.Filename
		}
		if a.Pos.Line != b.Pos.Line {
			return a.Pos.Line < b.Pos.Line
		}
		if a.Pos.Column != b.Pos.Column {
			return a.Pos.Column < b.Pos.Column
		}
		if a.Rule != b.Rule {
			return a.Rule < b.Rule
		}
		return a.Message < b.Message
	})
}

// suppressions records pqx:ignore directives of one file.
type suppressions struct {
	file  map[string]bool
	lines map[int]map[string]bool
}

func (s suppressions) suppressed(rule string, line int) bool {
	if rule == SyntaxRule || rule == DirectiveRule {
		return false
	}
	return s.file[rule] || s.lines[line][rule]
}

// parseDirectives reads `pqx:ignore` and `pqx:ignore-file` comments. A
// trailing directive covers its own line; a directive alone on its line
// covers the next line that holds code (not a comment or blank).
func parseDirectives(file *token.File, comments []*ast.Comment) (suppressions, []Diagnostic) {
	sup := suppressions{file: map[string]bool{}, lines: map[int]map[string]bool{}}
	var diags []Diagnostic
	commentLines := map[int]bool{}
	for _, c := range comments {
		commentLines[file.Position(c.Pos()).Line] = true
	}
	for _, c := range comments {
		text := c.Text
		if c.IsLine() {
			text = text[2:]
		} else {
			text = strings.TrimSuffix(text[2:], "*/")
		}
		text = strings.TrimSpace(text)
		var fileWide bool
		switch {
		case strings.HasPrefix(text, "pqx:ignore-file"):
			fileWide = true
			text = text[len("pqx:ignore-file"):]
		case strings.HasPrefix(text, "pqx:ignore"):
			text = text[len("pqx:ignore"):]
		default:
			continue
		}
		pos := file.Position(c.Pos())
		bad := func(msg string) {
			diags = append(diags, Diagnostic{Rule: DirectiveRule, Severity: Warning, Pos: pos, Message: msg, Line: file.LineText(pos.Line)})
		}
		if text != "" && text[0] != ' ' && text[0] != '\t' {
			bad("malformed directive: want `pqx:ignore RULE reason`")
			continue
		}
		fields := strings.Fields(text)
		if len(fields) == 0 {
			bad("pqx:ignore needs a rule ID and a reason")
			continue
		}
		id := fields[0]
		switch {
		case id == SyntaxRule:
			bad("syntax errors cannot be suppressed")
			continue
		case Lookup(id) == nil:
			bad("pqx:ignore names unknown rule " + id)
			continue
		case len(fields) < 2:
			bad("pqx:ignore " + id + " needs a reason after the rule ID")
			continue
		}
		if fileWide {
			sup.file[id] = true
			continue
		}
		line := pos.Line
		if own := ownLine(file, c); own {
			// Cover the next line that holds code.
			line = file.Position(c.End()).Line + 1
			for line <= file.LineCount() && (strings.TrimSpace(file.LineText(line)) == "" || commentLines[line] && startsWithComment(file.LineText(line))) {
				line++
			}
		}
		if sup.lines[line] == nil {
			sup.lines[line] = map[string]bool{}
		}
		sup.lines[line][id] = true
	}
	return sup, diags
}

// ownLine reports whether only whitespace precedes comment c on its line.
func ownLine(file *token.File, c *ast.Comment) bool {
	pos := file.Position(c.Pos())
	line := []rune(file.LineText(pos.Line))
	if pos.Column-1 > len(line) {
		return false
	}
	return strings.TrimSpace(string(line[:pos.Column-1])) == ""
}

func startsWithComment(s string) bool {
	s = strings.TrimSpace(s)
	return strings.HasPrefix(s, "//") || strings.HasPrefix(s, "/*")
}

// CountBySeverity returns the number of errors and warnings in ds.
func CountBySeverity(ds []Diagnostic) (errors, warnings int) {
	for _, d := range ds {
		switch d.Severity {
		case Error:
			errors++
		case Warning:
			warnings++
		}
	}
	return
}
