// Package scanner implements the lexical grammar of Power Query M: it turns
// source bytes into tokens (see package token), modelled on go/scanner.
//
// It handles the byte-order mark, M's Unicode whitespace and new-line
// characters, dotted identifiers (Table.AddColumn is one token), quoted
// identifiers #"…", #-keywords, decimal and hexadecimal numbers, text
// literals with "" and #(…) escapes, verbatim literals #!"…", comments and
// every punctuator.
package scanner

import (
	"fmt"
	"unicode"
	"unicode/utf8"

	"github.com/pqxdev/pqx/internal/m/token"
)

// ErrorHandler receives scanning errors.
type ErrorHandler func(pos token.Pos, msg string)

// Mode controls the scanner.
type Mode uint

// Scanner modes.
const (
	ScanComments Mode = 1 << iota // return COMMENT tokens instead of skipping them
)

// Scanner holds the scanning state. Use Init before Scan.
type Scanner struct {
	file *token.File
	src  []byte
	err  ErrorHandler
	mode Mode
	base int // Pos of src[0]

	off int // current read offset

	// ErrorCount is the number of errors reported.
	ErrorCount int
}

// Init prepares s to scan file's source. Errors go to err (may be nil).
func (s *Scanner) Init(file *token.File, err ErrorHandler, mode Mode) {
	s.file = file
	s.src = file.Source()
	s.err = err
	s.mode = mode
	s.base = file.Base()
	s.off = 0
	s.ErrorCount = 0
	if len(s.src) >= 3 && s.src[0] == 0xEF && s.src[1] == 0xBB && s.src[2] == 0xBF {
		s.off = 3 // skip the byte-order mark
	}
}

func (s *Scanner) error(off int, msg string) {
	s.ErrorCount++
	if s.err != nil {
		s.err(token.Pos(s.base+off), msg)
	}
}

func (s *Scanner) errorf(off int, format string, args ...any) {
	s.error(off, fmt.Sprintf(format, args...))
}

// Offset returns the current read offset.
func (s *Scanner) Offset() int { return s.off }

// Scan returns the next token: its position, kind and, for literals,
// identifiers, comments and illegal characters, its source text. At the
// end of input it returns EOF. Keywords and punctuators return lit == "".
func (s *Scanner) Scan() (pos token.Pos, tok token.Kind, lit string) {
	start, tok, end := s.ScanRaw()
	pos = token.Pos(s.base + start)
	if tok.IsLiteral() || tok == token.COMMENT || tok == token.ILLEGAL {
		lit = string(s.src[start:end])
	}
	return
}

// ScanRaw is Scan without allocating: it returns the token's start and end
// byte offsets in the source.
func (s *Scanner) ScanRaw() (start int, tok token.Kind, end int) {
redo:
	s.skipWhitespace()
	start = s.off
	if s.off >= len(s.src) {
		return start, token.EOF, start
	}
	c := s.src[s.off]
	switch {
	case c < utf8.RuneSelf && (isASCIILetter(c) || c == '_'):
		tok = s.scanIdent()
	case '0' <= c && c <= '9':
		tok = s.scanNumber()
	case c >= utf8.RuneSelf:
		r, w := utf8.DecodeRune(s.src[s.off:])
		if r == utf8.RuneError && w == 1 {
			s.error(s.off, "invalid UTF-8 encoding")
			s.off++
			return start, token.ILLEGAL, s.off
		}
		if isLetter(r) {
			tok = s.scanIdent()
		} else {
			s.errorf(s.off, "invalid character %#U", r)
			s.off += w
			return start, token.ILLEGAL, s.off
		}
	default:
		s.off++
		switch c {
		case '"':
			s.scanText(start)
			tok = token.TEXT
		case '#':
			tok = s.scanHash(start)
		case ',':
			tok = token.COMMA
		case ';':
			tok = token.SEMICOLON
		case '=':
			tok = token.EQL
			if s.peek('>') {
				tok = token.ARROW
			}
		case '<':
			tok = token.LSS
			if s.peek('=') {
				tok = token.LEQ
			} else if s.peek('>') {
				tok = token.NEQ
			}
		case '>':
			tok = token.GTR
			if s.peek('=') {
				tok = token.GEQ
			}
		case '+':
			tok = token.ADD
		case '-':
			tok = token.SUB
		case '*':
			tok = token.MUL
		case '/':
			switch {
			case s.off < len(s.src) && s.src[s.off] == '/':
				s.skipLineComment()
				if s.mode&ScanComments == 0 {
					goto redo
				}
				return start, token.COMMENT, s.off
			case s.off < len(s.src) && s.src[s.off] == '*':
				s.skipBlockComment(start)
				if s.mode&ScanComments == 0 {
					goto redo
				}
				return start, token.COMMENT, s.off
			}
			tok = token.QUO
		case '&':
			tok = token.AMP
		case '(':
			tok = token.LPAREN
		case ')':
			tok = token.RPAREN
		case '[':
			tok = token.LBRACK
		case ']':
			tok = token.RBRACK
		case '{':
			tok = token.LBRACE
		case '}':
			tok = token.RBRACE
		case '@':
			tok = token.AT
		case '!':
			tok = token.EXCL
		case '?':
			tok = token.QUEST
			if s.peek('?') {
				tok = token.COALESCE
			}
		case '.':
			switch {
			case s.off < len(s.src) && isDigit(s.src[s.off]):
				s.off = start
				tok = s.scanNumber()
			case s.peek('.'):
				tok = token.DOTDOT
				if s.peek('.') {
					tok = token.ELLIPSIS
				}
			default:
				s.error(start, "unexpected '.' (M has no member access; write a field access [name])")
				tok = token.ILLEGAL
			}
		default:
			switch {
			case c < ' ' || c == 0x7F:
				s.errorf(start, "invalid control character %#U", rune(c))
			case c == '\'':
				s.error(start, "invalid character '\\''; M text literals use double quotes")
			case c == '|':
				s.error(start, "invalid character '|'; M writes logical or as `or`")
			default:
				s.errorf(start, "invalid character %q", rune(c))
			}
			tok = token.ILLEGAL
		}
	}
	return start, tok, s.off
}

