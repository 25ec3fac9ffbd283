package rules

import (
	"runtime"
	"sync"

	"fmt"
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
)

// KindsRule is the ID of the cross-file rule run by CheckKinds.
const KindsRule = "PQX011"

func init() {
	lint.Register(&lint.Rule{
		ID:       KindsRule,
		Severity: lint.Error,
		Summary:  "two connectors of one project declare the same DataSource.Kind or section name",
		Explanation: "Power BI identifies a connector by its section name and a data source by " +
			"its DataSource.Kind: when two tenants' connectors of one project use the same name, " +
			"only one of them loads (Desktop warns about a duplicate and skips the other), and " +
			"credentials stored for one tenant are offered to the other. Give every tenant its " +
			"own kind and section name (pqx derives them from the tenant; set `kind:` in the " +
			"tenant file to choose one). This rule compares all files given to pqx lint, and " +
			"all tenants in pqx build.",
		// Check is nil: the rule compares several files (CheckKinds, Run).
	})
}

// Declaration is what one section document declares: its section name and
// the data-source kinds of its DataSource.Kind attributes.
type Declaration struct {
	File    string // display name
	Section Name   // zero when the document is not a section document
	Kinds   []Name
	// ignored[line] are the lines covered by pqx:ignore PQX011 comments;
	// ignoreFile is set by pqx:ignore-file PQX011.
	ignored    map[int]bool
	ignoreFile bool
	lines      []string
}

// Name is a declared name and where it is written.
type Name struct {
	Name     string
	Pos, End token.Position
}

// Declare parses a source and returns its declarations. It returns an
// error for a source that does not parse (lint reports it as a syntax
// error).
func Declare(name string, src []byte) (*Declaration, error) {
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, name, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	d := &Declaration{File: name, ignored: map[int]bool{}, lines: strings.Split(string(src), "\n")}
	sd, ok := doc.(*ast.SectionDocument)
	if !ok {
		return d, nil
	}
	d.Section = Name{Name: sd.Name.Name, Pos: fset.Position(sd.Name.Pos()), End: fset.Position(sd.Name.End())}
	a := analyze(doc)
	for _, k := range a.kinds() {
		d.Kinds = append(d.Kinds, Name{Name: k.name, Pos: fset.Position(k.attr.Value.Pos()), End: fset.Position(k.attr.Value.End())})
	}
	d.readDirectives(fset, sd.Comments)
	return d, nil
}

// readDirectives records the pqx:ignore comments naming PQX011. The
// driver checks their syntax; here only well-formed ones (rule and
// reason) count.
func (d *Declaration) readDirectives(fset *token.FileSet, comments []*ast.Comment) {
	for _, c := range comments {
		text := strings.TrimPrefix(c.Text, "//")
		text = strings.TrimSuffix(strings.TrimPrefix(text, "/*"), "*/")
		fields := strings.Fields(text)
		if len(fields) < 3 || fields[1] != KindsRule {
			continue
		}
		pos := fset.Position(c.Pos())
		switch fields[0] {
		case "pqx:ignore-file":
			d.ignoreFile = true
		case "pqx:ignore":
			line := pos.Line
			if ownLine(d.lineText(pos.Line), pos.Column) {
				// On its own line: cover the next line with code.
				line = fset.Position(c.End()).Line + 1
				for line <= len(d.lines) {
					t := strings.TrimSpace(d.lines[line-1])
					if t != "" && !strings.HasPrefix(t, "//") && !strings.HasPrefix(t, "/*") {
						break
					}
					line++
				}
			}
			d.ignored[line] = true
		}
	}
}

func (d *Declaration) suppressed(line int) bool { return d.ignoreFile || d.ignored[line] }

func (d *Declaration) lineText(line int) string {
	if line < 1 || line > len(d.lines) {
		return ""
	}
	return strings.TrimSuffix(d.lines[line-1], "\r")
}

// CheckKinds reports section names and DataSource.Kind names declared by
// more than one of decls (PQX011). Each later declaration is reported with
// the position of the first one. A name may repeat within one file (several
// functions share a kind). The result is sorted.
func CheckKinds(decls []*Declaration) []lint.Diagnostic {
	type first struct {
		decl *Declaration
		at   Name
	}
	seen := map[string]first{}
	var diags []lint.Diagnostic
	for _, d := range decls {
		if d == nil {
			continue
		}
		reported := map[string]bool{}
		// One entry per name: a kind named like its section (the usual
		// case) is one collision, not two.
		names := []Name{}
		whats := []string{}
		if d.Section.Name != "" {
			names = append(names, d.Section)
			whats = append(whats, "section name")
		}
		for _, k := range d.Kinds {
			if k.Name == d.Section.Name {
				whats[0] = "section and data source kind"
				continue
			}
			names = append(names, k)
			whats = append(whats, "data source kind")
		}
		for i, n := range names {
			f, dup := seen[n.Name]
			switch {
			case !dup:
				seen[n.Name] = first{d, n}
			case f.decl == d || reported[n.Name]:
				// Declared again in the same file: not a collision.
			default:
				reported[n.Name] = true
				if d.suppressed(n.Pos.Line) {
					continue
				}
				diags = append(diags, lint.Diagnostic{
					Rule: KindsRule, Severity: lint.Error, Pos: n.Pos, End: n.End, Line: d.lineText(n.Pos.Line),
					Message: fmt.Sprintf("%s %q is also declared by %s: each connector of a project needs its own", whats[i], n.Name, posString(f.at.Pos)),
				})
			}
		}
	}
	lint.SortDiagnostics(diags)
	return diags
}

