// Package build runs the per-tenant build of a connector project: render
// each selected tenant, check that its M parses, package it as .mez and
// .pqx, write the outputs atomically, and describe everything in a
// manifest. Tenants build in parallel; one tenant's failure does not stop
// the others.
package build

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"runtime"
	"slices"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"golang.org/x/sync/errgroup"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/lint/rules"
	"github.com/pqxdev/pqx/internal/m/parser"
	"github.com/pqxdev/pqx/internal/m/token"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/provenance"
	"github.com/pqxdev/pqx/internal/render"
	"github.com/pqxdev/pqx/internal/sign"
	"github.com/pqxdev/pqx/templates"
)

// Formats are the package formats a build can write.
var Formats = []string{"mez", "pqx"}

// ManifestFile is the manifest's name in the output folder.
const ManifestFile = "manifest.json"

// Options control a build.
type Options struct {
	// OutDir receives <tenant>/<Kind>.mez|.pqx and manifest.json.
	OutDir string
	// Tenants are glob patterns over tenant ids; empty selects all.
	Tenants []string
	// Shard selects every Shards-th tenant starting at Shard (1-based) of
	// the sorted selection, so CI matrix jobs split a project between them.
	// Zero Shards means no sharding.
	Shard, Shards int
	// Formats to write; empty means all.
	Formats []string
	// ModTime is the timestamp written into packages (see mez.ModTime).
	ModTime time.Time
	// Workers bounds parallel tenant builds; zero means GOMAXPROCS.
	Workers int
	// Version is the pqx version recorded in the manifest.
	Version string
	// Progress, if set, is called after each tenant finishes.
	Progress func(done, total int)
	// Checks run on each rendered tenant before packaging (lint rules, for
	// example). An error fails the tenant.
	Checks []func(*render.Result) error

	// NoLint skips the connector rules (internal/lint/rules) that otherwise
	// run over every selected tenant before packaging; a tenant with a lint
	// error is not packaged.
	NoLint bool

	// Signer, if set, signs every .pqx (MakePQX-style OPC signature) with
	// SignOptions; the manifest records the signer's thumbprint.
	Signer      sign.Signer
	SignOptions sign.Options

	cache   *mez.DeflateCache // shared by the tenants of one Run
	builder provenance.Builder
}

// Manifest describes a build's outputs. It holds no timestamps, so two
// builds of the same inputs give the same manifest.
type Manifest struct {
	PQXVersion string         `json:"pqx_version"`
	Connector  string         `json:"connector"`
	Version    string         `json:"version"`
	Shard      string         `json:"shard,omitempty"`
	Tenants    []*TenantBuild `json:"tenants"`
	// Provenance records the pqx that built, its modules and the digests
	// of every input file.
	Provenance *provenance.Provenance `json:"provenance,omitempty"`
}

// TenantBuild is one tenant's entry in the manifest.
type TenantBuild struct {
	Tenant  string     `json:"tenant"`
	Kind    string     `json:"kind"`
	Source  string     `json:"source"` // the tenant file
	Files   []FileInfo `json:"files,omitempty"`
	Outputs []Output   `json:"outputs,omitempty"`
	// Lint holds the tenant's lint findings, compiler-style.
	Lint  []string `json:"lint,omitempty"`
	Error string   `json:"error,omitempty"`
}