// peek consumes c if it is next.
func (s *Scanner) peek(c byte) bool {
	if s.off < len(s.src) && s.src[s.off] == c {
		s.off++
		return true
	}
	return false
}

func (s *Scanner) skipWhitespace() {
	for s.off < len(s.src) {
		c := s.src[s.off]
		switch c {
		case ' ', '\t', '\n', '\r', '\v', '\f':
			s.off++
			continue
		}
		if c < utf8.RuneSelf {
			return
		}
		r, w := utf8.DecodeRune(s.src[s.off:])
		if r == 0x85 || r == 0x2028 || r == 0x2029 || unicode.Is(unicode.Zs, r) {
			s.off += w
			continue
		}
		return
	}
}

// isNewline reports whether the rune at off starts a line terminator and
// returns its width.
func isNewline(src []byte, off int) bool {
	switch c := src[off]; c {
	case '\n', '\r':
		return true
	case 0xC2:
		return off+1 < len(src) && src[off+1] == 0x85
	case 0xE2:
		return off+2 < len(src) && src[off+1] == 0x80 && (src[off+2] == 0xA8 || src[off+2] == 0xA9)
	}
	return false
}

func (s *Scanner) skipLineComment() {
	for s.off < len(s.src) && !isNewline(s.src, s.off) {
		s.off++
	}
}

func (s *Scanner) skipBlockComment(start int) {
	s.off++ // the *
	for s.off < len(s.src) {
		if s.src[s.off] == '*' && s.off+1 < len(s.src) && s.src[s.off+1] == '/' {
			s.off += 2
			return
		}
		s.off++
	}
	s.error(start, "comment not terminated")
}

// asciiPart marks the ASCII identifier part characters.
var asciiPart = func() (t [256]bool) {
	for c := 0; c < 128; c++ {
		t[c] = isASCIILetter(byte(c)) || isDigit(byte(c)) || c == '_'
	}
	return
}()

