package provenance_test

import (
	"archive/zip"
	"bytes"
	"context"
	"crypto/sha256"
	"debug/buildinfo"
	"encoding/hex"
	"encoding/json"
	"io"
	"io/fs"
	"os"
	"os/exec"
	"path/filepath"
	"runtime/debug"
	"strings"
	"testing"
	"testing/fstest"

	cdx "github.com/CycloneDX/cyclonedx-go"
	"github.com/google/go-cmp/cmp"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/build"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/provenance"
	"github.com/pqxdev/pqx/templates"
)

func TestBuilderFrom(t *testing.T) {
	info := &debug.BuildInfo{
		GoVersion: "go1.26.8",
		Main:      debug.Module{Path: "github.com/pqxdev/pqx", Version: "v1.2.3", Sum: "h1:main="},
		Deps: []*debug.Module{
			{Path: "golang.org/x/sync", Version: "v0.24.0", Sum: "h1:sync="},
			{Path: "github.com/urfave/cli/v2", Version: "v2.27.7", Sum: "h1:cli=",
				Replace: &debug.Module{Path: "../cli", Version: ""}},
		},
		Settings: []debug.BuildSetting{
			{Key: "GOOS", Value: "linux"},
			{Key: "-trimpath", Value: "true"},
			{Key: "CGO_ENABLED", Value: "0"},
			{Key: "vcs.revision", Value: "0123456789abcdef"},
			{Key: "vcs.time", Value: "2026-11-22T12:00:00Z"},
			{Key: "vcs.modified", Value: "true"},
			{Key: "-toolexec", Value: "/home/someone/bin/x"},
		},
	}
	got := provenance.BuilderFrom(info, "v1.2.3")
	want := provenance.Builder{
		Name: "pqx", Version: "v1.2.3", GoVersion: "go1.26.8",
		Path: "github.com/pqxdev/pqx", Sum: "h1:main=",
		VCSRevision: "0123456789abcdef", VCSTime: "2026-11-22T12:00:00Z", VCSModified: true,
		Settings: []provenance.Setting{{"-trimpath", "true"}, {"CGO_ENABLED", "0"}, {"GOOS", "linux"}},
		Modules: []provenance.Module{
			{Path: "github.com/urfave/cli/v2", Version: "v2.27.7", Sum: "h1:cli=", Replace: &provenance.Module{Path: "../cli"}},
			{Path: "golang.org/x/sync", Version: "v0.24.0", Sum: "h1:sync="},
		},
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("BuilderFrom (-want +got):\n%s", diff)
	}
	if b := provenance.BuilderFrom(nil, "devel"); b.Name != "pqx" || b.Version != "devel" || b.Modules != nil {
		t.Errorf("BuilderFrom(nil) = %+v", b)
	}
}

func TestCurrentBuilder(t *testing.T) {
	b := provenance.CurrentBuilder("devel")
	if b.Name != "pqx" || b.Version != "devel" || b.GoVersion == "" || b.Path != "github.com/pqxdev/pqx" {
		t.Errorf("builder = %+v", b)
	}
}

// TestBuilderOfRealBinary reads the build information of a real binary,
// since test binaries record no modules: testdata/bimain links go-cmp, which
// must be listed with its version and go.sum hash, and its build settings.
func TestBuilderOfRealBinary(t *testing.T) {
	bin := filepath.Join(t.TempDir(), "bimain")
	cmd := exec.Command("go", "build", "-o", bin, "./testdata/bimain")
	if out, err := cmd.CombinedOutput(); err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	info, err := buildinfo.ReadFile(bin)
	if err != nil {
		t.Fatal(err)
	}
	b := provenance.BuilderFrom(info, "v9.9.9")
	want := []provenance.Module{{Path: "github.com/google/go-cmp", Version: "v0.7.0"}}
	if len(b.Modules) == 1 {
		if !strings.HasPrefix(b.Modules[0].Sum, "h1:") {
			t.Errorf("go-cmp's sum %q is not a go.sum hash", b.Modules[0].Sum)
		}
		want[0].Sum = b.Modules[0].Sum
	}
	if diff := cmp.Diff(want, b.Modules); diff != "" {
		t.Errorf("modules (-want +got):\n%s", diff)
	}
	settings := map[string]string{}
	for _, s := range b.Settings {
		settings[s.Key] = s.Value
	}
	if settings["GOOS"] == "" || settings["GOARCH"] == "" || settings["-compiler"] != "gc" {
		t.Errorf("settings = %v", settings)
	}
	if _, ok := settings["CGO_CFLAGS"]; ok {
		t.Error("machine-specific settings are kept")
	}
}

