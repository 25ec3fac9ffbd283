package sign

import (
	"bytes"
	"compress/flate"
	"fmt"
	"hash/crc32"
	"io"
	"net/url"
	"path"
	"sort"
	"strings"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/xmldsig"
)

// OPC constants used by package signatures.
const (
	nsContentTypes  = "http://schemas.openxmlformats.org/package/2006/content-types"
	nsRelationships = "http://schemas.openxmlformats.org/package/2006/relationships"
	nsDigSig        = "http://schemas.openxmlformats.org/package/2006/digital-signature"

	relTypeOrigin      = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/origin"
	relTypeSignature   = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/signature"
	relTypeCertificate = "http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/certificate"

	ctRelationships = "application/vnd.openxmlformats-package.relationships+xml"
	ctOrigin        = "application/vnd.openxmlformats-package.digital-signature-origin"
	ctSignature     = "application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml"

	contentTypesName = "[Content_Types].xml"
	originPartName   = "/package/services/digital-signature/origin.psdsor"
	signatureFolder  = "/package/services/digital-signature/xml-signature/"

	xmlHeader = "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?>"
)

// part is one part of an OPC package.
type part struct {
	name  string         // part name, e.g. "/Foo.pq" (escaped form, as in the ZIP)
	entry *archive.Entry // nil for parts created while signing
	data  []byte         // uncompressed bytes, loaded on demand
	// modified is the time to record for a new part.
	modified time.Time
}

// bytes returns the part's uncompressed bytes.
func (p *part) bytes() ([]byte, error) {
	if p.data == nil && p.entry != nil {
		b, err := inflate(p.entry)
		if err != nil {
			return nil, err
		}
		p.data = b
	}
	return p.data, nil
}

// flateReaders recycles inflaters: a new one allocates about 40 KB, which
// dominated verifying a package of a dozen small parts.
var flateReaders sync.Pool

// inflate reads an entry like archive.Entry.ReadAll (declared size and
// CRC-32 enforced) with a pooled inflater and an exactly sized buffer.
// Entries over 1 MiB take ReadAll's path, which does not trust the
// declared size for its allocation.
func inflate(e *archive.Entry) ([]byte, error) {
	if e.Size > 1<<20 || (e.Method != archive.Store && e.Method != archive.Deflate) {
		return e.ReadAll()
	}
	raw, err := e.OpenRaw()
	if err != nil {
		return nil, err
	}
	comp := make([]byte, raw.Size())
	if _, err := raw.ReadAt(comp, 0); err != nil && len(comp) > 0 {
		return nil, fmt.Errorf("%s: %v", e.Name, err)
	}
	var r io.Reader = bytes.NewReader(comp)
	if e.Method == archive.Deflate {
		fr, _ := flateReaders.Get().(io.ReadCloser)
		if fr == nil {
			fr = flate.NewReader(r)
		} else if err := fr.(flate.Resetter).Reset(r, nil); err != nil {
			return nil, err
		}
		defer flateReaders.Put(fr)
		r = fr
	}
	out := make([]byte, e.Size)
	if _, err := io.ReadFull(r, out); err != nil {
		return nil, fmt.Errorf("%s: data shorter than its declared size of %d bytes (%v)", e.Name, e.Size, err)
	}
	var one [1]byte
	if n, _ := r.Read(one[:]); n > 0 {
		return nil, fmt.Errorf("%s: data longer than its declared size of %d bytes", e.Name, e.Size)
	}
	if crc32.ChecksumIEEE(out) != e.CRC32 {
		return nil, fmt.Errorf("%s: CRC-32 mismatch (damaged archive)", e.Name)
	}
	return out, nil
}

// pkg is an OPC package held in memory.
type pkg struct {
	parts []*part          // in ZIP order
	index map[string]*part // by normalised part name
	types *contentTypes
	// typesModified is the DOS time of [Content_Types].xml in the input.
	typesModified time.Time
}

// readPackage reads an OPC package from data, rejecting what OPC forbids
// beyond what the archive reader already checks.
func readPackage(data []byte) (*pkg, error) {
	zr, err := archive.Read(bytes.NewReader(data), int64(len(data)), archive.Limits{})
	if err != nil {
		return nil, err
	}
	p := &pkg{index: map[string]*part{}}
	var typesEntry *archive.Entry
	for _, e := range zr.Entries {
		if e.IsDir() {
			if e.Size != 0 {
				return nil, fmt.Errorf("%s: directory entry with data", e.Name)
			}
			continue
		}
		if e.Name == contentTypesName {
			typesEntry = e
			continue
		}
		if strings.EqualFold(e.Name, contentTypesName) {
			return nil, fmt.Errorf("%s: content types stream must be named %s", e.Name, contentTypesName)
		}
		name := "/" + e.Name
		if err := opc.ValidatePartName(name); err != nil {
			return nil, fmt.Errorf("%s: %v", e.Name, err)
		}
		key := normName(name)
		if _, dup := p.index[key]; dup {
			return nil, fmt.Errorf("%s: duplicate part name", e.Name)
		}
		pt := &part{name: name, entry: e}
		p.parts = append(p.parts, pt)
		p.index[key] = pt
	}
	// A part name may not be the folder of another part ("/a" and "/a/b").
	for _, pt := range p.parts {
		for dir := path.Dir(pt.name); dir != "/"; dir = path.Dir(dir) {
			if _, clash := p.index[normName(dir)]; clash {
				return nil, fmt.Errorf("%s: part name is also the folder of part %s", dir[1:], pt.name[1:])
			}
		}
	}
	if typesEntry == nil {
		return nil, fmt.Errorf("not an OPC package (.pqx): no %s; for a .mez, run 'pqx pack' first", contentTypesName)
	}
	raw, err := typesEntry.ReadAll()
	if err != nil {
		return nil, err
	}
	if p.types, err = parseContentTypes(raw); err != nil {
		return nil, fmt.Errorf("%s:%v", contentTypesName, err)
	}
	p.typesModified = typesEntry.Modified
	return p, nil
}

