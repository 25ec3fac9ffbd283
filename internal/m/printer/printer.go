// Package printer renders M syntax trees as canonical source text: the
// formatting of `pqx fmt`.
//
// The layout is deterministic and idempotent: printing the tree of printed
// output gives the same text. Comments are kept at their place relative to
// the surrounding tokens; blank lines between let variables, record fields
// and section members are kept (at most one). A construct is written on one
// line when it fits in Config.Width columns and contains no comments;
// otherwise it is broken into one element per line. let expressions are
// always written over several lines.
package printer

import (
	"bytes"
	"fmt"
	"io"
	"sort"
	"strings"
	"unicode/utf8"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/scanner"
	"github.com/pqxdev/pqx/internal/m/token"
)

// Config controls the layout.
type Config struct {
	Indent int // spaces per indentation level (default 4)
	Width  int // preferred maximum line width in runes (default 100)
}

// DefaultConfig is the layout of `pqx fmt`.
var DefaultConfig = Config{Indent: 4, Width: 100}

// Fprint writes the canonical form of doc, whose positions belong to fset,
// to w. Comments come from doc.CommentList().
func Fprint(w io.Writer, fset *token.FileSet, doc ast.Document) error {
	return DefaultConfig.Fprint(w, fset, doc)
}

// Fprint writes the canonical form of doc with the layout of cfg.
func (cfg Config) Fprint(w io.Writer, fset *token.FileSet, doc ast.Document) error {
	if cfg.Indent <= 0 {
		cfg.Indent = 4
	}
	if cfg.Width <= 0 {
		cfg.Width = 100
	}
	p := &printer{cfg: cfg, fset: fset, comments: doc.CommentList()}
	p.document(doc)
	_, err := w.Write(p.buf)
	return err
}

// Source formats a complete M document: it parses src (keeping comments)
// and prints it, keeping a leading byte-order mark. It returns the parse
// errors if src does not parse.
func Source(filename string, src []byte) ([]byte, error) {
	fset := token.NewFileSet()
	doc, err := parser.ParseFile(fset, filename, src, parser.ParseComments)
	if err != nil {
		return nil, err
	}
	var b bytes.Buffer
	// A byte-order mark is kept: Visual Studio writes one and about half
	// of real connector files have it.
	if bytes.HasPrefix(src, []byte("\ufeff")) {
		b.WriteString("\ufeff")
	}
	if err := Fprint(&b, fset, doc); err != nil {
		return nil, err
	}
	return b.Bytes(), nil
}

// Expr renders an expression on as few lines as the layout allows, without
// comments. Useful in messages and generated code.
func Expr(x ast.Expr) string {
	p := &printer{cfg: DefaultConfig}
	p.expr(x)
	return string(p.buf)
}

type printer struct {
	cfg  Config
	fset *token.FileSet
	buf  []byte

	indent int // current indentation level
	col    int // runes written on the current line

	comments []*ast.Comment
	ci       int       // next comment to print
	lastPos  token.Pos // source end of the last token printed
	needNL   bool      // a line comment was written; the next output starts a new line
	needBlk  bool      // with needNL: leave an empty line first (the source had one)

	// flat mode: render on one line into buf, failing on anything that
	// needs a line break or beyond limit bytes.
	flat   bool
	limit  int
	failed bool
}

// write appends text that contains no newline.
func (p *printer) write(s string) {
	if p.failed {
		return
	}
	if p.needNL {
		p.needNL = false
		if p.needBlk {
			p.blankLine()
		} else {
			p.newline()
		}
	}
	p.needBlk = false
	p.buf = append(p.buf, s...)
	p.col += utf8.RuneCountInString(s)
	if p.flat && len(p.buf) > p.limit {
		p.failed = true
	}
}

