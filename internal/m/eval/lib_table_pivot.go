package eval

// Table.Pivot: one new column per pivot value, rows grouped by the other
// columns.

func init() {
	register(
		builtin("Table.Pivot", "table as table, pivotValues as list, attributeColumn as text, valueColumn as text, optional aggregationFunction as nullable function", tablePivot),
	)
}

func tablePivot(th *Thread, a []Value) (Value, error) {
	t := a[0].(*Table)
	pv, err := a[1].(*List).Values(th)
	if err != nil {
		return nil, err
	}
	pivots, err := textList(pv)
	if err != nil {
		return nil, err
	}
	attr, err := t.mustColumn(a[2].(Text).S)
	if err != nil {
		return nil, err
	}
	val, err := t.mustColumn(a[3].(Text).S)
	if err != nil {
		return nil, err
	}
	agg, _ := a[4].(*Function)
	var keyCols []int
	fields := []TypeField{}
	for j, f := range t.typ.Fields {
		if j != attr && j != val {
			keyCols = append(keyCols, j)
			fields = append(fields, f)
		}
	}
	pivotAt := map[string]int{}
	for k, p := range pivots {
		if _, dup := pivotAt[p]; dup {
			return nil, fieldExists(p)
		}
		for _, f := range fields {
			if f.Name == p {
				return nil, fieldExists(p)
			}
		}
		pivotAt[p] = k
		fields = append(fields, TypeField{Name: p, Type: Prim(BaseAny)})
	}
	type group struct {
		key   []Value
		cells [][]*Lazy // per pivot value, the value cells of matching rows
	}
	var groups []*group
	buckets := map[string][]int{}
	for i, r := range t.allRows() {
		k, err := t.rowKey(th, i, keyCols)
		if err != nil {
			return nil, err
		}
		h := hashKey(k, false)
		var g *group
		for _, gi := range buckets[h] {
			eq, err := keysEqual(th, groups[gi].key, k, NullValue)
			if err != nil {
				return nil, err
			}
			if eq {
				g = groups[gi]
				break
			}
		}
		if g == nil {
			g = &group{key: k, cells: make([][]*Lazy, len(pivots))}
			buckets[h] = append(buckets[h], len(groups))
			groups = append(groups, g)
		}
		av, err := th.force(r[attr])
		if err != nil {
			return nil, err
		}
		name, ok := av.(Text)
		if !ok {
			if isNull(av) {
				continue
			}
			return nil, typeErr(av, "text")
		}
		if p, ok := pivotAt[name.S]; ok {
			g.cells[p] = append(g.cells[p], r[val])
		}
	}
	null := Eager(NullValue)
	rows := make([][]*Lazy, len(groups))
	for i, g := range groups {
		row := make([]*Lazy, 0, len(fields))
		for _, v := range g.key {
			row = append(row, Eager(v))
		}
		for _, cells := range g.cells {
			switch {
			case agg != nil:
				row = append(row, &Lazy{v: NewLazyList(cells), mapFn: agg})
			case len(cells) == 0:
				row = append(row, null)
			case len(cells) == 1:
				row = append(row, cells[0])
			default:
				row = append(row, Defer(func(*Thread) (Value, error) {
					return nil, NewError("Expression.Error", "There were too many elements in the enumeration to complete the operation.")
				}))
			}
		}
		rows[i] = row
	}
	return NewLazyTable(TableType(fields...), orEmptyRows(rows)), nil
}
