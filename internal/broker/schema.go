package broker

import _ "embed"

// Schema is the JSON Schema (draft 2020-12) of the broker configuration
// file, for editors and CI validation. Load enforces the same rules and more
// (files exist, URLs are https, targets referenced by callers exist).
//
//go:embed broker.schema.json
var Schema []byte
