package eval

// List is an M list. Items are lazy: an erroring item fails only when it is
// accessed. A list of values known up front (literal results, JSON arrays,
// List.Numbers) keeps them in vals and has no per-item Lazy; items is the
// general representation.
type List struct {
	items []*Lazy
	vals  []Value     // when non-nil, the items are exactly these values
	src   *seq[*Lazy] // when non-nil, the items are produced on demand (stream.go)
	meta  *Record
}

// NewList returns a list of eager values (vals is not copied).
func NewList(vals ...Value) *List {
	if vals == nil {
		vals = []Value{}
	}
	return &List{vals: vals}
}

// NewLazyList returns a list of the given lazy items (not copied).
func NewLazyList(items []*Lazy) *List { return &List{items: items} }

// Kind implements Value.
func (*List) Kind() Kind { return KindList }

// Meta implements Value.
func (l *List) Meta() *Record { return l.meta }

// WithMeta implements Value.
func (l *List) WithMeta(m *Record) Value {
	c := *l
	c.meta = normMeta(m)
	return &c
}

// Len returns the number of items.
func (l *List) Len() int {
	l.settle()
	if l.vals != nil {
		return len(l.vals)
	}
	return len(l.items)
}

// lz returns the items as lazies. For an eager list it makes new ones on
// each call rather than caching them, so a list shared between threads is
// never written to.
func (l *List) lz() []*Lazy {
	l.settle()
	if l.vals != nil {
		return eagerLazies(l.vals)
	}
	return l.items
}

// LazyAt returns item i without forcing it.
func (l *List) LazyAt(i int) *Lazy {
	l.settle()
	if l.vals != nil {
		return Eager(l.vals[i])
	}
	return l.items[i]
}

// At forces and returns item i.
func (l *List) At(th *Thread, i int) (Value, error) { return l.force(th, i) }

// force returns item i, counting a deferred item against the depth bound.
func (l *List) force(th *Thread, i int) (Value, error) {
	if l.src != nil {
		it, ok, err := l.src.at(th, i)
		if err != nil {
			return nil, err
		}
		if !ok {
			return nil, indexErr(i)
		}
		return th.force(it)
	}
	if l.vals != nil {
		return l.vals[i], nil
	}
	return th.force(l.items[i])
}

// Values forces every item and returns them in order. The caller may
// modify the returned slice.
func (l *List) Values(th *Thread) ([]Value, error) {
	if l.src != nil {
		full, err := l.full(th)
		if err != nil {
			return nil, err
		}
		l = full
	}
	if l.vals != nil {
		return append([]Value(nil), l.vals...), nil
	}
	out := make([]Value, len(l.items))
	for i, it := range l.items {
		v, err := th.force(it)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Concat returns l & o without forcing items.
func (l *List) Concat(o *List) *List {
	if l.src != nil || o.src != nil {
		src := l.src
		if src == nil {
			src = o.src
		}
		return combineLists(src.th, NewList(l, o))
	}
	if l.vals != nil && o.vals != nil {
		vals := make([]Value, 0, len(l.vals)+len(o.vals))
		return &List{vals: append(append(vals, l.vals...), o.vals...)}
	}
	a, b := l.lz(), o.lz()
	items := make([]*Lazy, 0, len(a)+len(b))
	items = append(items, a...)
	items = append(items, b...)
	return &List{items: items}
}

func indexErr(i int) error {
	return NewError("Expression.Error", "There weren't enough elements in the enumeration to complete the operation.")
}
