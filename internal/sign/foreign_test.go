package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/xmldsig"
)

// foreignSigned builds a package signed the way other OPC signers
// (OpenOpcSignTool, VSIX tooling) do it, not the way pqx or MakePQX do:
// origin named origin.psdor, a "ds:" prefix and indentation in the
// signature XML, exclusive C14N, the package relationships signed through
// a RelationshipTransform, and the certificate in its own part instead of
// KeyInfo. Verify must accept it: it may assume nothing about names or
// formatting (reference §5.8).
func foreignSigned(t *testing.T) []byte {
	t.Helper()
	s := testSigner(t, 2)
	key := testKey(t, 2)
	const (
		origin  = "package/services/digital-signature/origin.psdor"
		sigPart = "package/services/digital-signature/xml-signature/ABC123.psdsxs"
		cerPart = "package/services/digital-signature/certificate/signer.cer"
	)
	pkgRels := relationshipsBytes([]relationship{{ID: "rOrigin", Type: relTypeOrigin, Target: "/" + origin}})
	originRels := relationshipsBytes([]relationship{{ID: "rSig", Type: relTypeSignature, Target: "xml-signature/ABC123.psdsxs"}})
	sigRels := relationshipsBytes([]relationship{{ID: "rCert", Type: relTypeCertificate, Target: "/" + cerPart}})

	// Manifest: every content part, plus the package relationships through
	// the RelationshipTransform.
	var manifest strings.Builder
	for _, f := range sampleFiles() {
		ct := contentTypeOf[opc.Extension("/"+f.name)]
		if ct == "" {
			ct = "text/plain"
		}
		manifest.WriteString("\n        <ds:Reference URI=\"/" + f.name + "?ContentType=" + ct + "\">\n" +
			"          <ds:DigestMethod Algorithm=\"" + digestURIs[crypto.SHA256] + "\"/>\n" +
			"          <ds:DigestValue>" + base64.StdEncoding.EncodeToString(hashBytes(crypto.SHA256, f.data)) + "</ds:DigestValue>\n" +
			"        </ds:Reference>")
	}
	relsDigest := hashBytes(crypto.SHA256, canonicalRelationships([]relationship{{ID: "rOrigin", Type: relTypeOrigin, Target: "/" + origin}}))
	manifest.WriteString("\n        <ds:Reference URI=\"/_rels/.rels?ContentType=" + ctRelationships + "\">\n" +
		"          <ds:Transforms>\n" +
		"            <ds:Transform Algorithm=\"" + relationshipTransform + "\">\n" +
		"              <opc:RelationshipsGroupReference xmlns:opc=\"http://schemas.openxmlformats.org/package/2006/digital-signature\" SourceType=\"" + relTypeOrigin + "\"/>\n" +
		"            </ds:Transform>\n" +
		"            <ds:Transform Algorithm=\"" + xmldsig.C14N10 + "\"/>\n" +
		"          </ds:Transforms>\n" +
		"          <ds:DigestMethod Algorithm=\"" + digestURIs[crypto.SHA256] + "\"/>\n" +
		"          <ds:DigestValue>" + base64.StdEncoding.EncodeToString(relsDigest) + "</ds:DigestValue>\n" +
		"        </ds:Reference>")

	tmpl := `<?xml version="1.0" encoding="UTF-8"?>
<ds:Signature Id="sig-1" xmlns:ds="http://www.w3.org/2000/09/xmldsig#">
  <ds:SignedInfo>
    <ds:CanonicalizationMethod Algorithm="` + xmldsig.ExcC14N + `"/>
    <ds:SignatureMethod Algorithm="` + signatureURIs[crypto.SHA256] + `"/>
    <ds:Reference URI="#pkg" Type="http://www.w3.org/2000/09/xmldsig#Object">
      <ds:Transforms><ds:Transform Algorithm="` + xmldsig.ExcC14N + `"/></ds:Transforms>
      <ds:DigestMethod Algorithm="` + digestURIs[crypto.SHA256] + `"/>
      <ds:DigestValue>OBJECT_DIGEST</ds:DigestValue>
    </ds:Reference>
  </ds:SignedInfo>
  <ds:SignatureValue>SIGNATURE_VALUE</ds:SignatureValue>
  <ds:Object Id="pkg">
    <ds:Manifest>` + manifest.String() + `
    </ds:Manifest>
    <ds:SignatureProperties>
      <ds:SignatureProperty Id="time" Target="#sig-1">
        <mdssi:SignatureTime xmlns:mdssi="http://schemas.openxmlformats.org/package/2006/digital-signature">
          <mdssi:Format>YYYY-MM-DDThh:mm:ssTZD</mdssi:Format>
          <mdssi:Value>2022-05-01T12:00:00Z</mdssi:Value>
        </mdssi:SignatureTime>
      </ds:SignatureProperty>
    </ds:SignatureProperties>
  </ds:Object>
</ds:Signature>`

	doc, err := xmldsig.Parse([]byte(tmpl))
	if err != nil {
		t.Fatal(err)
	}
	obj := xmldsig.Canonicalize(doc.Root.Child(xmldsig.NSDSig, "Object"), xmldsig.Method{Exclusive: true})
	x := strings.Replace(tmpl, "OBJECT_DIGEST", base64.StdEncoding.EncodeToString(hashBytes(crypto.SHA256, obj)), 1)
	if doc, err = xmldsig.Parse([]byte(x)); err != nil {
		t.Fatal(err)
	}
	si := xmldsig.Canonicalize(doc.Root.Child(xmldsig.NSDSig, "SignedInfo"), xmldsig.Method{Exclusive: true})
	sig, err := rsa.SignPKCS1v15(rand.Reader, key, crypto.SHA256, hashBytes(crypto.SHA256, si))
	if err != nil {
		t.Fatal(err)
	}
	x = strings.Replace(x, "SIGNATURE_VALUE", base64.StdEncoding.EncodeToString(sig), 1)

	types := xmlHeader + `<Types xmlns="` + nsContentTypes + `"><Default Extension="pq" ContentType="application/x-ms-m" /><Default Extension="png" ContentType="image/png" /><Default Extension="resx" ContentType="text/xml" />` +
		`<Default Extension="rels" ContentType="` + ctRelationships + `" /><Default Extension="psdor" ContentType="` + ctOrigin + `" />` +
		`<Default Extension="psdsxs" ContentType="` + ctSignature + `" /><Default Extension="cer" ContentType="application/vnd.openxmlformats-package.digital-signature-certificate" />` +
		`<Override PartName="/LICENSE" ContentType="text/plain" /></Types>`
	return rewrite(t, unsignedPQX(t, sampleFiles()), func(name string, b []byte) ([]byte, bool) {
		if name == contentTypesName {
			return []byte(types), true
		}
		return b, true
	},
		file{"_rels/.rels", pkgRels},
		file{origin, nil},
		file{"package/services/digital-signature/_rels/origin.psdor.rels", originRels},
		file{sigPart, []byte(x)},
		file{"package/services/digital-signature/xml-signature/_rels/ABC123.psdsxs.rels", sigRels},
		file{cerPart, s.Certificate().Raw},
	)
}

