package eval

import (
	"math"
	"sort"
	"strings"
	"time"
)

// The remaining List.* functions: set operations, statistics, ranges of
// dates and durations, replacing and removing items.

func init() {
	register(
		builtin("List.Intersect", "lists as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			lists, err := listOfLists(th, a[0].(*List))
			if err != nil || len(lists) == 0 {
				return NewList(), err
			}
			out := lists[0]
			for _, l := range lists[1:] {
				// Keep each item as often as it occurs in both (multiset).
				rest := append([]Value(nil), l...)
				var keep []Value
				for _, v := range out {
					for i, w := range rest {
						eq, err := equalBy(th, v, w, a[1])
						if err != nil {
							return nil, err
						}
						if eq {
							keep = append(keep, v)
							rest = append(rest[:i], rest[i+1:]...)
							break
						}
					}
				}
				out = keep
			}
			return NewList(out...), nil
		}),
		builtin("List.Union", "lists as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			lists, err := listOfLists(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			var out []Value
			for _, l := range lists {
				// An item occurs as often as its largest count in any list.
				have := append([]Value(nil), out...)
				for _, v := range l {
					found := -1
					for i, w := range have {
						eq, err := equalBy(th, v, w, a[1])
						if err != nil {
							return nil, err
						}
						if eq {
							found = i
							break
						}
					}
					if found >= 0 {
						have = append(have[:found], have[found+1:]...)
					} else {
						out = append(out, v)
					}
				}
			}
			return NewList(out...), nil
		}),
		builtin("List.Product", "numbersList as list, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			vals, err := nonNull(th, a[0].(*List))
			if err != nil || len(vals) == 0 {
				return NullValue, err
			}
			p := 1.0
			for _, v := range vals {
				n, ok := v.(Number)
				if !ok {
					return nil, typeErr(v, "number")
				}
				p *= n.F
			}
			return Num(p), nil
		}),
		builtin("List.NonNullCount", "list as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := nonNull(th, a[0].(*List))
			return Num(float64(len(vals))), err
		}),
		builtin("List.Positions", "list as list", func(th *Thread, a []Value) (Value, error) {
			out := make([]Value, a[0].(*List).Len())
			for i := range out {
				out[i] = Num(float64(i))
			}
			return NewList(out...), nil
		}),
		builtin("List.IsDistinct", "list as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			for i := range vals {
				for j := i + 1; j < len(vals); j++ {
					eq, err := equalBy(th, vals[i], vals[j], a[1])
					if err != nil {
						return nil, err
					}
					if eq {
						return False, nil
					}
				}
			}
			return True, nil
		}),
		builtin("List.ReplaceValue", "list as list, oldValue as any, newValue as any, replacer as function", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				if vals[i], err = callFn(th, a[3].(*Function), v, a[1], a[2]); err != nil {
					return nil, err
				}
			}
			return NewList(vals...), nil
		}),
		builtin("List.ReplaceMatchingItems", "list as list, replacements as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			pairs, err := listOfLists(th, a[1].(*List))
			if err != nil {
				return nil, err
			}
			for i, v := range vals {
				for _, p := range pairs {
					if len(p) != 2 {
						return nil, NewError("Expression.Error", "Each replacement must be a list of two items: {old, new}.")
					}
					eq, err := equalBy(th, v, p[0], a[2])
					if err != nil {
						return nil, err
					}
					if eq {
						vals[i] = p[1]
						break
					}
				}
			}
			return NewList(vals...), nil
		}),
		builtin("List.ReplaceRange", "list as list, index as number, count as number, replaceWith as list", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			var i, n int
			if err := unpack(th, a[1:3], &i, &n); err != nil {
				return nil, err
			}
			if i < 0 || n < 0 || i+n > l.Len() {
				return nil, indexErr(i + n)
			}
			items := l.lz()
			out := append(append(append([]*Lazy(nil), items[:i]...), a[3].(*List).lz()...), items[i+n:]...)
			return NewLazyList(out), nil
		}),
		builtin("List.RemoveRange", "list as list, index as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			i, n := 0, 1
			if err := unpack(th, a[1:], &i, &n); err != nil {
				return nil, err
			}
			if i < 0 || n < 0 || i+n > l.Len() {
				return nil, indexErr(i + n)
			}
			items := l.lz()
			return NewLazyList(append(append([]*Lazy(nil), items[:i]...), items[i+n:]...)), nil
		}),
		builtin("List.RemoveFirstN", "list as list, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n, err := leadingCount(th, l, a[1], false)
			if err != nil {
				return nil, err
			}
			return NewLazyList(append([]*Lazy(nil), l.lz()[n:]...)), nil
		}),
		builtin("List.RemoveLastN", "list as list, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n, err := leadingCount(th, l, a[1], true)
			if err != nil {
				return nil, err
			}
			return NewLazyList(append([]*Lazy(nil), l.lz()[:l.Len()-n]...)), nil
		}),
		builtin("List.Alternate", "list as list, count as number, optional repeatInterval as nullable number, optional offset as nullable number", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			count, interval, offset := 0, 0, 0
			if err := unpack(th, a[1:], &count, &interval, &offset); err != nil {
				return nil, err
			}
			if count < 0 || interval < 0 || offset < 0 {
				return nil, argRange("count")
			}
			if isNull(a[2]) {
				interval = 1
			}
			var out []*Lazy
			items := l.lz()
			for i := 0; i < len(items); {
				if i < offset {
					out = append(out, items[i])
					i++
					continue
				}
				i += count // skip
				for k := 0; k < interval && i < len(items); k++ {
					out = append(out, items[i])
					i++
				}
				if interval == 0 {
					out = append(out, items[min(i, len(items)):]...)
					break
				}
			}
			return NewLazyList(append([]*Lazy{}, out...)), nil
		}),
		builtin("List.Split", "list as list, pageSize as number", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n := 0
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			if n <= 0 {
				return nil, argRange("pageSize")
			}
			items := l.lz()
			var pages []Value
			for i := 0; i < len(items); i += n {
				pages = append(pages, NewLazyList(append([]*Lazy(nil), items[i:min(i+n, len(items))]...)))
			}
			return NewList(pages...), nil
		}),
		builtin("List.Dates", "start as date, count as number, step as duration", func(th *Thread, a []Value) (Value, error) {
			return series(th, a, func(i int, step time.Duration) Value { return Date{T: a[0].(Date).T.Add(time.Duration(i) * step)} })
		}),
		builtin("List.DateTimes", "start as datetime, count as number, step as duration", func(th *Thread, a []Value) (Value, error) {
			return series(th, a, func(i int, step time.Duration) Value {
				return DateTime{T: a[0].(DateTime).T.Add(time.Duration(i) * step)}
			})
		}),
		builtin("List.DateTimeZones", "start as datetimezone, count as number, step as duration", func(th *Thread, a []Value) (Value, error) {
			return series(th, a, func(i int, step time.Duration) Value {
				return DateTimeZone{T: a[0].(DateTimeZone).T.Add(time.Duration(i) * step)}
			})
		}),
		builtin("List.Durations", "start as duration, count as number, step as duration", func(th *Thread, a []Value) (Value, error) {
			return series(th, a, func(i int, step time.Duration) Value { return Duration{D: a[0].(Duration).D + time.Duration(i)*step} })
		}),
		builtin("List.Times", "start as time, count as number, step as duration", func(th *Thread, a []Value) (Value, error) {
			return series(th, a, func(i int, step time.Duration) Value {
				d := (a[0].(Time).D + time.Duration(i)*step) % dayLen
				if d < 0 {
					d += dayLen
				}
				return Time{D: d}
			})
		}),
		builtin("List.MaxN", "list as list, countOrCondition as any, optional comparisonCriteria as any, optional includeNulls as nullable logical", func(th *Thread, a []Value) (Value, error) {
			return topN(th, a, true)
		}),
		builtin("List.MinN", "list as list, countOrCondition as any, optional comparisonCriteria as any, optional includeNulls as nullable logical", func(th *Thread, a []Value) (Value, error) {
			return topN(th, a, false)
		}),
		builtin("List.Median", "list as list, optional comparisonCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := sortedNonNull(th, a[0].(*List))
			if err != nil || len(vals) == 0 {
				return NullValue, err
			}
			m := len(vals) / 2
			if len(vals)%2 == 1 {
				return vals[m], nil
			}
			x, xok := vals[m-1].(Number)
			y, yok := vals[m].(Number)
			if xok && yok {
				return Num((x.F + y.F) / 2), nil
			}
			return vals[m-1], nil
		}),
		builtin("List.Mode", "list as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			modes, err := listModes(th, a[0].(*List), a[1])
			if err != nil {
				return nil, err
			}
			if len(modes) == 0 {
				return nil, NewError("Expression.Error", "The list is empty.")
			}
			return modes[len(modes)-1], nil
		}),
		builtin("List.Modes", "list as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			modes, err := listModes(th, a[0].(*List), a[1])
			if err != nil {
				return nil, err
			}
			return NewList(modes...), nil
		}),
		builtin("List.StandardDeviation", "numbersList as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := nonNull(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			if len(vals) < 2 {
				return nil, NewError("Expression.Error", "The list must contain at least two values.")
			}
			var sum float64
			for _, v := range vals {
				n, ok := v.(Number)
				if !ok {
					return nil, typeErr(v, "number")
				}
				sum += n.F
			}
			mean := sum / float64(len(vals))
			var ss float64
			for _, v := range vals {
				d := v.(Number).F - mean
				ss += d * d
			}
			return Num(math.Sqrt(ss / float64(len(vals)-1))), nil
		}),
		builtin("List.FindText", "list as list, text as text", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			want := a[1].(Text).S
			var out []Value
			for _, v := range vals {
				if containsText(th, v, want) {
					out = append(out, v)
				}
			}
			return NewList(out...), nil
		}),
		builtin("List.PositionOfAny", "list as list, values as list, optional occurrence as nullable number, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			want, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			occ := 0
			if n, ok := a[2].(Number); ok {
				occ = int(n.F)
			}
			var all []Value
			last := -1
			for i, v := range vals {
				for _, w := range want {
					eq, err := equalBy(th, v, w, a[3])
					if err != nil {
						return nil, err
					}
					if eq {
						if occ == 0 {
							return Num(float64(i)), nil
						}
						last = i
						all = append(all, Num(float64(i)))
						break
					}
				}
			}
			if occ == 2 {
				return NewList(all...), nil
			}
			return Num(float64(last)), nil
		}),
	)
}

