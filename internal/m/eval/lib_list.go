package eval

import (
	"math"
	"sort"
	"strings"
)

// List.* and Comparer.* functions.

func init() {
	register(
		builtin("List.Count", "list as list", func(th *Thread, a []Value) (Value, error) {
			return Num(float64(a[0].(*List).Len())), nil
		}),
		builtin("List.IsEmpty", "list as list", func(th *Thread, a []Value) (Value, error) {
			_, ok, err := a[0].(*List).item(th, 0)
			return Bool(!ok), err
		}),
		builtin("List.First", "list as list, optional defaultValue as any", func(th *Thread, a []Value) (Value, error) {
			it, ok, err := a[0].(*List).item(th, 0)
			if err != nil || !ok {
				return a[1], err
			}
			return th.force(it)
		}),
		builtin("List.Last", "list as list, optional defaultValue as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			if l.Len() == 0 {
				return a[1], nil
			}
			return l.force(th, l.Len()-1)
		}),
		builtin("List.Single", "list as list", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			if l.Len() != 1 {
				return nil, NewError("Expression.Error", "There were too many elements in the enumeration to complete the operation.")
			}
			return l.force(th, 0)
		}),
		builtin("List.SingleOrDefault", "list as list, optional default as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			switch l.Len() {
			case 0:
				return a[1], nil
			case 1:
				return l.force(th, 0)
			}
			return nil, NewError("Expression.Error", "There were too many elements in the enumeration to complete the operation.")
		}),
		builtin("List.Transform", "list as list, transform as function", func(th *Thread, a []Value) (Value, error) {
			l, f := a[0].(*List), a[1].(*Function)
			if l.src != nil {
				next := l.cursor()
				return newStreamList(th, func(th *Thread) (*Lazy, bool, error) {
					it, ok, err := next(th)
					if !ok {
						return nil, false, err
					}
					return &Lazy{mapSrc: it, mapFn: f}, true, nil
				}), nil
			}
			block := make([]Lazy, l.Len())
			items := make([]*Lazy, l.Len())
			for i := range block {
				if l.vals != nil {
					block[i] = Lazy{v: l.vals[i], mapFn: f}
				} else {
					block[i] = Lazy{mapSrc: l.items[i], mapFn: f}
				}
				items[i] = &block[i]
			}
			return NewLazyList(items), nil
		}),
		builtin("List.TransformMany", "list as list, collectionTransform as function, resultTransform as function", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var out []Value
			for _, v := range vals {
				cv, err := callFn(th, a[1].(*Function), v)
				if err != nil {
					return nil, err
				}
				cl, ok := cv.(*List)
				if !ok {
					return nil, typeErr(cv, "list")
				}
				inner, err := cl.Values(th)
				if err != nil {
					return nil, err
				}
				for _, y := range inner {
					r, err := callFn(th, a[2].(*Function), v, y)
					if err != nil {
						return nil, err
					}
					out = append(out, r)
				}
			}
			return NewList(out...), nil
		}),
		builtin("List.Select", "list as list, selection as function", func(th *Thread, a []Value) (Value, error) {
			return filterList(th, a[0].(*List), a[1].(*Function), true)
		}),
		builtin("List.RemoveMatchingItems", "list1 as list, list2 as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			return removeItems(th, a[0].(*List), a[1].(*List), a[2])
		}),
		builtin("List.RemoveItems", "list1 as list, list2 as list", func(th *Thread, a []Value) (Value, error) {
			return removeItems(th, a[0].(*List), a[1].(*List), NullValue)
		}),
		builtin("List.Difference", "list1 as list, list2 as list, optional equationCriteria as any", listDifference),
		builtin("List.RemoveNulls", "list as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			out := vals[:0:0]
			for _, v := range vals {
				if !isNull(v) {
					out = append(out, v)
				}
			}
			return NewList(out...), nil
		}),
		builtin("List.Contains", "list as list, value as any, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			i, err := positionOf(th, a[0].(*List), a[1], a[2])
			return Bool(i >= 0), err
		}),
		builtin("List.ContainsAny", "list as list, values as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				i, err := positionOf(th, a[0].(*List), v, a[2])
				if err != nil || i >= 0 {
					return Bool(i >= 0), err
				}
			}
			return False, nil
		}),
		builtin("List.ContainsAll", "list as list, values as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				i, err := positionOf(th, a[0].(*List), v, a[2])
				if err != nil || i < 0 {
					return False, err
				}
			}
			return True, nil
		}),
		builtin("List.PositionOf", "list as list, value as any, optional occurrence as nullable number, optional equationCriteria as any", listPositionOf),
		builtin("List.Combine", "lists as list", func(th *Thread, a []Value) (Value, error) {
			if a[0].(*List).src != nil {
				return combineLists(th, a[0].(*List)), nil
			}
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			for _, v := range vals {
				if l, ok := v.(*List); ok && l.src != nil {
					return combineLists(th, a[0].(*List)), nil
				}
			}
			out := NewLazyList(nil)
			for _, v := range vals {
				l, ok := v.(*List)
				if !ok {
					return nil, typeErr(v, "list")
				}
				if err := th.checkLen(out.Len() + l.Len()); err != nil {
					return nil, err
				}
				out = out.Concat(l)
			}
			return out, nil
		}),
		builtin("List.MatchesAny", "list as list, condition as function", func(th *Thread, a []Value) (Value, error) {
			return matches(th, a[0].(*List), a[1].(*Function), true)
		}),
		builtin("List.MatchesAll", "list as list, condition as function", func(th *Thread, a []Value) (Value, error) {
			return matches(th, a[0].(*List), a[1].(*Function), false)
		}),
		builtin("List.AnyTrue", "list as list", func(th *Thread, a []Value) (Value, error) {
			return allAny(th, a[0].(*List), true)
		}),
		builtin("List.AllTrue", "list as list", func(th *Thread, a []Value) (Value, error) {
			return allAny(th, a[0].(*List), false)
		}),
		builtin("List.Accumulate", "list as list, seed as any, accumulator as function", func(th *Thread, a []Value) (Value, error) {
			// The seed passes through as it is (a streamed table stays
			// streamed); the list is read to its end.
			l, err := a[0].(*List).full(th)
			if err != nil {
				return nil, err
			}
			acc := a[1]
			for _, it := range l.lz() {
				v, err := th.force(it)
				if err != nil {
					return nil, err
				}
				acc, err = callFn(th, a[2].(*Function), acc, v)
				if err != nil {
					return nil, err
				}
			}
			return acc, nil
		}),
		builtin("List.Generate", "initial as function, condition as function, next as function, optional selector as nullable function", listGenerate),
		builtin("List.Distinct", "list as list, optional equationCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			var out []Value
			for _, v := range vals {
				dup := false
				for _, o := range out {
					eq, err := equalBy(th, v, o, a[1])
					if err != nil {
						return nil, err
					}
					if eq {
						dup = true
						break
					}
				}
				if !dup {
					out = append(out, v)
				}
			}
			return NewList(out...), nil
		}),
		builtin("List.Skip", "list as list, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n, err := countOrCondition(th, l, a[1], 1)
			if err != nil {
				return nil, err
			}
			return skipList(l, n), nil
		}),
		builtin("List.FirstN", "list as list, countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n, err := countOrCondition(th, l, a[1], 0)
			if err != nil {
				return nil, err
			}
			return takeList(l, n), nil
		}),
		builtin("List.LastN", "list as list, optional countOrCondition as any", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			n := 1
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, argRange("countOrCondition")
			}
			n = min(n, l.Len())
			return NewLazyList(append([]*Lazy(nil), l.lz()[l.Len()-n:]...)), nil
		}),
		builtin("List.Range", "list as list, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			off, count := 0, -1
			if err := unpack(th, a[1:], &off, &count); err != nil {
				return nil, err
			}
			if l.src != nil && off >= 0 {
				// Only the items up to the offset are read to check it.
				if _, ok, err := l.item(th, off-1); err != nil {
					return nil, err
				} else if !ok && off > 0 {
					return nil, argRange("offset")
				}
				r := skipList(l, off)
				if count >= 0 {
					r = takeList(r, count)
				}
				return r, nil
			}
			if off < 0 || off > l.Len() {
				return nil, argRange("offset")
			}
			end := l.Len()
			if count >= 0 {
				end = min(end, off+count)
			}
			return NewLazyList(append([]*Lazy(nil), l.lz()[off:end]...)), nil
		}),
		builtin("List.Reverse", "list as list", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			items := make([]*Lazy, l.Len())
			for i, it := range l.lz() {
				items[len(items)-1-i] = it
			}
			return NewLazyList(items), nil
		}),
		builtin("List.InsertRange", "list as list, index as number, values as list", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			var idx int
			if err := unpack(th, a[1:], &idx); err != nil {
				return nil, err
			}
			if idx < 0 || idx > l.Len() {
				return nil, argRange("index")
			}
			items := append(append(append([]*Lazy(nil), l.lz()[:idx]...), a[2].(*List).lz()...), l.lz()[idx:]...)
			return NewLazyList(items), nil
		}),
		builtin("List.Zip", "lists as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			n := 0
			ls := make([]*List, len(vals))
			for i, v := range vals {
				l, ok := v.(*List)
				if !ok {
					return nil, typeErr(v, "list")
				}
				ls[i] = l
				n = max(n, l.Len())
			}
			out := make([]Value, n)
			for i := range out {
				row := make([]*Lazy, len(ls))
				for j, l := range ls {
					if i < l.Len() {
						row[j] = l.LazyAt(i)
					} else {
						row[j] = Eager(NullValue)
					}
				}
				out[i] = NewLazyList(row)
			}
			return NewList(out...), nil
		}),
		builtin("List.Numbers", "start as number, count as number, optional increment as nullable number", func(th *Thread, a []Value) (Value, error) {
			var start, inc float64 = 0, 1
			var count int
			if err := unpack(th, a, &start, &count, &inc); err != nil {
				return nil, err
			}
			if count < 0 {
				return nil, argRange("count")
			}
			if err := th.checkLen(count); err != nil {
				return nil, err
			}
			vals := make([]Value, count)
			for i := range vals {
				vals[i] = Num(start + float64(i)*inc)
			}
			return NewList(vals...), nil
		}),
		builtin("List.Repeat", "list as list, count as number", func(th *Thread, a []Value) (Value, error) {
			l := a[0].(*List)
			var n int
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, argRange("count")
			}
			if err := th.checkLen(l.Len() * n); err != nil {
				return nil, err
			}
			var items []*Lazy
			for i := 0; i < n; i++ {
				items = append(items, l.lz()...)
			}
			return NewLazyList(items), nil
		}),
		builtin("List.Buffer", "list as list", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			return NewList(vals...), nil
		}),
		builtin("List.Sum", "list as list, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			return sum(th, a[0].(*List))
		}),
		builtin("List.Max", "list as list, optional default as any, optional comparisonCriteria as any, optional includeNulls as nullable logical", func(th *Thread, a []Value) (Value, error) {
			return listExtreme(th, a, 1)
		}),
		builtin("List.Min", "list as list, optional default as any, optional comparisonCriteria as any, optional includeNulls as nullable logical", func(th *Thread, a []Value) (Value, error) {
			return listExtreme(th, a, -1)
		}),
		builtin("List.Average", "list as list, optional precision as nullable number", func(th *Thread, a []Value) (Value, error) {
			vals, err := nonNull(th, a[0].(*List))
			if err != nil || len(vals) == 0 {
				return NullValue, err
			}
			sum := 0.0
			for _, v := range vals {
				n, ok := v.(Number)
				if !ok {
					return nil, typeErr(v, "number")
				}
				sum += n.F
			}
			return Num(sum / float64(len(vals))), nil
		}),
		builtin("List.Sort", "list as list, optional comparisonCriteria as any", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			desc := false
			var key *Function
			switch c := a[1].(type) {
			case Number:
				desc = c.F == 1
			case *Function:
				key = c
			case *List:
				cv, err := c.Values(th)
				if err != nil {
					return nil, err
				}
				if len(cv) == 2 {
					key, _ = cv[0].(*Function)
					if n, ok := cv[1].(Number); ok {
						desc = n.F == 1
					}
				}
			}
			var sortErr error
			sort.SliceStable(vals, func(i, j int) bool {
				x, y := vals[i], vals[j]
				var c int
				if key != nil && len(key.Params) == 2 {
					r, err := callFn(th, key, x, y)
					if err != nil {
						sortErr = err
						return false
					}
					n, _ := r.(Number)
					c = int(n.F)
				} else {
					if key != nil {
						var err error
						if x, err = callFn(th, key, x); err != nil {
							sortErr = err
							return false
						}
						if y, err = callFn(th, key, y); err != nil {
							sortErr = err
							return false
						}
					}
					var err error
					if c, err = Compare(th, x, y); err != nil {
						sortErr = err
						return false
					}
				}
				if desc {
					return c > 0
				}
				return c < 0
			})
			if sortErr != nil {
				return nil, sortErr
			}
			return NewList(vals...), nil
		}),
		builtin("Comparer.Ordinal", "x as any, y as any", func(th *Thread, a []Value) (Value, error) {
			c, err := Compare(th, a[0], a[1])
			return Num(float64(c)), err
		}),
		builtin("Comparer.OrdinalIgnoreCase", "x as any, y as any", func(th *Thread, a []Value) (Value, error) {
			x, xok := a[0].(Text)
			y, yok := a[1].(Text)
			if xok && yok {
				return Num(float64(strings.Compare(strings.ToLower(x.S), strings.ToLower(y.S)))), nil
			}
			c, err := Compare(th, a[0], a[1])
			return Num(float64(c)), err
		}),
		builtin("Comparer.FromCulture", "culture as text, optional ignoreCase as nullable logical", func(th *Thread, a []Value) (Value, error) {
			if b, ok := a[1].(Logical); ok && b.B {
				return library["Comparer.OrdinalIgnoreCase"], nil
			}
			return library["Comparer.Ordinal"], nil
		}),
		builtin("Comparer.Equals", "comparer as function, x as any, y as any", func(th *Thread, a []Value) (Value, error) {
			r, err := callFn(th, a[0].(*Function), a[1], a[2])
			if err != nil {
				return nil, err
			}
			n, ok := r.(Number)
			return Bool(ok && n.F == 0), nil
		}),
	)
	registerValue("Order.Ascending", Num(0))
	registerValue("Order.Descending", Num(1))
}