// newline ends the line and indents the next one. At the start of a line
// (after a comment, say) it only re-indents, so that breaking twice never
// leaves an unintended empty line.
func (p *printer) newline() {
	if p.flat {
		p.failed = true
		return
	}
	p.needNL = false
	p.trimTrailingSpace()
	if len(p.buf) > 0 && p.buf[len(p.buf)-1] != '\n' {
		p.buf = append(p.buf, '\n')
	}
	for i := 0; i < p.indent*p.cfg.Indent; i++ {
		p.buf = append(p.buf, ' ')
	}
	p.col = p.indent * p.cfg.Indent
}

// blankLine ends the line and leaves one empty line (just one, also when
// the output already ends with an empty line).
func (p *printer) blankLine() {
	p.newline()
	if p.flat || len(p.buf) == 0 || p.endsWithBlankLine() {
		return
	}
	p.trimTrailingSpace()
	p.buf = append(p.buf, '\n')
	for i := 0; i < p.indent*p.cfg.Indent; i++ {
		p.buf = append(p.buf, ' ')
	}
}

func (p *printer) trimTrailingSpace() {
	for len(p.buf) > 0 && p.buf[len(p.buf)-1] == ' ' {
		p.buf = p.buf[:len(p.buf)-1]
	}
}

// atLineStart reports whether only indentation is on the current line.
func (p *printer) atLineStart() bool {
	i := len(p.buf)
	for i > 0 && p.buf[i-1] == ' ' {
		i--
	}
	return i == 0 || p.buf[i-1] == '\n'
}

func (p *printer) line(pos token.Pos) int {
	if p.fset == nil || !pos.IsValid() {
		return 0
	}
	return p.fset.Position(pos).Line
}

// flush prints the comments that start before pos.
func (p *printer) flush(pos token.Pos) {
	if p.flat {
		return
	}
	for p.ci < len(p.comments) && p.comments[p.ci].Pos() < pos {
		c := p.comments[p.ci]
		p.ci++
		cl := p.line(c.Pos())
		own := !(p.lastPos.IsValid() && cl == p.line(p.lastPos) && !p.atLineStart() && !p.needNL)
		if !own {
			// A trailing comment stays on its line.
			p.trimTrailingSpace()
			p.write(" ")
			p.write(c.Text)
			if !c.IsLine() {
				p.write(" ")
			}
		} else {
			if !p.atLineStart() || p.needNL {
				p.newline()
			}
			if p.lastPos.IsValid() && cl > p.line(p.lastPos)+1 && len(p.buf) > 0 && !p.afterOpen() && !p.endsWithBlankLine() {
				p.blankLine()
			}
			p.writeComment(c)
			switch {
			case c.IsLine():
				p.needNL = true
			case p.line(c.End()) == p.line(pos) && (p.ci >= len(p.comments) || p.comments[p.ci].Pos() >= pos):
				// /* x */ code: the code stays on the comment's line.
				p.write(" ")
			default:
				p.newline()
			}
		}
		if c.IsLine() {
			p.needNL = true
		}
		p.lastPos = c.End()
		// An empty line between an own-line comment and the code after it
		// stays.
		if next := p.ci; own && (next >= len(p.comments) || p.comments[next].Pos() >= pos) && pos.IsValid() &&
			p.line(pos) > p.line(c.End())+1 {
			if p.needNL {
				p.needBlk = true
			} else if p.atLineStart() && !p.endsWithBlankLine() {
				p.blankLine()
			}
		}
	}
}

// flushTrailing prints the comments before limit that are on the line of
// the last printed token, so that `x, // note` keeps its note after the
// comma.
func (p *printer) flushTrailing(limit token.Pos) {
	if p.flat {
		return
	}
	for p.ci < len(p.comments) {
		c := p.comments[p.ci]
		if c.Pos() >= limit || p.line(c.Pos()) != p.line(p.lastPos) {
			return
		}
		p.ci++
		p.trimTrailingSpace()
		p.write(" ")
		p.writeComment(c)
		if c.IsLine() {
			p.needNL = true
		}
		p.lastPos = c.End()
	}
}

