package opc

import (
	stdzip "archive/zip"
	"bytes"
	"encoding/binary"
	"hash/crc32"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode/utf8"

	"github.com/google/go-cmp/cmp"
	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/mez"
)

func TestEscapeName(t *testing.T) {
	for in, want := range map[string]string{
		"Foo.pq":                "/Foo.pq",
		"Anaplan Connector.pq":  "/Anaplan%20Connector.pq",
		"100%.txt":              "/100%25.txt",
		"café.png":              "/caf%C3%A9.png",
		"a#b?c[d].m":            "/a%23b%3Fc%5Bd%5D.m",
		"x~y_z-1.(2)!$&'+,;=@:": "/x~y_z-1.(2)!$&'+,;=@:",
	} {
		got := EscapeName(in)
		if got != want {
			t.Errorf("EscapeName(%q) = %q, want %q", in, got, want)
		}
		if err := ValidatePartName(got); err != nil {
			t.Errorf("escaped name invalid: %v", err)
		}
		if back, err := UnescapeName(got); err != nil || back != in {
			t.Errorf("UnescapeName(%q) = %q, %v", got, back, err)
		}
	}
}

func TestValidatePartName(t *testing.T) {
	for _, bad := range []string{"", "Foo.pq", "/", "/a/", "/a//b", "/a./b", "/a.", "/a b", "/%2F", "/%5c", "/%41", "/%7E", "/%zz", "/[Content_Types].xml", "/a\\b"} {
		if ValidatePartName(bad) == nil {
			t.Errorf("ValidatePartName(%q) = nil", bad)
		}
	}
	for _, good := range []string{"/Foo.pq", "/_rels/.rels", "/package/services/digital-signature/origin.psdsor", "/a%20b", "/%3A", "/.gitignore"} {
		if err := ValidatePartName(good); err != nil {
			t.Errorf("ValidatePartName(%q) = %v", good, err)
		}
	}
}

func TestContentTypeFor(t *testing.T) {
	for name, want := range map[string]string{
		"/X.pq": ContentTypeM, "/X.PQM": ContentTypeM, "/X.m": ContentTypeM, "/resources.resx": ContentTypeXML,
		"/X16.png": ContentTypePNG, "/a.gif": ContentTypeGIF, "/a.jpg": ContentTypeJPEG, "/a.jpeg": ContentTypeText,
		"/a.json": ContentTypeJSON, "/a.svg": ContentTypeText, "/LICENSE": ContentTypeText, "/.gitignore": ContentTypeText,
		"/schema.graphql": ContentTypeText,
	} {
		if got := ContentTypeFor(name); got != want {
			t.Errorf("ContentTypeFor(%q) = %q, want %q", name, got, want)
		}
	}
}

// TestContentTypesBytes reproduces the 610-byte stream observed in a
// MakePQX-signed package (reference §3.3).
func TestContentTypesBytes(t *testing.T) {
	var ct ContentTypes
	for _, p := range []string{"/X16.png", "/X20.png", "/resources.resx", "/X.m", "/X80.PNG"} {
		ct.Add(p, ContentTypeFor(p))
	}
	ct.Add("/package/services/digital-signature/origin.psdsor", ContentTypeSigOrigin)
	ct.Add("/_rels/.rels", ContentTypeRels)
	ct.Add("/package/services/digital-signature/_rels/origin.psdsor.rels", ContentTypeRels)
	ct.Add("/package/services/digital-signature/xml-signature/c0433fc319ef4c1794f1f064951b1fab.psdsxs", ContentTypeSignature)
	want := "\ufeff" + `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="png" ContentType="image/png" /><Default Extension="resx" ContentType="text/xml" /><Default Extension="m" ContentType="application/x-ms-m" /><Default Extension="psdsor" ContentType="application/vnd.openxmlformats-package.digital-signature-origin" /><Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" /><Default Extension="psdsxs" ContentType="application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml" /></Types>`
	got := ct.Marshal()
	if diff := cmp.Diff(want, string(got)); diff != "" {
		t.Fatalf("content types (-want +got):\n%s", diff)
	}
	if len(got) != 610 {
		t.Fatalf("%d bytes, want 610", len(got))
	}
	back, err := ParseContentTypes(got)
	if err != nil {
		t.Fatal(err)
	}
	if diff := cmp.Diff(&ct, back); diff != "" {
		t.Fatalf("round trip (-want +got):\n%s", diff)
	}
}

