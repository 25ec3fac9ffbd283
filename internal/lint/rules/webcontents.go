package rules

import (
	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX008",
		Severity: lint.Warning,
		Summary:  "Web.Contents gets a computed URL instead of a static base URL with RelativePath/Query",
		Explanation: "The Power BI service decides whether a query can be refreshed on a schedule " +
			"by looking at the URL passed to Web.Contents before running it; a URL computed by " +
			"concatenation, Uri.Combine or Text.Format, or read from a response, is a dynamic " +
			"data source and the refresh is refused (\"This dataset includes a dynamic data " +
			"source\"). It also makes credentials and privacy levels apply to a different " +
			"data-source path on each call. Pass a constant base URL as the first argument and " +
			"put the variable parts in the options: `Web.Contents(BaseUrl, [RelativePath = " +
			"\"items/\" & id, Query = [page = Text.From(n)]])`. The OAuth functions (StartLogin, " +
			"FinishLogin, Refresh and their helpers) are exempt: they run outside data refresh.",
		Check: checkWebContents,
	})
}

// computedKind says why a URL expression is computed, or "" when it is a
// constant or unknown (a parameter).
func (a *analysis) computedKind(e ast.Expr) string {
	if _, ok := a.constText(e); ok {
		return ""
	}
	r := a.resolve(e)
	if _, ok := a.constText(r); ok {
		return ""
	}
	switch x := r.(type) {
	case *ast.BinaryExpr:
		if x.Op == token.AMP {
			return "a concatenation"
		}
		return "an expression"
	case *ast.InvokeExpr:
		if name := calleeName(x); name != "" {
			return "the result of " + name
		}
		return "a function result"
	case *ast.FieldAccess, *ast.ItemAccess:
		return "a value read at run time"
	case *ast.IfExpr:
		return "a conditional expression"
	}
	return ""
}

func checkWebContents(p *lint.Pass) {
	a := newPass(p)
	exempt := map[*ast.FunctionExpr]bool{}
	if o := a.oauth(); o != nil {
		for _, f := range o.flowFuncs(a) {
			exempt[f] = true
		}
		if o.logout != nil {
			exempt[o.logout] = true
		}
	}
	inExempt := func(n ast.Node) bool {
		for p := a.parent[n]; p != nil; p = a.parent[p] {
			if f, ok := p.(*ast.FunctionExpr); ok && exempt[f] {
				return true
			}
		}
		return false
	}
	reported := map[ast.Node]bool{}
	for _, call := range calls(p.Doc, "Web.Contents") {
		if len(call.Args) == 0 || inExempt(call) {
			continue
		}
		arg := call.Args[0]
		if why := a.computedKind(arg); why != "" {
			p.Reportf(arg, "Web.Contents URL is %s: pass a static base URL and put the variable part in RelativePath or Query", why)
			continue
		}
		// A parameter: look at what the callers of its function pass.
		id, ok := a.resolve(arg).(*ast.Ident)
		if !ok {
			continue
		}
		b := a.lookup(id)
		if b.param == nil {
			continue
		}
		m := a.memberOf(b.fn)
		if m == nil || a.function(m.Value) != b.fn {
			continue
		}
		idx := -1
		for i, prm := range b.fn.Params {
			if prm == b.param {
				idx = i
			}
		}
		for _, site := range a.callSites(m.Name.Name) {
			if idx >= len(site.Args) || reported[site.Args[idx]] || inExempt(site) {
				continue
			}
			if why := a.computedKind(site.Args[idx]); why != "" {
				reported[site.Args[idx]] = true
				p.Reportf(site.Args[idx], "URL passed to Web.Contents (through %s, line %d) is %s: pass a static base URL and put the variable part in RelativePath or Query",
					m.Name.Name, p.Fset.Position(call.Pos()).Line, why)
			}
		}
	}
}

// callSites returns the calls of section member name.
func (a *analysis) callSites(name string) []*ast.InvokeExpr {
	var out []*ast.InvokeExpr
	inspectExprs(a.doc, func(n ast.Node) bool {
		c, ok := n.(*ast.InvokeExpr)
		if !ok {
			return true
		}
		if id, ok := c.Fun.(*ast.Ident); ok && id.Name == name && a.lookup(id).member != nil {
			out = append(out, c)
		}
		return true
	})
	return out
}
