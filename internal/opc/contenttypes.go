package opc

import (
	"bytes"
	"encoding/xml"
	"fmt"
	"strings"
)

// Content types of parts, as MakePQX assigns them and as OPC defines the
// package's own parts.
const (
	ContentTypeM           = "application/x-ms-m"
	ContentTypeXML         = "text/xml"
	ContentTypePNG         = "image/png"
	ContentTypeGIF         = "image/gif"
	ContentTypeJPEG        = "image/jpeg"
	ContentTypeJSON        = "application/json"
	ContentTypeText        = "text/plain"
	ContentTypeRels        = "application/vnd.openxmlformats-package.relationships+xml"
	ContentTypeSigOrigin   = "application/vnd.openxmlformats-package.digital-signature-origin"
	ContentTypeSignature   = "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml"
	ContentTypeCertificate = "application/vnd.openxmlformats-package.digital-signature-certificate"
)

// ContentTypesEntry is the ZIP entry name of the content-types stream. It is
// not a part.
const ContentTypesEntry = "[Content_Types].xml"

// Namespaces of the package XML streams.
const (
	NamespaceContentTypes = "http://schemas.openxmlformats.org/package/2006/content-types"
	NamespaceRels         = "http://schemas.openxmlformats.org/package/2006/relationships"
)

// xmlHeader starts every package XML stream WindowsBase writes: a UTF-8 BOM
// and the declaration, with no newline after it.
const xmlHeader = "\ufeff<?xml version=\"1.0\" encoding=\"utf-8\"?>"

// ContentTypeFor returns the content type MakePQX gives a connector file,
// by its lower-cased extension; anything not listed (.txt, .jpeg, .svg,
// LICENSE, .gitignore …) is text/plain.
func ContentTypeFor(name string) string {
	switch strings.ToLower(Extension(name)) {
	case "pq", "pqm", "m":
		return ContentTypeM
	case "resx":
		return ContentTypeXML
	case "png":
		return ContentTypePNG
	case "gif":
		return ContentTypeGIF
	case "jpg":
		return ContentTypeJPEG
	case "json":
		return ContentTypeJSON
	}
	return ContentTypeText
}

// Default maps an extension to a content type.
type Default struct {
	Extension   string `xml:"Extension,attr"`
	ContentType string `xml:"ContentType,attr"`
}

// Override gives one part its content type.
type Override struct {
	PartName    string `xml:"PartName,attr"`
	ContentType string `xml:"ContentType,attr"`
}

// ContentTypes is the [Content_Types].xml stream. Add builds it with
// WindowsBase's rules; Marshal writes it in WindowsBase's form.
type ContentTypes struct {
	Defaults  []Default
	Overrides []Override
}

// Add records the content type of a newly created part: the first part with
// a given extension adds a Default (extension matched case-insensitively, its
// spelling kept as first seen); a part without an extension, or whose type
// differs from its extension's Default, adds an Override.
func (ct *ContentTypes) Add(part, contentType string) {
	ext := Extension(part)
	if ext != "" {
		for _, d := range ct.Defaults {
			if strings.EqualFold(d.Extension, ext) {
				if d.ContentType == contentType {
					return
				}
				ct.setOverride(part, contentType)
				return
			}
		}
		ct.Defaults = append(ct.Defaults, Default{Extension: ext, ContentType: contentType})
		return
	}
	ct.setOverride(part, contentType)
}

func (ct *ContentTypes) setOverride(part, contentType string) {
	n := NormalizePartName(part)
	for i, o := range ct.Overrides {
		if NormalizePartName(o.PartName) == n {
			ct.Overrides[i].ContentType = contentType
			return
		}
	}
	ct.Overrides = append(ct.Overrides, Override{PartName: part, ContentType: contentType})
}

