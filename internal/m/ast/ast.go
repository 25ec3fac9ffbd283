// Package ast declares the syntax tree of Power Query M documents, modelled
// on go/ast. Every node records its source span (Pos/End) as token.Pos values
// of the FileSet it was parsed into; comments are kept on the document so a
// printer can reproduce them.
//
// The tree is purely syntactic: names are not resolved and types are not
// checked. Conventions:
//   - An optional child that is absent is nil (or token.NoPos for a keyword
//     or punctuation position).
//   - Type positions (after `type`, in `is`/`as`, in parameter assertions)
//     hold type nodes (PrimitiveType, NullableType, ListType, RecordType,
//     TableType, FunctionType) or any primary expression that yields a type
//     value (Int64.Type); type nodes implement Expr for that reason.
//   - Implicit-target access inside `each` (`[x]`, `[[a],[b]]`) is a
//     FieldAccess or ProjectionExpr whose X is nil; it means `_[x]`.
package ast

import (
	"github.com/pqxdev/pqx/internal/m/token"
)

// Node is any syntax tree node.
type Node interface {
	Pos() token.Pos // position of the first character of the node
	End() token.Pos // position just after the node
}

// Expr is an expression node (type nodes included).
type Expr interface {
	Node
	exprNode()
}

// Document is a parsed source file: *SectionDocument or *ExpressionDocument.
type Document interface {
	Node
	// CommentList returns the comments of the document in source order.
	CommentList() []*Comment
	docNode()
}

// Comment is a `// line` or `/* block */` comment; Text includes the
// delimiters (but not the line terminator of a line comment).
type Comment struct {
	Slash token.Pos
	Text  string
}

// Pos returns the position of the comment's first slash.
func (c *Comment) Pos() token.Pos { return c.Slash }

// End returns the position just after the comment.
func (c *Comment) End() token.Pos { return c.Slash + token.Pos(len(c.Text)) }

// IsLine reports whether c is a // comment.
func (c *Comment) IsLine() bool { return len(c.Text) >= 2 && c.Text[1] == '/' }

// ---------------------------------------------------------------------------
// Documents

// SectionDocument is `[attrs] section Name; members`.
type SectionDocument struct {
	Attrs    *RecordExpr // literal attributes before `section`, or nil
	Section  token.Pos   // position of the section keyword
	Name     *Ident
	Semi     token.Pos // position of the ; after the name
	Members  []*SectionMember
	EOF      token.Pos // end of the source
	Comments []*Comment
}

// SectionMember is `[attrs] shared? Name = Value;`.
type SectionMember struct {
	Attrs  *RecordExpr // literal attributes, or nil
	Shared token.Pos   // position of `shared`, or NoPos if not shared
	Name   *Ident
	Assign token.Pos // position of =
	Value  Expr
	Semi   token.Pos // position of the terminating ;
}

// IsShared reports whether the member is exported with `shared`.
func (m *SectionMember) IsShared() bool { return m.Shared.IsValid() }

// ExpressionDocument is a document consisting of one expression (.pq,
// .query.pq and most .pqm files).
type ExpressionDocument struct {
	Expr     Expr
	EOF      token.Pos
	Comments []*Comment
}

// Pos returns the start of the document.
func (d *SectionDocument) Pos() token.Pos {
	if d.Attrs != nil {
		return d.Attrs.Pos()
	}
	return d.Section
}

// End returns the end of the document.
func (d *SectionDocument) End() token.Pos {
	if n := len(d.Members); n > 0 {
		return d.Members[n-1].End()
	}
	if d.Semi.IsValid() {
		return d.Semi + 1
	}
	return d.Name.End()
}

// CommentList returns the document's comments.
func (d *SectionDocument) CommentList() []*Comment { return d.Comments }

func (*SectionDocument) docNode() {}

// Pos returns the start of the member (its attributes if any).
func (m *SectionMember) Pos() token.Pos {
	switch {
	case m.Attrs != nil:
		return m.Attrs.Pos()
	case m.Shared.IsValid():
		return m.Shared
	}
	return m.Name.Pos()
}

// End returns the position after the member's semicolon.
func (m *SectionMember) End() token.Pos {
	if m.Semi.IsValid() {
		return m.Semi + 1
	}
	if m.Value != nil {
		return m.Value.End()
	}
	return m.Name.End()
}

