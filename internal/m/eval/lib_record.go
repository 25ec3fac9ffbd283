package eval

// Record.* functions.

// MissingField options.
const (
	missingError   = 0
	missingIgnore  = 1
	missingUseNull = 2
)

func init() {
	registerValue("MissingField.Error", Num(missingError))
	registerValue("MissingField.Ignore", Num(missingIgnore))
	registerValue("MissingField.UseNull", Num(missingUseNull))
	register(
		builtin("Record.FieldNames", "record as record", func(th *Thread, a []Value) (Value, error) {
			return textsToList(a[0].(*Record).Names()), nil
		}),
		builtin("Record.FieldValues", "record as record", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			return NewLazyList(append([]*Lazy(nil), r.vals...)), nil
		}),
		builtin("Record.FieldCount", "record as record", func(th *Thread, a []Value) (Value, error) {
			return Num(float64(a[0].(*Record).Len())), nil
		}),
		builtin("Record.Field", "record as record, field as text", func(th *Thread, a []Value) (Value, error) {
			return a[0].(*Record).Field(th, a[1].(Text).S)
		}),
		builtin("Record.FieldOrDefault", "record as nullable record, field as text, optional defaultValue as any", func(th *Thread, a []Value) (Value, error) {
			r, ok := a[0].(*Record)
			if !ok {
				return a[2], nil
			}
			v, found, err := r.Get(th, a[1].(Text).S)
			if !found {
				return a[2], nil
			}
			return v, err
		}),
		builtin("Record.HasFields", "record as record, fields as any", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			r := a[0].(*Record)
			for _, n := range names {
				if !r.Has(n) {
					return False, nil
				}
			}
			return True, nil
		}),
		builtin("Record.AddField", "record as record, fieldName as text, value as any, optional delayed as nullable logical", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			name := a[1].(Text).S
			if r.Has(name) {
				return nil, NewErrorDetail("Expression.Error", "The field '"+name+"' already exists in the record.", Str(name))
			}
			v := Eager(a[2])
			if b, ok := a[3].(Logical); ok && b.B {
				if f, ok := a[2].(*Function); ok {
					v = Defer(func(th *Thread) (Value, error) { return callFn(th, f) })
				}
			}
			out := r.Merge(NewRecord())
			out.set(name, v)
			return out, nil
		}),
		builtin("Record.RemoveFields", "record as record, fields as any, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			r := a[0].(*Record)
			if err := checkMissing(r, names, a[2], true); err != nil {
				return nil, err
			}
			return removeFields(r, names), nil
		}),
		builtin("Record.SelectFields", "record as record, fields as any, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			r := a[0].(*Record)
			if err := checkMissing(r, names, a[2], false); err != nil {
				return nil, err
			}
			mode := missingMode(a[2])
			out := NewRecord()
			for _, n := range names {
				if i := r.IndexOf(n); i >= 0 {
					out.set(n, r.vals[i])
				} else if mode == missingUseNull {
					out.set(n, Eager(NullValue))
				}
			}
			return out, nil
		}),
		builtin("Record.RenameFields", "record as record, renames as list, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			pairs, err := renamePairs(th, a[1].(*List))
			if err != nil {
				return nil, err
			}
			names := append([]string(nil), r.names...)
			for _, p := range pairs {
				i := r.IndexOf(p[0])
				if i < 0 {
					if missingMode(a[2]) == missingError {
						return nil, missingField(p[0])
					}
					continue
				}
				names[i] = p[1]
			}
			if dupName(names) {
				return nil, NewError("Expression.Error", "The field names of the record must be unique.")
			}
			return NewLazyRecord(names, append([]*Lazy(nil), r.vals...)), nil
		}),
		builtin("Record.ReorderFields", "record as record, fieldOrder as list, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			vals, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			order, err := textList(vals)
			if err != nil {
				return nil, err
			}
			if err := checkMissing(r, order, a[2], false); err != nil {
				return nil, err
			}
			// Listed fields take, in the given order, the positions the
			// listed fields occupied; others stay where they are.
			listed := map[string]bool{}
			for _, n := range order {
				listed[n] = true
			}
			out := NewRecord()
			k := 0
			for i, n := range r.names {
				if !listed[n] {
					out.set(n, r.vals[i])
					continue
				}
				for k < len(order) && !r.Has(order[k]) {
					k++
				}
				if k < len(order) {
					out.set(order[k], r.vals[r.IndexOf(order[k])])
					k++
				}
			}
			return out, nil
		}),
		builtin("Record.TransformFields", "record as record, transformOperations as list, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			ops, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			if len(ops) > 0 {
				if _, ok := ops[0].(Text); ok {
					ops = []Value{a[1]}
				}
			}
			out := r.Merge(NewRecord())
			for _, op := range ops {
				pair, ok := op.(*List)
				if !ok || pair.Len() != 2 {
					return nil, typeErr(op, "list")
				}
				nv, err := pair.At(th, 0)
				if err != nil {
					return nil, err
				}
				fv, err := pair.At(th, 1)
				if err != nil {
					return nil, err
				}
				name, ok := nv.(Text)
				f, ok2 := fv.(*Function)
				if !ok || !ok2 {
					return nil, typeErr(op, "list")
				}
				i := out.IndexOf(name.S)
				if i < 0 {
					if missingMode(a[2]) == missingError {
						return nil, missingField(name.S)
					}
					continue
				}
				src := out.vals[i]
				out.vals[i] = Defer(func(th *Thread) (Value, error) {
					v, err := th.force(src)
					if err != nil {
						return nil, err
					}
					return callFn(th, f, v)
				})
			}
			return out, nil
		}),
		builtin("Record.Combine", "records as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			out := NewRecord()
			for _, v := range vals {
				r, ok := v.(*Record)
				if !ok {
					return nil, typeErr(v, "record")
				}
				out = out.Merge(r)
			}
			return out, nil
		}),
		builtin("Record.FromList", "list as list, fields as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			var names []string
			switch f := a[1].(type) {
			case *List:
				vals, err := f.Values(th)
				if err != nil {
					return nil, err
				}
				names, err = textList(vals)
				if err != nil {
					return nil, err
				}
			case *Type:
				for _, tf := range f.Fields {
					names = append(names, tf.Name)
				}
			default:
				return nil, typeErr(a[1], "list")
			}
			if len(names) != l.Len() {
				return nil, NewError("Expression.Error", "The number of fields and values must match.")
			}
			if dupName(names) {
				return nil, NewError("Expression.Error", "The field names of the record must be unique.")
			}
			return NewLazyRecord(names, append([]*Lazy(nil), l.lz()...)), nil
		}),
		builtin("Record.ToList", "record as record", func(th *Thread, a []Value) (Value, error) {
			return NewLazyList(append([]*Lazy(nil), a[0].(*Record).vals...)), nil
		}),
		builtin("Record.ToTable", "record as record", func(th *Thread, a []Value) (Value, error) {
			r := a[0].(*Record)
			rows := make([][]*Lazy, r.Len())
			for i, n := range r.names {
				rows[i] = []*Lazy{Eager(Str(n)), r.vals[i]}
			}
			return NewLazyTable(TableType(TypeField{Name: "Name", Type: Prim(BaseAny)}, TypeField{Name: "Value", Type: Prim(BaseAny)}), rows), nil
		}),
		builtin("Record.FromTable", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			ni, vi := t.ColumnIndex("Name"), t.ColumnIndex("Value")
			if ni < 0 || vi < 0 {
				return nil, NewError("Expression.Error", "The table must have the columns Name and Value.")
			}
			out := NewRecord()
			for i := 0; i < t.RowCount(); i++ {
				nv, err := th.force(t.allRows()[i][ni])
				if err != nil {
					return nil, err
				}
				n, ok := nv.(Text)
				if !ok {
					return nil, typeErr(nv, "text")
				}
				if out.Has(n.S) {
					return nil, NewError("Expression.Error", "The field '"+n.S+"' already exists in the record.")
				}
				out.set(n.S, t.allRows()[i][vi])
			}
			return out, nil
		}),
	)
}

