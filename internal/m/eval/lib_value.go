package eval

import (
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/scanner"
)

// Value.*, Type.*, Function.*, Expression.*.

func init() {
	register(
		builtin("Value.Metadata", "value as any", func(th *Thread, a []Value) (Value, error) {
			if b, ok := a[0].(Binary); ok && b.b != nil && b.b.lazy != nil {
				m, err := b.lazyMeta(th)
				if err != nil {
					return nil, err
				}
				if own := b.meta; own != nil {
					if m == nil {
						m = own
					} else {
						m = m.Merge(own)
					}
				}
				if m == nil {
					return NewRecord(), nil
				}
				return m, nil
			}
			if m := a[0].Meta(); m != nil {
				return m, nil
			}
			return NewRecord(), nil
		}),
		builtin("Value.RemoveMetadata", "value as any, optional metaValue as any", func(th *Thread, a []Value) (Value, error) {
			m := a[0].Meta()
			if m == nil {
				return a[0], nil
			}
			switch keep := a[1].(type) {
			case Text:
				return a[0].WithMeta(removeFields(m, []string{keep.S})), nil
			case *List:
				vals, err := keep.Values(th)
				if err != nil {
					return nil, err
				}
				names, err := textList(vals)
				if err != nil {
					return nil, err
				}
				return a[0].WithMeta(removeFields(m, names)), nil
			}
			return a[0].WithMeta(nil), nil
		}),
		builtin("Value.ReplaceMetadata", "value as any, metaValue as any", func(th *Thread, a []Value) (Value, error) {
			switch m := a[1].(type) {
			case *Record:
				return a[0].WithMeta(m), nil
			case Null:
				return a[0].WithMeta(nil), nil
			}
			return nil, typeErr(a[1], "record")
		}),
		builtin("Value.Type", "value as any", func(th *Thread, a []Value) (Value, error) {
			return TypeOf(a[0]), nil
		}),
		builtin("Value.ReplaceType", "value as any, type as type", func(th *Thread, a []Value) (Value, error) {
			return replaceType(a[0], a[1].(*Type))
		}),
		builtin("Value.Equals", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			eq, err := Equal(th, a[0], a[1])
			return Bool(eq), err
		}),
		builtin("Value.NullableEquals", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) || isNull(a[1]) {
				return NullValue, nil
			}
			eq, err := Equal(th, a[0], a[1])
			return Bool(eq), err
		}),
		builtin("Value.Compare", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			c, err := Compare(th, a[0], a[1])
			return Num(float64(c)), err
		}),
		builtin("Value.Is", "value as any, type as type", func(th *Thread, a []Value) (Value, error) {
			return Bool(a[1].(*Type).Conforms(a[0])), nil
		}),
		builtin("Value.As", "value as any, type as type", func(th *Thread, a []Value) (Value, error) {
			if !a[1].(*Type).Conforms(a[0]) {
				return nil, convertErr(a[0], a[1].(*Type))
			}
			return a[0], nil
		}),
		builtin("Value.Add", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			return arith(tokADD, a[0], a[1])
		}),
		builtin("Value.Subtract", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			return arith(tokSUB, a[0], a[1])
		}),
		builtin("Value.Multiply", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			return arith(tokMUL, a[0], a[1])
		}),
		builtin("Value.Divide", "value1 as any, value2 as any, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			return arith(tokQUO, a[0], a[1])
		}),
		builtin("Type.Is", "type1 as type, type2 as type", func(th *Thread, a []Value) (Value, error) {
			return Bool(a[0].(*Type).IsCompatible(a[1].(*Type))), nil
		}),
		builtin("Type.IsNullable", "type as type", func(th *Thread, a []Value) (Value, error) {
			return Bool(a[0].(*Type).IsNullable()), nil
		}),
		builtin("Type.NonNullable", "type as type", func(th *Thread, a []Value) (Value, error) {
			return a[0].(*Type).NonNullable(), nil
		}),
		builtin("Type.IsOpenRecord", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindRecord) {
				return nil, typeErr(t, "record")
			}
			return Bool(t.Open), nil
		}),
		builtin("Type.OpenRecord", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := *a[0].(*Type)
			t.Open, t.meta = true, nil
			return &t, nil
		}),
		builtin("Type.ClosedRecord", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := *a[0].(*Type)
			t.Open, t.meta = false, nil
			return &t, nil
		}),
		builtin("Type.RecordFields", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindRecord) {
				return nil, NewError("Expression.Error", "The type is not a record type.")
			}
			r := NewRecord()
			for _, f := range t.Fields {
				r.set(f.Name, Eager(NewRecord(Field{"Type", orAny(f.Type)}, Field{"Optional", Bool(f.Optional)})))
			}
			return r, nil
		}),
		builtin("Type.ForRecord", "fields as record, open as logical", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			fields := make([]TypeField, 0, r.Len())
			for _, n := range r.Names() {
				fv, err := r.Field(th, n)
				if err != nil {
					return nil, err
				}
				spec, ok := fv.(*Record)
				if !ok {
					return nil, typeErr(fv, "record")
				}
				tv, err := spec.Field(th, "Type")
				if err != nil {
					return nil, err
				}
				t, ok := tv.(*Type)
				if !ok {
					return nil, typeErr(tv, "type")
				}
				opt := false
				if ov, ok, err := spec.Get(th, "Optional"); ok {
					if err != nil {
						return nil, err
					}
					b, isB := ov.(Logical)
					if !isB {
						return nil, typeErr(ov, "logical")
					}
					opt = b.B
				}
				fields = append(fields, TypeField{Name: n, Type: t, Optional: opt})
			}
			return RecordType(a[1].(Logical).B, fields...), nil
		}),
		builtin("Type.ForFunction", "signature as record, min as number", func(th *Thread, a []Value) (Value, error) {
			sig := a[0].(*Record)
			rv, err := sig.Field(th, "ReturnType")
			if err != nil {
				return nil, err
			}
			ret, ok := rv.(*Type)
			if !ok {
				return nil, typeErr(rv, "type")
			}
			pv, err := sig.Field(th, "Parameters")
			if err != nil {
				return nil, err
			}
			pr, ok := pv.(*Record)
			if !ok {
				return nil, typeErr(pv, "record")
			}
			var min int
			if err := unpack(th, a[1:], &min); err != nil {
				return nil, err
			}
			if min < 0 || min > pr.Len() {
				return nil, NewError("Expression.Error", "The minimum number of parameters is out of range.")
			}
			params := make([]Param, pr.Len())
			for i, n := range pr.Names() {
				tv, err := pr.Field(th, n)
				if err != nil {
					return nil, err
				}
				t, ok := tv.(*Type)
				if !ok {
					return nil, typeErr(tv, "type")
				}
				params[i] = Param{Name: n, Type: t, Optional: i >= min}
			}
			return FunctionType(ret, params...), nil
		}),
		builtin("Type.FunctionParameters", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindFunction) {
				return nil, NewError("Expression.Error", "The type is not a function type.")
			}
			r := NewRecord()
			for _, p := range t.Params {
				pt := orAny(p.Type)
				if p.Optional {
					pt = pt.AsNullable()
				}
				r.set(p.Name, Eager(pt))
			}
			return r, nil
		}),
		builtin("Type.FunctionRequiredParameters", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			n := 0
			for _, p := range t.Params {
				if !p.Optional {
					n++
				}
			}
			return Num(float64(n)), nil
		}),
		builtin("Type.FunctionReturn", "type as type", func(th *Thread, a []Value) (Value, error) {
			return orAny(a[0].(*Type).Return), nil
		}),
		builtin("Type.ListItem", "type as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindList) {
				return nil, NewError("Expression.Error", "The type is not a list type.")
			}
			return orAny(t.Item), nil
		}),
		builtin("Type.ForList", "type as type", func(th *Thread, a []Value) (Value, error) {
			return ListType(a[0].(*Type)), nil
		}),
		builtin("Type.TableRow", "table as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindTable) {
				return nil, NewError("Expression.Error", "The type is not a table type.")
			}
			return RecordType(false, t.Fields...), nil
		}),
		builtin("Type.TableSchema", "tableType as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			if t.Base != Base(KindTable) {
				return nil, NewError("Expression.Error", "The type is not a table type.")
			}
			return tableSchema(t), nil
		}),
		builtin("Type.TableColumn", "tableType as type, column as text", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			for _, f := range t.Fields {
				if f.Name == a[1].(Text).S {
					return orAny(f.Type), nil
				}
			}
			return nil, NewError("Expression.Error", "The column '"+a[1].(Text).S+"' of the table wasn't found.")
		}),
		builtin("Type.TableKeys", "tableType as type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Type)
			out := make([]Value, len(t.Keys))
			for i, k := range t.Keys {
				cols := make([]Value, len(k.Columns))
				for j, c := range k.Columns {
					cols[j] = Str(c)
				}
				out[i] = NewRecord(Field{"Columns", NewList(cols...)}, Field{"Primary", Bool(k.Primary)})
			}
			return NewList(out...), nil
		}),
		builtin("Type.AddTableKey", "table as type, columns as list, isPrimary as logical", func(th *Thread, a []Value) (Value, error) {
			t := *a[0].(*Type)
			if t.Base != Base(KindTable) {
				return nil, NewError("Expression.Error", "The type is not a table type.")
			}
			vals, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			cols, err := textList(vals)
			if err != nil {
				return nil, err
			}
			t.Keys = append(append([]TableKey(nil), t.Keys...), TableKey{Columns: cols, Primary: a[2].(Logical).B})
			t.meta = nil
			return &t, nil
		}),
		builtin("Type.ReplaceTableKeys", "tableType as type, keys as list", typeReplaceTableKeys),
		builtin("Type.Union", "types as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			if len(vals) == 0 {
				return Prim(BaseNone), nil
			}
			first, ok := vals[0].(*Type)
			if !ok {
				return nil, typeErr(vals[0], "type")
			}
			for _, v := range vals[1:] {
				t, ok := v.(*Type)
				if !ok {
					return nil, typeErr(v, "type")
				}
				if t.Base != first.Base {
					return Prim(BaseAny), nil
				}
			}
			return first, nil
		}),
		builtin("Function.Invoke", "function as function, args as list", func(th *Thread, a []Value) (Value, error) {
			args, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			return Call(th, a[0].(*Function), args)
		}),
		builtin("Function.InvokeAfter", "function as function, delay as duration", func(th *Thread, a []Value) (Value, error) {
			if err := th.clock().Sleep(th.Ctx, a[1].(Duration).D); err != nil {
				return nil, &Error{Rec: NewError("Expression.Error", "Evaluation was cancelled.").Rec, Fatal: true}
			}
			return callFn(th, a[0].(*Function))
		}),
		builtin("Function.From", "functionType as type, function as function", func(th *Thread, a []Value) (Value, error) {
			ft := a[0].(*Type)
			if ft.Base != Base(KindFunction) {
				return nil, typeErr(ft, "function")
			}
			inner := a[1].(*Function)
			f := &Function{Params: ft.Params, Impl: func(th *Thread, args []Value) (Value, error) {
				return callFn(th, inner, NewList(args...))
			}}
			f.ascribed = ft
			return f, nil
		}),
		builtin("Function.IsDataSource", "function as function", func(th *Thread, a []Value) (Value, error) {
			return False, nil
		}),
		builtin("Expression.Evaluate", "document as text, optional environment as nullable record", func(th *Thread, a []Value) (Value, error) {
			env, _ := a[1].(*Record)
			if env == nil {
				env = NewRecord()
			}
			return th.evaluateText(a[0].(Text).S, env)
		}),
		builtin("Expression.Constant", "value as any", func(th *Thread, a []Value) (Value, error) {
			switch a[0].(type) {
			case *Record, *List, *Table, *Function, Binary:
				return nil, NewError("Expression.Error", "The value cannot be represented as a constant expression.")
			}
			return Str(Serialize(th, a[0])), nil
		}),
		builtin("Expression.Identifier", "name as text", func(th *Thread, a []Value) (Value, error) {
			return Str(scanner.QuoteIdent(a[0].(Text).S)), nil
		}),
	)
}

