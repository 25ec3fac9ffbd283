package scanner

import (
	"errors"
	"strconv"
	"strings"
	"unicode/utf8"
)

// escapeLen validates the escape sequence #(…) at the start of b and
// returns its length, or an error message. Escape lists such as
// #(cr,lf) are allowed.
func escapeLen(b []byte) (int, string) {
	i := 2 // after #(
	for {
		n := escapeItem(b[i:])
		if n == 0 {
			return 0, "invalid escape sequence in text (want #(cr), #(lf), #(tab), #(#), #(hhhh) or #(hhhhhhhh))"
		}
		if r, ok := escapeRune(string(b[i : i+n])); !ok || 0xD800 <= r && r <= 0xDFFF {
			return 0, "escape #(" + string(b[i:i+n]) + ") is not a valid Unicode code point"
		}
		i += n
		if i < len(b) && b[i] == ',' {
			i++
			continue
		}
		if i < len(b) && b[i] == ')' {
			return i + 1, ""
		}
		return 0, "escape sequence not terminated with )"
	}
}

// escapeItem returns the length of one escape item at the start of b, or 0.
func escapeItem(b []byte) int {
	switch {
	case hasPrefix(b, "cr"), hasPrefix(b, "lf"):
		return 2
	case hasPrefix(b, "tab"):
		return 3
	case len(b) > 0 && b[0] == '#':
		return 1
	}
	n := 0
	for n < len(b) && n < 9 && isHex(b[n]) {
		n++
	}
	if n == 4 || n == 8 {
		return n
	}
	return 0
}

func hasPrefix(b []byte, p string) bool {
	return len(b) >= len(p) && string(b[:len(p)]) == p
}

// escapeRunes decodes one escape item.
func escapeRune(item string) (rune, bool) {
	switch item {
	case "cr":
		return '\r', true
	case "lf":
		return '\n', true
	case "tab":
		return '\t', true
	case "#":
		return '#', true
	}
	v, err := strconv.ParseUint(item, 16, 32)
	if err != nil || v > utf8.MaxRune {
		return 0, false
	}
	return rune(v), true
}

var errBadLiteral = errors.New("malformed text literal")

// Unquote decodes the source text of a text literal ("…"), a quoted
// identifier (#"…") or a verbatim literal (#!"…"): it removes the quotes,
// turns "" into " and resolves #(…) escapes. Escapes outside the valid
// forms are an error; a code point above U+10FFFF or a surrogate is too.
func Unquote(raw string) (string, error) {
	s := raw
	verbatim := false
	switch {
	case strings.HasPrefix(s, `#!"`):
		s = s[3:]
		verbatim = true
	case strings.HasPrefix(s, `#"`):
		s = s[2:]
	case strings.HasPrefix(s, `"`):
		s = s[1:]
	default:
		return "", errBadLiteral
	}
	if !strings.HasSuffix(s, `"`) {
		return "", errBadLiteral
	}
	s = s[:len(s)-1]
	if !strings.Contains(s, `"`) && (verbatim || !strings.Contains(s, "#(")) {
		return s, nil
	}
	var b strings.Builder
	b.Grow(len(s))
	for i := 0; i < len(s); {
		c := s[i]
		switch {
		case c == '"':
			if i+1 >= len(s) || s[i+1] != '"' {
				return "", errBadLiteral
			}
			b.WriteByte('"')
			i += 2
		case c == '#' && !verbatim && i+1 < len(s) && s[i+1] == '(':
			n, msg := escapeLen([]byte(s[i:]))
			if msg != "" {
				return "", errors.New(msg)
			}
			for _, item := range strings.Split(s[i+2:i+n-1], ",") {
				r, ok := escapeRune(item)
				if !ok || (0xD800 <= r && r <= 0xDFFF) {
					return "", errors.New("escape #(" + item + ") is not a valid Unicode code point")
				}
				b.WriteRune(r)
			}
			i += n
		default:
			b.WriteByte(c)
			i++
		}
	}
	return b.String(), nil
}

// Quote returns the M text literal for s: it doubles quotes and escapes
// control characters as #(cr), #(lf), #(tab) or #(hhhh), and writes #( as
// #(#)( so that the result decodes back to s.
func Quote(s string) string {
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`""`)
		case r == '\r':
			b.WriteString("#(cr)")
		case r == '\n':
			b.WriteString("#(lf)")
		case r == '\t':
			b.WriteString("#(tab)")
		case r == '#' && i+1 < len(s) && s[i+1] == '(':
			b.WriteString("#(#)")
		case r < 0x20 || r == 0x7F || r == 0x85 || r == 0x2028 || r == 0x2029:
			b.WriteString("#(" + strings.ToUpper(strconv.FormatInt(int64(r)|0x10000, 16)[1:]) + ")")
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String()
}

// IsRegularIdent reports whether name can be written as a regular
// identifier (possibly dotted) without #"…" quoting: it is not a keyword
// and consists of identifier characters with single dots between parts.
func IsRegularIdent(name string) bool {
	if name == "" || strings.HasPrefix(name, "#") {
		return false
	}
	if !strings.Contains(name, ".") && isKeyword(name) {
		return false
	}
	first := true
	prevDot := false
	for _, r := range name {
		switch {
		case first:
			if !IsIdentStart(r) {
				return false
			}
		case r == '.':
			if prevDot {
				return false
			}
			prevDot = true
			continue
		case !isPart(r):
			return false
		}
		first = false
		prevDot = false
	}
	return !prevDot
}

// QuoteIdent returns name as a regular identifier if possible, else as a
// quoted identifier #"…".
func QuoteIdent(name string) string {
	if IsRegularIdent(name) {
		return name
	}
	return "#" + Quote(name)
}
