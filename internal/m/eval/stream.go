package eval

// Streamed lists and tables.
//
// Power Query enumerates lists and tables on demand: List.Generate calls its
// next function only when the item after the current one is read, so a
// paging helper fetches page n+1 only once the rows of page n have been
// consumed, and Table.FirstN(t, 5) over a paged source requests one page.
//
// A streamed List or Table has a src (a seq) instead of its items or rows.
// Most library functions never see one: builtin materialises streamed
// arguments before the implementation runs, so they keep working on plain
// slices. The functions named in streamingBuiltins take streams as they are
// and hand the laziness on (List.Transform of a stream is a stream, and so
// on). Accessors without a Thread (Len, RowCount, …) fall back to
// materialising with the thread that made the stream; an enumeration error
// then becomes a last item that fails when it is forced.

// seq produces the items of a streamed list (T = *Lazy) or the rows of a
// streamed table (T = []*Lazy) on demand and remembers them, so that every
// reader sees the same items and the source runs once. Like Lazy, a seq is
// used by one evaluation thread at a time.
type seq[T any] struct {
	buf  []T
	pull func(th *Thread) (T, bool, error) // nil once exhausted or failed
	err  error                             // why the source failed
	th   *Thread                           // made the stream; for readers without one
	busy bool                              // a pull is running (cycle guard)
}

func newSeq[T any](th *Thread, pull func(th *Thread) (T, bool, error)) *seq[T] {
	return &seq[T]{pull: pull, th: th}
}

// fill pulls until the buffer holds n items (all of them when n < 0) or the
// source ends. It returns the source's error only when that error stands
// between the reader and the items it asked for.
func (s *seq[T]) fill(th *Thread, n int) error {
	if th == nil {
		th = s.th
	}
	for s.pull != nil && (n < 0 || len(s.buf) < n) {
		if s.busy {
			return NewError("Expression.Error", "A cyclic reference was encountered during evaluation.")
		}
		s.busy = true
		x, ok, err := s.pull(th)
		s.busy = false
		switch {
		case err != nil:
			s.err, s.pull = err, nil
		case !ok:
			s.pull = nil
		default:
			s.buf = append(s.buf, x)
			if err := th.checkLen(len(s.buf)); err != nil {
				s.err, s.pull = err, nil
			}
		}
	}
	if s.err != nil && (n < 0 || len(s.buf) < n) {
		return s.err
	}
	return nil
}

// at returns item i, false past the end.
func (s *seq[T]) at(th *Thread, i int) (T, bool, error) {
	var zero T
	if i < 0 {
		return zero, false, nil
	}
	if err := s.fill(th, i+1); err != nil {
		return zero, false, err
	}
	if i < len(s.buf) {
		return s.buf[i], true, nil
	}
	return zero, false, nil
}

// errLazy is a pending item that fails with err when forced.
func errLazy(err error) *Lazy {
	return Defer(func(*Thread) (Value, error) { return nil, err })
}

// streamingBuiltins take streamed lists and tables as they are; every other
// builtin gets its List and Table arguments materialised. A function named
// here must read rows and items only through the stream-aware helpers
// (item, rowAt, cursor, mapRows, …) or materialise itself.
var streamingBuiltins = map[string]bool{
	// Lists.
	"List.Generate": true, "List.Combine": true, "List.Transform": true, "List.Select": true,
	"List.FirstN": true, "List.Skip": true, "List.First": true, "List.IsEmpty": true,
	"List.Range": true, "List.Accumulate": true,
	// Tables.
	"Table.FromRows": true, "Table.FromRecords": true, "Table.FromList": true, "Table.Combine": true,
	"Table.AddColumn": true, "Table.AddIndexColumn": true, "Table.DuplicateColumn": true,
	"Table.RemoveColumns": true, "Table.SelectColumns": true, "Table.ReorderColumns": true,
	"Table.RenameColumns": true, "Table.TransformColumnNames": true, "Table.PrefixColumns": true,
	"Table.TransformColumns": true, "Table.TransformColumnTypes": true, "Table.TransformRows": true,
	"Table.ExpandRecordColumn": true, "Table.ExpandTableColumn": true, "Table.ExpandListColumn": true,
	"Table.SelectRows": true, "Table.FirstN": true, "Table.First": true, "Table.FirstValue": true, "Table.Skip": true,
	"Table.Range": true, "Table.IsEmpty": true, "Table.ToRecords": true, "Table.ToRows": true,
	"Table.ColumnNames": true, "Table.ColumnCount": true, "Table.HasColumns": true,
	"Table.Schema": true, "Table.StopFolding": true,
	// Values passed through without reading their items.
	"Value.Type": true, "Value.Metadata": true, "Value.RemoveMetadata": true,
	"Value.ReplaceMetadata": true, "Value.ReplaceType": true, "Value.Is": true, "Value.As": true,
	"Record.AddField": true, "Diagnostics.Trace": true,
}

