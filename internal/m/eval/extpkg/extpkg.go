// Package extpkg loads a Power Query connector for evaluation: from a
// project directory (the single *.pq section document, resources.resx and
// every other file) or from a built .mez/.pqx package (a zip archive read
// with the bounded reader of internal/archive). The result feeds the
// eval.Host hooks Extension.Contents and Extension.LoadString.
package extpkg

import (
	"encoding/xml"
	"fmt"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
	"io/fs"
	"net/url"
	"os"
	"path"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"sync/atomic"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/m/eval"
)

// Bounds for loading a directory, matching the archive reader's defaults.
const (
	maxFiles     = 4096
	maxTotalSize = 256 << 20
)

// Extension is a loaded connector.
type Extension struct {
	// Path is the directory or package file it came from.
	Path string
	// SectionFile names the section document (relative to Path).
	SectionFile string
	// Section is the source of the section document.
	Section []byte
	// Files holds every file by its slash-separated relative path; files
	// are also reachable by base name for Extension.Contents.
	Files map[string][]byte
	// Strings holds the resources.resx entries.
	Strings map[string]string

	// The section parsed once, for NewEnvironment's environments.
	parseOnce sync.Once
	parsed    atomic.Pointer[parsedSection]
}

type parsedSection struct {
	fset *token.FileSet
	doc  *ast.SectionDocument
	err  error
}

// Load reads a connector directory or a .mez/.pqx package.
func Load(p string) (*Extension, error) {
	fi, err := os.Stat(p)
	if err != nil {
		return nil, err
	}
	var files map[string][]byte
	if fi.IsDir() {
		files, err = readDir(p)
	} else {
		files, err = readZip(p)
	}
	if err != nil {
		return nil, err
	}
	x := &Extension{Path: p, Files: files, Strings: map[string]string{}}
	var sections []string
	for name := range files {
		if isSectionFile(name) {
			sections = append(sections, name)
		}
	}
	sort.Strings(sections)
	switch len(sections) {
	case 0:
		return nil, fmt.Errorf("%s: no section document (*.pq) found", p)
	case 1:
	default:
		return nil, fmt.Errorf("%s: more than one section document: %s", p, strings.Join(sections, ", "))
	}
	x.SectionFile = sections[0]
	x.Section = files[sections[0]]
	if resx, ok := files["resources.resx"]; ok {
		if x.Strings, err = ParseResx(resx); err != nil {
			return nil, fmt.Errorf("%s: resources.resx: %w", p, err)
		}
	}
	return x, nil
}

// isSectionFile reports whether name is the connector's section document,
// by MakePQX's rule: a top-level .pq (or .m) file that is not a test query
// (.query.pq, .test.pq, .testconnection.pq).
func isSectionFile(name string) bool {
	lower := strings.ToLower(name)
	if strings.Contains(name, "/") {
		return false
	}
	for _, test := range []string{".query.pq", ".test.pq", ".testconnection.pq"} {
		if strings.HasSuffix(lower, test) {
			return false
		}
	}
	return strings.HasSuffix(lower, ".pq") || strings.HasSuffix(lower, ".m")
}

func readDir(root string) (map[string][]byte, error) {
	files := map[string][]byte{}
	total := 0
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		rel = filepath.ToSlash(rel)
		if d.IsDir() {
			if rel != "." && (strings.HasPrefix(d.Name(), ".") || d.Name() == "bin" || d.Name() == "obj" || d.Name() == "node_modules") {
				return filepath.SkipDir
			}
			return nil
		}
		if !d.Type().IsRegular() {
			return nil
		}
		if len(files) >= maxFiles {
			return fmt.Errorf("%s: more than %d files", root, maxFiles)
		}
		data, err := os.ReadFile(p)
		if err != nil {
			return err
		}
		total += len(data)
		if total > maxTotalSize {
			return fmt.Errorf("%s: files exceed %d bytes", root, maxTotalSize)
		}
		files[rel] = data
		return nil
	})
	return files, err
}

