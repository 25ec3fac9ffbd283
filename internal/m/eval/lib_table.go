package eval

import (
	"math"
	"sort"
	"strings"
)

// Table.* functions (tier 3): building tables from lists and records,
// column and row shaping, sorting, grouping, joins and expansion. Cells
// stay lazy wherever Power Query is lazy: an erroring cell fails only
// when it is read, and a conversion (Table.TransformColumnTypes) runs per
// cell on first use.

// JoinKind, ExtraValues and GroupKind values as Power Query numbers them.
const (
	joinInner      = 0
	joinLeftOuter  = 1
	joinRightOuter = 2
	joinFullOuter  = 3
	joinLeftAnti   = 4
	joinRightAnti  = 5

	extraList   = 0
	extraError  = 1
	extraIgnore = 2
)

func init() {
	for name, v := range map[string]int{
		"JoinKind.Inner": joinInner, "JoinKind.LeftOuter": joinLeftOuter, "JoinKind.RightOuter": joinRightOuter,
		"JoinKind.FullOuter": joinFullOuter, "JoinKind.LeftAnti": joinLeftAnti, "JoinKind.RightAnti": joinRightAnti,
		"ExtraValues.List": extraList, "ExtraValues.Error": extraError, "ExtraValues.Ignore": extraIgnore,
		"GroupKind.Local": 0, "GroupKind.Global": 1,
		"JoinAlgorithm.Dynamic": 0, "JoinAlgorithm.PairwiseHash": 1, "JoinAlgorithm.SortMerge": 2,
		"JoinAlgorithm.LeftHash": 3, "JoinAlgorithm.RightHash": 4, "JoinAlgorithm.LeftIndex": 5, "JoinAlgorithm.RightIndex": 6,
	} {
		registerValue(name, Num(float64(v)))
	}
	register(
		builtin("Table.FromRecords", "records as list, optional columns as any, optional missingField as nullable number", tableFromRecords),
		builtin("Table.FromRows", "rows as list, optional columns as any", func(th *Thread, a []Value) (Value, error) {
			return tableFromRows(th, a[0].(*List), a[1])
		}),
		builtin("Table.FromList", "list as list, optional splitter as nullable function, optional columns as any, optional default as any, optional extraValues as nullable number", tableFromList),
		builtin("Table.FromColumns", "lists as list, optional columns as any", tableFromColumns),
		builtin("Table.FromValue", "value as any, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case *Table:
				return x, nil
			case *Record:
				rows := make([][]*Lazy, x.Len())
				for i, n := range x.Names() {
					rows[i] = []*Lazy{Eager(Str(n)), x.LazyAt(i)}
				}
				return NewLazyTable(anyColumns("Name", "Value"), rows), nil
			case *List:
				rows := make([][]*Lazy, x.Len())
				for i := range rows {
					rows[i] = []*Lazy{x.LazyAt(i)}
				}
				return NewLazyTable(anyColumns("Value"), rows), nil
			}
			return NewTable(anyColumns("Value"), [][]Value{{a[0]}}), nil
		}),
		builtin("Table.ToRecords", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			names := t.Columns()
			return t.rowsToList(th, func(r []*Lazy) *Lazy { return Eager(NewLazyRecord(names, r)) }), nil
		}),
		builtin("Table.ToRows", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			return t.rowsToList(th, func(r []*Lazy) *Lazy { return Eager(NewLazyList(append([]*Lazy(nil), r...))) }), nil
		}),
		builtin("Table.ToColumns", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			items := make([]*Lazy, len(t.typ.Fields))
			for j := range items {
				items[j] = Eager(t.column(j))
			}
			return NewLazyList(items), nil
		}),
		builtin("Table.ToList", "table as table, optional combiner as nullable function", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			comb, _ := a[1].(*Function)
			items := make([]*Lazy, t.RowCount())
			for i := range items {
				row := t.allRows()[i]
				items[i] = Defer(func(th *Thread) (Value, error) {
					cells := NewLazyList(append([]*Lazy(nil), row...))
					if comb != nil {
						return callFn(th, comb, cells)
					}
					vals, err := cells.Values(th)
					if err != nil {
						return nil, err
					}
					parts := make([]string, len(vals))
					for k, v := range vals {
						s, err := textOf(th, v)
						if err != nil {
							return nil, err
						}
						parts[k] = s
					}
					return Str(strings.Join(parts, ",")), nil
				})
			}
			return NewLazyList(items), nil
		}),
		builtin("Table.Column", "table as table, column as text", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			j, err := t.mustColumn(a[1].(Text).S)
			if err != nil {
				return nil, err
			}
			return t.column(j), nil
		}),
		builtin("Table.ColumnNames", "table as table", func(th *Thread, a []Value) (Value, error) {
			return textsToList(a[0].(*Table).Columns()), nil
		}),
		builtin("Table.ColumnCount", "table as table", func(th *Thread, a []Value) (Value, error) {
			return Num(float64(len(a[0].(*Table).typ.Fields))), nil
		}),
		builtin("Table.HasColumns", "table as table, columns as any", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			t := a[0].(*Table)
			for _, n := range names {
				if t.ColumnIndex(n) < 0 {
					return False, nil
				}
			}
			return True, nil
		}),
		builtin("Table.ColumnsOfType", "table as table, listOfTypes as list", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			types, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var out []string
			for _, f := range t.typ.Fields {
				for _, tv := range types {
					if ty, ok := tv.(*Type); ok && equalType(orAny(f.Type), ty) {
						out = append(out, f.Name)
						break
					}
				}
			}
			return textsToList(out), nil
		}),
		builtin("Table.RowCount", "table as table", func(th *Thread, a []Value) (Value, error) {
			return Num(float64(a[0].(*Table).RowCount())), nil
		}),
		builtin("Table.IsEmpty", "table as table", func(th *Thread, a []Value) (Value, error) {
			_, ok, err := a[0].(*Table).rowAt(th, 0)
			return Bool(!ok), err
		}),
		builtin("Table.First", "table as table, optional default as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			r, ok, err := t.rowAt(th, 0)
			if err != nil || !ok {
				return a[1], err
			}
			return NewLazyRecord(t.Columns(), r), nil
		}),
		builtin("Table.Last", "table as table, optional default as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			if t.RowCount() == 0 {
				return a[1], nil
			}
			return t.Row(t.RowCount() - 1), nil
		}),
		builtin("Table.FirstValue", "table as table, optional default as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			r, ok, err := t.rowAt(th, 0)
			if err != nil || !ok || len(t.typ.Fields) == 0 {
				return a[1], err
			}
			return th.force(r[0])
		}),
		builtin("Table.SingleRow", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			switch t.RowCount() {
			case 1:
				return t.Row(0), nil
			case 0:
				return nil, indexErr(0)
			}
			return nil, NewError("Expression.Error", "There were too many elements in the enumeration to complete the operation.")
		}),
		builtin("Table.AddColumn", "table as table, newColumnName as text, columnGenerator as function, optional columnType as nullable type", tableAddColumn),
		builtin("Table.AddIndexColumn", "table as table, newColumnName as text, optional initialValue as nullable number, optional increment as nullable number, optional columnType as nullable type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			name := a[1].(Text).S
			if t.ColumnIndex(name) >= 0 {
				return nil, fieldExists(name)
			}
			start, step := 0.0, 1.0
			if err := unpack(th, a[2:4], &start, &step); err != nil {
				return nil, err
			}
			ct := Prim(Base(KindNumber))
			if ty, ok := a[4].(*Type); ok {
				ct = ty
			}
			return t.mapRows(th, append(t.fieldsCopy(), TypeField{Name: name, Type: ct}), func(_ *Thread, i int, r []*Lazy) ([]*Lazy, error) {
				return append(append(make([]*Lazy, 0, len(r)+1), r...), Eager(Num(start+float64(i)*step))), nil
			})
		}),
		builtin("Table.DuplicateColumn", "table as table, columnName as text, newColumnName as text, optional columnType as nullable type", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			j, err := t.mustColumn(a[1].(Text).S)
			if err != nil {
				return nil, err
			}
			name := a[2].(Text).S
			if t.ColumnIndex(name) >= 0 {
				return nil, fieldExists(name)
			}
			ct := t.typ.Fields[j].Type
			if ty, ok := a[3].(*Type); ok {
				ct = ty
			}
			return t.mapRows(th, append(t.fieldsCopy(), TypeField{Name: name, Type: ct}), func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
				return append(append(make([]*Lazy, 0, len(r)+1), r...), r[j]), nil
			})
		}),
		builtin("Table.RemoveColumns", "table as table, columns as any, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			drop := map[string]bool{}
			for _, n := range names {
				if t.ColumnIndex(n) < 0 && missingMode(a[2]) == missingError {
					return nil, columnNotFound(n)
				}
				drop[n] = true
			}
			var keep []int
			for j, f := range t.typ.Fields {
				if !drop[f.Name] {
					keep = append(keep, j)
				}
			}
			return t.project(keep, nil), nil
		}),
		builtin("Table.SelectColumns", "table as table, columns as any, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			return t.selectColumns(names, missingMode(a[2]))
		}),
		builtin("Table.ReorderColumns", "table as table, columnOrder as list, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			mode := missingMode(a[2])
			// The named columns take, in the given order, the positions the
			// named columns occupied; other columns stay where they were.
			var present []string
			pos := []int{}
			for _, n := range names {
				j := t.ColumnIndex(n)
				if j < 0 {
					if mode == missingError {
						return nil, columnNotFound(n)
					}
					continue
				}
				present = append(present, n)
				pos = append(pos, j)
			}
			sort.Ints(pos)
			order := make([]int, len(t.typ.Fields))
			for j := range order {
				order[j] = j
			}
			for k, p := range pos {
				order[p] = t.ColumnIndex(present[k])
			}
			return t.project(order, nil), nil
		}),
		builtin("Table.RenameColumns", "table as table, renames as list, optional missingField as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			pairs, err := renamePairs(th, a[1].(*List))
			if err != nil {
				return nil, err
			}
			fields := t.fieldsCopy()
			renamed := map[int]bool{}
			for _, p := range pairs {
				j := t.ColumnIndex(p[0])
				if j < 0 {
					if missingMode(a[2]) == missingError {
						return nil, columnNotFound(p[0])
					}
					continue
				}
				fields[j].Name = p[1]
				renamed[j] = true
			}
			seen := map[string]bool{}
			for _, f := range fields {
				if seen[f.Name] {
					return nil, fieldExists(f.Name)
				}
				seen[f.Name] = true
			}
			return t.relabel(fields), nil
		}),
		builtin("Table.TransformColumnNames", "table as table, nameGenerator as function, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			fields := t.fieldsCopy()
			seen := map[string]bool{}
			for j := range fields {
				v, err := callFn(th, a[1].(*Function), Str(fields[j].Name))
				if err != nil {
					return nil, err
				}
				s, ok := v.(Text)
				if !ok {
					return nil, typeErr(v, "text")
				}
				if seen[s.S] {
					return nil, fieldExists(s.S)
				}
				seen[s.S] = true
				fields[j].Name = s.S
			}
			return t.relabel(fields), nil
		}),
		builtin("Table.TransformColumns", "table as table, transformOperations as list, optional defaultTransformation as nullable function, optional missingField as nullable number", tableTransformColumns),
		builtin("Table.TransformColumnTypes", "table as table, typeTransformations as list, optional culture as nullable text", tableTransformColumnTypes),
		builtin("Table.TransformRows", "table as table, transform as function", func(th *Thread, a []Value) (Value, error) {
			t, f := a[0].(*Table), a[1].(*Function)
			names := t.Columns()
			return t.rowsToList(th, func(r []*Lazy) *Lazy { return &Lazy{v: NewLazyRecord(names, r), mapFn: f} }), nil
		}),
		builtin("Table.SelectRows", "table as table, condition as function", func(th *Thread, a []Value) (Value, error) {
			t, f := a[0].(*Table), a[1].(*Function)
			names := t.Columns()
			return t.filterRows(th, func(th *Thread, r []*Lazy) (bool, error) {
				return rowTest(th, f, NewLazyRecord(names, r))
			})
		}),
		builtin("Table.RemoveRows", "table as table, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			off, n := 0, 1
			if err := unpack(th, a[1:], &off, &n); err != nil {
				return nil, err
			}
			if off < 0 || off > t.RowCount() {
				return nil, argRange("offset")
			}
			if n < 0 {
				return nil, argRange("count")
			}
			end := min(off+n, t.RowCount())
			rows := append(append([][]*Lazy(nil), t.allRows()[:off]...), t.allRows()[end:]...)
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.FirstN", "table as table, countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			n, err := t.countOrCondition(th, a[1], true)
			if err != nil {
				return nil, err
			}
			return t.sliceRows(0, n), nil
		}),
		builtin("Table.LastN", "table as table, countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			n, err := t.countOrCondition(th, a[1], false)
			if err != nil {
				return nil, err
			}
			return t.derive(t.typ.Fields, t.allRows()[t.RowCount()-n:]), nil
		}),
		builtin("Table.Skip", "table as table, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			c := a[1]
			if isNull(c) {
				c = Num(1)
			}
			n, err := t.countOrCondition(th, c, true)
			if err != nil {
				return nil, err
			}
			return t.sliceRows(n, -1), nil
		}),
		builtin("Table.RemoveFirstN", "table as table, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			return library["Table.Skip"].(*Function).Impl(th, a)
		}),
		builtin("Table.RemoveLastN", "table as table, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			c := a[1]
			if isNull(c) {
				c = Num(1)
			}
			n, err := t.countOrCondition(th, c, false)
			if err != nil {
				return nil, err
			}
			return t.derive(t.typ.Fields, t.allRows()[:t.RowCount()-n]), nil
		}),
		builtin("Table.Range", "table as table, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			off, n := 0, -1
			if err := unpack(th, a[1:], &off, &n); err != nil {
				return nil, err
			}
			if off < 0 {
				return nil, argRange("offset")
			}
			if !isNull(a[2]) && n < 0 {
				return nil, argRange("count")
			}
			return t.sliceRows(off, n), nil
		}),
		builtin("Table.ReverseRows", "table as table", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			rows := make([][]*Lazy, t.RowCount())
			for i, r := range t.allRows() {
				rows[len(rows)-1-i] = r
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.InsertRows", "table as table, offset as number, rows as list", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			off := 0
			if err := unpack(th, a[1:2], &off); err != nil {
				return nil, err
			}
			if off < 0 || off > t.RowCount() {
				return nil, argRange("offset")
			}
			recs, err := a[2].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			ins := make([][]*Lazy, len(recs))
			for i, rv := range recs {
				r, ok := rv.(*Record)
				if !ok {
					return nil, typeErr(rv, "record")
				}
				row, err := t.rowFromRecord(r)
				if err != nil {
					return nil, err
				}
				ins[i] = row
			}
			rows := make([][]*Lazy, 0, t.RowCount()+len(ins))
			rows = append(append(append(rows, t.allRows()[:off]...), ins...), t.allRows()[off:]...)
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.Sort", "table as table, comparisonCriteria as any", tableSort),
		builtin("Table.Distinct", "table as table, optional equationCriteria as any", tableDistinct),
		builtin("Table.Group", "table as table, key as any, aggregatedColumns as list, optional groupKind as nullable number, optional comparer as nullable function", tableGroup),
		builtin("Table.Join", "table1 as table, key1 as any, table2 as table, key2 as any, optional joinKind as nullable number, optional joinAlgorithm as nullable number, optional keyEqualityComparers as nullable list", tableJoin),
		builtin("Table.NestedJoin", "table1 as table, key1 as any, table2 as any, key2 as any, newColumnName as text, optional joinKind as nullable number, optional keyEqualityComparers as nullable list", tableNestedJoin),
		builtin("Table.ExpandRecordColumn", "table as table, column as text, fieldNames as list, optional newColumnNames as nullable list", tableExpandRecordColumn),
		builtin("Table.ExpandListColumn", "table as table, column as text", tableExpandListColumn),
		builtin("Table.ExpandTableColumn", "table as table, column as text, columnNames as list, optional newColumnNames as nullable list", tableExpandTableColumn),
		builtin("Table.Combine", "tables as list, optional columns as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			ts := make([]*Table, len(vals))
			for i, v := range vals {
				t, ok := v.(*Table)
				if !ok {
					return nil, typeErr(v, "table")
				}
				ts[i] = t
			}
			out := combineTables(th, ts)
			if !isNull(a[1]) {
				names, err := fieldNameArg(th, a[1])
				if err != nil {
					return nil, err
				}
				return out.selectColumns(names, missingUseNull)
			}
			return out, nil
		}),
		builtin("Table.Buffer", "table as table, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			if err := th.DeepForce(t); err != nil {
				return nil, err
			}
			return t, nil
		}),
		builtin("Table.PromoteHeaders", "table as table, optional options as nullable record", tableFn(func(th *Thread, t *Table, a []Value) (Value, error) {
			if t.RowCount() == 0 {
				return t, nil
			}
			// Only text and numbers become headers unless PromoteAllScalars
			// is set; a cell that is not promoted keeps the column's name.
			allScalars := false
			if opts, ok := a[1].(*Record); ok {
				v, found, err := opts.Get(th, "PromoteAllScalars")
				if err != nil {
					return nil, err
				}
				if b, ok := v.(Logical); found && ok {
					allScalars = b.B
				}
			}
			fields := make([]TypeField, len(t.typ.Fields))
			seen := map[string]int{}
			for j := range fields {
				v, err := th.force(t.allRows()[0][j])
				if err != nil {
					return nil, err
				}
				name := t.typ.Fields[j].Name
				switch x := v.(type) {
				case Null:
				case Text:
					if x.S != "" {
						name = x.S
					}
				case Number:
					name = FormatNumber(x.F)
				default:
					if !allScalars {
						break
					}
					if s, err := textOf(th, v); err == nil {
						name = s
					}
				}
				// Power Query makes duplicate headers unique with a suffix.
				if n := seen[name]; n > 0 {
					seen[name] = n + 1
					name = name + "_" + FormatNumber(float64(n))
				} else {
					seen[name] = 1
				}
				fields[j] = TypeField{Name: name, Type: Prim(BaseAny)}
			}
			return NewLazyTable(TableType(fields...), t.allRows()[1:]), nil
		})),
		builtin("Table.DemoteHeaders", "table as table", tableFn(func(th *Thread, t *Table, a []Value) (Value, error) {
			head := make([]*Lazy, len(t.typ.Fields))
			fields := make([]TypeField, len(t.typ.Fields))
			for j, f := range t.typ.Fields {
				head[j] = Eager(Str(f.Name))
				fields[j] = TypeField{Name: "Column" + FormatNumber(float64(j+1)), Type: Prim(BaseAny)}
			}
			return NewLazyTable(TableType(fields...), append([][]*Lazy{head}, t.allRows()...)), nil
		})),
		builtin("Table.ReplaceValue", "table as table, oldValue as any, newValue as any, replacer as function, columnsToSearch as list", tableReplaceValue),
		builtin("Table.FillDown", "table as table, columns as list", func(th *Thread, a []Value) (Value, error) {
			return tableFill(th, a[0].(*Table), a[1].(*List), true)
		}),
		builtin("Table.FillUp", "table as table, columns as list", func(th *Thread, a []Value) (Value, error) {
			return tableFill(th, a[0].(*Table), a[1].(*List), false)
		}),
		builtin("Table.Unpivot", "table as table, pivotColumns as list, attributeColumn as text, valueColumn as text", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			return tableUnpivot(th, a[0].(*Table), names, a[2].(Text).S, a[3].(Text).S, false)
		}),
		builtin("Table.UnpivotOtherColumns", "table as table, pivotColumns as list, attributeColumn as text, valueColumn as text", func(th *Thread, a []Value) (Value, error) {
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			return tableUnpivot(th, a[0].(*Table), names, a[2].(Text).S, a[3].(Text).S, true)
		}),
		builtin("Table.AddKey", "table as table, columns as list, isPrimary as logical", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			names, err := fieldNameArg(th, a[1])
			if err != nil {
				return nil, err
			}
			for _, n := range names {
				if t.ColumnIndex(n) < 0 {
					return nil, columnNotFound(n)
				}
			}
			typ := *t.typ
			typ.meta = t.typ.meta
			typ.Keys = append(append([]TableKey(nil), t.typ.Keys...), TableKey{Columns: names, Primary: a[2].(Logical).B})
			c := *t
			c.typ = &typ
			return &c, nil
		}),
		builtin("Table.Keys", "table as table", func(th *Thread, a []Value) (Value, error) {
			return keysList(a[0].(*Table).typ), nil
		}),
		builtin("Table.Schema", "table as table", func(th *Thread, a []Value) (Value, error) {
			return tableSchema(a[0].(*Table).typ), nil
		}),
		builtin("Table.Contains", "table as table, row as record, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			i, err := a[0].(*Table).findRow(th, a[1].(*Record))
			return Bool(i >= 0), err
		}),
		builtin("Table.PositionOf", "table as table, row as record, optional occurrence as any, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			i, err := a[0].(*Table).findRow(th, a[1].(*Record))
			return Num(float64(i)), err
		}),
		builtin("Table.MatchesAllRows", "table as table, condition as function", func(th *Thread, a []Value) (Value, error) {
			return tableMatches(th, a[0].(*Table), a[1].(*Function), true)
		}),
		builtin("Table.MatchesAnyRows", "table as table, condition as function", func(th *Thread, a []Value) (Value, error) {
			return tableMatches(th, a[0].(*Table), a[1].(*Function), false)
		}),
		builtin("Table.RemoveRowsWithErrors", "table as table, optional columns as nullable list", func(th *Thread, a []Value) (Value, error) {
			return tableRowsWithErrors(th, a[0].(*Table), a[1], false)
		}),
		builtin("Table.SelectRowsWithErrors", "table as table, optional columns as nullable list", func(th *Thread, a []Value) (Value, error) {
			return tableRowsWithErrors(th, a[0].(*Table), a[1], true)
		}),
		builtin("Table.ReplaceErrorValues", "table as table, errorReplacement as list", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			pairs, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			if len(pairs) == 2 {
				if _, ok := pairs[0].(Text); ok {
					pairs = []Value{NewList(pairs...)}
				}
			}
			rows := t.copyRows()
			for _, pv := range pairs {
				p, ok := pv.(*List)
				if !ok || p.Len() != 2 {
					return nil, typeErr(pv, "list")
				}
				nv, _ := p.At(th, 0)
				rep, _ := p.At(th, 1)
				name, ok := nv.(Text)
				if !ok {
					return nil, typeErr(nv, "text")
				}
				j, err := t.mustColumn(name.S)
				if err != nil {
					return nil, err
				}
				for _, r := range rows {
					cell := r[j]
					r[j] = Defer(func(th *Thread) (Value, error) {
						v, err := th.force(cell)
						if err != nil && isMError(err) && AsError(err) != nil {
							return rep, nil
						}
						return v, err
					})
				}
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Table.FindText", "table as table, text as text", func(th *Thread, a []Value) (Value, error) {
			t := a[0].(*Table)
			want := a[1].(Text).S
			var rows [][]*Lazy
			for _, r := range t.allRows() {
				for _, c := range r {
					v, err := th.force(c)
					if err != nil {
						return nil, err
					}
					if s, ok := v.(Text); ok && strings.Contains(s.S, want) {
						rows = append(rows, r)
						break
					}
				}
			}
			return t.derive(t.typ.Fields, rows), nil
		}),
		builtin("Replacer.ReplaceValue", "value as any, old as any, new as any", func(th *Thread, a []Value) (Value, error) {
			eq, err := Equal(th, a[0], a[1])
			if err != nil || !eq {
				return a[0], err
			}
			return a[2], nil
		}),
		builtin("Replacer.ReplaceText", "text as nullable text, old as text, new as text", func(th *Thread, a []Value) (Value, error) {
			t, ok := a[0].(Text)
			if !ok {
				return a[0], nil
			}
			old := a[1].(Text).S
			if old == "" {
				return t, nil
			}
			return Str(strings.ReplaceAll(t.S, old, a[2].(Text).S)), nil
		}),
	)
}

