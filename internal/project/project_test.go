package project

import (
	"encoding/json"
	"reflect"
	"slices"
	"sort"
	"strings"
	"testing"
	"testing/fstest"

	"github.com/google/go-cmp/cmp"
)

// schemaProps returns the property names of a JSON Schema object, and of
// its nested objects by key.
func schemaProps(t *testing.T, s map[string]any) map[string]map[string]any {
	props, _ := s["properties"].(map[string]any)
	out := map[string]map[string]any{}
	for k, v := range props {
		out[k], _ = v.(map[string]any)
	}
	return out
}

// yamlKeys returns the yaml keys of a struct type.
func yamlKeys(typ reflect.Type) map[string]reflect.Type {
	keys := map[string]reflect.Type{}
	for i := 0; i < typ.NumField(); i++ {
		f := typ.Field(i)
		tag, _, _ := strings.Cut(f.Tag.Get("yaml"), ",")
		if tag == "" || tag == "-" || !f.IsExported() {
			continue
		}
		keys[tag] = f.Type
	}
	return keys
}

func sortedMapKeys[V any](m map[string]V) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	sort.Strings(keys)
	return keys
}

// TestSchemasMatchTypes keeps the shipped JSON Schemas and the decoder in
// step: every yaml key has a schema property and the reverse, nested
// objects included, and the enums match the validator's lists.
func TestSchemasMatchTypes(t *testing.T) {
	for _, tc := range []struct {
		file string
		typ  reflect.Type
	}{
		{"schema/connector.schema.json", reflect.TypeOf(Connector{})},
		{"schema/tenant.schema.json", reflect.TypeOf(Tenant{})},
	} {
		data, err := Schemas.ReadFile(tc.file)
		if err != nil {
			t.Fatal(err)
		}
		var schema map[string]any
		if err := json.Unmarshal(data, &schema); err != nil {
			t.Fatalf("%s: %v", tc.file, err)
		}
		var walk func(path string, s map[string]any, typ reflect.Type)
		walk = func(path string, s map[string]any, typ reflect.Type) {
			props := schemaProps(t, s)
			keys := yamlKeys(typ)
			if diff := cmp.Diff(sortedMapKeys(keys), sortedMapKeys(props)); diff != "" {
				t.Errorf("%s %s: yaml keys vs schema properties (-yaml +schema):\n%s", tc.file, path, diff)
			}
			if s["additionalProperties"] != false {
				t.Errorf("%s %s: additionalProperties must be false (unknown keys are errors)", tc.file, path)
			}
			for k, ft := range keys {
				if ft.Kind() == reflect.Struct && props[k] != nil {
					walk(path+"."+k, props[k], ft)
				}
			}
		}
		walk("$", schema, tc.typ)
	}
	data, _ := Schemas.ReadFile("schema/tenant.schema.json")
	var schema struct {
		Properties struct {
			Vendor struct{ Enum []string }
			Auth   struct {
				Properties struct{ Pattern struct{ Enum []string } }
			}
		}
	}
	if err := json.Unmarshal(data, &schema); err != nil {
		t.Fatal(err)
	}
	if !slices.Equal(schema.Properties.Vendor.Enum, Vendors) {
		t.Errorf("schema vendors %v, validator %v", schema.Properties.Vendor.Enum, Vendors)
	}
	if !slices.Equal(schema.Properties.Auth.Properties.Pattern.Enum, Patterns) {
		t.Errorf("schema patterns %v, validator %v", schema.Properties.Auth.Properties.Pattern.Enum, Patterns)
	}
}

func TestLoadDefaults(t *testing.T) {
	fsys := fstest.MapFS{
		"connector.yaml": {Data: []byte("name: X\nversion: 1.2.3\nkind: Conn\nsection: s.tmpl\n")},
		"s.tmpl":         {Data: []byte("section x;")},
		"tenants/st-olav.prod.yaml": {Data: []byte("id: st-olav.prod\ndisplay_name: St Olav\n" +
			"base_url: https://cdr.example.org/v1\nvendor: dips\nauth: {pattern: oauth-pkce, idp: entra-v2, tenant: t, client_id: c}\n")},
		"tenants/b.yml": {Data: []byte("id: b\ndisplay_name: B\nbase_url: https://cdr.example.org/v1\nvendor: generic\nauth: {pattern: broker}\n")},
	}
	p, err := Load(fsys, "p")
	if err != nil {
		t.Fatal(err)
	}
	if len(p.Tenants) != 2 || p.Tenants[0].ID != "b" {
		t.Fatalf("tenants not loaded and sorted: %+v", p.Tenants)
	}
	if got := p.Tenants[1].Kind; got != "ConnStOlavProd" {
		t.Errorf("derived kind %q, want ConnStOlavProd", got)
	}
	if got := p.Tenants[1].Auth.RedirectURI; got != DefaultRedirectURI {
		t.Errorf("redirect default %q", got)
	}
	if got := p.Tenants[0].Auth.BrokerMode; got != "proxy" {
		t.Errorf("broker mode default %q", got)
	}
	if got := p.Tenants[1].File; got != "p/tenants/st-olav.prod.yaml" {
		t.Errorf("file %q", got)
	}
}

// TestErrorsAreSortedAndComplete checks that all problems of a project are
// reported at once, in file and position order.
func TestErrorsAreSortedAndComplete(t *testing.T) {
	fsys := fstest.MapFS{
		"connector.yaml": {Data: []byte("name: X\nversion: one\nkind: X\nsection: missing.tmpl\nfiles: ['icons/*.png']\ntests: nope\n")},
		"tenants/b.yaml": {Data: []byte("id: B!\ndisplay_name: B\nbase_url: ftp://x/v1\nvendor: sap\nauth: {pattern: basic}\nheaders: {Authorization: x, 'bad name': y}\n")},
		"tenants/a.yaml": {Data: []byte("id: a\ndisplay_name: A\nbase_url: https://x.example/v1\nvendor: generic\nauth: {pattern: basic, client_id: c, scopes: [a]}\n")},
	}
	_, err := Load(fsys, "p")
	var list ErrorList
	if el, ok := err.(ErrorList); ok {
		list = el
	} else {
		t.Fatalf("Load error %v is not an ErrorList", err)
	}
	var got []string
	for _, d := range list {
		got = append(got, d.Error())
	}
	want := []string{
		`p/connector.yaml:2:10: version "one" must be major.minor.patch (e.g. 1.0.0)`,
		`p/connector.yaml:4:10: section template "missing.tmpl": file does not exist`,
		`p/connector.yaml:5:9: file pattern "icons/*.png" matches no file`,
		`p/connector.yaml:6:8: tests folder "nope" does not exist`,
		`p/tenants/a.yaml:5:35: auth.client_id applies to the oauth-pkce pattern only, not "basic"`,
		`p/tenants/a.yaml:5:46: auth.scopes applies to the oauth-pkce pattern only, not "basic"`,
		`p/tenants/b.yaml:1:5: id "B!" may contain only lower-case letters, digits, '.', '-' and '_', starting with a letter or digit`,
		`p/tenants/b.yaml:3:11: base_url: "ftp://x/v1" must use https`,
		`p/tenants/b.yaml:4:9: vendor "sap" is not one of ehrbase, better, dips, cadasto, generic`,
		`p/tenants/b.yaml:6:26: the Authorization header is set by the auth pattern; a static one would put a credential in the package`,
		`p/tenants/b.yaml:6:41: header name "bad name" is not a valid HTTP header name`,
	}
	if diff := cmp.Diff(want, got); diff != "" {
		t.Errorf("errors (-want +got):\n%s", diff)
	}
}
