package rules

import (
	"strconv"
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
)

// PowerBIRedirect is the redirect URI Power BI Desktop and the service
// watch for at the end of an OAuth sign-in.
const PowerBIRedirect = "https://oauth.powerbi.com/views/oauthredirect.html"

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX002",
		Severity: lint.Error,
		Summary:  "the PKCE verifier does not travel from StartLogin to FinishLogin through Context",
		Explanation: "Power BI runs StartLogin, FinishLogin and Refresh each in a separate M " +
			"evaluation, often in another process and, in the service, on another machine. A " +
			"section member such as `codeVerifier = Text.NewGuid() & Text.NewGuid();` is computed " +
			"anew in each: FinishLogin sends a verifier that does not match the code_challenge, " +
			"and the token request fails with invalid_grant (it may appear to work in a single " +
			"Desktop session). Create the verifier inside StartLogin (a let variable), return it " +
			"as the `Context` field of StartLogin's record, and send FinishLogin's `context` " +
			"argument as `code_verifier`.",
		Check: checkPKCEState,
	})
	lint.Register(&lint.Rule{
		ID:       "PQX004",
		Severity: lint.Error,
		Summary:  "the authorize URL built by StartLogin carries no state",
		Explanation: "StartLogin receives a `state` argument that the host generated; it must be " +
			"sent in the authorize URL (`state = state` in the query record). Power BI Desktop " +
			"ignores it, but the Power BI service requires it and rejects the sign-in without " +
			"it; it also protects the callback against cross-site request forgery. A constant " +
			"state protects nothing. Add `state = state` to the LoginUri query.",
		Check: checkState,
	})
	lint.Register(&lint.Rule{
		ID:       "PQX005",
		Severity: lint.Error,
		Summary:  "the authorize URL has no PKCE code_challenge, or code_challenge_method is missing or plain",
		Explanation: "A Power Query connector is a public OAuth client and must use PKCE (RFC 9700 " +
			"§2.1.1). `code_challenge_method` defaults to `plain` when omitted (RFC 7636 §4.3), " +
			"which sends the verifier itself through the browser, and many identity providers " +
			"reject plain or disable it by policy. Send `code_challenge` = " +
			"base64url(SHA-256(verifier)) without padding and `code_challenge_method = \"S256\"`, " +
			"computing the hash with Crypto.CreateHash(CryptoAlgorithm.SHA256, …).",
		Check: checkPKCEMethod,
	})
	lint.Register(&lint.Rule{
		ID:       "PQX009",
		Severity: lint.Error,
		Summary:  "redirect_uri or CallbackUri is not the Power BI redirect",
		Explanation: "Power BI Desktop and the service end an OAuth sign-in when the embedded " +
			"browser reaches `" + PowerBIRedirect + "`: StartLogin's CallbackUri, the " +
			"authorize request's redirect_uri and the token request's redirect_uri must all be " +
			"exactly that URL (registered with the identity provider). Any other value leaves the " +
			"sign-in window open or fails the code exchange with invalid_grant. Use the Power BI " +
			"redirect; for a deliberate exception (a private host), suppress the finding with a " +
			"reason.",
		Check: checkRedirect,
	})
}

// randomFuncs produce a new random value in every evaluation.
var randomFuncs = map[string]bool{
	"Text.NewGuid": true, "Number.Random": true, "Number.RandomBetween": true,
	"List.Random": true,
}

// randomCall returns a call of a random-value function evaluated as part
// of e itself (not inside a function body of e), or nil.
func randomCall(e ast.Expr) *ast.InvokeExpr {
	var found *ast.InvokeExpr
	inspectExprs(e, func(n ast.Node) bool {
		if found != nil {
			return false
		}
		switch x := n.(type) {
		case *ast.FunctionExpr, *ast.EachExpr:
			return false
		case *ast.InvokeExpr:
			if randomFuncs[calleeName(x)] {
				found = x
				return false
			}
		}
		return true
	})
	return found
}