func readZip(p string) (map[string][]byte, error) {
	r, err := archive.Open(p, archive.Limits{})
	if err != nil {
		return nil, err
	}
	defer r.Close()
	files := map[string][]byte{}
	// A .pqx is an OPC package: parts are the .mez entries with escaped
	// names, plus content types, relationships and signature parts.
	opc := r.Lookup("[Content_Types].xml") != nil
	for _, e := range r.Entries {
		if e.IsDir() || strings.HasPrefix(e.Name, "_rels/") || strings.HasPrefix(e.Name, "package/") ||
			e.Name == "[Content_Types].xml" {
			continue
		}
		data, err := e.ReadAll()
		if err != nil {
			return nil, err
		}
		name := e.Name
		if opc {
			if u, err := url.PathUnescape(name); err == nil {
				name = u
			}
		}
		files[name] = data
	}
	return files, nil
}

// ParseResx reads the name/value string entries of a .resx file.
func ParseResx(data []byte) (map[string]string, error) {
	var doc struct {
		Data []struct {
			Name  string `xml:"name,attr"`
			Type  string `xml:"type,attr"`
			Value string `xml:"value"`
		} `xml:"data"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	out := make(map[string]string, len(doc.Data))
	for _, d := range doc.Data {
		if d.Type != "" && !strings.HasPrefix(d.Type, "System.String") {
			continue
		}
		out[d.Name] = d.Value
	}
	return out, nil
}

// File returns a package file for Extension.Contents: by relative path, or
// by base name when exactly one file has it.
func (x *Extension) File(name string) ([]byte, bool) {
	if d, ok := x.Files[name]; ok {
		return d, true
	}
	var found []byte
	n := 0
	for p, d := range x.Files {
		if path.Base(p) == name {
			found = d
			n++
		}
	}
	return found, n == 1
}

// Configure sets h's package hooks (Files, Strings) to serve x.
func (x *Extension) Configure(h *eval.Host) {
	h.Files = x.File
	h.Strings = x.Strings
}

// LoadInto loads the section document into th's environment. In an
// environment from NewEnvironment the section is parsed only once however
// many evaluations load it, as a host running each OAuth function in its own
// evaluation does.
func (x *Extension) LoadInto(th *eval.Thread) (*eval.Section, error) {
	name := x.sourceName()
	if p, env := x.parsed.Load(), th.Environment(); p != nil && env.FileSet() == p.fset {
		if p.err != nil {
			return nil, p.err
		}
		return env.LoadSection(th, p.doc)
	}
	return th.LoadSectionSource(name, x.Section)
}

// NewEnvironment returns a fresh environment whose file set holds the
// extension's parsed section, so that LoadInto does not parse it again.
func (x *Extension) NewEnvironment() *eval.Environment {
	x.parseOnce.Do(func() {
		p := &parsedSection{fset: token.NewFileSet()}
		name := x.sourceName()
		doc, err := parser.ParseFile(p.fset, name, x.Section, 0)
		if sd, ok := doc.(*ast.SectionDocument); err == nil && ok {
			p.doc = sd
		} else if err == nil {
			err = fmt.Errorf("%s: not a section document (it has no 'section Name;' header)", name)
		}
		p.err = err
		x.parsed.Store(p)
	})
	return eval.NewEnvironmentFileSet(x.parsed.Load().fset)
}

// sourceName names the section document in positions and messages.
func (x *Extension) sourceName() string {
	if fi, err := os.Stat(x.Path); err == nil && fi.IsDir() {
		return filepath.Join(x.Path, x.SectionFile)
	}
	return x.Path + "!" + x.SectionFile
}

// Kind returns the data source kind declared by the section: the
// DataSource.Kind attribute of its first member that has one.
func Kind(s *eval.Section) string {
	for _, m := range s.Doc.Members {
		if a := s.MemberAttrs[m.Name.Name]; a != nil {
			if t, ok := a.GetEager("DataSource.Kind").(eval.Text); ok {
				return t.S
			}
		}
	}
	return ""
}