// tableFn adapts an implementation taking the unpacked table.
func tableFn(f func(th *Thread, t *Table, a []Value) (Value, error)) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) { return f(th, a[0].(*Table), a) }
}

func anyColumns(names ...string) *Type {
	fields := make([]TypeField, len(names))
	for i, n := range names {
		fields[i] = TypeField{Name: n, Type: Prim(BaseAny)}
	}
	return TableType(fields...)
}

func columnNotFound(name string) error {
	return NewErrorDetail("Expression.Error", "The column '"+name+"' of the table wasn't found.", Str(name))
}

func fieldExists(name string) error {
	return NewErrorDetail("Expression.Error", "The field '"+name+"' already exists in the record.", Str(name))
}

// mustColumn returns the index of the named column or the Power Query
// missing-column error.
func (t *Table) mustColumn(name string) (int, error) {
	j := t.ColumnIndex(name)
	if j < 0 {
		return -1, columnNotFound(name)
	}
	return j, nil
}

// column returns column j as a lazy list.
func (t *Table) column(j int) *List {
	items := make([]*Lazy, len(t.allRows()))
	for i, r := range t.allRows() {
		items[i] = r[j]
	}
	return NewLazyList(items)
}

func (t *Table) fieldsCopy() []TypeField {
	return append([]TypeField(nil), t.typ.Fields...)
}

