package eval

import (
	"fmt"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
)

// EvalSource parses src and evaluates it in th's environment. An
// expression document yields its value. A section document is loaded
// into the environment and the value of its first shared member is
// returned (the .query.pq convention when a test is a section).
//
// Syntax errors are returned as the parser's error list (file:line:col);
// M errors as *Error.
func (th *Thread) EvalSource(filename string, src []byte) (Value, error) {
	doc, err := parser.ParseFile(th.fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	switch d := doc.(type) {
	case *ast.ExpressionDocument:
		return th.eval(d.Expr, th.env.root)
	case *ast.SectionDocument:
		s, err := th.env.LoadSection(th, d)
		if err != nil {
			return nil, err
		}
		if len(s.Shared) == 0 {
			return nil, fmt.Errorf("%s: section %s has no shared member to evaluate", filename, s.Name)
		}
		v, _, err := s.Members.Get(th, s.Shared[0])
		return v, err
	}
	return nil, fmt.Errorf("%s: unknown document", filename)
}

// EvalInSection parses an expression document and evaluates it as if it
// were a member of section s: every member, shared or not, is visible by
// name. It is a debugging aid (pqx eval --in-section); Power Query itself
// only exposes shared members to queries.
func (th *Thread) EvalInSection(s *Section, filename string, src []byte) (Value, error) {
	doc, err := parser.ParseFile(th.fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	d, ok := doc.(*ast.ExpressionDocument)
	if !ok {
		return nil, fmt.Errorf("%s: expected an expression, not a section document", filename)
	}
	return th.eval(d.Expr, s.scope)
}

// LoadSectionSource parses a section document and loads it into the
// thread's environment.
func (th *Thread) LoadSectionSource(filename string, src []byte) (*Section, error) {
	doc, err := parser.ParseFile(th.fset, filename, src, 0)
	if err != nil {
		return nil, err
	}
	d, ok := doc.(*ast.SectionDocument)
	if !ok {
		return nil, fmt.Errorf("%s: not a section document (it has no 'section Name;' header)", filename)
	}
	return th.env.LoadSection(th, d)
}

// Force returns the value of a lazy entry, honouring the thread's bounds.
func (th *Thread) Force(l *Lazy) (Value, error) { return th.force(l) }

// Call invokes an M function with evaluated arguments.
func (th *Thread) Call(f *Function, args ...Value) (Value, error) { return Call(th, f, args) }

// DeepForce evaluates every nested list item, record field and table cell
// of v, returning the first error, so that a value can be printed or
// compared without hidden failures.
func (th *Thread) DeepForce(v Value) error {
	return th.deepForce(v, 0)
}

func (th *Thread) deepForce(v Value, depth int) error {
	if depth > 256 {
		return nil
	}
	var lazies []*Lazy
	switch x := v.(type) {
	case *List:
		x, err := x.full(th)
		if err != nil {
			return err
		}
		for i := 0; i < x.Len(); i++ {
			iv, err := x.force(th, i)
			if err != nil {
				return err
			}
			if err := th.deepForce(iv, depth+1); err != nil {
				return err
			}
		}
		return nil
	case *Record:
		lazies = x.vals
	case *Table:
		x, err := x.full(th)
		if err != nil {
			return err
		}
		for _, r := range x.rows {
			lazies = append(lazies, r...)
		}
	case Binary:
		_, err := x.Force(th)
		return err
	}
	for _, l := range lazies {
		iv, err := th.force(l)
		if err != nil {
			return err
		}
		if err := th.deepForce(iv, depth+1); err != nil {
			return err
		}
	}
	return nil
}
