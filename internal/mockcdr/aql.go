package mockcdr

import (
	"fmt"
	"strconv"
	"strings"
)

// aqlKeywords are upper-cased during normalisation; AQL keywords are
// case-insensitive, identifiers and paths are not.
var aqlKeywords = map[string]bool{
	"SELECT": true, "FROM": true, "CONTAINS": true, "WHERE": true, "ORDER": true, "BY": true,
	"ASC": true, "ASCENDING": true, "DESC": true, "DESCENDING": true, "AS": true, "AND": true,
	"OR": true, "NOT": true, "XOR": true, "LIMIT": true, "OFFSET": true, "TOP": true,
	"FORWARD": true, "BACKWARD": true, "DISTINCT": true, "EXISTS": true, "MATCHES": true,
	"LIKE": true, "COUNT": true, "MIN": true, "MAX": true, "SUM": true, "AVG": true,
	"EHR": true, "COMPOSITION": true, "OBSERVATION": true, "EVALUATION": true,
	"INSTRUCTION": true, "ACTION": true, "CLUSTER": true, "ELEMENT": true, "SECTION": true,
	"VERSION": true, "EHR_STATUS": true, "NULL": true, "TRUE": true, "FALSE": true,
}

// token kinds of the small AQL lexer.
const (
	tokWord  = iota // identifiers, paths, numbers, keywords
	tokStr          // 'string' or "string", quotes included
	tokParam        // $name or :name, stored as "$name"
	tokPunct        // , ( ) [ ] = != < > <= >= *
)

type aqlToken struct {
	kind int
	text string
}

// lexAQL splits AQL into tokens. Whitespace only separates tokens, so
// "a,b" and "a , b" lex alike. colon reports whether :name is a parameter.
func lexAQL(q string, colon bool) ([]aqlToken, error) {
	var toks []aqlToken
	i := 0
	for i < len(q) {
		c := q[i]
		switch {
		case c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\f' || c == '\v':
			i++
		case c == '\'' || c == '"':
			j := i + 1
			for j < len(q) && q[j] != c {
				if q[j] == '\\' {
					j++
				}
				j++
			}
			if j >= len(q) {
				return nil, fmt.Errorf("line 1:%d token recognition error at: '%s'", i, q[i:])
			}
			toks = append(toks, aqlToken{tokStr, q[i : j+1]})
			i = j + 1
		case c == '$' || (colon && c == ':' && i+1 < len(q) && isIdentStart(q[i+1]) && (i == 0 || q[i-1] != ':')):
			j := i + 1
			for j < len(q) && isIdentChar(q[j]) {
				j++
			}
			if j == i+1 {
				return nil, fmt.Errorf("line 1:%d extraneous input '%c'", i, c)
			}
			toks = append(toks, aqlToken{tokParam, "$" + q[i+1:j]})
			i = j
		case strings.IndexByte(",()[]*", c) >= 0:
			toks = append(toks, aqlToken{tokPunct, string(c)})
			i++
		case c == '=' || c == '<' || c == '>' || c == '!':
			if i+1 < len(q) && q[i+1] == '=' || c == '<' && i+1 < len(q) && q[i+1] == '>' {
				toks = append(toks, aqlToken{tokPunct, q[i : i+2]})
				i += 2
			} else {
				toks = append(toks, aqlToken{tokPunct, string(c)})
				i++
			}
		default:
			j := i
			for j < len(q) && !strings.ContainsRune(" \t\n\r\f\v'\",()[]*=<>!$", rune(q[j])) {
				j++
			}
			w := q[i:j]
			if aqlKeywords[strings.ToUpper(w)] {
				w = strings.ToUpper(w)
			}
			toks = append(toks, aqlToken{tokWord, w})
			i = j
		}
	}
	return toks, nil
}

func isIdentStart(c byte) bool {
	return c == '_' || 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z'
}

func isIdentChar(c byte) bool { return isIdentStart(c) || '0' <= c && c <= '9' }

// parsedAQL is AQL reduced to what the fixture registry needs.
type parsedAQL struct {
	key    string   // normalised text without in-query paging
	params []string // $names referenced, in order of first use, without "$"
	// In-query paging found at the top level.
	hasLimit, hasOffset, hasTop bool
	limit, offset, top          int
}

