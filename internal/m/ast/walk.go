package ast

import "fmt"

// A Visitor's Visit method is invoked for each node encountered by Walk. If
// the result visitor w is not nil, Walk visits each of the children of node
// with w, followed by a call of w.Visit(nil).
type Visitor interface {
	Visit(node Node) (w Visitor)
}

// Walk traverses a syntax tree in depth-first order, children in source
// order. Comments are not visited.
func Walk(v Visitor, node Node) {
	if v = v.Visit(node); v == nil {
		return
	}
	switch n := node.(type) {
	case *SectionDocument:
		if n.Attrs != nil {
			Walk(v, n.Attrs)
		}
		Walk(v, n.Name)
		for _, m := range n.Members {
			Walk(v, m)
		}
	case *SectionMember:
		if n.Attrs != nil {
			Walk(v, n.Attrs)
		}
		Walk(v, n.Name)
		walkExpr(v, n.Value)
	case *ExpressionDocument:
		walkExpr(v, n.Expr)
	case *Field:
		Walk(v, n.Name)
		walkExpr(v, n.Value)
	case *Param:
		Walk(v, n.Name)
		walkExpr(v, n.Type)
	case *FieldSpec:
		Walk(v, n.Name)
		walkExpr(v, n.Type)

	case *BadExpr, *Ident, *Literal, *NotImplemented, *PrimitiveType:
		// leaves
	case *ListExpr:
		for _, x := range n.Items {
			walkExpr(v, x)
		}
	case *RangeExpr:
		walkExpr(v, n.From)
		walkExpr(v, n.To)
	case *RecordExpr:
		for _, f := range n.Fields {
			Walk(v, f)
		}
	case *LetExpr:
		for _, f := range n.Vars {
			Walk(v, f)
		}
		walkExpr(v, n.Body)
	case *IfExpr:
		walkExpr(v, n.Cond)
		walkExpr(v, n.Then)
		walkExpr(v, n.Else)
	case *EachExpr:
		walkExpr(v, n.Body)
	case *FunctionExpr:
		for _, p := range n.Params {
			Walk(v, p)
		}
		walkExpr(v, n.Return)
		walkExpr(v, n.Body)
	case *InvokeExpr:
		walkExpr(v, n.Fun)
		for _, x := range n.Args {
			walkExpr(v, x)
		}
	case *FieldAccess:
		walkExpr(v, n.X)
		Walk(v, n.Name)
	case *ProjectionExpr:
		walkExpr(v, n.X)
		for _, f := range n.Fields {
			Walk(v, f)
		}
	case *ItemAccess:
		walkExpr(v, n.X)
		walkExpr(v, n.Index)
	case *UnaryExpr:
		walkExpr(v, n.X)
	case *BinaryExpr:
		walkExpr(v, n.X)
		walkExpr(v, n.Y)
	case *TypeExpr:
		walkExpr(v, n.X)
	case *TryExpr:
		walkExpr(v, n.Body)
		walkExpr(v, n.Default)
		if n.Handler != nil {
			Walk(v, n.Handler)
		}
	case *ErrorExpr:
		walkExpr(v, n.X)
	case *SectionAccess:
		Walk(v, n.Section)
		Walk(v, n.Member)
	case *ParenExpr:
		walkExpr(v, n.X)
	case *NullableType:
		walkExpr(v, n.Type)
	case *ListType:
		walkExpr(v, n.Item)
	case *RecordType:
		for _, f := range n.Fields {
			Walk(v, f)
		}
	case *TableType:
		walkExpr(v, n.Row)
	case *FunctionType:
		for _, p := range n.Params {
			Walk(v, p)
		}
		walkExpr(v, n.Return)
	default:
		panic(fmt.Sprintf("ast.Walk: unexpected node type %T", n))
	}
	v.Visit(nil)
}

// walkExpr walks x unless it is nil (an absent optional child).
func walkExpr(v Visitor, x Expr) {
	if x != nil {
		Walk(v, x)
	}
}

type inspector func(Node) bool

func (f inspector) Visit(node Node) Visitor {
	if f(node) {
		return f
	}
	return nil
}

// Inspect traverses a syntax tree in depth-first order: it calls f(node);
// if f returns true, Inspect visits the children of node, followed by a
// call of f(nil).
func Inspect(node Node, f func(Node) bool) {
	Walk(inspector(f), node)
}