// FileInfo describes one file inside the packages.
type FileInfo struct {
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// Output describes one written package.
type Output struct {
	Format string `json:"format"`
	Path   string `json:"path"` // relative to the output folder, with /
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
	// Thumbprint is the SHA-1 thumbprint (upper-case hex) of the
	// certificate that signed a .pqx; empty when unsigned.
	Thumbprint string `json:"signer_thumbprint,omitempty"`
}

// Failed reports whether any tenant failed.
func (m *Manifest) Failed() bool {
	for _, t := range m.Tenants {
		if t.Error != "" {
			return true
		}
	}
	return false
}

// UsageError is a problem with the options (no tenant selected, a bad
// format): nothing was built.
type UsageError struct{ Msg string }

func (e *UsageError) Error() string { return e.Msg }

// Select returns the tenants chosen by the Tenants patterns and the shard.
func Select(p *project.Project, opt *Options) ([]*project.Tenant, error) {
	for _, pat := range opt.Tenants {
		if !doublestar.ValidatePattern(pat) {
			return nil, &UsageError{fmt.Sprintf("invalid --tenant pattern %q", pat)}
		}
	}
	var sel []*project.Tenant
	for _, t := range p.Tenants {
		if len(opt.Tenants) == 0 || slices.ContainsFunc(opt.Tenants, func(pat string) bool {
			ok, _ := doublestar.Match(pat, t.ID)
			return ok
		}) {
			sel = append(sel, t)
		}
	}
	if len(sel) == 0 {
		ids := make([]string, len(p.Tenants))
		for i, t := range p.Tenants {
			ids[i] = t.ID
		}
		return nil, &UsageError{fmt.Sprintf("no tenant matches %s (tenants: %s)", strings.Join(opt.Tenants, ", "), strings.Join(ids, ", "))}
	}
	if opt.Shards > 0 {
		if opt.Shard < 1 || opt.Shard > opt.Shards {
			return nil, &UsageError{fmt.Sprintf("shard %d/%d: the shard number must be between 1 and %d", opt.Shard, opt.Shards, opt.Shards)}
		}
		var shard []*project.Tenant
		for i, t := range sel {
			if i%opt.Shards == opt.Shard-1 {
				shard = append(shard, t)
			}
		}
		sel = shard // may be empty: more shards than tenants is not an error
	}
	return sel, nil
}

// ParseShard parses "i/n" (1 ≤ i ≤ n).
func ParseShard(s string) (i, n int, err error) {
	a, b, ok := strings.Cut(s, "/")
	i, err1 := strconv.Atoi(a)
	n, err2 := strconv.Atoi(b)
	if !ok || err1 != nil || err2 != nil || n < 1 || i < 1 || i > n {
		return 0, 0, &UsageError{fmt.Sprintf("--shard %q must be i/n with 1 ≤ i ≤ n (e.g. 2/4)", s)}
	}
	return i, n, nil
}

// Run builds the selected tenants of p and writes the manifest. It returns
// the manifest even when tenants failed (see Manifest.Failed); an error
// means the build could not run at all.
func Run(ctx context.Context, p *project.Project, opt Options) (*Manifest, error) {
	formats := opt.Formats
	if len(formats) == 0 {
		formats = Formats
	}
	for _, f := range formats {
		if !slices.Contains(Formats, f) {
			return nil, &UsageError{fmt.Sprintf("unknown format %q (formats: %s)", f, strings.Join(Formats, ", "))}
		}
	}
	tenants, err := Select(p, &opt)
	if err != nil {
		return nil, err
	}
	r, err := render.New(p)
	if err != nil {
		return nil, err
	}
	// Configuration problems of any selected tenant stop the build before
	// anything is written, all reported at once like project errors.
	var cfgErrs project.ErrorList
	for _, t := range tenants {
		var el project.ErrorList
		if errors.As(r.Check(t), &el) {
			cfgErrs = append(cfgErrs, el...)
		}
	}
	if err := cfgErrs.Err(); err != nil {
		return nil, &UsageError{err.Error()}
	}
	opt.cache = new(mez.DeflateCache)
	m := &Manifest{PQXVersion: opt.Version, Connector: p.Connector.Name, Version: p.Connector.Version}
	opt.builder = provenance.CurrentBuilder(opt.Version)
	inputs, err := provenance.ProjectInputs(p, templates.FS)
	if err != nil {
		return nil, err
	}
	if m.Provenance, err = provenance.New(opt.builder, inputs); err != nil {
		return nil, err
	}
	if opt.Shards > 0 {
		m.Shard = fmt.Sprintf("%d/%d", opt.Shard, opt.Shards)
	}
	m.Tenants = make([]*TenantBuild, len(tenants))
	var findings map[string][]string
	var lintErrs map[string]int
	if !opt.NoLint {
		findings, lintErrs = lintTenants(r, tenants)
	}

	workers := opt.Workers
	if workers <= 0 {
		workers = runtime.GOMAXPROCS(0)
	}
	g, ctx := errgroup.WithContext(ctx)
	g.SetLimit(workers)
	var mu sync.Mutex
	done := 0
	for i, t := range tenants {
		g.Go(func() error {
			tb := &TenantBuild{Tenant: t.ID, Kind: t.Kind, Source: t.File, Lint: findings[t.ID]}
			if err := ctx.Err(); err != nil {
				return err
			}
			if n := lintErrs[t.ID]; n > 0 {
				tb.Error = fmt.Sprintf("%d lint error(s); fix them or build with --no-lint", n)
			} else if err := buildTenant(r, t, formats, &opt, m, tb); err != nil {
				tb.Error = err.Error()
			}
			m.Tenants[i] = tb
			if opt.Progress != nil {
				mu.Lock()
				done++
				opt.Progress(done, len(tenants))
				mu.Unlock()
			}
			return nil
		})
	}
	if err := g.Wait(); err != nil {
		return nil, err
	}
	sort.Slice(m.Tenants, func(i, j int) bool { return m.Tenants[i].Tenant < m.Tenants[j].Tenant })
	if err := WriteManifest(filepath.Join(opt.OutDir, ManifestFile), m); err != nil {
		return m, err
	}
	return m, nil
}

// Package renders one tenant, checks its M and returns its package bytes
// by format. It writes nothing.
func Package(r *render.Renderer, t *project.Tenant, formats []string, opt *Options) (*render.Result, map[string][]byte, error) {
	res, err := r.Render(t)
	if err != nil {
		return nil, nil, err
	}
	if err := CheckSyntax(res); err != nil {
		return nil, nil, err
	}
	for _, check := range opt.Checks {
		if err := check(res); err != nil {
			return nil, nil, err
		}
	}
	files := make([]mez.File, len(res.Files))
	for i, f := range res.Files {
		files[i] = mez.File{Name: f.Name, Data: f.Data}
	}
	// Both packages carry the same compressed streams, compressed once (and
	// once per build for files every tenant shares).
	prepared, err := mez.Prepare(files, mez.Options{Cache: opt.cache})
	if err != nil {
		return nil, nil, err
	}
	// Size the archives up front: compressed data plus headers, with room
	// for the .pqx's [Content_Types].xml.
	size := 4096
	for _, p := range prepared {
		size += len(p.Compressed) + 3*len(p.Name) + 200
	}
	out := map[string][]byte{}
	for _, format := range formats {
		var buf bytes.Buffer
		buf.Grow(size)
		switch format {
		case "mez":
			err = mez.WritePrepared(&buf, prepared, mez.Options{ModTime: opt.ModTime})
		case "pqx":
			err = opc.WritePrepared(&buf, prepared, opc.Options{ModTime: opt.ModTime})
		}
		if err != nil {
			return nil, nil, fmt.Errorf("packaging %s: %w", format, err)
		}
		out[format] = buf.Bytes()
	}
	return res, out, nil
}

func buildTenant(r *render.Renderer, t *project.Tenant, formats []string, opt *Options, m *Manifest, tb *TenantBuild) error {
	res, pkgs, err := Package(r, t, formats, opt)
	if err != nil {
		return err
	}
	for _, f := range res.Files {
		tb.Files = append(tb.Files, FileInfo{Name: f.Name, Size: len(f.Data), SHA256: sum(f.Data)})
	}
	dir := filepath.Join(opt.OutDir, t.ID)
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return err
	}
	for _, format := range formats {
		data := pkgs[format]
		o := Output{Format: format}
		if format == "pqx" && opt.Signer != nil {
			signed, r, err := sign.PackageResult(data, opt.Signer, opt.SignOptions)
			if err != nil {
				return fmt.Errorf("signing: %w", err)
			}
			data, o.Thumbprint = signed, r.Thumbprint
		}
		name := res.Kind + "." + format
		if err := atomicfile.WriteFileNoSync(filepath.Join(dir, name), data, 0o644); err != nil {
			return err
		}
		o.Path, o.Size, o.SHA256 = t.ID+"/"+name, len(data), sum(data)
		tb.Outputs = append(tb.Outputs, o)
		pkgs[format] = data
	}
	return writeSBOM(res, t, pkgs, opt, m, tb, dir)
}

