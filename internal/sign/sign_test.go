package sign

import (
	"bytes"
	"crypto"
	"crypto/x509"
	"encoding/base64"
	"encoding/pem"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"regexp"
	"strings"
	"testing"

	"software.sslmate.com/src/go-pkcs12"

	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/xmldsig"
)

func mustSign(t testing.TB, pqx []byte, s Signer, opt Options) []byte {
	t.Helper()
	if opt.Time.IsZero() {
		opt.Time = fixedTime
	}
	out, err := Package(pqx, s, opt)
	if err != nil {
		t.Fatal(err)
	}
	return out
}

func mustVerify(t testing.TB, pqx []byte, opt VerifyOptions) *Report {
	t.Helper()
	rep, err := Verify(pqx, opt)
	if err != nil {
		t.Fatal(err)
	}
	return rep
}

func wantResult(t testing.TB, rep *Report, want VerifyResult) {
	t.Helper()
	if rep.SignatureStatus != want {
		t.Fatalf("SignatureStatus = %v, want %v; problems: %q", rep.SignatureStatus, want, rep.Problems)
	}
}

// partStatus returns the reported status of part name.
func partStatus(rep *Report, name string) string {
	for _, p := range rep.Parts {
		if strings.EqualFold(p.Part, name) {
			return p.Status
		}
	}
	return ""
}

// signaturePart returns the name and bytes of the only (or last) .psdsxs.
func signaturePart(t testing.TB, pqx []byte) (string, []byte) {
	t.Helper()
	ents, m := entries(t, pqx)
	var name string
	for _, e := range ents {
		if strings.HasSuffix(e.Name, ".psdsxs") {
			name = e.Name
		}
	}
	if name == "" {
		t.Fatal("no signature part")
	}
	return name, m[name]
}

func TestRoundTripDigests(t *testing.T) {
	pqx := unsignedPQX(t, sampleFiles())
	s := testSigner(t, 0)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		t.Run(DigestName(h), func(t *testing.T) {
			signed := mustSign(t, pqx, s, Options{Digest: h})
			rep := mustVerify(t, signed, VerifyOptions{})
			wantResult(t, rep, Success)
			sig := rep.Signatures[0]
			if sig.DigestMethod != DigestName(h) || sig.SignatureMethod != "rsa-"+DigestName(h) {
				t.Errorf("methods = %s/%s, want %s", sig.DigestMethod, sig.SignatureMethod, DigestName(h))
			}
			_, x := signaturePart(t, signed)
			if !bytes.Contains(x, []byte(`<DigestMethod Algorithm="`+digestURIs[h]+`" />`)) ||
				!bytes.Contains(x, []byte(`<SignatureMethod Algorithm="`+signatureURIs[h]+`" />`)) {
				t.Errorf("signature part lacks the %v algorithm URIs", h)
			}
			for _, f := range sampleFiles() {
				if st := partStatus(rep, "/"+f.name); st != PartSigned {
					t.Errorf("%s: %s, want Signed", f.name, st)
				}
			}
			if rep.CertificateStatus[0].Thumbprint != Thumbprint(s.Certificate()) || rep.CertificateStatus[0].Status != "UntrustedRoot" {
				t.Errorf("certificate status %+v", rep.CertificateStatus[0])
			}
		})
	}
}

