// Package xmldsig holds the small XML machinery that OPC package signatures
// need: a hostile-input-safe parser that keeps prefixes and namespace
// declarations, and the W3C canonicalisation algorithms (inclusive C14N 1.0,
// with and without comments, and exclusive C14N 1.0) over element subtrees
// and whole documents.
//
// The parser uses its own scanner (checked against encoding/xml by a
// differential fuzz test). It refuses DOCTYPE declarations outright, so
// entity-expansion bombs and external entities cannot occur; it bounds
// input size, nesting depth and node count, normalises attribute values as
// XML 1.0 requires, and reports errors with line and column.
package xmldsig

import (
	"bytes"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"strings"
)

// Well-known namespace URIs.
const (
	NSXML   = "http://www.w3.org/XML/1998/namespace"
	NSXMLNS = "http://www.w3.org/2000/xmlns/"
	NSDSig  = "http://www.w3.org/2000/09/xmldsig#"
)

// Limits bounds what Parse accepts. The zero value means DefaultLimits.
type Limits struct {
	MaxBytes int // input size
	MaxDepth int // element nesting
	MaxNodes int // elements, text runs, comments and PIs together
}

// DefaultLimits are generous for signature and relationship parts (a few
// kilobytes in practice) yet keep a hostile part from using much memory.
var DefaultLimits = Limits{MaxBytes: 16 << 20, MaxDepth: 64, MaxNodes: 200000}

// Node is one node of a parsed document: *Element, *Text, *Comment or *PI.
type Node interface{ node() }

// Text is character data, with entities and character references resolved.
type Text struct{ Data string }

// Comment is an XML comment.
type Comment struct{ Data string }

// PI is a processing instruction other than the XML declaration.
type PI struct{ Target, Inst string }

// NSDecl is a namespace declaration as written on an element; Prefix is
// empty for the default namespace.
type NSDecl struct{ Prefix, URI string }

// Attr is an attribute other than a namespace declaration. Space is the
// resolved namespace URI (empty for unprefixed attributes).
type Attr struct {
	Prefix, Local, Space string
	Value                string
}

// Element is an element with its namespace context.
type Element struct {
	Prefix, Local, Space string
	Decls                []NSDecl // namespace declarations written on this element
	Attrs                []Attr
	Children             []Node
	Parent               *Element
	Line, Col            int // position of the start tag
}

func (*Element) node() {}
func (*Text) node()    {}
func (*Comment) node() {}
func (*PI) node()      {}

// Document is a parsed XML document.
type Document struct {
	Prolog   []Node // comments and PIs before the root element
	Root     *Element
	Epilog   []Node // comments and PIs after it
	Encoding string
}

// SyntaxError is a parse error with a position.
type SyntaxError struct {
	Line, Col int
	Msg       string
}

func (e *SyntaxError) Error() string { return fmt.Sprintf("%d:%d: %s", e.Line, e.Col, e.Msg) }

// Parse parses data (UTF-8, optionally with a BOM) under DefaultLimits.
func Parse(data []byte) (*Document, error) { return ParseLimits(data, DefaultLimits) }

// ParseLimits parses data under lim.
func ParseLimits(data []byte, lim Limits) (*Document, error) {
	if lim == (Limits{}) {
		lim = DefaultLimits
	}
	if len(data) > lim.MaxBytes {
		return nil, &SyntaxError{1, 1, fmt.Sprintf("document of %d bytes exceeds the limit of %d", len(data), lim.MaxBytes)}
	}
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	sc := &scanner{data: data}
	p := &parser{data: data, lim: lim, src: sc}
	if err := sc.check(); err != nil {
		return nil, p.errAt(int64(err.(*scanError).off), "%s", err)
	}
	return p.parse()
}

// tokenSource yields raw tokens (prefixes unresolved) and the input
// offset after the last one.
type tokenSource interface {
	token() (xml.Token, error)
	offset() int64
}

type parser struct {
	data  []byte
	lim   Limits
	src   tokenSource
	nodes int
	// Line counting resumes from the last position asked for, since
	// offsets mostly grow; this keeps positions linear in the input.
	lastOff, lastLine, lastLineStart int
}

// pos converts the decoder's input offset into line and column.
func (p *parser) pos(off64 int64) (int, int) {
	off := int(min(off64, int64(len(p.data))))
	if off < p.lastOff {
		p.lastOff, p.lastLine, p.lastLineStart = 0, 0, 0
	}
	for i := p.lastOff; i < off; i++ {
		if p.data[i] == '\n' {
			p.lastLine++
			p.lastLineStart = i + 1
		}
	}
	p.lastOff = off
	return p.lastLine + 1, off - p.lastLineStart + 1
}