// writeSBOM writes the tenant's CycloneDX SBOM (every package part with its
// hash) next to its packages and lists it among the outputs.
func writeSBOM(res *render.Result, t *project.Tenant, pkgs map[string][]byte, opt *Options, m *Manifest, tb *TenantBuild, dir string) error {
	in := provenance.TenantBuild{
		Connector: m.Connector, ConnectorVersion: m.Version,
		Tenant: t.ID, Kind: res.Kind, Builder: opt.builder,
	}
	in.TenantFile, _ = m.Provenance.Lookup(t.Path)
	data := pkgs["pqx"]
	if data == nil {
		data = pkgs["mez"]
	}
	var err error
	if in.Parts, err = provenance.ZipParts(data); err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	for _, o := range tb.Outputs {
		in.Artifacts = append(in.Artifacts, provenance.Artifact{Format: o.Format, Path: o.Path, Size: o.Size, SHA256: o.SHA256})
	}
	sbom, err := provenance.SBOM(in)
	if err != nil {
		return fmt.Errorf("sbom: %w", err)
	}
	name := res.Kind + provenance.SBOMSuffix
	if err := atomicfile.WriteFileNoSync(filepath.Join(dir, name), sbom, 0o644); err != nil {
		return err
	}
	tb.Outputs = append(tb.Outputs, Output{Format: "sbom", Path: t.ID + "/" + name, Size: len(sbom), SHA256: sum(sbom)})
	return nil
}

