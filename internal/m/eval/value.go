package eval

import (
	"time"
)

// Kind is the kind of an M value.
type Kind uint8

// The kinds of M values, in the order of the M specification.
const (
	KindNull Kind = iota
	KindLogical
	KindNumber
	KindTime
	KindDate
	KindDateTime
	KindDateTimeZone
	KindDuration
	KindText
	KindBinary
	KindList
	KindRecord
	KindTable
	KindFunction
	KindType
)

var kindNames = [...]string{"null", "logical", "number", "time", "date", "datetime", "datetimezone", "duration", "text", "binary", "list", "record", "table", "function", "type"}

// String returns the M name of the kind, as used in type expressions.
func (k Kind) String() string { return kindNames[k] }

// Value is an M value. Every value can carry a metadata record.
type Value interface {
	// Kind reports the kind of the value.
	Kind() Kind
	// Meta returns the metadata record; nil means empty metadata.
	Meta() *Record
	// WithMeta returns a copy of the value with metadata m (nil clears it).
	WithMeta(m *Record) Value
}

// Null is the M null value.
type Null struct{ meta *Record }

// Logical is an M logical (true or false).
type Logical struct {
	B    bool
	meta *Record
}

// Number is an M number: an IEEE double.
type Number struct {
	F    float64
	meta *Record
}

// Text is an M text value.
type Text struct {
	S    string
	meta *Record
}

// Date is an M date: days since 0001-01-01.
type Date struct {
	T    time.Time // midnight UTC of the date
	meta *Record
}

// DateTime is an M datetime without a zone.
type DateTime struct {
	T    time.Time // wall clock, stored in UTC
	meta *Record
}

// DateTimeZone is an M datetimezone: a wall clock and an offset.
type DateTimeZone struct {
	T    time.Time // location is a fixed zone with the offset
	meta *Record
}

// Time is an M time of day.
type Time struct {
	D    time.Duration // since midnight, 0 <= D < 24h
	meta *Record
}

// Duration is an M duration.
type Duration struct {
	D    time.Duration
	meta *Record
}

// Binary is an M binary value. A binary may be lazy (Web.Contents): its
// bytes are produced on first use by Force and kept.
type Binary struct {
	b    *binData
	meta *Record
}

type binData struct {
	lazy *Lazy // when non-nil, produces the bytes (as a Binary) once
	data []byte
	done bool
}

// Constructors for the simple kinds.
var (
	NullValue Value = Null{}
	True      Value = Logical{B: true}
	False     Value = Logical{B: false}
	EmptyText Value = Text{}
)

// Bool returns the M logical for b.
func Bool(b bool) Value {
	if b {
		return True
	}
	return False
}

// Num returns an M number.
func Num(f float64) Value { return Number{F: f} }

// Str returns an M text value.
func Str(s string) Value { return Text{S: s} }

// Bytes returns an M binary holding b (not copied).
func Bytes(b []byte) Value { return Binary{b: &binData{data: b, done: true}} }

// LazyBinary returns a binary whose bytes come from l on first use. The
// Lazy must produce a Binary; its metadata is taken from the result, so
// metadata requests (Value.Metadata) force it too.
func LazyBinary(l *Lazy) Value { return Binary{b: &binData{lazy: l}} }

// Force returns the bytes of a binary, performing any deferred work.
func (b Binary) Force(th *Thread) ([]byte, error) {
	d := b.b
	if d == nil {
		return nil, nil
	}
	if d.done {
		return d.data, nil
	}
	v, err := d.lazy.Force(th)
	if err != nil {
		return nil, err
	}
	inner, ok := v.(Binary)
	if !ok {
		return nil, typeErr(v, "binary")
	}
	data, err := inner.Force(th)
	if err != nil {
		return nil, err
	}
	return data, nil
}

// lazyMeta returns the metadata a lazy binary's producer attached.
func (b Binary) lazyMeta(th *Thread) (*Record, error) {
	if b.b == nil || b.b.lazy == nil {
		return nil, nil
	}
	v, err := b.b.lazy.Force(th)
	if err != nil {
		return nil, err
	}
	return v.Meta(), nil
}

// Kind implements Value.
func (Null) Kind() Kind { return KindNull }

// Kind implements Value.
func (Logical) Kind() Kind { return KindLogical }

// Kind implements Value.
func (Number) Kind() Kind { return KindNumber }

// Kind implements Value.
func (Text) Kind() Kind { return KindText }

// Kind implements Value.
func (Date) Kind() Kind { return KindDate }

