package eval

import (
	"math"
	"strconv"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// scope is one frame of lexical bindings. Record fields and let variables
// see their siblings but not themselves (exclude), unless written @name.
type scope struct {
	names   []string
	vals    []*Lazy
	exclude int // index hidden from non-inclusive lookups; -1 for none
	parent  *scope
	global  *Environment   // set on the root scope only
	index   map[string]int // built on first lookup in large frames
}

func (s *scope) lookup(name string, inclusive bool) *Lazy {
	for ; s != nil; s = s.parent {
		if len(s.names) > 16 {
			if s.index == nil {
				s.index = make(map[string]int, len(s.names))
				for i, n := range s.names {
					s.index[n] = i
				}
			}
			if i, ok := s.index[name]; ok && (i != s.exclude || inclusive) {
				return s.vals[i]
			}
		} else {
			for i := len(s.names) - 1; i >= 0; i-- {
				if s.names[i] == name {
					if i == s.exclude && !inclusive {
						break
					}
					return s.vals[i]
				}
			}
		}
		if s.global != nil {
			return s.global.lookup(name)
		}
	}
	return nil
}

// env returns the global environment at the root of the scope chain.
func (s *scope) env() *Environment {
	for ; s != nil; s = s.parent {
		if s.global != nil {
			return s.global
		}
	}
	return nil
}

// frame1 is the scope of a one-parameter call, allocated as one block.
type frame1 struct {
	sc   scope
	l    Lazy
	vals [1]*Lazy
}

// Eval evaluates expr in scope of the thread's global environment.
func (th *Thread) Eval(expr ast.Expr) (Value, error) {
	return th.eval(expr, th.env.root)
}

// evalWithRecord evaluates expr with the fields of rec as its only
// environment (Expression.Evaluate semantics): the library is visible only
// through rec.
func (th *Thread) evalWithRecord(expr ast.Expr, rec *Record) (Value, error) {
	iso := th.env.isolated()
	sc := &scope{names: rec.Names(), vals: rec.vals, exclude: -1, parent: iso.root}
	return th.eval(expr, sc)
}

func (th *Thread) pos(p token.Pos) string {
	if th.fset == nil || !p.IsValid() {
		return "-"
	}
	return th.fset.Position(p).String()
}

func (th *Thread) eval(e ast.Expr, sc *scope) (Value, error) {
	v, err := th.eval0(e, sc)
	if err != nil {
		if me, ok := err.(*Error); ok && me.Origin == "" {
			// The innermost expression that fails is where the error was
			// raised; a memoised error keeps its first origin.
			me.Origin = th.pos(e.Pos())
		}
	}
	return v, err
}

func (th *Thread) eval0(e ast.Expr, sc *scope) (Value, error) {
	if err := th.step(); err != nil {
		return nil, err
	}
	switch x := e.(type) {
	case *ast.Literal:
		if v, ok := th.literals[x]; ok {
			return v, nil
		}
		v, err := evalLiteral(x)
		if err == nil {
			if th.literals == nil {
				th.literals = map[*ast.Literal]Value{}
			}
			th.literals[x] = v
		}
		return v, err
	case *ast.Ident:
		return th.evalIdent(x, sc)
	case *ast.ParenExpr:
		return th.eval(x.X, sc)
	case *ast.ListExpr:
		return th.evalList(x, sc)
	case *ast.RecordExpr:
		return th.evalRecord(x, sc), nil
	case *ast.LetExpr:
		inner := th.bindFields(x.Vars, sc)
		if dupName(inner.names) {
			return nil, Errorf("A variable is defined more than once in the let expression at %s.", th.pos(x.Let))
		}
		return th.eval(x.Body, inner)
	case *ast.IfExpr:
		c, err := th.eval(x.Cond, sc)
		if err != nil {
			return nil, err
		}
		b, ok := c.(Logical)
		if !ok {
			return nil, typeErr(c, "logical")
		}
		if b.B {
			return th.eval(x.Then, sc)
		}
		return th.eval(x.Else, sc)
	case *ast.EachExpr:
		return th.closure(&ast.FunctionExpr{Params: []*ast.Param{{Name: &ast.Ident{Name: "_"}}}, Body: x.Body}, sc)
	case *ast.FunctionExpr:
		return th.closure(x, sc)
	case *ast.InvokeExpr:
		return th.evalInvoke(x, sc)
	case *ast.FieldAccess:
		return th.evalFieldAccess(x, sc)
	case *ast.ProjectionExpr:
		return th.evalProjection(x, sc)
	case *ast.ItemAccess:
		return th.evalItemAccess(x, sc)
	case *ast.UnaryExpr:
		return th.evalUnary(x, sc)
	case *ast.BinaryExpr:
		return th.evalBinary(x, sc)
	case *ast.TypeExpr:
		return th.evalType(x.X, sc)
	case *ast.TryExpr:
		return th.evalTry(x, sc)
	case *ast.ErrorExpr:
		v, err := th.eval(x.X, sc)
		if err != nil {
			return nil, err
		}
		me, err := errorFromValue(th, v)
		if err != nil {
			return nil, err
		}
		return nil, me
	case *ast.NotImplemented:
		return nil, NewError("Expression.Error", "Not Implemented")
	case *ast.SectionAccess:
		env := sc.env()
		if env == nil {
			env = th.env
		}
		return env.sectionMember(th, x.Section.Name, x.Member.Name)
	case *ast.PrimitiveType, *ast.NullableType, *ast.ListType, *ast.RecordType, *ast.TableType, *ast.FunctionType:
		return th.evalType(x, sc)
	case *ast.RangeExpr:
		return nil, Errorf("a range is only allowed inside a list")
	case *ast.BadExpr:
		return nil, NewError("Expression.SyntaxError", "Invalid expression.")
	}
	return nil, Errorf("unsupported expression %T", e)
}

func evalLiteral(x *ast.Literal) (Value, error) {
	switch x.Kind {
	case ast.Null:
		return NullValue, nil
	case ast.Logical:
		return Bool(x.Value == "true"), nil
	case ast.Text, ast.Verbatim:
		return Str(x.Value), nil
	case ast.Number:
		f, err := parseNumberLiteral(x.Raw)
		if err != nil {
			return nil, NewError("Expression.SyntaxError", "Invalid number literal "+x.Raw+".")
		}
		return Num(f), nil
	}
	return nil, Errorf("unknown literal %q", x.Raw)
}

func parseNumberLiteral(raw string) (float64, error) {
	switch raw {
	case "#infinity":
		return math.Inf(1), nil
	case "#nan":
		return math.NaN(), nil
	}
	if len(raw) > 2 && raw[0] == '0' && (raw[1] == 'x' || raw[1] == 'X') {
		u, err := strconv.ParseUint(raw[2:], 16, 64)
		return float64(u), err
	}
	return strconv.ParseFloat(raw, 64)
}

func (th *Thread) evalIdent(x *ast.Ident, sc *scope) (Value, error) {
	if l := sc.lookup(x.Name, x.IsInclusive()); l != nil {
		return th.force(l)
	}
	env := sc.env()
	if env == nil {
		env = th.env
	}
	switch x.Name {
	case "#shared":
		return env.sharedRecord(), nil
	case "#sections":
		return env.sectionsRecord(), nil
	}
	if isLibraryName(x.Name) && !env.noLib {
		return nil, Unsupported(x.Name)
	}
	return nil, NewErrorDetail("Expression.Error", "The name '"+x.Name+"' wasn't recognized.  Make sure it's spelled correctly.", NullValue)
}

// force evaluates a lazy entry, counting it against the depth bound so
// chains of deferred values cannot exhaust the Go stack.
func (th *Thread) force(l *Lazy) (Value, error) {
	if l.state == lazyDone {
		return l.result()
	}
	if err := th.enter(); err != nil {
		return nil, err
	}
	v, err := l.Force(th)
	th.leave()
	return v, err
}

// bindFields makes the lazy scope of a let or record: every entry sees all
// siblings except itself.
func (th *Thread) bindFields(fields []*ast.Field, sc *scope) *scope {
	names := make([]string, len(fields))
	vals := make([]*Lazy, len(fields))
	for i, f := range fields {
		names[i] = f.Name.Name
	}
	var index map[string]int // shared by the sibling scopes of a large frame
	if len(fields) > 16 {
		index = make(map[string]int, len(fields))
		for i, n := range names {
			index[n] = i
		}
	}
	for i, f := range fields {
		own := &scope{names: names, vals: vals, exclude: i, parent: sc, index: index}
		expr := f.Value
		vals[i] = Defer(func(th *Thread) (Value, error) { return th.eval(expr, own) })
	}
	return &scope{names: names, vals: vals, exclude: -1, parent: sc, index: index}
}

func (th *Thread) evalRecord(x *ast.RecordExpr, sc *scope) Value {
	inner := th.bindFields(x.Fields, sc)
	r := &Record{names: inner.names, vals: inner.vals}
	if dupName(inner.names) {
		// Duplicate field names are a static error in M; report it on use.
		r = NewRecord()
		for i, n := range inner.names {
			if r.Has(n) {
				name := n
				r.set(n, Defer(func(*Thread) (Value, error) {
					return nil, Errorf("The field '%s' is defined more than once.", name)
				}))
				continue
			}
			r.set(n, inner.vals[i])
		}
	}
	return r
}

func dupName(names []string) bool {
	if len(names) < 2 {
		return false
	}
	seen := make(map[string]bool, len(names))
	for _, n := range names {
		if seen[n] {
			return true
		}
		seen[n] = true
	}
	return false
}

func (th *Thread) evalList(x *ast.ListExpr, sc *scope) (Value, error) {
	if len(x.Items) == 1 {
		if r, ok := x.Items[0].(*ast.RangeExpr); ok {
			// {a..b} alone needs no lazy items: keep plain values.
			from, err := th.evalRangeEnd(r.From, sc)
			if err != nil {
				return nil, err
			}
			to, err := th.evalRangeEnd(r.To, sc)
			if err != nil {
				return nil, err
			}
			vals := []Value{}
			if to >= from {
				if err := th.checkLen(int(math.Min(to-from+1, 1<<40))); err != nil {
					return nil, err
				}
				vals = make([]Value, 0, int(to-from+1))
				for n := from; n <= to; n++ {
					vals = append(vals, Num(n))
				}
			}
			return NewList(vals...), nil
		}
	}
	items := make([]*Lazy, 0, len(x.Items))
	for _, it := range x.Items {
		if r, ok := it.(*ast.RangeExpr); ok {
			from, err := th.evalRangeEnd(r.From, sc)
			if err != nil {
				return nil, err
			}
			to, err := th.evalRangeEnd(r.To, sc)
			if err != nil {
				return nil, err
			}
			if to >= from {
				if err := th.checkLen(len(items) + int(math.Min(to-from+1, 1<<40))); err != nil {
					return nil, err
				}
				for n := from; n <= to; n++ {
					items = append(items, Eager(Num(n)))
				}
			}
			continue
		}
		expr := it
		items = append(items, Defer(func(th *Thread) (Value, error) { return th.eval(expr, sc) }))
	}
	return NewLazyList(items), nil
}

func (th *Thread) evalRangeEnd(e ast.Expr, sc *scope) (float64, error) {
	v, err := th.eval(e, sc)
	if err != nil {
		return 0, err
	}
	n, ok := v.(Number)
	if !ok || n.F != math.Trunc(n.F) {
		return 0, typeErr(v, "number")
	}
	return n.F, nil
}

// closure makes a function value of a function expression.
func (th *Thread) closure(x *ast.FunctionExpr, sc *scope) (Value, error) {
	params := make([]Param, len(x.Params))
	names := make([]string, len(x.Params))
	for i, p := range x.Params {
		params[i] = Param{Name: p.Name.Name, Optional: p.IsOptional()}
		names[i] = p.Name.Name
		if p.Type != nil {
			t, err := th.evalTypeValue(p.Type, sc)
			if err != nil {
				return nil, err
			}
			params[i].Type = t
		}
	}
	var ret *Type
	if x.Return != nil {
		t, err := th.evalTypeValue(x.Return, sc)
		if err != nil {
			return nil, err
		}
		ret = t
	}
	body := x.Body
	f := &Function{Params: params, Return: ret}
	f.Impl = func(th *Thread, args []Value) (Value, error) {
		if len(args) == 1 {
			return th.call1(body, names, sc, args[0])
		}
		return th.eval(body, &scope{names: names, vals: eagerLazies(args), exclude: -1, parent: sc})
	}
	if len(params) == 1 {
		f.impl1 = func(th *Thread, arg Value) (Value, error) { return th.call1(body, names, sc, arg) }
	}
	return f, nil
}

// call1 evaluates a one-parameter function body. When the body cannot
// capture its scope (it creates no closures and no lazy let, record or list
// entries), the frame is recycled after the call, so mapping a function
// over a large list allocates no frames.
func (th *Thread) call1(body ast.Expr, names []string, sc *scope, arg Value) (Value, error) {
	simple := th.simpleBody(body)
	var fr *frame1
	if n := len(th.frames); simple && n > 0 {
		fr, th.frames = th.frames[n-1], th.frames[:n-1]
	} else {
		fr = new(frame1)
	}
	fr.l = Lazy{v: arg, state: lazyDone}
	fr.vals[0] = &fr.l
	fr.sc = scope{names: names, vals: fr.vals[:], exclude: -1, parent: sc}
	v, err := th.eval(body, &fr.sc)
	if simple {
		*fr = frame1{}
		th.frames = append(th.frames, fr)
	}
	return v, err
}

// simpleBody reports whether evaluating e can leave no reference to its
// scope behind: it contains no function, each, let, record or list
// expression (the constructs that create closures or deferred entries).
func (th *Thread) simpleBody(e ast.Expr) bool {
	if s, ok := th.simple[e]; ok {
		return s
	}
	simple := true
	ast.Inspect(e, func(n ast.Node) bool {
		switch n.(type) {
		case *ast.FunctionExpr, *ast.EachExpr, *ast.LetExpr, *ast.RecordExpr, *ast.ListExpr:
			simple = false
		}
		return simple
	})
	if th.simple == nil {
		th.simple = map[ast.Expr]bool{}
	}
	th.simple[e] = simple
	return simple
}

func (th *Thread) evalInvoke(x *ast.InvokeExpr, sc *scope) (Value, error) {
	fv, err := th.eval(x.Fun, sc)
	if err != nil {
		return nil, err
	}
	f, ok := fv.(*Function)
	if !ok {
		return nil, typeErr(fv, "function")
	}
	args := make([]Value, len(x.Args))
	for i, a := range x.Args {
		v, err := th.eval(a, sc)
		if err != nil {
			return nil, err
		}
		args[i] = v
	}
	v, err := Call(th, f, args)
	if err != nil {
		if me, ok := err.(*Error); ok && len(me.Stack) < 16 {
			name := f.Name
			if id, ok := x.Fun.(*ast.Ident); ok {
				name = id.Name
			}
			me.Stack = append(me.Stack, Frame{Name: name, Pos: th.pos(x.Pos())})
		}
		return nil, err
	}
	return v, nil
}

func (th *Thread) target(x ast.Expr, sc *scope) (Value, error) {
	if x == nil {
		l := sc.lookup("_", false)
		if l == nil {
			return nil, NewError("Expression.Error", "The name '_' wasn't recognized.  Make sure it's spelled correctly.")
		}
		return th.force(l)
	}
	return th.eval(x, sc)
}

func (th *Thread) evalFieldAccess(x *ast.FieldAccess, sc *scope) (Value, error) {
	v, err := th.target(x.X, sc)
	if err != nil {
		return nil, err
	}
	name := x.Name.Name
	switch t := v.(type) {
	case *Record:
		fv, ok, err := t.Get(th, name)
		if !ok {
			if x.IsOptional() {
				return NullValue, nil
			}
			return nil, missingField(name)
		}
		return fv, err
	case *Table:
		j := t.ColumnIndex(name)
		if j < 0 {
			if x.IsOptional() {
				return NullValue, nil
			}
			return nil, NewErrorDetail("Expression.Error", "The column '"+name+"' of the table wasn't found.", Str(name))
		}
		return t.rowsToList(th, func(r []*Lazy) *Lazy { return r[j] }), nil
	case Null:
		if x.IsOptional() {
			return NullValue, nil
		}
	}
	return nil, NewErrorDetail("Expression.Error", "We cannot apply field access to the type "+titleCase(v.Kind().String())+".", v)
}

func (th *Thread) evalProjection(x *ast.ProjectionExpr, sc *scope) (Value, error) {
	v, err := th.target(x.X, sc)
	if err != nil {
		return nil, err
	}
	names := make([]string, len(x.Fields))
	for i, f := range x.Fields {
		names[i] = f.Name.Name
	}
	switch t := v.(type) {
	case *Record:
		out := NewRecord()
		for _, n := range names {
			i := t.IndexOf(n)
			if i < 0 {
				if x.IsOptional() {
					out.set(n, Eager(NullValue))
					continue
				}
				return nil, missingField(n)
			}
			out.set(n, t.vals[i])
		}
		return out, nil
	case *Table:
		return selectColumns(th, t, names, x.IsOptional())
	}
	return nil, NewErrorDetail("Expression.Error", "We cannot apply field access to the type "+titleCase(v.Kind().String())+".", v)
}

func selectColumns(th *Thread, t *Table, names []string, optional bool) (Value, error) {
	idx := make([]int, len(names))
	cols := make([]TypeField, len(names))
	for k, n := range names {
		j := t.ColumnIndex(n)
		if j < 0 && !optional {
			return nil, NewErrorDetail("Expression.Error", "The column '"+n+"' of the table wasn't found.", Str(n))
		}
		idx[k] = j
		cols[k] = TypeField{Name: n, Type: Prim(BaseAny)}
		if j >= 0 {
			cols[k] = t.typ.Fields[j]
		}
	}
	null := Eager(NullValue)
	out, err := t.mapRows(th, cols, func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
		row := make([]*Lazy, len(idx))
		for k, j := range idx {
			if j < 0 {
				row[k] = null
			} else {
				row[k] = r[j]
			}
		}
		return row, nil
	})
	if err != nil {
		return nil, err
	}
	out.typ = TableType(cols...) // projection drops keys
	return out, nil
}

