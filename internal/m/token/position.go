package token

import (
	"fmt"
	"sort"
	"sync"
	"unicode/utf8"
)

// Pos is a compact source position: an offset into a FileSet, plus one.
// The zero value NoPos means "no position".
type Pos int

// NoPos is the zero Pos; it belongs to no file.
const NoPos Pos = 0

// IsValid reports whether p is a real position.
func (p Pos) IsValid() bool { return p != NoPos }

// Position is a printable source position.
type Position struct {
	Filename string // may be empty
	Offset   int    // byte offset, from 0
	Line     int    // from 1
	Column   int    // in runes, from 1
}

// IsValid reports whether the position has a line.
func (p Position) IsValid() bool { return p.Line > 0 }

// String formats the position as file:line:col, line:col, file or "-".
func (p Position) String() string {
	s := p.Filename
	if p.IsValid() {
		if s != "" {
			s += ":"
		}
		s += fmt.Sprintf("%d:%d", p.Line, p.Column)
	}
	if s == "" {
		s = "-"
	}
	return s
}

// File is one source file in a FileSet. It keeps the source bytes so that
// columns can be counted in runes and diagnostics can quote the line.
type File struct {
	name string
	base int
	src  []byte

	// Line starts are computed on first use: parsing a valid file never
	// needs them, only printing a position does.
	linesOnce sync.Once
	lines     []int // offset of the first byte of each line
}

func (f *File) lineStarts() []int {
	f.linesOnce.Do(func() { f.lines = computeLines(f.src) })
	return f.lines
}

// Name returns the file name given to AddFile.
func (f *File) Name() string { return f.name }

// Base returns the Pos of the file's first byte.
func (f *File) Base() int { return f.base }

// Size returns the file size in bytes.
func (f *File) Size() int { return len(f.src) }

// Source returns the file's content (not a copy; do not modify).
func (f *File) Source() []byte { return f.src }

// LineCount returns the number of lines.
func (f *File) LineCount() int { return len(f.lineStarts()) }

// Pos returns the Pos of the byte offset off (clamped to the file).
func (f *File) Pos(off int) Pos {
	if off < 0 {
		off = 0
	}
	if off > len(f.src) {
		off = len(f.src)
	}
	return Pos(f.base + off)
}

// Offset returns the byte offset of p in the file.
func (f *File) Offset(p Pos) int {
	off := int(p) - f.base
	if off < 0 {
		return 0
	}
	if off > len(f.src) {
		return len(f.src)
	}
	return off
}

// Line returns the 1-based line of p.
func (f *File) Line(p Pos) int { return f.Position(p).Line }

// Position returns the printable position of p.
func (f *File) Position(p Pos) Position {
	if !p.IsValid() {
		return Position{}
	}
	off := f.Offset(p)
	lines := f.lineStarts()
	i := sort.Search(len(lines), func(i int) bool { return lines[i] > off }) - 1
	if i < 0 {
		i = 0
	}
	start := lines[i]
	if i == 0 && hasBOM(f.src) && off >= 3 {
		start = 3 // the byte-order mark is not a column
	}
	return Position{
		Filename: f.name,
		Offset:   off,
		Line:     i + 1,
		Column:   utf8.RuneCount(f.src[start:off]) + 1,
	}
}

// LineText returns the text of the 1-based line n without its terminator.
func (f *File) LineText(n int) string {
	lines := f.lineStarts()
	if n < 1 || n > len(lines) {
		return ""
	}
	start := lines[n-1]
	end := len(f.src)
	if n < len(lines) {
		end = lines[n]
	}
	if n == 1 && hasBOM(f.src) {
		start = 3
	}
	s := f.src[start:end]
	// Trim the terminator: CRLF, CR, LF, NEL, LS, PS.
	for len(s) > 0 {
		switch {
		case s[len(s)-1] == '\n' || s[len(s)-1] == '\r':
			s = s[:len(s)-1]
			continue
		case len(s) >= 2 && s[len(s)-2] == 0xC2 && s[len(s)-1] == 0x85:
			s = s[:len(s)-2]
		case len(s) >= 3 && s[len(s)-3] == 0xE2 && s[len(s)-2] == 0x80 && (s[len(s)-1] == 0xA8 || s[len(s)-1] == 0xA9):
			s = s[:len(s)-3]
		}
		break
	}
	return string(s)
}

func hasBOM(b []byte) bool {
	return len(b) >= 3 && b[0] == 0xEF && b[1] == 0xBB && b[2] == 0xBF
}

// computeLines records line starts. M's new-line characters are CR, LF,
// CRLF, U+0085, U+2028 and U+2029.
func computeLines(src []byte) []int {
	lines := make([]int, 1, 1+len(src)/32)
	for i := 0; i < len(src); i++ {
		switch c := src[i]; c {
		case '\n':
			lines = append(lines, i+1)
		case '\r':
			if i+1 < len(src) && src[i+1] == '\n' {
				i++
			}
			lines = append(lines, i+1)
		case 0xC2:
			if i+1 < len(src) && src[i+1] == 0x85 {
				i++
				lines = append(lines, i+1)
			}
		case 0xE2:
			if i+2 < len(src) && src[i+1] == 0x80 && (src[i+2] == 0xA8 || src[i+2] == 0xA9) {
				i += 2
				lines = append(lines, i+1)
			}
		}
	}
	return lines
}

// FileSet is a set of source files sharing one Pos space. It is safe for
// concurrent use.
type FileSet struct {
	mu    sync.RWMutex
	base  int
	files []*File
	last  *File
}

// NewFileSet returns an empty FileSet.
func NewFileSet() *FileSet { return &FileSet{base: 1} }

// AddFile adds a file with the given name and content. The content is kept
// by reference.
func (s *FileSet) AddFile(name string, src []byte) *File {
	s.mu.Lock()
	defer s.mu.Unlock()
	f := &File{name: name, base: s.base, src: src}
	s.base += len(src) + 1 // +1 so that the EOF position is unique
	s.files = append(s.files, f)
	s.last = f
	return f
}

// File returns the file containing p, or nil.
func (s *FileSet) File(p Pos) *File {
	if !p.IsValid() {
		return nil
	}
	s.mu.RLock()
	defer s.mu.RUnlock()
	if f := s.last; f != nil && f.base <= int(p) && int(p) <= f.base+len(f.src) {
		return f
	}
	i := sort.Search(len(s.files), func(i int) bool { return s.files[i].base > int(p) }) - 1
	if i >= 0 {
		f := s.files[i]
		if int(p) <= f.base+len(f.src) {
			return f
		}
	}
	return nil
}

// Position returns the printable position of p, or the zero Position.
func (s *FileSet) Position(p Pos) Position {
	if f := s.File(p); f != nil {
		return f.Position(p)
	}
	return Position{}
}