// Remove drops the Override of part, if any (Defaults are shared and stay).
func (ct *ContentTypes) Remove(part string) {
	n := NormalizePartName(part)
	for i, o := range ct.Overrides {
		if NormalizePartName(o.PartName) == n {
			ct.Overrides = append(ct.Overrides[:i], ct.Overrides[i+1:]...)
			return
		}
	}
}

// Lookup returns the content type of part: its Override if there is one,
// else the Default of its extension.
func (ct *ContentTypes) Lookup(part string) (string, bool) {
	n := NormalizePartName(part)
	for _, o := range ct.Overrides {
		if NormalizePartName(o.PartName) == n {
			return o.ContentType, true
		}
	}
	if ext := Extension(part); ext != "" {
		for _, d := range ct.Defaults {
			if strings.EqualFold(d.Extension, ext) {
				return d.ContentType, true
			}
		}
	}
	return "", false
}

// Marshal returns the stream as WindowsBase writes it: UTF-8 with BOM, one
// line, Defaults then Overrides in insertion order, empty elements written
// "<x … />", no trailing newline.
func (ct *ContentTypes) Marshal() []byte {
	var b bytes.Buffer
	b.WriteString(xmlHeader)
	b.WriteString(`<Types xmlns="` + NamespaceContentTypes + `">`)
	for _, d := range ct.Defaults {
		fmt.Fprintf(&b, `<Default Extension="%s" ContentType="%s" />`, attr(d.Extension), attr(d.ContentType))
	}
	for _, o := range ct.Overrides {
		fmt.Fprintf(&b, `<Override PartName="%s" ContentType="%s" />`, attr(o.PartName), attr(o.ContentType))
	}
	b.WriteString(`</Types>`)
	return b.Bytes()
}

// ParseContentTypes parses a [Content_Types].xml stream, checking the
// namespace, that every entry has its attributes, and that no extension or
// part name is declared twice.
func ParseContentTypes(data []byte) (*ContentTypes, error) {
	var doc struct {
		XMLName   xml.Name
		Defaults  []Default  `xml:"Default"`
		Overrides []Override `xml:"Override"`
	}
	if err := xml.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", ContentTypesEntry, err)
	}
	if doc.XMLName.Space != NamespaceContentTypes || doc.XMLName.Local != "Types" {
		return nil, fmt.Errorf("%s: root element is {%s}%s, want {%s}Types", ContentTypesEntry, doc.XMLName.Space, doc.XMLName.Local, NamespaceContentTypes)
	}
	ct := &ContentTypes{Defaults: doc.Defaults, Overrides: doc.Overrides}
	seen := map[string]bool{}
	for _, d := range ct.Defaults {
		if d.Extension == "" || d.ContentType == "" {
			return nil, fmt.Errorf("%s: Default needs Extension and ContentType", ContentTypesEntry)
		}
		k := "ext:" + strings.ToLower(d.Extension)
		if seen[k] {
			return nil, fmt.Errorf("%s: extension %q declared twice", ContentTypesEntry, d.Extension)
		}
		seen[k] = true
	}
	for _, o := range ct.Overrides {
		if o.PartName == "" || o.ContentType == "" {
			return nil, fmt.Errorf("%s: Override needs PartName and ContentType", ContentTypesEntry)
		}
		if err := ValidatePartName(o.PartName); err != nil {
			return nil, fmt.Errorf("%s: Override: %v", ContentTypesEntry, err)
		}
		k := "part:" + NormalizePartName(o.PartName)
		if seen[k] {
			return nil, fmt.Errorf("%s: part %q declared twice", ContentTypesEntry, o.PartName)
		}
		seen[k] = true
	}
	return ct, nil
}

// attr escapes s for a double-quoted XML attribute value.
func attr(s string) string {
	if !strings.ContainsAny(s, `&<>"`+"\t\n\r") {
		return s
	}
	var b bytes.Buffer
	xml.EscapeText(&b, []byte(s))
	return strings.ReplaceAll(b.String(), `"`, "&quot;")
}
