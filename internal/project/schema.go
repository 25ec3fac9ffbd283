package project

import "embed"

// Schemas holds the JSON Schemas of connector.yaml and tenant files
// (schema/connector.schema.json, schema/tenant.schema.json), for editors.
//
//go:embed schema/*.json
var Schemas embed.FS