// afterOpen reports whether the previous non-space output is an opening
// bracket or nothing, where a blank line would look odd.
func (p *printer) afterOpen() bool {
	b := bytes.TrimRight(p.buf, " \n")
	if len(b) == 0 {
		return true
	}
	switch b[len(b)-1] {
	case '[', '{', '(':
		return true
	}
	return bytes.HasSuffix(b, []byte("let"))
}

// writeComment writes a comment; block comments keep their inner lines.
func (p *printer) writeComment(c *ast.Comment) {
	lines := strings.Split(strings.ReplaceAll(c.Text, "\r\n", "\n"), "\n")
	for i, l := range lines {
		if i > 0 {
			p.trimTrailingSpace()
			p.buf = append(p.buf, '\n')
			p.col = 0
		}
		p.buf = append(p.buf, strings.TrimRight(l, " \t\r")...)
		p.col += utf8.RuneCountInString(l)
	}
}

// token writes s, the source token at pos, after any comments before it.
// s may carry spaces around the token (" =", "not "); lastPos records the
// end of the token itself, which decides whether a following comment is
// on the same source line.
func (p *printer) token(pos token.Pos, s string) {
	core := strings.TrimLeft(s, " ")
	if lead := len(s) - len(core); lead > 0 {
		p.write(s[:lead])
	}
	trail := core
	core = strings.TrimRight(core, " ")
	trail = trail[len(core):]
	p.flush(pos)
	p.write(core)
	if pos.IsValid() {
		p.lastPos = pos + token.Pos(len(core))
	}
	if trail != "" {
		p.write(trail)
	}
}

// hasComment reports whether a comment starts inside [from, to).
func (p *printer) hasComment(from, to token.Pos) bool {
	i := sort.Search(len(p.comments), func(i int) bool { return p.comments[i].Pos() >= from })
	return i < len(p.comments) && p.comments[i].Pos() < to
}

// flatText renders n on one line if it fits in width runes and contains no
// comment or let expression.
func (p *printer) flatText(n ast.Node, width int) (string, bool) {
	if width <= 0 || p.hasComment(n.Pos(), n.End()) {
		return "", false
	}
	q := &printer{cfg: p.cfg, flat: true, limit: width * 4}
	q.node(n)
	if q.failed || utf8.RuneCount(q.buf) > width {
		return "", false
	}
	return string(q.buf), true
}

// tryFlat writes n on the current line if it fits before the width limit
// with reserve runes to spare.
func (p *printer) tryFlat(n ast.Node, reserve int) bool {
	if p.flat {
		return false
	}
	s, ok := p.flatText(n, p.cfg.Width-p.col-reserve)
	if !ok {
		return false
	}
	p.flush(n.Pos())
	p.write(s)
	p.lastPos = n.End()
	return true
}

// ---------------------------------------------------------------------------

func (p *printer) document(doc ast.Document) {
	switch d := doc.(type) {
	case *ast.SectionDocument:
		if d.Attrs != nil {
			p.expr(d.Attrs)
			p.newline()
		}
		p.token(d.Section, "section")
		p.write(" ")
		p.ident(d.Name)
		p.token(d.Semi, ";")
		for i, m := range d.Members {
			p.flushTrailing(m.Pos())
			// Members are separated by one empty line where the source
			// has one (or more), and always before the first member.
			if i == 0 || p.blankBefore(m) {
				p.blankLine()
			} else {
				p.newline()
			}
			p.member(m)
		}
		p.flush(d.EOF + 1)
		p.newline()
	case *ast.ExpressionDocument:
		p.expr(d.Expr)
		p.flush(d.EOF + 1)
		p.newline()
	}
	p.trimTrailingSpace()
	for len(p.buf) > 0 && p.buf[len(p.buf)-1] == '\n' {
		p.buf = p.buf[:len(p.buf)-1]
	}
	p.buf = append(p.buf, '\n')
}

