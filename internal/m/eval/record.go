package eval

// Record is an M record: an ordered list of uniquely named fields whose
// values are lazy.
type Record struct {
	names []string
	vals  []*Lazy
	index map[string]int // built on demand for larger records
	meta  *Record
}

// Field is one name/value pair used to build records.
type Field struct {
	Name  string
	Value Value
}

// NewRecord returns a record with the given eager fields. Later duplicates
// replace earlier ones in place.
func NewRecord(fields ...Field) *Record {
	r := &Record{names: make([]string, 0, len(fields)), vals: make([]*Lazy, 0, len(fields))}
	for _, f := range fields {
		r.set(f.Name, Eager(f.Value))
	}
	return r
}

// NewLazyRecord returns a record whose fields are the given lazies. names
// must be unique.
func NewLazyRecord(names []string, vals []*Lazy) *Record {
	r := &Record{names: names, vals: vals}
	// Build the index now: a record may be shared by threads (a host's
	// credential properties), so lookups must not write to it later.
	r.IndexOf("")
	return r
}

// set adds or replaces a field; only for records under construction.
func (r *Record) set(name string, l *Lazy) {
	if i := r.IndexOf(name); i >= 0 {
		r.vals[i] = l
		return
	}
	r.names = append(r.names, name)
	r.vals = append(r.vals, l)
	if r.index != nil {
		r.index[name] = len(r.names) - 1
	}
}

// Kind implements Value.
func (*Record) Kind() Kind { return KindRecord }

// Meta implements Value.
func (r *Record) Meta() *Record { return r.meta }

// WithMeta implements Value.
func (r *Record) WithMeta(m *Record) Value {
	c := *r
	c.meta = normMeta(m)
	return &c
}

// Len returns the number of fields.
func (r *Record) Len() int {
	if r == nil {
		return 0
	}
	return len(r.names)
}

// Names returns the field names in order. The caller must not modify it.
func (r *Record) Names() []string {
	if r == nil {
		return nil
	}
	return r.names
}

// LazyAt returns the lazy value of field i.
func (r *Record) LazyAt(i int) *Lazy { return r.vals[i] }

// IndexOf returns the position of the named field, or -1.
func (r *Record) IndexOf(name string) int {
	if r == nil {
		return -1
	}
	if len(r.names) <= 8 {
		for i, n := range r.names {
			if n == name {
				return i
			}
		}
		return -1
	}
	if r.index == nil || len(r.index) != len(r.names) {
		r.index = make(map[string]int, len(r.names))
		for i, n := range r.names {
			r.index[n] = i
		}
	}
	if i, ok := r.index[name]; ok {
		return i
	}
	return -1
}

// Has reports whether the record has the named field.
func (r *Record) Has(name string) bool { return r.IndexOf(name) >= 0 }

// Get forces and returns the named field; ok is false when it is missing.
func (r *Record) Get(th *Thread, name string) (v Value, ok bool, err error) {
	i := r.IndexOf(name)
	if i < 0 {
		return nil, false, nil
	}
	v, err = r.vals[i].Force(th)
	return v, true, err
}

// Field forces the named field or raises the M missing-field error.
func (r *Record) Field(th *Thread, name string) (Value, error) {
	v, ok, err := r.Get(th, name)
	if !ok {
		return nil, missingField(name)
	}
	return v, err
}

// GetEager returns a field of a record built from eager values, or nil.
// It must only be used on records whose fields are known to be computed.
func (r *Record) GetEager(name string) Value {
	i := r.IndexOf(name)
	if i < 0 || !r.vals[i].Done() {
		return nil
	}
	v, err := r.vals[i].result()
	if err != nil {
		return nil
	}
	return v
}

// Merge returns r & o: fields of o replace those of r, r's order is kept
// and o's new fields follow. Values are not forced.
func (r *Record) Merge(o *Record) *Record {
	out := &Record{names: append([]string(nil), r.names...), vals: append([]*Lazy(nil), r.vals...)}
	for i, n := range o.names {
		out.set(n, o.vals[i])
	}
	return out
}

func missingField(name string) error {
	return NewErrorDetail("Expression.Error", "The field '"+name+"' of the record wasn't found.",
		NewRecord(Field{name, NullValue}).asValue())
}

func (r *Record) asValue() Value {
	if r == nil {
		return NullValue
	}
	return r
}
