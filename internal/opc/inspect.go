package opc

import (
	"fmt"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/mez"
)

// Inspection describes a .mez or .pqx for "pqx inspect".
type Inspection struct {
	Format          string        `json:"format"` // "mez" or "pqx"
	Entries         []EntryInfo   `json:"entries"`
	SectionDocument string        `json:"section_document,omitempty"`
	Section         string        `json:"section,omitempty"`
	Kinds           []string      `json:"kinds"`
	Publish         []string      `json:"publish"`
	Signed          bool          `json:"signed"`
	SignatureOrigin string        `json:"signature_origin,omitempty"`
	Signatures      []string      `json:"signatures"`
	ContentTypes    *ContentTypes `json:"-"`
	Problems        []string      `json:"problems"`
}

// EntryInfo describes one archive entry.
type EntryInfo struct {
	Name           string    `json:"name"`
	Part           string    `json:"part,omitempty"` // part name (.pqx)
	Method         string    `json:"method"`         // "deflate", "store" or "method N"
	Size           int64     `json:"size"`
	CompressedSize int64     `json:"compressed_size"`
	CRC32          string    `json:"crc32"`        // 8 hex digits
	ContentType    string    `json:"content_type"` // declared (.pqx) or what pack would assign (.mez)
	Modified       time.Time `json:"modified"`
}

// Inspect describes an archive: a .pqx if it has [Content_Types].xml,
// else a .mez. It reads the section document (bounded by the archive's
// limits) to report the section name and data source kinds, and lists
// findings that would stop the package from loading as Problems. Errors are
// returned only for archives that cannot be interpreted at all.
func Inspect(a *archive.Reader) (*Inspection, error) {
	in := &Inspection{Format: "mez", Kinds: []string{}, Publish: []string{}, Signatures: []string{}, Problems: []string{}}
	var pkg *Package
	if a.Lookup(ContentTypesEntry) != nil {
		in.Format = "pqx"
		var err error
		if pkg, err = ReadPackage(a); err != nil {
			return nil, err
		}
		in.ContentTypes = pkg.ContentTypes
	}
	var sectionCandidates []*archive.Entry
	for _, e := range a.Entries {
		info := EntryInfo{
			Name: e.Name, Method: methodName(e.Method), Size: e.Size, CompressedSize: e.CompressedSize,
			CRC32: fmt.Sprintf("%08x", e.CRC32), Modified: e.Modified,
		}
		if e.Method != archive.Store && e.Method != archive.Deflate {
			in.Problems = append(in.Problems, fmt.Sprintf("%s: compression method %d cannot be read by Power BI", e.Name, e.Method))
		}
		fileName := e.Name
		if pkg != nil {
			if e.Name == ContentTypesEntry {
				info.ContentType = "(content types stream)"
			} else if p := pkg.Part("/" + e.Name); p != nil {
				info.Part, info.ContentType = p.Name, p.ContentType
				if n, err := UnescapeName(p.Name); err == nil {
					fileName = n
				}
			}
		} else {
			info.ContentType = ContentTypeFor("/" + e.Name)
			if strings.Contains(e.Name, "/") {
				in.Problems = append(in.Problems, fmt.Sprintf("%s: a .mez holds top-level files only", e.Name))
			}
			if IsRelationshipsPart("/"+e.Name) || strings.HasPrefix(e.Name, "package/services/digital-signature/") {
				in.Problems = append(in.Problems, fmt.Sprintf("%s: OPC package part in a .mez", e.Name))
			}
		}
		in.Entries = append(in.Entries, info)
		if !strings.Contains(fileName, "/") && mez.IsSectionDocument(fileName) {
			sectionCandidates = append(sectionCandidates, e)
		}
	}
	switch len(sectionCandidates) {
	case 0:
		in.Problems = append(in.Problems, "no section document (.pq or .m file at the top level)")
	case 1:
		e := sectionCandidates[0]
		in.SectionDocument = e.Name
		if pkg != nil {
			if p := pkg.Part("/" + e.Name); p != nil && p.ContentType != ContentTypeM {
				in.Problems = append(in.Problems, fmt.Sprintf("%s: content type %q, want %q", p.Name, p.ContentType, ContentTypeM))
			}
		}
		src, err := e.ReadAll()
		if err != nil {
			in.Problems = append(in.Problems, err.Error())
			break
		}
		si := mez.ScanSection(src)
		in.Section = si.Section
		in.Kinds = append(in.Kinds, si.Kinds...)
		in.Publish = append(in.Publish, si.Publish...)
		if si.Section == "" {
			in.Problems = append(in.Problems, e.Name+": no \"section Name;\" declaration found")
		}
		if len(si.Kinds) == 0 {
			in.Problems = append(in.Problems, e.Name+": no [DataSource.Kind=...] attribute found")
		}
	default:
		var names []string
		for _, e := range sectionCandidates {
			names = append(names, e.Name)
		}
		in.Problems = append(in.Problems, fmt.Sprintf("%d section documents (%s), want exactly one", len(names), strings.Join(names, ", ")))
	}
	if pkg != nil {
		sigs, err := pkg.Signatures()
		if err != nil {
			in.Problems = append(in.Problems, err.Error())
		}
		in.SignatureOrigin = sigs.Origin
		in.Signatures = append(in.Signatures, sigs.Signatures...)
		in.Signed = len(sigs.Signatures) > 0
	}
	return in, nil
}

func methodName(m uint16) string {
	switch m {
	case archive.Store:
		return "store"
	case archive.Deflate:
		return "deflate"
	}
	return fmt.Sprintf("method %d", m)
}