// parseAQL normalises q and splits off a trailing LIMIT n [OFFSET m] and a
// leading TOP n (the only AQL the mock understands beyond lookup).
func parseAQL(q string, colon bool) (parsedAQL, error) {
	toks, err := lexAQL(q, colon)
	if err != nil {
		return parsedAQL{}, err
	}
	var p parsedAQL
	if len(toks) == 0 {
		return p, fmt.Errorf("line 1:0 mismatched input '<EOF>' expecting SELECT")
	}
	// TOP n directly after SELECT [DISTINCT].
	for i := 0; i+2 < len(toks); i++ {
		if toks[i].text == "SELECT" && toks[i+1].text == "TOP" && toks[i+1].kind == tokWord {
			n, err := strconv.Atoi(toks[i+2].text)
			if err != nil || n < 0 {
				return p, fmt.Errorf("line 1:0 TOP expects a non-negative integer, got %q", toks[i+2].text)
			}
			p.hasTop, p.top = true, n
			toks = append(toks[:i+1:i+1], toks[i+3:]...)
			break
		}
	}
	// LIMIT n [OFFSET m] at the top level (outside brackets) at the end.
	depth := 0
	for i := 0; i < len(toks); i++ {
		t := toks[i]
		if t.kind == tokPunct && (t.text == "(" || t.text == "[") {
			depth++
		} else if t.kind == tokPunct && (t.text == ")" || t.text == "]") {
			depth--
		}
		if depth != 0 || t.kind != tokWord || t.text != "LIMIT" {
			continue
		}
		rest := toks[i+1:]
		if len(rest) < 1 {
			return p, fmt.Errorf("line 1:0 mismatched input '<EOF>' expecting INTEGER after LIMIT")
		}
		n, err := strconv.Atoi(rest[0].text)
		if err != nil || n < 0 {
			return p, fmt.Errorf("line 1:0 LIMIT expects a non-negative integer, got %q", rest[0].text)
		}
		p.hasLimit, p.limit = true, n
		rest = rest[1:]
		if len(rest) >= 2 && rest[0].text == "OFFSET" {
			m, err := strconv.Atoi(rest[1].text)
			if err != nil || m < 0 {
				return p, fmt.Errorf("line 1:0 OFFSET expects a non-negative integer, got %q", rest[1].text)
			}
			p.hasOffset, p.offset = true, m
			rest = rest[2:]
		}
		if len(rest) > 0 {
			return p, fmt.Errorf("line 1:0 extraneous input '%s' after LIMIT clause", rest[0].text)
		}
		toks = toks[:i]
		break
	}
	if len(toks) == 0 {
		return p, fmt.Errorf("line 1:0 mismatched input '%s' expecting SELECT", strings.Fields(q)[0])
	}
	var b strings.Builder
	seen := map[string]bool{}
	for i, t := range toks {
		if i > 0 {
			b.WriteByte(' ')
		}
		b.WriteString(t.text)
		if t.kind == tokParam && !seen[t.text] {
			seen[t.text] = true
			p.params = append(p.params, t.text[1:])
		}
	}
	p.key = b.String()
	return p, nil
}

// NormalizeAQL returns the registry key of q: whitespace collapsed,
// keywords upper-cased, :name written $name, in-query paging removed.
func NormalizeAQL(q string) (string, error) {
	p, err := parseAQL(q, true)
	return p.key, err
}

// substituteParams writes parameter values into q the way servers do for
// meta._executed_aql: strings quoted, numbers and booleans bare. Text inside
// string literals is left alone.
func substituteParams(q string, params map[string]any, colon bool) string {
	var b strings.Builder
	for i := 0; i < len(q); i++ {
		c := q[i]
		if c == '\'' || c == '"' {
			j := i + 1
			for j < len(q) && q[j] != c {
				j++
			}
			if j >= len(q) {
				j = len(q) - 1
			}
			b.WriteString(q[i : j+1])
			i = j
			continue
		}
		if c == '$' || colon && c == ':' && i+1 < len(q) && isIdentStart(q[i+1]) && (i == 0 || q[i-1] != ':') {
			j := i + 1
			for j < len(q) && isIdentChar(q[j]) {
				j++
			}
			if v, ok := params[q[i+1:j]]; ok && j > i+1 {
				b.WriteString(aqlLiteral(v))
				i = j - 1
				continue
			}
		}
		b.WriteByte(c)
	}
	return b.String()
}

func aqlLiteral(v any) string {
	switch v := v.(type) {
	case string:
		return "'" + strings.ReplaceAll(v, "'", "\\'") + "'"
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return "NULL"
	default:
		return fmt.Sprint(v)
	}
}
