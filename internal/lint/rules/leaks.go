package rules

import (
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX010",
		Severity: lint.Error,
		Summary:  "a trace or an error message includes a token or a credential",
		Explanation: "Diagnostics.Trace output goes to the Power Query trace logs that users " +
			"attach to support tickets, and error messages and details are shown in Power BI, " +
			"written to the service's refresh history and the gateway logs. An access token, " +
			"refresh token, client secret, PKCE verifier, callback URL (which holds the " +
			"authorization code) or a field of Extension.CurrentCredential() put there is a " +
			"credential leak. Trace and report what happened (status, error code, the IDP's " +
			"error_description) but never the secret itself; if a token must be identified, " +
			"log a short hash of it.",
		Check: checkLeaks,
	})
}

// sensitiveFields are normalised field names whose value is a secret.
var sensitiveFields = map[string]bool{
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "clientsecret": true,
	"codeverifier": true, "password": true, "authorization": true, "apikey": true,
	"secret": true, "token": true, "assertion": true, "clientassertion": true,
}

// sensitiveIdents are normalised variable names that hold secrets.
var sensitiveIdents = map[string]bool{
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "token": true,
	"bearertoken": true, "bearer": true, "clientsecret": true, "secret": true,
	"password": true, "codeverifier": true, "verifier": true, "apikey": true,
	"credential": true, "credentials": true, "authorization": true, "authheader": true,
}

// transparentFuncs return text that contains their arguments.
var transparentFuncs = map[string]bool{
	"Text.From": true, "Text.Combine": true, "Text.Format": true, "Text.Start": true,
	"Text.End": true, "Text.Middle": true, "Text.Range": true, "Text.Upper": true,
	"Text.Lower": true, "Text.Trim": true, "Text.Replace": true, "Text.Insert": true,
	"Json.FromValue": true, "Text.FromBinary": true, "Text.ToBinary": true,
	"Record.ToList": true, "List.Combine": true, "Uri.BuildQueryString": true,
	"Binary.ToText": true, "Record.Combine": true,
}

// leakChecker finds secrets flowing into an expression.
type leakChecker struct {
	a         *analysis
	secretPrm map[*ast.Param]string // OAuth parameters holding secrets
	// seen are the bindings already followed for the current sink; a
	// binding found clean once is clean again.
	seen map[ast.Expr]bool
	// tokenResponses are the Json.Document calls that parse a token
	// endpoint's answer in FinishLogin, Refresh and their helpers. Such a
	// record is a secret in a trace; in an error it is what the IDP said
	// instead of a token, so errors may carry it.
	tokenResponses map[*ast.InvokeExpr]bool
	trace          bool // the current sink is a trace
}

// leak returns a description of the secret that e includes, or "".
func (c *leakChecker) leak(e ast.Node, depth int) string {
	if depth > maxDepth || e == nil {
		return ""
	}
	found := ""
	inspectExprs(e, func(n ast.Node) bool {
		if found != "" {
			return false
		}
		switch x := n.(type) {
		case *ast.FunctionExpr, *ast.EachExpr:
			return false
		case *ast.FieldAccess:
			name := normName(x.Name.Name)
			if sensitiveFields[name] {
				found = "the " + x.Name.Name + " field"
				return false
			}
			if x.X != nil && (name == "key" || name == "username") {
				if call, ok := c.a.resolve(x.X).(*ast.InvokeExpr); ok && calleeName(call) == "Extension.CurrentCredential" && name == "key" {
					found = "the credential's Key"
				}
			}
			// Another field of a value is not assumed to be secret.
			return false
		case *ast.BinaryExpr:
			return x.Op == token.AMP || x.Op == token.COALESCE
		case *ast.IfExpr:
			if s := c.leak(x.Then, depth+1); s != "" {
				found = s
			} else if s := c.leak(x.Else, depth+1); s != "" {
				found = s
			}
			return false
		case *ast.InvokeExpr:
			name := calleeName(x)
			if c.trace && c.tokenResponses[x] {
				found = "the whole token response"
				return false
			}
			if name == "Extension.CurrentCredential" {
				found = "Extension.CurrentCredential()"
				return false
			}
			if !transparentFuncs[name] {
				return false
			}
			for _, arg := range x.Args {
				if s := c.leak(arg, depth+1); s != "" {
					found = s
					break
				}
			}
			return false
		case *ast.Ident:
			if sensitiveIdents[normName(x.Name)] {
				found = x.Name
				return false
			}
			b := c.a.lookup(x)
			switch {
			case b.param != nil:
				if what, ok := c.secretPrm[b.param]; ok {
					found = what
				}
			case b.expr != nil && !c.seen[b.expr]:
				c.seen[b.expr] = true
				if _, isFn := b.expr.(*ast.FunctionExpr); !isFn {
					if s := c.leak(b.expr, depth+1); s != "" {
						found = s
					}
				}
			}
			return false
		}
		return true
	})
	return found
}

func checkLeaks(p *lint.Pass) {
	a := newPass(p)
	c := &leakChecker{a: a, secretPrm: map[*ast.Param]string{}, tokenResponses: map[*ast.InvokeExpr]bool{}}
	if o := a.oauth(); o != nil {
		for _, root := range []*ast.FunctionExpr{o.finish, o.refresh} {
			for _, fn := range a.reachable(root) {
				for _, call := range calls(fn.Body, "Json.Document") {
					if len(call.Args) > 0 && len(calls(a.resolve(call.Args[0]), "Web.Contents")) > 0 {
						c.tokenResponses[call] = true
					}
				}
			}
		}
		if f := o.finish; f != nil {
			ctx, cb := finishParams(f)
			if ctx != nil {
				c.secretPrm[ctx] = "FinishLogin's context (the PKCE verifier)"
				c.secretPrm[cb] = "the callback URL (it holds the authorization code)"
			}
		}
		if f := o.refresh; f != nil && len(f.Params) >= 2 {
			c.secretPrm[f.Params[len(f.Params)-1]] = "the refresh token"
		}
		if f := o.logout; f != nil && len(f.Params) >= 1 {
			c.secretPrm[f.Params[len(f.Params)-1]] = "the access token"
		}
	}
	check := func(sink string, args ...ast.Expr) {
		c.trace = strings.HasPrefix(sink, "Diagnostics.")
		for _, arg := range args {
			c.seen = map[ast.Expr]bool{}
			if s := c.leak(arg, 0); s != "" {
				p.Reportf(arg, "%s includes %s: traces and error messages end up in logs and support tickets", sink, s)
				return
			}
		}
	}
	inspectExprs(p.Doc, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.InvokeExpr:
			switch calleeName(x) {
			case "Diagnostics.Trace":
				if len(x.Args) > 1 {
					check("Diagnostics.Trace", x.Args[1:min(len(x.Args), 3)]...)
				}
			case "Diagnostics.LogValue", "Diagnostics.LogValue2":
				check(calleeName(x), x.Args...)
			case "Error.Record":
				check("the error", x.Args...)
			case "Extension.CredentialError":
				if len(x.Args) > 1 {
					check("the credential error", x.Args[1:]...)
				}
			}
		case *ast.ErrorExpr:
			switch v := x.X.(type) {
			case *ast.RecordExpr:
				for _, f := range v.Fields {
					check("the error", f.Value)
				}
			case *ast.InvokeExpr:
				// Error.Record and friends are checked as calls.
			default:
				check("the error", x.X)
			}
		}
		return true
	})
}