func filterList(th *Thread, l *List, f *Function, keep bool) (Value, error) {
	if l.src != nil {
		return filterStream(l, func(th *Thread, v Value) (bool, error) {
			b, err := rowTest(th, f, v)
			return b == keep, err
		}), nil
	}
	var out []*Lazy
	for i := 0; i < l.Len(); i++ {
		v, err := l.force(th, i)
		if err != nil {
			return nil, err
		}
		b, err := rowTest(th, f, v)
		if err != nil {
			return nil, err
		}
		if b == keep {
			out = append(out, l.LazyAt(i))
		}
	}
	return NewLazyList(out), nil
}

func matches(th *Thread, l *List, f *Function, any bool) (Value, error) {
	for i := 0; i < l.Len(); i++ {
		v, err := l.force(th, i)
		if err != nil {
			return nil, err
		}
		b, err := rowTest(th, f, v)
		if err != nil {
			return nil, err
		}
		if b == any {
			return Bool(any), nil
		}
	}
	return Bool(!any), nil
}

func allAny(th *Thread, l *List, any bool) (Value, error) {
	for i := 0; i < l.Len(); i++ {
		v, err := l.force(th, i)
		if err != nil {
			return nil, err
		}
		b, ok := v.(Logical)
		if !ok {
			return nil, typeErr(v, "logical")
		}
		if b.B == any {
			return Bool(any), nil
		}
	}
	return Bool(!any), nil
}

