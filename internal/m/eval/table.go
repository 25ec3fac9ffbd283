package eval

// Table is an M table: a table type (its columns) and rows of lazy cells.
// The representation is deliberately plain so the tier 3 table library can
// build on it; every row has exactly one cell per column.
type Table struct {
	typ  *Type
	rows [][]*Lazy
	src  *seq[[]*Lazy] // when non-nil, the rows are produced on demand (stream.go)
	meta *Record
}

// NewTable returns a table of the given type whose rows hold eager values.
// Each row must have one value per column of typ.
func NewTable(typ *Type, rows [][]Value) *Table {
	t := &Table{typ: typ, rows: make([][]*Lazy, len(rows))}
	for i, r := range rows {
		cells := make([]*Lazy, len(r))
		for j, v := range r {
			cells[j] = Eager(v)
		}
		t.rows[i] = cells
	}
	return t
}

// NewLazyTable returns a table with lazy cells (not copied).
func NewLazyTable(typ *Type, rows [][]*Lazy) *Table { return &Table{typ: typ, rows: rows} }

// Kind implements Value.
func (*Table) Kind() Kind { return KindTable }

// Meta implements Value.
func (t *Table) Meta() *Record { return t.meta }

// WithMeta implements Value.
func (t *Table) WithMeta(m *Record) Value {
	c := *t
	c.meta = normMeta(m)
	return &c
}

// Type returns the table type.
func (t *Table) Type() *Type { return t.typ }

// Columns returns the column names in order.
func (t *Table) Columns() []string {
	out := make([]string, len(t.typ.Fields))
	for i, f := range t.typ.Fields {
		out[i] = f.Name
	}
	return out
}

// ColumnIndex returns the position of the named column, or -1.
func (t *Table) ColumnIndex(name string) int {
	for i, f := range t.typ.Fields {
		if f.Name == name {
			return i
		}
	}
	return -1
}

// RowCount returns the number of rows.
func (t *Table) RowCount() int { return len(t.allRows()) }

// Row returns row i as a record (cells not forced).
func (t *Table) Row(i int) *Record {
	return NewLazyRecord(t.Columns(), t.allRows()[i])
}

// Cell returns the lazy cell at row i, column j.
func (t *Table) Cell(i, j int) *Lazy { return t.allRows()[i][j] }