func (t *Table) copyRows() [][]*Lazy {
	rows := make([][]*Lazy, len(t.allRows()))
	for i, r := range t.allRows() {
		rows[i] = append([]*Lazy(nil), r...)
	}
	return rows
}

// derive returns a table with new columns and rows. Keys survive only when
// every key column is still present under the same name.
func (t *Table) derive(fields []TypeField, rows [][]*Lazy) *Table {
	typ := TableType(fields...)
	for _, k := range t.typ.Keys {
		ok := true
		for _, c := range k.Columns {
			found := false
			for _, f := range fields {
				if f.Name == c {
					found = true
					break
				}
			}
			ok = ok && found
		}
		if ok {
			typ.Keys = append(typ.Keys, k)
		}
	}
	if rows == nil {
		rows = [][]*Lazy{}
	}
	return NewLazyTable(typ, rows)
}

// project returns the columns at idx (in that order), renamed by names
// when given.
func (t *Table) project(idx []int, names []string) *Table {
	fields := make([]TypeField, len(idx))
	for k, j := range idx {
		fields[k] = t.typ.Fields[j]
		if names != nil {
			fields[k].Name = names[k]
		}
	}
	out, _ := t.mapRows(nil, fields, func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
		row := make([]*Lazy, len(idx))
		for k, j := range idx {
			row[k] = r[j]
		}
		return row, nil
	})
	return out
}

