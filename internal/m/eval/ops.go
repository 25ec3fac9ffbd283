package eval

import (
	"bytes"
	"math"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/m/token"
)

const (
	tokADD = token.ADD
	tokSUB = token.SUB
	tokMUL = token.MUL
	tokQUO = token.QUO
)

var opNames = map[token.Kind]string{
	token.ADD: "+", token.SUB: "-", token.MUL: "*", token.QUO: "/", token.AMP: "&",
	token.EQL: "=", token.NEQ: "<>", token.LSS: "<", token.LEQ: "<=", token.GTR: ">", token.GEQ: ">=",
	token.META: "meta",
}

// BinaryOp applies a strict binary operator (arithmetic, &, comparison,
// equality, meta) to evaluated operands.
func BinaryOp(th *Thread, op token.Kind, l, r Value) (Value, error) {
	switch op {
	case token.META:
		m, ok := r.(*Record)
		if !ok {
			return nil, typeErr(r, "record")
		}
		if cur := l.Meta(); cur != nil {
			m = cur.Merge(m)
		}
		return l.WithMeta(m), nil
	case token.EQL, token.NEQ:
		eq, err := Equal(th, l, r)
		if err != nil {
			return nil, err
		}
		return Bool(eq == (op == token.EQL)), nil
	case token.LSS, token.LEQ, token.GTR, token.GEQ:
		return relational(th, op, l, r)
	case token.AMP:
		return concat(th, l, r)
	case token.ADD, token.SUB, token.MUL, token.QUO:
		return arith(op, l, r)
	}
	return nil, Errorf("unknown operator %v", op)
}

func arith(op token.Kind, l, r Value) (Value, error) {
	if _, ok := l.(Null); ok {
		if _, ok := r.(Null); ok || arithKind(r) {
			return NullValue, nil
		}
	}
	if _, ok := r.(Null); ok && arithKind(l) {
		return NullValue, nil
	}
	switch a := l.(type) {
	case Number:
		switch b := r.(type) {
		case Number:
			switch op {
			case token.ADD:
				return Num(a.F + b.F), nil
			case token.SUB:
				return Num(a.F - b.F), nil
			case token.MUL:
				return Num(a.F * b.F), nil
			case token.QUO:
				return Num(a.F / b.F), nil
			}
		case Duration:
			if op == token.MUL {
				return Duration{D: scaleDur(b.D, a.F)}, nil
			}
		}
	case Duration:
		switch b := r.(type) {
		case Duration:
			switch op {
			case token.ADD:
				return Duration{D: a.D + b.D}, nil
			case token.SUB:
				return Duration{D: a.D - b.D}, nil
			case token.QUO:
				return Num(float64(a.D) / float64(b.D)), nil
			}
		case Number:
			switch op {
			case token.MUL:
				return Duration{D: scaleDur(a.D, b.F)}, nil
			case token.QUO:
				return Duration{D: scaleDur(a.D, 1/b.F)}, nil
			}
		case Date, DateTime, DateTimeZone, Time:
			if op == token.ADD {
				return arith(op, r, l)
			}
		}
	case Date:
		switch b := r.(type) {
		case Duration:
			d := b.D
			if op == token.SUB {
				d = -d
			}
			if op == token.ADD || op == token.SUB {
				return Date{T: a.T.Add(d).Truncate(24 * time.Hour)}, nil
			}
		case Date:
			if op == token.SUB {
				return Duration{D: a.T.Sub(b.T)}, nil
			}
		}
	case DateTime:
		switch b := r.(type) {
		case Duration:
			if op == token.ADD {
				return DateTime{T: a.T.Add(b.D)}, nil
			}
			if op == token.SUB {
				return DateTime{T: a.T.Add(-b.D)}, nil
			}
		case DateTime:
			if op == token.SUB {
				return Duration{D: a.T.Sub(b.T)}, nil
			}
		}
	case DateTimeZone:
		switch b := r.(type) {
		case Duration:
			if op == token.ADD {
				return DateTimeZone{T: a.T.Add(b.D)}, nil
			}
			if op == token.SUB {
				return DateTimeZone{T: a.T.Add(-b.D)}, nil
			}
		case DateTimeZone:
			if op == token.SUB {
				return Duration{D: a.T.Sub(b.T)}, nil
			}
		}
	case Time:
		switch b := r.(type) {
		case Duration:
			d := b.D
			if op == token.SUB {
				d = -d
			}
			if op == token.ADD || op == token.SUB {
				t := (a.D + d) % (24 * time.Hour)
				if t < 0 {
					t += 24 * time.Hour
				}
				return Time{D: t}, nil
			}
		case Time:
			if op == token.SUB {
				return Duration{D: a.D - b.D}, nil
			}
		}
	}
	return nil, opErr(opNames[op], l, r)
}

func arithKind(v Value) bool {
	switch v.(type) {
	case Number, Duration, Date, DateTime, DateTimeZone, Time:
		return true
	}
	return false
}

func scaleDur(d time.Duration, f float64) time.Duration {
	return time.Duration(math.Round(float64(d) * f))
}

