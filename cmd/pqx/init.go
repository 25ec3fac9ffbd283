package main

import (
	"io/fs"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/project"
)

func init() {
	register(&cli.Command{
		Name:      "init",
		Usage:     "create a new connector project from the default openEHR connector",
		ArgsUsage: "DIR",
		Description: `Copies the embedded default connector project (connector.yaml, the section
template, resources, icons and example tenants) into DIR, together with JSON
Schemas for connector.yaml and tenant files that editors use for completion.
DIR must not exist or be empty.`,
		Action: func(c *cli.Context) error {
			if c.NArg() != 1 {
				return usagef("init needs exactly one DIR argument")
			}
			dir := c.Args().First()
			if entries, err := os.ReadDir(dir); err == nil && len(entries) > 0 {
				return usagef("%s is not empty; choose a new folder", dir)
			}
			n := 0
			err := fs.WalkDir(connector.FS, ".", func(name string, d fs.DirEntry, err error) error {
				if err != nil || d.IsDir() {
					return err
				}
				data, err := fs.ReadFile(connector.FS, name)
				if err != nil {
					return err
				}
				if strings.HasSuffix(name, ".yaml") {
					data = pointSchema(data, name)
				}
				n++
				return writeNew(filepath.Join(dir, filepath.FromSlash(name)), data)
			})
			if err == nil {
				err = fs.WalkDir(project.Schemas, "schema", func(name string, d fs.DirEntry, err error) error {
					if err != nil || d.IsDir() {
						return err
					}
					data, err := fs.ReadFile(project.Schemas, name)
					if err == nil {
						n++
						err = writeNew(filepath.Join(dir, filepath.FromSlash(name)), data)
					}
					return err
				})
			}
			if err != nil {
				return failf("init: %v", err)
			}
			outputOf(c).printf("created %s (%d files); build it with: pqx build %s\n", dir, n, dir)
			return nil
		},
	})
}

// pointSchema rewrites the yaml-language-server schema comment of a project
// file to the schema folder that init writes next to it.
func pointSchema(data []byte, name string) []byte {
	const marker = "# yaml-language-server: $schema="
	first, rest, ok := strings.Cut(string(data), "\n")
	if !ok || !strings.HasPrefix(first, marker) {
		return data
	}
	rel := strings.Repeat("../", strings.Count(name, "/")) + "schema/"
	schema := "connector.schema.json"
	if strings.HasPrefix(name, project.TenantsDir+"/") {
		schema = "tenant.schema.json"
	}
	return []byte(marker + rel + schema + "\n" + rest)
}

func writeNew(path string, data []byte) error {
	if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
		return err
	}
	return atomicfile.WriteFile(path, data, 0o644)
}