// equalBy compares with an optional equation criteria (a comparer).
func equalBy(th *Thread, x, y, criteria Value) (bool, error) {
	switch c := criteria.(type) {
	case *Function:
		if ignoreCase(c) {
			xt, xok := x.(Text)
			yt, yok := y.(Text)
			if xok && yok {
				return strings.EqualFold(xt.S, yt.S), nil
			}
		}
		if len(c.Params) == 2 {
			r, err := callFn(th, c, x, y)
			if err != nil {
				return false, err
			}
			switch n := r.(type) {
			case Number:
				return n.F == 0, nil
			case Logical:
				return n.B, nil
			}
			return false, typeErr(r, "number")
		}
		kx, err := callFn(th, c, x)
		if err != nil {
			return false, err
		}
		ky, err := callFn(th, c, y)
		if err != nil {
			return false, err
		}
		return Equal(th, kx, ky)
	}
	return Equal(th, x, y)
}

func positionOf(th *Thread, l *List, v, criteria Value) (int, error) {
	for i := 0; i < l.Len(); i++ {
		x, err := l.force(th, i)
		if err != nil {
			return -1, err
		}
		eq, err := equalBy(th, x, v, criteria)
		if err != nil {
			return -1, err
		}
		if eq {
			return i, nil
		}
	}
	return -1, nil
}