// materializeArgs returns args with every streamed list or table replaced by
// its materialised equivalent, copying args only when one is found.
func materializeArgs(th *Thread, args []Value) ([]Value, error) {
	var out []Value
	for i, a := range args {
		var m Value
		switch x := a.(type) {
		case *List:
			if x.src == nil {
				continue
			}
			l, err := x.full(th)
			if err != nil {
				return nil, err
			}
			m = l
		case *Table:
			if x.src == nil {
				continue
			}
			t, err := x.full(th)
			if err != nil {
				return nil, err
			}
			m = t
		default:
			continue
		}
		if out == nil {
			out = append([]Value(nil), args...)
		}
		out[i] = m
	}
	if out == nil {
		return args, nil
	}
	return out, nil
}

// ---- lists ----

// newStreamList returns a list whose items pull produces on demand.
func newStreamList(th *Thread, pull func(th *Thread) (*Lazy, bool, error)) *List {
	return &List{src: newSeq(th, pull)}
}

// Streamed reports whether the list's items are still produced on demand.
func (l *List) Streamed() bool { return l.src != nil && l.src.pull != nil }

// item returns item i without forcing it, false past the end; for a
// streamed list it pulls only the items up to i.
func (l *List) item(th *Thread, i int) (*Lazy, bool, error) {
	if l.src != nil {
		return l.src.at(th, i)
	}
	if i < 0 || i >= l.Len() {
		return nil, false, nil
	}
	return l.LazyAt(i), true, nil
}

// cursor returns a function yielding l's items in order.
func (l *List) cursor() func(th *Thread) (*Lazy, bool, error) { return cursorOf(l.item) }

// cursorOf turns random access (item i, false past the end) into a
// function yielding the items in order.
func cursorOf[T any](at func(th *Thread, i int) (T, bool, error)) func(th *Thread) (T, bool, error) {
	i := 0
	return func(th *Thread) (T, bool, error) {
		x, ok, err := at(th, i)
		if ok {
			i++
		}
		return x, ok, err
	}
}

// full returns l with every item produced (the list itself when it is not
// streamed), or the error that stopped the enumeration.
func (l *List) full(th *Thread) (*List, error) {
	if l.src == nil {
		return l, nil
	}
	if err := l.src.fill(th, -1); err != nil {
		return nil, err
	}
	return &List{items: l.src.buf, meta: l.meta}, nil
}

// settle materialises a streamed list for the accessors that have no
// thread; an enumeration error becomes a last, failing item.
func (l *List) settle() {
	if l.src == nil {
		return
	}
	err := l.src.fill(nil, -1)
	items := l.src.buf
	if err != nil {
		items = append(items[:len(items):len(items)], errLazy(err))
	}
	l.items, l.vals, l.src = items, nil, nil
}