func (th *Thread) evalItemAccess(x *ast.ItemAccess, sc *scope) (Value, error) {
	v, err := th.eval(x.X, sc)
	if err != nil {
		return nil, err
	}
	iv, err := th.eval(x.Index, sc)
	if err != nil {
		return nil, err
	}
	switch t := v.(type) {
	case *List:
		n, ok := iv.(Number)
		if !ok {
			return nil, typeErr(iv, "number")
		}
		it, ok, err := itemAt(th, t.item, n, x.IsOptional())
		if !ok {
			return NullValue, err
		}
		return th.force(it)
	case *Table:
		switch k := iv.(type) {
		case Number:
			r, ok, err := itemAt(th, t.rowAt, k, x.IsOptional())
			if !ok {
				return NullValue, err
			}
			return NewLazyRecord(t.Columns(), r), nil
		case *Record:
			return th.tableLookup(t, k, x.IsOptional())
		}
		return nil, typeErr(iv, "number")
	}
	return nil, NewErrorDetail("Expression.Error", "We cannot apply an index to the type "+titleCase(v.Kind().String())+".", v)
}

// itemAt reads item n through at for x{n}: false with a nil error when the
// item is missing and the access optional (x{n}?). Only the items up to n
// are read.
func itemAt[T any](th *Thread, at func(*Thread, int) (T, bool, error), n Number, optional bool) (T, bool, error) {
	var zero T
	if n.F < 0 || n.F != math.Trunc(n.F) {
		return zero, false, NewErrorDetail("Expression.Error", "The index must be a non-negative integer.", n)
	}
	it, ok, err := at(th, int(math.Min(n.F, math.MaxInt32)))
	if err != nil || ok || optional {
		return it, ok, err
	}
	return zero, false, indexErr(int(n.F))
}

