// Package opc reads and writes Open Packaging Conventions (ECMA-376 Part 2)
// packages the way .NET's WindowsBase System.IO.Packaging does, which is
// what a .pqx file is: the connector's files as parts, a
// [Content_Types].xml, and for signed packages the digital-signature origin,
// relationships and signature parts.
//
// The package offers the pieces a signer or verifier needs (part names,
// content types, relationships, a WindowsBase-compatible ZIP writer and a
// package reader that finds signatures by following relationships) and the
// unsigned packaging MakePQX "pack" does: WritePackage for files in memory,
// Pack for an existing .mez, copying its compressed streams unchanged.
package opc

import (
	"errors"
	"fmt"
	"path"
	"strings"
	"unicode/utf8"
)

// EscapeName returns the part-name form of a file path relative to the
// package root ("a/b c.pq" → "/a/b%20c.pq"): every byte that is not an RFC
// 3986 path character (unreserved, sub-delims, ":" or "@") is
// percent-encoded in upper-case hex, as PackUriHelper.CreatePartUri does for
// spaces and non-ASCII letters. "%" itself is encoded, so a name never reads
// as already escaped.
func EscapeName(rel string) string {
	var b strings.Builder
	b.Grow(len(rel) + 1)
	b.WriteByte('/')
	for i := 0; i < len(rel); i++ {
		c := rel[i]
		if c == '/' || isPChar(c) {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

// UnescapeName is the inverse of EscapeName: it returns the file path of a
// part name, without the leading "/".
func UnescapeName(part string) (string, error) {
	s := strings.TrimPrefix(part, "/")
	var b []byte
	for i := 0; i < len(s); i++ {
		if s[i] != '%' {
			b = append(b, s[i])
			continue
		}
		if i+2 >= len(s) || !isHex(s[i+1]) || !isHex(s[i+2]) {
			return "", fmt.Errorf("part name %q: bad percent-encoding", part)
		}
		b = append(b, unhex(s[i+1])<<4|unhex(s[i+2]))
		i += 2
	}
	if !utf8.Valid(b) {
		return "", fmt.Errorf("part name %q: escapes do not decode to UTF-8", part)
	}
	return string(b), nil
}

func isPChar(c byte) bool {
	switch {
	case 'a' <= c && c <= 'z', 'A' <= c && c <= 'Z', '0' <= c && c <= '9':
		return true
	}
	return strings.IndexByte("-._~!$&'()*+,;=:@", c) >= 0
}

func isUnreserved(c byte) bool {
	return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-._~", c) >= 0
}

func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

func unhex(c byte) byte {
	switch {
	case c <= '9':
		return c - '0'
	case c >= 'a':
		return c - 'a' + 10
	}
	return c - 'A' + 10
}

// ValidatePartName checks a part name against ECMA-376 Part 2 §9.1.1.1:
// it starts with "/", has no empty segment, does not end with "/", no
// segment ends with ".", only path characters and percent-encodings appear,
// and no percent-encoding stands for "/", "\" or an unreserved character.
func ValidatePartName(name string) error {
	if !strings.HasPrefix(name, "/") {
		return fmt.Errorf("part name %q: must start with /", name)
	}
	if strings.HasSuffix(name, "/") {
		return fmt.Errorf("part name %q: must not end with /", name)
	}
	for _, seg := range strings.Split(name[1:], "/") {
		if seg == "" {
			return fmt.Errorf("part name %q: empty segment", name)
		}
		if strings.HasSuffix(seg, ".") {
			return fmt.Errorf("part name %q: segment %q ends with a dot", name, seg)
		}
		for i := 0; i < len(seg); i++ {
			c := seg[i]
			if c == '%' {
				if i+2 >= len(seg) || !isHex(seg[i+1]) || !isHex(seg[i+2]) {
					return fmt.Errorf("part name %q: bad percent-encoding", name)
				}
				d := unhex(seg[i+1])<<4 | unhex(seg[i+2])
				if d == '/' || d == '\\' || isUnreserved(d) {
					return fmt.Errorf("part name %q: %%%c%c must not be percent-encoded", name, seg[i+1], seg[i+2])
				}
				i += 2
				continue
			}
			if !isPChar(c) {
				return fmt.Errorf("part name %q: character %q must be percent-encoded", name, c)
			}
		}
	}
	return nil
}

// NormalizePartName returns the form under which part names are compared:
// OPC part names are equivalent when equal ignoring ASCII case. It is also
// the sort key of a signature's Manifest (WindowsBase orders parts by
// ordinal comparison of the upper-cased name).
func NormalizePartName(name string) string { return strings.ToUpper(name) }

// EntryName returns the ZIP entry name that stores a part.
func EntryName(part string) string { return strings.TrimPrefix(part, "/") }

// PartNameOf returns the part name stored under a ZIP entry name. It
// reports false for entries that are not parts: [Content_Types].xml,
// directory entries and names that are not valid part names.
func PartNameOf(entry string) (string, bool) {
	if entry == ContentTypesEntry || strings.HasSuffix(entry, "/") {
		return "", false
	}
	name := "/" + entry
	if ValidatePartName(name) != nil {
		return "", false
	}
	return name, true
}

// Extension returns the extension of a part name without the dot, as
// System.IO.Path.GetExtension sees it: the text after the last "." of the
// last segment, or "" if there is none.
func Extension(part string) string {
	base := path.Base(part)
	if i := strings.LastIndexByte(base, '.'); i >= 0 {
		return base[i+1:]
	}
	return ""
}

// RelationshipsPartName returns the name of the relationships part that
// holds the relationships whose source is part; "/" stands for the package
// itself ("/_rels/.rels").
func RelationshipsPartName(part string) string {
	if part == "/" || part == "" {
		return "/_rels/.rels"
	}
	dir, base := path.Split(part)
	return dir + "_rels/" + base + ".rels"
}

// IsRelationshipsPart reports whether part is a relationships part (its
// last segment ends in ".rels" inside a "_rels" folder).
func IsRelationshipsPart(part string) bool {
	dir, base := path.Split(part)
	return strings.EqualFold(path.Base(dir), "_rels") && strings.HasSuffix(strings.ToLower(base), ".rels")
}

// ResolveTarget resolves a relationship target relative to the source part
// of the relationships part ("/" for the package), returning a part name.
// Absolute targets ("/x") are returned cleaned.
func ResolveTarget(source, target string) (string, error) {
	if target == "" {
		return "", errors.New("empty relationship target")
	}
	if strings.Contains(target, "://") || strings.ContainsAny(target, "?#") {
		return "", fmt.Errorf("relationship target %q is not a part", target)
	}
	var p string
	if strings.HasPrefix(target, "/") {
		p = path.Clean(target)
	} else {
		dir := "/"
		if source != "/" && source != "" {
			dir = path.Dir(source)
		}
		p = path.Join(dir, target)
	}
	if err := ValidatePartName(p); err != nil {
		return "", err
	}
	return p, nil
}
