// Package templates embeds pqx's built-in auth M templates (auth/*.pq.tmpl)
// and identity-provider profiles (idp/*.yaml). They are data: README.md in
// this folder documents what a template receives and must define.
package templates

import "embed"

// FS holds auth/*.pq.tmpl and idp/*.yaml.
//
//go:embed auth/*.pq.tmpl idp/*.yaml
var FS embed.FS
