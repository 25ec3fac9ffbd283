package mez

import (
	"bufio"
	"bytes"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// DefaultIgnore is the rule list MakePQX uses when the source directory has
// no .pqignore file or an empty one.
var DefaultIgnore = []string{"*.query.pq", "*.test.pq", "*.testconnection.pq", "*.mproj", "*.proj", "*.md"}

// AlwaysIgnore is added to the rules in every case.
var AlwaysIgnore = []string{"bin", "out", "obj", ".vs", ".vscode", ".idea", ".git"}

// IgnoreFile is the name of the per-directory rule file.
const IgnoreFile = ".pqignore"

// ErrNoSourceDir is wrapped by Collect's error for a missing directory.
var ErrNoSourceDir = errors.New("build source directory doesn't exist")

// ErrInvalidPattern is wrapped by errors for malformed .pqignore rules.
var ErrInvalidPattern = errors.New("invalid pattern")

// MaxFileSize bounds each collected file; connector files are small, and a
// stray multi-gigabyte file in the directory should be an error, not a hang.
const MaxFileSize = 64 << 20

// Collect selects and reads the files of srcDir that MakePQX "compile" would
// package:
//   - only the top-level regular files (directories are not descended into);
//   - filtered by gitignore-style rules: the lines of srcDir/.pqignore if
//     it has any rule, else DefaultIgnore; AlwaysIgnore is added either way
//     (a .pqignore replaces the defaults, so it must repeat "*.query.pq"
//     and the like if wanted);
//   - exactly one section document must remain (see SectionDocument).
//
// The files are returned sorted with SortFiles. Errors name the offending
// path; a missing directory wraps ErrNoSourceDir and a wrong number of
// section documents wraps ErrSectionDocument.
func Collect(dir string) ([]File, error) {
	fi, err := os.Stat(dir)
	if err != nil || !fi.IsDir() {
		return nil, fmt.Errorf("%w: %q", ErrNoSourceDir, dir)
	}
	rules, err := LoadIgnore(dir)
	if err != nil {
		return nil, err
	}
	ents, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var files []File
	var names []string
	for _, e := range ents {
		name := e.Name()
		full := filepath.Join(dir, name)
		if e.Type()&fs.ModeSymlink != 0 || !e.Type().IsRegular() {
			st, err := os.Stat(full)
			if err != nil || !st.Mode().IsRegular() {
				continue // directories, sockets, dangling links: not package content
			}
		}
		if rules.Ignored(name) {
			continue
		}
		names = append(names, name)
	}
	if _, err := SectionDocument(names); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	for _, name := range names {
		full := filepath.Join(dir, name)
		st, err := os.Stat(full)
		if err != nil {
			return nil, err
		}
		if st.Size() > MaxFileSize {
			return nil, fmt.Errorf("%s: %d bytes, larger than the %d MiB limit for a package file", full, st.Size(), MaxFileSize>>20)
		}
		data, err := os.ReadFile(full)
		if err != nil {
			return nil, err
		}
		files = append(files, File{Name: name, Data: data})
	}
	if err := ValidateNames(files); err != nil {
		return nil, fmt.Errorf("%s: %w", dir, err)
	}
	SortFiles(files)
	return files, nil
}

// Ignore is a list of gitignore-style rules, applied to top-level names.
type Ignore struct {
	rules []rule
}

type rule struct {
	pattern string // lower-cased, leading "/" removed
	negate  bool
	dirOnly bool
	file    string // where the rule came from, for messages
	line    int
}

// LoadIgnore returns the rules for dir: its .pqignore if it holds at least
// one rule, else DefaultIgnore, plus AlwaysIgnore. A malformed pattern is an
// error naming .pqignore:line.
func LoadIgnore(dir string) (*Ignore, error) {
	path := filepath.Join(dir, IgnoreFile)
	data, err := os.ReadFile(path)
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return nil, err
	}
	ig, err := ParseIgnore(path, data)
	if err != nil {
		return nil, err
	}
	if len(ig.rules) == 0 {
		ig, _ = ParseIgnore("default rules", []byte(strings.Join(DefaultIgnore, "\n")))
	}
	always, _ := ParseIgnore("always-ignored names", []byte(strings.Join(AlwaysIgnore, "\n")))
	ig.rules = append(ig.rules, always.rules...)
	return ig, nil
}

// ParseIgnore parses gitignore-style rules: blank lines and lines starting
// with "#" are skipped, "!" negates, a trailing "/" matches directories only,
// "\" escapes, trailing unescaped spaces are dropped. Matching is
// case-insensitive, as on the Windows file systems MakePQX runs on.
func ParseIgnore(file string, data []byte) (*Ignore, error) {
	ig := &Ignore{}
	sc := bufio.NewScanner(bytes.NewReader(data))
	sc.Buffer(nil, 1<<20)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSuffix(sc.Text(), "\r")
		if n == 1 {
			line = strings.TrimPrefix(line, "\ufeff")
		}
		for strings.HasSuffix(line, " ") && !strings.HasSuffix(line, `\ `) {
			line = line[:len(line)-1]
		}
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		r := rule{file: file, line: n}
		if strings.HasPrefix(line, "!") {
			r.negate, line = true, line[1:]
		}
		if strings.HasSuffix(line, "/") {
			r.dirOnly, line = true, strings.TrimSuffix(line, "/")
		}
		line = strings.TrimPrefix(line, "/")
		if strings.HasPrefix(line, `\#`) || strings.HasPrefix(line, `\!`) {
			line = line[1:]
		}
		if line == "" {
			continue
		}
		r.pattern = strings.ToLower(line)
		if !doublestar.ValidatePattern(r.pattern) {
			return nil, fmt.Errorf("%s:%d: %w %q", file, n, ErrInvalidPattern, sc.Text())
		}
		ig.rules = append(ig.rules, r)
	}
	if err := sc.Err(); err != nil {
		return nil, fmt.Errorf("%s: %v", file, err)
	}
	return ig, nil
}

// Ignored reports whether the top-level file name is excluded: the last
// matching rule decides, as in gitignore.
func (ig *Ignore) Ignored(name string) bool {
	name = strings.ToLower(name)
	ignored := false
	for _, r := range ig.rules {
		if r.dirOnly {
			continue // only files are collected
		}
		if ok, _ := doublestar.Match(r.pattern, name); ok {
			ignored = !r.negate
		}
	}
	return ignored
}