// Pos returns the start of the expression.
func (d *ExpressionDocument) Pos() token.Pos { return d.Expr.Pos() }

// End returns the end of the expression.
func (d *ExpressionDocument) End() token.Pos { return d.Expr.End() }

// CommentList returns the document's comments.
func (d *ExpressionDocument) CommentList() []*Comment { return d.Comments }

func (*ExpressionDocument) docNode() {}

// ---------------------------------------------------------------------------
// Expressions

type (
	// BadExpr stands for an expression that could not be parsed; the
	// parser reports an error for it.
	BadExpr struct {
		From, To token.Pos
	}

	// Ident is an identifier: regular (`x`, `Table.AddColumn`), quoted
	// (`#"a b"`), generalized (record field names such as `Response
	// Status`), a #-keyword used as a name (`#table`, `#shared`), or
	// inclusive (`@f`).
	Ident struct {
		At      token.Pos // position of @ for an inclusive identifier, else NoPos
		NamePos token.Pos // position of the first character of the name
		Name    string    // the name; for a quoted identifier the decoded text
		Raw     string    // the source text of the name (== Name unless Quoted)
		Quoted  bool      // written as #"…"
	}

	// Literal is null, true, false, a number, a text or a verbatim literal.
	Literal struct {
		ValuePos token.Pos
		Kind     LitKind
		Raw      string // source text: `"a""b"`, `0xFF`, `#infinity`, `true`
		// Value is the decoded value: the text of a text or verbatim
		// literal with escapes resolved, Raw for numbers, "true"/"false"
		// for logicals, "null" for null.
		Value string
	}

	// ListExpr is `{ items }`; an item may be a *RangeExpr.
	ListExpr struct {
		Lbrace token.Pos
		Items  []Expr
		Rbrace token.Pos
	}

	// RangeExpr is the list item `From .. To`.
	RangeExpr struct {
		From   Expr
		DotDot token.Pos
		To     Expr
	}

	// RecordExpr is `[ name = value, … ]`. Section and member attributes
	// are RecordExprs too.
	RecordExpr struct {
		Lbrack token.Pos
		Fields []*Field
		Rbrack token.Pos
	}

	// LetExpr is `let vars in Body`.
	LetExpr struct {
		Let  token.Pos
		Vars []*Field
		In   token.Pos
		Body Expr
	}

	// IfExpr is `if Cond then Then else Else`.
	IfExpr struct {
		If      token.Pos
		Cond    Expr
		ThenPos token.Pos
		Then    Expr
		ElsePos token.Pos
		Else    Expr
	}

	// EachExpr is `each Body`, which means `(_) => Body`.
	EachExpr struct {
		Each token.Pos
		Body Expr
	}

	// FunctionExpr is `(params) as Return => Body`. The handler of
	// `try … catch (e) => h` is a FunctionExpr with at most one parameter.
	FunctionExpr struct {
		Lparen token.Pos
		Params []*Param
		Rparen token.Pos
		As     token.Pos // position of `as` before the return type, or NoPos
		Return Expr      // return type assertion, or nil
		Arrow  token.Pos
		Body   Expr
	}

	// InvokeExpr is `Fun(Args)`.
	InvokeExpr struct {
		Fun    Expr
		Lparen token.Pos
		Args   []Expr
		Rparen token.Pos
	}

	// FieldAccess is `X[Name]` or `X[Name]?`; X is nil for the implicit
	// target `_` inside each (`[Name]`).
	FieldAccess struct {
		X      Expr // nil: implicit `_`
		Lbrack token.Pos
		Name   *Ident
		Rbrack token.Pos
		Quest  token.Pos // position of ? for optional access, else NoPos
	}

	// ProjectionExpr is `X[[a],[b]]` or `X[[a]]?`; X is nil for the
	// implicit target `_`.
	ProjectionExpr struct {
		X      Expr // nil: implicit `_`
		Lbrack token.Pos
		Fields []*FieldAccess // each with X == nil and no Quest
		Rbrack token.Pos
		Quest  token.Pos
	}

	// ItemAccess is `X{Index}` or `X{Index}?`.
	ItemAccess struct {
		X      Expr
		Lbrace token.Pos
		Index  Expr
		Rbrace token.Pos
		Quest  token.Pos
	}

	// UnaryExpr is `+X`, `-X` or `not X`.
	UnaryExpr struct {
		OpPos token.Pos
		Op    token.Kind // token.ADD, token.SUB or token.NOT
		X     Expr
	}

	// BinaryExpr is `X Op Y` for every binary operator: arithmetic, `&`,
	// comparisons, `and`, `or`, `??`, `meta`, and `is`/`as` (whose Y is a
	// type node).
	BinaryExpr struct {
		X     Expr
		OpPos token.Pos
		Op    token.Kind
		Y     Expr
	}

	// TypeExpr is `type T`.
	TypeExpr struct {
		Type token.Pos
		X    Expr // a type node or a primary expression
	}

	// TryExpr is `try Body`, `try Body otherwise Default` or
	// `try Body catch (e) => h`.
	TryExpr struct {
		Try       token.Pos
		Body      Expr
		Otherwise token.Pos // position of `otherwise`, or NoPos
		Default   Expr      // the otherwise expression, or nil
		Catch     token.Pos // position of `catch`, or NoPos
		Handler   *FunctionExpr
	}

	// ErrorExpr is `error X`.
	ErrorExpr struct {
		Error token.Pos
		X     Expr
	}

	// SectionAccess is `Section!Member`.
	SectionAccess struct {
		Section *Ident
		Excl    token.Pos
		Member  *Ident
	}

	// NotImplemented is `...` in expression position.
	NotImplemented struct {
		Ellipsis token.Pos
	}

	// ParenExpr is `(X)`.
	ParenExpr struct {
		Lparen token.Pos
		X      Expr
		Rparen token.Pos
	}
)