func (p *parser) errAt(off int64, format string, args ...any) error {
	l, c := p.pos(off)
	return &SyntaxError{l, c, fmt.Sprintf(format, args...)}
}

func (p *parser) parse() (*Document, error) {
	doc := &Document{}
	var stack []*Element
	for {
		off := p.src.offset()
		tok, err := p.src.token()
		if err == io.EOF {
			break
		}
		if err != nil {
			var se *scanError
			if errors.As(err, &se) {
				return nil, p.errAt(int64(se.off), "%s", se.msg)
			}
			var xe *xml.SyntaxError
			if errors.As(err, &xe) {
				return nil, p.errAt(p.src.offset(), "%s", xe.Msg)
			}
			return nil, p.errAt(p.src.offset(), "%v", err)
		}
		p.nodes++
		if p.nodes > p.lim.MaxNodes {
			return nil, p.errAt(off, "more than %d nodes", p.lim.MaxNodes)
		}
		var parent *Element
		if len(stack) > 0 {
			parent = stack[len(stack)-1]
		}
		switch t := tok.(type) {
		case xml.ProcInst:
			if t.Target == "xml" {
				if off != 0 {
					return nil, p.errAt(off, "XML declaration not at the start of the document")
				}
				doc.Encoding = procInstParam(string(t.Inst), "encoding")
				if e := doc.Encoding; e != "" && !strings.EqualFold(e, "utf-8") && !strings.EqualFold(e, "utf8") {
					return nil, p.errAt(off, "unsupported encoding %q (only UTF-8)", e)
				}
				continue
			}
			n := &PI{Target: t.Target, Inst: string(t.Inst)}
			p.appendNode(doc, parent, n)
		case xml.Directive:
			return nil, p.errAt(off, "DOCTYPE and other declarations are not allowed")
		case xml.Comment:
			p.appendNode(doc, parent, &Comment{Data: string(t)})
		case xml.CharData:
			if parent == nil {
				if len(bytes.TrimSpace(t)) > 0 {
					return nil, p.errAt(off, "text outside the root element")
				}
				continue
			}
			// Merge adjacent runs (text split around a CDATA section).
			if n := len(parent.Children); n > 0 {
				if tx, ok := parent.Children[n-1].(*Text); ok {
					tx.Data += string(t)
					continue
				}
			}
			parent.Children = append(parent.Children, &Text{Data: string(t)})
		case xml.StartElement:
			if parent == nil && doc.Root != nil {
				return nil, p.errAt(off, "more than one root element")
			}
			if len(stack) >= p.lim.MaxDepth {
				return nil, p.errAt(off, "elements nested deeper than %d", p.lim.MaxDepth)
			}
			e, err := p.element(t, parent, off)
			if err != nil {
				return nil, err
			}
			if parent == nil {
				doc.Root = e
			} else {
				parent.Children = append(parent.Children, e)
			}
			stack = append(stack, e)
		case xml.EndElement:
			if parent == nil || t.Name.Space != parent.Prefix || t.Name.Local != parent.Local {
				return nil, p.errAt(off, "unexpected end tag </%s>", qname(t.Name.Space, t.Name.Local))
			}
			stack = stack[:len(stack)-1]
		}
	}
	if len(stack) > 0 {
		e := stack[len(stack)-1]
		return nil, &SyntaxError{e.Line, e.Col, fmt.Sprintf("element <%s> is not closed", qname(e.Prefix, e.Local))}
	}
	if doc.Root == nil {
		return nil, &SyntaxError{1, 1, "no root element"}
	}
	return doc, nil
}

func (p *parser) appendNode(doc *Document, parent *Element, n Node) {
	switch {
	case parent != nil:
		parent.Children = append(parent.Children, n)
	case doc.Root == nil:
		doc.Prolog = append(doc.Prolog, n)
	default:
		doc.Epilog = append(doc.Epilog, n)
	}
}

