package scanner

import (
	"fmt"
	"io"
	"sort"
	"strings"

	"github.com/pqxdev/pqx/internal/m/token"
)

// Error is one syntax error with its position and, when known, the text of
// the source line for a caret display.
type Error struct {
	Pos  token.Position
	Msg  string
	Line string // source line of Pos without its terminator, or ""
}

// Error formats the error as file:line:col: message.
func (e Error) Error() string {
	if e.Pos.Filename != "" || e.Pos.IsValid() {
		return e.Pos.String() + ": " + e.Msg
	}
	return e.Msg
}

// Detail formats the error followed by the source line and a caret under
// the column, the way compilers show it.
func (e Error) Detail() string {
	var b strings.Builder
	b.WriteString(e.Error())
	if e.Line != "" && e.Pos.Column > 0 {
		b.WriteString("\n    ")
		b.WriteString(strings.TrimRight(e.Line, " \t"))
		b.WriteString("\n    ")
		col := 1
		for _, r := range e.Line {
			if col >= e.Pos.Column {
				break
			}
			if r == '\t' {
				b.WriteByte('\t')
			} else {
				b.WriteByte(' ')
			}
			col++
		}
		b.WriteByte('^')
	}
	return b.String()
}

// ErrorList is a list of errors, sortable by position. The parser returns
// it sorted and with at most one error per line.
type ErrorList []*Error

// Add appends an error.
func (p *ErrorList) Add(pos token.Position, msg string) {
	*p = append(*p, &Error{Pos: pos, Msg: msg})
}

// Len, Swap and Less implement sort.Interface: by file, line, column, then
// message.
func (p ErrorList) Len() int      { return len(p) }
func (p ErrorList) Swap(i, j int) { p[i], p[j] = p[j], p[i] }
func (p ErrorList) Less(i, j int) bool {
	e, f := p[i].Pos, p[j].Pos
	if e.Filename != f.Filename {
		return e.Filename < f.Filename
	}
	if e.Line != f.Line {
		return e.Line < f.Line
	}
	if e.Column != f.Column {
		return e.Column < f.Column
	}
	return p[i].Msg < p[j].Msg
}

// Sort sorts the list by position.
func (p ErrorList) Sort() { sort.Sort(p) }

// RemoveMultiples sorts the list and keeps only the first error of each
// line, which is how cascades from one mistake are suppressed.
func (p *ErrorList) RemoveMultiples() {
	sort.Sort(*p)
	var last token.Position
	i := 0
	for _, e := range *p {
		if e.Pos.Filename != last.Filename || e.Pos.Line != last.Line {
			last = e.Pos
			(*p)[i] = e
			i++
		}
	}
	*p = (*p)[:i]
}

// Error returns the first error and the count of the others.
func (p ErrorList) Error() string {
	switch len(p) {
	case 0:
		return "no errors"
	case 1:
		return p[0].Error()
	}
	return fmt.Sprintf("%s (and %d more errors)", p[0], len(p)-1)
}

// Err returns nil for an empty list, else the list itself.
func (p ErrorList) Err() error {
	if len(p) == 0 {
		return nil
	}
	return p
}

// Detail formats every error with its source line and caret, one after the
// other.
func (p ErrorList) Detail() string {
	var b strings.Builder
	for i, e := range p {
		if i > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(e.Detail())
	}
	return b.String()
}

// PrintError writes err to w: each error of an ErrorList (or a single
// *Error) with its source line and caret, any other error as is.
func PrintError(w io.Writer, err error) {
	switch e := err.(type) {
	case ErrorList:
		for _, x := range e {
			fmt.Fprintln(w, x.Detail())
		}
	case *Error:
		fmt.Fprintln(w, e.Detail())
	default:
		fmt.Fprintln(w, err)
	}
}
