package ast

import (
	"strconv"
	"strings"

	"github.com/pqxdev/pqx/internal/m/token"
)

// SExpr renders a node as a compact s-expression without positions or
// comments, for tests and debugging. Two trees that print the same
// s-expression are structurally equal. The forms are:
//
//	x  #"a b"  @x                      identifiers (quoted: # and the Go-quoted name)
//	1  0xFF  "text"  null  true        literals; texts are Go-quoted decoded values
//	(verbatim "…")  ...  (bad)
//	(list a (range b c))  (record (a 1) (#"b c" 2))
//	(let ((a 1) (b 2)) body)  (if c t e)  (each body)
//	(fn (x (y number) (optional z (nullable text))) ret body)   ret is _ when absent
//	(call f a b)  (field x name)  (field? x name)  (field _ name)
//	(project x a b)  (project? x a)  (item x i)  (item? x i)
//	(- x)  (not x)  (+ a b)  (meta a b)  (is x number)  (?? a b)
//	(type T)  (nullable T)  (listtype T)  (recordtype (a T) (optional b) ...)
//	(tabletype row)  (functype (params) ret)
//	(try x)  (try x (otherwise d))  (try x (catch (e) body))  (error x)
//	(section-access S m)  (paren x)
//	(section [attrs] Name (member shared? [attrs] name value)…)
func SExpr(n Node) string {
	var b strings.Builder
	writeSExpr(&b, n)
	return b.String()
}

