package eval

import (
	"math"
)

// More Table.* functions: splitting and combining columns, prefixes,
// transposition, partitions, extremes and row replacement.

func init() {
	register(
		builtin("Table.SplitColumn", "table as table, sourceColumn as text, splitter as function, optional columnNamesOrNumber as any, optional default as any, optional extraColumns as any", tableSplitColumn),
		builtin("Table.CombineColumns", "table as table, sourceColumns as list, combiner as function, column as text", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			idx, err := t.columnList(th, a[1])
			if err != nil {
				return nil, err
			}
			name := a[3].(Text).S
			drop := map[int]bool{}
			for _, j := range idx {
				drop[j] = true
			}
			var fields []TypeField
			var keep []int
			pos := -1
			for j, f := range t.typ.Fields {
				if drop[j] {
					if pos < 0 {
						pos = len(fields)
						fields = append(fields, TypeField{Name: name, Type: Prim(BaseAny)})
						keep = append(keep, -1)
					}
					continue
				}
				if f.Name == name {
					return nil, fieldExists(name)
				}
				fields = append(fields, f)
				keep = append(keep, j)
			}
			comb := a[2].(*Function)
			rows := make([][]*Lazy, len(t.allRows()))
			for i, r := range t.allRows() {
				row := make([]*Lazy, len(keep))
				for k, j := range keep {
					if j >= 0 {
						row[k] = r[j]
						continue
					}
					parts := make([]*Lazy, len(idx))
					for p, c := range idx {
						parts[p] = r[c]
					}
					row[k] = &Lazy{v: NewLazyList(parts), mapFn: comb}
				}
				rows[i] = row
			}
			return t.derive(fields, rows), nil
		}),
		builtin("Table.PrefixColumns", "table as table, prefix as text", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			fields := t.fieldsCopy()
			for j := range fields {
				fields[j].Name = a[1].(Text).S + "." + fields[j].Name
			}
			return t.relabel(fields), nil
		}),
		builtin("Table.Transpose", "table as table, optional columns as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			typ, err := columnsArg(th, a[1], t.RowCount())
			if err != nil {
				return nil, err
			}
			if len(typ.Fields) != t.RowCount() {
				return nil, NewError("Expression.Error", "The number of columns doesn't match the number of rows of the table.")
			}
			rows := make([][]*Lazy, len(t.typ.Fields))
			for j := range rows {
				row := make([]*Lazy, t.RowCount())
				for i, r := range t.allRows() {
					row[i] = r[j]
				}
				rows[j] = row
			}
			return NewLazyTable(typ, rows), nil
		}),
		builtin("Table.Repeat", "table as table, count as number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			n := 0
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, argRange("count")
			}
			if t.RowCount() == 0 {
				return t, nil
			}
			if err := th.checkLen(n * t.RowCount()); err != nil {
				return nil, err
			}
			rows := make([][]*Lazy, 0, n*t.RowCount())
			for k := 0; k < n; k++ {
				rows = append(rows, t.allRows()...)
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.AlternateRows", "table as table, offset as number, skip as number, take as number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			var off, skip, take int
			if err := unpack(th, a[1:], &off, &skip, &take); err != nil {
				return nil, err
			}
			if off < 0 || skip < 0 || take < 0 || skip+take == 0 {
				return nil, argRange("skip")
			}
			var rows [][]*Lazy
			for i := 0; i < t.RowCount(); {
				if i < off {
					rows = append(rows, t.allRows()[i])
					i++
					continue
				}
				i += skip
				for k := 0; k < take && i < t.RowCount(); k++ {
					rows = append(rows, t.allRows()[i])
					i++
				}
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.Split", "table as table, pageSize as number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			n := 0
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			if n <= 0 {
				return nil, argRange("pageSize")
			}
			var out []Value
			for i := 0; i < t.RowCount(); i += n {
				out = append(out, t.derive(t.typ.Fields, t.allRows()[i:min(i+n, t.RowCount())]))
			}
			return NewList(out...), nil
		}),
		builtin("Table.Partition", "table as table, column as text, groups as number, hash as function", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			j, err := t.mustColumn(a[1].(Text).S)
			if err != nil {
				return nil, err
			}
			n := 0
			if err := unpack(th, a[2:3], &n); err != nil {
				return nil, err
			}
			if n <= 0 {
				return nil, argRange("groups")
			}
			parts := make([][][]*Lazy, n)
			for _, r := range t.allRows() {
				v, err := th.force(r[j])
				if err != nil {
					return nil, err
				}
				h, err := call1(th, a[3].(*Function), v)
				if err != nil {
					return nil, err
				}
				hn, ok := h.(Number)
				if !ok {
					return nil, typeErr(h, "number")
				}
				g := int(math.Mod(math.Abs(math.Trunc(hn.F)), float64(n)))
				parts[g] = append(parts[g], r)
			}
			out := make([]Value, n)
			for g := range parts {
				out[g] = t.derive(t.typ.Fields, parts[g])
			}
			return NewList(out...), nil
		}),
		builtin("Table.IsDistinct", "table as table, optional comparisonCriteria as any", func(th *Thread, a []Value) (Value, error) {
			d, err := tableDistinct(th, a)
			if err != nil {
				return nil, err
			}
			return Bool(d.(*Table).RowCount() == a[0].(*Table).RowCount()), nil
		}),
		builtin("Table.Max", "table as table, comparisonCriteria as any, optional default as any", func(th *Thread, a []Value) (Value, error) {
			return tableExtreme(th, a, true)
		}),
		builtin("Table.Min", "table as table, comparisonCriteria as any, optional default as any", func(th *Thread, a []Value) (Value, error) {
			return tableExtreme(th, a, false)
		}),
		builtin("Table.MaxN", "table as table, comparisonCriteria as any, countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			return tableExtremeN(th, a, true)
		}),
		builtin("Table.MinN", "table as table, comparisonCriteria as any, countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			return tableExtremeN(th, a, false)
		}),
		builtin("Table.ReplaceRows", "table as table, offset as number, count as number, rows as list", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			var off, n int
			if err := unpack(th, a[1:3], &off, &n); err != nil {
				return nil, err
			}
			if off < 0 || n < 0 || off+n > t.RowCount() {
				return nil, argRange("offset")
			}
			recs, err := a[3].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var ins [][]*Lazy
			for _, rv := range recs {
				r, ok := rv.(*Record)
				if !ok {
					return nil, typeErr(rv, "record")
				}
				row, err := t.rowFromRecord(r)
				if err != nil {
					return nil, err
				}
				ins = append(ins, row)
			}
			rows := append(append(append([][]*Lazy{}, t.allRows()[:off]...), ins...), t.allRows()[off+n:]...)
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.RemoveMatchingRows", "table as table, rows as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			recs, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var rows [][]*Lazy
			for _, r := range t.allRows() {
				single := &Table{typ: t.typ, rows: [][]*Lazy{r}}
				match := false
				for _, rv := range recs {
					want, ok := rv.(*Record)
					if !ok {
						return nil, typeErr(rv, "record")
					}
					i, err := single.findRow(th, want)
					if err != nil {
						return nil, err
					}
					if i >= 0 {
						match = true
						break
					}
				}
				if !match {
					rows = append(rows, r)
				}
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.ReplaceKeys", "table as table, keys as list", tableReplaceKeys),
		builtin("Table.AddJoinColumn", "table1 as table, key1 as any, table2 as function, key2 as any, newColumnName as text", func(th *Thread, a []Value) (Value, error) {
			left := a[0].(*Table)
			lcols, err := left.columnList(th, a[1])
			if err != nil {
				return nil, err
			}
			name := a[4].(Text).S
			if left.ColumnIndex(name) >= 0 {
				return nil, fieldExists(name)
			}
			rows := make([][]*Lazy, len(left.allRows()))
			for i, r := range left.allRows() {
				rec := NewLazyRecord(left.Columns(), r)
				cell := Defer(func(th *Thread) (Value, error) {
					tv, err := callFlex(th, a[2].(*Function), rec)
					if err != nil {
						return nil, err
					}
					right, ok := tv.(*Table)
					if !ok {
						return nil, typeErr(tv, "table")
					}
					rcols, err := right.columnList(th, a[3])
					if err != nil {
						return nil, err
					}
					one := &Table{typ: left.typ, rows: [][]*Lazy{r}}
					m, _, err := joinMatches(th, one, lcols, right, rcols)
					if err != nil {
						return nil, err
					}
					sub := make([][]*Lazy, len(m[0]))
					for k, ri := range m[0] {
						sub[k] = right.allRows()[ri]
					}
					return NewLazyTable(right.typ, sub), nil
				})
				rows[i] = append(append([]*Lazy(nil), r...), cell)
			}
			return left.derive(append(left.fieldsCopy(), TypeField{Name: name, Type: Prim(Base(KindTable))}), rows), nil
		}),
		builtin("Table.StopFolding", "table as table", func(th *Thread, a []Value) (Value, error) { return a[0], nil }),
		builtin("Table.ApproximateRowCount", "table as table", func(th *Thread, a []Value) (Value, error) {
			return Num(float64(a[0].(*Table).RowCount())), nil
		}),
	)
}

