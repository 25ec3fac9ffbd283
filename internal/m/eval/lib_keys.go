package eval

// Table keys given as a list of [Columns = {...}, Primary = logical]
// records, as Type.ReplaceTableKeys and Table.ReplaceKeys take them and
// Type.TableKeys and Table.Keys return them.

// keysArg reads a list of key records and validates it against the
// columns of a table type: every key column must exist and at most one key
// may be primary, as the function reference says Type.ReplaceTableKeys
// checks.
func keysArg(th *Thread, l *List, t *Type) ([]TableKey, error) {
	recs, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	keys := make([]TableKey, 0, len(recs))
	primary := false
	for _, kv := range recs {
		k, ok := kv.(*Record)
		if !ok {
			return nil, typeErr(kv, "record")
		}
		cv, err := k.Field(th, "Columns")
		if err != nil {
			return nil, err
		}
		cols, err := fieldNameArg(th, cv)
		if err != nil {
			return nil, err
		}
		for _, c := range cols {
			if !hasColumn(t, c) {
				return nil, columnNotFound(c)
			}
		}
		pv, err := k.Field(th, "Primary")
		if err != nil {
			return nil, err
		}
		p, ok := pv.(Logical)
		if !ok {
			return nil, typeErr(pv, "logical")
		}
		if p.B && primary {
			return nil, NewErrorDetail("Expression.Error", "A table can have only one primary key.", kv)
		}
		primary = primary || p.B
		keys = append(keys, TableKey{Columns: cols, Primary: p.B})
	}
	return keys, nil
}

func hasColumn(t *Type, name string) bool {
	for _, f := range t.Fields {
		if f.Name == name {
			return true
		}
	}
	return false
}

// typeReplaceTableKeys implements Type.ReplaceTableKeys.
func typeReplaceTableKeys(th *Thread, a []Value) (Value, error) {
	t := *a[0].(*Type)
	if t.Base != Base(KindTable) {
		return nil, NewError("Expression.Error", "The type is not a table type.")
	}
	keys, err := keysArg(th, a[1].(*List), &t)
	if err != nil {
		return nil, err
	}
	t.Keys, t.meta = keys, nil
	return &t, nil
}

// tableReplaceKeys implements Table.ReplaceKeys, with the checks of
// Type.ReplaceTableKeys.
func tableReplaceKeys(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	keys, err := keysArg(th, a[1].(*List), t.Type())
	if err != nil {
		return nil, err
	}
	typ := *t.typ
	typ.Keys = keys
	c := *t
	c.typ = &typ
	return &c, nil
}
