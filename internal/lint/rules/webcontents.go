package rules

import (
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX008",
		Severity: lint.Warning,
		Summary:  "Web.Contents gets a computed URL instead of a static base URL with RelativePath/Query",
		Explanation: "Power BI matches credentials, privacy levels and scheduled refresh to the URL " +
			"passed to Web.Contents. A URL computed by concatenation, Uri.Combine or Text.Format, " +
			"or read from a response (a next-page link), is a dynamic data source: the service " +
			"cannot analyse it before running the query and may refuse to refresh it (\"This " +
			"dataset includes a dynamic data source\"), and each distinct URL can ask for its " +
			"own credential. Pass a constant base URL as the first argument and put the " +
			"variable parts in the options: `Web.Contents(BaseUrl, [RelativePath = \"items/\" " +
			"& id, Query = [page = Text.From(n)]])`. A host name built only from the data source " +
			"function's own arguments (part of the data source path) is accepted, and so are the OAuth " +
			"functions (StartLogin, FinishLogin, Refresh and their helpers), which run outside " +
			"data refresh.",
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
	// A host built only from the data source function's own arguments
	// ("https://" & server & "/api") is the data source path itself: Power
	// BI keys credentials and refresh on those arguments, and a varying
	// host cannot move into RelativePath.
	ds := a.dataSourceParams()
	dsOnly := func(e ast.Expr) bool {
		deps := a.paramDeps(e)
		if len(deps) == 0 {
			return false
		}
		for prm := range deps {
			if !ds[prm] {
				return false
			}
		}
		// Only a varying host is exempt: once the host is complete, the
		// rest belongs in RelativePath and Query.
		budget := maxSteps
		prefix := ""
		for _, pc := range a.flatten(e, 0, &budget) {
			if pc.kind != pieceText {
				break
			}
			prefix += pc.text
		}
		if _, rest, ok := strings.Cut(prefix, "://"); !ok || strings.ContainsAny(rest, "/?#") {
			return false
		}
		dynamic := false
		inspectExprs(a.resolve(e), func(n ast.Node) bool {
			switch n.(type) {
			case *ast.FieldAccess, *ast.ItemAccess, *ast.InvokeExpr:
				dynamic = true
			}
			return !dynamic
		})
		return !dynamic
	}
	reported := map[ast.Node]bool{}
	for _, call := range calls(p.Doc, "Web.Contents") {
		if len(call.Args) == 0 || inExempt(call) {
			continue
		}
		arg := call.Args[0]
		if why := a.computedKind(arg); why != "" && !dsOnly(arg) {
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
			if why := a.computedKind(site.Args[idx]); why != "" && !dsOnly(site.Args[idx]) {
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

// dataSourceParams returns the parameters of the data source functions:
// shared members with a DataSource.Kind attribute.
func (a *analysis) dataSourceParams() map[*ast.Param]bool {
	out := map[*ast.Param]bool{}
	if a.section == nil {
		return out
	}
	for _, m := range a.section.Members {
		if m.Attrs == nil || field(m.Attrs.Fields, "DataSource.Kind") == nil {
			continue
		}
		if fn := a.function(m.Value); fn != nil {
			for _, p := range fn.Params {
				out[p] = true
			}
		}
	}
	return out
}
