package mez

import (
	"regexp"
	"strings"
)

// SectionInfo is what a lexical scan of a section document finds. It is a
// quick look for inspection, not a parse: the M parser is the authority.
type SectionInfo struct {
	Section string   // name in "section Name;", "" if not found
	Kinds   []string // DataSource.Kind values, in order, without duplicates
	Publish []string // Publish values of the same records
}

var (
	sectionRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.])section\s+(#"(?:[^"]|"")*"|[A-Za-z_][A-Za-z0-9_]*(?:\.[A-Za-z_][A-Za-z0-9_]*)*)\s*;`)
	kindRe    = regexp.MustCompile(`DataSource\.Kind\s*=\s*"((?:[^"]|"")*)"`)
	publishRe = regexp.MustCompile(`(?:^|[^A-Za-z0-9_.])Publish\s*=\s*"((?:[^"]|"")*)"`)
)

// ScanSection finds the section name and the DataSource.Kind and Publish
// literal attributes of an M section document, ignoring comments. Text
// literals and quoted identifiers are respected, so a "//" inside a string
// does not start a comment.
func ScanSection(src []byte) SectionInfo {
	text := stripComments(string(src))
	var info SectionInfo
	if m := sectionRe.FindStringSubmatch(text); m != nil {
		info.Section = unquoteIdent(m[1])
	}
	info.Kinds = uniqueSubmatches(kindRe, text)
	info.Publish = uniqueSubmatches(publishRe, text)
	return info
}

func uniqueSubmatches(re *regexp.Regexp, text string) []string {
	var out []string
	seen := map[string]bool{}
	for _, m := range re.FindAllStringSubmatch(text, -1) {
		v := strings.ReplaceAll(m[1], `""`, `"`)
		if !seen[v] {
			seen[v] = true
			out = append(out, v)
		}
	}
	return out
}

func unquoteIdent(s string) string {
	if strings.HasPrefix(s, `#"`) {
		return strings.ReplaceAll(s[2:len(s)-1], `""`, `"`)
	}
	return s
}

// stripComments replaces M comments with spaces, keeping text literals and
// quoted identifiers (both delimited by " with "" as the escape).
func stripComments(s string) string {
	b := []byte(s)
	for i := 0; i < len(b); i++ {
		switch {
		case b[i] == '"':
			for i++; i < len(b); i++ {
				if b[i] == '"' {
					if i+1 < len(b) && b[i+1] == '"' {
						i++
						continue
					}
					break
				}
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '/':
			for ; i < len(b) && b[i] != '\n'; i++ {
				b[i] = ' '
			}
		case b[i] == '/' && i+1 < len(b) && b[i+1] == '*':
			b[i], b[i+1] = ' ', ' '
			for i += 2; i < len(b); i++ {
				if b[i] == '*' && i+1 < len(b) && b[i+1] == '/' {
					b[i], b[i+1] = ' ', ' '
					i++
					break
				}
				if b[i] != '\n' {
					b[i] = ' '
				}
			}
		}
	}
	return string(b)
}
