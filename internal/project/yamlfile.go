package project

import (
	"errors"
	"regexp"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/goccy/go-yaml/ast"
	"github.com/goccy/go-yaml/parser"
)

// yamlDoc is a decoded YAML file that still knows where each value stood, so
// validation errors found after decoding can name file:line:col.
type yamlDoc struct {
	name string
	file *ast.File
}

// decodeYAML strictly decodes data (unknown keys and duplicate keys are
// errors) into v and returns the document for position look-ups.
func decodeYAML(name string, data []byte, v any) (*yamlDoc, ErrorList) {
	doc := &yamlDoc{name: name}
	var errs ErrorList
	f, err := parser.ParseBytes(data, 0)
	if err != nil {
		errs = append(errs, doc.yamlError(err))
		return doc, errs
	}
	doc.file = f
	switch {
	case len(f.Docs) == 0 || f.Docs[0].Body == nil:
		errs.add(Pos{File: name}, "file is empty")
	case len(f.Docs) > 1:
		errs.add(doc.nodePos(f.Docs[1].Body), "only one YAML document is allowed per file")
	default:
		if _, ok := f.Docs[0].Body.(*ast.MappingNode); !ok {
			if _, ok := f.Docs[0].Body.(*ast.MappingValueNode); !ok {
				errs.add(doc.nodePos(f.Docs[0].Body), "expected a mapping of keys to values at the top level")
				return doc, errs
			}
		}
		if err := yaml.NodeToValue(f.Docs[0].Body, v, yaml.Strict()); err != nil {
			errs = append(errs, doc.yamlError(err))
		}
	}
	return doc, errs
}

// yamlError converts a go-yaml error to a diagnostic with its position.
func (d *yamlDoc) yamlError(err error) Diagnostic {
	var ye yaml.Error
	if errors.As(err, &ye) {
		pos := Pos{File: d.name}
		if tk := ye.GetToken(); tk != nil && tk.Position != nil {
			pos.Line, pos.Col = tk.Position.Line, tk.Position.Column
		}
		return Diagnostic{Pos: pos, Msg: cleanYAMLMessage(ye.GetMessage())}
	}
	return Diagnostic{Pos: Pos{File: d.name}, Msg: err.Error()}
}

// cleanYAMLMessage rewords go-yaml messages that leak Go type names.
func cleanYAMLMessage(msg string) string {
	msg = strings.TrimSpace(msg)
	for _, r := range []struct{ from, to string }{
		{"cannot unmarshal", "wrong type:"},
		{"into Go struct field ", "for "},
		{"into Go value of type ", "expected "},
	} {
		msg = strings.Replace(msg, r.from, r.to, 1)
	}
	return msg
}

func (d *yamlDoc) nodePos(n ast.Node) Pos {
	pos := Pos{File: d.name}
	if n != nil {
		if tk := n.GetToken(); tk != nil && tk.Position != nil {
			pos.Line, pos.Col = tk.Position.Line, tk.Position.Column
		}
	}
	return pos
}

// has reports whether the document sets the value at a dotted key path.
func (d *yamlDoc) has(path string) bool {
	_, ok := d.lookup(path)
	return ok
}

func (d *yamlDoc) lookup(path string) (Pos, bool) {
	if d.file == nil || len(d.file.Docs) == 0 {
		return Pos{}, false
	}
	p, err := yaml.PathString("$." + strings.Join(quoteKeys(strings.Split(path, ".")), "."))
	if err != nil {
		return Pos{}, false
	}
	node, err := p.FilterFile(d.file)
	if err != nil || node == nil {
		return Pos{}, false
	}
	return d.nodePos(node), true
}

// pos returns the position of the value at a dotted key path such as
// "auth.client_id". When the key is absent it returns the position of the
// nearest ancestor that exists (where a missing key should be added), and
// the file itself as the last resort.
func (d *yamlDoc) pos(path string) Pos {
	if d.file == nil || len(d.file.Docs) == 0 {
		return Pos{File: d.name}
	}
	parts := strings.Split(path, ".")
	for n := len(parts); n > 0; n-- {
		if pos, ok := d.lookup(strings.Join(parts[:n], ".")); ok {
			return pos
		}
	}
	return d.nodePos(d.file.Docs[0].Body)
}

// plainKeyRE matches keys go-yaml's path syntax takes as they are, with an
// optional list index ("files[2]").
var plainKeyRE = regexp.MustCompile(`^[A-Za-z0-9_-]+(\[[0-9]+\])?$`)

// quoteKeys quotes path keys that go-yaml's path syntax would misread.
func quoteKeys(keys []string) []string {
	out := make([]string, len(keys))
	for i, k := range keys {
		if !plainKeyRE.MatchString(k) {
			k = "'" + strings.ReplaceAll(k, "'", "\\'") + "'"
		}
		out[i] = k
	}
	return out
}
