package eval

import (
	"strconv"
	"strings"
)

// Table keys and metadata in the .pqout serialization.
//
// Keys are part of a table type, so Serialize always writes them, as the
// library call that makes them: a keyed type is
// `Type.AddTableKey(type table [A = number], {"A"}, true)`, one call per
// key in order, and a keyed table is `#table(Type.AddTableKey(...), rows)`.
// In type position (a column whose type is a keyed table type) the call is
// parenthesised, which M accepts wherever a type is expected.
//
// Metadata is not part of a value's identity (equality ignores it) and the
// PQTest outputs we could find carry none, so Serialize leaves it out and
// its text stays comparable with .pqout files PQTest wrote. SerializeWith
// and Metadata write it as `(value) meta [...]`, for callers that need the
// whole value back (Value.Metadata of a navigation table's type, paging
// links on a list).

// SerializeOptions selects what SerializeWith writes beyond what Serialize
// does.
type SerializeOptions struct {
	// Metadata writes each non-empty metadata record, on values and on
	// types, as `(value) meta [...]`.
	Metadata bool
	// NoKeys leaves table keys out, as a .pqout written without them reads.
	NoKeys bool
}

// SerializeWith renders v like Serialize, with the extras opt asks for.
// The text evaluates back to a value equal to v with the same table keys
// and, with opt.Metadata, the same metadata at every level.
func SerializeWith(th *Thread, v Value, opt SerializeOptions) string {
	var b strings.Builder
	s := serializer{th: th, b: &b, meta: opt.Metadata, noKeys: opt.NoKeys}
	s.value(v, 0)
	return b.String()
}

// valueMeta returns v's metadata as Value.Metadata sees it: for a lazy
// binary (a Web.Contents response) that includes what its producer
// attached, which needs th.
func valueMeta(th *Thread, v Value) *Record {
	b, ok := v.(Binary)
	if !ok || b.b == nil || b.b.lazy == nil || th == nil {
		return v.Meta()
	}
	m, err := b.lazyMeta(th)
	if err != nil || m == nil {
		// The error shows where the bytes are written.
		return b.meta
	}
	if b.meta != nil {
		m = m.Merge(b.meta)
	}
	return normMeta(m)
}

// metaValue writes v with its metadata when the serializer writes
// metadata and v has some; it reports whether it wrote anything. Types
// are left to typ, which handles them in expression and type position.
func (s *serializer) metaValue(v Value, depth int) bool {
	if _, isType := v.(*Type); isType {
		return false
	}
	m := valueMeta(s.th, v)
	if m == nil {
		return false
	}
	bare := stripMeta(v)
	if b, ok := v.(Binary); ok && b.b != nil && b.b.lazy != nil {
		// The bytes are written out, so the producer's metadata goes
		// with them; a failing producer is written as its error.
		data, err := b.Force(s.th)
		if err != nil {
			return false
		}
		bare = Bytes(data)
	}
	s.b.WriteByte('(')
	s.value(bare, depth)
	s.b.WriteString(") meta ")
	s.value(m, depth+1)
	return true
}

// typeExpr writes t in expression position when it needs more than
// `type T`: metadata (when written) or table keys. It reports whether it
// wrote anything.
func (s *serializer) typeExpr(t *Type, depth int) bool {
	if s.meta && t.meta != nil {
		s.b.WriteByte('(')
		s.typ(t.WithMeta(nil).(*Type), depth)
		s.b.WriteString(") meta ")
		s.value(t.meta, depth+1)
		return true
	}
	if len(t.Keys) == 0 || s.noKeys {
		return false
	}
	for range t.Keys {
		s.b.WriteString("Type.AddTableKey(")
	}
	bare := *t
	bare.Keys = nil
	s.b.WriteString("type ")
	s.typeBody(&bare, depth)
	for _, k := range t.Keys {
		s.b.WriteString(", {")
		for i, c := range k.Columns {
			if i > 0 {
				s.b.WriteString(", ")
			}
			s.b.WriteString(quoteText(c))
		}
		s.b.WriteString("}, " + strconv.FormatBool(k.Primary) + ")")
	}
	return true
}

// needsTypeExpr reports whether t can only be written in type position as
// a parenthesised expression.
func (s *serializer) needsTypeExpr(t *Type) bool {
	return len(t.Keys) > 0 && !s.noKeys || s.meta && t.meta != nil
}