func TestKeySources(t *testing.T) {
	cert, key := testCert(t, 1, "Key Sources")
	pqx := unsignedPQX(t, sampleFiles())
	dir := t.TempDir()
	certPEM := pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw})
	pk1 := pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(key)})
	der8, _ := x509.MarshalPKCS8PrivateKey(key)
	pk8 := pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: der8})
	write := func(name string, data []byte) string {
		p := filepath.Join(dir, name)
		if err := os.WriteFile(p, data, 0o600); err != nil {
			t.Fatal(err)
		}
		return p
	}
	modern, err := pkcs12.Modern.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	legacy, err := pkcs12.LegacyDES.Encode(key, cert, nil, "pw")
	if err != nil {
		t.Fatal(err)
	}
	t.Setenv("PQX_TEST_PFX_PASSWORD", "pw")
	openssl := needTool(t, "openssl")
	keyFile := write("key8.pem", pk8)
	cases := map[string]KeyOptions{
		"pfx-modern-env":  {PFX: write("m.pfx", modern), PasswordEnv: "PQX_TEST_PFX_PASSWORD"},
		"pfx-legacy-file": {PFX: write("l.pfx", legacy), PasswordFile: write("pw.txt", []byte("pw\r\n"))},
		"pem-pkcs1":       {CertPEM: write("c.pem", certPEM), KeyPEM: write("key1.pem", pk1)},
		"pem-pkcs8":       {CertPEM: write("c.pem", certPEM), KeyPEM: keyFile},
		"pem-combined":    {CertPEM: write("both.pem", append(append([]byte{}, certPEM...), pk8...))},
		"command":         {CertPEM: write("c.pem", certPEM), Command: openssl + " pkeyutl -sign -inkey " + keyFile + " -pkeyopt digest:$PQX_DIGEST"},
		"command-base64":  {CertPEM: write("c.pem", certPEM), Command: openssl + " pkeyutl -sign -inkey " + keyFile + " -pkeyopt digest:$PQX_DIGEST | " + openssl + " base64 -A"},
	}
	for name, ko := range cases {
		t.Run(name, func(t *testing.T) {
			s, err := ko.Signer()
			if err != nil {
				t.Fatal(err)
			}
			for _, h := range []crypto.Hash{crypto.SHA256, crypto.SHA1} {
				rep := mustVerify(t, mustSign(t, pqx, s, Options{Digest: h}), VerifyOptions{})
				wantResult(t, rep, Success)
				if rep.Signatures[0].Thumbprint != Thumbprint(cert) {
					t.Errorf("thumbprint %s, want %s", rep.Signatures[0].Thumbprint, Thumbprint(cert))
				}
			}
		})
	}

	bad := map[string]struct {
		ko   KeyOptions
		want string
	}{
		"wrong password":  {KeyOptions{PFX: write("m2.pfx", modern), Password: "nope"}, "wrong password"},
		"unset env":       {KeyOptions{PFX: write("m3.pfx", modern), PasswordEnv: "PQX_TEST_NOT_SET"}, "not set"},
		"none":            {KeyOptions{}, "no signing key"},
		"two":             {KeyOptions{PFX: "x.pfx", Command: "true"}, "only one key source"},
		"cmd needs cert":  {KeyOptions{Command: "true"}, "needs the signer's certificate"},
		"encrypted key":   {KeyOptions{CertPEM: write("c.pem", certPEM), KeyPEM: write("enc.pem", []byte("-----BEGIN ENCRYPTED PRIVATE KEY-----\nAAAA\n-----END ENCRYPTED PRIVATE KEY-----\n"))}, "encrypted"},
		"mismatched pair": {KeyOptions{CertPEM: write("c.pem", certPEM), KeyPEM: write("k0.pem", pem.EncodeToMemory(&pem.Block{Type: "RSA PRIVATE KEY", Bytes: x509.MarshalPKCS1PrivateKey(testKey(t, 0))}))}, "does not match"},
	}
	for name, c := range bad {
		t.Run(name, func(t *testing.T) {
			_, err := c.ko.Signer()
			if err == nil || !strings.Contains(err.Error(), c.want) {
				t.Fatalf("err = %v, want %q", err, c.want)
			}
		})
	}

	t.Run("command failing", func(t *testing.T) {
		s, err := NewCommandSigner(cert, "echo boom >&2; exit 3")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Package(pqx, s, Options{Time: fixedTime}); err == nil || !strings.Contains(err.Error(), "boom") {
			t.Fatalf("err = %v, want the command's stderr", err)
		}
	})
	t.Run("command wrong key", func(t *testing.T) {
		k0, _ := x509.MarshalPKCS8PrivateKey(testKey(t, 0))
		wrong := write("wrong.pem", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: k0}))
		s, err := NewCommandSigner(cert, openssl+" pkeyutl -sign -inkey "+wrong+" -pkeyopt digest:$PQX_DIGEST")
		if err != nil {
			t.Fatal(err)
		}
		if _, err := Package(pqx, s, Options{Time: fixedTime}); err == nil || !strings.Contains(err.Error(), "does not verify") {
			t.Fatalf("err = %v", err)
		}
	})
}