// tableLookup finds the single row matching every field of key.
func (th *Thread) tableLookup(t *Table, key *Record, optional bool) (Value, error) {
	t, err := t.full(th)
	if err != nil {
		return nil, err
	}
	var found *Record
	for i := 0; i < t.RowCount(); i++ {
		row := t.Row(i)
		match := true
		for _, n := range key.Names() {
			rv, ok, err := row.Get(th, n)
			if err != nil {
				return nil, err
			}
			kv, err := key.Field(th, n)
			if err != nil {
				return nil, err
			}
			if !ok {
				return nil, NewError("Expression.Error", "The column '"+n+"' of the table wasn't found.")
			}
			eq, err := Equal(th, rv, kv)
			if err != nil {
				return nil, err
			}
			if !eq {
				match = false
				break
			}
		}
		if match {
			if found != nil {
				return nil, NewError("Expression.Error", "The key matched more than one row in the table.")
			}
			found = row
		}
	}
	if found == nil {
		if optional {
			return NullValue, nil
		}
		return nil, NewError("Expression.Error", "The key didn't match any rows in the table.")
	}
	return found, nil
}

func (th *Thread) evalUnary(x *ast.UnaryExpr, sc *scope) (Value, error) {
	v, err := th.eval(x.X, sc)
	if err != nil {
		return nil, err
	}
	switch x.Op {
	case token.NOT:
		switch b := v.(type) {
		case Logical:
			return Bool(!b.B), nil
		case Null:
			return NullValue, nil
		}
		return nil, opErr("not", v, nil)
	case token.SUB:
		switch n := v.(type) {
		case Number:
			return Num(-n.F), nil
		case Duration:
			return Duration{D: -n.D}, nil
		case Null:
			return NullValue, nil
		}
		return nil, opErr("-", v, nil)
	case token.ADD:
		switch v.(type) {
		case Number, Duration, Null:
			return stripMeta(v), nil
		}
		return nil, opErr("+", v, nil)
	}
	return nil, Errorf("unknown unary operator %v", x.Op)
}