func (p *parser) element(t xml.StartElement, parent *Element, off int64) (*Element, error) {
	e := &Element{Prefix: t.Name.Space, Local: t.Name.Local, Parent: parent}
	e.Line, e.Col = p.pos(off)
	for i, a := range t.Attr {
		for _, b := range t.Attr[:i] {
			if a.Name == b.Name {
				return nil, p.errAt(off, "duplicate attribute %s", qname(a.Name.Space, a.Name.Local))
			}
		}
		switch {
		case a.Name.Space == "" && a.Name.Local == "xmlns":
			e.Decls = append(e.Decls, NSDecl{"", a.Value})
		case a.Name.Space == "xmlns":
			if a.Value == "" {
				return nil, p.errAt(off, "namespace prefix %s bound to the empty URI", a.Name.Local)
			}
			if a.Name.Local == "xmlns" || (a.Name.Local == "xml") != (a.Value == NSXML) {
				return nil, p.errAt(off, "reserved namespace prefix %s", a.Name.Local)
			}
			e.Decls = append(e.Decls, NSDecl{a.Name.Local, a.Value})
		default:
			e.Attrs = append(e.Attrs, Attr{Prefix: a.Name.Space, Local: a.Name.Local, Value: a.Value})
		}
	}
	var ok bool
	if e.Space, ok = e.Lookup(e.Prefix); !ok {
		return nil, p.errAt(off, "undeclared namespace prefix %q", e.Prefix)
	}
	for i := range e.Attrs {
		a := &e.Attrs[i]
		if a.Prefix == "" {
			continue
		}
		if a.Space, ok = e.Lookup(a.Prefix); !ok {
			return nil, p.errAt(off, "undeclared namespace prefix %q", a.Prefix)
		}
	}
	// Attributes with different prefixes may still collide after resolution.
	for i := range e.Attrs {
		for j := i + 1; j < len(e.Attrs); j++ {
			if e.Attrs[i].Space == e.Attrs[j].Space && e.Attrs[i].Local == e.Attrs[j].Local {
				return nil, p.errAt(off, "duplicate attribute {%s}%s", e.Attrs[i].Space, e.Attrs[i].Local)
			}
		}
	}
	return e, nil
}

// Lookup resolves prefix in the scope of e. The empty prefix resolves to the
// default namespace ("" when none is declared).
func (e *Element) Lookup(prefix string) (string, bool) {
	if prefix == "xml" {
		return NSXML, true
	}
	for x := e; x != nil; x = x.Parent {
		for _, d := range x.Decls {
			if d.Prefix == prefix {
				return d.URI, true
			}
		}
	}
	return "", prefix == ""
}

// Attr returns the value of the unqualified attribute local.
func (e *Element) Attr(local string) (string, bool) {
	for _, a := range e.Attrs {
		if a.Space == "" && a.Local == local {
			return a.Value, true
		}
	}
	return "", false
}

// Elements returns the child elements of e.
func (e *Element) Elements() []*Element {
	var out []*Element
	for _, c := range e.Children {
		if x, ok := c.(*Element); ok {
			out = append(out, x)
		}
	}
	return out
}

// Child returns the first child element with the given namespace and local
// name, or nil.
func (e *Element) Child(space, local string) *Element {
	for _, c := range e.Children {
		if x, ok := c.(*Element); ok && x.Space == space && x.Local == local {
			return x
		}
	}
	return nil
}

// Text returns the concatenated character data directly inside e.
func (e *Element) Text() string {
	var b strings.Builder
	for _, c := range e.Children {
		if t, ok := c.(*Text); ok {
			b.WriteString(t.Data)
		}
	}
	return b.String()
}

// Is reports whether e has the given namespace and local name.
func (e *Element) Is(space, local string) bool { return e.Space == space && e.Local == local }

// Name returns the element's qualified name as written.
func (e *Element) Name() string { return qname(e.Prefix, e.Local) }

// FindID returns the first element in the subtree of e (e included) whose
// unqualified Id attribute equals id.
func (e *Element) FindID(id string) *Element {
	if v, ok := e.Attr("Id"); ok && v == id {
		return e
	}
	for _, c := range e.Children {
		if x, ok := c.(*Element); ok {
			if f := x.FindID(id); f != nil {
				return f
			}
		}
	}
	return nil
}

func qname(prefix, local string) string {
	if prefix == "" {
		return local
	}
	return prefix + ":" + local
}

func procInstParam(inst, name string) string {
	i := strings.Index(inst, name+"=")
	if i < 0 {
		return ""
	}
	v := inst[i+len(name)+1:]
	if v == "" {
		return ""
	}
	q := v[0]
	if q != '"' && q != '\'' {
		return ""
	}
	v = v[1:]
	if j := strings.IndexByte(v, q); j >= 0 {
		return v[:j]
	}
	return ""
}