// TestLayout checks the package against reference §4: entry order,
// methods, versions, the WindowsBase padding extra field, the XML forms.
func TestLayout(t *testing.T) {
	files := sampleFiles()
	signed := mustSign(t, unsignedPQX(t, files), testSigner(t, 0), Options{Seed: []byte("layout")})
	ents, m := entries(t, signed)
	var names []string
	for _, e := range ents {
		names = append(names, e.Name)
	}
	var want []string
	for _, f := range files {
		want = append(want, f.name)
	}
	sigRe := regexp.MustCompile(`^package/services/digital-signature/xml-signature/[0-9a-f]{12}4[0-9a-f]{3}[89ab][0-9a-f]{15}\.psdsxs$`)
	want = append(want, "package/services/digital-signature/origin.psdsor", "_rels/.rels",
		"package/services/digital-signature/_rels/origin.psdsor.rels", "[Content_Types].xml")
	if len(names) != len(want)+1 || strings.Join(names[:len(want)], "\n") != strings.Join(want, "\n") || !sigRe.MatchString(names[len(want)]) {
		t.Fatalf("entries:\n%s\nwant:\n%s\n<guid>.psdsxs", strings.Join(names, "\n"), strings.Join(want, "\n"))
	}
	sigName := names[len(want)]
	for i, e := range ents {
		wantMethod, wantVer := uint16(0), uint16(10)
		if i < len(files) {
			wantMethod, wantVer = 8, 20
		}
		if e.Method != wantMethod || e.ReaderVersion != wantVer || e.CreatorVersion != 0x2D || len(e.Extra) != 0 {
			t.Errorf("%s: method %d version %d made-by %#x central extra %d", e.Name, e.Method, e.ReaderVersion, e.CreatorVersion, len(e.Extra))
		}
	}
	// Local headers carry the 28-byte padding field right after the name.
	for _, e := range ents {
		hdr := []byte("PK\x03\x04")
		i := bytes.Index(signed, hdr)
		for i >= 0 {
			nameLen := int(signed[i+26]) | int(signed[i+27])<<8
			extraLen := int(signed[i+28]) | int(signed[i+29])<<8
			if string(signed[i+30:i+30+nameLen]) == e.Name {
				if extraLen != 28 || !bytes.Equal(signed[i+30+nameLen:i+30+nameLen+28], opc.PaddingExtra()) {
					t.Errorf("%s: local extra field %x", e.Name, signed[i+30+nameLen:i+30+nameLen+extraLen])
				}
				break
			}
			j := bytes.Index(signed[i+4:], hdr)
			if j < 0 {
				t.Errorf("%s: local header not found", e.Name)
				break
			}
			i += 4 + j
		}
	}
	if len(m["package/services/digital-signature/origin.psdsor"]) != 0 {
		t.Error("origin part is not empty")
	}
	relsRe := regexp.MustCompile(`^\x{FEFF}<\?xml version="1\.0" encoding="utf-8"\?><Relationships xmlns="http://schemas\.openxmlformats\.org/package/2006/relationships"><Relationship Type="http://schemas\.openxmlformats\.org/package/2006/relationships/digital-signature/origin" Target="/package/services/digital-signature/origin\.psdsor" Id="R[0-9a-f]{16}" /></Relationships>$`)
	if r := m["_rels/.rels"]; !relsRe.Match(r) || len(r) != 332 {
		t.Errorf("_rels/.rels (%d bytes): %s", len(r), r)
	}
	orels := string(m["package/services/digital-signature/_rels/origin.psdsor.rels"])
	if !strings.Contains(orels, `<Relationship Type="http://schemas.openxmlformats.org/package/2006/relationships/digital-signature/signature" Target="/`+sigName+`" Id="R`) || len(orels) != 375 {
		t.Errorf("origin rels (%d bytes): %s", len(orels), orels)
	}
	wantTypes := "\uFEFF" + `<?xml version="1.0" encoding="utf-8"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">` +
		`<Default Extension="pq" ContentType="application/x-ms-m" /><Default Extension="png" ContentType="image/png" /><Default Extension="resx" ContentType="text/xml" />` +
		`<Default Extension="psdsor" ContentType="application/vnd.openxmlformats-package.digital-signature-origin" />` +
		`<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml" />` +
		`<Default Extension="psdsxs" ContentType="application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml" />` +
		`<Override PartName="/LICENSE" ContentType="text/plain" /></Types>`
	if got := string(m["[Content_Types].xml"]); got != wantTypes {
		t.Errorf("[Content_Types].xml:\n%s\nwant:\n%s", got, wantTypes)
	}

	// The signature part: declaration, ids, KeyInfo, manifest order.
	x := string(m[sigName])
	for _, frag := range []string{
		"\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?><Signature Id=\"SignatureIdValue\" xmlns=\"http://www.w3.org/2000/09/xmldsig#\"><SignedInfo>",
		`<Reference URI="#idPackageObject" Type="http://www.w3.org/2000/09/xmldsig#Object">`,
		`<KeyInfo><KeyName>CN=pqx test signer A, O=pqx tests, C=NO</KeyName><KeyValue><RSAKeyValue><Modulus>`,
		`<Exponent>AQAB</Exponent></RSAKeyValue></KeyValue><X509Data><X509Certificate>`,
		`<Object Id="idPackageObject"><Manifest><Reference URI="/Contoso.pq?ContentType=application/x-ms-m">`,
		`<SignatureProperty Id="idSignatureTime" Target="#SignatureIdValue"><SignatureTime xmlns="http://schemas.openxmlformats.org/package/2006/digital-signature"><Format>YYYY-MM-DDThh:mm:ss.sTZD</Format><Value>2025-07-01T10:30:15.0+02:00</Value></SignatureTime>`,
	} {
		if !strings.Contains(x, frag) {
			t.Errorf("signature part lacks %q", frag)
		}
	}
	if strings.ContainsAny(x, "\n\r\t") {
		t.Error("signature part has whitespace between elements")
	}
	order := regexp.MustCompile(`<Reference URI="([^"?]+)\?`).FindAllStringSubmatch(x, -1)
	var got []string
	for _, o := range order { // the SignedInfo reference has no query
		got = append(got, o[1])
	}
	if w := "/Contoso.pq /Contoso16.png /Contoso32.png /LICENSE /resources.resx"; strings.Join(got, " ") != w {
		t.Errorf("manifest order %v, want %s", got, w)
	}
}