// selectColumns keeps the named columns in the given order; with
// MissingField.UseNull a missing one becomes a column of nulls.
func (t *Table) selectColumns(names []string, mode int) (*Table, error) {
	fields := make([]TypeField, 0, len(names))
	idx := make([]int, 0, len(names))
	for _, n := range names {
		j := t.ColumnIndex(n)
		if j < 0 {
			switch mode {
			case missingError:
				return nil, columnNotFound(n)
			case missingIgnore:
				continue
			}
			fields = append(fields, TypeField{Name: n, Type: Prim(BaseAny)})
			idx = append(idx, -1)
			continue
		}
		fields = append(fields, t.typ.Fields[j])
		idx = append(idx, j)
	}
	null := Eager(NullValue)
	return t.mapRows(nil, fields, func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
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
}

// rowFromRecord lays a record out in t's column order; a missing field
// is the record missing-field error, an extra one is ignored.
func (t *Table) rowFromRecord(r *Record) ([]*Lazy, error) {
	row := make([]*Lazy, len(t.typ.Fields))
	for j, f := range t.typ.Fields {
		k := r.IndexOf(f.Name)
		if k < 0 {
			return nil, missingField(f.Name)
		}
		row[j] = r.LazyAt(k)
	}
	return row, nil
}

func (t *Table) findRow(th *Thread, want *Record) (int, error) {
	idx := make([]int, want.Len())
	for k, n := range want.Names() {
		idx[k] = t.ColumnIndex(n)
		if idx[k] < 0 {
			return -1, nil
		}
	}
	for i, r := range t.allRows() {
		match := true
		for k, j := range idx {
			x, err := th.force(r[j])
			if err != nil {
				return -1, err
			}
			y, err := th.force(want.LazyAt(k))
			if err != nil {
				return -1, err
			}
			eq, err := Equal(th, x, y)
			if err != nil {
				return -1, err
			}
			if !eq {
				match = false
				break
			}
		}
		if match {
			return i, nil
		}
	}
	return -1, nil
}

// countOrCondition resolves Table.FirstN/Skip/LastN's argument to a row
// count: a number, or a condition that holds for a run of rows from the
// start (fromStart) or the end.
func (t *Table) countOrCondition(th *Thread, v Value, fromStart bool) (int, error) {
	switch x := v.(type) {
	case Number:
		if x.F < 0 || x.F != math.Trunc(x.F) {
			return 0, argRange("countOrCondition")
		}
		if t.src != nil && fromStart {
			return int(math.Min(x.F, math.MaxInt32)), nil // sliceRows clamps
		}
		return int(math.Min(x.F, float64(t.RowCount()))), nil
	case *Function:
		names := t.Columns()
		if fromStart {
			n := 0
			for {
				r, ok, err := t.rowAt(th, n)
				if err != nil {
					return 0, err
				}
				if !ok {
					return n, nil
				}
				if ok, err := rowTest(th, x, NewLazyRecord(names, r)); err != nil || !ok {
					return n, err
				}
				n++
			}
		}
		rows := t.allRows()
		n := 0
		for k := len(rows) - 1; k >= 0; k-- {
			ok, err := rowTest(th, x, NewLazyRecord(names, rows[k]))
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			n++
		}
		return n, nil
	}
	return 0, typeErr(v, "number")
}

// rowTest calls a row predicate and insists on a logical result.
func rowTest(th *Thread, f *Function, row Value) (bool, error) {
	v, err := call1(th, f, row)
	if err != nil {
		return false, err
	}
	b, ok := v.(Logical)
	if !ok {
		return false, typeErr(v, "logical")
	}
	return b.B, nil
}

// columnsArg reads the optional columns argument of Table.FromRows and
// friends: a number of columns, a list of names, or a table type.
func columnsArg(th *Thread, v Value, n int) (*Type, error) {
	switch c := v.(type) {
	case Null:
		fields := make([]TypeField, n)
		for i := range fields {
			fields[i] = TypeField{Name: "Column" + FormatNumber(float64(i+1)), Type: Prim(BaseAny)}
		}
		return TableType(fields...), nil
	case Number:
		if c.F < 0 || c.F != math.Trunc(c.F) || c.F > 16384 {
			return nil, argRange("columns")
		}
		return columnsArg(th, NullValue, int(c.F))
	case *Type:
		if c.Base != Base(KindTable) {
			return nil, typeErr(c, "table")
		}
		return c, nil
	case *List:
		vals, err := c.Values(th)
		if err != nil {
			return nil, err
		}
		names, err := textList(vals)
		if err != nil {
			return nil, err
		}
		seen := map[string]bool{}
		for _, n := range names {
			if seen[n] {
				return nil, fieldExists(n)
			}
			seen[n] = true
		}
		return anyColumns(names...), nil
	case Text:
		return anyColumns(c.S), nil
	}
	return nil, typeErr(v, "list")
}

func tableFromRows(th *Thread, l *List, cols Value) (Value, error) {
	n := 0
	if isNull(cols) {
		it, ok, err := l.item(th, 0)
		if err != nil {
			return nil, err
		}
		if ok {
			first, err := th.force(it)
			if err != nil {
				return nil, err
			}
			if fl, ok := first.(*List); ok {
				if fl, err = fl.full(th); err != nil {
					return nil, err
				}
				n = fl.Len()
			}
		}
	}
	typ, err := columnsArg(th, cols, n)
	if err != nil {
		return nil, err
	}
	width := len(typ.Fields)
	return rowsFromList(th, l, typ, func(th *Thread, rv Value) ([]*Lazy, error) {
		row, ok := rv.(*List)
		if !ok {
			return nil, typeErr(rv, "list")
		}
		row, err := row.full(th)
		if err != nil {
			return nil, err
		}
		if row.Len() != width {
			return nil, NewErrorDetail("Expression.Error",
				FormatNumber(float64(width))+" keys were specified, but "+FormatNumber(float64(row.Len()))+" values were provided.", row)
		}
		return append([]*Lazy(nil), row.lz()...), nil
	})
}

// rowsFromList returns the table of type typ whose row i is rowOf(item i):
// at once for a plain list, as the items are read for a streamed one.
func rowsFromList(th *Thread, l *List, typ *Type, rowOf func(th *Thread, v Value) ([]*Lazy, error)) (*Table, error) {
	if l.src != nil {
		next := l.cursor()
		return newStreamTable(th, typ, func(th *Thread) ([]*Lazy, bool, error) {
			it, ok, err := next(th)
			if !ok {
				return nil, false, err
			}
			v, err := th.force(it)
			if err != nil {
				return nil, false, err
			}
			row, err := rowOf(th, v)
			return row, err == nil, err
		}), nil
	}
	rows := make([][]*Lazy, l.Len())
	for i := range rows {
		v, err := l.At(th, i)
		if err != nil {
			return nil, err
		}
		if rows[i], err = rowOf(th, v); err != nil {
			return nil, err
		}
	}
	return NewLazyTable(typ, rows), nil
}

func tableFromRecords(th *Thread, a []Value) (Value, error) {
	l := a[0].(*List)
	mode := missingMode(a[2])
	if mode == missingIgnore {
		// Documented: a table cannot leave a column out of one row.
		return nil, argRange("missingField")
	}
	var typ *Type
	if l.src != nil {
		return streamFromRecords(th, l, a[1], mode)
	}
	recs := make([]*Record, l.Len())
	for i := range recs {
		v, err := l.At(th, i)
		if err != nil {
			return nil, err
		}
		r, ok := v.(*Record)
		if !ok {
			return nil, typeErr(v, "record")
		}
		recs[i] = r
	}
	if isNull(a[1]) {
		if len(recs) == 0 {
			return NewLazyTable(TableType(), [][]*Lazy{}), nil
		}
		typ = anyColumns(recs[0].Names()...)
	} else {
		var err error
		if typ, err = columnsArg(th, a[1], 0); err != nil {
			return nil, err
		}
	}
	names := make([]string, len(typ.Fields))
	for j, f := range typ.Fields {
		names[j] = f.Name
	}
	null := Eager(NullValue)
	block := make([]*Lazy, len(recs)*len(names))
	rows := make([][]*Lazy, len(recs))
	for i, r := range recs {
		row := block[i*len(names) : (i+1)*len(names) : (i+1)*len(names)]
		if err := layOut(r, names, row, mode, null); err != nil {
			return nil, err
		}
		rows[i] = row
	}
	return NewLazyTable(typ, rows), nil
}

// layOut fills row with r's fields in the order of names; a missing field
// is null or, under MissingField.Error, the missing-field error.
func layOut(r *Record, names []string, row []*Lazy, mode int, null *Lazy) error {
	if r.Len() == len(names) && sameNames(r.Names(), names) {
		copy(row, r.vals)
		return nil
	}
	for j, n := range names {
		k := r.IndexOf(n)
		if k < 0 {
			if mode == missingError {
				return missingField(n)
			}
			row[j] = null
			continue
		}
		row[j] = r.vals[k]
	}
	return nil
}

// streamFromRecords is Table.FromRecords over a streamed list. Without
// columns, the first record names them, so only it is read up front.
func streamFromRecords(th *Thread, l *List, cols Value, mode int) (Value, error) {
	var typ *Type
	if isNull(cols) {
		it, ok, err := l.item(th, 0)
		if err != nil {
			return nil, err
		}
		if !ok {
			return NewLazyTable(TableType(), [][]*Lazy{}), nil
		}
		v, err := th.force(it)
		if err != nil {
			return nil, err
		}
		r, isRec := v.(*Record)
		if !isRec {
			return nil, typeErr(v, "record")
		}
		typ = anyColumns(r.Names()...)
	} else {
		var err error
		if typ, err = columnsArg(th, cols, 0); err != nil {
			return nil, err
		}
	}
	names := make([]string, len(typ.Fields))
	for j, f := range typ.Fields {
		names[j] = f.Name
	}
	null := Eager(NullValue)
	return rowsFromList(th, l, typ, func(th *Thread, v Value) ([]*Lazy, error) {
		r, ok := v.(*Record)
		if !ok {
			return nil, typeErr(v, "record")
		}
		row := make([]*Lazy, len(names))
		return row, layOut(r, names, row, mode, null)
	})
}

func sameNames(a, b []string) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func tableFromList(th *Thread, a []Value) (Value, error) {
	l := a[0].(*List)
	split, _ := a[1].(*Function)
	extra := extraError
	if n, ok := a[4].(Number); ok {
		extra = int(n.F)
	}
	typ, err := columnsArg(th, a[2], 1)
	if err != nil {
		return nil, err
	}
	width := len(typ.Fields)
	def := Eager(a[3])
	return rowsFromList(th, l, typ, func(th *Thread, v Value) ([]*Lazy, error) {
		var parts Value
		var err error
		if split != nil {
			if parts, err = callFn(th, split, v); err != nil {
				return nil, err
			}
		} else {
			// The default splitter splits text at commas.
			t, ok := v.(Text)
			if !ok {
				return nil, typeErr(v, "text")
			}
			parts = textsToList(strings.Split(t.S, ","))
		}
		pl, ok := parts.(*List)
		if !ok {
			return nil, typeErr(parts, "list")
		}
		if pl, err = pl.full(th); err != nil {
			return nil, err
		}
		items := pl.lz()
		row := make([]*Lazy, width)
		for j := range row {
			if j < len(items) {
				row[j] = items[j]
			} else {
				row[j] = def
			}
		}
		if len(items) > width {
			switch extra {
			case extraError:
				return nil, NewError("Expression.Error", "There were more columns in the result than expected.")
			case extraList:
				if width > 0 {
					row[width-1] = Eager(NewLazyList(append([]*Lazy(nil), items[width-1:]...)))
				}
			}
		}
		return row, nil
	})
}

func tableFromColumns(th *Thread, a []Value) (Value, error) {
	vals, err := a[0].(*List).Values(th)
	if err != nil {
		return nil, err
	}
	cols := make([]*List, len(vals))
	height := 0
	for j, v := range vals {
		c, ok := v.(*List)
		if !ok {
			return nil, typeErr(v, "list")
		}
		cols[j] = c
		height = max(height, c.Len())
	}
	typ, err := columnsArg(th, a[1], len(cols))
	if err != nil {
		return nil, err
	}
	if len(typ.Fields) != len(cols) {
		return nil, NewError("Expression.Error", "The number of columns doesn't match the number of lists.")
	}
	null := Eager(NullValue)
	rows := make([][]*Lazy, height)
	for i := range rows {
		row := make([]*Lazy, len(cols))
		for j, c := range cols {
			if i < c.Len() {
				row[j] = c.LazyAt(i)
			} else {
				row[j] = null
			}
		}
		rows[i] = row
	}
	return NewLazyTable(typ, rows), nil
}

func tableAddColumn(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	name := a[1].(Text).S
	if t.ColumnIndex(name) >= 0 {
		return nil, fieldExists(name)
	}
	f := a[2].(*Function)
	ct := Prim(BaseAny)
	if ty, ok := a[3].(*Type); ok {
		ct = ty
	}
	names := t.Columns()
	width := len(names)
	fields := append(t.fieldsCopy(), TypeField{Name: name, Type: ct})
	if t.src != nil {
		return t.mapRows(th, fields, func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
			row := append(make([]*Lazy, 0, width+1), r...)
			return append(row, &Lazy{v: NewLazyRecord(names, r), mapFn: f}), nil
		})
	}
	block := make([]Lazy, len(t.rows))
	cells := make([]*Lazy, len(t.rows)*(width+1))
	rows := make([][]*Lazy, len(t.rows))
	for i, r := range t.rows {
		row := cells[i*(width+1) : (i+1)*(width+1) : (i+1)*(width+1)]
		copy(row, r)
		// The new cell is the generator applied to the row record, computed
		// on first use like any other cell.
		block[i] = Lazy{v: NewLazyRecord(names, r), mapFn: f}
		row[width] = &block[i]
		rows[i] = row
	}
	return t.derive(fields, rows), nil
}