func removeItems(th *Thread, l, drop *List, criteria Value) (Value, error) {
	var out []*Lazy
	for k := 0; k < l.Len(); k++ {
		v, err := l.force(th, k)
		if err != nil {
			return nil, err
		}
		i, err := positionOf(th, drop, v, criteria)
		if err != nil {
			return nil, err
		}
		if i < 0 {
			out = append(out, l.LazyAt(k))
		}
	}
	return NewLazyList(out), nil
}

// countOrCondition reads a count, or a condition counting leading matches.
func countOrCondition(th *Thread, l *List, v Value, def int) (int, error) {
	// A streamed list is read no further than the count needs; takeList and
	// skipList clamp a count beyond its end.
	length := func() int {
		if l.src != nil {
			return math.MaxInt32
		}
		return l.Len()
	}
	switch x := v.(type) {
	case Null:
		return min(def, length()), nil
	case Number:
		if x.F < 0 || x.F != math.Trunc(x.F) {
			return 0, argRange("countOrCondition")
		}
		return int(math.Min(x.F, float64(length()))), nil
	case *Function:
		n := 0
		for {
			it, ok, err := l.item(th, n)
			if err != nil {
				return 0, err
			}
			if !ok {
				break
			}
			iv, err := th.force(it)
			if err != nil {
				return 0, err
			}
			r, err := callFn(th, x, iv)
			if err != nil {
				return 0, err
			}
			if b, ok := r.(Logical); !ok || !b.B {
				break
			}
			n++
		}
		return n, nil
	}
	return 0, typeErr(v, "number")
}

