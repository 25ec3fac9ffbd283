package xmldsig

import (
	"fmt"
	"sort"
	"strings"
)

// Canonicalisation algorithm URIs.
const (
	C14N10             = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315"
	C14N10WithComments = "http://www.w3.org/TR/2001/REC-xml-c14n-20010315#WithComments"
	ExcC14N            = "http://www.w3.org/2001/10/xml-exc-c14n#"
	ExcC14NWithComment = "http://www.w3.org/2001/10/xml-exc-c14n#WithComments"
)

// Method is a canonicalisation algorithm.
type Method struct {
	Exclusive bool
	Comments  bool
	// InclusivePrefixes lists, for exclusive C14N, the prefixes treated as in
	// inclusive C14N ("#default" names the default namespace).
	InclusivePrefixes []string
}

// MethodOf returns the Method for an algorithm URI.
func MethodOf(uri string) (Method, error) {
	switch uri {
	case C14N10:
		return Method{}, nil
	case C14N10WithComments:
		return Method{Comments: true}, nil
	case ExcC14N:
		return Method{Exclusive: true}, nil
	case ExcC14NWithComment:
		return Method{Exclusive: true, Comments: true}, nil
	}
	return Method{}, fmt.Errorf("unsupported canonicalization algorithm %q", uri)
}

// Canonicalize returns the canonical form of the subtree rooted at e (the
// document subset made of e and all its descendants), under m. For
// inclusive C14N the namespace declarations and xml:* attributes in scope
// from e's ancestors are rendered on e, as the algorithm requires.
func Canonicalize(e *Element, m Method) []byte {
	c := &canon{m: m}
	c.b.Grow(1024)
	c.element(e, true)
	return []byte(c.b.String())
}

// CanonicalizeDocument returns the canonical form of the whole document d:
// no XML declaration or DOCTYPE, and comments and PIs outside the root
// element separated from it by line feeds.
func CanonicalizeDocument(d *Document, m Method) []byte {
	c := &canon{m: m}
	for _, n := range d.Prolog {
		if c.misc(n) {
			c.b.WriteByte('\n')
		}
	}
	c.element(d.Root, true)
	for _, n := range d.Epilog {
		if _, ok := n.(*Comment); ok && !m.Comments {
			continue
		}
		c.b.WriteByte('\n')
		c.misc(n)
	}
	return []byte(c.b.String())
}

// emptyRendered is the namespace context above the document element: no
// default namespace.
var emptyRendered = map[string]string{"": ""}

type canon struct {
	m Method
	b strings.Builder
	// rendered is the stack of namespace bindings (prefix → URI) rendered by
	// the output ancestors of the current element.
	rendered []map[string]string
}

// misc writes a comment or PI and reports whether it wrote anything.
func (c *canon) misc(n Node) bool {
	switch t := n.(type) {
	case *Comment:
		if !c.m.Comments {
			return false
		}
		c.b.WriteString("<!--")
		c.b.WriteString(t.Data)
		c.b.WriteString("-->")
	case *PI:
		c.b.WriteString("<?")
		c.b.WriteString(t.Target)
		if t.Inst != "" {
			c.b.WriteByte(' ')
			c.b.WriteString(strings.TrimLeft(t.Inst, " \t\r\n"))
		}
		c.b.WriteString("?>")
	default:
		return false
	}
	return true
}

// inScope returns all namespace bindings in scope at e, innermost first.
func inScope(e *Element) map[string]string {
	ns := map[string]string{}
	for x := e; x != nil; x = x.Parent {
		for _, d := range x.Decls {
			if _, ok := ns[d.Prefix]; !ok {
				ns[d.Prefix] = d.URI
			}
		}
	}
	return ns
}