// transformPairs reads {"col", f [, type]} or a list of them.
func transformPairs(th *Thread, l *List) ([][]Value, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	if len(vals) >= 2 {
		if _, ok := vals[0].(Text); ok {
			return [][]Value{vals}, nil
		}
	}
	out := make([][]Value, 0, len(vals))
	for _, v := range vals {
		p, ok := v.(*List)
		if !ok {
			return nil, typeErr(v, "list")
		}
		pv, err := p.Values(th)
		if err != nil {
			return nil, err
		}
		if len(pv) < 2 {
			return nil, NewErrorDetail("Expression.Error", "The transformation list must contain a column name and a transformation.", p)
		}
		if _, ok := pv[0].(Text); !ok {
			return nil, typeErr(pv[0], "text")
		}
		out = append(out, pv)
	}
	return out, nil
}

func tableTransformColumns(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	pairs, err := transformPairs(th, a[1].(*List))
	if err != nil {
		return nil, err
	}
	fields := t.fieldsCopy()
	fns := make([]*Function, len(fields))
	done := make([]bool, len(fields))
	var added []TypeField // MissingField.UseNull: missing columns come as nulls
	for _, p := range pairs {
		name := p[0].(Text).S
		j := t.ColumnIndex(name)
		if j < 0 {
			switch missingMode(a[3]) {
			case missingError:
				return nil, columnNotFound(name)
			case missingUseNull:
				ty := Prim(BaseAny)
				if len(p) > 2 {
					if pt, ok := p[2].(*Type); ok {
						ty = pt
					}
				}
				added = append(added, TypeField{Name: name, Type: ty})
			}
			continue
		}
		f, ok := p[1].(*Function)
		if !ok {
			return nil, typeErr(p[1], "function")
		}
		fns[j], done[j] = f, true
		fields[j].Type = Prim(BaseAny)
		if len(p) > 2 {
			if ty, ok := p[2].(*Type); ok {
				fields[j].Type = ty
			}
		}
	}
	if def, ok := a[2].(*Function); ok {
		for j := range fns {
			if !done[j] {
				fns[j] = def
				fields[j].Type = Prim(BaseAny)
			}
		}
	}
	out := t.mapColumns(fields, fns)
	if len(added) == 0 {
		return out, nil
	}
	null := Eager(NullValue)
	return out.mapRows(th, append(fields, added...), func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
		row := append(make([]*Lazy, 0, len(r)+len(added)), r...)
		for range added {
			row = append(row, null)
		}
		return row, nil
	})
}

// mapCells returns a table whose cells are f(column, cell).
func (t *Table) mapCells(fields []TypeField, f func(j int, cell *Lazy) *Lazy) *Table {
	width := len(fields)
	if t.src != nil {
		out, _ := t.mapRows(nil, fields, func(_ *Thread, _ int, r []*Lazy) ([]*Lazy, error) {
			row := make([]*Lazy, width)
			for j, c := range r {
				row[j] = f(j, c)
			}
			return row, nil
		})
		return out
	}
	cells := make([]*Lazy, len(t.allRows())*width)
	rows := make([][]*Lazy, len(t.allRows()))
	for i, r := range t.allRows() {
		row := cells[i*width : (i+1)*width : (i+1)*width]
		for j, c := range r {
			row[j] = f(j, c)
		}
		rows[i] = row
	}
	return t.derive(fields, rows)
}

func tableTransformColumnTypes(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	pairs, err := transformPairs(th, a[1].(*List))
	if err != nil {
		return nil, err
	}
	fields := t.fieldsCopy()
	convs := make([]*Function, len(fields))
	for _, p := range pairs {
		name := p[0].(Text).S
		j, err := t.mustColumn(name)
		if err != nil {
			return nil, err
		}
		ty, ok := p[1].(*Type)
		if !ok {
			return nil, typeErr(p[1], "type")
		}
		conv, err := converterFor(ty)
		if err != nil {
			return nil, err
		}
		convs[j] = conv
		fields[j].Type = ty
	}
	return t.mapColumns(fields, convs), nil
}

// mapColumns returns a table whose cells in column j are fns[j] applied to
// the cell (lazily), or the cell itself where fns[j] is nil. The new
// lazies are allocated in one block, as List.Transform does.
func (t *Table) mapColumns(fields []TypeField, fns []*Function) *Table {
	k := 0
	for _, f := range fns {
		if f != nil {
			k++
		}
	}
	var block []Lazy
	if t.src == nil {
		block = make([]Lazy, len(t.rows)*k)
	}
	n := 0
	return t.mapCells(fields, func(j int, cell *Lazy) *Lazy {
		if fns[j] == nil {
			return cell
		}
		var l *Lazy
		if block != nil {
			l = &block[n]
			n++
		} else {
			l = new(Lazy) // a streamed table's rows come one at a time
		}
		if cell.Done() {
			if v, err := cell.result(); err == nil {
				*l = Lazy{v: v, mapFn: fns[j]}
				return l
			}
		}
		*l = Lazy{mapSrc: cell, mapFn: fns[j]}
		return l
	})
}

