// Package parser implements a recursive-descent parser for Power Query M
// section documents and expression documents, modelled on go/parser.
//
// The parser follows the syntactic grammar of the M language specification
// with the precedence and associativity notes of the pqx reference: binary
// operators are left-associative; `??` is the loosest. It reports errors as a
// scanner.ErrorList sorted by position (file:line:col: message), recovers at
// list items, let variables and section members to report several errors per
// file, and keeps at most one error per line so that one mistake does not
// cascade.
package parser

import (
	"fmt"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

// Mode is a set of flags controlling the parser.
type Mode uint

// Parser modes.
const (
	ParseComments Mode = 1 << iota // keep comments in the document
	AllErrors                      // report all errors, not only the first 10
)

// Limits on what the parser accepts. Inputs beyond them are rejected with
// an error instead of exhausting the stack or memory.
const (
	// MaxSourceSize is the largest source accepted, in bytes.
	MaxSourceSize = 64 << 20
	// MaxDepth is the deepest nesting of expressions accepted.
	MaxDepth = 1000
)

// ParseFile parses the source of one M document, a section document or an
// expression document, adding the file to fset. On syntax errors it returns
// the (partial) document and a scanner.ErrorList; the list's Detail method
// shows each error with its source line and a caret.
func ParseFile(fset *token.FileSet, filename string, src []byte, mode Mode) (doc ast.Document, err error) {
	if fset == nil {
		panic("parser.ParseFile: no token.FileSet provided")
	}
	file := fset.AddFile(filename, src)
	var p parser
	defer func() {
		if e := recover(); e != nil {
			if _, ok := e.(bailout); !ok {
				panic(e)
			}
			// Too many errors or too deep: no document, only the errors.
			doc, err = nil, p.finish()
		}
	}()
	p.init(file, mode)
	if len(src) > MaxSourceSize {
		p.errorAt(file.Pos(0), fmt.Sprintf("source is %d bytes; the limit is %d", len(src), MaxSourceSize))
		return nil, p.errors
	}
	p.tokenize()
	defer p.release()
	doc = p.parseDocument()
	return doc, p.finish()
}

// ParseExpr parses src as a single expression (an expression document) in a
// throwaway FileSet.
func ParseExpr(src string) (ast.Expr, error) {
	return ParseExprFrom(token.NewFileSet(), "", []byte(src), 0)
}

// ParseExprFrom parses src as a single expression, adding it to fset. A
// section document is an error.
func ParseExprFrom(fset *token.FileSet, filename string, src []byte, mode Mode) (ast.Expr, error) {
	doc, err := ParseFile(fset, filename, src, mode)
	if doc == nil {
		return nil, err
	}
	d, ok := doc.(*ast.ExpressionDocument)
	if !ok {
		file := fset.File(doc.Pos())
		var list scanner.ErrorList
		list.Add(file.Position(doc.Pos()), "expected an expression, found a section document")
		list[0].Line = file.LineText(list[0].Pos.Line)
		return nil, list
	}
	return d.Expr, err
}

// IsSectionDocument reports, without parsing, whether src looks like a
// section document: `section` (optionally after literal attributes) is its
// first keyword.
func IsSectionDocument(src []byte) bool {
	fset := token.NewFileSet()
	var p parser
	p.init(fset.AddFile("", src), AllErrors) // AllErrors: never bail out
	p.tokenize()
	defer p.release()
	return p.isSectionDocument()
}
