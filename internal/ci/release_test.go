package ci

import (
	"os"
	"path/filepath"
	"regexp"
	"slices"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
)

// goreleaser itself needs a newer Go than pqx builds with (v2.18 requires
// Go ≥ 1.27), so `goreleaser check` cannot run here. This test checks the
// parts of .goreleaser.yaml that the release depends on, strictly: an
// unknown or misspelt key fails, as it would in goreleaser.

type grFile struct {
	Src         string `yaml:"src"`
	Dst         string `yaml:"dst"`
	StripParent bool   `yaml:"strip_parent"`
}

// UnmarshalYAML accepts a file entry as a glob string or a src/dst mapping.
func (f *grFile) UnmarshalYAML(b []byte) error {
	var s string
	if err := yaml.Unmarshal(b, &s); err == nil {
		f.Src = s
		return nil
	}
	type plain grFile
	return yaml.UnmarshalWithOptions(b, (*plain)(f), yaml.Strict())
}

type goreleaserConfig struct {
	Version     int    `yaml:"version"`
	ProjectName string `yaml:"project_name"`
	Before      struct {
		Hooks []string `yaml:"hooks"`
	} `yaml:"before"`
	Builds []struct {
		ID           string   `yaml:"id"`
		Main         string   `yaml:"main"`
		Binary       string   `yaml:"binary"`
		Env          []string `yaml:"env"`
		Goos         []string `yaml:"goos"`
		Goarch       []string `yaml:"goarch"`
		Flags        []string `yaml:"flags"`
		Ldflags      []string `yaml:"ldflags"`
		ModTimestamp string   `yaml:"mod_timestamp"`
	} `yaml:"builds"`
	Archives []struct {
		ID              string   `yaml:"id"`
		IDs             []string `yaml:"ids"`
		Formats         []string `yaml:"formats"`
		FormatOverrides []struct {
			Goos    string   `yaml:"goos"`
			Formats []string `yaml:"formats"`
		} `yaml:"format_overrides"`
		NameTemplate string   `yaml:"name_template"`
		Files        []grFile `yaml:"files"`
	} `yaml:"archives"`
	Checksum struct {
		NameTemplate string `yaml:"name_template"`
		Algorithm    string `yaml:"algorithm"`
	} `yaml:"checksum"`
	SBOMs []struct {
		ID        string   `yaml:"id"`
		Artifacts string   `yaml:"artifacts"`
		Documents []string `yaml:"documents"`
		Cmd       string   `yaml:"cmd"`
		Args      []string `yaml:"args"`
	} `yaml:"sboms"`
	Snapshot struct {
		VersionTemplate string `yaml:"version_template"`
	} `yaml:"snapshot"`
	Changelog struct {
		Sort    string `yaml:"sort"`
		Filters struct {
			Exclude []string `yaml:"exclude"`
		} `yaml:"filters"`
	} `yaml:"changelog"`
	Release struct {
		Draft      bool   `yaml:"draft"`
		Prerelease string `yaml:"prerelease"`
	} `yaml:"release"`
}