// converterFor returns the one-argument function that converts a cell to
// ty, as Table.TransformColumnTypes applies it: null stays null, values
// go through the type's From function.
func converterFor(ty *Type) (*Function, error) {
	name := ""
	switch ty.Base {
	case BaseAny, BaseAnyNonNull:
		return library["Value.As"].(*Function).withSecond(ty), nil
	case Base(KindNumber):
		name = "Number.From"
		switch ty.Name {
		case "Int64.Type", "Int32.Type", "Int16.Type", "Int8.Type", "Byte.Type":
			name = "Int64.From"
		}
	case Base(KindText):
		name = "Text.From"
	case Base(KindLogical):
		name = "Logical.From"
	case Base(KindDate):
		name = "Date.From"
	case Base(KindDateTime):
		name = "DateTime.From"
	case Base(KindDateTimeZone):
		name = "DateTimeZone.From"
	case Base(KindTime):
		name = "Time.From"
	case Base(KindDuration):
		name = "Duration.From"
	case Base(KindBinary):
		name = "Binary.From"
	default:
		return library["Value.As"].(*Function).withSecond(ty), nil
	}
	f, ok := library[name].(*Function)
	if !ok {
		return nil, Unsupported(name)
	}
	return f, nil
}

// withSecond returns a one-argument function calling f(x, second).
func (f *Function) withSecond(second Value) *Function {
	return &Function{Name: f.Name, Params: []Param{{Name: "value"}}, Impl: func(th *Thread, a []Value) (Value, error) {
		return Call(th, f, []Value{a[0], second})
	}}
}

// sortKey is one criterion of Table.Sort: a column (or a key function of
// the row, or a two-argument comparer) and a direction.
type sortKey struct {
	col  int
	fn   *Function
	desc bool
}

func sortCriteria(th *Thread, t *Table, v Value) ([]sortKey, error) {
	one := func(c Value) (sortKey, error) {
		switch x := c.(type) {
		case Text:
			j, err := t.mustColumn(x.S)
			return sortKey{col: j}, err
		case *Function:
			return sortKey{col: -1, fn: x}, nil
		case *List:
			pv, err := x.Values(th)
			if err != nil {
				return sortKey{}, err
			}
			if len(pv) != 2 {
				return sortKey{}, typeErr(c, "text")
			}
			k, err := oneSortKey(th, t, pv[0])
			if err != nil {
				return sortKey{}, err
			}
			if n, ok := pv[1].(Number); ok {
				k.desc = n.F == 1
			} else if !isNull(pv[1]) {
				return sortKey{}, typeErr(pv[1], "number")
			}
			return k, nil
		}
		return sortKey{}, typeErr(c, "text")
	}
	if l, ok := v.(*List); ok {
		vals, err := l.Values(th)
		if err != nil {
			return nil, err
		}
		// {"col", Order.Descending} is a single criterion.
		if len(vals) == 2 {
			if _, ok := vals[1].(Number); ok {
				k, err := one(v)
				return []sortKey{k}, err
			}
		}
		keys := make([]sortKey, len(vals))
		for i, c := range vals {
			if keys[i], err = one(c); err != nil {
				return nil, err
			}
		}
		return keys, nil
	}
	k, err := one(v)
	return []sortKey{k}, err
}

func oneSortKey(th *Thread, t *Table, c Value) (sortKey, error) {
	switch x := c.(type) {
	case Text:
		j, err := t.mustColumn(x.S)
		return sortKey{col: j}, err
	case *Function:
		return sortKey{col: -1, fn: x}, nil
	}
	return sortKey{}, typeErr(c, "text")
}

func tableSort(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	keys, err := sortCriteria(th, t, a[1])
	if err != nil {
		return nil, err
	}
	names := t.Columns()
	n := t.RowCount()
	// Precompute key values per row so comparisons do not re-run M code.
	vals := make([][]Value, len(keys))
	for k, key := range keys {
		if key.fn != nil && len(key.fn.Params) == 2 {
			continue
		}
		vals[k] = make([]Value, n)
		for i, r := range t.allRows() {
			var v Value
			var err error
			if key.fn != nil {
				v, err = call1(th, key.fn, NewLazyRecord(names, r))
			} else {
				v, err = th.force(r[key.col])
			}
			if err != nil {
				return nil, err
			}
			vals[k][i] = v
		}
	}
	perm := make([]int, n)
	for i := range perm {
		perm[i] = i
	}
	var sortErr error
	sort.SliceStable(perm, func(x, y int) bool {
		if sortErr != nil {
			return false
		}
		i, j := perm[x], perm[y]
		for k, key := range keys {
			var c int
			if vals[k] == nil {
				r, err := callFn(th, key.fn, NewLazyRecord(names, t.allRows()[i]), NewLazyRecord(names, t.allRows()[j]))
				if err != nil {
					sortErr = err
					return false
				}
				num, ok := r.(Number)
				if !ok {
					sortErr = typeErr(r, "number")
					return false
				}
				c = int(num.F)
			} else {
				var err error
				if c, err = Compare(th, vals[k][i], vals[k][j]); err != nil {
					sortErr = err
					return false
				}
			}
			if key.desc {
				c = -c
			}
			if c != 0 {
				return c < 0
			}
		}
		return false
	})
	if sortErr != nil {
		return nil, sortErr
	}
	rows := make([][]*Lazy, n)
	for k, i := range perm {
		rows[k] = t.allRows()[i]
	}
	return t.derive(t.typ.Fields, rows), nil
}

// rowKey returns the values of the given columns of row i.
func (t *Table) rowKey(th *Thread, i int, cols []int) ([]Value, error) {
	out := make([]Value, len(cols))
	for k, j := range cols {
		v, err := th.force(t.allRows()[i][j])
		if err != nil {
			return nil, err
		}
		out[k] = v
	}
	return out, nil
}

func keysEqual(th *Thread, a, b []Value, comparer Value) (bool, error) {
	for k := range a {
		eq, err := equalBy(th, a[k], b[k], comparer)
		if err != nil || !eq {
			return false, err
		}
	}
	return true, nil
}

// hashKey is a cheap bucket key for scalar values, so grouping and joins
// stay near-linear; equality is still decided by Equal.
func hashKey(vals []Value, fold bool) string {
	var b strings.Builder
	for _, v := range vals {
		switch x := v.(type) {
		case Text:
			s := x.S
			if fold {
				s = strings.ToLower(s)
			}
			b.WriteString("t" + s)
		case Number:
			b.WriteString("n" + FormatNumber(x.F))
		case Null:
			b.WriteString("z")
		case Logical, Date, DateTime, DateTimeZone, Time, Duration:
			b.WriteString(Serialize(nil, v))
		default:
			b.WriteString("?") // structured values share one bucket
		}
		b.WriteByte(0)
	}
	return b.String()
}

func (t *Table) columnList(th *Thread, v Value) ([]int, error) {
	names, err := fieldNameArg(th, v)
	if err != nil {
		return nil, err
	}
	cols := make([]int, len(names))
	for k, n := range names {
		if cols[k], err = t.mustColumn(n); err != nil {
			return nil, err
		}
	}
	return cols, nil
}

func tableDistinct(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	cols := make([]int, len(t.typ.Fields))
	for j := range cols {
		cols[j] = j
	}
	var comparer Value = NullValue
	switch c := a[1].(type) {
	case Text, *List:
		var err error
		if l, ok := c.(*List); ok && l.Len() == 2 {
			if f, _ := l.At(th, 1); f != nil && f.Kind() == KindFunction {
				first, _ := l.At(th, 0)
				comparer = f
				c = first
			}
		}
		if cols, err = t.columnList(th, c); err != nil {
			return nil, err
		}
	case *Function:
		comparer = c
	}
	fold := false
	if f, ok := comparer.(*Function); ok {
		fold = ignoreCase(f)
	}
	buckets := map[string][]int{}
	var rows [][]*Lazy
	keys := make([][]Value, 0)
	for i := range t.allRows() {
		k, err := t.rowKey(th, i, cols)
		if err != nil {
			return nil, err
		}
		h := hashKey(k, fold)
		dup := false
		for _, o := range buckets[h] {
			eq, err := keysEqual(th, keys[o], k, comparer)
			if err != nil {
				return nil, err
			}
			if eq {
				dup = true
				break
			}
		}
		if !dup {
			buckets[h] = append(buckets[h], len(keys))
			keys = append(keys, k)
			rows = append(rows, t.allRows()[i])
		}
	}
	return t.derive(t.typ.Fields, rows), nil
}