// normName is the key under which part names compare equal: OPC part names
// are case-insensitive and percent-encoding is not significant.
func normName(name string) string {
	if dec, err := url.PathUnescape(name); err == nil {
		name = dec
	}
	return strings.ToUpper(name)
}

func (p *pkg) lookup(name string) *part { return p.index[normName(name)] }

func (p *pkg) add(pt *part) {
	p.parts = append(p.parts, pt)
	p.index[normName(pt.name)] = pt
}

func (p *pkg) remove(name string) {
	key := normName(name)
	pt := p.index[key]
	if pt == nil {
		return
	}
	delete(p.index, key)
	for i, x := range p.parts {
		if x == pt {
			p.parts = append(p.parts[:i], p.parts[i+1:]...)
			break
		}
	}
	p.types.removeOverride(pt.name)
}

func isRelsPart(name string) bool { return opc.IsRelationshipsPart(name) }

func relsPartName(source string) string { return opc.RelationshipsPartName(source) }

// resolveTarget resolves a relationship target against its source part; ""
// means the target is not a valid part name.
func resolveTarget(source, target string) string {
	t, err := opc.ResolveTarget(source, target)
	if err != nil {
		return ""
	}
	return t
}

// relationship is one <Relationship> of a relationships part.
type relationship = opc.Relationship

// relationships returns the relationships whose source is source, or nil
// when it has no relationships part.
func (p *pkg) relationships(source string) ([]relationship, error) {
	pt := p.lookup(relsPartName(source))
	if pt == nil {
		return nil, nil
	}
	data, err := pt.bytes()
	if err != nil {
		return nil, err
	}
	rels, err := parseRelationships(data)
	if err != nil {
		return nil, fmt.Errorf("%s:%v", pt.name[1:], err)
	}
	return rels, nil
}

// setRelationships replaces the relationships part of source, creating it if
// needed, or removes it when rels is empty.
func (p *pkg) setRelationships(source string, rels []relationship, mod time.Time) {
	name := relsPartName(source)
	if len(rels) == 0 {
		p.remove(name)
		return
	}
	data := relationshipsBytes(rels)
	if pt := p.lookup(name); pt != nil {
		if old, err := pt.bytes(); err == nil && bytes.Equal(old, data) {
			return
		}
		pt.data, pt.entry, pt.modified = data, nil, mod
		return
	}
	p.add(&part{name: name, data: data, modified: mod})
	p.types.add(name, ctRelationships)
}

func parseRelationships(data []byte) ([]relationship, error) {
	doc, err := xmldsig.Parse(data)
	if err != nil {
		return nil, err
	}
	root := doc.Root
	if !root.Is(nsRelationships, "Relationships") {
		return nil, fmt.Errorf("%d:%d: root element is <%s>, want Relationships", root.Line, root.Col, root.Name())
	}
	var rels []relationship
	ids := map[string]bool{}
	for _, e := range root.Elements() {
		if !e.Is(nsRelationships, "Relationship") {
			return nil, fmt.Errorf("%d:%d: unexpected element <%s>", e.Line, e.Col, e.Name())
		}
		var r relationship
		r.ID, _ = e.Attr("Id")
		r.Type, _ = e.Attr("Type")
		r.Target, _ = e.Attr("Target")
		r.TargetMode, _ = e.Attr("TargetMode")
		if r.ID == "" || r.Type == "" || r.Target == "" {
			return nil, fmt.Errorf("%d:%d: Relationship needs Id, Type and Target", e.Line, e.Col)
		}
		if ids[r.ID] {
			return nil, fmt.Errorf("%d:%d: duplicate relationship Id %q", e.Line, e.Col, r.ID)
		}
		ids[r.ID] = true
		rels = append(rels, r)
	}
	return rels, nil
}

func relationshipsBytes(rels []relationship) []byte { return opc.MarshalRelationships(rels) }

// contentTypes is [Content_Types].xml: internal/opc's model, plus the
// input bytes, which are written back unchanged unless a part was added or
// removed.
type contentTypes struct {
	opc.ContentTypes
	raw []byte
}