func TestContentTypesOverrides(t *testing.T) {
	var ct ContentTypes
	ct.Add("/LICENSE", ContentTypeText)
	ct.Add("/a.XML", "text/xml")
	ct.Add("/b.xml", "application/xml")
	if want := []Default{{"XML", "text/xml"}}; !cmp.Equal(ct.Defaults, want) {
		t.Errorf("defaults %v", ct.Defaults)
	}
	if want := []Override{{"/LICENSE", ContentTypeText}, {"/b.xml", "application/xml"}}; !cmp.Equal(ct.Overrides, want) {
		t.Errorf("overrides %v", ct.Overrides)
	}
	for part, want := range map[string]string{"/license": ContentTypeText, "/A.xml": "text/xml", "/B.XML": "application/xml"} {
		if got, ok := ct.Lookup(part); !ok || got != want {
			t.Errorf("Lookup(%q) = %q, %v", part, got, ok)
		}
	}
	if _, ok := ct.Lookup("/other"); ok {
		t.Error("Lookup of unknown extensionless part succeeded")
	}
	if !strings.Contains(string(ct.Marshal()), `<Override PartName="/LICENSE" ContentType="text/plain" />`) {
		t.Errorf("override not written: %s", ct.Marshal())
	}
}

func TestParseContentTypesErrors(t *testing.T) {
	for _, in := range []string{
		`<Types/>`,
		`<Types xmlns="` + NamespaceContentTypes + `"><Default Extension="a" ContentType="x"/><Default Extension="A" ContentType="y"/></Types>`,
		`<Types xmlns="` + NamespaceContentTypes + `"><Override PartName="nope" ContentType="x"/></Types>`,
		`<Types xmlns="` + NamespaceContentTypes + `"><Default Extension="a"/></Types>`,
		`not xml`,
	} {
		if _, err := ParseContentTypes([]byte(in)); err == nil {
			t.Errorf("ParseContentTypes(%q) = nil error", in)
		}
	}
}

// TestRelationshipsBytes reproduces the 332-byte _rels/.rels of a
// MakePQX-signed package (reference §4.3).
func TestRelationshipsBytes(t *testing.T) {
	rels := []Relationship{{ID: "Rf6a692d0f2744242", Type: RelTypeSigOrigin, Target: "/package/services/digital-signature/origin.psdsor"}}
	want := "\ufeff" + `<?xml version="1.0" encoding="utf-8"?><Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships"><Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/origin" Target="/package/services/digital-signature/origin.psdsor" Id="Rf6a692d0f2744242" /></Relationships>`
	got := MarshalRelationships(rels)
	if string(got) != want || len(got) != 332 {
		t.Fatalf("got %d bytes:\n%s", len(got), got)
	}
	sig := MarshalRelationships([]Relationship{{ID: "R0123456789abcdef", Type: RelTypeSignature, Target: "/package/services/digital-signature/xml-signature/c0433fc319ef4c1794f1f064951b1fab.psdsxs"}})
	if len(sig) != 375 {
		t.Fatalf("origin rels is %d bytes, want 375", len(sig))
	}
	back, err := ParseRelationships("x", got)
	if err != nil || !cmp.Equal(back, rels) {
		t.Fatalf("round trip %v %v", back, err)
	}
	if _, err := ParseRelationships("x", []byte(`<Relationships xmlns="`+NamespaceRels+`"><Relationship Id="a" Type="t" Target="/x"/><Relationship Id="a" Type="t" Target="/y"/></Relationships>`)); err == nil {
		t.Fatal("duplicate Id accepted")
	}
}

func TestPartNameHelpers(t *testing.T) {
	if got := RelationshipsPartName("/"); got != "/_rels/.rels" {
		t.Error(got)
	}
	if got := RelationshipsPartName("/package/services/digital-signature/origin.psdsor"); got != "/package/services/digital-signature/_rels/origin.psdsor.rels" {
		t.Error(got)
	}
	if !IsRelationshipsPart("/_rels/.rels") || IsRelationshipsPart("/a.rels") {
		t.Error("IsRelationshipsPart")
	}
	for _, tt := range [][3]string{
		{"/", "/x/y.psdsor", "/x/y.psdsor"},
		{"/", "x/y.psdsor", "/x/y.psdsor"},
		{"/package/a/origin.psdor", "sig/1.psdsxs", "/package/a/sig/1.psdsxs"},
		{"/package/a/origin.psdor", "../b.psdsxs", "/package/b.psdsxs"},
	} {
		got, err := ResolveTarget(tt[0], tt[1])
		if err != nil || got != tt[2] {
			t.Errorf("ResolveTarget(%q, %q) = %q, %v", tt[0], tt[1], got, err)
		}
	}
	if _, err := ResolveTarget("/", "https://example.com/x"); err == nil {
		t.Error("external target resolved")
	}
}