func listOfLists(th *Thread, l *List) ([][]Value, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	out := make([][]Value, len(vals))
	for i, v := range vals {
		x, ok := v.(*List)
		if !ok {
			return nil, typeErr(v, "list")
		}
		if out[i], err = x.Values(th); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// leadingCount resolves a count-or-condition from the start (or the end).
func leadingCount(th *Thread, l *List, v Value, fromEnd bool) (int, error) {
	switch x := v.(type) {
	case Null:
		return min(1, l.Len()), nil
	case Number:
		if x.F < 0 || math.IsNaN(x.F) {
			return 0, argRange("countOrCondition")
		}
		if x.F >= float64(l.Len()) {
			return l.Len(), nil
		}
		return int(x.F), nil
	case *Function:
		n := 0
		for k := 0; k < l.Len(); k++ {
			i := k
			if fromEnd {
				i = l.Len() - 1 - k
			}
			item, err := l.At(th, i)
			if err != nil {
				return 0, err
			}
			ok, err := rowTest(th, x, item)
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

func series(th *Thread, a []Value, at func(i int, step time.Duration) Value) (Value, error) {
	n := 0
	if err := unpack(th, a[1:2], &n); err != nil {
		return nil, err
	}
	if n < 0 {
		return nil, argRange("count")
	}
	if err := th.checkLen(n); err != nil {
		return nil, err
	}
	step := a[2].(Duration).D
	out := make([]Value, n)
	for i := range out {
		out[i] = at(i, step)
	}
	return NewList(out...), nil
}

func sortedNonNull(th *Thread, l *List) ([]Value, error) {
	vals, err := nonNull(th, l)
	if err != nil {
		return nil, err
	}
	var sortErr error
	sort.SliceStable(vals, func(i, j int) bool {
		c, err := Compare(th, vals[i], vals[j])
		if err != nil && sortErr == nil {
			sortErr = err
		}
		return c < 0
	})
	return vals, sortErr
}

func topN(th *Thread, a []Value, largest bool) (Value, error) {
	vals, err := sortedNonNull(th, a[0].(*List))
	if err != nil {
		return nil, err
	}
	if largest {
		for i, j := 0, len(vals)-1; i < j; i, j = i+1, j-1 {
			vals[i], vals[j] = vals[j], vals[i]
		}
	}
	n, err := leadingCount(th, NewList(vals...), a[1], false)
	if err != nil {
		return nil, err
	}
	return NewList(vals[:n]...), nil
}

// listModes returns the most frequent items, in order of their last
// occurrence as Power Query reports them.
func listModes(th *Thread, l *List, criteria Value) ([]Value, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	type entry struct {
		v    Value
		n    int
		last int
	}
	var es []*entry
	for i, v := range vals {
		var found *entry
		for _, e := range es {
			eq, err := equalBy(th, v, e.v, criteria)
			if err != nil {
				return nil, err
			}
			if eq {
				found = e
				break
			}
		}
		if found == nil {
			found = &entry{v: v}
			es = append(es, found)
		}
		found.n++
		found.last = i
	}
	best := 0
	for _, e := range es {
		best = max(best, e.n)
	}
	var modes []*entry
	for _, e := range es {
		if e.n == best {
			modes = append(modes, e)
		}
	}
	sort.SliceStable(modes, func(i, j int) bool { return modes[i].last < modes[j].last })
	out := make([]Value, len(modes))
	for i, e := range modes {
		out[i] = e.v
	}
	return out, nil
}

// containsText reports whether a value, or any text inside a list or
// record, contains s (List.FindText, Table.FindText).
func containsText(th *Thread, v Value, s string) bool {
	switch x := v.(type) {
	case Text:
		return strings.Contains(x.S, s)
	case *List:
		vals, err := x.Values(th)
		if err != nil {
			return false
		}
		for _, w := range vals {
			if containsText(th, w, s) {
				return true
			}
		}
	case *Record:
		for i := range x.Names() {
			w, err := th.force(x.LazyAt(i))
			if err == nil && containsText(th, w, s) {
				return true
			}
		}
	}
	return false
}