func (c *canon) element(e *Element, apex bool) {
	parentRendered := emptyRendered
	if n := len(c.rendered); n > 0 {
		parentRendered = c.rendered[n-1]
	}

	// Decide which namespace nodes to render: those whose binding differs
	// from what the nearest rendered ancestor rendered.
	var out []NSDecl
	consider := func(prefix, uri string) {
		if prefix == "xml" {
			return
		}
		if prev, ok := parentRendered[prefix]; ok && prev == uri {
			return
		}
		for _, d := range out {
			if d.Prefix == prefix {
				return
			}
		}
		out = append(out, NSDecl{prefix, uri})
	}
	switch {
	case c.m.Exclusive:
		// Only visibly utilised prefixes, plus the InclusiveNamespaces list.
		uri, _ := e.Lookup(e.Prefix)
		consider(e.Prefix, uri)
		for _, a := range e.Attrs {
			if a.Prefix != "" {
				consider(a.Prefix, a.Space)
			}
		}
		for _, p := range c.m.InclusivePrefixes {
			if p == "#default" {
				p = ""
			}
			if uri, ok := e.Lookup(p); ok {
				consider(p, uri)
			}
		}
	case apex:
		// The apex renders every namespace in scope.
		scope := inScope(e)
		if _, ok := scope[""]; !ok {
			scope[""] = ""
		}
		for p, uri := range scope {
			consider(p, uri)
		}
	default:
		// Below the apex of a whole subtree the parent rendered everything
		// in its scope, so only this element's own declarations can differ.
		for _, d := range e.Decls {
			consider(d.Prefix, d.URI)
		}
	}
	rendered := parentRendered
	if len(out) > 0 {
		rendered = make(map[string]string, len(parentRendered)+len(out))
		for k, v := range parentRendered {
			rendered[k] = v
		}
		for _, d := range out {
			rendered[d.Prefix] = d.URI
		}
		sort.Slice(out, func(i, j int) bool { return out[i].Prefix < out[j].Prefix })
	}

	// Attributes: own ones, plus inherited xml:* ones on the apex of an
	// inclusive canonicalisation.
	attrs := e.Attrs
	if apex && !c.m.Exclusive {
		attrs = append([]Attr(nil), attrs...)
		have := map[string]bool{}
		for _, a := range attrs {
			if a.Space == NSXML {
				have[a.Local] = true
			}
		}
		for x := e.Parent; x != nil; x = x.Parent {
			for _, a := range x.Attrs {
				if a.Space == NSXML && !have[a.Local] {
					have[a.Local] = true
					attrs = append(attrs, a)
				}
			}
		}
	}
	if len(attrs) > 1 {
		attrs = append([]Attr(nil), attrs...)
		sort.Slice(attrs, func(i, j int) bool {
			if attrs[i].Space != attrs[j].Space {
				return attrs[i].Space < attrs[j].Space
			}
			return attrs[i].Local < attrs[j].Local
		})
	}

	name := qname(e.Prefix, e.Local)
	c.b.WriteByte('<')
	c.b.WriteString(name)
	for _, d := range out {
		if d.Prefix == "" {
			c.b.WriteString(` xmlns="`)
		} else {
			c.b.WriteString(" xmlns:")
			c.b.WriteString(d.Prefix)
			c.b.WriteString(`="`)
		}
		escapeAttr(&c.b, d.URI)
		c.b.WriteByte('"')
	}
	for _, a := range attrs {
		c.b.WriteByte(' ')
		c.b.WriteString(qname(a.Prefix, a.Local))
		c.b.WriteString(`="`)
		escapeAttr(&c.b, a.Value)
		c.b.WriteByte('"')
	}
	c.b.WriteByte('>')

	c.rendered = append(c.rendered, rendered)
	for _, n := range e.Children {
		switch t := n.(type) {
		case *Element:
			c.element(t, false)
		case *Text:
			escapeText(&c.b, t.Data)
		default:
			c.misc(n)
		}
	}
	c.rendered = c.rendered[:len(c.rendered)-1]

	c.b.WriteString("</")
	c.b.WriteString(name)
	c.b.WriteByte('>')
}

func escapeText(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '>':
			b.WriteString("&gt;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}

func escapeAttr(b *strings.Builder, s string) {
	for i := 0; i < len(s); i++ {
		switch ch := s[i]; ch {
		case '&':
			b.WriteString("&amp;")
		case '<':
			b.WriteString("&lt;")
		case '"':
			b.WriteString("&quot;")
		case '\t':
			b.WriteString("&#x9;")
		case '\n':
			b.WriteString("&#xA;")
		case '\r':
			b.WriteString("&#xD;")
		default:
			b.WriteByte(ch)
		}
	}
}
