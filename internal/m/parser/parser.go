package parser

import (
	"fmt"
	"strings"
	"sync"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

// tok is one token of the pre-scanned token stream. The whole file is
// scanned first so that the parser can look ahead freely (function
// expressions versus parenthesized expressions, section documents versus
// record expressions) at no extra cost.
type tok struct {
	kind       token.Kind
	start, end int32 // byte offsets
	match      int32 // for an opening bracket, the index of its closer, or -1
}

// tokPool recycles token buffers: they are garbage as soon as a file is
// parsed, and allocating (and zeroing) them anew dominated the cost of
// parsing many files.
var tokPool sync.Pool

// maxPooledToks bounds the buffers kept in the pool (16 MiB of tokens).
const maxPooledToks = 1 << 20

func getToks(n int) []tok {
	if b, ok := tokPool.Get().(*[]tok); ok && cap(*b) >= n {
		return (*b)[:0]
	}
	return make([]tok, 0, n)
}

// release returns the token buffer to the pool; the parser must not be
// used afterwards. The syntax tree holds no reference to the tokens.
func (p *parser) release() {
	if cap(p.toks) <= maxPooledToks {
		b := p.toks[:0]
		tokPool.Put(&b)
	}
	p.toks = nil
}

// bailout is panicked to stop parsing after too many errors.
type bailout struct{}

type parser struct {
	file *token.File
	src  []byte
	base int
	mode Mode

	toks     []tok
	comments []*ast.Comment

	i   int        // index of the current token
	tok token.Kind // kind of the current token

	errors     scanner.ErrorList
	lastErrIdx int // token index of the last reported error, to suppress cascades
	depth      int

	srcStr string // one immutable copy of src; names are substrings of it
	// runaway is set when a text, quoted identifier or comment runs to the
	// end of the file; errors at EOF are then consequences, not news.
	runaway bool
	a       arena
}

func (p *parser) init(file *token.File, mode Mode) {
	p.file = file
	p.src = file.Source()
	p.base = file.Base()
	p.mode = mode
	p.lastErrIdx = -1
	p.srcStr = string(p.src)
	p.a.init(len(p.src))
}

// tokenize scans the whole file into p.toks and matches brackets.
func (p *parser) tokenize() {
	var s scanner.Scanner
	s.Init(p.file, func(pos token.Pos, msg string) {
		if strings.HasSuffix(msg, "not terminated") {
			p.runaway = true
		}
		p.errorAt(pos, msg)
	}, scanner.ScanComments)
	p.toks = getToks(len(p.src)/4 + 16) // dense M runs about 5 bytes per token
	var stack []int32
	for {
		start, kind, end := s.ScanRaw()
		if kind == token.COMMENT {
			if p.mode&ParseComments != 0 {
				p.comments = append(p.comments, &ast.Comment{Slash: p.pos(start), Text: p.str(int32(start), int32(end))})
			}
			continue
		}
		idx := int32(len(p.toks))
		p.toks = append(p.toks, tok{kind, int32(start), int32(end), -1})
		switch kind {
		case token.LPAREN, token.LBRACK, token.LBRACE:
			stack = append(stack, idx)
		case token.RPAREN, token.RBRACK, token.RBRACE:
			if n := len(stack); n > 0 && closerOf(p.toks[stack[n-1]].kind) == kind {
				p.toks[stack[n-1]].match = idx
				stack = stack[:n-1]
			}
		}
		if kind == token.EOF {
			break
		}
	}
	p.i = 0
	p.tok = p.toks[0].kind
}

func closerOf(k token.Kind) token.Kind {
	switch k {
	case token.LPAREN:
		return token.RPAREN
	case token.LBRACK:
		return token.RBRACK
	case token.LBRACE:
		return token.RBRACE
	}
	return token.ILLEGAL
}

// matching returns the index of the closer matching the opener at i, or -1.
func (p *parser) matching(i int) int { return int(p.toks[i].match) }

func (p *parser) pos(off int) token.Pos { return token.Pos(p.base + off) }

// cur returns the position of the current token.
func (p *parser) cur() token.Pos { return p.pos(int(p.toks[p.i].start)) }

// text returns the source text of token i.
func (p *parser) text(i int) string {
	t := p.toks[i]
	return p.str(t.start, t.end)
}

// bytes returns the source bytes of token i (no copy).
func (p *parser) bytes(i int) []byte {
	t := p.toks[i]
	return p.src[t.start:t.end]
}

// isWord reports whether token i is spelled w, without allocating.
func (p *parser) isWord(i int, w string) bool {
	t := p.toks[i]
	return string(p.src[t.start:t.end]) == w
}

// nameSet detects duplicate names in records, lets, parameter lists and
// sections. Most lists are short, so it scans a small array and switches
// to a map only for long lists.
type nameSet struct {
	arr   [8]string
	small []string
	m     map[string]bool
}

// add records name and reports whether it was already present.
func (s *nameSet) add(name string) bool {
	if s.m != nil {
		if s.m[name] {
			return true
		}
		s.m[name] = true
		return false
	}
	for _, n := range s.small {
		if n == name {
			return true
		}
	}
	if s.small == nil {
		s.small = s.arr[:0]
	}
	if len(s.small) < 32 {
		s.small = append(s.small, name)
		return false
	}
	s.m = make(map[string]bool, 64)
	for _, n := range s.small {
		s.m[n] = true
	}
	s.m[name] = true
	return false
}

func (p *parser) peekKind(n int) token.Kind {
	if j := p.i + n; j < len(p.toks) {
		return p.toks[j].kind
	}
	return token.EOF
}

// next advances to the next token (never past EOF).
func (p *parser) next() {
	if p.i < len(p.toks)-1 {
		p.i++
		p.tok = p.toks[p.i].kind
	}
}

// ---------------------------------------------------------------------------
// Errors

func (p *parser) errorAt(pos token.Pos, msg string) {
	position := p.file.Position(pos)
	p.errors = append(p.errors, &scanner.Error{Pos: position, Msg: msg, Line: p.file.LineText(position.Line)})
	if p.mode&AllErrors == 0 && len(p.errors) > 10 {
		panic(bailout{})
	}
}

// error reports msg at the current token unless an error was already
// reported at this token (which is how cascades are avoided).
func (p *parser) error(msg string) {
	if p.lastErrIdx == p.i {
		return
	}
	p.lastErrIdx = p.i
	if p.tok == token.ILLEGAL {
		return // the scanner has reported the bad token itself
	}
	if p.tok == token.EOF && p.runaway {
		return // an unterminated text or comment swallowed the rest
	}
	p.errorAt(p.cur(), msg)
}

// describe names the current token for messages.
func (p *parser) describe() string {
	t := p.toks[p.i]
	switch t.kind {
	case token.EOF:
		return "end of file"
	case token.IDENT:
		return fmt.Sprintf("identifier %s", p.text(p.i))
	case token.QUOTED_IDENT:
		return fmt.Sprintf("identifier %s", clip(p.text(p.i)))
	case token.NUMBER:
		return fmt.Sprintf("number %s", clip(p.text(p.i)))
	case token.TEXT:
		return fmt.Sprintf("text %s", clip(p.text(p.i)))
	case token.VERBATIM:
		return "verbatim literal"
	case token.ILLEGAL:
		return fmt.Sprintf("%q", p.text(p.i))
	}
	if t.kind.IsKeyword() {
		return "keyword " + t.kind.String()
	}
	return "'" + t.kind.String() + "'"
}

func clip(s string) string {
	if len(s) > 40 {
		return s[:37] + "..."
	}
	return s
}

func (p *parser) errorExpected(what string) {
	p.error("expected " + what + ", found " + p.describe())
}

// expect consumes a token of kind k and returns its position, or reports
// an error and returns NoPos without consuming.
func (p *parser) expect(k token.Kind) token.Pos {
	pos := p.cur()
	if p.tok != k {
		p.errorExpected("'" + k.String() + "'")
		return token.NoPos
	}
	p.next()
	return pos
}

// missingCloser is the position recorded for a closing bracket that is
// absent: the last byte of the previous token, so that the node's span
// ends where its content ends and stays inside the source.
func (p *parser) missingCloser() token.Pos {
	if p.i == 0 {
		return p.cur()
	}
	return p.pos(int(p.toks[p.i-1].end) - 1)
}

// expectCloser is expect for a closing bracket; if the bracket is missing
// it does not consume anything either.
func (p *parser) expectCloser(k token.Kind, open token.Pos, what string) token.Pos {
	pos := p.cur()
	if p.tok != k {
		p.error(fmt.Sprintf("expected '%s' to close the %s opened at %s, found %s", k, what, p.lineCol(open), p.describe()))
		return p.missingCloser()
	}
	p.next()
	return pos
}

func (p *parser) lineCol(pos token.Pos) string {
	ps := p.file.Position(pos)
	return fmt.Sprintf("%d:%d", ps.Line, ps.Column)
}

func (p *parser) finish() error {
	p.errors.RemoveMultiples()
	return p.errors.Err()
}

// sync skips tokens until one of stops appears outside any brackets and let
// expressions that start after the current token, or a closer or `in` that
// ends an enclosing construct, or EOF. It never consumes the stop token.
func (p *parser) sync(stops ...token.Kind) {
	depth := 0
	for p.tok != token.EOF {
		if depth == 0 {
			for _, s := range stops {
				if p.tok == s {
					return
				}
			}
		}
		switch p.tok {
		case token.LPAREN, token.LBRACK, token.LBRACE, token.LET:
			depth++
		case token.RPAREN, token.RBRACK, token.RBRACE, token.IN:
			if depth == 0 {
				return
			}
			depth--
		case token.SEMICOLON, token.SHARED:
			if depth == 0 {
				return
			}
		}
		p.next()
	}
}

// ---------------------------------------------------------------------------
// Documents

func (p *parser) isSectionDocument() bool {
	i := 0
	if p.toks[0].kind == token.LBRACK {
		j := p.matching(0)
		if j < 0 {
			return false
		}
		i = j + 1
	}
	return i < len(p.toks) && p.toks[i].kind == token.SECTION
}

func (p *parser) parseDocument() ast.Document {
	var doc ast.Document
	if p.isSectionDocument() {
		doc = p.parseSectionDocument()
	} else {
		x := p.parseExpr()
		if p.tok != token.EOF {
			p.errorExpected("end of expression")
		}
		doc = &ast.ExpressionDocument{Expr: x, EOF: p.eofPos(), Comments: p.comments}
	}
	return doc
}

func (p *parser) eofPos() token.Pos { return p.pos(len(p.src)) }

func (p *parser) parseSectionDocument() *ast.SectionDocument {
	doc := &ast.SectionDocument{}
	if p.tok == token.LBRACK {
		doc.Attrs = p.parseAttributes()
	}
	doc.Section = p.expect(token.SECTION)
	doc.Name = p.parseIdent("section name")
	doc.Semi = p.expect(token.SEMICOLON)
	var seen nameSet
	for p.tok != token.EOF {
		start := p.i
		m := p.parseSectionMember()
		if m != nil {
			doc.Members = append(doc.Members, m)
			if seen.add(m.Name.Name) && m.Name.Name != "" {
				p.errorAt(m.Name.Pos(), fmt.Sprintf("section member %s is defined more than once", m.Name.Raw))
			}
		}
		if p.i == start { // no progress: skip the offending token
			p.next()
		}
	}
	doc.EOF = p.eofPos()
	doc.Comments = p.comments
	return doc
}

func (p *parser) parseSectionMember() *ast.SectionMember {
	nerr := len(p.errors)
	m := &ast.SectionMember{}
	if p.tok == token.LBRACK {
		m.Attrs = p.parseAttributes()
	}
	if p.tok == token.SHARED {
		m.Shared = p.cur()
		p.next()
	}
	if p.tok != token.IDENT && p.tok != token.QUOTED_IDENT {
		p.errorExpected("section member name")
		p.syncMember()
		return nil
	}
	m.Name = p.parseIdent("section member name")
	m.Assign = p.expect(token.EQL)
	m.Value = p.parseExpr()
	if p.tok == token.SEMICOLON {
		m.Semi = p.cur()
		p.next()
		return m
	}
	if len(p.errors) == nerr && p.lastErrIdx != p.i {
		// Point just after the value, where the ; belongs.
		p.lastErrIdx = p.i
		p.errorAt(m.Value.End(), fmt.Sprintf("expected ';' after section member %s, found %s", m.Name.Raw, p.describe()))
	}
	p.syncMember()
	return m
}

// syncMember skips to the start of the next section member.
func (p *parser) syncMember() {
	for p.tok != token.EOF {
		p.sync(token.SEMICOLON, token.SHARED)
		switch p.tok {
		case token.SEMICOLON:
			p.next()
			return
		case token.SHARED, token.EOF:
			return
		}
		p.next() // an unbalanced closer or `in`
	}
}

// parseAttributes parses a literal-attributes record and checks that its
// values are literals, as the specification requires.
func (p *parser) parseAttributes() *ast.RecordExpr {
	x := p.parsePrimary()
	r, ok := x.(*ast.RecordExpr)
	if !ok {
		p.errorAt(x.Pos(), "expected literal attributes [name = literal, …]")
		return &ast.RecordExpr{Lbrack: x.Pos(), Rbrack: x.End() - 1}
	}
	p.checkLiteral(r)
	return r
}

func (p *parser) checkLiteral(x ast.Expr) {
	switch x := x.(type) {
	case *ast.Literal, *ast.BadExpr:
		return
	case *ast.UnaryExpr:
		if l, ok := x.X.(*ast.Literal); ok && l.Kind == ast.Number && x.Op != token.NOT {
			return
		}
	case *ast.RecordExpr:
		for _, f := range x.Fields {
			p.checkLiteral(f.Value)
		}
		return
	case *ast.ListExpr:
		for _, it := range x.Items {
			p.checkLiteral(it)
		}
		return
	}
	p.errorAt(x.Pos(), "attribute value must be a literal (text, number, logical, null, or a list or record of literals)")
}

// ---------------------------------------------------------------------------
// Identifiers

// str returns the source text [start:end) as a string. All names and raw
// literals share one copy of the source made when parsing starts, so they
// cost no allocation of their own.
func (p *parser) str(start, end int32) string { return p.srcStr[start:end] }

// parseIdent parses a regular or quoted identifier.
func (p *parser) parseIdent(what string) *ast.Ident {
	t := p.toks[p.i]
	pos := p.cur()
	switch t.kind {
	case token.IDENT:
		p.next()
		name := p.str(t.start, t.end)
		return p.newIdent(ast.Ident{NamePos: pos, Name: name, Raw: name})
	case token.QUOTED_IDENT:
		p.next()
		return p.quotedIdent(pos, p.str(t.start, t.end))
	}
	p.errorExpected(what)
	return p.newIdent(ast.Ident{NamePos: pos})
}

func (p *parser) quotedIdent(pos token.Pos, raw string) *ast.Ident {
	name, err := scanner.Unquote(raw)
	if err != nil {
		// The scanner has reported the malformed escape already.
		name = raw
	}
	return p.newIdent(ast.Ident{NamePos: pos, Name: name, Raw: raw, Quoted: true})
}

// generalizedPart reports whether token i can be part of a generalized
// identifier: identifiers, keywords without #, and numbers (`[2020 Sales]`).
func (p *parser) generalizedPart(i int) bool {
	k := p.toks[i].kind
	if k == token.IDENT || k == token.NUMBER {
		return true
	}
	return k.IsKeyword() && p.src[p.toks[i].start] != '#'
}

// parseFieldName parses a field name: a quoted identifier or a generalized
// identifier (words separated by spaces, keywords allowed).
func (p *parser) parseFieldName() *ast.Ident {
	pos := p.cur()
	if p.tok == token.QUOTED_IDENT {
		raw := p.text(p.i)
		p.next()
		return p.quotedIdent(pos, raw)
	}
	if !p.generalizedPart(p.i) {
		p.errorExpected("field name")
		return p.newIdent(ast.Ident{NamePos: pos})
	}
	first := p.toks[p.i]
	last := first
	p.next()
	for p.generalizedPart(p.i) {
		t := p.toks[p.i]
		if !onlySpaces(p.src[last.end:t.start]) {
			break
		}
		last = t
		p.next()
	}
	name := p.str(first.start, last.end)
	if first.kind == token.NUMBER && first == last {
		p.errorAt(pos, fmt.Sprintf("field name %s must not be a number; write #\"%s\"", name, name))
	}
	return p.newIdent(ast.Ident{NamePos: pos, Name: name, Raw: name})
}

func onlySpaces(b []byte) bool {
	for _, c := range b {
		if c != ' ' {
			return false
		}
	}
	return true
}

// ---------------------------------------------------------------------------
// Expressions

func (p *parser) enter() {
	p.depth++
	if p.depth > MaxDepth {
		p.errorAt(p.cur(), fmt.Sprintf("expression nested too deeply (limit %d)", MaxDepth))
		panic(bailout{})
	}
}

func (p *parser) leave() { p.depth-- }

// parseExpr parses an expression.
func (p *parser) parseExpr() ast.Expr {
	// No defer: on bailout the parser is abandoned, so depth need not
	// be restored, and parseExpr is the hottest recursive call.
	p.enter()
	x := p.parseExprNoDepth()
	p.depth--
	return x
}

func (p *parser) parseExprNoDepth() ast.Expr {
	switch p.tok {
	case token.EACH:
		pos := p.cur()
		p.next()
		return &ast.EachExpr{Each: pos, Body: p.parseExpr()}
	case token.LET:
		return p.parseLet()
	case token.IF:
		return p.parseIf()
	case token.TRY:
		return p.parseTry()
	case token.ERROR:
		pos := p.cur()
		p.next()
		return &ast.ErrorExpr{Error: pos, X: p.parseExpr()}
	}
	return p.parseBinary(token.PrecCoalesce)
}

// isPrefixForm reports whether the current token starts an expression form
// that extends as far right as possible (let, if, each, try, error, or a
// function expression).
func (p *parser) isPrefixForm() bool {
	switch p.tok {
	case token.EACH, token.LET, token.IF, token.TRY, token.ERROR:
		return true
	case token.LPAREN:
		return p.isFunction()
	}
	return false
}

// parseBinary parses binary operators of precedence prec1 and tighter,
// left-associatively.
func (p *parser) parseBinary(prec1 int) ast.Expr {
	x := p.parseUnary()
	// After `x as T` only as, is, and, or and ?? may follow (and after
	// `is`, not `as`): their right operand is a type, not an expression.
	limit := token.PrecMeta
	for {
		op := p.tok
		prec := op.Precedence()
		if prec < prec1 || prec == token.LowestPrec || prec > limit {
			return x
		}
		opPos := p.cur()
		p.next()
		var y ast.Expr
		switch op {
		case token.AS, token.IS:
			y = p.parseNullablePrimitiveType()
			limit = prec
		default:
			y = p.parseBinary(prec + 1)
		}
		x = p.newBin(ast.BinaryExpr{X: x, OpPos: opPos, Op: op, Y: y})
		// An operator binding tighter than op can only be pending here
		// if the right operand stopped at it (after as/is); it must not
		// apply to the whole of x either.
		limit = min(limit, prec)
	}
}

func (p *parser) parseUnary() ast.Expr {
	switch p.tok {
	case token.ADD, token.SUB, token.NOT:
		p.enter()
		defer p.leave()
		pos, op := p.cur(), p.tok
		p.next()
		return &ast.UnaryExpr{OpPos: pos, Op: op, X: p.parseUnary()}
	case token.TYPE:
		p.enter()
		defer p.leave()
		pos := p.cur()
		p.next()
		return &ast.TypeExpr{Type: pos, X: p.parseType()}
	}
	if p.isPrefixForm() {
		if p.tok == token.LPAREN {
			p.enter()
			defer p.leave()
			return p.parseFunction()
		}
		return p.parseExpr()
	}
	return p.parsePrimary()
}

// isFunction reports whether the ( at the current token starts a function
// expression: the matching ) is followed by => or by `as T =>`.
func (p *parser) isFunction() bool {
	j := p.matching(p.i)
	if j < 0 {
		// Unbalanced: guess from the start, `()` or `(x as`, `(optional`.
		return p.peekKind(1) == token.RPAREN && p.peekKind(2) == token.ARROW ||
			p.peekKind(1) == token.IDENT && p.isWord(p.i+1, "optional")
	}
	k := j + 1
	if k >= len(p.toks) {
		return false
	}
	switch p.toks[k].kind {
	case token.ARROW:
		return true
	case token.AS:
		// `(x) as number => …` versus `(x) as number`.
		k++
		if k < len(p.toks) && p.toks[k].kind == token.IDENT && p.isWord(k, "nullable") {
			k++
		}
		return k+1 < len(p.toks) && (p.toks[k].kind == token.IDENT || p.toks[k].kind == token.NULL || p.toks[k].kind == token.TYPE) &&
			p.toks[k+1].kind == token.ARROW
	}
	return false
}

func (p *parser) parseLet() ast.Expr {
	x := &ast.LetExpr{Let: p.cur()}
	p.next()
	var seen nameSet
	mark := len(p.a.fieldStack)
	for p.tok != token.IN && p.tok != token.EOF {
		if p.tok != token.IDENT && p.tok != token.QUOTED_IDENT {
			p.errorExpected("variable name")
			p.sync(token.COMMA)
			if p.tok == token.COMMA {
				p.next()
				continue
			}
			break
		}
		f := p.newField(ast.Field{Name: p.parseIdent("variable name")})
		if seen.add(f.Name.Name) {
			p.errorAt(f.Name.Pos(), fmt.Sprintf("variable %s is defined more than once in this let", f.Name.Raw))
		}
		f.Assign = p.expect(token.EQL)
		f.Value = p.parseExpr()
		p.a.fieldStack = append(p.a.fieldStack, f)
		if p.tok == token.COMMA {
			p.next()
			if p.tok == token.IN {
				p.error("unexpected 'in' after ',' (remove the trailing comma)")
			}
			continue
		}
		if p.tok != token.IN {
			p.error(fmt.Sprintf("expected ',' or 'in' after variable %s, found %s", f.Name.Raw, p.describe()))
			p.sync(token.COMMA)
			if p.tok == token.COMMA {
				p.next()
				continue
			}
		}
		break
	}
	x.Vars = p.fieldList(mark)
	if len(x.Vars) == 0 && p.tok == token.IN {
		p.error("let expression needs at least one variable")
	}
	x.In = p.cur()
	if p.tok != token.IN {
		p.errorExpected("'in'")
		x.Body = &ast.BadExpr{From: p.cur(), To: p.cur()}
		return x
	}
	p.next()
	x.Body = p.parseExpr()
	return x
}

func (p *parser) parseIf() ast.Expr {
	x := &ast.IfExpr{If: p.cur()}
	p.next()
	x.Cond = p.parseExpr()
	x.ThenPos = p.expect(token.THEN)
	x.Then = p.parseExpr()
	x.ElsePos = p.cur()
	if p.tok != token.ELSE {
		p.errorExpected("'else' (M has no if without else)")
		x.Else = &ast.BadExpr{From: p.cur(), To: p.cur()}
		return x
	}
	p.next()
	x.Else = p.parseExpr()
	return x
}

func (p *parser) parseTry() ast.Expr {
	x := &ast.TryExpr{Try: p.cur()}
	p.next()
	x.Body = p.parseExpr()
	switch {
	case p.tok == token.OTHERWISE:
		x.Otherwise = p.cur()
		p.next()
		x.Default = p.parseExpr()
	case p.tok == token.IDENT && p.isWord(p.i, "catch"):
		x.Catch = p.cur()
		p.next()
		if p.tok != token.LPAREN {
			p.errorExpected("'(' after catch (catch (e) => …)")
			x.Handler = &ast.FunctionExpr{Lparen: p.cur(), Rparen: p.cur(), Arrow: p.cur(), Body: &ast.BadExpr{From: p.cur(), To: p.cur()}}
			return x
		}
		fn := p.parseFunction()
		if len(fn.Params) > 1 {
			p.errorAt(fn.Params[1].Pos(), "a catch function takes at most one parameter")
		}
		for _, prm := range fn.Params {
			if prm.Optional.IsValid() || prm.Type != nil {
				p.errorAt(prm.Pos(), "a catch parameter has no type and is not optional")
			}
		}
		if fn.Return != nil {
			p.errorAt(fn.As, "a catch function has no return type")
		}
		x.Handler = fn
	}
	return x
}

// parseFunction parses `(params) as T => body`; the current token is (.
func (p *parser) parseFunction() *ast.FunctionExpr {
	x := &ast.FunctionExpr{Lparen: p.cur()}
	p.next()
	x.Params = p.parseParams(false)
	x.Rparen = p.expectCloser(token.RPAREN, x.Lparen, "parameter list")
	if p.tok == token.AS {
		x.As = p.cur()
		p.next()
		x.Return = p.parseNullablePrimitiveType()
	}
	x.Arrow = p.expect(token.ARROW)
	x.Body = p.parseExpr()
	return x
}

// parseParams parses a parameter list up to (not including) ')'. In a
// function type (typeParams) the parameter types are arbitrary types; in a
// function expression they are nullable primitive types.
func (p *parser) parseParams(typeParams bool) []*ast.Param {
	var params []*ast.Param
	var seen nameSet
	sawOptional := false
	for p.tok != token.RPAREN && p.tok != token.EOF {
		prm := &ast.Param{}
		if p.tok == token.IDENT && p.isWord(p.i, "optional") &&
			(p.peekKind(1) == token.IDENT || p.peekKind(1) == token.QUOTED_IDENT) {
			prm.Optional = p.cur()
			p.next()
		}
		if p.tok != token.IDENT && p.tok != token.QUOTED_IDENT {
			p.errorExpected("parameter name")
			p.sync(token.COMMA, token.RPAREN)
			if p.tok == token.COMMA {
				p.next()
				continue
			}
			break
		}
		prm.Name = p.parseIdent("parameter name")
		if seen.add(prm.Name.Name) {
			p.errorAt(prm.Name.Pos(), fmt.Sprintf("parameter %s is defined more than once", prm.Name.Raw))
		}
		if prm.Optional.IsValid() {
			sawOptional = true
		} else if sawOptional {
			p.errorAt(prm.Name.Pos(), fmt.Sprintf("required parameter %s follows an optional parameter", prm.Name.Raw))
		}
		if p.tok == token.AS {
			prm.As = p.cur()
			p.next()
			if typeParams {
				prm.Type = p.parseType()
			} else {
				prm.Type = p.parseNullablePrimitiveType()
			}
		}
		params = append(params, prm)
		if p.tok != token.COMMA {
			if p.tok != token.RPAREN {
				p.errorExpected("',' or ')' in parameter list")
				p.sync(token.COMMA, token.RPAREN)
				if p.tok == token.COMMA {
					p.next()
					continue
				}
			}
			break
		}
		p.next()
		if p.tok == token.RPAREN {
			p.error("unexpected ')' after ',' (remove the trailing comma)")
		}
	}
	return params
}

// parseNullablePrimitiveType parses `nullable? primitive-type`, the only
// types allowed after is/as and in function expression signatures.
func (p *parser) parseNullablePrimitiveType() ast.Expr {
	if p.tok == token.IDENT && p.isWord(p.i, "nullable") {
		pos := p.cur()
		p.next()
		return &ast.NullableType{Nullable: pos, Type: p.parsePrimitiveType()}
	}
	return p.parsePrimitiveType()
}

func (p *parser) parsePrimitiveType() ast.Expr {
	pos := p.cur()
	switch p.tok {
	case token.IDENT:
		b := p.bytes(p.i)
		if token.PrimitiveTypes[string(b)] {
			p.next()
			return &ast.PrimitiveType{NamePos: pos, Name: p.text(p.i - 1)}
		}
		p.error(fmt.Sprintf("expected a primitive type (any, number, text, …), found %s; only primitive types may follow as/is here", b))
	case token.NULL, token.TYPE:
		name := p.tok.String()
		p.next()
		return &ast.PrimitiveType{NamePos: pos, Name: name}
	default:
		p.errorExpected("a primitive type")
	}
	return &ast.BadExpr{From: pos, To: pos}
}

// parseType parses a type in type position: a primary type (primitive,
// nullable, list, record, table or function type) or a primary expression.
func (p *parser) parseType() ast.Expr {
	p.enter()
	x := p.parseTypeNoDepth()
	p.depth--
	return x
}

func (p *parser) parseTypeNoDepth() ast.Expr {
	pos := p.cur()
	switch p.tok {
	case token.IDENT:
		b := p.bytes(p.i)
		switch {
		case string(b) == "nullable" && p.startsType(1):
			p.next()
			return &ast.NullableType{Nullable: pos, Type: p.parseType()}
		case string(b) == "function" && p.peekKind(1) == token.LPAREN:
			return p.parseFunctionType()
		case string(b) == "table" && (p.peekKind(1) == token.LBRACK || p.peekKind(1) == token.IDENT && !p.isWord(p.i+1, "meta") ||
			p.peekKind(1) == token.QUOTED_IDENT || p.peekKind(1) == token.LPAREN):
			p.next()
			if p.tok == token.LBRACK {
				return &ast.TableType{Table: pos, Row: p.parseRecordType()}
			}
			return &ast.TableType{Table: pos, Row: p.parsePrimary()}
		case token.PrimitiveTypes[string(b)]:
			p.next()
			return &ast.PrimitiveType{NamePos: pos, Name: p.text(p.i - 1)}
		}
	case token.TYPE:
		if p.startsType(1) {
			// A type expression used as a type: `[a = type text]`.
			p.next()
			return &ast.TypeExpr{Type: pos, X: p.parseType()}
		}
		p.next()
		return &ast.PrimitiveType{NamePos: pos, Name: "type"}
	case token.NULL:
		p.next()
		return &ast.PrimitiveType{NamePos: pos, Name: "null"}
	case token.LBRACE:
		p.next()
		x := &ast.ListType{Lbrace: pos, Item: p.parseType()}
		x.Rbrace = p.expectCloser(token.RBRACE, pos, "list type")
		return x
	case token.LBRACK:
		return p.parseRecordType()
	}
	return p.parsePrimary()
}

// startsType reports whether token p.i+n can start a type.
func (p *parser) startsType(n int) bool {
	switch p.peekKind(n) {
	case token.IDENT, token.QUOTED_IDENT, token.NULL, token.TYPE, token.LBRACE, token.LBRACK, token.LPAREN, token.AT,
		token.HASH_TABLE, token.HASH_SHARED, token.HASH_SECTIONS:
		return true
	}
	return false
}

func (p *parser) parseFunctionType() ast.Expr {
	x := &ast.FunctionType{Function: p.cur()}
	p.next()
	x.Lparen = p.cur()
	p.next()
	x.Params = p.parseParams(true)
	x.Rparen = p.expectCloser(token.RPAREN, x.Lparen, "parameter list")
	x.As = p.cur()
	if p.tok != token.AS {
		p.errorExpected("'as' and the return type of the function type")
		x.Return = &ast.BadExpr{From: p.cur(), To: p.cur()}
		return x
	}
	p.next()
	x.Return = p.parseType()
	return x
}

// parseRecordType parses `[ optional? name = type, …, ... ]`.
func (p *parser) parseRecordType() *ast.RecordType {
	x := &ast.RecordType{Lbrack: p.cur()}
	p.next()
	var seen nameSet
	for p.tok != token.RBRACK && p.tok != token.EOF {
		if p.tok == token.ELLIPSIS {
			x.Open = p.cur()
			p.next()
			if p.tok != token.RBRACK {
				p.errorExpected("']' after the open-record marker ...")
				p.sync(token.RBRACK)
			}
			break
		}
		f := &ast.FieldSpec{}
		if p.tok == token.IDENT && p.isWord(p.i, "optional") &&
			p.peekKind(1) != token.EQL && p.peekKind(1) != token.COMMA && p.peekKind(1) != token.RBRACK {
			f.Optional = p.cur()
			p.next()
		}
		f.Name = p.parseFieldName()
		if f.Name.Name != "" {
			if seen.add(f.Name.Name) {
				p.errorAt(f.Name.Pos(), fmt.Sprintf("field %s is defined more than once", f.Name.Raw))
			}
		}
		if p.tok == token.EQL {
			f.Assign = p.cur()
			p.next()
			f.Type = p.parseType()
		}
		x.Fields = append(x.Fields, f)
		if !p.listSeparator(token.RBRACK, "record type", x.Lbrack) {
			break
		}
	}
	x.Rbrack = p.expectCloser(token.RBRACK, x.Lbrack, "record type")
	return x
}

// listSeparator handles what follows an element of a bracketed list: it
// consumes ',' and reports true to continue, or reports false at the
// closer; on anything else it reports an error and resynchronizes.
func (p *parser) listSeparator(closer token.Kind, what string, open token.Pos) bool {
	switch p.tok {
	case token.COMMA:
		p.next()
		if p.tok == closer {
			p.error(fmt.Sprintf("unexpected '%s' after ',' in %s (remove the trailing comma)", closer, what))
			return false
		}
		return true
	case closer:
		return false
	}
	switch p.tok {
	case token.EOF, token.IN, token.SEMICOLON, token.RPAREN, token.RBRACK, token.RBRACE, token.THEN, token.ELSE, token.OTHERWISE:
		// The list was left without its closer: point at its start.
		p.error(fmt.Sprintf("expected ',' or '%s' to close the %s opened at %s, found %s", closer, what, p.lineCol(open), p.describe()))
	default:
		p.errorExpected(fmt.Sprintf("',' or '%s' in %s", closer, what))
	}
	p.sync(token.COMMA, closer)
	if p.tok == token.COMMA {
		p.next()
		return true
	}
	return false
}

// parsePrimary parses a primary expression with its postfix accesses and
// invocations.
func (p *parser) parsePrimary() ast.Expr {
	x := p.parseOperand()
	for {
		switch p.tok {
		case token.LBRACK:
			x = p.parseSelector(x)
		case token.LBRACE:
			lb := p.cur()
			p.next()
			ia := &ast.ItemAccess{X: x, Lbrace: lb, Index: p.parseExpr()}
			ia.Rbrace = p.expectCloser(token.RBRACE, lb, "item access")
			if p.tok == token.QUEST {
				ia.Quest = p.cur()
				p.next()
			}
			x = ia
		case token.LPAREN:
			lp := p.cur()
			p.next()
			call := p.newCall(ast.InvokeExpr{Fun: x, Lparen: lp})
			mark := len(p.a.exprStack)
			for p.tok != token.RPAREN && p.tok != token.EOF {
				arg := p.parseExpr()
				p.a.exprStack = append(p.a.exprStack, arg)
				if !p.listSeparator(token.RPAREN, "argument list", lp) {
					break
				}
			}
			call.Args = p.exprs(mark)
			call.Rparen = p.expectCloser(token.RPAREN, lp, "argument list")
			x = call
		case token.EXCL:
			if p.peekKind(1) == token.EQL {
				p.error("'!=' is not an M operator; write <> for inequality")
				p.next()
				continue
			}
			id, ok := x.(*ast.Ident)
			if !ok || id.At.IsValid() {
				p.error("'!' (section access) must follow a section name")
				p.next()
				continue
			}
			excl := p.cur()
			p.next()
			x = &ast.SectionAccess{Section: id, Excl: excl, Member: p.parseIdent("section member name after '!'")}
		default:
			return x
		}
	}
}

// parseSelector parses `[name]`, `[name]?`, `[[a],[b]]` or `[[a]]?` after
// x (nil for the implicit target).
func (p *parser) parseSelector(x ast.Expr) ast.Expr {
	lb := p.cur()
	p.next()
	if p.tok == token.LBRACK {
		pr := &ast.ProjectionExpr{X: x, Lbrack: lb}
		for p.tok != token.RBRACK && p.tok != token.EOF {
			if p.tok != token.LBRACK {
				p.errorExpected("'[' starting a field selector in projection")
				p.sync(token.COMMA, token.RBRACK)
			} else {
				ib := p.cur()
				p.next()
				fa := p.newFA(ast.FieldAccess{Lbrack: ib, Name: p.parseFieldName()})
				fa.Rbrack = p.expectCloser(token.RBRACK, ib, "field selector")
				pr.Fields = append(pr.Fields, fa)
			}
			if !p.listSeparator(token.RBRACK, "projection", lb) {
				break
			}
		}
		pr.Rbrack = p.expectCloser(token.RBRACK, lb, "projection")
		if p.tok == token.QUEST {
			pr.Quest = p.cur()
			p.next()
		}
		return pr
	}
	fa := p.newFA(ast.FieldAccess{X: x, Lbrack: lb, Name: p.parseFieldName()})
	fa.Rbrack = p.expectCloser(token.RBRACK, lb, "field access")
	if p.tok == token.QUEST {
		fa.Quest = p.cur()
		p.next()
	}
	return fa
}

// parseOperand parses a primary expression without postfix operators.
func (p *parser) parseOperand() ast.Expr {
	t := p.toks[p.i]
	pos := p.cur()
	switch t.kind {
	case token.IDENT, token.QUOTED_IDENT:
		return p.parseIdent("identifier")
	case token.AT:
		p.next()
		if p.tok != token.IDENT && p.tok != token.QUOTED_IDENT {
			p.errorExpected("identifier after '@'")
			return &ast.BadExpr{From: pos, To: p.cur()}
		}
		id := p.parseIdent("identifier")
		id.At = pos
		return id
	case token.HASH_BINARY, token.HASH_DATE, token.HASH_DATETIME, token.HASH_DATETIMEZONE, token.HASH_DURATION,
		token.HASH_SECTIONS, token.HASH_SHARED, token.HASH_TABLE, token.HASH_TIME:
		p.next()
		name := t.kind.String()
		return p.newIdent(ast.Ident{NamePos: pos, Name: name, Raw: name})
	case token.NUMBER, token.HASH_INFINITY, token.HASH_NAN:
		p.next()
		raw := p.str(t.start, t.end)
		return p.newLit(ast.Literal{ValuePos: pos, Kind: ast.Number, Raw: raw, Value: raw})
	case token.TEXT, token.VERBATIM:
		p.next()
		raw := p.str(t.start, t.end)
		v, err := scanner.Unquote(raw)
		if err != nil {
			v = "" // the scanner reported the problem
		}
		kind := ast.Text
		if t.kind == token.VERBATIM {
			kind = ast.Verbatim
		}
		return p.newLit(ast.Literal{ValuePos: pos, Kind: kind, Raw: raw, Value: v})
	case token.NULL:
		p.next()
		return p.newLit(ast.Literal{ValuePos: pos, Kind: ast.Null, Raw: "null", Value: "null"})
	case token.TRUE, token.FALSE:
		p.next()
		s := t.kind.String()
		return p.newLit(ast.Literal{ValuePos: pos, Kind: ast.Logical, Raw: s, Value: s})
	case token.LBRACE:
		return p.parseList()
	case token.LBRACK:
		return p.parseRecordOrImplicit()
	case token.LPAREN:
		if p.isFunction() {
			p.enter()
			defer p.leave()
			return p.parseFunction()
		}
		p.next()
		x := &ast.ParenExpr{Lparen: pos, X: p.parseExpr()}
		x.Rparen = p.expectCloser(token.RPAREN, pos, "parenthesis")
		return x
	case token.ELLIPSIS:
		p.next()
		return &ast.NotImplemented{Ellipsis: pos}
	}
	switch {
	case t.kind == token.EOF:
		p.error("unexpected end of file, expected an expression")
	case t.kind == token.ILLEGAL:
		// The scanner has reported it; do not add a second message.
		p.lastErrIdx = p.i
	case p.i > 0 && t.kind == token.EQL && p.toks[p.i-1].kind == token.EQL && p.toks[p.i-1].end == t.start:
		p.error("'==' is not an M operator; write = for equality")
	case p.i > 0 && t.kind == token.AMP && p.toks[p.i-1].kind == token.AMP && p.toks[p.i-1].end == t.start:
		p.error("'&&' is not an M operator; write and")
	default:
		p.errorExpected("an expression")
	}
	return &ast.BadExpr{From: pos, To: pos}
}

func (p *parser) parseList() ast.Expr {
	x := p.newList(ast.ListExpr{Lbrace: p.cur()})
	p.next()
	mark := len(p.a.exprStack)
	for p.tok != token.RBRACE && p.tok != token.EOF {
		item := p.parseExpr()
		if p.tok == token.DOTDOT {
			dd := p.cur()
			p.next()
			item = &ast.RangeExpr{From: item, DotDot: dd, To: p.parseExpr()}
		}
		p.a.exprStack = append(p.a.exprStack, item)
		if !p.listSeparator(token.RBRACE, "list", x.Lbrace) {
			break
		}
	}
	x.Items = p.exprs(mark)
	x.Rbrace = p.expectCloser(token.RBRACE, x.Lbrace, "list")
	return x
}

// parseRecordOrImplicit parses `[a = 1]` (record), `[a]` (implicit field
// access) or `[[a]]` (implicit projection).
func (p *parser) parseRecordOrImplicit() ast.Expr {
	lb := p.cur()
	switch p.peekKind(1) {
	case token.RBRACK:
		p.next()
		rb := p.cur()
		p.next()
		return p.newRecord(ast.RecordExpr{Lbrack: lb, Rbrack: rb})
	case token.LBRACK:
		return p.parseSelector(nil)
	}
	// Look past the field name: `=` means a record.
	j := p.i + 1
	if p.toks[j].kind == token.QUOTED_IDENT {
		j++
	} else {
		for p.generalizedPart(j) {
			j++
		}
	}
	if p.toks[j].kind != token.EQL {
		return p.parseSelector(nil)
	}
	x := p.newRecord(ast.RecordExpr{Lbrack: lb})
	p.next()
	mark := len(p.a.fieldStack)
	var seen nameSet
	for p.tok != token.RBRACK && p.tok != token.EOF {
		f := p.newField(ast.Field{Name: p.parseFieldName()})
		if f.Name.Name != "" {
			if seen.add(f.Name.Name) {
				p.errorAt(f.Name.Pos(), fmt.Sprintf("field %s is defined more than once", f.Name.Raw))
			}
		}
		f.Assign = p.cur()
		if p.tok != token.EQL {
			p.errorExpected(fmt.Sprintf("'=' after field name %s", strings.TrimSpace(f.Name.Raw)))
			f.Value = &ast.BadExpr{From: p.cur(), To: p.cur()}
		} else {
			p.next()
			f.Value = p.parseExpr()
		}
		p.a.fieldStack = append(p.a.fieldStack, f)
		if !p.listSeparator(token.RBRACK, "record", lb) {
			break
		}
	}
	x.Fields = p.fieldList(mark)
	x.Rbrack = p.expectCloser(token.RBRACK, lb, "record")
	return x
}