func TestGoreleaserConfig(t *testing.T) {
	root := filepath.Join("..", "..")
	data, err := os.ReadFile(filepath.Join(root, ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	var cfg goreleaserConfig
	if err := yaml.UnmarshalWithOptions(data, &cfg, yaml.Strict()); err != nil {
		t.Fatalf(".goreleaser.yaml: %v", err)
	}
	if cfg.Version != 2 || cfg.ProjectName != "pqx" {
		t.Errorf("version %d project %q", cfg.Version, cfg.ProjectName)
	}
	if len(cfg.Builds) != 1 {
		t.Fatalf("%d builds, want 1", len(cfg.Builds))
	}
	b := cfg.Builds[0]
	if _, err := os.Stat(filepath.Join(root, b.Main, "main.go")); err != nil {
		t.Errorf("build main %s: %v", b.Main, err)
	}
	slices.Sort(b.Goos)
	slices.Sort(b.Goarch)
	if !slices.Equal(b.Goos, []string{"darwin", "linux", "windows"}) || !slices.Equal(b.Goarch, []string{"amd64", "arm64"}) {
		t.Errorf("targets %v × %v", b.Goos, b.Goarch)
	}
	if !slices.Contains(b.Env, "CGO_ENABLED=0") || !slices.Contains(b.Flags, "-trimpath") {
		t.Errorf("static, trimmed binaries need CGO_ENABLED=0 and -trimpath: env %v flags %v", b.Env, b.Flags)
	}
	// -X main.version must name a string variable that exists.
	ld := strings.Join(b.Ldflags, " ")
	if !strings.Contains(ld, "-X main.version=v{{ .Version }}") {
		t.Errorf("ldflags %q do not set main.version", ld)
	}
	src, err := os.ReadFile(filepath.Join(root, "cmd", "pqx", "version.go"))
	if err != nil || !regexp.MustCompile(`(?m)^var version = ""`).Match(src) {
		t.Errorf("cmd/pqx/version.go does not declare var version = \"\" (%v)", err)
	}
	if b.ModTimestamp == "" {
		t.Error("mod_timestamp unset: archives would carry the build time")
	}

	// The before hooks generate completions for each shell and man pages
	// with pqx's own commands, and the archives ship them.
	hooks := strings.Join(cfg.Before.Hooks, "\n")
	for _, want := range []string{"go run ./cmd/pqx completion", "bash zsh fish", "go run ./cmd/pqx docs man build/man"} {
		if !strings.Contains(hooks, want) {
			t.Errorf("before hooks lack %q", want)
		}
	}
	if len(cfg.Archives) != 1 {
		t.Fatalf("%d archives", len(cfg.Archives))
	}
	a := cfg.Archives[0]
	var srcs []string
	for _, f := range a.Files {
		srcs = append(srcs, f.Src)
	}
	for _, want := range []string{"build/completions/*", "build/man/*", "README.md", "docs/*.md"} {
		if !slices.Contains(srcs, want) {
			t.Errorf("archives do not ship %s (files: %v)", want, srcs)
		}
	}
	for _, f := range srcs {
		if strings.HasPrefix(f, "build/") {
			continue // made by the hooks
		}
		if m, _ := filepath.Glob(filepath.Join(root, f)); len(m) == 0 {
			t.Errorf("archive file pattern %s matches nothing; goreleaser would fail", f)
		}
	}
	if len(a.FormatOverrides) != 1 || a.FormatOverrides[0].Goos != "windows" || !slices.Equal(a.FormatOverrides[0].Formats, []string{"zip"}) {
		t.Errorf("windows archives should be zip: %+v", a.FormatOverrides)
	}
	if cfg.Checksum.Algorithm != "sha256" || cfg.Checksum.NameTemplate == "" {
		t.Errorf("checksum %+v", cfg.Checksum)
	}
	if len(cfg.SBOMs) != 1 || cfg.SBOMs[0].Artifacts != "archive" || !slices.Contains(cfg.SBOMs[0].Args, "cyclonedx-json=$document") {
		t.Errorf("sboms %+v", cfg.SBOMs)
	}
}

// TestGoreleaserConfigStrict makes sure a misspelt key fails the check.
func TestGoreleaserConfigStrict(t *testing.T) {
	data, err := os.ReadFile(filepath.Join("..", "..", ".goreleaser.yaml"))
	if err != nil {
		t.Fatal(err)
	}
	for _, typo := range [][2]string{{"mod_timestamp:", "mod_timestmp:"}, {"strip_parent:", "strip_parents:"}, {"algorithm:", "algo:"}} {
		bad := strings.Replace(string(data), typo[0], typo[1], 1)
		var cfg goreleaserConfig
		if err := yaml.UnmarshalWithOptions([]byte(bad), &cfg, yaml.Strict()); err == nil {
			t.Errorf("%s accepted", typo[1])
		}
	}
}