func isASCIILetter(c byte) bool { return 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' }
func isDigit(c byte) bool       { return '0' <= c && c <= '9' }
func isHex(c byte) bool {
	return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F'
}

// isLetter reports whether r may start an identifier (besides _): the
// letter classes Lu, Ll, Lt, Lm, Lo and Nl.
func isLetter(r rune) bool {
	if r < utf8.RuneSelf {
		return isASCIILetter(byte(r))
	}
	return unicode.IsLetter(r) || unicode.Is(unicode.Nl, r)
}

// isPart reports whether r may continue an identifier: letters, decimal
// digits (Nd), connectors (Pc), combining marks (Mn, Mc) and formatting
// characters (Cf).
func isPart(r rune) bool {
	if r < utf8.RuneSelf {
		c := byte(r)
		return isASCIILetter(c) || isDigit(c) || c == '_'
	}
	return isLetter(r) || unicode.In(r, unicode.Nd, unicode.Pc, unicode.Mn, unicode.Mc, unicode.Cf)
}

// IsIdentStart reports whether r may start a regular identifier.
func IsIdentStart(r rune) bool { return r == '_' || isLetter(r) }

// IsIdentPart reports whether r may continue a regular identifier.
func IsIdentPart(r rune) bool { return isPart(r) }

// partAt returns the width of an identifier part character at off, or 0.
func (s *Scanner) partAt(off int) int {
	if off >= len(s.src) {
		return 0
	}
	c := s.src[off]
	if c < utf8.RuneSelf {
		if isASCIILetter(c) || isDigit(c) || c == '_' {
			return 1
		}
		return 0
	}
	r, w := utf8.DecodeRune(s.src[off:])
	if r != utf8.RuneError && isPart(r) {
		return w
	}
	return 0
}

// scanIdent scans a regular identifier, dots included, and classifies
// keywords.
func (s *Scanner) scanIdent() token.Kind {
	start := s.off
	dotted := false
	for {
		for {
			// ASCII fast path; partAt decodes anything else.
			for s.off < len(s.src) && asciiPart[s.src[s.off]] {
				s.off++
			}
			w := s.partAt(s.off)
			if w == 0 {
				break
			}
			s.off += w
		}
		// A dot continues the identifier when an identifier character
		// follows; `a..b` and `a.` end it.
		if s.off+1 < len(s.src) && s.src[s.off] == '.' && s.partAt(s.off+1) > 0 {
			s.off++
			dotted = true
			continue
		}
		break
	}
	if !dotted && s.off-start <= 9 {
		if k, ok := keywordBytes(s.src[start:s.off]); ok {
			return k
		}
	}
	return token.IDENT
}

func keywordBytes(b []byte) (token.Kind, bool) {
	k := token.Lookup(string(b)) // no allocation: the conversion is only for lookup
	return k, k != token.IDENT
}

// scanHash scans what follows #: a quoted identifier, a verbatim literal or
// a #-keyword.
func (s *Scanner) scanHash(start int) token.Kind {
	if s.peek('"') {
		s.scanText(start)
		return token.QUOTED_IDENT
	}
	if s.off+1 < len(s.src) && s.src[s.off] == '!' && s.src[s.off+1] == '"' {
		s.off += 2
		s.scanText(start)
		return token.VERBATIM
	}
	for s.off < len(s.src) && isASCIILetter(s.src[s.off]) {
		s.off++
	}
	word := s.src[start:s.off]
	if len(word) > 1 {
		if k, ok := keywordBytes(word); ok {
			return k
		}
		s.errorf(start, "unknown keyword %s", word)
		return token.ILLEGAL
	}
	if s.off < len(s.src) && s.src[s.off] == '(' {
		s.error(start, "escape sequence #( outside a text literal")
	} else {
		s.error(start, "unexpected '#' (want #\"name\", #!\"verbatim\" or a #keyword such as #table)")
	}
	return token.ILLEGAL
}

// scanText scans the rest of a text literal after its opening quote and
// validates #( escapes.
func (s *Scanner) scanText(start int) {
	for s.off < len(s.src) {
		switch s.src[s.off] {
		case '"':
			s.off++
			if s.off < len(s.src) && s.src[s.off] == '"' {
				s.off++
				continue
			}
			return
		case '#':
			if s.off+1 < len(s.src) && s.src[s.off+1] == '(' {
				if n, msg := escapeLen(s.src[s.off:]); msg != "" {
					s.error(s.off, msg)
					s.off += 2
				} else {
					s.off += n
				}
				continue
			}
		}
		s.off++
	}
	if s.src[start] == '#' {
		s.error(start, "quoted identifier not terminated")
	} else {
		s.error(start, "text literal not terminated")
	}
}

// scanNumber scans a decimal or hexadecimal number literal.
func (s *Scanner) scanNumber() token.Kind {
	start := s.off
	if s.src[s.off] == '0' && s.off+1 < len(s.src) && (s.src[s.off+1] == 'x' || s.src[s.off+1] == 'X') {
		s.off += 2
		d := s.off
		for s.off < len(s.src) && isHex(s.src[s.off]) {
			s.off++
		}
		if s.off == d {
			s.error(start, "hexadecimal number has no digits")
		}
		return token.NUMBER
	}
	for s.off < len(s.src) && isDigit(s.src[s.off]) {
		s.off++
	}
	if s.off+1 < len(s.src) && s.src[s.off] == '.' && isDigit(s.src[s.off+1]) {
		s.off++
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
	}
	if s.off < len(s.src) && (s.src[s.off] == 'e' || s.src[s.off] == 'E') {
		e := s.off
		s.off++
		if s.off < len(s.src) && (s.src[s.off] == '+' || s.src[s.off] == '-') {
			s.off++
		}
		d := s.off
		for s.off < len(s.src) && isDigit(s.src[s.off]) {
			s.off++
		}
		if s.off == d {
			s.error(e, "exponent has no digits")
		}
	}
	return token.NUMBER
}

func isKeyword(word string) bool { return token.IsKeyword(word) }