func (p *printer) member(m *ast.SectionMember) {
	if m.Attrs != nil {
		p.expr(m.Attrs)
		p.newline()
	}
	if m.Shared.IsValid() {
		p.token(m.Shared, "shared")
		p.write(" ")
	}
	p.ident(m.Name)
	p.token(m.Assign, " =")
	p.rhs(m.Value, 1)
	p.token(m.Semi, ";")
}

// rhs writes the value after `=`, `=>` or `each`: on the same line after a
// space, except that a let expression (or a value that does not fit and
// cannot break itself) starts on a new, indented line.
func (p *printer) rhs(x ast.Expr, reserve int) {
	if _, ok := x.(*ast.LetExpr); ok {
		p.indent++
		p.flush(x.Pos())
		p.newline()
		p.expr(x)
		p.indent--
		return
	}
	p.write(" ")
	p.exprReserve(x, reserve)
}

func (p *printer) ident(id *ast.Ident) {
	if id.At.IsValid() {
		p.token(id.At, "@")
	}
	p.token(id.NamePos, identText(id))
}

// identText is the source form of an identifier: as written, or for a
// tree built by hand (no Raw), the name quoted as needed.
func identText(id *ast.Ident) string {
	if id.Raw != "" || id.Name == "" {
		return id.Raw
	}
	if strings.HasPrefix(id.Name, "#") && token.Lookup(id.Name).IsKeyword() {
		return id.Name // #table, #shared, ...
	}
	return scanner.QuoteIdent(id.Name)
}

// literalText is the source form of a literal: as written, or built from
// its value for a tree built by hand.
func literalText(x *ast.Literal) string {
	if x.Raw != "" {
		return x.Raw
	}
	switch x.Kind {
	case ast.Text:
		return scanner.Quote(x.Value)
	case ast.Verbatim:
		return "#!" + strings.ReplaceAll(scanner.Quote(x.Value), "#(#)(", "#(")
	case ast.Null:
		return "null"
	}
	return x.Value
}

func (p *printer) node(n ast.Node) {
	switch n := n.(type) {
	case ast.Expr:
		p.expr(n)
	case *ast.Field:
		p.field(n)
	default:
		panic(fmt.Sprintf("printer: unexpected node %T", n))
	}
}

func (p *printer) expr(x ast.Expr) { p.exprReserve(x, 0) }