func connectorFiles() []mez.File {
	return []mez.File{
		{Name: "My Connector.pq", Data: []byte(strings.Repeat("section MyConnector;\n", 40))},
		{Name: "resources.resx", Data: []byte(strings.Repeat("<data/>\n", 30))},
		{Name: "My Connector16.png", Data: []byte("\x89PNG fake")},
		{Name: "LICENSE", Data: []byte("MIT")},
		{Name: "empty.json", Data: nil},
	}
}

// TestPackageBytes walks the raw bytes of an unsigned .pqx and checks them
// against the WindowsBase layout (reference §4.2, §3.3).
func TestPackageBytes(t *testing.T) {
	var b bytes.Buffer
	if err := WritePackage(&b, connectorFiles(), Options{}); err != nil {
		t.Fatal(err)
	}
	data := b.Bytes()
	le := binary.LittleEndian
	wantNames := []string{"empty.json", "LICENSE", "My%20Connector.pq", "My%20Connector16.png", "resources.resx", "[Content_Types].xml"}
	p := 0
	var ctBody []byte
	for i, want := range wantNames {
		if le.Uint32(data[p:]) != 0x04034b50 {
			t.Fatalf("entry %d: no local header", i)
		}
		needed, flags, method := le.Uint16(data[p+4:]), le.Uint16(data[p+6:]), le.Uint16(data[p+8:])
		csize := int(le.Uint32(data[p+18:]))
		nl, xl := int(le.Uint16(data[p+26:])), int(le.Uint16(data[p+28:]))
		name := string(data[p+30 : p+30+nl])
		extra := data[p+30+nl : p+30+nl+xl]
		if name != want {
			t.Errorf("entry %d = %q, want %q", i, name, want)
		}
		if !bytes.Equal(extra, PaddingExtra()) || len(extra) != 28 {
			t.Errorf("%s: local extra % x", name, extra)
		}
		wantM, wantV := uint16(8), uint16(20)
		if name == "empty.json" || name == ContentTypesEntry {
			wantM, wantV = 0, 10
		}
		if method != wantM || needed != wantV || flags != 0 {
			t.Errorf("%s: method %d needed %d flags %d", name, method, needed, flags)
		}
		if name == ContentTypesEntry {
			ctBody = data[p+30+nl+xl : p+30+nl+xl+csize]
		}
		p += 30 + nl + xl + csize
	}
	for range wantNames {
		if le.Uint32(data[p:]) != 0x02014b50 {
			t.Fatal("central record missing")
		}
		if madeBy, xl := le.Uint16(data[p+4:]), le.Uint16(data[p+30:]); madeBy != 0x002D || xl != 0 || le.Uint32(data[p+38:]) != 0 {
			t.Errorf("central: made by %#x extra %d", madeBy, xl)
		}
		p += 46 + int(le.Uint16(data[p+28:]))
	}
	if len(data) != p+22 {
		t.Errorf("trailing bytes after the central directory")
	}
	wantCT := "\ufeff" + `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"><Default Extension="json" ContentType="application/json" /><Default Extension="pq" ContentType="application/x-ms-m" /><Default Extension="png" ContentType="image/png" /><Default Extension="resx" ContentType="text/xml" /><Override PartName="/LICENSE" ContentType="text/plain" /></Types>`
	if diff := cmp.Diff(wantCT, string(ctBody)); diff != "" {
		t.Errorf("[Content_Types].xml (-want +got):\n%s", diff)
	}
}