// opErr is Power Query's error for an operator applied to unsupported
// operand kinds.
func opErr(op string, x, y Value) error {
	if y == nil {
		return NewErrorDetail("Expression.Error",
			"The "+op+" operator cannot be applied to a value of type "+titleCase(x.Kind().String())+".", x)
	}
	return NewErrorDetail("Expression.Error",
		"We cannot apply operator "+op+" to types "+titleCase(x.Kind().String())+" and "+titleCase(y.Kind().String())+".",
		NewRecord(Field{"Operator", Str(op)}, Field{"Left", x}, Field{"Right", y}))
}

func (th *Thread) evalBinary(x *ast.BinaryExpr, sc *scope) (Value, error) {
	switch x.Op {
	case token.AND, token.OR:
		return th.evalLogical(x, sc)
	case token.COALESCE:
		l, err := th.eval(x.X, sc)
		if err != nil {
			return nil, err
		}
		if _, isNull := l.(Null); !isNull {
			return l, nil
		}
		return th.eval(x.Y, sc)
	case token.IS, token.AS:
		l, err := th.eval(x.X, sc)
		if err != nil {
			return nil, err
		}
		t, err := th.evalTypeValue(x.Y, sc)
		if err != nil {
			return nil, err
		}
		ok := t.Conforms(l)
		if x.Op == token.IS {
			return Bool(ok), nil
		}
		if !ok {
			return nil, convertErr(l, t)
		}
		return l, nil
	}
	l, err := th.eval(x.X, sc)
	if err != nil {
		return nil, err
	}
	r, err := th.eval(x.Y, sc)
	if err != nil {
		return nil, err
	}
	return BinaryOp(th, x.Op, l, r)
}

