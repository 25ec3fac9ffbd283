package eval

// List is an M list. Items are lazy: an erroring item fails only when it is
// accessed.
type List struct {
	items []*Lazy
	meta  *Record
}

// NewList returns a list of eager values.
func NewList(vals ...Value) *List {
	return &List{items: eagerLazies(vals)}
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
func (l *List) Len() int { return len(l.items) }

// LazyAt returns item i without forcing it.
func (l *List) LazyAt(i int) *Lazy { return l.items[i] }

// At forces and returns item i.
func (l *List) At(th *Thread, i int) (Value, error) { return l.items[i].Force(th) }

// Values forces every item and returns them in order.
func (l *List) Values(th *Thread) ([]Value, error) {
	out := make([]Value, len(l.items))
	for i, it := range l.items {
		v, err := it.Force(th)
		if err != nil {
			return nil, err
		}
		out[i] = v
	}
	return out, nil
}

// Concat returns l & o without forcing items.
func (l *List) Concat(o *List) *List {
	items := make([]*Lazy, 0, len(l.items)+len(o.items))
	items = append(items, l.items...)
	items = append(items, o.items...)
	return &List{items: items}
}

func indexErr(i int) error {
	return NewError("Expression.Error", "There weren't enough elements in the enumeration to complete the operation.")
}
