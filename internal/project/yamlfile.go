package project

import (
	"errors"
	"fmt"
	"reflect"
	"regexp"
	"strconv"
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
	var te *yaml.TypeError
	if errors.As(err, &te) && te.Token != nil && te.Token.Position != nil {
		return Diagnostic{
			Pos: Pos{File: d.name, Line: te.Token.Position.Line, Col: te.Token.Position.Column},
			Msg: fmt.Sprintf("wrong type: expected %s, got %s", typeWord(te.DstType), typeWord(te.SrcType)),
		}
	}
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

// typeWord names a Go type the way a YAML author thinks of it.
func typeWord(t reflect.Type) string {
	if t == nil {
		return "a value"
	}
	switch t.Kind() {
	case reflect.Bool:
		return "true or false"
	case reflect.String:
		return "text"
	case reflect.Int, reflect.Int64, reflect.Uint64, reflect.Int32, reflect.Uint32:
		return "a whole number"
	case reflect.Float64, reflect.Float32:
		return "a number"
	case reflect.Slice, reflect.Array:
		return "a list"
	case reflect.Map, reflect.Struct:
		return "a mapping of keys to values"
	case reflect.Pointer, reflect.Interface:
		return "a value"
	}
	return t.String()
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
	_, _, ok := d.lookup(path)
	return ok
}

// lookup finds the node at a dotted key path ("auth.scopes[1]") and returns
// the position of its key and of its value.
func (d *yamlDoc) lookup(path string) (key, val Pos, ok bool) {
	if d.file == nil || len(d.file.Docs) == 0 || path == "" {
		return Pos{}, Pos{}, false
	}
	node := d.file.Docs[0].Body
	key = Pos{File: d.name, Line: 1, Col: 1}
	for _, part := range strings.Split(path, ".") {
		name, index := part, -1
		if m := indexRE.FindStringSubmatch(part); m != nil {
			name = m[1]
			index, _ = strconv.Atoi(m[2])
		}
		var found ast.Node
		for _, mv := range mappingValues(node) {
			if keyName(mv.Key) == name {
				key = d.nodePos(mv.Key)
				found = mv.Value
				break
			}
		}
		if found == nil {
			return Pos{}, Pos{}, false
		}
		node = found
		if index >= 0 {
			seq, isSeq := node.(*ast.SequenceNode)
			if !isSeq || index >= len(seq.Values) {
				return Pos{}, Pos{}, false
			}
			node = seq.Values[index]
			key = d.nodePos(node)
		}
	}
	return key, d.nodePos(node), true
}

func keyName(k ast.MapKeyNode) string {
	if s, ok := k.(*ast.StringNode); ok {
		return s.Value
	}
	return k.String()
}

// mappingValues returns the key/value pairs of a mapping node.
func mappingValues(n ast.Node) []*ast.MappingValueNode {
	switch n := n.(type) {
	case *ast.MappingNode:
		return n.Values
	case *ast.MappingValueNode:
		return []*ast.MappingValueNode{n}
	case *ast.TagNode:
		return mappingValues(n.Value)
	}
	return nil
}

var indexRE = regexp.MustCompile(`^(.+)\[([0-9]+)\]$`)

// pos returns the position of the value at a dotted key path such as
// "auth.client_id". When the key is absent it returns the position of the
// key of the nearest ancestor that exists (where the missing key belongs),
// or the start of the file.
func (d *yamlDoc) pos(path string) Pos {
	if _, val, ok := d.lookup(path); ok {
		return val
	}
	parts := strings.Split(path, ".")
	for n := len(parts) - 1; n > 0; n-- {
		if key, _, ok := d.lookup(strings.Join(parts[:n], ".")); ok {
			return key
		}
	}
	return Pos{File: d.name, Line: 1, Col: 1}
}