// TestManifestOrderCaseInsensitive: GetParts() order is case-insensitive.
func TestManifestOrderCaseInsensitive(t *testing.T) {
	files := []file{{"b.pq", []byte("section b;")}, {"A.png", []byte{1}}, {"a2.json", []byte("{}")}, {"B1.png", []byte{2}}}
	_, res, err := PackageResult(unsignedPQX(t, files), testSigner(t, 0), Options{Time: fixedTime})
	if err != nil {
		t.Fatal(err)
	}
	if got, want := strings.Join(res.SignedParts, " "), "/A.png /a2.json /b.pq /B1.png"; got != want {
		t.Errorf("order %s, want %s", got, want)
	}
}

// TestCanonicalForms checks that the canonical Object and SignedInfo that
// signing computes from templates equal what the general C14N code makes
// of the stored signature part, and have the reference's shape (§5.3).
func TestCanonicalForms(t *testing.T) {
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256} {
		signed := mustSign(t, unsignedPQX(t, sampleFiles()), testSigner(t, 0), Options{Digest: h})
		_, x := signaturePart(t, signed)
		doc, err := xmldsig.Parse(x)
		if err != nil {
			t.Fatal(err)
		}
		obj := doc.Root.Child(xmldsig.NSDSig, "Object")
		si := doc.Root.Child(xmldsig.NSDSig, "SignedInfo")
		cObj := string(xmldsig.Canonicalize(obj, xmldsig.Method{}))
		cSI := string(xmldsig.Canonicalize(si, xmldsig.Method{}))
		// Exclusive C14N gives the same bytes for these elements (§5.3).
		if e := string(xmldsig.Canonicalize(obj, xmldsig.Method{Exclusive: true})); e != cObj {
			t.Errorf("exclusive and inclusive C14N of Object differ:\n%s\n%s", e, cObj)
		}
		if !strings.HasPrefix(cObj, `<Object xmlns="http://www.w3.org/2000/09/xmldsig#" Id="idPackageObject"><Manifest><Reference URI=`) ||
			!strings.Contains(cObj, `<DigestMethod Algorithm="`+digestURIs[h]+`"></DigestMethod>`) ||
			strings.Contains(cObj, `xmlns=""`) || !strings.Contains(cObj, `<SignatureTime xmlns="`+nsDigSig+`">`) {
			t.Errorf("canonical Object: %s", cObj)
		}
		wantSI := `<SignedInfo xmlns="http://www.w3.org/2000/09/xmldsig#"><CanonicalizationMethod Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315"></CanonicalizationMethod>` +
			`<SignatureMethod Algorithm="` + signatureURIs[h] + `"></SignatureMethod><Reference Type="http://www.w3.org/2000/09/xmldsig#Object" URI="#idPackageObject">` +
			`<DigestMethod Algorithm="` + digestURIs[h] + `"></DigestMethod><DigestValue>` + base64.StdEncoding.EncodeToString(hashBytes(h, []byte(cObj))) + `</DigestValue></Reference></SignedInfo>`
		if cSI != wantSI {
			t.Errorf("canonical SignedInfo:\n%s\nwant:\n%s", cSI, wantSI)
		}
	}
}

