package parser

import "github.com/pqxdev/pqx/internal/m/ast"

// The parser allocates its most frequent nodes from slabs, arrays carved
// into nodes one by one, and builds element lists on a scratch stack that
// is copied once into exactly sized slices. A document's nodes live and die
// together, so this costs no retention and cuts the number of allocations
// several times over (see BenchmarkParse's allocs/KB).

// slab hands out pointers into arrays of T allocated chunk at a time.
type slab[T any] struct {
	buf []T
}

func (s *slab[T]) alloc(chunk int, v T) *T {
	if len(s.buf) == 0 {
		s.buf = make([]T, chunk)
	}
	x := &s.buf[0]
	s.buf = s.buf[1:]
	*x = v
	return x
}

type arena struct {
	chunk   int // nodes per slab chunk, by source size
	idents  slab[ast.Ident]
	lits    slab[ast.Literal]
	fas     slab[ast.FieldAccess]
	calls   slab[ast.InvokeExpr]
	bins    slab[ast.BinaryExpr]
	fields  slab[ast.Field]
	records slab[ast.RecordExpr]
	lists   slab[ast.ListExpr]

	exprStack  []ast.Expr   // scratch for list items and arguments
	fieldStack []*ast.Field // scratch for record fields and let variables
	exprBuf    []ast.Expr   // carved into exactly sized item slices
	fieldBuf   []*ast.Field
}

func (a *arena) init(srcLen int) {
	a.chunk = min(max(srcLen/64, 4), 512)
}

func (p *parser) newIdent(v ast.Ident) *ast.Ident   { return p.a.idents.alloc(p.a.chunk, v) }
func (p *parser) newLit(v ast.Literal) *ast.Literal { return p.a.lits.alloc(p.a.chunk, v) }
func (p *parser) newFA(v ast.FieldAccess) *ast.FieldAccess {
	return p.a.fas.alloc(p.a.chunk, v)
}
func (p *parser) newCall(v ast.InvokeExpr) *ast.InvokeExpr { return p.a.calls.alloc(p.a.chunk, v) }
func (p *parser) newBin(v ast.BinaryExpr) *ast.BinaryExpr  { return p.a.bins.alloc(p.a.chunk, v) }
func (p *parser) newField(v ast.Field) *ast.Field          { return p.a.fields.alloc(p.a.chunk, v) }
func (p *parser) newRecord(v ast.RecordExpr) *ast.RecordExpr {
	return p.a.records.alloc(p.a.chunk, v)
}
func (p *parser) newList(v ast.ListExpr) *ast.ListExpr { return p.a.lists.alloc(p.a.chunk, v) }

// exprs returns a copy of the scratch stack above mark and pops it.
func (p *parser) exprs(mark int) []ast.Expr {
	n := len(p.a.exprStack) - mark
	if n == 0 {
		return nil
	}
	if len(p.a.exprBuf) < n {
		p.a.exprBuf = make([]ast.Expr, max(n, p.a.chunk))
	}
	out := p.a.exprBuf[:n:n]
	p.a.exprBuf = p.a.exprBuf[n:]
	copy(out, p.a.exprStack[mark:])
	clear(p.a.exprStack[mark:])
	p.a.exprStack = p.a.exprStack[:mark]
	return out
}

// fieldList is exprs for fields.
func (p *parser) fieldList(mark int) []*ast.Field {
	n := len(p.a.fieldStack) - mark
	if n == 0 {
		return nil
	}
	if len(p.a.fieldBuf) < n {
		p.a.fieldBuf = make([]*ast.Field, max(n, p.a.chunk))
	}
	out := p.a.fieldBuf[:n:n]
	p.a.fieldBuf = p.a.fieldBuf[n:]
	copy(out, p.a.fieldStack[mark:])
	clear(p.a.fieldStack[mark:])
	p.a.fieldStack = p.a.fieldStack[:mark]
	return out
}
