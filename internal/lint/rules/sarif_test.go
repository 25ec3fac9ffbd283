package rules

import (
	"bytes"
	"encoding/json"
	"fmt"
	"net/url"
	"path/filepath"
	"sort"
	"strings"
	"testing"

	"github.com/rogpeppe/go-internal/txtar"

	"github.com/pqxdev/pqx/internal/lint"
)

// sarifSchema restates, in JSON Schema draft-04, the constraints of the
// SARIF 2.1.0 schema (OASIS, sarif-schema-2.1.0.json) on the objects pqx
// writes: sarifLog, run, tool, toolComponent, reportingDescriptor,
// reportingConfiguration, multiformatMessageString, result, message,
// location, physicalLocation, artifactLocation and region. As in the
// official schema every object is closed (additionalProperties false), so
// a misspelt or invented property fails validation. The official file is
// not shipped by any module on the Go module proxy that pqx may use, so the
// subset is written here from the specification.
const sarifSchema = `{
  "type": "object", "additionalProperties": false,
  "required": ["version", "runs"],
  "properties": {
    "$schema": {"type": "string", "format": "uri"},
    "version": {"type": "string", "enum": ["2.1.0"]},
    "runs": {"type": ["array", "null"], "items": {"$ref": "#/definitions/run"}},
    "properties": {"$ref": "#/definitions/propertyBag"}
  },
  "definitions": {
    "propertyBag": {"type": "object"},
    "run": {
      "type": "object", "additionalProperties": false, "required": ["tool"],
      "properties": {
        "tool": {"$ref": "#/definitions/tool"},
        "results": {"type": ["array", "null"], "items": {"$ref": "#/definitions/result"}},
        "columnKind": {"type": "string", "enum": ["utf16CodeUnits", "unicodeCodePoints"]},
        "language": {"type": "string"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "tool": {
      "type": "object", "additionalProperties": false, "required": ["driver"],
      "properties": {
        "driver": {"$ref": "#/definitions/toolComponent"},
        "extensions": {"type": "array", "uniqueItems": true, "items": {"$ref": "#/definitions/toolComponent"}},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "toolComponent": {
      "type": "object", "additionalProperties": false, "required": ["name"],
      "properties": {
        "name": {"type": "string"},
        "fullName": {"type": "string"},
        "version": {"type": "string"},
        "semanticVersion": {"type": "string"},
        "informationUri": {"type": "string", "format": "uri"},
        "organization": {"type": "string"},
        "rules": {"type": "array", "uniqueItems": true, "items": {"$ref": "#/definitions/reportingDescriptor"}},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "reportingDescriptor": {
      "type": "object", "additionalProperties": false, "required": ["id"],
      "properties": {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "shortDescription": {"$ref": "#/definitions/multiformatMessageString"},
        "fullDescription": {"$ref": "#/definitions/multiformatMessageString"},
        "help": {"$ref": "#/definitions/multiformatMessageString"},
        "helpUri": {"type": "string", "format": "uri"},
        "defaultConfiguration": {"$ref": "#/definitions/reportingConfiguration"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "reportingConfiguration": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "enabled": {"type": "boolean"},
        "level": {"type": "string", "enum": ["none", "note", "warning", "error"]},
        "rank": {"type": "number", "minimum": -1, "maximum": 100},
        "parameters": {"$ref": "#/definitions/propertyBag"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "multiformatMessageString": {
      "type": "object", "additionalProperties": false, "required": ["text"],
      "properties": {
        "text": {"type": "string"},
        "markdown": {"type": "string"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "result": {
      "type": "object", "additionalProperties": false, "required": ["message"],
      "properties": {
        "ruleId": {"type": "string"},
        "ruleIndex": {"type": "integer", "minimum": -1},
        "kind": {"type": "string", "enum": ["notApplicable", "pass", "fail", "review", "open", "informational"]},
        "level": {"type": "string", "enum": ["none", "note", "warning", "error"]},
        "message": {"$ref": "#/definitions/message"},
        "locations": {"type": "array", "items": {"$ref": "#/definitions/location"}},
        "partialFingerprints": {"type": "object", "additionalProperties": {"type": "string"}},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "message": {
      "type": "object", "additionalProperties": false,
      "anyOf": [{"required": ["text"]}, {"required": ["id"]}],
      "properties": {
        "text": {"type": "string"},
        "markdown": {"type": "string"},
        "id": {"type": "string"},
        "arguments": {"type": "array", "items": {"type": "string"}},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "location": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "id": {"type": "integer", "minimum": -1},
        "physicalLocation": {"$ref": "#/definitions/physicalLocation"},
        "message": {"$ref": "#/definitions/message"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "physicalLocation": {
      "type": "object", "additionalProperties": false,
      "anyOf": [{"required": ["address"]}, {"required": ["artifactLocation"]}],
      "properties": {
        "address": {"type": "object"},
        "artifactLocation": {"$ref": "#/definitions/artifactLocation"},
        "region": {"$ref": "#/definitions/region"},
        "contextRegion": {"$ref": "#/definitions/region"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "artifactLocation": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "uri": {"type": "string", "format": "uri-reference"},
        "uriBaseId": {"type": "string"},
        "index": {"type": "integer", "minimum": -1},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    },
    "region": {
      "type": "object", "additionalProperties": false,
      "properties": {
        "startLine": {"type": "integer", "minimum": 1},
        "startColumn": {"type": "integer", "minimum": 1},
        "endLine": {"type": "integer", "minimum": 1},
        "endColumn": {"type": "integer", "minimum": 1},
        "charOffset": {"type": "integer", "minimum": -1},
        "charLength": {"type": "integer", "minimum": 0},
        "byteOffset": {"type": "integer", "minimum": -1},
        "byteLength": {"type": "integer", "minimum": 0},
        "snippet": {"type": "object"},
        "message": {"$ref": "#/definitions/message"},
        "sourceLanguage": {"type": "string"},
        "properties": {"$ref": "#/definitions/propertyBag"}
      }
    }
  }
}`

