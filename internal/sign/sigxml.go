package sign

import (
	"crypto"
	"encoding/base64"
	"fmt"
	"strings"

	"github.com/pqxdev/pqx/internal/xmldsig"
)

// Fixed identifiers PDSM writes (reference §5.1).
const (
	signatureID     = "SignatureIdValue"
	packageObjectID = "idPackageObject"
	timePropertyID  = "idSignatureTime"
	objectType      = "http://www.w3.org/2000/09/xmldsig#Object"
	timeFormat      = "YYYY-MM-DDThh:mm:ss.sTZD"
	// dotnetTimeLayout is .NET's "yyyy-MM-ddTHH:mm:ss.fzzz".
	dotnetTimeLayout = "2006-01-02T15:04:05.0-07:00"
)

// digestURIs and signatureURIs map hashes to XML-DSig algorithm URIs
// (reference §5.5).
var digestURIs = map[crypto.Hash]string{
	crypto.SHA1:   "http://www.w3.org/2000/09/xmldsig#sha1",
	crypto.SHA256: "http://www.w3.org/2001/04/xmlenc#sha256",
	crypto.SHA384: "http://www.w3.org/2001/04/xmldsig-more#sha384",
	crypto.SHA512: "http://www.w3.org/2001/04/xmlenc#sha512",
}

var signatureURIs = map[crypto.Hash]string{
	crypto.SHA1:   "http://www.w3.org/2000/09/xmldsig#rsa-sha1",
	crypto.SHA256: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256",
	crypto.SHA384: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha384",
	crypto.SHA512: "http://www.w3.org/2001/04/xmldsig-more#rsa-sha512",
}

func hashOfURI(m map[crypto.Hash]string, uri string) (crypto.Hash, bool) {
	for h, u := range m {
		if u == uri {
			return h, true
		}
	}
	return 0, false
}

// ParseDigest maps a digest name (sha1, sha256, sha384, sha512; case and
// a dash are ignored) to a hash.
func ParseDigest(name string) (crypto.Hash, error) {
	switch strings.ReplaceAll(strings.ToLower(name), "-", "") {
	case "sha1":
		return crypto.SHA1, nil
	case "", "sha256":
		return crypto.SHA256, nil
	case "sha384":
		return crypto.SHA384, nil
	case "sha512":
		return crypto.SHA512, nil
	}
	return 0, fmt.Errorf("unknown digest %q (want sha1, sha256, sha384 or sha512)", name)
}

// DigestName returns the short name of h ("sha256").
func DigestName(h crypto.Hash) string {
	switch h {
	case crypto.SHA1:
		return "sha1"
	case crypto.SHA256:
		return "sha256"
	case crypto.SHA384:
		return "sha384"
	case crypto.SHA512:
		return "sha512"
	}
	return h.String()
}

// manifestRef is one Reference of the Manifest.
type manifestRef struct {
	uri       string // "/Foo.pq?ContentType=application/x-ms-m"
	sortKey   string
	transform string // "" or a C14N algorithm URI
	digest    []byte
}

// xmlWriter writes the signature's elements either in the serialised form
// stored in the part (" />" empty tags, xmlns only where declared) or in
// the canonical form (C14N 1.0: empty tags expanded, attributes sorted, the
// default namespace declared on the canonicalised root).
type xmlWriter struct {
	b         strings.Builder
	canonical bool
}

// empty writes an element with a single Algorithm attribute and no content.
func (w *xmlWriter) algorithm(name, uri string) {
	w.b.WriteString("<" + name + ` Algorithm="` + escAttrC14N(uri) + `"`)
	if w.canonical {
		w.b.WriteString("></" + name + ">")
	} else {
		w.b.WriteString(" />")
	}
}

func (w *xmlWriter) textElem(name, text string) {
	w.b.WriteString("<" + name + ">" + escText(text) + "</" + name + ">")
}

// rootOpen writes the start tag of a canonicalised root: xmlns first, then
// the attributes (already sorted by the caller).
func (w *xmlWriter) rootOpen(name string, attrs ...string) {
	w.b.WriteString("<" + name)
	if w.canonical {
		w.b.WriteString(` xmlns="` + xmldsig.NSDSig + `"`)
	}
	for i := 0; i+1 < len(attrs); i += 2 {
		w.b.WriteString(" " + attrs[i] + `="` + escAttrC14N(attrs[i+1]) + `"`)
	}
	w.b.WriteString(">")
}

// writeObject writes <Object Id="idPackageObject"> with the Manifest and
// the SignatureTime property.
func (w *xmlWriter) writeObject(refs []manifestRef, digestURI, signingTime string) {
	w.rootOpen("Object", "Id", packageObjectID)
	w.b.WriteString("<Manifest>")
	for _, r := range refs {
		w.b.WriteString(`<Reference URI="` + escAttrC14N(r.uri) + `">`)
		if r.transform != "" {
			w.b.WriteString("<Transforms>")
			w.algorithm("Transform", r.transform)
			w.b.WriteString("</Transforms>")
		}
		w.algorithm("DigestMethod", digestURI)
		w.textElem("DigestValue", base64.StdEncoding.EncodeToString(r.digest))
		w.b.WriteString("</Reference>")
	}
	w.b.WriteString("</Manifest>")
	w.b.WriteString(`<SignatureProperties><SignatureProperty Id="` + timePropertyID + `" Target="#` + signatureID + `">`)
	w.b.WriteString(`<SignatureTime xmlns="` + nsDigSig + `">`)
	w.textElem("Format", timeFormat)
	w.textElem("Value", signingTime)
	w.b.WriteString("</SignatureTime></SignatureProperty></SignatureProperties></Object>")
}

// writeSignedInfo writes <SignedInfo> with its single reference to the
// package object.
func (w *xmlWriter) writeSignedInfo(sigURI, digestURI string, objectDigest []byte) {
	w.rootOpen("SignedInfo")
	w.algorithm("CanonicalizationMethod", xmldsig.C14N10)
	w.algorithm("SignatureMethod", sigURI)
	if w.canonical {
		w.b.WriteString(`<Reference Type="` + objectType + `" URI="#` + packageObjectID + `">`)
	} else {
		// .NET's Reference.GetXml writes URI before Type.
		w.b.WriteString(`<Reference URI="#` + packageObjectID + `" Type="` + objectType + `">`)
	}
	w.algorithm("DigestMethod", digestURI)
	w.textElem("DigestValue", base64.StdEncoding.EncodeToString(objectDigest))
	w.b.WriteString("</Reference></SignedInfo>")
}

// escAttrC14N escapes an attribute value as C14N does; the serialised form
// uses the same escaping, which is valid XML.
func escAttrC14N(s string) string { return c14nAttrEscaper.Replace(s) }

var c14nAttrEscaper = strings.NewReplacer(`&`, "&amp;", `<`, "&lt;", `"`, "&quot;", "\t", "&#x9;", "\n", "&#xA;", "\r", "&#xD;")
