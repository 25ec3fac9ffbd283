// Package connector embeds pqx's default connector project: an openEHR
// connector (section template, resources, icons, example tenants) that
// `pqx build` uses when no project is given and `pqx init` copies.
package connector

import "embed"

// FS holds the project, rooted at the project folder.
//
//go:embed connector.yaml *.tmpl icons tenants tests
var FS embed.FS
