package broker

import (
	"encoding/json"
	"errors"
	"os"
	"path/filepath"
	"reflect"
	"sort"
	"strings"
	"testing"
	"time"
)

func TestExampleConfig(t *testing.T) {
	t.Setenv("CODE24_CLIENT_SECRET", "from-env")
	cfg, err := Load("testdata/broker.yaml")
	if err != nil {
		t.Fatal(err)
	}
	code24, dips := cfg.Target("code24"), cfg.Target("dips")
	if code24.secret != "from-env" || dips.secret != "example-secret-for-tests-only" {
		t.Errorf("secrets not resolved: %q %q", code24.secret, dips.secret)
	}
	if got := dips.tokenParams().Get("scope"); got != "api://dips-arena/.default" {
		t.Errorf("entra-v2 scope %q", got)
	}
	if code24.Timeout != 10*time.Second || cfg.Limits.LockoutAfter != 5 || cfg.Cache.BreakerCooldown != 5*time.Minute {
		t.Errorf("values: %+v %+v", code24, cfg.Limits)
	}
	for _, c := range cfg.Callers {
		if !c.hash.verify([]byte("change me")) {
			t.Errorf("caller %s: example password does not verify", c.Name)
		}
	}
}

// Every configuration mistake is reported with file:line:col.
func TestConfigErrors(t *testing.T) {
	dir := t.TempDir()
	os.WriteFile(filepath.Join(dir, "secret"), []byte("x\n"), 0o600)
	t.Setenv("PQX_TEST_SET", "v")
	base := func(target, caller string) string {
		return "listeners:\n  - addr: 127.0.0.1:8080\ntargets:\n  - name: a\n" + target + "callers:\n  - name: c\n" + caller
	}
	goodTarget := "    profile: auth0\n    token_url: https://idp.example/token\n    client_id: id\n    client_secret: {file: secret}\n    auth_style: post\n    audience: https://api.example\n"
	goodCaller := "    password_hash: \"" + testHash + "\"\n    targets: [a]\n"
	for _, tc := range []struct {
		name, yaml string
		want       []string
	}{
		{"syntax", "listeners: [\n", []string{":1:12: sequence end token"}},
		{"unknown field", base(goodTarget+"    colour: red\n", goodCaller), []string{`:11:5: unknown field "colour"`}},
		{"type", base(goodTarget+"    timeout: forever\n", goodCaller), []string{`:11:14: timeout: invalid duration "forever"`}},
		{"duration without unit", base(goodTarget+"    timeout: 30\n", goodCaller), []string{`:11:14: timeout: invalid duration "30"`}},
		{"plain non-loopback", strings.Replace(base(goodTarget, goodCaller), "127.0.0.1:8080", "0.0.0.0:8080", 1),
			[]string{`:2:11: plain HTTP listener "0.0.0.0:8080" must be on a loopback address`}},
		{"missing fields", base("    profile: auth0\n    audience: x\n", goodCaller), []string{
			":4:5: token_url: token_url is required", ":4:5: client_id: client_id is required",
			":4:5: auth_style: auth_style is required", ":4:5: client_secret: client_secret is required"}},
		{"bad values", base(strings.NewReplacer("auth_style: post", "auth_style: auto", "profile: auth0", "profile: azure",
			"https://idp.example/token", "http://idp.example/token").Replace(goodTarget), goodCaller), []string{
			`:5:14: unknown profile "azure"`, `:6:16: "http://idp.example/token": https is required`, `:9:17: unknown auth_style "auto"`}},
		{"insecure non-loopback", base(strings.Replace(goodTarget, "https://idp", "http://idp", 1)+"    allow_insecure_http: true\n", goodCaller),
			[]string{"allow_insecure_http only permits loopback hosts"}},
		{"secret env unset", base(strings.Replace(goodTarget, "{file: secret}", "{env: PQX_TEST_UNSET_VAR}", 1), goodCaller),
			[]string{":8:21: client_secret: environment variable PQX_TEST_UNSET_VAR is not set"}},
		{"secret both", base(strings.Replace(goodTarget, "{file: secret}", "{env: PQX_TEST_SET, file: secret}", 1), goodCaller),
			[]string{"set env or file, not both"}},
		{"secret missing file", base(strings.Replace(goodTarget, "{file: secret}", "{file: nope}", 1), goodCaller),
			[]string{"client_secret: open "}},
		{"keycloak with audience", base(strings.Replace(goodTarget, "profile: auth0", "profile: keycloak", 1), goodCaller),
			[]string{":10:15: profile keycloak fixes the token audience on the server"}},
		{"auth0 without audience", base(strings.Replace(goodTarget, "    audience: https://api.example\n", "", 1), goodCaller),
			[]string{"auth0 needs an audience"}},
		{"plain password", base(goodTarget, "    password_hash: hunter2\n    targets: [a]\n"),
			[]string{":13:20: password_hash must be an argon2id PHC string"}},
		{"bad argon2", base(goodTarget, "    password_hash: $argon2id$v=19$m=1,t=1,p=1$AAAA$BBBB\n    targets: [a]\n"),
			[]string{":13:20: bad argon2id parameters"}},
		{"unknown target", base(goodTarget, "    password_hash: \""+testHash+"\"\n    targets: [a, b]\n"),
			[]string{`:14:18: unknown target "b"`}},
		{"duplicate target", strings.Replace(base(goodTarget, goodCaller), "callers:", "  - name: a\n"+goodTarget+"callers:", 1),
			[]string{`:11:11: duplicate target name "a"`}},
		{"cache and limits", base(goodTarget, goodCaller) + "cache:\n  jitter: 0.9\n  skew: -1s\nlimits:\n  lockout_for: -5m\nlog:\n  level: loud\n",
			[]string{":16:11: jitter must be between 0 and 0.5", ":17:9: skew must not be negative", ":19:16: lockout_for must not be negative", `:21:10: unknown log level "loud"`}},
		{"empty", "", []string{"empty configuration"}},
		{"no sections", "log: {level: info}\n", []string{"at least one listener is required", "at least one target is required", "at least one caller is required"}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			path := filepath.Join(dir, "broker.yaml")
			os.WriteFile(path, []byte(tc.yaml), 0o600)
			_, err := Load(path)
			var ce ConfigErrors
			if !errors.As(err, &ce) {
				t.Fatalf("error %v (%T), want ConfigErrors", err, err)
			}
			msg := err.Error()
			for _, w := range tc.want {
				if !strings.Contains(msg, path+w) && !strings.Contains(msg, w) {
					t.Errorf("error\n%s\nlacks %q", msg, w)
				}
				if strings.HasPrefix(w, ":") && !strings.Contains(msg, path+w) {
					t.Errorf("error\n%s\nlacks position %q", msg, path+w)
				}
			}
		})
	}
}