// TestPackFromMez checks that packing a .mez copies its compressed streams
// byte for byte and gives the same package as WritePackage.
func TestPackFromMez(t *testing.T) {
	var m, direct, packed bytes.Buffer
	if err := mez.Write(&m, connectorFiles(), mez.Options{}); err != nil {
		t.Fatal(err)
	}
	if err := WritePackage(&direct, connectorFiles(), Options{}); err != nil {
		t.Fatal(err)
	}
	ma, err := archive.Read(bytes.NewReader(m.Bytes()), int64(m.Len()), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	if err := Pack(&packed, ma, Options{}); err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(direct.Bytes(), packed.Bytes()) {
		t.Fatal("Pack(mez) differs from WritePackage(files)")
	}
	pa, err := archive.Read(bytes.NewReader(packed.Bytes()), int64(packed.Len()), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	for _, me := range ma.Entries {
		pe := pa.Lookup(EntryName(EscapeName(me.Name)))
		if pe == nil {
			t.Fatalf("%s missing from the package", me.Name)
		}
		mr, _ := me.OpenRaw()
		pr, _ := pe.OpenRaw()
		mb, _ := io.ReadAll(mr)
		pb, _ := io.ReadAll(pr)
		if !bytes.Equal(mb, pb) || me.CRC32 != pe.CRC32 {
			t.Errorf("%s: compressed stream not copied unchanged", me.Name)
		}
	}

	pkg, err := ReadPackage(pa)
	if err != nil {
		t.Fatal(err)
	}
	if got := pkg.Part("/my%20connector.PQ"); got == nil || got.ContentType != ContentTypeM {
		t.Fatalf("part lookup: %+v", got)
	}
	if sigs, err := pkg.Signatures(); err != nil || sigs.Origin != "" {
		t.Fatalf("unsigned package reports signatures: %+v %v", sigs, err)
	}
}

// TestPackStoredEntries checks that a .mez with stored non-empty entries
// (another zip tool) is deflated into the package.
func TestPackStoredEntries(t *testing.T) {
	var m bytes.Buffer
	zw := stdzip.NewWriter(&m)
	w, _ := zw.CreateHeader(&stdzip.FileHeader{Name: "A.pq", Method: stdzip.Store})
	w.Write([]byte("section A; shared A.x = 1;"))
	zw.Close()
	ma, err := archive.Read(bytes.NewReader(m.Bytes()), int64(m.Len()), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	var out bytes.Buffer
	if err := Pack(&out, ma, Options{}); err != nil {
		t.Fatal(err)
	}
	pa, _ := archive.Read(bytes.NewReader(out.Bytes()), int64(out.Len()), archive.Limits{})
	if e := pa.Lookup("A.pq"); e == nil || e.Method != archive.Deflate {
		t.Fatalf("entry %+v", e)
	}
}

func TestPackRejectsReservedNames(t *testing.T) {
	for _, name := range []string{"_rels/.rels", "[Content_Types].xml", "dir/"} {
		var m bytes.Buffer
		zw := stdzip.NewWriter(&m)
		zw.Create("A.pq")
		zw.Create(name)
		zw.Close()
		ma, err := archive.Read(bytes.NewReader(m.Bytes()), int64(m.Len()), archive.Limits{})
		if err != nil {
			t.Fatal(err)
		}
		if err := Pack(io.Discard, ma, Options{}); err == nil || !strings.Contains(err.Error(), name) {
			t.Errorf("Pack with %q: err = %v", name, err)
		}
	}
}

// TestSignedLayout writes a package in the layout of a signed .pqx with the
// Writer (as the signer does) and finds its signature by relationships.
func TestSignedLayout(t *testing.T) {
	for _, origin := range []string{"origin.psdsor", "origin.psdor"} {
		var b bytes.Buffer
		pw := NewWriter(&b, Options{})
		must := func(err error) {
			t.Helper()
			if err != nil {
				t.Fatal(err)
			}
		}
		must(pw.CreatePart("/X.pq", ContentTypeM, []byte("section X;"), true))
		originPart := "/package/services/digital-signature/" + origin
		sigPart := "/package/services/digital-signature/xml-signature/c0433fc319ef4c1794f1f064951b1fab.psdsxs"
		must(pw.CreatePart(originPart, ContentTypeSigOrigin, nil, false))
		must(pw.CreatePart("/_rels/.rels", ContentTypeRels, MarshalRelationships([]Relationship{{ID: "R1", Type: RelTypeSigOrigin, Target: originPart}}), false))
		must(pw.CreatePart(RelationshipsPartName(originPart), ContentTypeRels, MarshalRelationships([]Relationship{{ID: "R2", Type: RelTypeSignature, Target: "xml-signature/c0433fc319ef4c1794f1f064951b1fab.psdsxs"}}), false))
		must(pw.Register(sigPart, ContentTypeSignature))
		must(pw.WriteContentTypes())
		must(pw.CreatePartRaw(sigPart, ContentTypeSignature, archive.Store, []byte("<Signature/>"), crc32.ChecksumIEEE([]byte("<Signature/>")), 12))
		if err := pw.Register("/x.PQ", ContentTypeM); err == nil {
			t.Fatal("case-colliding part accepted")
		}
		must(pw.Close())

		a, err := archive.Read(bytes.NewReader(b.Bytes()), int64(b.Len()), archive.Limits{})
		must(err)
		var order []string
		for _, e := range a.Entries {
			order = append(order, e.Name)
		}
		wantOrder := []string{"X.pq", EntryName(originPart), "_rels/.rels", EntryName(RelationshipsPartName(originPart)), ContentTypesEntry, EntryName(sigPart)}
		if diff := cmp.Diff(wantOrder, order); diff != "" {
			t.Fatalf("order (-want +got):\n%s", diff)
		}
		pkg, err := ReadPackage(a)
		must(err)
		sigs, err := pkg.Signatures()
		must(err)
		if sigs.Origin != originPart || len(sigs.Signatures) != 1 || sigs.Signatures[0] != sigPart {
			t.Fatalf("signatures %+v", sigs)
		}
		if ct, _ := pkg.ContentTypes.Lookup(sigPart); ct != ContentTypeSignature {
			t.Fatalf("signature content type %q", ct)
		}
	}
}

// TestReadBackTools has Go's archive/zip and, when installed, Info-ZIP's
// unzip -t and zipinfo read a package.
func TestReadBackTools(t *testing.T) {
	var b bytes.Buffer
	if err := WritePackage(&b, connectorFiles(), Options{}); err != nil {
		t.Fatal(err)
	}
	zr, err := stdzip.NewReader(bytes.NewReader(b.Bytes()), int64(b.Len()))
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range zr.File {
		rc, err := f.Open()
		if err != nil {
			t.Fatal(err)
		}
		if _, err := io.Copy(io.Discard, rc); err != nil {
			t.Fatalf("%s: %v", f.Name, err)
		}
	}
	path := filepath.Join(t.TempDir(), "x.pqx")
	os.WriteFile(path, b.Bytes(), 0o644)
	if _, err := exec.LookPath("unzip"); err == nil {
		out, err := exec.Command("unzip", "-t", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "No errors detected") {
			t.Errorf("unzip -t: %v\n%s", err, out)
		}
	}
	if _, err := exec.LookPath("zipinfo"); err == nil {
		out, err := exec.Command("zipinfo", path).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "My%20Connector.pq") {
			t.Errorf("zipinfo: %v\n%s", err, out)
		}
	}
}

// FuzzEscapeName checks that every flat file name a .mez may hold escapes
// to a valid part name that unescapes to the same name.
func FuzzEscapeName(f *testing.F) {
	for _, s := range []string{"Foo.pq", "a b.png", "100%.txt", "café.m", "x#y?.json", ".gitignore"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		if archive.ValidateName(name) != nil || strings.Contains(name, "/") || strings.HasSuffix(name, ".") || !utf8.ValidString(name) {
			return
		}
		part := EscapeName(name)
		if err := ValidatePartName(part); err != nil {
			t.Fatalf("EscapeName(%q) = %q: %v", name, part, err)
		}
		back, err := UnescapeName(part)
		if err != nil || back != name {
			t.Fatalf("UnescapeName(%q) = %q, %v; want %q", part, back, err, name)
		}
	})
}

// FuzzInspect feeds arbitrary bytes through the bounded reader, the package
// reader and Inspect: errors are fine, panics and unbounded work are not.
func FuzzInspect(f *testing.F) {
	var b bytes.Buffer
	if err := WritePackage(&b, connectorFiles(), Options{}); err != nil {
		f.Fatal(err)
	}
	f.Add(b.Bytes())
	var m bytes.Buffer
	if err := mez.Write(&m, connectorFiles(), mez.Options{}); err != nil {
		f.Fatal(err)
	}
	f.Add(m.Bytes())
	f.Fuzz(func(t *testing.T, data []byte) {
		a, err := archive.Read(bytes.NewReader(data), int64(len(data)), archive.Limits{MaxEntrySize: 1 << 20, MaxTotalSize: 4 << 20})
		if err != nil {
			return
		}
		if in, err := Inspect(a); err == nil && in.Format == "pqx" {
			pkg, err := ReadPackage(a)
			if err != nil {
				t.Fatalf("Inspect accepted a package ReadPackage rejects: %v", err)
			}
			pkg.Signatures()
		}
	})
}

func TestPartNameOfAndIDs(t *testing.T) {
	for entry, want := range map[string]string{"Foo.pq": "/Foo.pq", "_rels/.rels": "/_rels/.rels", "a%20b.png": "/a%20b.png"} {
		if got, ok := PartNameOf(entry); !ok || got != want {
			t.Errorf("PartNameOf(%q) = %q, %v", entry, got, ok)
		}
	}
	for _, entry := range []string{ContentTypesEntry, "dir/", "a b.pq", "x."} {
		if got, ok := PartNameOf(entry); ok {
			t.Errorf("PartNameOf(%q) = %q, want not a part", entry, got)
		}
	}
	for id, want := range map[string]bool{"Rf6a692d0f2744242": true, "_x-1.2": true, "": false, "1abc": false, "a b": false, "R#": false} {
		if got := ValidRelationshipID(id); got != want {
			t.Errorf("ValidRelationshipID(%q) = %v", id, got)
		}
	}
}
