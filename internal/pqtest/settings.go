package pqtest

import (
	"bytes"
	"encoding/json"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pqxdev/pqx/internal/m/eval"
)

// Settings is a PQTest *.testsettings.json file. Relative paths are
// resolved against the settings file's folder.
type Settings struct {
	ExtensionPaths          []string
	QueryFilePath           string
	ParameterQueryFilePath  string
	FailOnMissingOutputFile bool
	// Accepted for compatibility; pqx does not fold queries, so these
	// have no effect.
	FailOnFoldingFailure           bool
	DiagnosticChannels             []string
	TrxReportPath                  string
	IntermediateTestResultsFolder  string
	PersistIntermediateTestResults bool
}

// ReadSettings reads and validates a settings file. Unknown keys are an
// error naming the key, so a typo does not silently change a run.
func ReadSettings(path string) (*Settings, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	dec := json.NewDecoder(bytes.NewReader(data))
	dec.DisallowUnknownFields()
	var s Settings
	if err := dec.Decode(&s); err != nil {
		return nil, fmt.Errorf("%s: %s", path, jsonErr(data, err))
	}
	dir := filepath.Dir(path)
	abs := func(p string) string {
		if p == "" || filepath.IsAbs(p) {
			return p
		}
		return filepath.Join(dir, filepath.FromSlash(strings.ReplaceAll(p, `\`, "/")))
	}
	for i, p := range s.ExtensionPaths {
		s.ExtensionPaths[i] = abs(p)
	}
	s.QueryFilePath = abs(s.QueryFilePath)
	s.ParameterQueryFilePath = abs(s.ParameterQueryFilePath)
	return &s, nil
}

// jsonErr adds the line and column to a JSON syntax or type error.
func jsonErr(data []byte, err error) string {
	var off int64 = -1
	switch e := err.(type) {
	case *json.SyntaxError:
		off = e.Offset
	case *json.UnmarshalTypeError:
		off = e.Offset
		if e.Field != "" {
			return fmt.Sprintf("%s: field %s: want %s, got %s", lineCol(data, off), e.Field, e.Type, e.Value)
		}
	}
	if off >= 0 {
		return lineCol(data, off) + ": " + err.Error()
	}
	return err.Error()
}

func lineCol(data []byte, off int64) string {
	off = min(off, int64(len(data)))
	line := 1 + bytes.Count(data[:off], []byte("\n"))
	col := int(off) - bytes.LastIndexByte(data[:off], '\n')
	return fmt.Sprintf("%d:%d", line, col)
}

// ReadCredential reads a credential in PQTest's credential-template shape:
// {"AuthenticationKind": "OAuth", "AuthenticationProperties": {...}}.
// Template placeholders left in ($$ACCESS_TOKEN$$) are an error.
func ReadCredential(path string) (*eval.Credential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	data = bytes.TrimPrefix(data, []byte("\ufeff"))
	var doc struct {
		AuthenticationKind       string
		AuthenticationProperties map[string]any
		PrivacySetting           string
		Permissions              []any
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %s", path, jsonErr(data, err))
	}
	kinds := map[string]string{"anonymous": "Anonymous", "oauth": "OAuth", "oauth2": "OAuth", "aad": "Aad",
		"key": "Key", "usernamepassword": "UsernamePassword", "windows": "Windows"}
	kind, ok := kinds[strings.ToLower(doc.AuthenticationKind)]
	if !ok {
		if doc.AuthenticationKind == "" {
			return nil, fmt.Errorf("%s: AuthenticationKind is missing", path)
		}
		return nil, fmt.Errorf("%s: AuthenticationKind %q is not one of Anonymous, OAuth, Aad, Key, UsernamePassword, Windows", path, doc.AuthenticationKind)
	}
	props := map[string]string{}
	for k, v := range doc.AuthenticationProperties {
		s, ok := v.(string)
		if !ok {
			if b, isB := v.(bool); isB {
				s = fmt.Sprint(b)
			} else {
				return nil, fmt.Errorf("%s: AuthenticationProperties.%s must be a string", path, k)
			}
		}
		if strings.Contains(s, "$$") {
			return nil, fmt.Errorf("%s: AuthenticationProperties.%s still holds the template placeholder %s", path, k, s)
		}
		props[strings.ToLower(k)] = s
	}
	c := &eval.Credential{AuthenticationKind: kind,
		Username: props["username"], Password: props["password"], Key: props["key"]}
	c.AccessToken = props["accesstoken"]
	if c.AccessToken == "" {
		c.AccessToken = props["access_token"]
	}
	need := map[string][]string{"UsernamePassword": {"username", "password"}, "Key": {"key"}, "OAuth": {"accesstoken"}, "Aad": {"accesstoken"}}
	for _, k := range need[kind] {
		if props[k] == "" && !(k == "accesstoken" && c.AccessToken != "") {
			return nil, fmt.Errorf("%s: %s credential needs AuthenticationProperties.%s", path, kind, map[string]string{
				"username": "Username", "password": "Password", "key": "Key", "accesstoken": "AccessToken"}[k])
		}
	}
	var extra []eval.Field
	if rt := props["refreshtoken"]; rt != "" {
		extra = append(extra, eval.Field{Name: "refresh_token", Value: eval.Str(rt)})
	} else if rt := props["refresh_token"]; rt != "" {
		extra = append(extra, eval.Field{Name: "refresh_token", Value: eval.Str(rt)})
	}
	if len(extra) > 0 {
		c.Properties = eval.NewRecord(extra...)
	}
	if v, ok := props["encryptconnection"]; ok {
		b := strings.EqualFold(v, "true")
		c.EncryptConnection = &b
	}
	return c, nil
}
