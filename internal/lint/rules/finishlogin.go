package rules

import (
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX012",
		Severity: lint.Error,
		Summary:  "FinishLogin ignores an error in the callback or in the token response",
		Explanation: "When the user cancels or the identity provider refuses the sign-in, the " +
			"callback URL carries `error` (and `error_description`) instead of `code`; a " +
			"FinishLogin that reads [code] without looking at [error] fails with an obscure " +
			"\"field 'code' not found\". Likewise a token request with ManualStatusHandling gets " +
			"the IDP's error body (`{\"error\":\"invalid_grant\"}`) as if it were a token, and " +
			"Power BI stores a credential without access_token. Check `Uri.Parts(callbackUri)" +
			"[Query][error]? <> null` first and raise `error Error.Record(...)` with the IDP's " +
			"error and error_description; after the token request check " +
			"Value.Metadata(response)[Response.Status] or the body's [error] field.",
		Check: checkFinishLogin,
	})
}

func checkFinishLogin(p *lint.Pass) {
	a := newPass(p)
	o := a.oauth()
	if o == nil || o.finish == nil {
		return
	}
	_, cb := finishParams(o.finish)
	fns := a.reachable(o.finish)
	if cb != nil {
		a.checkCallbackError(p, o, cb, fns)
	}
	for _, fn := range fns {
		for _, call := range calls(fn.Body, "Web.Contents") {
			if a.enclosingFunc(call) != fn || len(call.Args) < 2 {
				continue
			}
			opts, _ := a.recordFields(call.Args[1])
			if field(opts, "ManualStatusHandling") == nil {
				continue // the host raises an error for a failed status itself
			}
			if !checksResponse(fn) {
				p.Reportf(call, "the token response is used without checking its status or its error field: with ManualStatusHandling an error body becomes the credential")
			}
		}
	}
}

// checksResponse reports whether fn looks at a response's status or error:
// [Response.Status], [error], or Record.HasFields/FieldOrDefault with "error".
func checksResponse(fn *ast.FunctionExpr) bool {
	found := false
	inspectExprs(fn.Body, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.FieldAccess:
			if x.Name.Name == "Response.Status" || x.Name.Name == "error" {
				found = true
			}
		case *ast.Literal:
			if x.Kind == ast.Text && (x.Value == "error" || x.Value == "Response.Status") {
				found = true
			}
		}
		return !found
	})
	return found
}

// checkCallbackError reports a FinishLogin whose flow reads the callback
// URL but never looks at its error parameter.
func (a *analysis) checkCallbackError(p *lint.Pass, o *oauthFuncs, cb *ast.Param, fns []*ast.FunctionExpr) {
	// The callback URL, and helper parameters it is passed to.
	tainted := map[*ast.Param]bool{cb: true}
	for round := 0; round < 3; round++ {
		for _, fn := range fns {
			inspectExprs(fn.Body, func(n ast.Node) bool {
				c, ok := n.(*ast.InvokeExpr)
				if !ok {
					return true
				}
				callee := a.function(c.Fun)
				if callee == nil {
					return true
				}
				for i, arg := range c.Args {
					if i >= len(callee.Params) {
						break
					}
					for prm := range a.paramDeps(arg) {
						if tainted[prm] {
							tainted[callee.Params[i]] = true
						}
					}
				}
				return true
			})
		}
	}
	fromCallback := func(e ast.Expr) bool {
		for prm := range a.paramDeps(e) {
			if tainted[prm] {
				return true
			}
		}
		return false
	}
	used, checked := false, false
	for _, fn := range fns {
		inspectExprs(fn.Body, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.Ident:
				if b := a.lookup(x); b.param == cb {
					used = true
				}
			case *ast.FieldAccess:
				if x.Name.Name == "error" && x.X != nil && fromCallback(x.X) {
					checked = true
				}
			case *ast.InvokeExpr:
				// Record.FieldOrDefault(q, "error"), Record.HasFields(q, "error"),
				// Text.Contains(callbackUri, "error=").
				for _, arg := range x.Args[min(1, len(x.Args)):] {
					if s, ok := a.constText(arg); ok && (s == "error" || strings.HasPrefix(s, "error=") || strings.HasSuffix(s, "error=")) && fromCallback(x.Args[0]) {
						checked = true
					}
					if l, ok := a.resolve(arg).(*ast.ListExpr); ok {
						for _, it := range l.Items {
							if s, ok := a.constText(it); ok && s == "error" && fromCallback(x.Args[0]) {
								checked = true
							}
						}
					}
				}
			}
			return true
		})
	}
	if used && !checked {
		p.Reportf(a.anchor(o.finish), "FinishLogin reads the callback URL but never checks its error parameter: a refused or cancelled sign-in fails with an obscure message")
	}
}