func tableGroup(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	cols, err := t.columnList(th, a[1])
	if err != nil {
		return nil, err
	}
	aggs, err := transformPairs(th, a[2].(*List))
	if err != nil {
		return nil, err
	}
	local := false
	if n, ok := a[3].(Number); ok {
		local = n.F == 0
	}
	comparer := a[4]
	fold := false
	if f, ok := comparer.(*Function); ok {
		fold = ignoreCase(f)
	}
	type group struct {
		key  []Value
		rows [][]*Lazy
	}
	var groups []*group
	buckets := map[string][]int{}
	for i := range t.allRows() {
		k, err := t.rowKey(th, i, cols)
		if err != nil {
			return nil, err
		}
		found := -1
		if local {
			if n := len(groups); n > 0 {
				eq, err := keysEqual(th, groups[n-1].key, k, comparer)
				if err != nil {
					return nil, err
				}
				if eq {
					found = n - 1
				}
			}
		} else {
			h := hashKey(k, fold)
			for _, g := range buckets[h] {
				eq, err := keysEqual(th, groups[g].key, k, comparer)
				if err != nil {
					return nil, err
				}
				if eq {
					found = g
					break
				}
			}
			if found < 0 {
				buckets[h] = append(buckets[h], len(groups))
			}
		}
		if found < 0 {
			groups = append(groups, &group{key: k})
			found = len(groups) - 1
		}
		groups[found].rows = append(groups[found].rows, t.allRows()[i])
	}
	fields := make([]TypeField, 0, len(cols)+len(aggs))
	for _, j := range cols {
		fields = append(fields, t.typ.Fields[j])
	}
	fns := make([]*Function, len(aggs))
	for k, p := range aggs {
		f, ok := p[1].(*Function)
		if !ok {
			return nil, typeErr(p[1], "function")
		}
		fns[k] = f
		ty := Prim(BaseAny)
		if len(p) > 2 {
			if x, ok := p[2].(*Type); ok {
				ty = x
			}
		}
		fields = append(fields, TypeField{Name: p[0].(Text).S, Type: ty})
	}
	seen := map[string]bool{}
	for _, f := range fields {
		if seen[f.Name] {
			return nil, fieldExists(f.Name)
		}
		seen[f.Name] = true
	}
	rows := make([][]*Lazy, len(groups))
	for i, g := range groups {
		row := make([]*Lazy, 0, len(fields))
		for _, v := range g.key {
			row = append(row, Eager(v))
		}
		sub := NewLazyTable(t.typ, g.rows)
		for _, f := range fns {
			row = append(row, &Lazy{v: sub, mapFn: f})
		}
		rows[i] = row
	}
	return NewLazyTable(TableType(fields...), rows), nil
}

// joinMatches returns, for each row of left, the indices of matching rows
// of right.
func joinMatches(th *Thread, left *Table, lcols []int, right *Table, rcols []int) ([][]int, []bool, error) {
	if len(lcols) != len(rcols) {
		return nil, nil, NewError("Expression.Error", "The number of keys in the tables doesn't match.")
	}
	buckets := map[string][]int{}
	rkeys := make([][]Value, right.RowCount())
	for i := range right.allRows() {
		k, err := right.rowKey(th, i, rcols)
		if err != nil {
			return nil, nil, err
		}
		rkeys[i] = k
		h := hashKey(k, false)
		buckets[h] = append(buckets[h], i)
	}
	matches := make([][]int, left.RowCount())
	used := make([]bool, right.RowCount())
	for i := range left.allRows() {
		k, err := left.rowKey(th, i, lcols)
		if err != nil {
			return nil, nil, err
		}
		for _, r := range buckets[hashKey(k, false)] {
			eq, err := keysEqual(th, k, rkeys[r], NullValue)
			if err != nil {
				return nil, nil, err
			}
			if eq {
				matches[i] = append(matches[i], r)
				used[r] = true
			}
		}
	}
	return matches, used, nil
}

func joinKind(v Value) int {
	if n, ok := v.(Number); ok {
		return int(n.F)
	}
	return joinInner
}

func tableJoin(th *Thread, a []Value) (Value, error) {
	left, right := a[0].(*Table), a[2].(*Table)
	lcols, err := left.columnList(th, a[1])
	if err != nil {
		return nil, err
	}
	rcols, err := right.columnList(th, a[3])
	if err != nil {
		return nil, err
	}
	kind := joinKind(a[4])
	fields := left.fieldsCopy()
	for _, f := range right.typ.Fields {
		if left.ColumnIndex(f.Name) >= 0 {
			return nil, NewErrorDetail("Expression.Error",
				"A join operation cannot result in a table with duplicate column names (\""+f.Name+"\").", Str(f.Name))
		}
		fields = append(fields, f)
	}
	matches, used, err := joinMatches(th, left, lcols, right, rcols)
	if err != nil {
		return nil, err
	}
	if isSemiJoin(kind) {
		return semiJoin(left, right, fields, matches, used, kind), nil
	}
	lw, rw := len(left.typ.Fields), len(right.typ.Fields)
	null := Eager(NullValue)
	nulls := func(n int) []*Lazy {
		out := make([]*Lazy, n)
		for i := range out {
			out[i] = null
		}
		return out
	}
	var rows [][]*Lazy
	for i, l := range left.allRows() {
		switch {
		case kind == joinLeftAnti:
			if len(matches[i]) == 0 {
				rows = append(rows, append(append([]*Lazy(nil), l...), nulls(rw)...))
			}
		case kind == joinRightAnti:
		case len(matches[i]) == 0:
			if kind == joinLeftOuter || kind == joinFullOuter {
				rows = append(rows, append(append([]*Lazy(nil), l...), nulls(rw)...))
			}
		default:
			for _, r := range matches[i] {
				rows = append(rows, append(append([]*Lazy(nil), l...), right.allRows()[r]...))
			}
		}
	}
	if kind == joinRightOuter || kind == joinFullOuter || kind == joinRightAnti {
		for r, ok := range used {
			if !ok {
				rows = append(rows, append(nulls(lw), right.allRows()[r]...))
			}
		}
	}
	return NewLazyTable(TableType(fields...), orEmptyRows(rows)), nil
}

func orEmptyRows(rows [][]*Lazy) [][]*Lazy {
	if rows == nil {
		return [][]*Lazy{}
	}
	return rows
}

func tableNestedJoin(th *Thread, a []Value) (Value, error) {
	left := a[0].(*Table)
	right, ok := a[2].(*Table)
	if !ok {
		return nil, typeErr(a[2], "table")
	}
	name := a[4].(Text).S
	if left.ColumnIndex(name) >= 0 {
		return nil, fieldExists(name)
	}
	lcols, err := left.columnList(th, a[1])
	if err != nil {
		return nil, err
	}
	rcols, err := right.columnList(th, a[3])
	if err != nil {
		return nil, err
	}
	kind := joinKind(a[5])
	matches, used, err := joinMatches(th, left, lcols, right, rcols)
	if err != nil {
		return nil, err
	}
	if isSemiJoin(kind) {
		return nestedSemiJoin(left, right, name, matches, used, kind), nil
	}
	sub := func(idx []int) *Lazy {
		rows := make([][]*Lazy, len(idx))
		for k, r := range idx {
			rows[k] = right.allRows()[r]
		}
		return Eager(NewLazyTable(right.typ, rows))
	}
	var rows [][]*Lazy
	for i, l := range left.allRows() {
		m := matches[i]
		keep := false
		switch kind {
		case joinInner:
			keep = len(m) > 0
		case joinLeftOuter, joinFullOuter:
			keep = true
		case joinLeftAnti:
			keep = len(m) == 0
		case joinRightOuter:
			keep = len(m) > 0
		}
		if keep {
			rows = append(rows, append(append([]*Lazy(nil), l...), sub(m)))
		}
	}
	if kind == joinRightOuter || kind == joinFullOuter || kind == joinRightAnti {
		null := Eager(NullValue)
		for r, ok := range used {
			if ok {
				continue
			}
			row := make([]*Lazy, len(left.typ.Fields)+1)
			for j := range left.typ.Fields {
				row[j] = null
			}
			row[len(row)-1] = sub([]int{r})
			rows = append(rows, row)
		}
	}
	fields := append(left.fieldsCopy(), TypeField{Name: name, Type: right.typ})
	return left.derive(fields, orEmptyRows(rows)), nil
}

// expandNames reads the field names and new names of an Expand* call.
func expandNames(th *Thread, t *Table, col int, names *List, newNames Value) ([]string, []string, error) {
	nv, err := names.Values(th)
	if err != nil {
		return nil, nil, err
	}
	fields, err := textList(nv)
	if err != nil {
		return nil, nil, err
	}
	out := fields
	if l, ok := newNames.(*List); ok {
		vv, err := l.Values(th)
		if err != nil {
			return nil, nil, err
		}
		if out, err = textList(vv); err != nil {
			return nil, nil, err
		}
		if len(out) != len(fields) {
			return nil, nil, NewError("Expression.Error", "The number of new column names doesn't match the number of columns.")
		}
	}
	for _, n := range out {
		if j := t.ColumnIndex(n); j >= 0 && j != col {
			return nil, nil, fieldExists(n)
		}
	}
	return fields, out, nil
}

func tableExpandRecordColumn(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	col, err := t.mustColumn(a[1].(Text).S)
	if err != nil {
		return nil, err
	}
	fields, newNames, err := expandNames(th, t, col, a[2].(*List), a[3])
	if err != nil {
		return nil, err
	}
	return t.expandAt(col, newNames, func(_ *Thread, _ int, r []*Lazy) ([][]*Lazy, error) {
		cell := r[col]
		parts := make([]*Lazy, len(fields))
		for k, f := range fields {
			parts[k] = Defer(func(th *Thread) (Value, error) {
				v, err := th.force(cell)
				if err != nil {
					return nil, err
				}
				switch r := v.(type) {
				case Null:
					return NullValue, nil
				case *Record:
					if v, ok, err := r.Get(th, f); ok || err != nil {
						return v, err
					}
					return NullValue, nil
				}
				return nil, typeErr(v, "record")
			})
		}
		return [][]*Lazy{parts}, nil
	}).checked()
}