// evaluateText parses an expression document and evaluates it with the
// fields of env as its environment.
func (th *Thread) evaluateText(src string, env *Record) (Value, error) {
	name := "Expression.Evaluate"
	doc, err := parser.ParseFile(th.fset, name, []byte(src), 0)
	if err != nil {
		return nil, NewErrorDetail("Expression.Error", "Expression.Evaluate: "+err.Error(), Str(src))
	}
	ed, ok := doc.(*ast.ExpressionDocument)
	if !ok {
		return nil, NewError("Expression.Error", "Expression.Evaluate expects an expression document, not a section document.")
	}
	return th.evalWithRecord(ed.Expr, env)
}

// tableSchema describes the columns of a table type, with the columns of
// Table.Schema that do not depend on a data source.
func tableSchema(t *Type) *Table {
	cols := []string{"Name", "Position", "TypeName", "Kind", "IsNullable"}
	fields := make([]TypeField, len(cols))
	for i, c := range cols {
		fields[i] = TypeField{Name: c, Type: Prim(BaseAny)}
	}
	rows := make([][]Value, len(t.Fields))
	for i, f := range t.Fields {
		ft := orAny(f.Type)
		kind := ft.Base.String()
		typeName := titleCase(kind) + ".Type"
		if ft.Name != "" {
			typeName = ft.Name
		}
		rows[i] = []Value{Str(f.Name), Num(float64(i)), Str(typeName), Str(kind), Bool(ft.IsNullable())}
	}
	return NewTable(TableType(fields...), rows)
}