func concat(th *Thread, l, r Value) (Value, error) {
	_, ln := l.(Null)
	_, rn := r.(Null)
	if ln || rn {
		k := l
		if ln {
			k = r
		}
		switch k.(type) {
		case Text, Null, Date, Time:
			return NullValue, nil
		}
		return nil, opErr("&", l, r)
	}
	switch a := l.(type) {
	case Text:
		if b, ok := r.(Text); ok {
			if err := th.checkTextLen(len(a.S) + len(b.S)); err != nil {
				return nil, err
			}
			return Str(a.S + b.S), nil
		}
	case *List:
		if b, ok := r.(*List); ok {
			if a.src != nil || b.src != nil {
				return a.Concat(b), nil // the stream checks its length as it grows
			}
			if err := th.checkLen(a.Len() + b.Len()); err != nil {
				return nil, err
			}
			return a.Concat(b), nil
		}
	case *Record:
		if b, ok := r.(*Record); ok {
			return a.Merge(b), nil
		}
	case *Table:
		if b, ok := r.(*Table); ok {
			return combineTables(th, []*Table{a, b}), nil
		}
	case Date:
		if b, ok := r.(Time); ok {
			return DateTime{T: a.T.Add(b.D)}, nil
		}
	case Binary:
		if b, ok := r.(Binary); ok {
			x, err := a.Force(th)
			if err != nil {
				return nil, err
			}
			y, err := b.Force(th)
			if err != nil {
				return nil, err
			}
			return Bytes(append(append([]byte(nil), x...), y...)), nil
		}
	}
	return nil, opErr("&", l, r)
}

// combineTables appends tables; the columns are the union in order of first
// appearance and missing cells are null.
func combineTables(th *Thread, ts []*Table) *Table {
	var cols []TypeField
	pos := map[string]int{}
	streamed := false
	for _, t := range ts {
		streamed = streamed || t.src != nil
		for _, f := range t.typ.Fields {
			if _, ok := pos[f.Name]; !ok {
				pos[f.Name] = len(cols)
				cols = append(cols, f)
			}
		}
	}
	// idx[k][j] is where column j of table k lands.
	idx := make([][]int, len(ts))
	for k, t := range ts {
		idx[k] = make([]int, len(t.typ.Fields))
		for j, f := range t.typ.Fields {
			idx[k][j] = pos[f.Name]
		}
	}
	null := Eager(NullValue)
	widen := func(k int, row []*Lazy) []*Lazy {
		out := make([]*Lazy, len(cols))
		for j := range out {
			out[j] = null
		}
		for j, c := range row {
			out[idx[k][j]] = c
		}
		return out
	}
	if streamed {
		k := 0
		var next func(th *Thread) ([]*Lazy, bool, error)
		return newStreamTable(th, TableType(cols...), func(th *Thread) ([]*Lazy, bool, error) {
			for k < len(ts) {
				if next == nil {
					next = ts[k].rowCursor()
				}
				r, ok, err := next(th)
				if err != nil {
					return nil, false, err
				}
				if ok {
					return widen(k, r), true, nil
				}
				next, k = nil, k+1
			}
			return nil, false, nil
		})
	}
	var rows [][]*Lazy
	for k, t := range ts {
		for _, row := range t.rows {
			rows = append(rows, widen(k, row))
		}
	}
	return NewLazyTable(TableType(cols...), rows)
}

func relational(th *Thread, op token.Kind, l, r Value) (Value, error) {
	_, ln := l.(Null)
	_, rn := r.(Null)
	if ln || rn {
		return NullValue, nil
	}
	if a, ok := l.(Number); ok {
		if b, ok := r.(Number); ok && (math.IsNaN(a.F) || math.IsNaN(b.F)) {
			return False, nil
		}
	}
	c, err := Compare(th, l, r)
	if err != nil {
		return nil, err
	}
	switch op {
	case token.LSS:
		return Bool(c < 0), nil
	case token.LEQ:
		return Bool(c <= 0), nil
	case token.GTR:
		return Bool(c > 0), nil
	}
	return Bool(c >= 0), nil
}

// Compare orders two values of the same orderable kind: numbers, text
// (ordinal), logicals, dates and times, durations, binaries. null sorts
// before everything. Other kinds raise Expression.Error.
func Compare(th *Thread, l, r Value) (int, error) {
	_, ln := l.(Null)
	_, rn := r.(Null)
	switch {
	case ln && rn:
		return 0, nil
	case ln:
		return -1, nil
	case rn:
		return 1, nil
	}
	switch a := l.(type) {
	case Number:
		if b, ok := r.(Number); ok {
			return cmpFloat(a.F, b.F), nil
		}
	case Text:
		if b, ok := r.(Text); ok {
			return compareOrdinal(a.S, b.S), nil
		}
	case Logical:
		if b, ok := r.(Logical); ok {
			return cmpBool(a.B, b.B), nil
		}
	case Date:
		if b, ok := r.(Date); ok {
			return a.T.Compare(b.T), nil
		}
	case DateTime:
		if b, ok := r.(DateTime); ok {
			return a.T.Compare(b.T), nil
		}
	case DateTimeZone:
		if b, ok := r.(DateTimeZone); ok {
			return a.T.Compare(b.T), nil
		}
	case Time:
		if b, ok := r.(Time); ok {
			return cmpInt(int64(a.D), int64(b.D)), nil
		}
	case Duration:
		if b, ok := r.(Duration); ok {
			return cmpInt(int64(a.D), int64(b.D)), nil
		}
	case Binary:
		if b, ok := r.(Binary); ok {
			x, err := a.Force(th)
			if err != nil {
				return 0, err
			}
			y, err := b.Force(th)
			if err != nil {
				return 0, err
			}
			return bytes.Compare(x, y), nil
		}
	}
	return 0, NewErrorDetail("Expression.Error",
		"We cannot apply operator < to types "+titleCase(l.Kind().String())+" and "+titleCase(r.Kind().String())+".",
		NewRecord(Field{"Operator", Str("<")}, Field{"Left", l}, Field{"Right", r}))
}