// exprReserve writes x, keeping reserve runes free on its last line for
// what follows (a comma, a closing bracket).
func (p *printer) exprReserve(x ast.Expr, reserve int) {
	if p.failed {
		return
	}
	switch x := x.(type) {
	case *ast.BadExpr:
		p.write("(bad)")
	case *ast.Ident:
		p.ident(x)
	case *ast.Literal:
		p.token(x.ValuePos, literalText(x))
	case *ast.NotImplemented:
		p.token(x.Ellipsis, "...")
	case *ast.PrimitiveType:
		p.token(x.NamePos, x.Name)
	case *ast.ListExpr:
		items := make([]ast.Node, len(x.Items))
		for i, it := range x.Items {
			items[i] = it
		}
		p.bracketed(x, x.Lbrace, "{", items, x.Rbrace, "}", reserve)
	case *ast.RangeExpr:
		p.expr(x.From)
		if dotEdge(x.From) || dotEdge(x.To) {
			// `... .. .5` must not run together into `.....5`.
			p.write(" ")
			p.token(x.DotDot, "..")
			p.write(" ")
		} else {
			p.token(x.DotDot, "..")
		}
		p.exprReserve(x.To, reserve)
	case *ast.RecordExpr:
		items := make([]ast.Node, len(x.Fields))
		for i, f := range x.Fields {
			items[i] = f
		}
		p.bracketed(x, x.Lbrack, "[", items, x.Rbrack, "]", reserve)
	case *ast.LetExpr:
		p.let(x)
	case *ast.IfExpr:
		p.ifExpr(x, reserve)
	case *ast.EachExpr:
		p.token(x.Each, "each")
		p.rhs(x.Body, reserve)
	case *ast.FunctionExpr:
		p.function(x, reserve)
	case *ast.InvokeExpr:
		p.invoke(x, reserve)
	case *ast.FieldAccess:
		if x.X != nil {
			p.expr(x.X)
		}
		p.token(x.Lbrack, "[")
		p.fieldName(x.Name)
		p.token(x.Rbrack, "]")
		if x.Quest.IsValid() {
			p.token(x.Quest, "?")
		}
	case *ast.ProjectionExpr:
		if x.X != nil {
			p.expr(x.X)
		}
		p.token(x.Lbrack, "[")
		for i, f := range x.Fields {
			if i > 0 {
				p.write(", ")
			}
			p.token(f.Lbrack, "[")
			p.fieldName(f.Name)
			p.token(f.Rbrack, "]")
		}
		p.token(x.Rbrack, "]")
		if x.Quest.IsValid() {
			p.token(x.Quest, "?")
		}
	case *ast.ItemAccess:
		p.expr(x.X)
		p.token(x.Lbrace, "{")
		p.expr(x.Index)
		p.token(x.Rbrace, "}")
		if x.Quest.IsValid() {
			p.token(x.Quest, "?")
		}
	case *ast.UnaryExpr:
		if x.Op == token.NOT {
			p.token(x.OpPos, "not ")
		} else {
			p.token(x.OpPos, x.Op.String())
			// Keep `- -x` from becoming a comment or `--x`.
			if u, ok := x.X.(*ast.UnaryExpr); ok && u.Op != token.NOT {
				p.write(" ")
			}
		}
		p.exprReserve(x.X, reserve)
	case *ast.BinaryExpr:
		if p.flat || p.tryFlat(x, reserve) {
			if p.flat {
				p.expr(x.X)
				p.write(" " + x.Op.String() + " ")
				p.exprReserve(x.Y, reserve)
			}
			return
		}
		if isBlock(x.Y) {
			// `x meta [` … `]`: the block breaks itself.
			if _, ok := x.X.(*ast.BinaryExpr); !ok {
				p.expr(x.X)
				p.write(" ")
				p.token(x.OpPos, x.Op.String())
				p.write(" ")
				p.exprReserve(x.Y, reserve)
				return
			}
		}
		// Too long: break before each operator of the chain of equal
		// precedence, continuation lines indented once.
		chain := []*ast.BinaryExpr{x}
		for {
			l, ok := chain[0].X.(*ast.BinaryExpr)
			if !ok || l.Op.Precedence() != x.Op.Precedence() {
				break
			}
			chain = append([]*ast.BinaryExpr{l}, chain...)
		}
		p.expr(chain[0].X)
		p.indent++
		for i, b := range chain {
			p.flush(b.OpPos)
			p.newline()
			p.token(b.OpPos, b.Op.String())
			p.write(" ")
			r := 0
			if i == len(chain)-1 {
				r = reserve
			}
			p.exprReserve(b.Y, r)
		}
		p.indent--
	case *ast.TypeExpr:
		p.token(x.Type, "type ")
		p.exprReserve(x.X, reserve)
	case *ast.TryExpr:
		p.token(x.Try, "try ")
		switch {
		case x.Default != nil:
			p.expr(x.Body)
			p.write(" ")
			p.token(x.Otherwise, "otherwise ")
			p.exprReserve(x.Default, reserve)
		case x.Handler != nil:
			p.expr(x.Body)
			p.write(" ")
			p.token(x.Catch, "catch ")
			p.function(x.Handler, reserve)
		default:
			p.exprReserve(x.Body, reserve)
		}
	case *ast.ErrorExpr:
		p.token(x.Error, "error ")
		p.exprReserve(x.X, reserve)
	case *ast.SectionAccess:
		p.ident(x.Section)
		p.token(x.Excl, "!")
		p.ident(x.Member)
	case *ast.ParenExpr:
		p.token(x.Lparen, "(")
		p.exprReserve(x.X, reserve+1)
		p.token(x.Rparen, ")")
	case *ast.NullableType:
		p.token(x.Nullable, "nullable ")
		p.exprReserve(x.Type, reserve)
	case *ast.ListType:
		p.token(x.Lbrace, "{")
		p.exprReserve(x.Item, reserve+1)
		p.token(x.Rbrace, "}")
	case *ast.RecordType:
		items := make([]ast.Node, 0, len(x.Fields)+1)
		for _, f := range x.Fields {
			items = append(items, f)
		}
		if x.Open.IsValid() {
			items = append(items, &ast.NotImplemented{Ellipsis: x.Open})
		}
		p.bracketed(x, x.Lbrack, "[", items, x.Rbrack, "]", reserve)
	case *ast.TableType:
		p.token(x.Table, "table ")
		p.exprReserve(x.Row, reserve)
	case *ast.FunctionType:
		p.token(x.Function, "function ")
		p.params(x.Lparen, x.Params, x.Rparen)
		p.write(" ")
		p.token(x.As, "as ")
		p.exprReserve(x.Return, reserve)
	default:
		panic(fmt.Sprintf("printer: unexpected expression %T", x))
	}
}

