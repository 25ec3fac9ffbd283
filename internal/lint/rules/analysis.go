package rules

import (
	"strings"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// maxDepth bounds the resolution of identifiers through bindings, so that a
// cyclic definition (which M rejects at run time) cannot loop the folder.
const maxDepth = 24

// analysis is the per-file index the rules share: parent links for scope
// lookups and the section members by name.
type analysis struct {
	doc     ast.Document
	parent  map[ast.Node]ast.Node
	members map[string]*ast.SectionMember
	section *ast.SectionDocument
}

func analyze(doc ast.Document) *analysis {
	a := &analysis{doc: doc, parent: map[ast.Node]ast.Node{}, members: map[string]*ast.SectionMember{}}
	var stack []ast.Node
	ast.Inspect(doc, func(n ast.Node) bool {
		if n == nil {
			stack = stack[:len(stack)-1]
			return true
		}
		if len(stack) > 0 {
			a.parent[n] = stack[len(stack)-1]
		}
		stack = append(stack, n)
		return true
	})
	if sd, ok := doc.(*ast.SectionDocument); ok {
		a.section = sd
		for _, m := range sd.Members {
			if _, dup := a.members[m.Name.Name]; !dup {
				a.members[m.Name.Name] = m
			}
		}
	}
	return a
}

// binding is what an identifier refers to. Exactly one of expr (a let
// variable, record field or section member value) and param is set, or
// neither for a library name such as Text.NewGuid.
type binding struct {
	expr   ast.Expr
	member *ast.SectionMember // set when the binding is a section member
	param  *ast.Param
	fn     *ast.FunctionExpr // the function declaring param
	each   *ast.EachExpr     // for _ inside each
}

// lookup resolves an identifier in expression position by M's scoping
// rules: let variables and record fields see their siblings but not
// themselves (that needs @), function parameters, then section members.
func (a *analysis) lookup(id *ast.Ident) binding {
	name := id.Name
	var child ast.Node = id
	for n := a.parent[id]; n != nil; child, n = n, a.parent[n] {
		switch n := n.(type) {
		case *ast.LetExpr:
			for _, f := range n.Vars {
				if f.Name.Name == name && (f != child || id.IsInclusive()) {
					return binding{expr: f.Value}
				}
			}
		case *ast.RecordExpr:
			if a.isAttrs(n) {
				continue
			}
			for _, f := range n.Fields {
				if f.Name.Name == name && (f != child || id.IsInclusive()) {
					return binding{expr: f.Value}
				}
			}
		case *ast.FunctionExpr:
			for _, p := range n.Params {
				if p.Name.Name == name {
					return binding{param: p, fn: n}
				}
			}
		case *ast.EachExpr:
			if name == "_" {
				return binding{each: n}
			}
		}
	}
	if m, ok := a.members[name]; ok {
		return binding{expr: m.Value, member: m}
	}
	return binding{}
}

// resolve follows identifiers and parentheses to the expression they stand
// for. It stops at parameters and unknown names, returning the last
// expression reached.
func (a *analysis) resolve(e ast.Expr) ast.Expr {
	for i := 0; i < maxDepth; i++ {
		switch x := e.(type) {
		case *ast.ParenExpr:
			e = x.X
		case *ast.Ident:
			b := a.lookup(x)
			if b.expr == nil {
				return e
			}
			e = b.expr
		default:
			return e
		}
	}
	return e
}

// constText folds e to a text value if it is built only from text
// literals, &, Text.Combine over constants and identifiers bound to such
// expressions.
func (a *analysis) constText(e ast.Expr) (string, bool) {
	budget := maxSteps
	return a.foldText(e, 0, &budget)
}

// maxSteps bounds the work of one folding or flattening: a chain of
// bindings that each use the previous one twice would otherwise cost time
// exponential in its length.
const maxSteps = 4096

func (a *analysis) foldText(e ast.Expr, depth int, budget *int) (string, bool) {
	*budget--
	if depth > maxDepth || e == nil || *budget < 0 {
		return "", false
	}
	switch x := e.(type) {
	case *ast.Literal:
		if x.Kind == ast.Text {
			return x.Value, true
		}
	case *ast.ParenExpr:
		return a.foldText(x.X, depth+1, budget)
	case *ast.Ident:
		b := a.lookup(x)
		if b.expr != nil {
			return a.foldText(b.expr, depth+1, budget)
		}
	case *ast.BinaryExpr:
		if x.Op == token.AMP {
			l, ok1 := a.foldText(x.X, depth+1, budget)
			r, ok2 := a.foldText(x.Y, depth+1, budget)
			if ok1 && ok2 {
				return l + r, true
			}
		}
	case *ast.InvokeExpr:
		if calleeName(x) == "Text.Combine" && len(x.Args) >= 1 {
			list, ok := a.resolve(x.Args[0]).(*ast.ListExpr)
			if !ok {
				return "", false
			}
			sep := ""
			if len(x.Args) > 1 {
				s, ok := a.foldText(x.Args[1], depth+1, budget)
				if !ok {
					return "", false
				}
				sep = s
			}
			var parts []string
			for _, it := range list.Items {
				s, ok := a.foldText(it, depth+1, budget)
				if !ok {
					return "", false
				}
				parts = append(parts, s)
			}
			return strings.Join(parts, sep), true
		}
	}
	return "", false
}

// calleeName returns the dotted name of the called function when it is a
// plain identifier (Web.Contents, Text.NewGuid), else "".
func calleeName(call *ast.InvokeExpr) string {
	if id, ok := call.Fun.(*ast.Ident); ok {
		return id.Name
	}
	return ""
}

// recordFields returns the fields of the record value e when it can be
// seen statically: a record expression, & of records, an if whose branches
// are records (fields of both), or an identifier bound to one. complete is
// false when part of the value is unknown (a parameter, a function call),
// so a field may exist that is not listed.
func (a *analysis) recordFields(e ast.Expr) (fields []*ast.Field, complete bool) {
	complete = true
	steps := 0
	var walk func(e ast.Expr, depth int)
	walk = func(e ast.Expr, depth int) {
		steps++
		if depth > maxDepth || e == nil || steps > maxSteps {
			complete = false
			return
		}
		switch x := e.(type) {
		case *ast.RecordExpr:
			fields = append(fields, x.Fields...)
		case *ast.ParenExpr:
			walk(x.X, depth+1)
		case *ast.Ident:
			b := a.lookup(x)
			if b.expr == nil {
				complete = false
				return
			}
			walk(b.expr, depth+1)
		case *ast.BinaryExpr:
			switch x.Op {
			case token.AMP:
				walk(x.X, depth+1)
				walk(x.Y, depth+1)
			case token.META:
				walk(x.X, depth+1)
			default:
				complete = false
			}
		case *ast.IfExpr:
			walk(x.Then, depth+1)
			walk(x.Else, depth+1)
		case *ast.LetExpr:
			walk(x.Body, depth+1)
		default:
			complete = false
		}
	}
	walk(e, 0)
	return fields, complete
}

// field returns the last field named name among fields (the one that wins
// in a record merge), or nil.
func field(fields []*ast.Field, name string) *ast.Field {
	var found *ast.Field
	for _, f := range fields {
		if f.Name.Name == name {
			found = f
		}
	}
	return found
}

// inspectExprs visits the expression nodes under n, skipping identifiers
// that are not references: field names in records and field accesses,
// parameter names, section member names and type positions. f returning
// false prunes the subtree.
func inspectExprs(n ast.Node, f func(ast.Node) bool) {
	ast.Inspect(n, func(n ast.Node) bool {
		if n == nil {
			return false
		}
		switch x := n.(type) {
		case *ast.Field:
			inspectExprs(x.Value, f)
			return false
		case *ast.SectionMember:
			inspectExprs(x.Value, f)
			return false
		case *ast.FieldAccess:
			if !f(x) {
				return false
			}
			if x.X != nil {
				inspectExprs(x.X, f)
			}
			return false
		case *ast.ProjectionExpr:
			if !f(x) {
				return false
			}
			if x.X != nil {
				inspectExprs(x.X, f)
			}
			return false
		case *ast.FunctionExpr:
			if !f(x) {
				return false
			}
			inspectExprs(x.Body, f)
			return false
		case *ast.Param, *ast.FieldSpec, *ast.TypeExpr:
			return false
		case *ast.SectionAccess:
			f(x)
			return false
		}
		return f(n)
	})
}

// calls returns the calls of the library function name under n.
func calls(n ast.Node, name string) []*ast.InvokeExpr {
	var out []*ast.InvokeExpr
	inspectExprs(n, func(n ast.Node) bool {
		if c, ok := n.(*ast.InvokeExpr); ok && calleeName(c) == name {
			out = append(out, c)
		}
		return true
	})
	return out
}

// function resolves e to a function expression (a member, a variable or
// an inline function), or nil.
func (a *analysis) function(e ast.Expr) *ast.FunctionExpr {
	if e == nil {
		return nil
	}
	e = a.resolve(e)
	for i := 0; i < maxDepth; i++ {
		// Value.ReplaceType(Impl, type) and `f meta [...]` keep f.
		switch x := e.(type) {
		case *ast.InvokeExpr:
			if calleeName(x) == "Value.ReplaceType" && len(x.Args) == 2 {
				e = a.resolve(x.Args[0])
				continue
			}
		case *ast.BinaryExpr:
			if x.Op == token.META {
				e = a.resolve(x.X)
				continue
			}
		case *ast.FunctionExpr:
			return x
		}
		return nil
	}
	return nil // a cycle such as F = Value.ReplaceType(F, t)
}

// reachable returns fn and the section member functions it calls or
// refers to, transitively, in discovery order.
func (a *analysis) reachable(fn *ast.FunctionExpr) []*ast.FunctionExpr {
	if fn == nil {
		return nil
	}
	seen := map[*ast.FunctionExpr]bool{fn: true}
	out := []*ast.FunctionExpr{fn}
	for i := 0; i < len(out); i++ {
		inspectExprs(out[i].Body, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			b := a.lookup(id)
			if b.member == nil {
				return true
			}
			if f := a.function(b.expr); f != nil && !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
			return true
		})
	}
	return out
}

