package eval

// Base is the family of an M type: one of the value kinds, or any,
// anynonnull or none.
type Base uint8

// Type bases beyond the value kinds.
const (
	BaseAny Base = iota + 64
	BaseAnyNonNull
	BaseNone
)

// BaseOf returns the type base of values of kind k.
func BaseOf(k Kind) Base { return Base(k) }

// String returns the M name of the base, as in type expressions.
func (b Base) String() string {
	switch b {
	case BaseAny:
		return "any"
	case BaseAnyNonNull:
		return "anynonnull"
	case BaseNone:
		return "none"
	}
	return Kind(b).String()
}

// Type is an M type value. Primitive types have only Base (and Nullable);
// record, list, function and table types carry their structure. Types
// ascribed with a name (Int64.Type) keep it in Name for printing.
type Type struct {
	Base     Base
	Nullable bool
	Name     string // facet name such as "Int64.Type"; empty for plain types

	Fields []TypeField // record type fields, or table columns
	Open   bool        // record type with "..."
	Item   *Type       // list item type
	Params []Param     // function parameters
	Return *Type       // function return type
	Keys   []TableKey  // table keys (Type.AddTableKey)

	meta *Record
}

// TypeField is one field of a record type or column of a table type.
type TypeField struct {
	Name     string
	Type     *Type
	Optional bool
}

// Param is one parameter of a function or function type.
type Param struct {
	Name     string
	Type     *Type // nil means any
	Optional bool
}

// TableKey is a key of a table type.
type TableKey struct {
	Columns []string
	Primary bool
}

// Kind implements Value.
func (*Type) Kind() Kind { return KindType }

// Meta implements Value.
func (t *Type) Meta() *Record { return t.meta }

// WithMeta implements Value.
func (t *Type) WithMeta(m *Record) Value {
	c := *t
	c.meta = normMeta(m)
	return &c
}

// Prim returns the primitive type with base b.
func Prim(b Base) *Type { return primTypes[b] }

var primTypes = func() map[Base]*Type {
	m := map[Base]*Type{}
	for k := KindNull; k <= KindType; k++ {
		m[Base(k)] = &Type{Base: Base(k)}
	}
	m[BaseAny] = &Type{Base: BaseAny}
	m[BaseAnyNonNull] = &Type{Base: BaseAnyNonNull}
	m[BaseNone] = &Type{Base: BaseNone}
	// Structured primitives: the open record, list of any, etc.
	m[Base(KindRecord)].Open = true
	m[Base(KindList)].Item = m[BaseAny]
	return m
}()

// PrimNames maps the primitive type names of type expressions to bases.
var PrimNames = map[string]Base{
	"any": BaseAny, "anynonnull": BaseAnyNonNull, "none": BaseNone, "null": Base(KindNull),
	"logical": Base(KindLogical), "number": Base(KindNumber), "time": Base(KindTime),
	"date": Base(KindDate), "datetime": Base(KindDateTime), "datetimezone": Base(KindDateTimeZone),
	"duration": Base(KindDuration), "text": Base(KindText), "binary": Base(KindBinary),
	"list": Base(KindList), "record": Base(KindRecord), "table": Base(KindTable),
	"function": Base(KindFunction), "type": Base(KindType),
}

// AsNullable returns the nullable form of t.
func (t *Type) AsNullable() *Type {
	if t.Nullable || t.Base == BaseAny || t.Base == Base(KindNull) {
		return t
	}
	c := *t
	c.Nullable = true
	c.meta = nil
	return &c
}

// NonNullable returns t without nullability.
func (t *Type) NonNullable() *Type {
	if t.Base == BaseAny {
		return Prim(BaseAnyNonNull)
	}
	if !t.Nullable {
		return t
	}
	c := *t
	c.Nullable = false
	c.meta = nil
	return &c
}

// IsNullable reports whether null conforms to t.
func (t *Type) IsNullable() bool {
	return t.Nullable || t.Base == BaseAny || t.Base == Base(KindNull)
}

// Conforms reports whether a value of kind k conforms to t, at the depth
// the M `is` operator checks (the base kind and nullability).
func (t *Type) Conforms(v Value) bool {
	if t == nil {
		return true
	}
	k := v.Kind()
	switch t.Base {
	case BaseAny:
		return true
	case BaseAnyNonNull:
		return k != KindNull
	case BaseNone:
		return false
	}
	if k == KindNull {
		return t.IsNullable()
	}
	return Base(k) == t.Base
}

// IsCompatible reports whether t is compatible with u (Type.Is): every value
// of t conforms to u, judged on the primitive base as Power Query does.
func (t *Type) IsCompatible(u *Type) bool {
	switch u.Base {
	case BaseAny:
		return true
	case BaseAnyNonNull:
		return !t.IsNullable() && t.Base != BaseNone
	}
	if t.Base == BaseNone {
		return true
	}
	if t.IsNullable() && !u.IsNullable() {
		return false
	}
	if t.Base == Base(KindNull) {
		return u.IsNullable()
	}
	return t.Base == u.Base
}

// RecordType returns a closed record type with the given fields.
func RecordType(open bool, fields ...TypeField) *Type {
	return &Type{Base: Base(KindRecord), Fields: fields, Open: open}
}

// TableType returns a table type with the given columns.
func TableType(cols ...TypeField) *Type {
	return &Type{Base: Base(KindTable), Fields: cols}
}

// ListType returns the type {item}.
func ListType(item *Type) *Type { return &Type{Base: Base(KindList), Item: item} }

// FunctionType returns a function type.
func FunctionType(ret *Type, params ...Param) *Type {
	return &Type{Base: Base(KindFunction), Params: params, Return: ret}
}

// equalType is structural type equality used for the = operator.
func equalType(a, b *Type) bool {
	if a == b {
		return true
	}
	if a.Base != b.Base || a.IsNullable() != b.IsNullable() || a.Open != b.Open ||
		len(a.Fields) != len(b.Fields) || len(a.Params) != len(b.Params) {
		return false
	}
	for i := range a.Fields {
		fa, fb := a.Fields[i], b.Fields[i]
		if fa.Name != fb.Name || fa.Optional != fb.Optional || !equalType(fa.Type, fb.Type) {
			return false
		}
	}
	for i := range a.Params {
		pa, pb := a.Params[i], b.Params[i]
		if pa.Optional != pb.Optional || !equalType(orAny(pa.Type), orAny(pb.Type)) {
			return false
		}
	}
	if (a.Item == nil) != (b.Item == nil) || a.Item != nil && !equalType(a.Item, b.Item) {
		return false
	}
	if (a.Return == nil) != (b.Return == nil) || a.Return != nil && !equalType(a.Return, b.Return) {
		return false
	}
	return true
}

func orAny(t *Type) *Type {
	if t == nil {
		return Prim(BaseAny)
	}
	return t
}

// Named returns a copy of t printed as name (the facet types such as
// Int64.Type, which are number with a facet in Power Query).
func (t *Type) Named(name string) *Type {
	c := *t
	c.Name = name
	return &c
}

// TypeOf returns the type of v (Value.Type).
func TypeOf(v Value) *Type {
	switch x := v.(type) {
	case *Function:
		return x.Type()
	case *Table:
		return x.typ
	case *Record:
		fields := make([]TypeField, len(x.names))
		for i, n := range x.names {
			fields[i] = TypeField{Name: n, Type: Prim(BaseAny)}
		}
		return RecordType(false, fields...)
	case *List:
		return ListType(Prim(BaseAny))
	}
	return Prim(Base(v.Kind()))
}