// The JSON Schema names exactly the fields the decoder accepts.
func TestSchemaMatchesConfig(t *testing.T) {
	var schema map[string]any
	if err := json.Unmarshal(Schema, &schema); err != nil {
		t.Fatal(err)
	}
	var check func(path string, node map[string]any, typ reflect.Type)
	check = func(path string, node map[string]any, typ reflect.Type) {
		for typ.Kind() == reflect.Pointer || typ.Kind() == reflect.Slice {
			typ = typ.Elem()
			if items, ok := node["items"].(map[string]any); ok {
				node = items
			}
		}
		if ref, ok := node["$ref"].(string); ok {
			node = schema["$defs"].(map[string]any)[strings.TrimPrefix(ref, "#/$defs/")].(map[string]any)
		}
		if typ.Kind() != reflect.Struct || typ == reflect.TypeOf(time.Duration(0)) {
			return
		}
		props, _ := node["properties"].(map[string]any)
		var fields, inSchema []string
		for i := range typ.NumField() {
			f := typ.Field(i)
			tag := strings.Split(f.Tag.Get("yaml"), ",")[0]
			if tag == "" || !f.IsExported() {
				continue
			}
			fields = append(fields, tag)
			if sub, ok := props[tag].(map[string]any); ok {
				check(path+"."+tag, sub, f.Type)
			}
		}
		for k := range props {
			inSchema = append(inSchema, k)
		}
		sort.Strings(fields)
		sort.Strings(inSchema)
		if !reflect.DeepEqual(fields, inSchema) {
			t.Errorf("%s: struct fields %v, schema properties %v", path, fields, inSchema)
		}
	}
	check("$", schema, reflect.TypeOf(Config{}))
}

func TestPasswordHashes(t *testing.T) {
	h, err := HashPassword([]byte("s3cret"))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(h, "$argon2id$v=19$m=19456,t=2,p=1$") {
		t.Errorf("hash %q", h)
	}
	ph, err := parsePasswordHash(h)
	if err != nil {
		t.Fatal(err)
	}
	if !ph.verify([]byte("s3cret")) || ph.verify([]byte("s3cre")) || ph.verify(nil) {
		t.Error("argon2id verify")
	}
	h2, _ := HashPassword([]byte("s3cret"))
	if h2 == h {
		t.Error("two hashes of one password are equal: salt not random")
	}
	bh, err := parsePasswordHash(testHash)
	if err != nil || !bh.verify([]byte(testPassword)) || bh.verify([]byte("x")) {
		t.Errorf("bcrypt: %v", err)
	}
	for _, bad := range []string{"", "plain", "$argon2i$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA", "$argon2id$v=16$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaGhhc2hoYXNoaGFzaA",
		"$argon2id$v=19$m=19456,t=2,p=1$!!$aGFzaGhhc2hoYXNoaGFzaA", "$2b$10$short"} {
		if _, err := parsePasswordHash(bad); err == nil {
			t.Errorf("%q accepted", bad)
		}
	}
	if _, err := HashPassword(nil); err == nil {
		t.Error("empty password hashed")
	}
}
