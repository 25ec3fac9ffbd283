package xmldsig

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// stdSource tokenises with encoding/xml, as an independent reference for
// the scanner. encoding/xml does not normalise attribute values, so they
// are redone from the raw start tag as XML 1.0 §3.3.3 says.
type stdSource struct {
	data []byte
	dec  *xml.Decoder
}

func newStdSource(data []byte) *stdSource {
	d := xml.NewDecoder(bytes.NewReader(data))
	d.Strict = true
	d.CharsetReader = func(label string, r io.Reader) (io.Reader, error) {
		if strings.EqualFold(label, "utf-8") {
			return r, nil
		}
		return nil, fmt.Errorf("unsupported encoding %q", label)
	}
	return &stdSource{data: data, dec: d}
}

func (s *stdSource) offset() int64 { return s.dec.InputOffset() }

func (s *stdSource) token() (xml.Token, error) {
	off := s.dec.InputOffset()
	tok, err := s.dec.RawToken()
	if err != nil {
		return nil, err
	}
	if t, ok := tok.(xml.StartElement); ok {
		t = t.Copy()
		for i, a := range t.Attr {
			if strings.ContainsAny(a.Value, "\t\n\r") {
				if v, ok := rawAttr(s.data[off:s.dec.InputOffset()], qname(a.Name.Space, a.Name.Local)); ok {
					t.Attr[i].Value = v
				}
			}
		}
		return t, nil
	}
	return xml.CopyToken(tok), nil
}

func parseStd(data []byte) (*Document, error) {
	data = bytes.TrimPrefix(data, []byte("\xEF\xBB\xBF"))
	p := &parser{data: data, lim: DefaultLimits, src: newStdSource(data)}
	return p.parse()
}

// rawAttr finds attribute name in a raw start tag and returns its value
// normalised: literal tabs and line ends become spaces, then references
// are resolved.
func rawAttr(tag []byte, name string) (string, bool) {
	s := string(tag)
	i := strings.IndexAny(s, " \t\r\n")
	if i < 0 {
		return "", false
	}
	s = s[i:]
	for {
		s = strings.TrimLeft(s, " \t\r\n")
		eq := strings.IndexByte(s, '=')
		if eq < 0 {
			return "", false
		}
		n := strings.TrimRight(s[:eq], " \t\r\n")
		s = strings.TrimLeft(s[eq+1:], " \t\r\n")
		if s == "" || (s[0] != '"' && s[0] != '\'') {
			return "", false
		}
		q := s[0]
		j := strings.IndexByte(s[1:], q)
		if j < 0 {
			return "", false
		}
		raw := s[1 : 1+j]
		s = s[2+j:]
		if n != name {
			continue
		}
		raw = strings.ReplaceAll(raw, "\r\n", " ")
		raw = strings.NewReplacer("\t", " ", "\n", " ", "\r", " ").Replace(raw)
		var b strings.Builder
		for {
			i := strings.IndexByte(raw, '&')
			if i < 0 {
				b.WriteString(raw)
				return b.String(), true
			}
			b.WriteString(raw[:i])
			j := strings.IndexByte(raw[i:], ';')
			if j < 0 {
				return "", false
			}
			ref := raw[i+1 : i+j]
			raw = raw[i+j+1:]
			switch ref {
			case "lt", "gt", "amp", "apos", "quot":
				b.WriteString(map[string]string{"lt": "<", "gt": ">", "amp": "&", "apos": "'", "quot": `"`}[ref])
				continue
			}
			base, digits := 10, strings.TrimPrefix(ref, "#")
			if strings.HasPrefix(ref, "#x") {
				base, digits = 16, ref[2:]
			}
			n, err := strconv.ParseUint(digits, base, 32)
			if err != nil || !utf8.ValidRune(rune(n)) {
				return "", false
			}
			b.WriteRune(rune(n))
		}
	}
}

var differentialCorpus = []string{
	`<a xmlns="urn:a"><b xmlns=""/></a>`,
	`<p:a xmlns:p="urn:p" p:x="1" y="&lt;"><!--c--><?pi d?>t</p:a>`,
	"<a xml:lang=\"en\" t=\"x\ty\r\nz&#9;\"><b>&#13;\r\n</b><![CDATA[<&]]></a>",
	"\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?><Signature Id=\"S\" xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo><Reference URI=\"#o\" Type=\"t\" /></SignedInfo></Signature>",
	"<?pi  x ?>\n<r a = 'v' >\n  <é-ü.1 xmlns='urn:u'/>\n</r>\n<!-- end -->\n",
}

// TestScannerMatchesEncodingXML parses the corpus both ways.
func TestScannerMatchesEncodingXML(t *testing.T) {
	for _, s := range differentialCorpus {
		compareParsers(t, []byte(s), true)
	}
}

// FuzzScanner compares the scanner with encoding/xml: whenever both
// accept a document, the trees must canonicalise identically.
func FuzzScanner(f *testing.F) {
	for _, s := range differentialCorpus {
		f.Add([]byte(s))
	}
	f.Fuzz(func(t *testing.T, data []byte) { compareParsers(t, data, false) })
}

func compareParsers(t *testing.T, data []byte, mustAccept bool) {
	d1, err1 := Parse(data)
	d2, err2 := parseStd(data)
	if mustAccept && (err1 != nil || err2 != nil) {
		t.Fatalf("%q: scanner %v, encoding/xml %v", data, err1, err2)
	}
	if err1 != nil || err2 != nil {
		return
	}
	for _, m := range []Method{{Comments: true}, {Exclusive: true}} {
		c1, c2 := CanonicalizeDocument(d1, m), CanonicalizeDocument(d2, m)
		if !bytes.Equal(c1, c2) {
			t.Fatalf("%q (%+v):\nscanner      %q\nencoding/xml %q", data, m, c1, c2)
		}
	}
}