// Kind implements Value.
func (DateTime) Kind() Kind { return KindDateTime }

// Kind implements Value.
func (DateTimeZone) Kind() Kind { return KindDateTimeZone }

// Kind implements Value.
func (Time) Kind() Kind { return KindTime }

// Kind implements Value.
func (Duration) Kind() Kind { return KindDuration }

// Kind implements Value.
func (Binary) Kind() Kind { return KindBinary }

// Meta implements Value.
func (v Null) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Logical) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Number) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Text) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Date) Meta() *Record { return v.meta }

// Meta implements Value.
func (v DateTime) Meta() *Record { return v.meta }

// Meta implements Value.
func (v DateTimeZone) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Time) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Duration) Meta() *Record { return v.meta }

// Meta implements Value.
func (v Binary) Meta() *Record { return v.meta }

// WithMeta implements Value.
func (v Null) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Logical) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Number) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Text) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Date) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v DateTime) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v DateTimeZone) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Time) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Duration) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

// WithMeta implements Value.
func (v Binary) WithMeta(m *Record) Value { v.meta = normMeta(m); return v }

func normMeta(m *Record) *Record {
	if m == nil || m.Len() == 0 {
		return nil
	}
	return m
}

// stripMeta returns v without metadata.
func stripMeta(v Value) Value {
	if v.Meta() == nil {
		return v
	}
	return v.WithMeta(nil)
}

// lazyState is the evaluation state of a Lazy.
type lazyState uint8

const (
	lazyPending lazyState = iota
	lazyRunning
	lazyDone
)

// Lazy is a memoised, possibly deferred value: a let variable, record field,
// section member or list item. It is computed at most once; an error is
// memoised like a value, and re-entering a running Lazy is the M cyclic
// reference error.
type Lazy struct {
	fn    func(th *Thread) (Value, error)
	v     Value // the value, or an errValue holding the memoised error
	state lazyState
	// A mapped entry (List.Transform) is mapFn applied to mapSrc (or, for
	// an eager source item, to v while pending); kept as fields rather than
	// a closure so a million items cost no extra allocations.
	mapSrc *Lazy
	mapFn  *Function
}

// eagerLazies returns lazies holding vals, allocated in one block.
func eagerLazies(vals []Value) []*Lazy {
	block := make([]Lazy, len(vals))
	items := make([]*Lazy, len(vals))
	for i, v := range vals {
		block[i] = Lazy{v: v, state: lazyDone}
		items[i] = &block[i]
	}
	return items
}

// Eager returns a Lazy already holding v.
func Eager(v Value) *Lazy { return &Lazy{v: v, state: lazyDone} }

// Defer returns a Lazy computed by fn on first Force.
func Defer(fn func(th *Thread) (Value, error)) *Lazy { return &Lazy{fn: fn} }

// Force returns the value, computing it on first use.
func (l *Lazy) Force(th *Thread) (Value, error) {
	switch l.state {
	case lazyDone:
		return l.result()
	case lazyRunning:
		return nil, NewError("Expression.Error", "A cyclic reference was encountered during evaluation.")
	}
	l.state = lazyRunning
	var v Value
	var err error
	if l.mapFn != nil {
		if l.mapSrc != nil {
			v, err = th.force(l.mapSrc)
		} else {
			v = l.v // the source item was an eager value
		}
		if err == nil {
			v, err = call1(th, l.mapFn, v)
		}
	} else {
		v, err = l.fn(th)
	}
	if err != nil && !isMError(err) {
		// Bounds violations and cancellations are not M errors: leave the
		// entry re-runnable rather than memoising a host condition.
		l.state = lazyPending
		return nil, err
	}
	if err != nil {
		v = errValue{err}
	}
	l.v, l.fn, l.mapSrc, l.mapFn, l.state = v, nil, nil, nil, lazyDone
	return l.result()
}

// errValue stores a memoised error in Lazy.v; it never escapes a Lazy.
type errValue struct{ err error }

// Kind implements Value.
func (errValue) Kind() Kind { return KindNull }

// Meta implements Value.
func (errValue) Meta() *Record              { return nil }
func (e errValue) WithMeta(m *Record) Value { return e }

// result returns the memoised outcome of a computed Lazy.
func (l *Lazy) result() (Value, error) {
	if e, ok := l.v.(errValue); ok {
		return nil, e.err
	}
	return l.v, nil
}

// Done reports whether the value has been computed.
func (l *Lazy) Done() bool { return l.state == lazyDone }