func (th *Thread) evalLogical(x *ast.BinaryExpr, sc *scope) (Value, error) {
	l, err := th.eval(x.X, sc)
	if err != nil {
		return nil, err
	}
	isAnd := x.Op == token.AND
	op := "or"
	if isAnd {
		op = "and"
	}
	switch lv := l.(type) {
	case Logical:
		if lv.B != isAnd { // false and _, true or _
			return Bool(lv.B), nil
		}
	case Null:
	default:
		return nil, opErr(op, l, l)
	}
	r, err := th.eval(x.Y, sc)
	if err != nil {
		return nil, err
	}
	switch rv := r.(type) {
	case Logical:
		if _, lnull := l.(Null); lnull {
			if rv.B != isAnd { // null and false = false, null or true = true
				return Bool(rv.B), nil
			}
			return NullValue, nil
		}
		return Bool(rv.B), nil
	case Null:
		return NullValue, nil
	}
	return nil, opErr(op, l, r)
}

func (th *Thread) evalTry(x *ast.TryExpr, sc *scope) (Value, error) {
	v, err := th.eval(x.Body, sc)
	if b, ok := v.(Binary); ok && err == nil {
		// A binary is a scalar: a deferred one (Web.Contents) is produced
		// here, so that `try Web.Contents(...)` catches request errors.
		_, err = b.Force(th)
	}
	if err == nil {
		if x.Default != nil || x.Handler != nil {
			return v, nil
		}
		return NewRecord(Field{"HasError", False}, Field{"Value", v}), nil
	}
	me := AsError(err)
	if me == nil {
		return nil, err
	}
	switch {
	case x.Default != nil:
		return th.eval(x.Default, sc)
	case x.Handler != nil:
		h := x.Handler
		if len(h.Params) == 0 {
			return th.eval(h.Body, sc)
		}
		inner := &scope{names: []string{h.Params[0].Name.Name}, vals: []*Lazy{Eager(me.Rec)}, exclude: -1, parent: sc}
		return th.eval(h.Body, inner)
	}
	return NewRecord(Field{"HasError", True}, Field{"Error", me.Rec}), nil
}