// fieldName writes a field name as written (generalized names keep their
// single spaces).
func (p *printer) fieldName(id *ast.Ident) {
	if id.Raw == "" && id.Name != "" {
		if isGeneralized(id.Name) {
			p.token(id.NamePos, id.Name)
		} else {
			p.token(id.NamePos, "#"+scanner.Quote(id.Name))
		}
		return
	}
	p.token(id.NamePos, id.Raw)
}

// isGeneralized reports whether name can be written unquoted as a field
// name: words of identifier characters (keywords allowed) separated by
// single spaces.
func isGeneralized(name string) bool {
	for _, w := range strings.Split(name, " ") {
		if w == "" || w[0] == '#' || !scanner.IsRegularIdent(w) && !token.Lookup(w).IsKeyword() {
			return false
		}
	}
	return true
}

func (p *printer) field(f *ast.Field) {
	p.fieldName(f.Name)
	p.token(f.Assign, " =")
	p.rhs(f.Value, 1)
}

func (p *printer) fieldSpec(f *ast.FieldSpec) {
	if f.Optional.IsValid() {
		p.token(f.Optional, "optional ")
	}
	p.fieldName(f.Name)
	if f.Type != nil {
		p.token(f.Assign, " =")
		p.write(" ")
		p.exprReserve(f.Type, 1)
	}
}

func (p *printer) item(n ast.Node, reserve int) {
	switch n := n.(type) {
	case *ast.Field:
		p.fieldName(n.Name)
		p.token(n.Assign, " =")
		p.rhs(n.Value, reserve)
	case *ast.FieldSpec:
		p.fieldSpec(n)
	case ast.Expr:
		p.exprReserve(n, reserve)
	}
}

// bracketed writes a list, record or record type: flat when it fits,
// otherwise one item per line.
func (p *printer) bracketed(whole ast.Node, open token.Pos, lb string, items []ast.Node, close token.Pos, rb string, reserve int) {
	if p.flat || len(items) == 0 && !p.hasComment(open, close) || p.tryFlat(whole, reserve) {
		if p.flat || len(items) == 0 {
			p.token(open, lb)
			for i, it := range items {
				if i > 0 {
					p.write(", ")
				}
				p.item(it, 0)
			}
			p.token(close, rb)
		}
		return
	}
	p.token(open, lb)
	p.indent++
	for i, it := range items {
		if i > 0 {
			p.write(",")
			p.flushTrailing(it.Pos())
			if p.blankBefore(it) {
				p.blankLine()
			} else {
				p.newline()
			}
		} else {
			p.newline()
		}
		r := 1
		if i == len(items)-1 {
			r = 0
		}
		p.item(it, r)
	}
	p.flushTrailing(close)
	p.flushBefore(close)
	p.indent--
	p.newline()
	p.token(close, rb)
}