// schemaValidator checks a decoded JSON value against a draft-04 schema
// using the keywords the SARIF schema relies on: type, enum, required,
// properties, additionalProperties, items, uniqueItems, minimum, maximum,
// anyOf, format (uri, uri-reference) and local $ref.
type schemaValidator struct {
	root map[string]any
	errs []string
}

func (v *schemaValidator) errorf(path, format string, args ...any) {
	v.errs = append(v.errs, path+": "+fmt.Sprintf(format, args...))
}

func (v *schemaValidator) validate(path string, schema map[string]any, val any) {
	if ref, ok := schema["$ref"].(string); ok {
		name := strings.TrimPrefix(ref, "#/definitions/")
		def, ok := v.root["definitions"].(map[string]any)[name].(map[string]any)
		if !ok {
			v.errorf(path, "schema: unresolved $ref %s", ref)
			return
		}
		v.validate(path, def, val)
		return
	}
	if t, ok := schema["type"]; ok && !typeMatches(t, val) {
		v.errorf(path, "has type %s, want %v", jsonType(val), t)
		return
	}
	if enum, ok := schema["enum"].([]any); ok {
		found := false
		for _, e := range enum {
			if e == val {
				found = true
			}
		}
		if !found {
			v.errorf(path, "value %v is not one of %v", val, enum)
		}
	}
	if f, ok := schema["format"].(string); ok {
		if s, ok := val.(string); ok {
			u, err := url.Parse(s)
			switch {
			case err != nil:
				v.errorf(path, "not a %s: %v", f, err)
			case f == "uri" && !u.IsAbs():
				v.errorf(path, "%q is not an absolute URI", s)
			case f == "uri-reference" && strings.Contains(s, "\\"):
				v.errorf(path, "%q is not a URI reference (backslash)", s)
			}
		}
	}
	if n, ok := val.(float64); ok {
		if m, ok := schema["minimum"].(float64); ok && n < m {
			v.errorf(path, "%v is below the minimum %v", n, m)
		}
		if m, ok := schema["maximum"].(float64); ok && n > m {
			v.errorf(path, "%v is above the maximum %v", n, m)
		}
	}
	if anyOf, ok := schema["anyOf"].([]any); ok {
		matched := false
		for _, alt := range anyOf {
			sub := &schemaValidator{root: v.root}
			sub.validate(path, alt.(map[string]any), val)
			if len(sub.errs) == 0 {
				matched = true
				break
			}
		}
		if !matched {
			v.errorf(path, "matches none of anyOf")
		}
	}
	switch x := val.(type) {
	case map[string]any:
		for _, r := range asList(schema["required"]) {
			if _, ok := x[r.(string)]; !ok {
				v.errorf(path, "missing required property %q", r)
			}
		}
		props, _ := schema["properties"].(map[string]any)
		keys := make([]string, 0, len(x))
		for k := range x {
			keys = append(keys, k)
		}
		sort.Strings(keys)
		for _, k := range keys {
			if ps, ok := props[k].(map[string]any); ok {
				v.validate(path+"."+k, ps, x[k])
				continue
			}
			switch ap := schema["additionalProperties"].(type) {
			case bool:
				if !ap {
					v.errorf(path, "property %q is not allowed", k)
				}
			case map[string]any:
				v.validate(path+"."+k, ap, x[k])
			}
		}
	case []any:
		if items, ok := schema["items"].(map[string]any); ok {
			for i, it := range x {
				v.validate(fmt.Sprintf("%s[%d]", path, i), items, it)
			}
		}
		if u, _ := schema["uniqueItems"].(bool); u {
			seen := map[string]bool{}
			for i, it := range x {
				b, _ := json.Marshal(it)
				if seen[string(b)] {
					v.errorf(fmt.Sprintf("%s[%d]", path, i), "duplicate item in a uniqueItems array")
				}
				seen[string(b)] = true
			}
		}
	}
}

func asList(v any) []any {
	l, _ := v.([]any)
	return l
}

func jsonType(v any) string {
	switch x := v.(type) {
	case nil:
		return "null"
	case bool:
		return "boolean"
	case float64:
		if x == float64(int64(x)) {
			return "integer"
		}
		return "number"
	case string:
		return "string"
	case []any:
		return "array"
	case map[string]any:
		return "object"
	}
	return "unknown"
}