func writeSExpr(b *strings.Builder, n Node) {
	w := func(parts ...any) {
		b.WriteByte('(')
		for i, p := range parts {
			if i > 0 {
				b.WriteByte(' ')
			}
			switch p := p.(type) {
			case string:
				b.WriteString(p)
			case Node:
				writeSExpr(b, p)
			case nil:
				b.WriteByte('_')
			}
		}
		b.WriteByte(')')
	}
	switch n := n.(type) {
	case nil:
		b.WriteByte('_')
	case *SectionDocument:
		b.WriteString("(section")
		if n.Attrs != nil {
			b.WriteByte(' ')
			writeSExpr(b, n.Attrs)
		}
		b.WriteByte(' ')
		writeSExpr(b, n.Name)
		for _, m := range n.Members {
			b.WriteByte(' ')
			writeSExpr(b, m)
		}
		b.WriteByte(')')
	case *SectionMember:
		b.WriteString("(member")
		if n.IsShared() {
			b.WriteString(" shared")
		}
		if n.Attrs != nil {
			b.WriteByte(' ')
			writeSExpr(b, n.Attrs)
		}
		b.WriteByte(' ')
		writeSExpr(b, n.Name)
		b.WriteByte(' ')
		writeExpr(b, n.Value)
		b.WriteByte(')')
	case *ExpressionDocument:
		writeExpr(b, n.Expr)
	case *BadExpr:
		b.WriteString("(bad)")
	case *Ident:
		if n.At.IsValid() {
			b.WriteByte('@')
		}
		if n.Quoted {
			b.WriteString("#" + strconv.Quote(n.Name))
		} else {
			b.WriteString(n.Name)
		}
	case *Literal:
		switch n.Kind {
		case Text:
			b.WriteString(strconv.Quote(n.Value))
		case Verbatim:
			b.WriteString("(verbatim " + strconv.Quote(n.Value) + ")")
		default:
			b.WriteString(n.Raw)
		}
	case *ListExpr:
		b.WriteString("(list")
		for _, it := range n.Items {
			b.WriteByte(' ')
			writeExpr(b, it)
		}
		b.WriteByte(')')
	case *RangeExpr:
		w("range", n.From, n.To)
	case *RecordExpr:
		b.WriteString("(record")
		for _, f := range n.Fields {
			b.WriteByte(' ')
			writeSExpr(b, f)
		}
		b.WriteByte(')')
	case *Field:
		w(fieldName(n.Name), n.Value)
	case *LetExpr:
		b.WriteString("(let (")
		for i, f := range n.Vars {
			if i > 0 {
				b.WriteByte(' ')
			}
			writeSExpr(b, f)
		}
		b.WriteString(") ")
		writeExpr(b, n.Body)
		b.WriteByte(')')
	case *IfExpr:
		w("if", n.Cond, n.Then, n.Else)
	case *EachExpr:
		w("each", n.Body)
	case *FunctionExpr:
		b.WriteString("(fn ")
		writeParams(b, n.Params)
		b.WriteByte(' ')
		writeExpr(b, n.Return)
		b.WriteByte(' ')
		writeExpr(b, n.Body)
		b.WriteByte(')')
	case *Param:
		if !n.Optional.IsValid() && n.Type == nil {
			writeSExpr(b, n.Name)
			return
		}
		b.WriteByte('(')
		if n.Optional.IsValid() {
			b.WriteString("optional ")
		}
		writeSExpr(b, n.Name)
		if n.Type != nil {
			b.WriteByte(' ')
			writeSExpr(b, n.Type)
		}
		b.WriteByte(')')
	case *InvokeExpr:
		b.WriteString("(call ")
		writeExpr(b, n.Fun)
		for _, a := range n.Args {
			b.WriteByte(' ')
			writeExpr(b, a)
		}
		b.WriteByte(')')
	case *FieldAccess:
		op := "field"
		if n.Quest.IsValid() {
			op = "field?"
		}
		b.WriteString("(" + op + " ")
		writeExpr(b, n.X)
		b.WriteString(" " + fieldName(n.Name) + ")")
	case *ProjectionExpr:
		op := "project"
		if n.Quest.IsValid() {
			op = "project?"
		}
		b.WriteString("(" + op + " ")
		writeExpr(b, n.X)
		for _, f := range n.Fields {
			b.WriteString(" " + fieldName(f.Name))
		}
		b.WriteByte(')')
	case *ItemAccess:
		op := "item"
		if n.Quest.IsValid() {
			op = "item?"
		}
		w(op, n.X, n.Index)
	case *UnaryExpr:
		w(n.Op.String(), n.X)
	case *BinaryExpr:
		w(n.Op.String(), n.X, n.Y)
	case *TypeExpr:
		w("type", n.X)
	case *TryExpr:
		b.WriteString("(try ")
		writeExpr(b, n.Body)
		switch {
		case n.Default != nil:
			b.WriteString(" (otherwise ")
			writeExpr(b, n.Default)
			b.WriteByte(')')
		case n.Handler != nil:
			b.WriteString(" (catch ")
			writeParams(b, n.Handler.Params)
			b.WriteByte(' ')
			writeExpr(b, n.Handler.Body)
			b.WriteByte(')')
		}
		b.WriteByte(')')
	case *ErrorExpr:
		w("error", n.X)
	case *SectionAccess:
		w("section-access", n.Section, n.Member)
	case *NotImplemented:
		b.WriteString("...")
	case *ParenExpr:
		w("paren", n.X)
	case *PrimitiveType:
		b.WriteString(n.Name)
	case *NullableType:
		w("nullable", n.Type)
	case *ListType:
		w("listtype", n.Item)
	case *RecordType:
		b.WriteString("(recordtype")
		for _, f := range n.Fields {
			b.WriteByte(' ')
			writeSExpr(b, f)
		}
		if n.Open.IsValid() {
			b.WriteString(" ...")
		}
		b.WriteByte(')')
	case *FieldSpec:
		b.WriteByte('(')
		if n.Optional.IsValid() {
			b.WriteString("optional ")
		}
		b.WriteString(fieldName(n.Name))
		if n.Type != nil {
			b.WriteByte(' ')
			writeExpr(b, n.Type)
		}
		b.WriteByte(')')
	case *TableType:
		w("tabletype", n.Row)
	case *FunctionType:
		b.WriteString("(functype ")
		writeParams(b, n.Params)
		b.WriteByte(' ')
		writeExpr(b, n.Return)
		b.WriteByte(')')
	default:
		b.WriteString("(?)")
	}
}

func writeExpr(b *strings.Builder, x Expr) {
	if x == nil {
		b.WriteByte('_')
		return
	}
	writeSExpr(b, x)
}

func writeParams(b *strings.Builder, ps []*Param) {
	b.WriteByte('(')
	for i, p := range ps {
		if i > 0 {
			b.WriteByte(' ')
		}
		writeSExpr(b, p)
	}
	b.WriteByte(')')
}

// fieldName renders a field name: quoted identifiers as written, other
// names bare (generalized names with spaces quoted with #"…").
func fieldName(id *Ident) string {
	if id.Quoted {
		return "#" + strconv.Quote(id.Name)
	}
	if strings.ContainsAny(id.Name, " ") {
		return "#\"" + id.Name + "\""
	}
	return id.Name
}

var _ = token.NoPos