// takeList returns the first n items of l; a stream stays a stream.
func takeList(l *List, n int) *List {
	if l.src == nil {
		n = min(n, l.Len())
		if l.vals != nil {
			return NewList(l.vals[:n:n]...)
		}
		return NewLazyList(l.items[:n:n])
	}
	next, taken := l.cursor(), 0
	return newStreamList(l.src.th, func(th *Thread) (*Lazy, bool, error) {
		if taken >= n {
			return nil, false, nil
		}
		x, ok, err := next(th)
		if ok {
			taken++
		}
		return x, ok, err
	})
}

// skipList returns l without its first n items; a stream stays a stream.
func skipList(l *List, n int) *List {
	if l.src == nil {
		n = min(n, l.Len())
		if l.vals != nil {
			return NewList(l.vals[n:]...)
		}
		return NewLazyList(l.items[n:])
	}
	return newStreamList(l.src.th, cursorOf(func(th *Thread, i int) (*Lazy, bool, error) {
		return l.item(th, n+i)
	}))
}

// combineLists streams the items of the lists that outer yields, one list
// after the other; an outer item that is not a list fails when reached.
func combineLists(th *Thread, outer *List) *List {
	lists := outer.cursor()
	var inner func(th *Thread) (*Lazy, bool, error)
	return newStreamList(th, func(th *Thread) (*Lazy, bool, error) {
		for {
			if inner != nil {
				x, ok, err := inner(th)
				if err != nil || ok {
					return x, ok, err
				}
				inner = nil
			}
			lz, ok, err := lists(th)
			if err != nil || !ok {
				return nil, false, err
			}
			v, err := th.force(lz)
			if err != nil {
				return nil, false, err
			}
			l, isList := v.(*List)
			if !isList {
				return nil, false, typeErr(v, "list")
			}
			inner = l.cursor()
		}
	})
}

// filterStream keeps the items of a streamed list for which keep holds.
func filterStream(l *List, keep func(th *Thread, v Value) (bool, error)) *List {
	next := l.cursor()
	return newStreamList(l.src.th, func(th *Thread) (*Lazy, bool, error) {
		for {
			x, ok, err := next(th)
			if err != nil || !ok {
				return nil, false, err
			}
			v, err := th.force(x)
			if err != nil {
				return nil, false, err
			}
			if k, err := keep(th, v); err != nil || k {
				return x, k, err
			}
		}
	})
}

// ---- tables ----

// newStreamTable returns a table of type typ whose rows pull produces on
// demand.
func newStreamTable(th *Thread, typ *Type, pull func(th *Thread) ([]*Lazy, bool, error)) *Table {
	return &Table{typ: typ, src: newSeq(th, pull)}
}

// Streamed reports whether the table's rows are still produced on demand.
func (t *Table) Streamed() bool { return t.src != nil && t.src.pull != nil }

// rowAt returns row i, false past the end; for a streamed table it pulls
// only the rows up to i.
func (t *Table) rowAt(th *Thread, i int) ([]*Lazy, bool, error) {
	if t.src != nil {
		return t.src.at(th, i)
	}
	if i < 0 || i >= len(t.rows) {
		return nil, false, nil
	}
	return t.rows[i], true, nil
}

// rowCursor returns a function yielding t's rows in order.
func (t *Table) rowCursor() func(th *Thread) ([]*Lazy, bool, error) { return cursorOf(t.rowAt) }

// full returns t with every row produced (t itself when it is not
// streamed), or the error that stopped the enumeration.
func (t *Table) full(th *Thread) (*Table, error) {
	if t.src == nil {
		return t, nil
	}
	if err := t.src.fill(th, -1); err != nil {
		return nil, err
	}
	return &Table{typ: t.typ, rows: t.src.buf, meta: t.meta}, nil
}

// allRows returns the rows, materialising a streamed table first (see
// settle).
func (t *Table) allRows() [][]*Lazy {
	if t.src != nil {
		t.settle()
	}
	return t.rows
}

// settle materialises a streamed table for readers without a thread; an
// enumeration error becomes a last row of failing cells.
func (t *Table) settle() {
	if t.src == nil {
		return
	}
	err := t.src.fill(nil, -1)
	rows := t.src.buf
	if err != nil {
		bad := make([]*Lazy, len(t.typ.Fields))
		for j := range bad {
			bad[j] = errLazy(err)
		}
		rows = append(rows[:len(rows):len(rows)], bad)
	}
	t.rows, t.src = rows, nil
}