func typeMatches(t any, v any) bool {
	got := jsonType(v)
	for _, want := range append(asList(t), t) {
		s, ok := want.(string)
		if ok && (s == got || s == "number" && got == "integer") {
			return true
		}
	}
	return false
}

// validateSARIF validates doc against sarifSchema and checks what a schema
// cannot: every result's ruleIndex points at the rule named by its ruleId.
func validateSARIF(t *testing.T, doc []byte) []string {
	t.Helper()
	var schema map[string]any
	if err := json.Unmarshal([]byte(sarifSchema), &schema); err != nil {
		t.Fatalf("schema: %v", err)
	}
	var val any
	if err := json.Unmarshal(doc, &val); err != nil {
		return []string{"not JSON: " + err.Error()}
	}
	v := &schemaValidator{root: schema}
	v.validate("$", schema, val)
	if len(v.errs) > 0 {
		return v.errs
	}
	var log struct {
		Runs []struct {
			Tool struct {
				Driver struct {
					Rules []struct{ ID string }
				}
			}
			Results []struct {
				RuleID    string
				RuleIndex *int
			}
		}
	}
	if err := json.Unmarshal(doc, &log); err != nil {
		return []string{err.Error()}
	}
	for _, run := range log.Runs {
		for i, r := range run.Results {
			rules := run.Tool.Driver.Rules
			if r.RuleIndex == nil || *r.RuleIndex < 0 || *r.RuleIndex >= len(rules) || rules[*r.RuleIndex].ID != r.RuleID {
				v.errorf(fmt.Sprintf("$.runs.results[%d]", i), "ruleIndex does not point at rule %s", r.RuleID)
			}
		}
	}
	return v.errs
}

// TestSARIFSchema lints every rule archive of testdata (findings of all
// rules, across files) and validates the SARIF report.
func TestSARIFSchema(t *testing.T) {
	archives, _ := filepath.Glob(filepath.Join("testdata", "*.txtar"))
	var srcs []lint.Source
	for _, path := range archives {
		ar, err := txtar.ParseFile(path)
		if err != nil {
			t.Fatal(err)
		}
		for _, f := range ar.Files {
			srcs = append(srcs, lint.Source{Name: "testdata/" + strings.TrimSuffix(filepath.Base(path), ".txtar") + "/" + f.Name, Content: f.Data})
		}
	}
	srcs = append(srcs, lint.Source{Name: "broken dir/bad.pq", Content: []byte("let a = in a")})
	res := LintSources(srcs, lint.Config{})
	ids := map[string]bool{}
	for _, d := range res.Diagnostics {
		ids[d.Rule] = true
	}
	for i := 1; i <= 12; i++ {
		if id := fmt.Sprintf("PQX%03d", i); !ids[id] {
			t.Errorf("no %s finding in the report", id)
		}
	}
	var buf bytes.Buffer
	if err := lint.WriteSARIF(&buf, res, "0.0.0-test"); err != nil {
		t.Fatal(err)
	}
	for _, e := range validateSARIF(t, buf.Bytes()) {
		t.Error(e)
	}
}

// TestSARIFValidatorRejects makes sure the validator is not vacuous: each
// mutation of a valid log breaks one constraint of the schema.
func TestSARIFValidatorRejects(t *testing.T) {
	valid := `{"version":"2.1.0","runs":[{"tool":{"driver":{"name":"pqx","rules":[{"id":"PQX001","shortDescription":{"text":"s"}}]}},"columnKind":"unicodeCodePoints","results":[{"ruleId":"PQX001","ruleIndex":0,"level":"error","message":{"text":"m"},"locations":[{"physicalLocation":{"artifactLocation":{"uri":"a%20b.pq"},"region":{"startLine":1,"startColumn":1}}}]}]}]}`
	if errs := validateSARIF(t, []byte(valid)); len(errs) > 0 {
		t.Fatalf("valid log rejected: %v", errs)
	}
	for name, mut := range map[string][2]string{
		"version":        {`"version":"2.1.0"`, `"version":"2.0.0"`},
		"level":          {`"level":"error"`, `"level":"fatal"`},
		"startLine":      {`"startLine":1`, `"startLine":0`},
		"extra property": {`"ruleIndex":0,`, `"ruleIndex":0,"severity":"x",`},
		"message":        {`"message":{"text":"m"}`, `"message":{}`},
		"columnKind":     {`"unicodeCodePoints"`, `"bytes"`},
		"driver name":    {`"name":"pqx",`, ``},
		"ruleIndex":      {`"ruleIndex":0`, `"ruleIndex":3`},
		"uri":            {`"uri":"a%20b.pq"`, `"uri":"a\\b.pq"`},
		"type":           {`"startColumn":1`, `"startColumn":"1"`},
	} {
		doc := strings.Replace(valid, mut[0], mut[1], 1)
		if doc == valid {
			t.Fatalf("%s: mutation did not apply", name)
		}
		if errs := validateSARIF(t, []byte(doc)); len(errs) == 0 {
			t.Errorf("%s: invalid log accepted", name)
		}
	}
}