// LitKind is the kind of a Literal.
type LitKind uint8

// Literal kinds.
const (
	Null LitKind = iota
	Logical
	Number
	Text
	Verbatim
)

// String returns the kind's name: null, logical, number, text or verbatim.
func (k LitKind) String() string {
	switch k {
	case Null:
		return "null"
	case Logical:
		return "logical"
	case Number:
		return "number"
	case Text:
		return "text"
	case Verbatim:
		return "verbatim"
	}
	return "?"
}

// Field is `Name = Value` in a record expression, a let expression or an
// attribute record.
type Field struct {
	Name   *Ident
	Assign token.Pos
	Value  Expr
}

// Pos returns the start of the field name.
func (f *Field) Pos() token.Pos { return f.Name.Pos() }

// End returns the end of the value.
func (f *Field) End() token.Pos {
	if f.Value != nil {
		return f.Value.End()
	}
	return f.Name.End()
}

// Param is a parameter of a function expression or function type:
// `optional Name as Type`.
type Param struct {
	Optional token.Pos // position of `optional`, or NoPos
	Name     *Ident
	As       token.Pos // position of `as`, or NoPos
	Type     Expr      // the parameter's type assertion, or nil
}

// IsOptional reports whether the parameter is optional.
func (p *Param) IsOptional() bool { return p.Optional.IsValid() }

// Pos returns the start of the parameter.
func (p *Param) Pos() token.Pos {
	if p.Optional.IsValid() {
		return p.Optional
	}
	return p.Name.Pos()
}

// End returns the end of the parameter.
func (p *Param) End() token.Pos {
	if p.Type != nil {
		return p.Type.End()
	}
	return p.Name.End()
}

// ---------------------------------------------------------------------------
// Type nodes

type (
	// PrimitiveType is a primitive type name in type position: any,
	// anynonnull, binary, date, datetime, datetimezone, duration,
	// function, list, logical, none, null, number, record, table, text,
	// time, type.
	PrimitiveType struct {
		NamePos token.Pos
		Name    string
	}

	// NullableType is `nullable T`.
	NullableType struct {
		Nullable token.Pos
		Type     Expr
	}

	// ListType is `{ Item }` in type position.
	ListType struct {
		Lbrace token.Pos
		Item   Expr
		Rbrace token.Pos
	}

	// RecordType is `[ fields ]` or `[ fields, ... ]` in type position.
	RecordType struct {
		Lbrack token.Pos
		Fields []*FieldSpec
		Open   token.Pos // position of the `...` open-record marker, or NoPos
		Rbrack token.Pos
	}

	// TableType is `table Row`; Row is a *RecordType or a primary
	// expression yielding a record or table type.
	TableType struct {
		Table token.Pos
		Row   Expr
	}

	// FunctionType is `function (params) as Return`.
	FunctionType struct {
		Function token.Pos
		Lparen   token.Pos
		Params   []*Param
		Rparen   token.Pos
		As       token.Pos
		Return   Expr
	}
)

