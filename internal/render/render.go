package render

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"io/fs"
	"path"
	"slices"
	"strings"
	"text/template"

	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/templates"
)

// File is one file of a tenant's package.
type File struct {
	Name string // file name at the top level of the package
	Data []byte
	// Source names the template or project file it came from, for messages.
	Source string
}

// Result is the rendered package content of one tenant.
type Result struct {
	Tenant *project.Tenant
	Kind   string
	// Section is the name of the section document among Files (<Kind>.pq).
	Section string
	// Files are sorted by name.
	Files []File
}

// Data is what every template receives.
type Data struct {
	Connector project.Connector
	Tenant    *project.Tenant
	// Kind is the tenant's DataSource.Kind and section name.
	Kind string
	Auth Auth
}

// Renderer renders the tenants of one project. It is safe for concurrent use.
type Renderer struct {
	proj     *project.Project
	profiles map[string]*IDPProfile
	// sections holds the section template joined with each auth pattern's
	// template (as "auth"), by pattern.
	sections map[string]*template.Template
	files    []packageFile
	// sectionSize is the section template's size, a good first guess
	// for a rendered section's.
	sectionSize int
}

type packageFile struct {
	src  string // project path
	name string // package name
	tmpl *template.Template
	data []byte // static content, when tmpl is nil
}

// Funcs are the template helpers: M-safe quoting and XML escaping.
var Funcs = template.FuncMap{
	"mtext":   MText,
	"mident":  MIdent,
	"mlist":   MList,
	"mrecord": MRecord,
	"xml":     xmlText,
}

func xmlText(s string) (string, error) {
	var b strings.Builder
	if err := xml.EscapeText(&b, []byte(s)); err != nil {
		return "", err
	}
	return b.String(), nil
}

// New prepares a renderer for p: it loads the built-in auth templates and
// IDP profiles (overridden by the project's templates folder, if any), and
// parses the project's templates, so template syntax errors surface once.
func New(p *project.Project) (*Renderer, error) {
	r := &Renderer{proj: p, profiles: map[string]*IDPProfile{}, sections: map[string]*template.Template{}}
	if err := loadProfiles(templates.FS, "idp", "templates", r.profiles); err != nil {
		return nil, err
	}
	authText := map[string]string{}
	if err := loadAuthTemplates(templates.FS, "auth", "templates", authText); err != nil {
		return nil, err
	}
	if dir := p.Connector.Templates; dir != "" {
		sub, err := fs.Sub(p.FS, dir)
		if err != nil {
			return nil, err
		}
		display := p.DisplayPath(dir)
		if err := loadProfiles(sub, "idp", display, r.profiles); err != nil {
			return nil, err
		}
		if err := loadAuthTemplates(sub, "auth", display, authText); err != nil {
			return nil, err
		}
	}

	secName := p.Connector.Section
	secText, err := fs.ReadFile(p.FS, secName)
	if err != nil {
		return nil, err
	}
	r.sectionSize = len(secText)
	section, err := template.New(p.DisplayPath(secName)).Funcs(Funcs).Option("missingkey=error").Parse(string(secText))
	if err != nil {
		return nil, err
	}
	for _, pattern := range project.Patterns {
		text, ok := authText[pattern]
		if !ok {
			return nil, fmt.Errorf("no auth template for pattern %s (templates/auth/%s.pq.tmpl)", pattern, pattern)
		}
		t, err := section.Clone()
		if err != nil {
			return nil, err
		}
		name, body, _ := strings.Cut(text, "\n")
		at, err := t.New(name).Parse(body)
		if err != nil {
			return nil, err
		}
		if _, err := t.AddParseTree("auth", at.Tree); err != nil {
			return nil, err
		}
		r.sections[pattern] = t
	}

	names, err := p.PackageFiles()
	if err != nil {
		return nil, err
	}
	for _, src := range names {
		data, err := fs.ReadFile(p.FS, src)
		if err != nil {
			return nil, err
		}
		f := packageFile{src: src, name: path.Base(src), data: data}
		if strings.HasSuffix(src, ".tmpl") {
			f.name = strings.TrimSuffix(f.name, ".tmpl")
			f.tmpl, err = template.New(p.DisplayPath(src)).Funcs(Funcs).Option("missingkey=error").Parse(string(data))
			if err != nil {
				return nil, err
			}
			f.data = nil
		}
		r.files = append(r.files, f)
	}
	return r, nil
}

// loadAuthTemplates reads dir/*.pq.tmpl into texts by pattern name. Each
// text is prefixed with its display name and a newline, which New splits off
// to name the parsed template, so errors point at the right file.
func loadAuthTemplates(fsys fs.FS, dir, display string, texts map[string]string) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.pq.tmpl"))
	if err != nil {
		return err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		pattern := strings.TrimSuffix(path.Base(name), ".pq.tmpl")
		texts[pattern] = path.Join(display, name) + "\n" + string(data)
	}
	return nil
}

// Profiles returns the IDP profiles known to the renderer, by name.
func (r *Renderer) Profiles() map[string]*IDPProfile { return r.profiles }

// Auth resolves a tenant's auth values (endpoints from its IDP profile,
// scopes, parameters) as its auth template receives them.
func (r *Renderer) Auth(t *project.Tenant) (Auth, error) {
	a, errs := resolveAuth(t, r.profiles)
	return a, errs.Err()
}

// Check reports problems with a tenant's auth values (unknown IDP profile,
// missing or misplaced profile values) as a project.ErrorList, without
// rendering anything.
func (r *Renderer) Check(t *project.Tenant) error {
	_, errs := resolveAuth(t, r.profiles)
	return errs.Err()
}

// Render renders one tenant's package files. Problems with the tenant's
// values are reported as a project.ErrorList naming the tenant file;
// template failures name the template.
func (r *Renderer) Render(t *project.Tenant) (*Result, error) {
	auth, errs := resolveAuth(t, r.profiles)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	data := &Data{Connector: r.proj.Connector, Tenant: t, Kind: t.Kind, Auth: auth}
	res := &Result{Tenant: t, Kind: t.Kind, Section: t.Kind + ".pq"}

	var buf bytes.Buffer
	buf.Grow(r.sectionSize + r.sectionSize/4)
	sec := r.sections[t.Auth.Pattern]
	if err := sec.Execute(&buf, data); err != nil {
		return nil, fmt.Errorf("rendering tenant %s (%s): %w", t.ID, t.File, err)
	}
	res.Files = append(res.Files, File{Name: res.Section, Data: bytes.Clone(buf.Bytes()), Source: sec.Name()})
	for _, f := range r.files {
		out := File{Name: f.name, Data: f.data, Source: r.proj.DisplayPath(f.src)}
		if f.tmpl != nil {
			buf.Reset()
			if err := f.tmpl.Execute(&buf, data); err != nil {
				return nil, fmt.Errorf("rendering tenant %s (%s): %w", t.ID, t.File, err)
			}
			out.Data = bytes.Clone(buf.Bytes())
		}
		res.Files = append(res.Files, out)
	}
	seen := map[string]string{}
	for _, f := range res.Files {
		key := strings.ToLower(f.Name)
		if prev, dup := seen[key]; dup {
			return nil, fmt.Errorf("tenant %s: package file %s comes from both %s and %s", t.ID, f.Name, prev, f.Source)
		}
		seen[key] = f.Source
	}
	slices.SortFunc(res.Files, func(a, b File) int { return strings.Compare(a.Name, b.Name) })
	return res, nil
}
