// Package provenance describes where a pqx build came from, for
// dist/manifest.json: the pqx that built it (version, Go version, VCS
// revision and every module with its go.sum hash, from the build info the
// Go toolchain embeds), the SHA-256 of every input file (connector files,
// tenant files, templates), and a CycloneDX SBOM per tenant build listing
// every part of the connector package with its hash.
//
// Nothing here carries a timestamp or anything else that differs between
// two runs of the same pqx binary on the same inputs, so manifests and
// SBOMs stay reproducible.
//
// The package takes plain inputs (file systems, names, bytes, part lists)
// and imports neither internal/build nor internal/render, so that the
// build can import it.
package provenance

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io/fs"
	"path"
	"runtime/debug"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"

	"github.com/pqxdev/pqx/internal/project"
)

// Provenance is the manifest's provenance section.
type Provenance struct {
	// Builder is the pqx that ran the build.
	Builder Builder `json:"builder"`
	// InputsSHA256 is one digest over all inputs (their names and
	// digests), so two manifests can be compared at a glance.
	InputsSHA256 string `json:"inputs_sha256"`
	// Inputs are the files the build read, sorted by name.
	Inputs []Input `json:"inputs"`
}

// Builder describes the pqx binary, from runtime/debug build information.
type Builder struct {
	Name      string `json:"name"`
	Version   string `json:"version"`
	GoVersion string `json:"go_version,omitempty"`
	// Path and Sum identify the main module (Sum is empty for builds from
	// a source checkout).
	Path string `json:"path,omitempty"`
	Sum  string `json:"sum,omitempty"`
	// VCS fields are recorded for builds from a repository checkout.
	VCSRevision string `json:"vcs_revision,omitempty"`
	VCSTime     string `json:"vcs_time,omitempty"`
	VCSModified bool   `json:"vcs_modified,omitempty"`
	// Settings are the build settings that change the binary (CGO_ENABLED,
	// GOOS, GOARCH, -trimpath, -ldflags, ...), sorted by key.
	Settings []Setting `json:"settings,omitempty"`
	// Modules are the dependencies compiled in, sorted by path, with the
	// go.sum hash that pins their content.
	Modules []Module `json:"modules,omitempty"`
}

// Setting is one build setting.
type Setting struct {
	Key   string `json:"key"`
	Value string `json:"value"`
}

// Module is one dependency of the pqx binary.
type Module struct {
	Path    string  `json:"path"`
	Version string  `json:"version"`
	Sum     string  `json:"sum,omitempty"`
	Replace *Module `json:"replace,omitempty"`
}

// Input is one input file of a build.
type Input struct {
	// Name is the file's path in the project with forward slashes, or
	// "pqx:" followed by the path of a template built into pqx.
	Name   string `json:"name"`
	Size   int    `json:"size"`
	SHA256 string `json:"sha256"`
}

// CurrentBuilder describes the running binary; version is the version pqx
// reports (main.versionString), which may come from -ldflags.
func CurrentBuilder(version string) Builder {
	info, _ := debug.ReadBuildInfo()
	return BuilderFrom(info, version)
}

// settingsKept are the build settings that matter for reproducing a binary.
// Paths (-toolexec) or anything machine-specific are left out.
var settingsKept = map[string]bool{
	"-buildmode": true, "-compiler": true, "-ldflags": true, "-tags": true, "-trimpath": true,
	"CGO_ENABLED": true, "GOARCH": true, "GOOS": true, "GOAMD64": true, "GOARM64": true, "GOEXPERIMENT": true,
	"GOFIPS140": true,
}

// BuilderFrom describes the binary info comes from (nil when the binary
// carries no build information).
func BuilderFrom(info *debug.BuildInfo, version string) Builder {
	b := Builder{Name: "pqx", Version: version}
	if info == nil {
		return b
	}
	b.GoVersion = info.GoVersion
	b.Path = info.Main.Path
	b.Sum = info.Main.Sum
	for _, s := range info.Settings {
		switch s.Key {
		case "vcs.revision":
			b.VCSRevision = s.Value
		case "vcs.time":
			b.VCSTime = s.Value
		case "vcs.modified":
			b.VCSModified = s.Value == "true"
		default:
			if settingsKept[s.Key] {
				b.Settings = append(b.Settings, Setting{s.Key, s.Value})
			}
		}
	}
	sort.Slice(b.Settings, func(i, j int) bool { return b.Settings[i].Key < b.Settings[j].Key })
	for _, d := range info.Deps {
		b.Modules = append(b.Modules, module(d))
	}
	sort.Slice(b.Modules, func(i, j int) bool { return b.Modules[i].Path < b.Modules[j].Path })
	return b
}

func module(d *debug.Module) Module {
	m := Module{Path: d.Path, Version: d.Version, Sum: d.Sum}
	if d.Replace != nil {
		r := module(d.Replace)
		m.Replace = &r
	}
	return m
}

