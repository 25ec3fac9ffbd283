package rules

import (
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX006",
		Severity: lint.Warning,
		Summary:  "refresh tokens are requested but not refreshed, or Refresh drops a rotated refresh_token",
		Explanation: "A connector that asks for `offline_access` (or access_type=offline) gets a " +
			"refresh token, but without a Refresh function in the OAuth kind record Power BI " +
			"cannot use it: the user must sign in again whenever the access token expires, and " +
			"scheduled refresh fails. Add `Refresh = Refresh` with a function that posts " +
			"grant_type=refresh_token. Identity providers that rotate refresh tokens (Auth0, " +
			"Okta, Keycloak, Entra) return a new one on each refresh and may revoke the old one: " +
			"Refresh must return the token response as is, keeping the old refresh_token only " +
			"when the response has none: `if token[refresh_token]? = null then token & " +
			"[refresh_token = refreshToken] else token`. A Refresh that builds its own record " +
			"without refresh_token, or always puts the old one back, loses the rotated token.",
		Check: checkRefresh,
	})
	lint.Register(&lint.Rule{
		ID:       "PQX007",
		Severity: lint.Warning,
		Summary:  "the data source kind has no TestConnection",
		Explanation: "The Power BI service and the on-premises data gateway call the kind " +
			"record's TestConnection before a scheduled refresh to check the stored credential. " +
			"Without it the data source cannot be configured for refresh in the service. Add " +
			"`TestConnection = (dataSourcePath) => {\"Kind.Contents\"}` (a list whose first item " +
			"is the name of a shared function and the rest its arguments, usually derived from " +
			"dataSourcePath with Json.Document) to the kind record.",
		Check: checkTestConnection,
	})
}

func checkTestConnection(p *lint.Pass) {
	a := newPass(p)
	for _, k := range a.kinds() {
		if k.record == nil {
			p.Reportf(k.attr.Value, "DataSource.Kind %q has no kind record: add a section member %s = [Authentication = …, TestConnection = …]", k.name, k.name)
			continue
		}
		fields, complete := a.recordFields(k.record.Value)
		if !complete && len(fields) == 0 {
			continue
		}
		if field(fields, "TestConnection") == nil && complete {
			p.Report(k.record.Name.Pos(), k.record.Name.End(), "data source kind "+k.name+" has no TestConnection: the gateway and the Power BI service cannot refresh it")
		}
	}
}

// requestsOffline reports the first text literal that asks for a refresh
// token: the offline_access scope, or access_type=offline.
func requestsOffline(a *analysis, doc ast.Node) ast.Node {
	var found ast.Node
	inspectExprs(doc, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch x := n.(type) {
		case *ast.Literal:
			if x.Kind == ast.Text {
				for _, w := range strings.FieldsFunc(x.Value, func(r rune) bool { return r == ' ' || r == '+' || r == ',' || r == '&' || r == '?' }) {
					if w == "offline_access" || w == "access_type=offline" {
						found = x
					}
				}
			}
		case *ast.RecordExpr:
			if f := field(x.Fields, "access_type"); f != nil {
				if v, ok := a.constText(f.Value); ok && v == "offline" {
					found = f.Value
				}
			}
		}
		return true
	})
	return found
}

func checkRefresh(p *lint.Pass) {
	a := newPass(p)
	o := a.oauth()
	if o == nil {
		return
	}
	if !o.hasRefreshField {
		if n := requestsOffline(a, p.Doc); n != nil {
			where := "the OAuth kind record"
			if o.record == nil {
				where = "the section"
			}
			p.Reportf(n, "a refresh token is requested (offline access) but %s has no Refresh function: users must sign in again when the access token expires", where)
		}
		return
	}
	if o.refresh == nil {
		return
	}
	// The refresh token the host passes in: the second of two parameters,
	// or oldCredential[refresh_token] of the three-parameter form.
	var rtParam *ast.Param
	switch len(o.refresh.Params) {
	case 2:
		rtParam = o.refresh.Params[1]
	case 3:
		rtParam = o.refresh.Params[2]
	}
	for _, r := range a.returnedRecords(o.refresh) {
		if field(r.Fields, "access_token") != nil && field(r.Fields, "refresh_token") == nil && !isMerged(a, r) {
			p.Reportf(r, "Refresh returns a record without refresh_token: a rotated refresh token is lost; return the token response (keeping the old refresh_token only when it has none)")
		}
	}
	inspectExprs(o.refresh.Body, func(n ast.Node) bool {
		b, ok := n.(*ast.BinaryExpr)
		if !ok || b.Op != token.AMP {
			return true
		}
		rec, ok := a.resolve(b.Y).(*ast.RecordExpr)
		if !ok {
			return true
		}
		f := field(rec.Fields, "refresh_token")
		if f == nil || rtParam == nil || !a.paramDeps(f.Value)[rtParam] {
			return true
		}
		if !guardedByRefreshCheck(a, b) {
			p.Reportf(f, "Refresh always puts the old refresh_token back over the token response: a rotated refresh token is lost; keep the old one only when the response has none")
		}
		return true
	})
}

// isMerged reports whether record r is the right operand of & (so other
// fields, possibly refresh_token, come from the left).
func isMerged(a *analysis, r *ast.RecordExpr) bool {
	b, ok := a.parent[r].(*ast.BinaryExpr)
	return ok && b.Op == token.AMP
}

// guardedByRefreshCheck reports whether n sits in a branch of an if whose
// condition looks at refresh_token (the keep-when-absent idiom).
func guardedByRefreshCheck(a *analysis, n ast.Node) bool {
	for p := a.parent[n]; p != nil; p = a.parent[p] {
		ife, ok := p.(*ast.IfExpr)
		if !ok {
			continue
		}
		mentions := false
		inspectExprs(ife.Cond, func(n ast.Node) bool {
			switch x := n.(type) {
			case *ast.FieldAccess:
				if x.Name.Name == "refresh_token" {
					mentions = true
				}
			case *ast.Literal:
				if x.Value == "refresh_token" {
					mentions = true
				}
			}
			return true
		})
		if mentions {
			return true
		}
	}
	return false
}