// streamOf returns a streamed table of the given columns whose rows pull
// produces, keeping t's keys where derive keeps them.
func (t *Table) streamOf(fields []TypeField, pull func(th *Thread) ([]*Lazy, bool, error)) *Table {
	out := t.derive(fields, nil)
	out.rows, out.src = nil, newSeq(t.src.th, pull)
	return out
}

// mapRows returns a table of the given columns whose row i is fn of t's
// row i. A plain table is mapped at once (fn leaves cells lazy); a
// streamed one stays streamed and fn runs as rows are read.
func (t *Table) mapRows(th *Thread, fields []TypeField, fn func(th *Thread, i int, row []*Lazy) ([]*Lazy, error)) (*Table, error) {
	if t.src == nil {
		rows := make([][]*Lazy, len(t.rows))
		for i, r := range t.rows {
			nr, err := fn(th, i, r)
			if err != nil {
				return nil, err
			}
			rows[i] = nr
		}
		return t.derive(fields, rows), nil
	}
	next, i := t.rowCursor(), 0
	return t.streamOf(fields, func(th *Thread) ([]*Lazy, bool, error) {
		r, ok, err := next(th)
		if err != nil || !ok {
			return nil, false, err
		}
		nr, err := fn(th, i, r)
		i++
		return nr, err == nil, err
	}), nil
}

// filterRows keeps the rows for which keep holds; a streamed table stays
// streamed.
func (t *Table) filterRows(th *Thread, keep func(th *Thread, row []*Lazy) (bool, error)) (*Table, error) {
	if t.src == nil {
		var rows [][]*Lazy
		for _, r := range t.rows {
			ok, err := keep(th, r)
			if err != nil {
				return nil, err
			}
			if ok {
				rows = append(rows, r)
			}
		}
		return t.derive(t.typ.Fields, rows), nil
	}
	next := t.rowCursor()
	return t.streamOf(t.typ.Fields, func(th *Thread) ([]*Lazy, bool, error) {
		for {
			r, ok, err := next(th)
			if err != nil || !ok {
				return nil, false, err
			}
			if k, err := keep(th, r); err != nil || k {
				return r, k, err
			}
		}
	}), nil
}

// sliceRows returns rows [from, from+n) (n < 0: to the end); a streamed
// table stays streamed and reads no row before it is asked for.
func (t *Table) sliceRows(from, n int) *Table {
	if t.src == nil {
		from = min(from, len(t.rows))
		end := len(t.rows)
		if n >= 0 {
			end = min(from+n, end)
		}
		return t.derive(t.typ.Fields, t.rows[from:end:end])
	}
	return t.streamOf(t.typ.Fields, cursorOf(func(th *Thread, k int) ([]*Lazy, bool, error) {
		if n >= 0 && k >= n {
			return nil, false, nil
		}
		return t.rowAt(th, from+k)
	}))
}

// relabel returns t with new column names or types and the same rows; a
// streamed table shares its stream.
func (t *Table) relabel(fields []TypeField) *Table {
	if t.src == nil {
		return t.derive(fields, t.rows)
	}
	out := t.derive(fields, nil)
	out.rows, out.src = nil, t.src
	return out
}

// rowsToList returns the list of mk(row) for each row, streamed when t is.
func (t *Table) rowsToList(th *Thread, mk func(r []*Lazy) *Lazy) *List {
	if t.src != nil {
		next := t.rowCursor()
		return newStreamList(th, func(th *Thread) (*Lazy, bool, error) {
			r, ok, err := next(th)
			if !ok {
				return nil, false, err
			}
			return mk(r), true, nil
		})
	}
	items := make([]*Lazy, len(t.rows))
	for i, r := range t.rows {
		items[i] = mk(r)
	}
	return NewLazyList(items)
}