func missingMode(v Value) int {
	if n, ok := v.(Number); ok {
		return int(n.F)
	}
	return missingError
}

func checkMissing(r *Record, names []string, mode Value, _ bool) error {
	if missingMode(mode) != missingError {
		return nil
	}
	for _, n := range names {
		if !r.Has(n) {
			return missingField(n)
		}
	}
	return nil
}

// fieldNameArg reads a field-name argument: a text or a list of texts.
func fieldNameArg(th *Thread, v Value) ([]string, error) {
	switch x := v.(type) {
	case Text:
		return []string{x.S}, nil
	case *List:
		vals, err := x.Values(th)
		if err != nil {
			return nil, err
		}
		return textList(vals)
	}
	return nil, typeErr(v, "list")
}

// renamePairs reads {"old","new"} or {{"old","new"}, ...}.
func renamePairs(th *Thread, l *List) ([][2]string, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	if len(vals) == 2 {
		if a, ok := vals[0].(Text); ok {
			b, ok := vals[1].(Text)
			if !ok {
				return nil, typeErr(vals[1], "text")
			}
			return [][2]string{{a.S, b.S}}, nil
		}
	}
	var out [][2]string
	for _, v := range vals {
		p, ok := v.(*List)
		if !ok || p.Len() != 2 {
			return nil, typeErr(v, "list")
		}
		pv, err := p.Values(th)
		if err != nil {
			return nil, err
		}
		names, err := textList(pv)
		if err != nil {
			return nil, err
		}
		out = append(out, [2]string{names[0], names[1]})
	}
	return out, nil
}
