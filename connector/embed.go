// Package connector embeds pqx's default connector project: an openEHR
// connector (section template, resources, icons, example tenants) that
// `pqx build` uses when no project is given and `pqx init` copies.
package connector

import (
	"embed"
	"io/fs"
	"strings"
	"testing/fstest"
)

// FS holds the project, rooted at the project folder.
//
//go:embed connector.yaml *.tmpl icons tenants tests
var FS embed.FS

// WithTenants returns the default project with its example tenants replaced
// by the given tenant files (file name → YAML), for tests and benchmarks
// that build the default connector for tenants of their own.
func WithTenants(tenants map[string][]byte) fs.FS {
	fsys := fstest.MapFS{}
	_ = fs.WalkDir(FS, ".", func(name string, d fs.DirEntry, err error) error {
		if err != nil || d.IsDir() || strings.HasPrefix(name, "tenants/") {
			return err
		}
		data, err := fs.ReadFile(FS, name)
		fsys[name] = &fstest.MapFile{Data: data}
		return err
	})
	for name, data := range tenants {
		fsys["tenants/"+name] = &fstest.MapFile{Data: data}
	}
	return fsys
}