func tableExpandTableColumn(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	col, err := t.mustColumn(a[1].(Text).S)
	if err != nil {
		return nil, err
	}
	fields, newNames, err := expandNames(th, t, col, a[2].(*List), a[3])
	if err != nil {
		return nil, err
	}
	null := Eager(NullValue)
	return t.expandAt(col, newNames, func(pth *Thread, _ int, r []*Lazy) ([][]*Lazy, error) {
		th := th
		if pth != nil {
			th = pth
		}
		v, err := th.force(r[col])
		if err != nil {
			return nil, err
		}
		var sub *Table
		switch x := v.(type) {
		case Null:
		case *Table:
			sub = x
		case *List:
			// A list of records expands like a table.
			tv, err := tableFromRecords(th, []Value{x, NullValue, Num(missingUseNull)})
			if err != nil {
				return nil, err
			}
			sub = tv.(*Table)
		default:
			return nil, typeErr(v, "table")
		}
		if sub != nil {
			if sub, err = sub.full(th); err != nil {
				return nil, err
			}
		}
		if sub == nil || sub.RowCount() == 0 {
			parts := make([]*Lazy, len(fields))
			for k := range parts {
				parts[k] = null
			}
			return [][]*Lazy{parts}, nil
		}
		idx := make([]int, len(fields))
		for k, f := range fields {
			if idx[k], err = sub.mustColumn(f); err != nil {
				return nil, err
			}
		}
		rows := make([][]*Lazy, sub.RowCount())
		for r := range rows {
			parts := make([]*Lazy, len(fields))
			for k, j := range idx {
				parts[k] = sub.rows[r][j]
			}
			rows[r] = parts
		}
		return rows, nil
	}).checked()
}

func tableExpandListColumn(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	col, err := t.mustColumn(a[1].(Text).S)
	if err != nil {
		return nil, err
	}
	out := t.expandAt(col, []string{t.typ.Fields[col].Name}, func(pth *Thread, _ int, r []*Lazy) ([][]*Lazy, error) {
		th := th
		if pth != nil {
			th = pth
		}
		v, err := th.force(r[col])
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case Null:
			return [][]*Lazy{{Eager(NullValue)}}, nil
		case *List:
			if x.Len() == 0 {
				return [][]*Lazy{{Eager(NullValue)}}, nil
			}
			rows := make([][]*Lazy, x.Len())
			for k := range rows {
				rows[k] = []*Lazy{x.LazyAt(k)}
			}
			return rows, nil
		}
		return nil, typeErr(v, "list")
	})
	return out.checked()
}

// expandedTable is the result of expandAt: a table, or the first error
// met while expanding.
type expandedTable struct {
	*Table
	err error
}

func (e expandedTable) checked() (Value, error) {
	if e.err != nil {
		return nil, e.err
	}
	return e.Table, nil
}

// expandAt replaces column col by the columns names; parts returns, per
// input row, one or more rows of cells for the new columns.
func (t *Table) expandAt(col int, names []string, parts func(th *Thread, i int, r []*Lazy) ([][]*Lazy, error)) expandedTable {
	fields := make([]TypeField, 0, len(t.typ.Fields)+len(names)-1)
	fields = append(fields, t.typ.Fields[:col]...)
	for _, n := range names {
		fields = append(fields, TypeField{Name: n, Type: Prim(BaseAny)})
	}
	fields = append(fields, t.typ.Fields[col+1:]...)
	splice := func(r, p []*Lazy) []*Lazy {
		row := make([]*Lazy, 0, len(fields))
		row = append(row, r[:col]...)
		row = append(row, p...)
		return append(row, r[col+1:]...)
	}
	if t.src != nil {
		// One row may expand into several: pending holds the rest.
		next, i := t.rowCursor(), 0
		var r []*Lazy
		var pending [][]*Lazy
		return expandedTable{Table: t.streamOf(fields, func(th *Thread) ([]*Lazy, bool, error) {
			for len(pending) == 0 {
				var ok bool
				var err error
				if r, ok, err = next(th); err != nil || !ok {
					return nil, false, err
				}
				if pending, err = parts(th, i, r); err != nil {
					return nil, false, err
				}
				i++
			}
			p := pending[0]
			pending = pending[1:]
			return splice(r, p), true, nil
		})}
	}
	rows := make([][]*Lazy, 0, len(t.rows))
	for i, r := range t.rows {
		ps, err := parts(nil, i, r)
		if err != nil {
			return expandedTable{err: err}
		}
		for _, p := range ps {
			rows = append(rows, splice(r, p))
		}
	}
	return expandedTable{Table: t.derive(fields, rows)}
}

func tableReplaceValue(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	cols, err := t.columnList(th, a[4])
	if err != nil {
		return nil, err
	}
	replacer := a[3].(*Function)
	oldV, newV := a[1], a[2]
	names := t.Columns()
	on := make([]bool, len(t.typ.Fields))
	for _, j := range cols {
		on[j] = true
	}
	// oldValue and newValue may be functions of the row (each [A]).
	arg := func(th *Thread, v Value, row []*Lazy) (Value, error) {
		if f, ok := v.(*Function); ok && len(f.Params) == 1 {
			return call1(th, f, NewLazyRecord(names, row))
		}
		return v, nil
	}
	rows := make([][]*Lazy, len(t.allRows()))
	for i, r := range t.allRows() {
		row := append([]*Lazy(nil), r...)
		for j := range row {
			if !on[j] {
				continue
			}
			cell, src := r[j], r
			row[j] = Defer(func(th *Thread) (Value, error) {
				v, err := th.force(cell)
				if err != nil {
					return nil, err
				}
				o, err := arg(th, oldV, src)
				if err != nil {
					return nil, err
				}
				n, err := arg(th, newV, src)
				if err != nil {
					return nil, err
				}
				return callFn(th, replacer, v, o, n)
			})
		}
		rows[i] = row
	}
	return t.derive(t.typ.Fields, rows), nil
}

func tableFill(th *Thread, t *Table, cols *List, down bool) (Value, error) {
	idx, err := t.columnList(th, cols)
	if err != nil {
		return nil, err
	}
	rows := t.copyRows()
	for _, j := range idx {
		var last *Lazy
		for k := range rows {
			i := k
			if !down {
				i = len(rows) - 1 - k
			}
			v, err := th.force(rows[i][j])
			if err != nil {
				return nil, err
			}
			if isNull(v) {
				if last != nil {
					rows[i][j] = last
				}
			} else {
				last = rows[i][j]
			}
		}
	}
	return t.derive(t.typ.Fields, rows), nil
}

func tableUnpivot(th *Thread, t *Table, names []string, attr, value string, other bool) (Value, error) {
	pivot := map[int]bool{}
	for _, n := range names {
		j := t.ColumnIndex(n)
		if j < 0 {
			if other {
				continue
			}
			return nil, columnNotFound(n)
		}
		pivot[j] = true
	}
	if other {
		inv := map[int]bool{}
		for j := range t.typ.Fields {
			if !pivot[j] {
				inv[j] = true
			}
		}
		pivot = inv
	}
	var keep, piv []int
	for j := range t.typ.Fields {
		if pivot[j] {
			piv = append(piv, j)
		} else {
			keep = append(keep, j)
		}
	}
	fields := make([]TypeField, 0, len(keep)+2)
	for _, j := range keep {
		fields = append(fields, t.typ.Fields[j])
	}
	fields = append(fields, TypeField{Name: attr, Type: Prim(Base(KindText))}, TypeField{Name: value, Type: Prim(BaseAny)})
	var rows [][]*Lazy
	for _, r := range t.allRows() {
		for _, j := range piv {
			v, err := th.force(r[j])
			if err != nil {
				return nil, err
			}
			if isNull(v) {
				continue // Power Query drops null values when unpivoting
			}
			row := make([]*Lazy, 0, len(fields))
			for _, k := range keep {
				row = append(row, r[k])
			}
			row = append(row, Eager(Str(t.typ.Fields[j].Name)), r[j])
			rows = append(rows, row)
		}
	}
	return NewLazyTable(TableType(fields...), orEmptyRows(rows)), nil
}

func keysList(t *Type) Value {
	out := make([]Value, len(t.Keys))
	for i, k := range t.Keys {
		cols := make([]Value, len(k.Columns))
		for c, n := range k.Columns {
			cols[c] = Str(n)
		}
		out[i] = NewRecord(Field{"Columns", NewList(cols...)}, Field{"Primary", Bool(k.Primary)})
	}
	return NewList(out...)
}

func tableMatches(th *Thread, t *Table, f *Function, all bool) (Value, error) {
	names := t.Columns()
	for _, r := range t.allRows() {
		ok, err := rowTest(th, f, NewLazyRecord(names, r))
		if err != nil {
			return nil, err
		}
		if ok != all {
			return Bool(!all), nil
		}
	}
	return Bool(all), nil
}

func tableRowsWithErrors(th *Thread, t *Table, cols Value, want bool) (Value, error) {
	idx := make([]int, len(t.typ.Fields))
	for j := range idx {
		idx[j] = j
	}
	if !isNull(cols) {
		var err error
		if idx, err = t.columnList(th, cols); err != nil {
			return nil, err
		}
	}
	var rows [][]*Lazy
	for _, r := range t.allRows() {
		bad := false
		for _, j := range idx {
			if _, err := th.force(r[j]); err != nil {
				if AsError(err) == nil {
					return nil, err // fatal: bounds or cancellation
				}
				bad = true
				break
			}
		}
		if bad == want {
			rows = append(rows, r)
		}
	}
	return t.derive(t.typ.Fields, rows), nil
}
