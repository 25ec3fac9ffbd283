package render

import (
	"fmt"
	"sort"
	"strings"
	"unicode"
	"unicode/utf8"
)

// MText returns s as an M text literal that decodes to exactly s.
//
// Quotes are doubled. Control characters, line and paragraph separators,
// format characters (bidi overrides, zero-width joiners, BOM) and every "#("
// are written as M escape sequences, so no value can end the literal, start
// an escape, or hide text from a reviewer. Other characters, including
// emoji, are kept as they are. s must be valid UTF-8.
func MText(s string) (string, error) {
	if !utf8.ValidString(s) {
		return "", fmt.Errorf("text is not valid UTF-8: %q", s)
	}
	var b strings.Builder
	b.Grow(len(s) + 2)
	b.WriteByte('"')
	for i, r := range s {
		switch {
		case r == '"':
			b.WriteString(`""`)
		case r == '#' && strings.HasPrefix(s[i:], "#("):
			b.WriteString("#(#)")
		case r == '\r':
			b.WriteString("#(cr)")
		case r == '\n':
			b.WriteString("#(lf)")
		case r == '\t':
			b.WriteString("#(tab)")
		case needsEscape(r):
			if r > 0xFFFF {
				fmt.Fprintf(&b, "#(%08X)", r)
			} else {
				fmt.Fprintf(&b, "#(%04X)", r)
			}
		default:
			b.WriteRune(r)
		}
	}
	b.WriteByte('"')
	return b.String(), nil
}

// needsEscape reports characters written as #(XXXX): controls, format
// characters (Cf: bidi marks and overrides, zero-width characters, BOM),
// M's new-line characters and unassigned or private-use code points.
func needsEscape(r rune) bool {
	return unicode.IsControl(r) || unicode.Is(unicode.Cf, r) ||
		r == 0x2028 || r == 0x2029 || r == 0x85 ||
		unicode.Is(unicode.Co, r) || !unicode.IsPrint(r) && !unicode.IsSpace(r) && !unicode.Is(unicode.Mn, r)
}

// mKeywords are M's reserved words; a bare identifier cannot be one.
var mKeywords = map[string]bool{
	"and": true, "as": true, "each": true, "else": true, "error": true, "false": true,
	"if": true, "in": true, "is": true, "let": true, "meta": true, "not": true,
	"null": true, "or": true, "otherwise": true, "section": true, "shared": true,
	"then": true, "true": true, "try": true, "type": true,
	"#binary": true, "#date": true, "#datetime": true, "#datetimezone": true,
	"#duration": true, "#infinity": true, "#nan": true, "#sections": true,
	"#shared": true, "#table": true, "#time": true,
}

// MIdent returns name as an M identifier: as it is when it is a regular
// identifier (letters, digits, _ and dotted parts such as Table.AddColumn),
// else quoted as #"…" with the same escaping as MText.
func MIdent(name string) (string, error) {
	if isRegularIdent(name) && !mKeywords[name] {
		return name, nil
	}
	t, err := MText(name)
	if err != nil {
		return "", err
	}
	return "#" + t, nil
}

// isRegularIdent reports whether s is a regular M identifier (M spec,
// "Identifiers"): parts joined by single dots, each starting with a letter
// or underscore.
func isRegularIdent(s string) bool {
	if s == "" {
		return false
	}
	for _, part := range strings.Split(s, ".") {
		if part == "" {
			return false
		}
		for i, r := range part {
			switch {
			case r == '_' || unicode.IsLetter(r) || unicode.Is(unicode.Nl, r):
			case i > 0 && (unicode.Is(unicode.Nd, r) || unicode.Is(unicode.Mn, r) ||
				unicode.Is(unicode.Mc, r) || unicode.Is(unicode.Pc, r)):
				// M also allows format characters (Cf) here; they are
				// invisible, so such names are written quoted instead.
			default:
				return false
			}
		}
	}
	return true
}

// MList returns items as an M list of text literals: {"a", "b"}.
func MList(items []string) (string, error) {
	parts := make([]string, len(items))
	for i, it := range items {
		t, err := MText(it)
		if err != nil {
			return "", err
		}
		parts[i] = t
	}
	return "{" + strings.Join(parts, ", ") + "}", nil
}

// MRecord returns m as an M record of text values with fields in sorted
// order: [a = "1", #"b c" = "2"]. Field names are always written as quoted
// identifiers when they are not regular identifiers.
func MRecord(m map[string]string) (string, error) {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	parts := make([]string, len(keys))
	for i, k := range keys {
		name, err := MIdent(k)
		if err != nil {
			return "", err
		}
		val, err := MText(m[k])
		if err != nil {
			return "", err
		}
		parts[i] = name + " = " + val
	}
	return "[" + strings.Join(parts, ", ") + "]", nil
}