func TestDeterministic(t *testing.T) {
	pqx := unsignedPQX(t, sampleFiles())
	s := testSigner(t, 0)
	t.Setenv("SOURCE_DATE_EPOCH", "1700000000")
	opt, err := FromEnvironment()
	if err != nil {
		t.Fatal(err)
	}
	a := mustSign(t, pqx, s, opt)
	b := mustSign(t, pqx, s, opt)
	if !bytes.Equal(a, b) {
		t.Fatal("two signings with SOURCE_DATE_EPOCH differ")
	}
	_, x := signaturePart(t, a)
	if !bytes.Contains(x, []byte("<Value>2023-11-14T22:13:20.0+00:00</Value>")) {
		t.Error("signing time is not SOURCE_DATE_EPOCH in UTC")
	}
	// Countersigning is reproducible too.
	if !bytes.Equal(mustSign(t, a, testSigner(t, 1), opt), mustSign(t, b, testSigner(t, 1), opt)) {
		t.Error("countersignatures differ")
	}
	// Another package gets another GUID; without a seed every run differs.
	other := mustSign(t, unsignedPQX(t, sampleFiles()[:2]), s, opt)
	n1, _ := signaturePart(t, a)
	n2, _ := signaturePart(t, other)
	if n1 == n2 {
		t.Error("different packages got the same signature GUID")
	}
	r1 := mustSign(t, pqx, s, Options{Time: opt.Time})
	r2 := mustSign(t, pqx, s, Options{Time: opt.Time})
	if bytes.Equal(r1, r2) {
		t.Error("unseeded signings are identical")
	}
	t.Setenv("SOURCE_DATE_EPOCH", "yesterday")
	if _, err := FromEnvironment(); err == nil {
		t.Error("bad SOURCE_DATE_EPOCH accepted")
	}
}