func posString(p token.Position) string {
	return fmt.Sprintf("%s:%d:%d", p.Filename, p.Line, p.Column)
}

// CheckSources is CheckKinds over sources; sources that do not parse are
// skipped (Lint reports them).
func CheckSources(srcs []lint.Source) []lint.Diagnostic {
	var decls []*Declaration
	for _, s := range srcs {
		if d, err := Declare(s.Name, s.Content); err == nil {
			decls = append(decls, d)
		}
	}
	return CheckKinds(decls)
}

// Run is lint.Run with the cross-file rule: it expands paths, lints every
// source with cfg, then compares their declarations (PQX011) unless cfg
// disables the rule or asks for syntax only.
func Run(paths []string, cfg lint.Config) (*lint.Result, error) {
	files, err := lint.Expand(paths)
	if err != nil {
		return nil, err
	}
	var srcs []lint.Source
	for _, f := range files {
		s, err := lint.Load(f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s...)
	}
	return LintSources(srcs, cfg), nil
}

// LintSources lints each source with lint.Lint and runs the cross-file
// rule over all of them. pqx build calls it with the rendered files of all
// tenants so that a kind collision between tenants is found.
func LintSources(srcs []lint.Source, cfg lint.Config) *lint.Result {
	res := &lint.Result{Files: len(srcs)}
	kinds := !cfg.SyntaxOnly && !disabled(cfg, KindsRule)
	// Sources are independent until PQX011 compares them: lint them on
	// every core, keeping the results in source order.
	diags := make([][]lint.Diagnostic, len(srcs))
	decls := make([]*Declaration, len(srcs))
	var wg sync.WaitGroup
	sem := make(chan struct{}, runtime.GOMAXPROCS(0))
	for i, s := range srcs {
		wg.Add(1)
		sem <- struct{}{}
		go func() {
			defer func() { <-sem; wg.Done() }()
			diags[i] = lint.Lint(s.Name, s.Content, cfg)
			if kinds {
				if d, err := Declare(s.Name, s.Content); err == nil {
					decls[i] = d
				}
			}
		}()
	}
	wg.Wait()
	for _, d := range diags {
		res.Diagnostics = append(res.Diagnostics, d...)
	}
	if kinds {
		var found []*Declaration
		for _, d := range decls {
			if d != nil {
				found = append(found, d)
			}
		}
		res.Diagnostics = append(res.Diagnostics, CheckKinds(found)...)
		lint.SortDiagnostics(res.Diagnostics)
	}
	return res
}

func disabled(cfg lint.Config, id string) bool {
	for _, d := range cfg.Disable {
		if d == id {
			return true
		}
	}
	return false
}

// ownLine reports whether only blanks precede column col of line.
func ownLine(line string, col int) bool {
	r := []rune(line)
	if col-1 > len(r) {
		return false
	}
	return strings.TrimSpace(string(r[:col-1])) == ""
}

// Unit is one build target of a project, such as a tenant: its M sources
// and the rule options that apply to them (for a tenant with
// allow_insecure_http, Options{AllowHTTPHosts: []string{"*"}}).
type Unit struct {
	ID      string
	Sources []lint.Source
	Options Options
}

// LintUnits lints the sources of every unit with cfg and that unit's
// options, and runs PQX011 across all of them. It returns all findings and
// the number of errors per unit ID; pqx build stops the units with errors.
// Source names must be unique across units (prefix them with the unit).
func LintUnits(units []Unit, cfg lint.Config) (*lint.Result, map[string]int) {
	var srcs []lint.Source
	owner := map[string]string{}
	for _, u := range units {
		for _, s := range u.Sources {
			owner[s.Name] = u.ID
			srcs = append(srcs, s)
			SetFileOptions(s.Name, u.Options)
		}
	}
	defer func() {
		for name := range owner {
			ClearFileOptions(name)
		}
	}()
	res := LintSources(srcs, cfg)
	errs := map[string]int{}
	for _, d := range res.Diagnostics {
		if d.Severity == lint.Error {
			errs[owner[d.Pos.Filename]]++
		}
	}
	return res, errs
}