// lintTenants runs the connector rules over the rendered M of every tenant,
// together so that kind collisions across tenants are found too. It
// returns each tenant's findings (compiler-style text) and error counts.
// A tenant that does not render or parse is left to its own build, which
// reports the template and tenant behind the error.
func lintTenants(r *render.Renderer, tenants []*project.Tenant) (map[string][]string, map[string]int) {
	units := make([]rules.Unit, 0, len(tenants))
	for _, t := range tenants {
		res, err := r.Render(t)
		if err != nil {
			continue
		}
		u := rules.Unit{ID: t.ID}
		if t.AllowInsecureHTTP {
			u.Options = rules.Options{AllowHTTPHosts: []string{"*"}}
		}
		for _, f := range res.Files {
			if lint.IsMFile(f.Name) {
				u.Sources = append(u.Sources, lint.Source{Name: t.ID + "/" + f.Name, Content: f.Data})
			}
		}
		units = append(units, u)
	}
	res, errs := rules.LintUnits(units, lint.Config{})
	unparsed := map[string]bool{}
	for _, d := range res.Diagnostics {
		if d.Rule == lint.SyntaxRule {
			id, _, _ := strings.Cut(d.Pos.Filename, "/")
			unparsed[id] = true
			delete(errs, id)
		}
	}
	findings := map[string][]string{}
	for _, d := range res.Diagnostics {
		id, _, _ := strings.Cut(d.Pos.Filename, "/")
		if unparsed[id] {
			continue
		}
		var b strings.Builder
		_ = lint.WriteText(&b, []lint.Diagnostic{d})
		findings[id] = append(findings[id], strings.TrimRight(b.String(), "\n"))
	}
	return findings, errs
}

// CheckSyntax parses every M file of a rendered tenant and reports syntax
// errors with the template and tenant that produced them.
func CheckSyntax(res *render.Result) error {
	var msgs []string
	for _, f := range res.Files {
		if !strings.HasSuffix(f.Name, ".pq") && !strings.HasSuffix(f.Name, ".pqm") && !strings.HasSuffix(f.Name, ".m") {
			continue
		}
		fset := token.NewFileSet()
		if _, err := parser.ParseFile(fset, f.Name, f.Data, 0); err != nil {
			detail := err.Error()
			var d interface{ Detail() string }
			if errors.As(err, &d) {
				detail = d.Detail()
			}
			msgs = append(msgs, fmt.Sprintf("rendered %s (from %s with tenant %s) does not parse:\n%s",
				f.Name, f.Source, res.Tenant.File, strings.TrimRight(detail, "\n")))
		}
	}
	if len(msgs) > 0 {
		return errors.New(strings.Join(msgs, "\n"))
	}
	return nil
}

// WriteManifest writes m as indented JSON, atomically.
func WriteManifest(path string, m *Manifest) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	data, err := marshalIndent(m)
	if err != nil {
		return err
	}
	return atomicfile.WriteFileNoSync(path, data, 0o644)
}

func sum(b []byte) string {
	h := sha256.Sum256(b)
	return hex.EncodeToString(h[:])
}

func runtimeProcs() int { return runtime.GOMAXPROCS(0) }