func (o *oauthFuncs) flowFuncs(a *analysis) []*ast.FunctionExpr {
	seen := map[*ast.FunctionExpr]bool{}
	var out []*ast.FunctionExpr
	for _, root := range []*ast.FunctionExpr{o.start, o.finish, o.refresh} {
		for _, f := range a.reachable(root) {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	return out
}

// paramDeps returns the parameters e depends on, through let variables and
// record fields (not through section members, which cannot see
// parameters).
func (a *analysis) paramDeps(e ast.Expr) map[*ast.Param]bool {
	out := map[*ast.Param]bool{}
	seen := map[ast.Expr]bool{}
	var walk func(e ast.Node, depth int)
	walk = func(e ast.Node, depth int) {
		if depth > maxDepth {
			return
		}
		inspectExprs(e, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			b := a.lookup(id)
			switch {
			case b.param != nil:
				out[b.param] = true
			case b.expr != nil && b.member == nil && !seen[b.expr]:
				seen[b.expr] = true
				walk(b.expr, depth+1)
			}
			return true
		})
	}
	walk(e, 0)
	return out
}

func checkPKCEState(p *lint.Pass) {
	a := newPass(p)
	o := a.oauth()
	if o == nil {
		return
	}
	// (a) A random section member that the sign-in flow reads.
	reported := map[*ast.SectionMember]bool{}
	for _, fn := range o.flowFuncs(a) {
		for m, ref := range a.memberRefs(fn.Body) {
			if reported[m] {
				continue
			}
			if call := randomCall(m.Value); call != nil {
				reported[m] = true
				p.Report(m.Name.Pos(), m.Name.End(), "section member "+m.Name.Name+
					" is computed anew in every evaluation ("+calleeName(call)+"), but the sign-in flow reads it (line "+
					strconv.Itoa(p.Fset.Position(ref.Pos()).Line)+"): StartLogin and FinishLogin run in separate evaluations; "+
					"create the verifier in StartLogin and pass it through Context")
			}
		}
	}
	// (b) FinishLogin sends a code_verifier that is not its context.
	var sendsVerifier bool
	if o.finish != nil {
		ctx, _ := finishParams(o.finish)
		for _, fn := range a.reachable(o.finish) {
			inspectExprs(fn.Body, func(n ast.Node) bool {
				switch x := n.(type) {
				case *ast.Literal:
					if x.Kind == ast.Text && strings.Contains(x.Value, "code_verifier=") {
						sendsVerifier = true
					}
				case *ast.RecordExpr:
					f := field(x.Fields, "code_verifier")
					if f == nil {
						return true
					}
					sendsVerifier = true
					deps := a.paramDeps(f.Value)
					if ctx != nil && deps[ctx] {
						return true
					}
					for prm := range deps {
						if a.parent[prm] != o.finish {
							return true // a helper's parameter: decided at its call site
						}
					}
					for m := range a.memberRefs(f.Value) {
						if randomCall(m.Value) != nil {
							p.Reportf(f.Value, "code_verifier comes from section member %s, which is computed anew in FinishLogin's evaluation; send FinishLogin's context instead", m.Name.Name)
							return true
						}
					}
					if call := randomCall(a.resolve(f.Value)); call != nil {
						p.Reportf(f.Value, "code_verifier is created in FinishLogin (%s), so it cannot match the code_challenge StartLogin sent; send FinishLogin's context instead", calleeName(call))
					} else if ctx != nil {
						p.Reportf(f.Value, "code_verifier is not FinishLogin's %s argument: the verifier must come from StartLogin's Context", ctx.Name.Name)
					}
				}
				return true
			})
		}
	}
	// (c) StartLogin sends a challenge but no Context, or FinishLogin
	// never sends the verifier.
	for _, lu := range a.loginURIs(o) {
		q := a.queryOf(lu.Value)
		if !q.has("code_challenge") {
			continue
		}
		for _, r := range a.returnedRecords(o.start) {
			if field(r.Fields, "LoginUri") == nil {
				continue
			}
			c := field(r.Fields, "Context")
			var challenge, ctx derivation
			if cv := q.last("code_challenge"); cv != nil && cv.value != nil && c != nil {
				challenge, ctx = a.derive(cv.value), a.derive(c.Value)
			}
			switch {
			case len(challenge.randoms) > 0 && len(ctx.randoms) > 0 && !sharesRandom(challenge, ctx):
				p.Reportf(c.Value, "Context holds another random value than the verifier the code_challenge is made from: return that verifier")
			case c == nil:
				p.Reportf(r, "StartLogin sends a code_challenge but returns no Context: return the verifier as Context so that FinishLogin can send it")
			case isNull(c.Value) || isConst(a, c.Value):
				p.Reportf(c.Value, "StartLogin's Context is a constant: return the verifier it created, so that FinishLogin can send it")
			}
		}
		if o.finish != nil && !sendsVerifier {
			p.Reportf(a.anchor(o.finish), "StartLogin sends a code_challenge but FinishLogin never sends code_verifier: the token request will fail")
		}
		break
	}
}

func isNull(e ast.Expr) bool {
	l, ok := e.(*ast.Literal)
	return ok && l.Kind == ast.Null
}

func isConst(a *analysis, e ast.Expr) bool {
	_, ok := a.constText(e)
	return ok
}

func checkState(p *lint.Pass) {
	a := newPass(p)
	for _, lu := range a.loginURIs(a.oauth()) {
		q := a.queryOf(lu.Value)
		st := q.last("state")
		switch {
		case st == nil && q.complete:
			p.Reportf(lu.Value, "the authorize URL has no state parameter: the Power BI service requires it; add state = state (StartLogin's state argument)")
		case st != nil && st.known:
			p.Reportf(st.node, "state is the constant %q: send StartLogin's state argument", st.text)
		}
	}
}

func checkPKCEMethod(p *lint.Pass) {
	a := newPass(p)
	for _, lu := range a.loginURIs(a.oauth()) {
		q := a.queryOf(lu.Value)
		if q.last("response_type") != nil && q.last("response_type").known && q.last("response_type").text != "code" {
			continue // not the authorization code flow
		}
		m := q.last("code_challenge_method")
		switch {
		case !q.has("code_challenge"):
			if q.complete {
				p.Reportf(lu.Value, "the authorize URL sends no PKCE code_challenge: use PKCE with code_challenge_method S256")
			}
		case m == nil:
			if q.complete {
				p.Reportf(lu.Value, "code_challenge without code_challenge_method: the method defaults to plain; add code_challenge_method = \"S256\"")
			}
		case m.known && m.text != "S256":
			p.Reportf(m.node, "code_challenge_method is %q: use S256", m.text)
		case m.known:
			// S256 with a challenge that is the verifier itself: the
			// IDP compares SHA-256(verifier) with it and refuses the code.
			c := q.last("code_challenge")
			if c.value == nil {
				break
			}
			d := a.derive(c.value)
			if d.random && !d.hash && !d.opaque {
				p.Reportf(c.value, "code_challenge is the verifier itself, not its SHA-256, but the method is S256: send base64url(SHA-256(verifier)) made with Crypto.CreateHash")
			}
		}
	}
}

func checkRedirect(p *lint.Pass) {
	a := newPass(p)
	bad := func(n ast.Node, what, v string) {
		p.Reportf(n, "%s is %q, not the Power BI redirect %s", what, v, PowerBIRedirect)
	}
	reported := map[ast.Node]bool{}
	inspectExprs(p.Doc, func(n ast.Node) bool {
		r, ok := n.(*ast.RecordExpr)
		if !ok {
			return true
		}
		if f := field(r.Fields, "redirect_uri"); f != nil {
			if v, ok := a.constText(f.Value); ok && v != PowerBIRedirect {
				reported[f.Value] = true
				bad(f.Value, "redirect_uri", v)
			}
		}
		return true
	})
	o := a.oauth()
	if o == nil || o.start == nil {
		return
	}
	for _, r := range a.returnedRecords(o.start) {
		if f := field(r.Fields, "CallbackUri"); f != nil {
			if v, ok := a.constText(f.Value); ok && v != PowerBIRedirect {
				bad(f.Value, "CallbackUri", v)
			}
		}
	}
	for _, lu := range a.loginURIs(o) {
		q := a.queryOf(lu.Value)
		if rd := q.last("redirect_uri"); rd != nil && rd.known && rd.text != PowerBIRedirect && !reported[rd.node] {
			bad(lu.Value, "the authorize URL's redirect_uri", rd.text)
		}
	}
}