// FieldSpec is `optional Name = Type` in a record or table type; Type is nil
// when the field type is omitted (any).
type FieldSpec struct {
	Optional token.Pos
	Name     *Ident
	Assign   token.Pos
	Type     Expr
}

// IsOptional reports whether the field is optional.
func (f *FieldSpec) IsOptional() bool { return f.Optional.IsValid() }

// Pos returns the start of the field specification.
func (f *FieldSpec) Pos() token.Pos {
	if f.Optional.IsValid() {
		return f.Optional
	}
	return f.Name.Pos()
}

// End returns the end of the field specification.
func (f *FieldSpec) End() token.Pos {
	if f.Type != nil {
		return f.Type.End()
	}
	return f.Name.End()
}

// ---------------------------------------------------------------------------
// Positions

// Pos and End implementations (one line each, as in go/ast): the span of a
// node runs from its first token to just after its last.
func (x *BadExpr) Pos() token.Pos { return x.From }

// Pos returns the position of @ or of the name.
func (x *Ident) Pos() token.Pos {
	if x.At.IsValid() {
		return x.At
	}
	return x.NamePos
}
func (x *Literal) Pos() token.Pos        { return x.ValuePos }
func (x *ListExpr) Pos() token.Pos       { return x.Lbrace }
func (x *RangeExpr) Pos() token.Pos      { return x.From.Pos() }
func (x *RecordExpr) Pos() token.Pos     { return x.Lbrack }
func (x *LetExpr) Pos() token.Pos        { return x.Let }
func (x *IfExpr) Pos() token.Pos         { return x.If }
func (x *EachExpr) Pos() token.Pos       { return x.Each }
func (x *FunctionExpr) Pos() token.Pos   { return x.Lparen }
func (x *InvokeExpr) Pos() token.Pos     { return x.Fun.Pos() }
func (x *UnaryExpr) Pos() token.Pos      { return x.OpPos }
func (x *BinaryExpr) Pos() token.Pos     { return x.X.Pos() }
func (x *TypeExpr) Pos() token.Pos       { return x.Type }
func (x *TryExpr) Pos() token.Pos        { return x.Try }
func (x *ErrorExpr) Pos() token.Pos      { return x.Error }
func (x *SectionAccess) Pos() token.Pos  { return x.Section.Pos() }
func (x *NotImplemented) Pos() token.Pos { return x.Ellipsis }
func (x *ParenExpr) Pos() token.Pos      { return x.Lparen }
func (x *PrimitiveType) Pos() token.Pos  { return x.NamePos }
func (x *NullableType) Pos() token.Pos   { return x.Nullable }
func (x *ListType) Pos() token.Pos       { return x.Lbrace }
func (x *RecordType) Pos() token.Pos     { return x.Lbrack }
func (x *TableType) Pos() token.Pos      { return x.Table }
func (x *FunctionType) Pos() token.Pos   { return x.Function }

// Pos returns the start of the target, or of [ for an implicit target.
func (x *FieldAccess) Pos() token.Pos {
	if x.X != nil {
		return x.X.Pos()
	}
	return x.Lbrack
}

// Pos returns the start of the target, or of [ for an implicit target.
func (x *ProjectionExpr) Pos() token.Pos {
	if x.X != nil {
		return x.X.Pos()
	}
	return x.Lbrack
}

// Pos returns the start of the target.
func (x *ItemAccess) Pos() token.Pos { return x.X.Pos() }

// End implementations.
func (x *BadExpr) End() token.Pos { return x.To }

// End returns the position after the name.
func (x *Ident) End() token.Pos      { return x.NamePos + token.Pos(len(x.Raw)) }
func (x *Literal) End() token.Pos    { return x.ValuePos + token.Pos(len(x.Raw)) }
func (x *ListExpr) End() token.Pos   { return x.Rbrace + 1 }
func (x *RangeExpr) End() token.Pos  { return x.To.End() }
func (x *RecordExpr) End() token.Pos { return x.Rbrack + 1 }
func (x *LetExpr) End() token.Pos    { return x.Body.End() }
func (x *IfExpr) End() token.Pos     { return x.Else.End() }
func (x *EachExpr) End() token.Pos   { return x.Body.End() }