func tableSplitColumn(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	col, err := t.mustColumn(a[1].(Text).S)
	if err != nil {
		return nil, err
	}
	split := a[2].(*Function)
	// Split every value first: without column names the widest split
	// decides how many columns there are.
	parts := make([][]*Lazy, len(t.allRows()))
	width := 0
	for i, r := range t.allRows() {
		v, err := th.force(r[col])
		if err != nil {
			return nil, err
		}
		if isNull(v) {
			continue
		}
		pv, err := call1(th, split, v)
		if err != nil {
			return nil, err
		}
		pl, ok := pv.(*List)
		if !ok {
			return nil, typeErr(pv, "list")
		}
		parts[i] = pl.lz()
		width = max(width, len(parts[i]))
	}
	base := t.typ.Fields[col].Name
	var names []string
	switch c := a[3].(type) {
	case Null:
		for k := 0; k < width; k++ {
			names = append(names, base+"."+FormatNumber(float64(k+1)))
		}
	case Number:
		n := 0
		if err := unpack(th, []Value{c}, &n); err != nil {
			return nil, err
		}
		for k := 0; k < n; k++ {
			names = append(names, base+"."+FormatNumber(float64(k+1)))
		}
	default:
		if names, err = fieldNameArg(th, a[3]); err != nil {
			return nil, err
		}
	}
	def := Eager(a[4])
	return t.expandAt(col, names, func(_ *Thread, i int, _ []*Lazy) ([][]*Lazy, error) {
		row := make([]*Lazy, len(names))
		for k := range row {
			if k < len(parts[i]) {
				row[k] = parts[i][k]
			} else {
				row[k] = def
			}
		}
		return [][]*Lazy{row}, nil
	}).checked()
}

func tableExtreme(th *Thread, a []Value, largest bool) (Value, error) {
	t := a[0].(*Table)
	if t.RowCount() == 0 {
		return a[2], nil
	}
	sorted, err := tableSort(th, []Value{t, a[1]})
	if err != nil {
		return nil, err
	}
	s := sorted.(*Table)
	if largest {
		return s.Row(s.RowCount() - 1), nil
	}
	return s.Row(0), nil
}

func tableExtremeN(th *Thread, a []Value, largest bool) (Value, error) {
	sorted, err := tableSort(th, []Value{a[0], a[1]})
	if err != nil {
		return nil, err
	}
	s := sorted.(*Table)
	if largest {
		rows := make([][]*Lazy, s.RowCount())
		for i, r := range s.allRows() {
			rows[len(rows)-1-i] = r
		}
		s = s.derive(s.typ.Fields, rows)
	}
	n, err := s.countOrCondition(th, a[2], true)
	if err != nil {
		return nil, err
	}
	return s.derive(s.typ.Fields, s.allRows()[:n]), nil
}
