package lint

import (
	"fmt"
	"io/fs"
	"net/url"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/pqxdev/pqx/internal/archive"
)

// Source is one M source to check.
type Source struct {
	Name    string // display name: a path, or archive.mez!/Entry.pq
	Path    string // file on disk (the archive for an archive entry)
	Entry   string // entry name inside the archive, or ""
	Content []byte
}

// MaxSourceFileSize bounds one M file read from disk.
const MaxSourceFileSize = 64 << 20

// IsMFile reports whether name is an M source by its extension: .pq
// (including .query.pq and .test.pq), .pqm or .m.
func IsMFile(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".pq", ".pqm", ".m":
		return true
	}
	return false
}

// IsArchive reports whether name is a connector package (.mez or .pqx).
func IsArchive(name string) bool {
	switch strings.ToLower(filepath.Ext(name)) {
	case ".mez", ".pqx":
		return true
	}
	return false
}

// Expand resolves command-line paths into files, in order and without
// duplicates: a file is taken as is; a directory contributes its M files
// recursively (skipping hidden directories, bin and obj); a pattern with
// * ? [ { is matched with doublestar (** crosses directories) and
// contributes M files and archives. A path that does not exist, a folder
// without M files, or a pattern without matches, is an error.
func Expand(paths []string) ([]string, error) {
	var out []string
	seen := map[string]bool{}
	add := func(p string) {
		if !seen[p] {
			seen[p] = true
			out = append(out, p)
		}
	}
	for _, arg := range paths {
		if strings.ContainsAny(arg, "*?[{") {
			if _, err := os.Stat(arg); err != nil {
				matches, err := doublestar.FilepathGlob(arg, doublestar.WithFilesOnly())
				if err != nil {
					return nil, fmt.Errorf("bad pattern %q: %v", arg, err)
				}
				n := 0
				for _, m := range matches {
					if IsMFile(m) || IsArchive(m) {
						add(m)
						n++
					}
				}
				if n == 0 {
					return nil, fmt.Errorf("%s: no M files or archives match", arg)
				}
				continue
			}
		}
		fi, err := os.Stat(arg)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			add(arg)
			continue
		}
		var found []string
		err = filepath.WalkDir(arg, func(p string, d fs.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() {
				name := d.Name()
				if p != arg && (strings.HasPrefix(name, ".") || name == "bin" || name == "obj" || name == "node_modules") {
					return filepath.SkipDir
				}
				return nil
			}
			if d.Type().IsRegular() && IsMFile(p) {
				found = append(found, p)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		if len(found) == 0 {
			return nil, fmt.Errorf("%s: no M files (.pq, .pqm, .m) in this folder", arg)
		}
		sort.Strings(found)
		for _, f := range found {
			add(f)
		}
	}
	return out, nil
}

// Load reads the sources of one expanded path: the file itself, or every M
// entry of a .mez/.pqx archive (read through internal/archive, which bounds
// entry count and sizes and rejects hostile names).
func Load(path string) ([]Source, error) {
	if IsArchive(path) {
		return loadArchive(path)
	}
	fi, err := os.Stat(path)
	if err != nil {
		return nil, err
	}
	if fi.Size() > MaxSourceFileSize {
		return nil, fmt.Errorf("%s: file is %d bytes; the limit for an M source is %d", path, fi.Size(), MaxSourceFileSize)
	}
	b, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	return []Source{{Name: path, Path: path, Content: b}}, nil
}

func loadArchive(path string) ([]Source, error) {
	r, err := archive.Open(path, archive.Limits{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	var out []Source
	for _, e := range r.Entries {
		if e.IsDir() {
			continue
		}
		// .pqx part names are percent-escaped (a space is %20).
		name := e.Name
		if u, err := url.PathUnescape(name); err == nil && strings.HasSuffix(strings.ToLower(path), ".pqx") {
			name = u
		}
		if !IsMFile(name) {
			continue
		}
		b, err := e.ReadAll()
		if err != nil {
			return nil, fmt.Errorf("%s: %s: %w", path, e.Name, err)
		}
		out = append(out, Source{Name: path + "!/" + name, Path: path, Entry: e.Name, Content: b})
	}
	if len(out) == 0 {
		return nil, fmt.Errorf("%s: the archive holds no M sources (.pq, .pqm, .m)", path)
	}
	return out, nil
}

// Result is the outcome of linting several paths.
type Result struct {
	Files       int
	Diagnostics []Diagnostic
}

// Errors returns the number of error diagnostics.
func (r *Result) Errors() int { e, _ := CountBySeverity(r.Diagnostics); return e }

// Run expands paths, loads every source and lints it. I/O problems (a
// missing path, an unreadable or malformed archive) are returned as an
// error before any linting happens.
func Run(paths []string, cfg Config) (*Result, error) {
	files, err := Expand(paths)
	if err != nil {
		return nil, err
	}
	var srcs []Source
	for _, f := range files {
		s, err := Load(f)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, s...)
	}
	res := &Result{Files: len(srcs)}
	for _, s := range srcs {
		res.Diagnostics = append(res.Diagnostics, Lint(s.Name, s.Content, cfg)...)
	}
	return res, nil
}