// memberRefs returns the section members that the expression e refers to
// directly or through let variables and member values, transitively, but
// not through function bodies (a function is a value, not a computation).
func (a *analysis) memberRefs(e ast.Node) map[*ast.SectionMember]*ast.Ident {
	out := map[*ast.SectionMember]*ast.Ident{}
	var walk func(n ast.Node, depth int)
	walk = func(n ast.Node, depth int) {
		if depth > maxDepth {
			return
		}
		inspectExprs(n, func(n ast.Node) bool {
			id, ok := n.(*ast.Ident)
			if !ok {
				return true
			}
			b := a.lookup(id)
			if b.member != nil {
				if _, done := out[b.member]; !done {
					out[b.member] = id
					if _, isFn := b.expr.(*ast.FunctionExpr); !isFn {
						walk(b.expr, depth+1)
					}
				}
			}
			return true
		})
	}
	walk(e, 0)
	return out
}

// enclosingFunc returns the innermost function expression around n, or nil.
func (a *analysis) enclosingFunc(n ast.Node) *ast.FunctionExpr {
	for p := a.parent[n]; p != nil; p = a.parent[p] {
		if f, ok := p.(*ast.FunctionExpr); ok {
			return f
		}
	}
	return nil
}

// memberOf returns the section member whose value contains n, or nil.
func (a *analysis) memberOf(n ast.Node) *ast.SectionMember {
	for p := a.parent[n]; p != nil; p = a.parent[p] {
		if m, ok := p.(*ast.SectionMember); ok {
			return m
		}
	}
	return nil
}

// normName lower-cases a name and drops '_', '-', '.' and spaces, so that
// client_secret, clientSecret and Client-Secret compare equal.
func normName(s string) string {
	var b strings.Builder
	for _, r := range strings.ToLower(s) {
		switch r {
		case '_', '-', '.', ' ':
			continue
		}
		b.WriteRune(r)
	}
	return b.String()
}

// anchor returns the node to report a finding about function fn at: the
// name of the section member that defines it, or the function itself.
func (a *analysis) anchor(fn *ast.FunctionExpr) ast.Node {
	if m := a.memberOf(fn); m != nil && a.function(m.Value) == fn {
		return m.Name
	}
	return fn
}

// isAttrs reports whether r is the attribute record of a section member or
// of the section (not a value).
func (a *analysis) isAttrs(r *ast.RecordExpr) bool {
	switch p := a.parent[r].(type) {
	case *ast.SectionMember:
		return p.Attrs == r
	case *ast.SectionDocument:
		return p.Attrs == r
	}
	return false
}