func nonNull(th *Thread, l *List) ([]Value, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	out := make([]Value, 0, len(vals))
	for _, v := range vals {
		if !isNull(v) {
			out = append(out, v)
		}
	}
	return out, nil
}

// sum adds numbers in a float64 (boxing once), and falls back to the +
// operator for durations.
func sum(th *Thread, l *List) (Value, error) {
	total, n := 0.0, 0
	for i := 0; i < l.Len(); i++ {
		v, err := l.force(th, i)
		if err != nil {
			return nil, err
		}
		switch x := v.(type) {
		case Null:
		case Number:
			total += x.F
			n++
		default:
			if n == 0 {
				return fold(th, NewLazyList(l.lz()[i:]), func(acc, v Value) (Value, error) { return arith(tokADD, acc, v) })
			}
			return nil, opErr("+", Num(total), v)
		}
	}
	if n == 0 {
		return NullValue, nil
	}
	return Num(total), nil
}

func fold(th *Thread, l *List, f func(acc, v Value) (Value, error)) (Value, error) {
	var acc Value
	for i := 0; i < l.Len(); i++ {
		v, err := l.force(th, i)
		if err != nil {
			return nil, err
		}
		if isNull(v) {
			continue
		}
		if acc == nil {
			acc = v
		} else if acc, err = f(acc, v); err != nil {
			return nil, err
		}
	}
	if acc == nil {
		return NullValue, nil
	}
	return acc, nil
}

// listGenerate streams: the next function runs only when the item after
// the current one is read, so a paging helper requests a page only when
// the rows before it have been consumed. Items are the selector applied
// lazily to each state.
func listGenerate(th *Thread, a []Value) (Value, error) {
	initial, cond, next := a[0].(*Function), a[1].(*Function), a[2].(*Function)
	sel, _ := a[3].(*Function)
	var cur Value
	started := false
	return newStreamList(th, func(th *Thread) (*Lazy, bool, error) {
		var err error
		if !started {
			cur, err = callFn(th, initial)
			started = true
		} else {
			cur, err = callFn(th, next, cur)
		}
		if err != nil {
			return nil, false, err
		}
		ok, err := callFn(th, cond, cur)
		if err != nil {
			return nil, false, err
		}
		b, isB := ok.(Logical)
		if !isB {
			return nil, false, typeErr(ok, "logical")
		}
		if !b.B {
			return nil, false, nil
		}
		if sel == nil {
			return Eager(cur), true, nil
		}
		return &Lazy{v: cur, mapFn: sel}, true, nil
	}), nil
}