// flushBefore prints the comments before a closing token at the inner
// indentation.
func (p *printer) flushBefore(pos token.Pos) {
	if p.ci < len(p.comments) && p.comments[p.ci].Pos() < pos {
		p.flush(pos)
	}
}

// blankBefore reports whether the source has a blank line between the last
// printed token (or comment) and b. When comments come first, flush keeps
// the blank lines around them instead.
func (p *printer) blankBefore(b ast.Node) bool {
	if p.fset == nil || !p.lastPos.IsValid() {
		return false
	}
	return p.line(b.Pos()) > p.line(p.lastPos)+1 && !p.hasComment(p.lastPos, b.Pos())
}

// endsWithBlankLine reports whether the output already ends with an empty
// line (ignoring indentation).
func (p *printer) endsWithBlankLine() bool {
	b := bytes.TrimRight(p.buf, " ")
	return bytes.HasSuffix(b, []byte("\n\n"))
}

func (p *printer) let(x *ast.LetExpr) {
	if p.flat {
		p.failed = true
		return
	}
	p.token(x.Let, "let")
	p.indent++
	for i, v := range x.Vars {
		if i > 0 {
			p.write(",")
			p.flushTrailing(v.Pos())
			if p.blankBefore(v) {
				p.blankLine()
				goto item
			}
		}
		p.newline()
	item:
		r := 1
		if i == len(x.Vars)-1 {
			r = 0
		}
		p.item(v, r)
	}
	p.flushTrailing(x.In)
	p.flushBefore(x.In)
	p.indent--
	p.newline()
	p.token(x.In, "in")
	p.indent++
	p.flush(x.Body.Pos())
	p.newline()
	p.expr(x.Body)
	p.indent--
}

func (p *printer) ifExpr(x *ast.IfExpr, reserve int) {
	if p.flat {
		p.write("if ")
		p.expr(x.Cond)
		p.write(" then ")
		p.expr(x.Then)
		p.write(" else ")
		p.expr(x.Else)
		return
	}
	if p.tryFlat(x, reserve) {
		return
	}
	p.token(x.If, "if ")
	p.expr(x.Cond)
	p.write(" ")
	p.token(x.ThenPos, "then")
	p.indent++
	p.flush(x.Then.Pos())
	p.newline()
	p.expr(x.Then)
	p.indent--
	p.flush(x.ElsePos)
	p.newline()
	p.token(x.ElsePos, "else")
	if elif, ok := x.Else.(*ast.IfExpr); ok && !p.hasComment(x.ElsePos, elif.If) {
		p.write(" ")
		p.ifExpr(elif, reserve)
		return
	}
	p.indent++
	p.flush(x.Else.Pos())
	p.newline()
	p.exprReserve(x.Else, reserve)
	p.indent--
}

func (p *printer) params(lparen token.Pos, params []*ast.Param, rparen token.Pos) {
	if !p.flat && len(params) > 0 && !p.paramsFit(lparen, params, rparen) {
		// One parameter per line.
		p.token(lparen, "(")
		p.indent++
		for i, prm := range params {
			if i > 0 {
				p.write(",")
				p.flushTrailing(prm.Pos())
			}
			p.newline()
			p.param(prm)
		}
		p.flushTrailing(rparen)
		p.flushBefore(rparen)
		p.indent--
		p.newline()
		p.token(rparen, ")")
		return
	}
	p.token(lparen, "(")
	for i, prm := range params {
		if i > 0 {
			p.write(", ")
		}
		p.param(prm)
	}
	p.token(rparen, ")")
}