// End returns the end of the body.
func (x *FunctionExpr) End() token.Pos { return x.Body.End() }
func (x *InvokeExpr) End() token.Pos   { return x.Rparen + 1 }

// End returns the position after ] or ?.
func (x *FieldAccess) End() token.Pos {
	if x.Quest.IsValid() {
		return x.Quest + 1
	}
	return x.Rbrack + 1
}

// End returns the position after ] or ?.
func (x *ProjectionExpr) End() token.Pos {
	if x.Quest.IsValid() {
		return x.Quest + 1
	}
	return x.Rbrack + 1
}

// End returns the position after } or ?.
func (x *ItemAccess) End() token.Pos {
	if x.Quest.IsValid() {
		return x.Quest + 1
	}
	return x.Rbrace + 1
}
func (x *UnaryExpr) End() token.Pos  { return x.X.End() }
func (x *BinaryExpr) End() token.Pos { return x.Y.End() }
func (x *TypeExpr) End() token.Pos   { return x.X.End() }

// End returns the end of the handler, default or body.
func (x *TryExpr) End() token.Pos {
	switch {
	case x.Handler != nil:
		return x.Handler.End()
	case x.Default != nil:
		return x.Default.End()
	}
	return x.Body.End()
}
func (x *ErrorExpr) End() token.Pos      { return x.X.End() }
func (x *SectionAccess) End() token.Pos  { return x.Member.End() }
func (x *NotImplemented) End() token.Pos { return x.Ellipsis + 3 }
func (x *ParenExpr) End() token.Pos      { return x.Rparen + 1 }
func (x *PrimitiveType) End() token.Pos  { return x.NamePos + token.Pos(len(x.Name)) }
func (x *NullableType) End() token.Pos   { return x.Type.End() }
func (x *ListType) End() token.Pos       { return x.Rbrace + 1 }
func (x *RecordType) End() token.Pos     { return x.Rbrack + 1 }
func (x *TableType) End() token.Pos      { return x.Row.End() }

// End returns the end of the return type.
func (x *FunctionType) End() token.Pos { return x.Return.End() }

func (*BadExpr) exprNode()        {}
func (*Ident) exprNode()          {}
func (*Literal) exprNode()        {}
func (*ListExpr) exprNode()       {}
func (*RangeExpr) exprNode()      {}
func (*RecordExpr) exprNode()     {}
func (*LetExpr) exprNode()        {}
func (*IfExpr) exprNode()         {}
func (*EachExpr) exprNode()       {}
func (*FunctionExpr) exprNode()   {}
func (*InvokeExpr) exprNode()     {}
func (*FieldAccess) exprNode()    {}
func (*ProjectionExpr) exprNode() {}
func (*ItemAccess) exprNode()     {}
func (*UnaryExpr) exprNode()      {}
func (*BinaryExpr) exprNode()     {}
func (*TypeExpr) exprNode()       {}
func (*TryExpr) exprNode()        {}
func (*ErrorExpr) exprNode()      {}
func (*SectionAccess) exprNode()  {}
func (*NotImplemented) exprNode() {}
func (*ParenExpr) exprNode()      {}
func (*PrimitiveType) exprNode()  {}
func (*NullableType) exprNode()   {}
func (*ListType) exprNode()       {}
func (*RecordType) exprNode()     {}
func (*TableType) exprNode()      {}
func (*FunctionType) exprNode()   {}

// IsImplicit reports whether the access has the implicit target `_`.
func (x *FieldAccess) IsImplicit() bool { return x.X == nil }

// IsOptional reports whether the access ends with ?.
func (x *FieldAccess) IsOptional() bool { return x.Quest.IsValid() }

// IsImplicit reports whether the projection has the implicit target `_`.
func (x *ProjectionExpr) IsImplicit() bool { return x.X == nil }

// IsOptional reports whether the projection ends with ?.
func (x *ProjectionExpr) IsOptional() bool { return x.Quest.IsValid() }

// IsOptional reports whether the item access ends with ?.
func (x *ItemAccess) IsOptional() bool { return x.Quest.IsValid() }

// IsInclusive reports whether the identifier is written with @.
func (x *Ident) IsInclusive() bool { return x.At.IsValid() }