func TestCountersignAndReplace(t *testing.T) {
	pqx := unsignedPQX(t, sampleFiles())
	a, b, c := testSigner(t, 0), testSigner(t, 1), testSigner(t, 2)
	once := mustSign(t, pqx, a, Options{Seed: []byte("1")})
	first, firstXML := signaturePart(t, once)
	twice, res, err := PackageResult(once, b, Options{Time: fixedTime, Seed: []byte("2"), Digest: crypto.SHA1})
	if err != nil {
		t.Fatal(err)
	}
	if !res.Countersigned || len(res.SignedParts) != 1 || res.SignedParts[0] != "/"+first {
		t.Fatalf("countersign result %+v", res)
	}
	rep := mustVerify(t, twice, VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 2 || len(rep.CertificateStatus) != 2 ||
		rep.Signatures[0].Thumbprint != Thumbprint(a.Certificate()) || rep.Signatures[1].Thumbprint != Thumbprint(b.Certificate()) {
		t.Fatalf("signatures %+v", rep.Signatures)
	}
	if st := partStatus(rep, "/"+first); st != PartSigned {
		t.Errorf("first signature part: %s, want Signed by the countersignature", st)
	}
	_, second := signaturePart(t, twice)
	if !bytes.Contains(second, []byte(`<Reference URI="/`+first+`?ContentType=application/vnd.openxmlformats-package.digital-signature-xmlsignature+xml"><Transforms><Transform Algorithm="http://www.w3.org/TR/2001/REC-xml-c14n-20010315" /></Transforms>`)) {
		t.Errorf("countersignature does not reference the first signature with a C14N transform:\n%s", second)
	}
	_, m := entries(t, twice)
	if !bytes.Equal(m[first], firstXML) {
		t.Error("countersigning changed the first signature")
	}
	if n := strings.Count(string(m["package/services/digital-signature/_rels/origin.psdsor.rels"]), "<Relationship "); n != 2 {
		t.Errorf("origin has %d signature relationships, want 2", n)
	}
	if n := strings.Count(string(m["_rels/.rels"]), "<Relationship "); n != 1 {
		t.Errorf("package has %d relationships, want 1", n)
	}

	// Tampering with the first signature breaks the countersignature.
	bad := rewrite(t, twice, func(name string, b []byte) ([]byte, bool) {
		if name == first {
			b = bytes.Replace(b, []byte("<KeyName>CN=pqx"), []byte("<KeyName>CN=PQX"), 1)
		}
		return b, true
	})
	rep = mustVerify(t, bad, VerifyOptions{})
	wantResult(t, rep, InvalidSignature)
	if st := partStatus(rep, "/"+first); st != PartChanged {
		t.Errorf("first signature: %s, want Changed", st)
	}

	// --replace leaves exactly one signature, by the new signer.
	replaced, res, err := PackageResult(twice, c, Options{Time: fixedTime, Replace: true})
	if err != nil {
		t.Fatal(err)
	}
	if res.Replaced != 2 || res.Countersigned {
		t.Errorf("replace result %+v", res)
	}
	rep = mustVerify(t, replaced, VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 1 || rep.Signatures[0].Thumbprint != Thumbprint(c.Certificate()) {
		t.Fatalf("after replace: %+v", rep.Signatures)
	}
	ents, _ := entries(t, replaced)
	if n := len(ents); n != len(sampleFiles())+5 {
		t.Errorf("after replace %d entries, want %d", n, len(sampleFiles())+5)
	}
	// Replace on an unsigned package is a plain signature.
	if _, res, err := PackageResult(pqx, c, Options{Time: fixedTime, Replace: true}); err != nil || res.Replaced != 0 || res.Countersigned {
		t.Errorf("replace on unsigned: %+v %v", res, err)
	}
}

// TestOriginPsdor: verifiers find the origin through its relationship,
// whatever it is called (reference §5.8).
func TestOriginPsdor(t *testing.T) {
	signed := mustSign(t, unsignedPQX(t, sampleFiles()), testSigner(t, 0), Options{})
	r := strings.NewReplacer("origin.psdsor", "origin.psdor", `Extension="psdsor"`, `Extension="psdor"`)
	ents, m := entries(t, signed)
	var renamed []file
	for _, e := range ents {
		data := m[e.Name]
		if strings.HasSuffix(e.Name, ".rels") || e.Name == contentTypesName {
			data = []byte(r.Replace(string(data)))
		}
		renamed = append(renamed, file{r.Replace(e.Name), data})
	}
	pqx := rewrite(t, signed, func(string, []byte) ([]byte, bool) { return nil, false }, renamed...)
	if _, all := entries(t, pqx); all["package/services/digital-signature/origin.psdor"] == nil {
		t.Fatal("rename failed")
	}
	wantResult(t, mustVerify(t, pqx, VerifyOptions{}), Success)
	// Countersigning keeps the existing origin name.
	again := mustSign(t, pqx, testSigner(t, 1), Options{})
	_, all := entries(t, again)
	if all["package/services/digital-signature/_rels/origin.psdor.rels"] == nil || all["package/services/digital-signature/origin.psdsor"] != nil {
		t.Error("countersigning did not reuse origin.psdor")
	}
	wantResult(t, mustVerify(t, again, VerifyOptions{}), Success)
}

func TestTrust(t *testing.T) {
	a := testSigner(t, 0)
	signed := mustSign(t, unsignedPQX(t, sampleFiles()), a, Options{})
	tp := Thumbprint(a.Certificate())
	rep := mustVerify(t, signed, VerifyOptions{Trust: []string{strings.ToLower(tp[:20]) + " " + tp[20:]}})
	wantResult(t, rep, Success)
	if rep.Trusted == nil || !*rep.Trusted {
		t.Error("not reported trusted")
	}
	rep = mustVerify(t, signed, VerifyOptions{Trust: []string{Thumbprint(testSigner(t, 1).Certificate())}})
	wantResult(t, rep, InvalidCertificate)
	// A countersignature by a trusted signer is enough.
	counter := mustSign(t, signed, testSigner(t, 1), Options{})
	wantResult(t, mustVerify(t, counter, VerifyOptions{Trust: []string{Thumbprint(testSigner(t, 1).Certificate())}}), Success)
}

func TestSubjectFormat(t *testing.T) {
	cert, _ := testCert(t, 0, `Contoso, "Ltd"`)
	if got, want := Subject(cert), `CN="Contoso, ""Ltd""", O=pqx tests, C=NO`; got != want {
		t.Errorf("Subject = %s, want %s", got, want)
	}
}

func TestTrustRegistryFile(t *testing.T) {
	tps := []string{"A5797F9A5B7FD37F721398484D33BEF0E9147A42", "0123456789ABCDEF0123456789ABCDEF01234567"}
	text := string(TrustRegistryFile(tps, false))
	if !strings.HasPrefix(text, "Windows Registry Editor Version 5.00\r\n") || !strings.Contains(text, "\r\n[HKEY_LOCAL_MACHINE\\Software\\Policies\\Microsoft\\Power BI Desktop]\r\n") {
		t.Fatalf("reg file:\n%s", text)
	}
	// Decode the hex(7) value back into strings.
	i := strings.Index(text, `"TrustedCertificateThumbprints"=hex(7):`)
	if i < 0 {
		t.Fatal("no value line")
	}
	var raw []byte
	for _, line := range strings.Split(text[i+len(`"TrustedCertificateThumbprints"=hex(7):`):], "\r\n") {
		if len(line) > 80 {
			t.Errorf("line longer than 80 columns: %q", line)
		}
		cont := strings.HasSuffix(line, "\\")
		for _, h := range strings.Split(strings.Trim(strings.TrimSpace(strings.TrimSuffix(line, "\\")), ","), ",") {
			var b byte
			fmt.Sscanf(h, "%02x", &b)
			raw = append(raw, b)
		}
		if !cont {
			break
		}
	}
	var s []rune
	for j := 0; j+1 < len(raw); j += 2 {
		s = append(s, rune(raw[j])|rune(raw[j+1])<<8)
	}
	if got, want := string(s), tps[0]+"\x00"+tps[1]+"\x00\x00"; got != want {
		t.Errorf("value decodes to %q, want %q", got, want)
	}
	u := TrustRegistryFile(tps, true)
	if !bytes.HasPrefix(u, []byte{0xFF, 0xFE, 'W', 0}) || len(u) != 2+2*len(text) {
		t.Errorf("UTF-16 file starts %x, %d bytes", u[:8], len(u))
	}
}

func TestCertificatesIn(t *testing.T) {
	cert, key := testCert(t, 0, "pqx test signer A")
	pfx, _ := pkcs12.Modern.Encode(key, cert, nil, "pw")
	signed := mustSign(t, mustSign(t, unsignedPQX(t, sampleFiles()), testSigner(t, 0), Options{}), testSigner(t, 1), Options{})
	for name, c := range map[string]struct {
		data []byte
		n    int
	}{
		"pem": {pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: cert.Raw}), 1},
		"der": {cert.Raw, 1},
		"pfx": {pfx, 1},
		"pqx": {signed, 2},
	} {
		certs, err := CertificatesIn(c.data, "pw")
		if err != nil || len(certs) != c.n || Thumbprint(certs[0]) != Thumbprint(cert) {
			t.Errorf("%s: %d certs, %v", name, len(certs), err)
		}
	}
	if _, err := CertificatesIn(unsignedPQX(t, sampleFiles()), ""); err == nil || !strings.Contains(err.Error(), "not signed") {
		t.Errorf("unsigned pqx: %v", err)
	}
	if _, err := CertificatesIn(pfx, "wrong"); err == nil || !strings.Contains(err.Error(), "password") {
		t.Errorf("wrong pfx password: %v", err)
	}
}