// paramsFit reports whether the parameter list fits on the current line
// (leaving room for a short return type) and holds no comments.
func (p *printer) paramsFit(lparen token.Pos, params []*ast.Param, rparen token.Pos) bool {
	if lparen.IsValid() && rparen.IsValid() && p.hasComment(lparen, rparen) {
		return false
	}
	width := p.cfg.Width - p.col - 2 - 12
	for _, prm := range params {
		q := &printer{cfg: p.cfg, flat: true, limit: 4 * p.cfg.Width}
		q.param(prm)
		if q.failed {
			return false
		}
		width -= utf8.RuneCount(q.buf) + 2
		if width < 0 {
			return false
		}
	}
	return true
}

func (p *printer) param(prm *ast.Param) {
	{
		if prm.Optional.IsValid() {
			p.token(prm.Optional, "optional ")
		}
		p.ident(prm.Name)
		if prm.Type != nil {
			p.write(" ")
			p.token(prm.As, "as ")
			p.expr(prm.Type)
		}
	}
}

func (p *printer) function(x *ast.FunctionExpr, reserve int) {
	p.params(x.Lparen, x.Params, x.Rparen)
	if x.Return != nil {
		p.write(" ")
		p.token(x.As, "as ")
		p.expr(x.Return)
	}
	p.write(" ")
	p.token(x.Arrow, "=>")
	p.rhs(x.Body, reserve)
}

// dotEdge reports whether x starts or ends with a dot when printed: `...`
// or a number such as .5.
func dotEdge(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.NotImplemented:
		return true
	case *ast.Literal:
		return strings.HasPrefix(literalText(x), ".")
	}
	return false
}

// isBlock reports whether x lays itself out over lines when needed, so
// that it can stay on the line of a call's last argument.
func isBlock(x ast.Expr) bool {
	switch x := x.(type) {
	case *ast.RecordExpr, *ast.ListExpr, *ast.FunctionExpr, *ast.EachExpr, *ast.LetExpr:
		return true
	case *ast.TypeExpr:
		return isBlock(x.X)
	case *ast.RecordType, *ast.TableType:
		return true
	}
	return false
}

func (p *printer) invoke(x *ast.InvokeExpr, reserve int) {
	if p.flat || p.tryFlat(x, reserve) {
		if p.flat {
			p.expr(x.Fun)
			p.token(x.Lparen, "(")
			for i, a := range x.Args {
				if i > 0 {
					p.write(", ")
				}
				p.expr(a)
			}
			p.token(x.Rparen, ")")
		}
		return
	}
	p.expr(x.Fun)
	p.token(x.Lparen, "(")
	n := len(x.Args)
	if n == 0 {
		p.flushBefore(x.Rparen)
		p.token(x.Rparen, ")")
		return
	}
	// Hug the last argument when the others fit on this line:
	// Web.Contents(url, [ … ]).
	if last := x.Args[n-1]; isBlock(last) && !p.hasComment(x.Lparen, last.Pos()) {
		prefix := ""
		ok := true
		for _, a := range x.Args[:n-1] {
			s, fits := p.flatText(a, p.cfg.Width-p.col-len(prefix)-2)
			if !fits {
				ok = false
				break
			}
			prefix += s + ", "
		}
		if ok && p.col+len(prefix) < p.cfg.Width-4 {
			for i, a := range x.Args[:n-1] {
				if i > 0 {
					p.write(", ")
				}
				p.expr(a)
			}
			if n > 1 {
				p.write(", ")
			}
			p.exprReserve(last, reserve+1)
			p.flushBefore(x.Rparen)
			if !p.atLineStart() && p.needNL {
				p.newline()
			}
			p.token(x.Rparen, ")")
			return
		}
	}
	p.indent++
	for i, a := range x.Args {
		if i > 0 {
			p.write(",")
			p.flushTrailing(a.Pos())
		}
		p.newline()
		p.expr(a)
	}
	p.flushTrailing(x.Rparen)
	p.flushBefore(x.Rparen)
	p.indent--
	p.newline()
	p.token(x.Rparen, ")")
}
