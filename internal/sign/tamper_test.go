package sign

import (
	stdzip "archive/zip"
	"bytes"
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/binary"
	"errors"
	"fmt"
	"strings"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/xmldsig"
)

// TestTamperEveryByte flips every byte of every signed part (a sample of
// offsets for large parts) and expects InvalidSignature naming the part.
func TestTamperEveryByte(t *testing.T) {
	files := sampleFiles()
	files = append(files, file{"big.json", bytes.Repeat([]byte(`{"k":"v"},`), 600)})
	signed := mustSign(t, unsignedPQX(t, files), testSigner(t, 0), Options{})
	for _, f := range files {
		step := 1
		if len(f.data) > 512 {
			step = len(f.data)/256 + 1
		}
		for off := 0; off < len(f.data); off += step {
			bad := rewrite(t, signed, func(name string, b []byte) ([]byte, bool) {
				if name == f.name {
					b = append([]byte(nil), b...)
					b[off] ^= 0x01
				}
				return b, true
			})
			rep := mustVerify(t, bad, VerifyOptions{})
			if rep.SignatureStatus != InvalidSignature || partStatus(rep, "/"+f.name) != PartChanged {
				t.Fatalf("%s byte %d flipped: %v, part %s", f.name, off, rep.SignatureStatus, partStatus(rep, "/"+f.name))
			}
			if !strings.Contains(strings.Join(rep.Problems, "\n"), "/"+f.name+": content changed") {
				t.Fatalf("%s byte %d: problems do not name the part: %q", f.name, off, rep.Problems)
			}
		}
	}
}

func TestTamper(t *testing.T) {
	s := testSigner(t, 0)
	signed := mustSign(t, unsignedPQX(t, sampleFiles()), s, Options{})
	sigName, _ := signaturePart(t, signed)
	other := testSigner(t, 1).Certificate()
	certB64 := base64.StdEncoding.EncodeToString(s.Certificate().Raw)
	editSig := func(old, new string) func(string, []byte) ([]byte, bool) {
		return func(name string, b []byte) ([]byte, bool) {
			if name == sigName {
				if !bytes.Contains(b, []byte(old)) {
					t.Fatalf("signature part lacks %q", old)
				}
				b = bytes.Replace(b, []byte(old), []byte(new), 1)
			}
			return b, true
		}
	}
	tests := []struct {
		name    string
		edit    func(string, []byte) ([]byte, bool)
		extra   []file
		want    VerifyResult
		part    string // part expected in the per-part report
		status  string
		problem string
	}{
		{
			name: "content type changed",
			edit: func(name string, b []byte) ([]byte, bool) {
				if name == contentTypesName {
					b = bytes.Replace(b, []byte(`Extension="resx" ContentType="text/xml"`), []byte(`Extension="resx" ContentType="text/plain"`), 1)
				}
				return b, true
			},
			want: InvalidSignature, part: "/resources.resx", status: PartContentTypeChanged, problem: `content type is "text/plain", signed as "text/xml"`,
		},
		{
			name:  "unsigned part added",
			edit:  func(_ string, b []byte) ([]byte, bool) { return b, true },
			extra: []file{{"evil.pqm", []byte("shared X = 1;")}},
			want:  InvalidSignature, part: "/evil.pqm", status: PartUnsigned, problem: "/evil.pqm: part is not covered by any signature",
		},
		{
			name: "part removed",
			edit: func(name string, b []byte) ([]byte, bool) { return b, name != "Contoso16.png" },
			want: ReferenceNotFound, part: "/Contoso16.png", status: PartMissing, problem: "/Contoso16.png: signed part is missing",
		},
		{
			name: "certificate swapped",
			edit: editSig(certB64, base64.StdEncoding.EncodeToString(other.Raw)),
			want: InvalidSignature, problem: "RSAKeyValue does not match",
		},
		{
			name: "certificate and key value swapped",
			edit: func(name string, b []byte) ([]byte, bool) {
				if name == sigName {
					b = []byte(strings.Replace(string(b), certB64, base64.StdEncoding.EncodeToString(other.Raw), 1))
					i, j := bytes.Index(b, []byte("<KeyValue>")), bytes.Index(b, []byte("</KeyValue>"))
					b = append(b[:i:i], b[j+len("</KeyValue>"):]...)
				}
				return b, true
			},
			want: InvalidSignature, problem: "SignatureValue does not verify",
		},
		{
			name: "certificate removed",
			edit: func(name string, b []byte) ([]byte, bool) {
				if name == sigName {
					i, j := bytes.Index(b, []byte("<X509Data>")), bytes.Index(b, []byte("</X509Data>"))
					b = append(b[:i:i], b[j+len("</X509Data>"):]...)
				}
				return b, true
			},
			want: CertificateRequired, problem: "no signer certificate",
		},
		{
			name: "certificate garbled",
			edit: editSig(certB64, base64.StdEncoding.EncodeToString([]byte("not a certificate"))),
			want: InvalidCertificate, problem: "cannot be parsed",
		},
		{
			name: "signature value changed",
			edit: editSig("<SignatureValue>", "<SignatureValue>AAAA"),
			want: InvalidSignature, problem: "SignatureValue",
		},
		{
			name: "signing time changed",
			edit: editSig("<Value>2025-07-01T10:30:15.0+02:00</Value>", "<Value>2020-07-01T10:30:15.0+02:00</Value>"),
			want: InvalidSignature, problem: "digest of the signed object",
		},
		{
			name: "manifest digest changed",
			edit: editSig("<Manifest><Reference URI=\"/Contoso.pq?ContentType=application/x-ms-m\"><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\" /><DigestValue>", "<Manifest><Reference URI=\"/Contoso.pq?ContentType=application/x-ms-m\"><DigestMethod Algorithm=\"http://www.w3.org/2001/04/xmlenc#sha256\" /><DigestValue>A"),
			want: InvalidSignature,
		},
		{
			name: "signature XML malformed",
			edit: editSig("</Signature>", "</Signatur>"),
			want: InvalidSignature, problem: "malformed XML",
		},
		{
			name: "duplicate Id (wrapping)",
			edit: editSig("</Signature>", `<Object Id="idPackageObject"><Manifest /></Object></Signature>`),
			want: InvalidSignature, problem: "matches 2 elements",
		},
		{
			name: "stripped signature",
			edit: func(name string, b []byte) ([]byte, bool) { return b, name != sigName },
			want: NotSigned, problem: "points to a missing part",
		},
		{
			name: "stripped signature machinery",
			edit: func(name string, b []byte) ([]byte, bool) {
				return b, !strings.HasPrefix(name, "package/") && name != "_rels/.rels"
			},
			want: NotSigned,
		},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := rewrite(t, signed, tc.edit, tc.extra...)
			rep := mustVerify(t, bad, VerifyOptions{})
			wantResult(t, rep, tc.want)
			if tc.part != "" && partStatus(rep, tc.part) != tc.status {
				t.Errorf("%s: %q, want %q", tc.part, partStatus(rep, tc.part), tc.status)
			}
			if tc.problem != "" && !strings.Contains(strings.Join(rep.Problems, "\n"), tc.problem) {
				t.Errorf("problems %q lack %q", rep.Problems, tc.problem)
			}
		})
	}
}