func TestVerifyForeignSignature(t *testing.T) {
	pqx := foreignSigned(t)
	rep := mustVerify(t, pqx, VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 1 || rep.Signatures[0].Thumbprint != Thumbprint(testSigner(t, 2).Certificate()) {
		t.Fatalf("signatures %+v", rep.Signatures)
	}
	if got := rep.Signatures[0].SigningTime; got != "2022-05-01T12:00:00Z" {
		t.Errorf("signing time %q", got)
	}
	for part, want := range map[string]string{
		"/_rels/.rels": PartSigned,
		"/package/services/digital-signature/certificate/signer.cer": PartCertificate,
		"/package/services/digital-signature/origin.psdor":           PartOrigin,
		"/Contoso.pq": PartSigned,
	} {
		if got := partStatus(rep, part); got != want {
			t.Errorf("%s: %s, want %s", part, got, want)
		}
	}

	// xmlsec1 agrees on the exclusive-C14N SignedInfo and Object.
	xmlsec := needTool(t, "xmlsec1")
	_, m := entries(t, pqx)
	sigFile := filepath.Join(t.TempDir(), "sig.xml")
	os.WriteFile(sigFile, m["package/services/digital-signature/xml-signature/ABC123.psdsxs"], 0o644)
	certFile := filepath.Join(t.TempDir(), "cert.der")
	os.WriteFile(certFile, testSigner(t, 2).Certificate().Raw, 0o644)
	if out, err := exec.Command(xmlsec, "--verify", "--ignore-manifests", "--enabled-reference-uris", "same-doc",
		"--id-attr:Id", "Object", "--pubkey-cert-der", certFile, "--insecure", sigFile).CombinedOutput(); err != nil {
		t.Errorf("xmlsec1 rejects the foreign signature: %v\n%s", err, out)
	}

	// A relationship added to the signed relationships part with the
	// signed type is caught; one of another type is not selected.
	add := func(typ string) []byte {
		return rewrite(t, pqx, func(name string, b []byte) ([]byte, bool) {
			if name == "_rels/.rels" {
				b = []byte(strings.Replace(string(b), "</Relationships>", `<Relationship Type="`+typ+`" Target="/evil.pqm" Id="rEvil" /></Relationships>`, 1))
			}
			return b, true
		})
	}
	wantResult(t, mustVerify(t, add(relTypeOrigin), VerifyOptions{}), InvalidSignature)
	wantResult(t, mustVerify(t, add("http://example.com/other"), VerifyOptions{}), Success)

	// Without the certificate part the signature has no certificate.
	nocert := rewrite(t, pqx, func(name string, b []byte) ([]byte, bool) { return b, !strings.HasSuffix(name, ".cer") })
	wantResult(t, mustVerify(t, nocert, VerifyOptions{}), CertificateRequired)

	// pqx can countersign such a package, keeping its origin.
	counter := mustSign(t, pqx, testSigner(t, 0), Options{})
	rep = mustVerify(t, counter, VerifyOptions{})
	wantResult(t, rep, Success)
	if len(rep.Signatures) != 2 {
		t.Errorf("%d signatures after countersigning", len(rep.Signatures))
	}
}