// HashInput describes one input file.
func HashInput(name string, data []byte) Input {
	h := sha256.Sum256(data)
	return Input{Name: name, Size: len(data), SHA256: hex.EncodeToString(h[:])}
}

// HashFiles reads and describes the named files of fsys, recording each as
// prefix+name.
func HashFiles(fsys fs.FS, prefix string, names []string) ([]Input, error) {
	out := make([]Input, 0, len(names))
	for _, n := range names {
		data, err := fs.ReadFile(fsys, n)
		if err != nil {
			return nil, fmt.Errorf("provenance: %w", err)
		}
		out = append(out, HashInput(prefix+n, data))
	}
	return out, nil
}

// HashGlob describes the files of fsys that match a doublestar pattern.
func HashGlob(fsys fs.FS, prefix, pattern string) ([]Input, error) {
	names, err := doublestar.Glob(fsys, pattern, doublestar.WithFilesOnly())
	if err != nil {
		return nil, fmt.Errorf("provenance: %s: %w", pattern, err)
	}
	return HashFiles(fsys, prefix, names)
}

// New returns the provenance of a build by builder from inputs, which it
// sorts by name and deduplicates (the same name twice must have the same
// content, or New fails).
func New(builder Builder, inputs ...[]Input) (*Provenance, error) {
	byName := map[string]Input{}
	for _, list := range inputs {
		for _, in := range list {
			if old, ok := byName[in.Name]; ok && old.SHA256 != in.SHA256 {
				return nil, fmt.Errorf("provenance: input %s given twice with different content", in.Name)
			}
			byName[in.Name] = in
		}
	}
	p := &Provenance{Builder: builder, Inputs: make([]Input, 0, len(byName))}
	for _, in := range byName {
		p.Inputs = append(p.Inputs, in)
	}
	sort.Slice(p.Inputs, func(i, j int) bool { return p.Inputs[i].Name < p.Inputs[j].Name })
	p.InputsSHA256 = DigestInputs(p.Inputs)
	return p, nil
}

// Lookup returns the input named name (as recorded: project-relative with
// forward slashes, e.g. "tenants/acme.yaml").
func (p *Provenance) Lookup(name string) (Input, bool) {
	i := sort.Search(len(p.Inputs), func(i int) bool { return p.Inputs[i].Name >= name })
	if i < len(p.Inputs) && p.Inputs[i].Name == name {
		return p.Inputs[i], true
	}
	return Input{}, false
}

// DigestInputs returns one SHA-256 over sorted inputs, in the form of a
// sha256sum listing ("<hex>  <name>\n" per file), so that it can be
// recomputed with standard tools.
func DigestInputs(inputs []Input) string {
	h := sha256.New()
	for _, in := range inputs {
		fmt.Fprintf(h, "%s  %s\n", in.SHA256, in.Name)
	}
	return hex.EncodeToString(h.Sum(nil))
}

// BuiltinPrefix marks inputs that are templates built into pqx.
const BuiltinPrefix = "pqx:"

// ProjectInputs describes every file of p a build may read: connector.yaml,
// the tenant files, the section template, the packaged files, the
// project's own templates folder and the project's tests; and, from
// builtin (pqx's embedded templates; nil to leave them out), every auth
// template and IDP profile, named with BuiltinPrefix.
func ProjectInputs(p *project.Project, builtin fs.FS) ([]Input, error) {
	var lists [][]Input
	add := func(l []Input, err error) error {
		if err != nil {
			return err
		}
		lists = append(lists, l)
		return nil
	}
	names := []string{project.ConfigFile}
	if p.Connector.Section != "" {
		names = append(names, p.Connector.Section)
	}
	files, err := p.PackageFiles()
	if err != nil {
		return nil, fmt.Errorf("provenance: %w", err)
	}
	names = append(names, files...)
	if err := add(HashFiles(p.FS, "", dedupe(names))); err != nil {
		return nil, err
	}
	if err := add(HashGlob(p.FS, "", project.TenantsDir+"/*.{yaml,yml}")); err != nil {
		return nil, err
	}
	for _, dir := range []string{p.Connector.Templates, p.Connector.Tests} {
		if dir == "" {
			continue
		}
		if err := add(HashGlob(p.FS, "", path.Clean(dir)+"/**")); err != nil {
			return nil, err
		}
	}
	if builtin != nil {
		if err := add(HashGlob(builtin, BuiltinPrefix, "**")); err != nil {
			return nil, err
		}
	}
	var all []Input
	for _, l := range lists {
		all = append(all, l...)
	}
	// Editor backups and the like are not inputs.
	out := all[:0]
	for _, in := range all {
		if !strings.HasSuffix(in.Name, "~") {
			out = append(out, in)
		}
	}
	return out, nil
}

func dedupe(names []string) []string {
	seen := map[string]bool{}
	out := names[:0]
	for _, n := range names {
		if !seen[n] {
			seen[n] = true
			out = append(out, n)
		}
	}
	return out
}