// TestHostile feeds packages that must be refused cleanly, never with a
// panic or unbounded memory.
func TestHostile(t *testing.T) {
	good := unsignedPQX(t, sampleFiles())
	signed := mustSign(t, good, testSigner(t, 0), Options{})
	sigName, _ := signaturePart(t, signed)
	bomb := `<?xml version="1.0"?><!DOCTYPE lolz [<!ENTITY lol "lol"><!ENTITY lol2 "&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;&lol;">]><Types xmlns="` + nsContentTypes + `">&lol2;</Types>`
	tests := []struct {
		name string
		data []byte
		want string // error substring; "" means Verify reports InvalidSignature
	}{
		{"zip slip", stdZip(t, good, file{"../evil.pq", []byte("x")}), ".."},
		{"absolute name", stdZip(t, good, file{"/etc/passwd", []byte("x")}), "passwd"},
		{"backslash", stdZip(t, good, file{`a\b.pq`, []byte("x")}), "backslash"},
		{"duplicate part", stdZip(t, good, file{"contoso.PQ", []byte("x")}), "contoso.PQ"},
		{"empty segment", stdZip(t, good, file{"a//b.pq", []byte("x")}), "a//b.pq"},
		{"trailing dot", stdZip(t, good, file{"a/b.", []byte("x")}), "dot"},
		{"escaped slash", stdZip(t, good, file{"a%2Fb.pq", []byte("x")}), "must not be percent-encoded"},
		{"escaped unreserved character", stdZip(t, good, file{"Contoso%2Epq", []byte("x")}), "must not be percent-encoded"},
		{"percent-equivalent duplicate", stdZip(t, good, file{"%C3%A9.pq", []byte("x")}, file{"%c3%a9.pq", []byte("y")}), "%c3%a9.pq"},
		{"part is folder of part", stdZip(t, good, file{"LICENSE/x", []byte("x")}), "folder"},
		{"huge declared size", hugeSize(t, good), "limit"},
		{"not a zip", []byte("PK\x03\x04 this is not a zip"), "zip"},
		{"no content types", rewrite(t, good, func(n string, b []byte) ([]byte, bool) { return b, n != contentTypesName }), "Content_Types"},
		{"entity bomb in content types", rewrite(t, good, func(n string, b []byte) ([]byte, bool) {
			if n == contentTypesName {
				return []byte(bomb), true
			}
			return b, true
		}), "DOCTYPE"},
		{"entity bomb in signature", rewrite(t, signed, func(n string, b []byte) ([]byte, bool) {
			if n == sigName {
				return []byte(strings.Replace(bomb, "Types", "Signature", -1)), true
			}
			return b, true
		}), ""},
		{"deep nesting in rels", rewrite(t, signed, func(n string, b []byte) ([]byte, bool) {
			if n == "_rels/.rels" {
				return []byte(strings.Repeat("<a>", 10000) + strings.Repeat("</a>", 10000)), true
			}
			return b, true
		}), "nested deeper"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			rep, err := Verify(tc.data, VerifyOptions{})
			if tc.want == "" {
				if err != nil {
					t.Fatalf("Verify: %v", err)
				}
				wantResult(t, rep, InvalidSignature)
				return
			}
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Fatalf("err = %v, want it to mention %q", err, tc.want)
			}
			// Signing refuses the same input.
			if _, err := Package(tc.data, testSigner(t, 0), Options{}); err == nil {
				t.Error("Package accepted it")
			}
		})
	}
}

