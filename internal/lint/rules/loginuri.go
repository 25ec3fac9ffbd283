package rules

import (
	"net/url"
	"strings"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// queryParam is one parameter of a URL built in M.
type queryParam struct {
	node  ast.Node // where it is set: a record field or the URL expression
	value ast.Expr // the value expression of a record field, or nil
	text  string   // the value written in a literal, when known
	known bool     // text is the value
}

// urlParams is what the rules know of the query of a URL expression.
type urlParams struct {
	params map[string][]queryParam
	// complete is true when every part of the query is known, so a
	// parameter that is not in params is really absent.
	complete bool
}

func (u *urlParams) has(name string) bool { return len(u.params[name]) > 0 }

// last returns the parameter that wins (the last one set), or nil.
func (u *urlParams) last(name string) *queryParam {
	ps := u.params[name]
	if len(ps) == 0 {
		return nil
	}
	return &ps[len(ps)-1]
}

// piece is one operand of a chain of & that builds a URL.
type piece struct {
	text string
	kind int      // pieceText, pieceDynamic, pieceQuery
	rec  ast.Expr // the record of Uri.BuildQueryString
}

const (
	pieceText = iota
	pieceDynamic
	pieceQuery
)

// flatten splits a URL expression into literal text, Uri.BuildQueryString
// records and unknown parts.
func (a *analysis) flatten(e ast.Expr, depth int, budget *int) []piece {
	*budget--
	if depth > maxDepth || e == nil || *budget < 0 {
		return []piece{{kind: pieceDynamic}}
	}
	if s, ok := a.constText(e); ok {
		return []piece{{text: s}}
	}
	switch x := e.(type) {
	case *ast.ParenExpr:
		return a.flatten(x.X, depth+1, budget)
	case *ast.BinaryExpr:
		if x.Op == token.AMP {
			return append(a.flatten(x.X, depth+1, budget), a.flatten(x.Y, depth+1, budget)...)
		}
	case *ast.Ident:
		if b := a.lookup(x); b.expr != nil {
			return a.flatten(b.expr, depth+1, budget)
		}
	case *ast.InvokeExpr:
		if calleeName(x) == "Uri.BuildQueryString" && len(x.Args) == 1 {
			return []piece{{kind: pieceQuery, rec: x.Args[0]}}
		}
	}
	return []piece{{kind: pieceDynamic}}
}

// queryOf analyses the query string of the URL expression e.
func (a *analysis) queryOf(e ast.Expr) *urlParams {
	u := &urlParams{params: map[string][]queryParam{}, complete: true}
	budget := maxSteps
	pieces := a.flatten(e, 0, &budget)
	inQuery := false
	// cur accumulates the text of the current key=value segment; dyn
	// records that an unknown part fell into it.
	var cur strings.Builder
	dyn := false
	flush := func() {
		seg := cur.String()
		cur.Reset()
		d := dyn
		dyn = false
		if seg == "" && !d {
			return
		}
		k, v, hasEq := strings.Cut(seg, "=")
		if d && !hasEq || strings.ContainsRune(k, 0) {
			u.complete = false
			return
		}
		key, err := url.QueryUnescape(k)
		if err != nil {
			key = k
		}
		p := queryParam{node: e}
		if !strings.ContainsRune(v, 0) {
			if val, err := url.QueryUnescape(v); err == nil {
				p.text, p.known = val, true
			}
		}
		u.params[key] = append(u.params[key], p)
	}
	for _, pc := range pieces {
		switch pc.kind {
		case pieceText:
			s := pc.text
			if !inQuery {
				i := strings.IndexByte(s, '?')
				if i < 0 {
					continue
				}
				inQuery = true
				s = s[i+1:]
			}
			if i := strings.IndexByte(s, '#'); i >= 0 {
				s = s[:i]
			}
			for i, seg := range strings.Split(s, "&") {
				if i > 0 {
					flush()
				}
				cur.WriteString(seg)
			}
		case pieceDynamic:
			if !inQuery {
				// An unknown base URL: the query may already have begun.
				u.complete = false
				continue
			}
			cur.WriteByte(0)
			dyn = true
		case pieceQuery:
			if !inQuery {
				u.complete = false
				inQuery = true
			}
			fields, complete := a.recordFields(pc.rec)
			if !complete {
				u.complete = false
			}
			for _, f := range fields {
				u.params[f.Name.Name] = append(u.params[f.Name.Name], queryParam{node: f.Value, value: f.Value})
			}
		}
	}
	flush()
	// Resolve the text of record-field values that fold to constants.
	for name, ps := range u.params {
		for i := range ps {
			if ps[i].value != nil {
				if s, ok := a.constText(ps[i].value); ok {
					ps[i].text, ps[i].known = s, true
				}
			}
		}
		u.params[name] = ps
	}
	return u
}

// loginURIs returns the LoginUri fields of StartLogin's returned records.
func (a *analysis) loginURIs(o *oauthFuncs) []*ast.Field {
	if o == nil || o.start == nil {
		return nil
	}
	var out []*ast.Field
	for _, r := range a.returnedRecords(o.start) {
		if f := field(r.Fields, "LoginUri"); f != nil {
			out = append(out, f)
		}
	}
	return out
}
