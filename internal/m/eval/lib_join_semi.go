package eval

// Semi joins (JoinKind.LeftSemi and JoinKind.RightSemi) for Table.Join and
// Table.NestedJoin. A semi join keeps the rows of one table that have at
// least one match in the other, each once and in that table's order, as
// a filter would; it never multiplies rows the way an inner join does.
//
// The result keeps the shape of the other join kinds, as Power Query's
// does: Table.Join still returns the columns of both tables, the side
// that contributes no rows being null (as for the anti joins, whose
// folded SQL selects `cast(null as …)` for the other table's columns),
// and Table.NestedJoin adds its column with an empty table on the left
// semi join. Keys match by M equality, so null matches null.

const (
	joinLeftSemi  = 6
	joinRightSemi = 7
)

func init() {
	registerValue("JoinKind.LeftSemi", Num(joinLeftSemi))
	registerValue("JoinKind.RightSemi", Num(joinRightSemi))
}

func isSemiJoin(kind int) bool { return kind == joinLeftSemi || kind == joinRightSemi }

// rowCells returns the lazy cells of row i of t (not forced).
func rowCells(t *Table, i int) []*Lazy {
	n := len(t.Type().Fields)
	out := make([]*Lazy, n)
	for j := range out {
		out[j] = t.Cell(i, j)
	}
	return out
}

func nullCells(n int) []*Lazy {
	null := Eager(NullValue)
	out := make([]*Lazy, n)
	for i := range out {
		out[i] = null
	}
	return out
}

// semiJoin is Table.Join for the semi kinds: matches[i] lists the rows of
// right matching row i of left, used[r] tells whether right row r matched
// any row of left; fields are the columns of the joined table.
func semiJoin(left, right *Table, fields []TypeField, matches [][]int, used []bool, kind int) *Table {
	lw, rw := len(left.Type().Fields), len(right.Type().Fields)
	rows := [][]*Lazy{}
	if kind == joinLeftSemi {
		for i := 0; i < left.RowCount(); i++ {
			if len(matches[i]) > 0 {
				rows = append(rows, append(rowCells(left, i), nullCells(rw)...))
			}
		}
	} else {
		for r := 0; r < right.RowCount(); r++ {
			if used[r] {
				rows = append(rows, append(nullCells(lw), rowCells(right, r)...))
			}
		}
	}
	return NewLazyTable(TableType(fields...), rows)
}

// nestedSemiJoin is Table.NestedJoin for the semi kinds. The left semi
// join keeps the matching rows of left with an empty table (of right's
// type) in the new column: the point of the kind is not to carry the
// matched rows. The right semi join keeps the matching rows of right, each
// as a one-row table in the new column beside null left columns, as the
// right outer and right anti joins present right rows.
func nestedSemiJoin(left, right *Table, name string, matches [][]int, used []bool, kind int) *Table {
	lw := len(left.Type().Fields)
	rows := [][]*Lazy{}
	if kind == joinLeftSemi {
		empty := Eager(NewLazyTable(right.Type(), [][]*Lazy{}))
		for i := 0; i < left.RowCount(); i++ {
			if len(matches[i]) > 0 {
				rows = append(rows, append(rowCells(left, i), empty))
			}
		}
	} else {
		for r := 0; r < right.RowCount(); r++ {
			if used[r] {
				one := Eager(NewLazyTable(right.Type(), [][]*Lazy{rowCells(right, r)}))
				rows = append(rows, append(nullCells(lw), one))
			}
		}
	}
	fields := append(left.fieldsCopy(), TypeField{Name: name, Type: right.Type()})
	return left.derive(fields, rows)
}