// stdZip copies pqx with archive/zip, which writes any name, adding extra.
func stdZip(t *testing.T, pqx []byte, extra ...file) []byte {
	_, m := entries(t, pqx)
	ents, _ := entries(t, pqx)
	var b bytes.Buffer
	zw := stdzip.NewWriter(&b)
	for _, e := range ents {
		w, _ := zw.Create(e.Name)
		w.Write(m[e.Name])
	}
	for _, f := range extra {
		w, err := zw.CreateHeader(&stdzip.FileHeader{Name: f.name, Method: stdzip.Deflate})
		if err != nil {
			t.Fatal(err)
		}
		w.Write(f.data)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// hugeSize declares a 4 GB uncompressed size for the first entry in both
// headers.
func hugeSize(t *testing.T, pqx []byte) []byte {
	b := append([]byte(nil), pqx...)
	i := bytes.Index(b, []byte("PK\x01\x02"))
	binary.LittleEndian.PutUint32(b[i+24:], 0xFFFFFFF0)
	binary.LittleEndian.PutUint32(b[22:], 0xFFFFFFF0)
	if _, err := archive.Read(bytes.NewReader(b), int64(len(b)), archive.Limits{}); !errors.Is(err, archive.ErrLimit) {
		t.Fatalf("archive accepts the huge size: %v", err)
	}
	return b
}

// resign recomputes the SignedInfo digest and the SignatureValue of a
// signature part in pqx's own form after its Object was edited, so tests
// can present a validly signed but hostile manifest.
func resign(t *testing.T, x string, key *rsa.PrivateKey) string {
	t.Helper()
	doc, err := xmldsig.Parse([]byte(x))
	if err != nil {
		t.Fatal(err)
	}
	obj := xmldsig.Canonicalize(doc.Root.Child(xmldsig.NSDSig, "Object"), xmldsig.Method{})
	si := doc.Root.Child(xmldsig.NSDSig, "SignedInfo")
	oldDigest := si.Child(xmldsig.NSDSig, "Reference").Child(xmldsig.NSDSig, "DigestValue").Text()
	x = strings.Replace(x, "<DigestValue>"+oldDigest+"</DigestValue></Reference></SignedInfo>",
		"<DigestValue>"+base64.StdEncoding.EncodeToString(hashBytes(crypto.SHA256, obj))+"</DigestValue></Reference></SignedInfo>", 1)
	if doc, err = xmldsig.Parse([]byte(x)); err != nil {
		t.Fatal(err)
	}
	c := xmldsig.Canonicalize(doc.Root.Child(xmldsig.NSDSig, "SignedInfo"), xmldsig.Method{})
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, hashBytes(crypto.SHA256, c))
	if err != nil {
		t.Fatal(err)
	}
	old := doc.Root.Child(xmldsig.NSDSig, "SignatureValue").Text()
	return strings.Replace(x, old, base64.StdEncoding.EncodeToString(sig), 1)
}

// TestHostileManifest: a signer (any key will do) cannot make the
// verifier do unbounded work or accept references outside the package.
func TestHostileManifest(t *testing.T) {
	files := append(sampleFiles(), file{"big.bin", bytes.Repeat([]byte("x"), 1<<20)})
	signed := mustSign(t, unsignedPQX(t, files), testSigner(t, 0), Options{})
	sigName, x := signaturePart(t, signed)
	i := strings.Index(string(x), "<Reference URI=\"/big.bin")
	j := i + strings.Index(string(x[i:]), "</Reference>") + len("</Reference>")
	ref := string(x[i:j])
	edit := func(manifestExtra string) []byte {
		nx := strings.Replace(string(x), "</Manifest>", manifestExtra+"</Manifest>", 1)
		nx = resign(t, nx, testKey(t, 0))
		return rewrite(t, signed, func(name string, b []byte) ([]byte, bool) {
			if name == sigName {
				return []byte(nx), true
			}
			return b, true
		})
	}
	// The control: re-signing an unchanged manifest verifies.
	wantResult(t, mustVerify(t, edit(""), VerifyOptions{}), Success)

	// 5,000 references to the same 1 MiB part cost one digest.
	start := time.Now()
	rep := mustVerify(t, edit(strings.Repeat(ref, 5000)), VerifyOptions{})
	wantResult(t, rep, Success)
	if d := time.Since(start); d > 20*time.Second {
		t.Errorf("5,000 references to one part took %v", d)
	}
	// More than the bound is refused.
	rep = mustVerify(t, edit(strings.Repeat(ref, maxManifestRefs)), VerifyOptions{})
	wantResult(t, rep, InvalidSignature)
	if !strings.Contains(strings.Join(rep.Problems, "\n"), "more than 10000 Manifest references") {
		t.Errorf("problems %q", rep.Problems)
	}
	// A reference that is not a part URI.
	for _, uri := range []string{"http://example.com/x.pq?ContentType=text/plain", "/../../etc/passwd?ContentType=text/plain", "/Contoso.pq"} {
		bad := strings.Replace(ref, `URI="/big.bin?ContentType=text/plain"`, `URI="`+uri+`"`, 1)
		rep = mustVerify(t, edit(bad), VerifyOptions{})
		if rep.SignatureStatus == Success {
			t.Errorf("reference %q accepted", uri)
		}
	}
}

// TestHostileSignatureCount: repeated signature relationships are ignored
// and an absurd number of signatures is refused.
func TestHostileSignatureCount(t *testing.T) {
	signed := mustSign(t, unsignedPQX(t, sampleFiles()), testSigner(t, 0), Options{})
	sigName, _ := signaturePart(t, signed)
	const orels = "package/services/digital-signature/_rels/origin.psdsor.rels"
	withRels := func(n int) []byte {
		var rels []relationship
		for i := range n {
			rels = append(rels, relationship{ID: fmt.Sprintf("R%d", i), Type: relTypeSignature, Target: "/" + sigName})
		}
		return rewrite(t, signed, func(name string, b []byte) ([]byte, bool) {
			if name == orels {
				return relationshipsBytes(rels), true
			}
			return b, true
		})
	}
	rep := mustVerify(t, withRels(3), VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 1 || !strings.Contains(strings.Join(rep.Problems, "\n"), "repeats") {
		t.Errorf("%d signatures, problems %q", len(rep.Signatures), rep.Problems)
	}

	// Many distinct signature parts: refused before any is parsed.
	var extra []file
	var rels []relationship
	for i := range maxSignatures + 1 {
		name := fmt.Sprintf("package/services/digital-signature/xml-signature/s%d.psdsxs", i)
		extra = append(extra, file{name, []byte("<x/>")})
		rels = append(rels, relationship{ID: fmt.Sprintf("R%d", i), Type: relTypeSignature, Target: "/" + name})
	}
	many := rewrite(t, signed, func(name string, b []byte) ([]byte, bool) {
		if name == orels {
			return relationshipsBytes(rels), true
		}
		return b, true
	}, extra...)
	if _, err := Verify(many, VerifyOptions{}); err == nil || !strings.Contains(err.Error(), "more than 64 signatures") {
		t.Errorf("err = %v", err)
	}
}
