package rules

import (
	"sync"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
)

// kindDecl is one data-source kind of a section document: the name given
// in a DataSource.Kind attribute and the member holding its kind record.
type kindDecl struct {
	name   string
	attr   *ast.Field         // the DataSource.Kind attribute (first use)
	record *ast.SectionMember // the kind record member, or nil if missing
}

// oauthFuncs are the functions of an OAuth authentication kind.
type oauthFuncs struct {
	record                         *ast.RecordExpr // the OAuth kind record, nil when found by member names
	start, finish, refresh, logout *ast.FunctionExpr
	hasRefreshField                bool // the kind record (or section) names a Refresh
}

// kinds lists the data-source kinds declared by DataSource.Kind attributes
// on section members, in source order.
func (a *analysis) kinds() []kindDecl {
	if a.section == nil {
		return nil
	}
	var out []kindDecl
	seen := map[string]bool{}
	for _, m := range a.section.Members {
		if m.Attrs == nil {
			continue
		}
		f := field(m.Attrs.Fields, "DataSource.Kind")
		if f == nil {
			continue
		}
		name, ok := a.constText(f.Value)
		if !ok || seen[name] {
			continue
		}
		seen[name] = true
		out = append(out, kindDecl{name: name, attr: f, record: a.members[name]})
	}
	return out
}

// oauth finds the OAuth functions: from the OAuth record of a kind
// record's Authentication field, or else from section members named
// StartLogin, FinishLogin, Refresh and Logout when StartLogin exists.
func (a *analysis) oauth() *oauthFuncs {
	if a.section == nil {
		return nil
	}
	// Kind records first; then any member that looks like one, for a
	// connector whose DataSource.Kind attribute is missing.
	var cands []*ast.SectionMember
	for _, k := range a.kinds() {
		if k.record != nil {
			cands = append(cands, k.record)
		}
	}
	cands = append(cands, a.section.Members...)
	for _, m := range cands {
		if _, ok := a.resolve(m.Value).(*ast.RecordExpr); !ok {
			continue
		}
		kr, _ := a.recordFields(m.Value)
		auth := field(kr, "Authentication")
		if auth == nil {
			continue
		}
		kinds, _ := a.recordFields(auth.Value)
		o := field(kinds, "OAuth")
		if o == nil {
			continue
		}
		rec, _ := a.resolve(o.Value).(*ast.RecordExpr)
		fs, _ := a.recordFields(o.Value)
		of := &oauthFuncs{record: rec}
		if f := field(fs, "StartLogin"); f != nil {
			of.start = a.function(f.Value)
		}
		if f := field(fs, "FinishLogin"); f != nil {
			of.finish = a.function(f.Value)
		}
		if f := field(fs, "Refresh"); f != nil {
			of.refresh, of.hasRefreshField = a.function(f.Value), true
		}
		if f := field(fs, "Logout"); f != nil {
			of.logout = a.function(f.Value)
		}
		return of
	}
	m := a.members["StartLogin"]
	if m == nil {
		return nil
	}
	of := &oauthFuncs{start: a.function(m.Value)}
	if m := a.members["FinishLogin"]; m != nil {
		of.finish = a.function(m.Value)
	}
	if m := a.members["Refresh"]; m != nil {
		of.refresh, of.hasRefreshField = a.function(m.Value), true
	}
	if m := a.members["Logout"]; m != nil {
		of.logout = a.function(m.Value)
	}
	return of
}

// finishParams returns FinishLogin's context parameter (by arity: the
// first of three, the third of five), and its callback URI parameter.
func finishParams(fn *ast.FunctionExpr) (context, callback *ast.Param) {
	switch len(fn.Params) {
	case 3:
		return fn.Params[0], fn.Params[1]
	case 5:
		return fn.Params[2], fn.Params[3]
	}
	return nil, nil
}

// returnedRecords returns the record expressions a function can return:
// the body followed through let, if, parentheses and identifiers.
func (a *analysis) returnedRecords(fn *ast.FunctionExpr) []*ast.RecordExpr {
	var out []*ast.RecordExpr
	steps := 0
	var walk func(e ast.Expr, depth int)
	walk = func(e ast.Expr, depth int) {
		steps++
		if depth > maxDepth || e == nil || steps > maxSteps {
			return
		}
		switch x := e.(type) {
		case *ast.RecordExpr:
			out = append(out, x)
		case *ast.ParenExpr:
			walk(x.X, depth+1)
		case *ast.LetExpr:
			walk(x.Body, depth+1)
		case *ast.IfExpr:
			walk(x.Then, depth+1)
			walk(x.Else, depth+1)
		case *ast.Ident:
			if b := a.lookup(x); b.expr != nil && b.member == nil {
				walk(b.expr, depth+1)
			}
		}
	}
	walk(fn.Body, 0)
	return out
}

// analyses caches the index of the last few documents: the rules of one
// file run one after another on the same tree, and each needs the same
// index. An analysis is read-only once built, so sharing it is safe.
var analyses struct {
	sync.Mutex
	docs [8]ast.Document
	as   [8]*analysis
	next int
}

// newPass returns the analysis of the pass's document.
func newPass(p *lint.Pass) *analysis {
	analyses.Lock()
	for i, d := range analyses.docs {
		if d == p.Doc {
			a := analyses.as[i]
			analyses.Unlock()
			return a
		}
	}
	analyses.Unlock()
	a := analyze(p.Doc)
	analyses.Lock()
	analyses.docs[analyses.next], analyses.as[analyses.next] = p.Doc, a
	analyses.next = (analyses.next + 1) % len(analyses.docs)
	analyses.Unlock()
	return a
}