func removeFields(m *Record, drop []string) *Record {
	out := NewRecord()
	for i, n := range m.names {
		keep := true
		for _, d := range drop {
			if d == n {
				keep = false
			}
		}
		if keep {
			out.set(n, m.vals[i])
		}
	}
	return out
}

func textList(vals []Value) ([]string, error) {
	out := make([]string, len(vals))
	for i, v := range vals {
		t, ok := v.(Text)
		if !ok {
			return nil, typeErr(v, "text")
		}
		out[i] = t.S
	}
	return out, nil
}

// replaceType implements Value.ReplaceType: for functions only the counts
// of required and optional parameters must match; tables take the new
// column names; other values check the base kind.
func replaceType(v Value, t *Type) (Value, error) {
	switch x := v.(type) {
	case *Function:
		if t.Base != Base(KindFunction) {
			return nil, convertErr(v, t)
		}
		if t.Params != nil || t.Return != nil {
			req, opt := 0, 0
			for _, p := range t.Params {
				if p.Optional {
					opt++
				} else {
					req++
				}
			}
			if req != x.Required() || req+opt != len(x.Params) {
				return nil, NewErrorDetail("Expression.Error",
					"The type of the function is not compatible with the new type.", t)
			}
		}
		c := *x
		c.ascribed = t
		return &c, nil
	case *Table:
		if t.Base != Base(KindTable) {
			return nil, convertErr(v, t)
		}
		if len(t.Fields) != len(x.typ.Fields) {
			return nil, NewError("Expression.Error", "The number of columns in the type does not match the table.")
		}
		c := *x
		c.typ = t
		return &c, nil
	}
	if t.Base != BaseAny && t.Base != Base(v.Kind()) && !(isNull(v) && t.IsNullable()) {
		return nil, convertErr(v, t)
	}
	return v, nil
}
