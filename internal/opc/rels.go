package opc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// Relationship types of OPC digital signatures.
const (
	RelTypeSigOrigin   = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/origin"
	RelTypeSignature   = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/signature"
	RelTypeCertificate = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/certificate"
)

// Relationship is one <Relationship> element.
type Relationship struct {
	ID         string `xml:"Id,attr"`
	Type       string `xml:"Type,attr"`
	Target     string `xml:"Target,attr"`
	TargetMode string `xml:"TargetMode,attr,omitempty"` // "" (Internal) or "External"
}

// ParseRelationships parses a relationships part. name is used in errors.
// It checks the namespace, that Id, Type and Target are present, that Ids
// are unique, and that TargetMode is Internal or External.
func ParseRelationships(name string, data []byte) ([]Relationship, error) {
	var doc struct {
		XMLName xml.Name
		Rels    []Relationship `xml:"Relationship"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	if doc.XMLName.Space != NamespaceRels || doc.XMLName.Local != "Relationships" {
		return nil, fmt.Errorf("%s: root element is {%s}%s, want {%s}Relationships", name, doc.XMLName.Space, doc.XMLName.Local, NamespaceRels)
	}
	ids := map[string]bool{}
	for _, r := range doc.Rels {
		if r.ID == "" || r.Type == "" || r.Target == "" {
			return nil, fmt.Errorf("%s: Relationship needs Id, Type and Target", name)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("%s: relationship Id %q used twice", name, r.ID)
		}
		ids[r.ID] = true
		if r.TargetMode != "" && r.TargetMode != "Internal" && r.TargetMode != "External" {
			return nil, fmt.Errorf("%s: relationship %s: bad TargetMode %q", name, r.ID, r.TargetMode)
		}
	}
	return doc.Rels, nil
}

// MarshalRelationships returns a relationships part as WindowsBase writes it:
// UTF-8 with BOM, one line, attributes in the order Type, Target, Id
// (TargetMode last when External), empty elements written "<x … />".
func MarshalRelationships(rels []Relationship) []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<Relationships xmlns="` + NamespaceRels + `">`)
	for _, r := range rels {
		fmt.Fprintf(&b, `<Relationship Type="%s" Target="%s" Id="%s"`, attr(r.Type), attr(r.Target), attr(r.ID))
		if r.TargetMode == "External" {
			b.WriteString(` TargetMode="External"`)
		}
		b.WriteString(` />`)
	}
	b.WriteString(`</Relationships>`)
	return b.Bytes()
}

// ValidRelationshipID reports whether id is a valid relationship Id (an XML
// NCName in the ASCII subset WindowsBase generates, e.g. "R" + 16 hex).
func ValidRelationshipID(id string) bool {
	if id == "" || !(id[0] == '_' || 'a' <= id[0]|0x20 && id[0]|0x20 <= 'z') {
		return false
	}
	return strings.IndexFunc(id, func(c rune) bool {
		return !(c == '_' || c == '-' || c == '.' || '0' <= c && c <= '9' || 'a' <= c|0x20 && c|0x20 <= 'z')
	}) < 0
}