// evalTypeValue evaluates an expression in type position to a *Type.
func (th *Thread) evalTypeValue(e ast.Expr, sc *scope) (*Type, error) {
	v, err := th.evalType(e, sc)
	if err != nil {
		return nil, err
	}
	t, ok := v.(*Type)
	if !ok {
		return nil, typeErr(v, "type")
	}
	return t, nil
}

// evalType evaluates a type node, or a primary expression yielding a type.
func (th *Thread) evalType(e ast.Expr, sc *scope) (Value, error) {
	switch x := e.(type) {
	case *ast.PrimitiveType:
		b, ok := PrimNames[x.Name]
		if !ok {
			return nil, Errorf("unknown primitive type %s", x.Name)
		}
		return Prim(b), nil
	case *ast.NullableType:
		t, err := th.evalTypeValue(x.Type, sc)
		if err != nil {
			return nil, err
		}
		return t.AsNullable(), nil
	case *ast.ListType:
		t, err := th.evalTypeValue(x.Item, sc)
		if err != nil {
			return nil, err
		}
		return ListType(t), nil
	case *ast.RecordType:
		fields, err := th.fieldSpecs(x.Fields, sc)
		if err != nil {
			return nil, err
		}
		return RecordType(x.Open.IsValid(), fields...), nil
	case *ast.TableType:
		if rt, ok := x.Row.(*ast.RecordType); ok {
			fields, err := th.fieldSpecs(rt.Fields, sc)
			if err != nil {
				return nil, err
			}
			return TableType(fields...), nil
		}
		t, err := th.evalTypeValue(x.Row, sc)
		if err != nil {
			return nil, err
		}
		return TableType(t.Fields...), nil
	case *ast.FunctionType:
		params := make([]Param, len(x.Params))
		for i, p := range x.Params {
			params[i] = Param{Name: p.Name.Name, Optional: p.IsOptional(), Type: Prim(BaseAny)}
			if p.Type != nil {
				t, err := th.evalTypeValue(p.Type, sc)
				if err != nil {
					return nil, err
				}
				params[i].Type = t
			}
		}
		ret := Prim(BaseAny)
		if x.Return != nil {
			t, err := th.evalTypeValue(x.Return, sc)
			if err != nil {
				return nil, err
			}
			ret = t
		}
		return FunctionType(ret, params...), nil
	case *ast.Ident:
		if b, ok := PrimNames[x.Name]; ok && sc.lookup(x.Name, false) == nil {
			return Prim(b), nil
		}
	case *ast.ParenExpr:
		return th.evalType(x.X, sc)
	}
	return th.eval(e, sc)
}

func (th *Thread) fieldSpecs(specs []*ast.FieldSpec, sc *scope) ([]TypeField, error) {
	fields := make([]TypeField, len(specs))
	for i, f := range specs {
		fields[i] = TypeField{Name: f.Name.Name, Optional: f.IsOptional(), Type: Prim(BaseAny)}
		if f.Type != nil {
			t, err := th.evalTypeValue(f.Type, sc)
			if err != nil {
				return nil, err
			}
			fields[i].Type = t
		}
	}
	return fields, nil
}