// parseContentTypes parses with xmldsig's parser, for positions in errors
// and its refusal of DOCTYPEs and unexpected elements.
func parseContentTypes(data []byte) (*contentTypes, error) {
	doc, err := xmldsig.Parse(data)
	if err != nil {
		return nil, err
	}
	root := doc.Root
	if !root.Is(nsContentTypes, "Types") {
		return nil, fmt.Errorf("%d:%d: root element is <%s>, want Types", root.Line, root.Col, root.Name())
	}
	ct := &contentTypes{raw: data}
	for _, e := range root.Elements() {
		switch {
		case e.Is(nsContentTypes, "Default"):
			ext, _ := e.Attr("Extension")
			typ, _ := e.Attr("ContentType")
			if ext == "" || typ == "" {
				return nil, fmt.Errorf("%d:%d: Default needs Extension and ContentType", e.Line, e.Col)
			}
			for _, d := range ct.Defaults {
				if strings.EqualFold(d.Extension, ext) {
					return nil, fmt.Errorf("%d:%d: duplicate Default for extension %q", e.Line, e.Col, ext)
				}
			}
			ct.Defaults = append(ct.Defaults, opc.Default{Extension: ext, ContentType: typ})
		case e.Is(nsContentTypes, "Override"):
			name, _ := e.Attr("PartName")
			typ, _ := e.Attr("ContentType")
			if name == "" || typ == "" {
				return nil, fmt.Errorf("%d:%d: Override needs PartName and ContentType", e.Line, e.Col)
			}
			for _, o := range ct.Overrides {
				if normName(o.PartName) == normName(name) {
					return nil, fmt.Errorf("%d:%d: duplicate Override for %s", e.Line, e.Col, name)
				}
			}
			ct.Overrides = append(ct.Overrides, opc.Override{PartName: name, ContentType: typ})
		default:
			return nil, fmt.Errorf("%d:%d: unexpected element <%s>", e.Line, e.Col, e.Name())
		}
	}
	return ct, nil
}

func (c *contentTypes) typeOf(name string) (string, bool) { return c.Lookup(name) }

// add records a new part's content type by WindowsBase's rules.
func (c *contentTypes) add(name, typ string) {
	nd, no := len(c.Defaults), len(c.Overrides)
	c.Add(name, typ)
	if len(c.Defaults) != nd || len(c.Overrides) != no {
		c.raw = nil
	}
}

func (c *contentTypes) removeOverride(name string) {
	n := len(c.Overrides)
	c.Remove(name)
	if len(c.Overrides) != n {
		c.raw = nil
	}
}

// bytes returns [Content_Types].xml: the input bytes when nothing changed,
// else WindowsBase's single-line form.
func (c *contentTypes) bytes() []byte {
	if c.raw != nil {
		return c.raw
	}
	return c.Marshal()
}

// write serialises the package. Parts keep their compressed streams; the
// order is: content parts, origin, relationship parts, [Content_Types].xml,
// signature parts (reference §4.1).
func (p *pkg) write(isOrigin, isSignature func(string) bool, typesTime time.Time) ([]byte, error) {
	var content, origin, rels, sigs []*part
	for _, pt := range p.parts {
		switch {
		case isSignature(pt.name):
			sigs = append(sigs, pt)
		case isOrigin(pt.name):
			origin = append(origin, pt)
		case isRelsPart(pt.name):
			rels = append(rels, pt)
		default:
			content = append(content, pt)
		}
	}
	// The package relationships part comes before the others.
	sort.SliceStable(rels, func(i, j int) bool { return rels[i].name == "/_rels/.rels" && rels[j].name != "/_rels/.rels" })
	var out bytes.Buffer
	zw := archive.NewWriter(&out)
	emit := func(pt *part) error {
		if pt.entry != nil {
			raw, err := pt.entry.OpenRaw()
			if err != nil {
				return err
			}
			comp := make([]byte, raw.Size())
			if _, err := raw.ReadAt(comp, 0); err != nil && len(comp) > 0 {
				return fmt.Errorf("%s: %v", pt.name[1:], err)
			}
			return zw.AddRaw(header(pt.name[1:], pt.entry.Method, pt.entry.Modified), comp, pt.entry.CRC32, pt.entry.Size)
		}
		return zw.Add(header(pt.name[1:], archive.Store, pt.modified), pt.data)
	}
	for _, group := range [][]*part{content, origin, rels} {
		for _, pt := range group {
			if err := emit(pt); err != nil {
				return nil, err
			}
		}
	}
	if err := zw.Add(header(contentTypesName, archive.Store, typesTime), p.types.bytes()); err != nil {
		return nil, err
	}
	for _, pt := range sigs {
		if err := emit(pt); err != nil {
			return nil, err
		}
	}
	if err := zw.Close(); err != nil {
		return nil, err
	}
	return out.Bytes(), nil
}

// header returns WindowsBase's header fields for an entry (reference
// §4.2), as internal/opc writes them.
func header(name string, method uint16, mod time.Time) archive.Header {
	return opc.Header(name, method, mod)
}

var textEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `>`, "&gt;", "\r", "&#xD;")

func escText(s string) string { return textEscaper.Replace(s) }