// TestXMLSec1 has xmlsec1, an independent XML-DSig implementation, verify
// the signature part's SignedInfo reference (the canonical Object digest)
// and SignatureValue (the canonical SignedInfo), for each digest.
func TestXMLSec1(t *testing.T) {
	xmlsec := needTool(t, "xmlsec1")
	s := testSigner(t, 0)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o644)
	once := mustSign(t, unsignedPQX(t, sampleFiles()), s, Options{})
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		signed := mustSign(t, unsignedPQX(t, sampleFiles()), s, Options{Digest: h})
		counter := mustSign(t, once, testSigner(t, 1), Options{Digest: h})
		for name, pqx := range map[string][]byte{"sign": signed, "countersign": counter} {
			_, x := signaturePart(t, pqx)
			sigFile := filepath.Join(dir, "sig.xml")
			os.WriteFile(sigFile, x, 0o644)
			cmd := exec.Command(xmlsec, "--verify", "--ignore-manifests", "--enabled-reference-uris", "same-doc",
				"--id-attr:Id", "Object", "--insecure", sigFile)
			if out, err := cmd.CombinedOutput(); err != nil {
				t.Errorf("%v %s: xmlsec1 rejects the signature: %v\n%s", h, name, err, out)
			}
			// And it notices a change to the Object.
			os.WriteFile(sigFile, bytes.Replace(x, []byte("<Format>YYYY"), []byte("<Format>XXXX"), 1), 0o644)
			if out, err := exec.Command(xmlsec, "--verify", "--ignore-manifests", "--enabled-reference-uris", "same-doc",
				"--id-attr:Id", "Object", "--insecure", sigFile).CombinedOutput(); err == nil {
				t.Errorf("%v %s: xmlsec1 accepts a changed Object\n%s", h, name, out)
			}
		}
	}
}