func loadDefault(t *testing.T, fsys fs.FS) *project.Project {
	t.Helper()
	p, err := project.Load(fsys, "(embedded connector)")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestProjectInputs(t *testing.T) {
	p := loadDefault(t, connector.FS)
	inputs, err := provenance.ProjectInputs(p, templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	names := map[string]provenance.Input{}
	for _, in := range inputs {
		names[in.Name] = in
		if len(in.SHA256) != 64 {
			t.Errorf("%s: sha256 %q", in.Name, in.SHA256)
		}
	}
	for _, want := range []string{"connector.yaml", "OpenEHR.pq.tmpl", "resources.resx.tmpl", "icons/OpenEHR16.png", "tenants/ehrbase-basic.yaml", "tenants/dips-entra.yaml"} {
		if _, ok := names[want]; !ok {
			t.Errorf("inputs lack %s", want)
		}
	}
	var builtin int
	for n := range names {
		if strings.HasPrefix(n, provenance.BuiltinPrefix+"auth/") || strings.HasPrefix(n, provenance.BuiltinPrefix+"idp/") {
			builtin++
		}
	}
	if builtin < 2 {
		t.Errorf("%d built-in templates among inputs, want the auth templates and IDP profiles", builtin)
	}
	if _, ok := names["embed.go"]; ok {
		t.Error("embed.go is not an input")
	}
	data, _ := fs.ReadFile(connector.FS, "connector.yaml")
	if got := names["connector.yaml"]; got != provenance.HashInput("connector.yaml", data) {
		t.Errorf("connector.yaml input %+v", got)
	}

	// One changed byte in one tenant file changes that input and the
	// overall digest, nothing else.
	mod := fstest.MapFS{}
	err = fs.WalkDir(connector.FS, ".", func(path string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() {
			return err
		}
		b, err := fs.ReadFile(connector.FS, path)
		mod[path] = &fstest.MapFile{Data: b}
		return err
	})
	if err != nil {
		t.Fatal(err)
	}
	mod["tenants/ehrbase-basic.yaml"].Data = append(bytes.Clone(mod["tenants/ehrbase-basic.yaml"].Data), '\n')
	inputs2, err := provenance.ProjectInputs(loadDefault(t, mod), templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	b := provenance.Builder{Name: "pqx", Version: "v1"}
	p1, err := provenance.New(b, inputs)
	if err != nil {
		t.Fatal(err)
	}
	p2, err := provenance.New(b, inputs2)
	if err != nil {
		t.Fatal(err)
	}
	if p1.InputsSHA256 == p2.InputsSHA256 {
		t.Error("the inputs digest did not change with a tenant file")
	}
	var changed []string
	for i := range p1.Inputs {
		if p1.Inputs[i] != p2.Inputs[i] {
			changed = append(changed, p1.Inputs[i].Name)
		}
	}
	if !cmp.Equal(changed, []string{"tenants/ehrbase-basic.yaml"}) {
		t.Errorf("changed inputs = %v", changed)
	}
}

func TestNewSortsAndRejectsConflicts(t *testing.T) {
	a := provenance.HashInput("b.txt", []byte("b"))
	c := provenance.HashInput("a.txt", []byte("a"))
	p, err := provenance.New(provenance.Builder{}, []provenance.Input{a}, []provenance.Input{c, a})
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Inputs) != 2 || p.Inputs[0].Name != "a.txt" {
		t.Errorf("inputs = %+v", p.Inputs)
	}
	if in, ok := p.Lookup("b.txt"); !ok || in != a {
		t.Errorf("Lookup(b.txt) = %+v, %v", in, ok)
	}
	if _, ok := p.Lookup("c.txt"); ok {
		t.Error("Lookup(c.txt) found something")
	}
	// The digest is that of a sha256sum listing.
	if want := provenance.DigestInputs(p.Inputs); p.InputsSHA256 != want || len(want) != 64 {
		t.Errorf("digest %q", p.InputsSHA256)
	}
	_, err = provenance.New(provenance.Builder{}, []provenance.Input{a, provenance.HashInput("b.txt", []byte("B"))})
	if err == nil || !strings.Contains(err.Error(), "b.txt given twice") {
		t.Errorf("conflicting inputs: %v", err)
	}
}

// buildWithProvenance runs a real build of the default connector and
// derives what the manifest's provenance and the SBOMs would be, the way
// internal/build is meant to call this package.
func buildWithProvenance(t *testing.T, out string) (manifest []byte, sboms map[string][]byte, mans *build.Manifest) {
	t.Helper()
	p := loadDefault(t, connector.FS)
	m, err := build.Run(context.Background(), p, build.Options{OutDir: out, Version: "v1.2.3", Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	if m.Failed() {
		t.Fatalf("build failed: %+v", m.Tenants)
	}
	builder := provenance.CurrentBuilder("v1.2.3")
	inputs, err := provenance.ProjectInputs(p, templates.FS)
	if err != nil {
		t.Fatal(err)
	}
	prov, err := provenance.New(builder, inputs)
	if err != nil {
		t.Fatal(err)
	}
	sboms = map[string][]byte{}
	for _, tb := range m.Tenants {
		in := provenance.TenantBuild{
			Connector: m.Connector, ConnectorVersion: m.Version,
			Tenant: tb.Tenant, Kind: tb.Kind, Builder: builder,
		}
		in.TenantFile, _ = prov.Lookup(project.TenantsDir + "/" + tb.Tenant + ".yaml")
		for _, o := range tb.Outputs {
			in.Artifacts = append(in.Artifacts, provenance.Artifact{Format: o.Format, Path: o.Path, Size: o.Size, SHA256: o.SHA256})
			if o.Format == "pqx" {
				data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(o.Path)))
				if err != nil {
					t.Fatal(err)
				}
				if in.Parts, err = provenance.ZipParts(data); err != nil {
					t.Fatal(err)
				}
			}
		}
		sbom, err := provenance.SBOM(in)
		if err != nil {
			t.Fatal(err)
		}
		sboms[tb.Tenant] = sbom
	}
	manifest, err = json.MarshalIndent(struct {
		*build.Manifest
		Provenance *provenance.Provenance `json:"provenance"`
	}{m, prov}, "", "  ")
	if err != nil {
		t.Fatal(err)
	}
	return manifest, sboms, m
}

func TestStableAcrossIdenticalBuilds(t *testing.T) {
	m1, s1, _ := buildWithProvenance(t, t.TempDir())
	m2, s2, _ := buildWithProvenance(t, t.TempDir())
	if diff := cmp.Diff(string(m1), string(m2)); diff != "" {
		t.Errorf("manifests with provenance differ between identical builds:\n%s", diff)
	}
	if diff := cmp.Diff(s1, s2); diff != "" {
		t.Errorf("SBOMs differ between identical builds:\n%s", diff)
	}
	var doc map[string]any
	if err := json.Unmarshal(m1, &doc); err != nil {
		t.Fatal(err)
	}
	prov, _ := doc["provenance"].(map[string]any)
	builder, _ := prov["builder"].(map[string]any)
	if builder["version"] != "v1.2.3" || builder["go_version"] == "" || len(prov["inputs"].([]any)) < 10 || len(prov["inputs_sha256"].(string)) != 64 {
		t.Errorf("provenance fields missing: %v", prov)
	}
}

func TestSBOMListsEveryPart(t *testing.T) {
	out := t.TempDir()
	_, sboms, m := buildWithProvenance(t, out)
	if len(sboms) != len(m.Tenants) || len(sboms) < 5 {
		t.Fatalf("%d SBOMs for %d tenants", len(sboms), len(m.Tenants))
	}
	for _, tb := range m.Tenants {
		var bom cdx.BOM
		if err := cdx.NewBOMDecoder(bytes.NewReader(sboms[tb.Tenant]), cdx.BOMFileFormatJSON).Decode(&bom); err != nil {
			t.Fatalf("%s: the CycloneDX decoder rejects the SBOM: %v", tb.Tenant, err)
		}
		if bom.SpecVersion != provenance.SBOMSpecVersion || bom.BOMFormat != "CycloneDX" || !strings.HasPrefix(bom.SerialNumber, "urn:uuid:") {
			t.Errorf("%s: header %v %q %q", tb.Tenant, bom.SpecVersion, bom.BOMFormat, bom.SerialNumber)
		}
		if bom.Metadata == nil || bom.Metadata.Component == nil || bom.Metadata.Component.Name != tb.Kind || bom.Metadata.Component.Version != "1.0.0" {
			t.Fatalf("%s: metadata component %+v", tb.Tenant, bom.Metadata)
		}
		props := map[string]string{}
		for _, pr := range *bom.Metadata.Component.Properties {
			props[pr.Name] = pr.Value
		}
		tf, _ := fs.ReadFile(connector.FS, project.TenantsDir+"/"+tb.Tenant+".yaml")
		if want := provenance.HashInput("", tf).SHA256; props["pqx:tenant-file:sha256"] != want || props["pqx:tenant"] != tb.Tenant {
			t.Errorf("%s: properties %v, want the tenant file's sha256 %s", tb.Tenant, props, want)
		}
		if !strings.HasSuffix(props["pqx:artifact:pqx"], ".pqx") || len(props["pqx:artifact:mez:sha256"]) != 64 {
			t.Errorf("%s: artifact properties %v", tb.Tenant, props)
		}
		if bom.Metadata.Timestamp != "" {
			t.Errorf("%s: timestamp %q breaks reproducibility", tb.Tenant, bom.Metadata.Timestamp)
		}
		tools := bom.Metadata.Tools
		if tools == nil || tools.Components == nil || (*tools.Components)[0].Name != "pqx" || (*tools.Components)[0].Version != "v1.2.3" {
			t.Errorf("%s: tools %+v", tb.Tenant, tools)
		}
		// Every part of the actual .pqx, hashed here independently, is a
		// component with that hash; and nothing else is.
		var pqxPath string
		for _, o := range tb.Outputs {
			if o.Format == "pqx" {
				pqxPath = o.Path
			}
		}
		data, err := os.ReadFile(filepath.Join(out, filepath.FromSlash(pqxPath)))
		if err != nil {
			t.Fatal(err)
		}
		want := map[string]string{}
		for _, f := range zipEntries(t, data) {
			want[f.name] = f.sha
		}
		got := map[string]string{}
		for _, c := range *bom.Components {
			if c.Type != cdx.ComponentTypeFile || c.Hashes == nil || len(*c.Hashes) != 1 || (*c.Hashes)[0].Algorithm != cdx.HashAlgoSHA256 {
				t.Errorf("%s: component %+v", tb.Tenant, c)
				continue
			}
			got[c.Name] = (*c.Hashes)[0].Value
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("%s: SBOM parts differ from the package's (-package +sbom):\n%s", tb.Tenant, diff)
		}
		if _, ok := got["[Content_Types].xml"]; !ok {
			t.Errorf("%s: the OPC content types part is missing", tb.Tenant)
		}
		if _, ok := got[tb.Kind+".pq"]; !ok {
			t.Errorf("%s: the section document is missing", tb.Tenant)
		}
		// The package depends on every part.
		deps := (*bom.Dependencies)[0]
		if deps.Ref != bom.Metadata.Component.BOMRef || len(*deps.Dependencies) != len(got) {
			t.Errorf("%s: dependencies %+v", tb.Tenant, deps)
		}
	}
}

func TestSBOMSerialTracksContent(t *testing.T) {
	base := provenance.TenantBuild{
		Connector: "c", ConnectorVersion: "1.0.0", Tenant: "t", Kind: "K",
		Parts: []provenance.Part{{Name: "K.pq", Size: 1, SHA256: strings.Repeat("a", 64)}},
	}
	serial := func(tb provenance.TenantBuild) string {
		data, err := provenance.SBOM(tb)
		if err != nil {
			t.Fatal(err)
		}
		var bom cdx.BOM
		if err := json.Unmarshal(data, &bom); err != nil {
			t.Fatal(err)
		}
		return bom.SerialNumber
	}
	s1 := serial(base)
	if s1 != serial(base) {
		t.Error("serial is not stable")
	}
	changed := base
	changed.Parts = []provenance.Part{{Name: "K.pq", Size: 1, SHA256: strings.Repeat("b", 64)}}
	if serial(changed) == s1 {
		t.Error("serial did not change with a part's content")
	}
	bad := base
	bad.Parts = []provenance.Part{{Name: "K.pq", SHA256: "abc"}}
	if _, err := provenance.SBOM(bad); err == nil || !strings.Contains(err.Error(), "K.pq") {
		t.Errorf("bad hash: %v", err)
	}
	dup := base
	dup.Parts = append(append([]provenance.Part(nil), base.Parts...), base.Parts...)
	if _, err := provenance.SBOM(dup); err == nil || !strings.Contains(err.Error(), "twice") {
		t.Errorf("duplicate part: %v", err)
	}
}

func BenchmarkSBOM(b *testing.B) {
	tb := provenance.TenantBuild{Connector: "c", ConnectorVersion: "1.0.0", Tenant: "t", Kind: "K"}
	for i := range 12 {
		tb.Parts = append(tb.Parts, provenance.Part{Name: "part" + string(rune('a'+i)), Size: i, SHA256: strings.Repeat("0", 64)})
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := provenance.SBOM(tb); err != nil {
			b.Fatal(err)
		}
	}
}

func BenchmarkProjectInputs(b *testing.B) {
	p, err := project.Load(connector.FS, "(embedded connector)")
	if err != nil {
		b.Fatal(err)
	}
	b.ReportAllocs()
	for b.Loop() {
		if _, err := provenance.ProjectInputs(p, templates.FS); err != nil {
			b.Fatal(err)
		}
	}
}

type entry struct{ name, sha string }

// zipEntries hashes a package's entries with archive/zip directly, as a
// check independent of ZipParts.
func zipEntries(t *testing.T, data []byte) []entry {
	t.Helper()
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		t.Fatal(err)
	}
	var out []entry
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		b, err := io.ReadAll(rc)
		rc.Close()
		if err != nil {
			t.Fatal(err)
		}
		h := sha256.Sum256(b)
		out = append(out, entry{f.Name, hex.EncodeToString(h[:])})
	}
	return out
}