// compareOrdinal compares by UTF-16 code units, as .NET ordinal comparison
// does; for text without surrogate pairs this is rune order.
func compareOrdinal(a, b string) int {
	return strings.Compare(a, b)
}

func cmpFloat(a, b float64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	case a == b:
		return 0
	case math.IsNaN(a) && math.IsNaN(b):
		return 0
	case math.IsNaN(a):
		return -1
	}
	return 1
}

func cmpBool(a, b bool) int {
	switch {
	case a == b:
		return 0
	case !a:
		return -1
	}
	return 1
}

func cmpInt(a, b int64) int {
	switch {
	case a < b:
		return -1
	case a > b:
		return 1
	}
	return 0
}

// Equal is the M = operator: metadata is ignored, values of different kinds
// are unequal, records compare as sets of fields, lists item by item.
func Equal(th *Thread, l, r Value) (bool, error) {
	return equalDepth(th, l, r, 0)
}

// maxEqualDepth bounds the nesting Equal walks; a self-referencing record
// (let r = [a = r] in r = r) would otherwise recurse forever.
const maxEqualDepth = 1000

func equalDepth(th *Thread, l, r Value, depth int) (bool, error) {
	if depth > maxEqualDepth {
		return false, fatalf("Evaluation exceeded the maximum nesting depth (%d) while comparing values.", maxEqualDepth)
	}
	if l.Kind() != r.Kind() {
		return false, nil
	}
	switch a := l.(type) {
	case Null:
		return true, nil
	case Logical:
		return a.B == r.(Logical).B, nil
	case Number:
		return a.F == r.(Number).F, nil
	case Text:
		return a.S == r.(Text).S, nil
	case Date:
		return a.T.Equal(r.(Date).T), nil
	case DateTime:
		return a.T.Equal(r.(DateTime).T), nil
	case DateTimeZone:
		return a.T.Equal(r.(DateTimeZone).T), nil
	case Time:
		return a.D == r.(Time).D, nil
	case Duration:
		return a.D == r.(Duration).D, nil
	case Binary:
		x, err := a.Force(th)
		if err != nil {
			return false, err
		}
		y, err := r.(Binary).Force(th)
		if err != nil {
			return false, err
		}
		return bytes.Equal(x, y), nil
	case *List:
		b := r.(*List)
		a, err := a.full(th)
		if err != nil {
			return false, err
		}
		if b, err = b.full(th); err != nil {
			return false, err
		}
		if a.Len() != b.Len() {
			return false, nil
		}
		for i := 0; i < a.Len(); i++ {
			x, err := a.force(th, i)
			if err != nil {
				return false, err
			}
			y, err := b.force(th, i)
			if err != nil {
				return false, err
			}
			eq, err := equalDepth(th, x, y, depth+1)
			if err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case *Record:
		b := r.(*Record)
		if a.Len() != b.Len() {
			return false, nil
		}
		for i, n := range a.names {
			j := b.IndexOf(n)
			if j < 0 {
				return false, nil
			}
			x, err := th.force(a.vals[i])
			if err != nil {
				return false, err
			}
			y, err := th.force(b.vals[j])
			if err != nil {
				return false, err
			}
			eq, err := equalDepth(th, x, y, depth+1)
			if err != nil || !eq {
				return false, err
			}
		}
		return true, nil
	case *Table:
		b := r.(*Table)
		a, err := a.full(th)
		if err != nil {
			return false, err
		}
		if b, err = b.full(th); err != nil {
			return false, err
		}
		if len(a.typ.Fields) != len(b.typ.Fields) || a.RowCount() != b.RowCount() {
			return false, nil
		}
		for j, f := range a.typ.Fields {
			k := b.ColumnIndex(f.Name)
			if k < 0 {
				return false, nil
			}
			for i := range a.allRows() {
				x, err := th.force(a.allRows()[i][j])
				if err != nil {
					return false, err
				}
				y, err := th.force(b.allRows()[i][k])
				if err != nil {
					return false, err
				}
				eq, err := equalDepth(th, x, y, depth+1)
				if err != nil || !eq {
					return false, err
				}
			}
		}
		return true, nil
	case *Function:
		return a == r.(*Function), nil
	case *Type:
		return equalType(a, r.(*Type)), nil
	}
	return false, nil
}