// TestOpenSSLSignatureValue has openssl verify the SignatureValue over the
// canonical SignedInfo bytes with the certificate's public key.
func TestOpenSSLSignatureValue(t *testing.T) {
	openssl := needTool(t, "openssl")
	s := testSigner(t, 0)
	dir := t.TempDir()
	certFile := filepath.Join(dir, "cert.pem")
	os.WriteFile(certFile, pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: s.Certificate().Raw}), 0o644)
	pub, err := exec.Command(openssl, "x509", "-in", certFile, "-pubkey", "-noout").Output()
	if err != nil {
		t.Fatal(err)
	}
	pubFile := filepath.Join(dir, "pub.pem")
	os.WriteFile(pubFile, pub, 0o644)
	for _, h := range []crypto.Hash{crypto.SHA1, crypto.SHA256, crypto.SHA384, crypto.SHA512} {
		_, x := signaturePart(t, mustSign(t, unsignedPQX(t, sampleFiles()), s, Options{Digest: h}))
		doc, err := xmldsig.Parse(x)
		if err != nil {
			t.Fatal(err)
		}
		si := xmldsig.Canonicalize(doc.Root.Child(xmldsig.NSDSig, "SignedInfo"), xmldsig.Method{})
		sig, _ := base64.StdEncoding.DecodeString(doc.Root.Child(xmldsig.NSDSig, "SignatureValue").Text())
		siFile, sigFile := filepath.Join(dir, "si.xml"), filepath.Join(dir, "sig.bin")
		os.WriteFile(siFile, si, 0o644)
		os.WriteFile(sigFile, sig, 0o644)
		out, err := exec.Command(openssl, "dgst", "-"+DigestName(h), "-verify", pubFile, "-signature", sigFile, siFile).CombinedOutput()
		if err != nil || !strings.Contains(string(out), "Verified OK") {
			t.Errorf("%v: openssl: %v\n%s", h, err, out)
		}
		os.WriteFile(siFile, append(si, ' '), 0o644)
		if out, err := exec.Command(openssl, "dgst", "-"+DigestName(h), "-verify", pubFile, "-signature", sigFile, siFile).CombinedOutput(); err == nil {
			t.Errorf("%v: openssl verifies altered bytes\n%s", h, out)
		}
	}
}

// TestConcurrent signs and verifies from many goroutines at once, as the
// CLI's batch mode does; run with -race.
func TestConcurrent(t *testing.T) {
	pqx := unsignedPQX(t, typicalFiles())
	s := testSigner(t, 0)
	errs := make(chan error, 16)
	for i := range 16 {
		go func() {
			out, err := Package(pqx, s, Options{Time: fixedTime, Seed: []byte{byte(i)}})
			if err == nil {
				var rep *Report
				if rep, err = Verify(out, VerifyOptions{}); err == nil && rep.SignatureStatus != Success {
					err = fmt.Errorf("goroutine %d: %v %q", i, rep.SignatureStatus, rep.Problems)
				}
			}
			errs <- err
		}()
	}
	for range 16 {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
}
