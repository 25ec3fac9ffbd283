package sign

import (
	"bytes"
	"crypto"
	"crypto/rsa"
	"crypto/x509"
	"encoding/base64"
	"fmt"
	"math/big"
	"net/url"
	"sort"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/xmldsig"
)

// VerifyResult is MakePQX's verification result, also the exit code of
// `pqx verify` (reference §6.2).
type VerifyResult int

// The results, with MakePQX's numbers.
const (
	Success             VerifyResult = 0
	InvalidSignature    VerifyResult = 1
	CertificateRequired VerifyResult = 2
	InvalidCertificate  VerifyResult = 3
	ReferenceNotFound   VerifyResult = 4
	NotSigned           VerifyResult = 5
)

var resultNames = [...]string{"Success", "InvalidSignature", "CertificateRequired", "InvalidCertificate", "ReferenceNotFound", "NotSigned"}

func (r VerifyResult) String() string {
	if r >= 0 && int(r) < len(resultNames) {
		return resultNames[r]
	}
	return fmt.Sprintf("VerifyResult(%d)", int(r))
}

// MarshalText writes the result by name, as MakePQX's JSON does.
func (r VerifyResult) MarshalText() ([]byte, error) { return []byte(r.String()), nil }

// UnmarshalText reads a result name.
func (r *VerifyResult) UnmarshalText(b []byte) error {
	for i, n := range resultNames {
		if n == string(b) {
			*r = VerifyResult(i)
			return nil
		}
	}
	return fmt.Errorf("unknown verify result %q", b)
}

// Part statuses in PartReport.
const (
	PartSigned             = "Signed"             // covered by a signature, digest and content type match
	PartChanged            = "Changed"            // digest mismatch
	PartMissing            = "Missing"            // referenced by a signature but absent
	PartContentTypeChanged = "ContentTypeChanged" // [Content_Types].xml disagrees with the signed type
	PartUnsigned           = "Unsigned"           // a content part no signature covers
	PartSignature          = "Signature"          // signature machinery, never signed itself
	PartOrigin             = "Origin"
	PartRelationships      = "Relationships"
	PartCertificate        = "Certificate"
)

// Report is the outcome of Verify. SignatureStatus and CertificateStatus
// have MakePQX's names and meaning; the other fields are pqx's additions.
type Report struct {
	SignatureStatus   VerifyResult
	CertificateStatus []CertificateStatus
	File              string            `json:",omitempty"`
	Trusted           *bool             `json:",omitempty"` // set when a trust list was given
	Signatures        []SignatureReport `json:",omitempty"`
	Parts             []PartReport
	Problems          []string `json:",omitempty"` // each names the part concerned
}

// SignatureReport describes one signature.
type SignatureReport struct {
	Part            string
	Status          VerifyResult
	Thumbprint      string   `json:",omitempty"`
	Subject         string   `json:",omitempty"`
	Trusted         *bool    `json:",omitempty"`
	DigestMethod    string   `json:",omitempty"` // sha1, sha256, ...
	SignatureMethod string   `json:",omitempty"` // rsa-sha256, ...
	SigningTime     string   `json:",omitempty"`
	Problems        []string `json:",omitempty"`
}

// PartReport describes one part, or one missing part.
type PartReport struct {
	Part        string
	ContentType string   `json:",omitempty"`
	Status      string   // one of the Part* constants
	SignedBy    []string `json:",omitempty"` // signature parts whose Manifest references it
}

// VerifyOptions control Verify.
type VerifyOptions struct {
	// Trust lists accepted signer thumbprints (SHA-1 hex, any case, spaces
	// and colons ignored). When set, a package none of whose signers is
	// listed fails with InvalidCertificate, for CI policy.
	Trust []string
	// Roots is the pool used for the informational chain status; nil means
	// the system pool.
	Roots *x509.CertPool
	// Now is the time for certificate validity; zero means time.Now().
	Now time.Time
}

// NormalizeThumbprint upper-cases a thumbprint and drops spaces, colons and
// invisible characters copied from the Windows certificate dialog. It
// reports whether the result is 40 hex digits.
func NormalizeThumbprint(s string) (string, bool) {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r >= '0' && r <= '9', r >= 'A' && r <= 'F':
			b.WriteRune(r)
		case r >= 'a' && r <= 'f':
			b.WriteRune(r - 'a' + 'A')
		case r == ' ' || r == ':' || r == '\u200e' || r == '\ufeff' || r == '\t':
		default:
			return s, false
		}
	}
	t := b.String()
	return t, len(t) == 40
}

// Verify checks every signature of the package pqx as PDSM does (reference
// §6.1) and also reports content parts that no signature covers. It returns
// an error only when pqx cannot be read as a package at all; everything
// else is in the Report.
func Verify(pqx []byte, opt VerifyOptions) (*Report, error) {
	if opt.Now.IsZero() {
		opt.Now = time.Now()
	}
	p, err := readPackage(pqx)
	if err != nil {
		return nil, err
	}
	st, err := p.signatureState()
	if err != nil {
		return nil, err
	}
	rep := &Report{CertificateStatus: []CertificateStatus{}, Problems: st.problems}
	for _, d := range st.dangling {
		rep.Problems = append(rep.Problems, fmt.Sprintf("%s: signature relationship points to a missing part (ignored)", d))
	}

	v := newVerifier(p, st)
	for _, name := range st.sigs {
		sr, cert := v.signature(name)
		if cert != nil {
			rep.CertificateStatus = append(rep.CertificateStatus, certificateStatus(cert, opt.Roots, opt.Now))
		}
		rep.Signatures = append(rep.Signatures, sr)
	}

	rep.SignatureStatus = Success
	if len(st.sigs) == 0 {
		rep.SignatureStatus = NotSigned
	}
	for _, sr := range rep.Signatures {
		if sr.Status != Success {
			rep.SignatureStatus = sr.Status
			break
		}
	}

	// Per-part report.
	for _, pt := range p.parts {
		key := normName(pt.name)
		ct, _ := p.types.typeOf(pt.name)
		pr := PartReport{Part: pt.name, ContentType: ct, SignedBy: v.signedBy[key]}
		switch {
		case v.partStatus[key] != "":
			pr.Status = v.partStatus[key]
		case st.isSignature(pt.name):
			pr.Status = PartSignature
		case st.origin != "" && key == normName(st.origin):
			pr.Status = PartOrigin
		case isRelsPart(pt.name):
			pr.Status = PartRelationships
		case st.isPackagePart(pt.name):
			pr.Status = PartCertificate
		default:
			pr.Status = PartUnsigned
			if len(st.sigs) > 0 {
				rep.Problems = append(rep.Problems, fmt.Sprintf("%s: part is not covered by any signature", pt.name))
				if rep.SignatureStatus == Success {
					rep.SignatureStatus = InvalidSignature
				}
			}
		}
		rep.Parts = append(rep.Parts, pr)
	}
	for _, m := range v.missing {
		rep.Parts = append(rep.Parts, PartReport{Part: m, Status: PartMissing, SignedBy: v.signedBy[normName(m)]})
	}
	for _, sr := range rep.Signatures {
		for _, pr := range sr.Problems {
			rep.Problems = append(rep.Problems, sr.Part+": "+pr)
		}
	}

	if len(opt.Trust) > 0 && len(rep.Signatures) > 0 {
		trusted := map[string]bool{}
		for _, t := range opt.Trust {
			n, _ := NormalizeThumbprint(t)
			trusted[n] = true
		}
		any := false
		for i := range rep.Signatures {
			sr := &rep.Signatures[i]
			ok := sr.Thumbprint != "" && trusted[sr.Thumbprint]
			sr.Trusted = &ok
			any = any || (ok && sr.Status == Success)
		}
		rep.Trusted = &any
		if !any {
			rep.Problems = append(rep.Problems, "no signer's thumbprint is in the trust list")
			if rep.SignatureStatus == Success {
				rep.SignatureStatus = InvalidCertificate
			}
		}
	}
	return rep, nil
}

func newVerifier(p *pkg, st *sigState) *verifier {
	return &verifier{p: p, st: st, signedBy: map[string][]string{}, partStatus: map[string]string{}, digests: map[string][]byte{}}
}

type verifier struct {
	p          *pkg
	st         *sigState
	signedBy   map[string][]string // normalised part name → signature parts
	partStatus map[string]string   // normalised part name → worst status
	missing    []string
	// digests caches part digests by part, hash and transforms, so that a
	// hostile manifest naming one large part many times costs one hash.
	digests map[string][]byte
}

// Bounds on what one signature may ask the verifier to do.
const (
	maxSignedInfoRefs = 16
	maxManifestRefs   = 10000
)

// statusRank orders part statuses from good to bad, so that a part signed
// twice reports its worst state.
var statusRank = map[string]int{PartSigned: 1, PartContentTypeChanged: 2, PartChanged: 3, PartMissing: 4}

func (v *verifier) mark(name, status string) {
	key := normName(name)
	if statusRank[status] > statusRank[v.partStatus[key]] {
		v.partStatus[key] = status
	}
}

// signature verifies one signature part. The result follows PDSM's order
// of checks: missing parts first, then the certificate, then the
// signature and digests.
func (v *verifier) signature(name string) (sr SignatureReport, cert *x509.Certificate) {
	sr.Part = name
	var missing, certRequired, badCert, invalid bool
	fail := func(format string, args ...any) {
		invalid = true
		sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...))
	}
	defer func() {
		switch {
		case missing:
			sr.Status = ReferenceNotFound
		case certRequired:
			sr.Status = CertificateRequired
		case badCert:
			sr.Status = InvalidCertificate
		case invalid:
			sr.Status = InvalidSignature
		default:
			sr.Status = Success
		}
	}()

	data, err := v.p.lookup(name).bytes()
	if err != nil {
		fail("%v", err)
		return sr, nil
	}
	doc, err := xmldsig.Parse(data)
	if err != nil {
		fail("malformed XML: %v", err)
		return sr, nil
	}
	root := doc.Root
	if !root.Is(xmldsig.NSDSig, "Signature") {
		fail("%d:%d: root element is <%s>, want Signature", root.Line, root.Col, root.Name())
		return sr, nil
	}
	si := root.Child(xmldsig.NSDSig, "SignedInfo")
	if si == nil {
		fail("no SignedInfo")
		return sr, nil
	}
	cm, err := methodOfElem(si.Child(xmldsig.NSDSig, "CanonicalizationMethod"))
	if err != nil {
		fail("CanonicalizationMethod: %v", err)
		return sr, nil
	}
	smURI := algorithmOf(si.Child(xmldsig.NSDSig, "SignatureMethod"))
	sigHash, ok := hashOfURI(signatureURIs, smURI)
	if !ok {
		fail("unsupported SignatureMethod %q", smURI)
		return sr, nil
	}
	sr.SignatureMethod = "rsa-" + DigestName(sigHash)

	// SignedInfo references: same-document only; their targets hold the
	// Manifest(s) that are then trusted.
	var manifests []*xmldsig.Element
	nrefs := 0
	for _, ref := range si.Elements() {
		if !ref.Is(xmldsig.NSDSig, "Reference") {
			continue
		}
		if nrefs++; nrefs > maxSignedInfoRefs {
			fail("more than %d SignedInfo references", maxSignedInfoRefs)
			break
		}
		uri, _ := ref.Attr("URI")
		if !strings.HasPrefix(uri, "#") {
			fail("%d:%d: SignedInfo reference %q is not a same-document reference", ref.Line, ref.Col, uri)
			continue
		}
		target, n := findID(root, uri[1:])
		if n != 1 {
			fail("%d:%d: reference %q matches %d elements, want 1", ref.Line, ref.Col, uri, n)
			continue
		}
		method := xmldsig.Method{}
		if tr := ref.Child(xmldsig.NSDSig, "Transforms"); tr != nil {
			for _, t := range tr.Elements() {
				m, err := methodOfElem(t)
				if err != nil {
					fail("%d:%d: %v", t.Line, t.Col, err)
				}
				method = m
			}
		}
		h, want, err := digestOf(ref)
		if err != nil {
			fail("%d:%d: %v", ref.Line, ref.Col, err)
			continue
		}
		if sr.DigestMethod == "" {
			sr.DigestMethod = DigestName(h)
		}
		if got := hashBytes(h, xmldsig.Canonicalize(target, method)); !bytes.Equal(got, want) {
			fail("digest of the signed object %q does not match (the signature XML was changed)", uri)
			continue
		}
		if m := target.Child(xmldsig.NSDSig, "Manifest"); m != nil && target.Is(xmldsig.NSDSig, "Object") {
			manifests = append(manifests, m)
		}
		if t := signingTime(target); t != "" {
			sr.SigningTime = t
		}
	}
	if nrefs == 0 || len(manifests) == 0 {
		fail("SignedInfo does not reference a package object with a Manifest")
	}

	// Certificate.
	cert, certProblem, required := v.certificate(root, name)
	if cert == nil && certProblem == "" {
		certProblem = "no usable signer certificate"
	}
	switch {
	case required:
		certRequired = true
		sr.Problems = append(sr.Problems, certProblem)
	case certProblem != "":
		badCert = true
		sr.Problems = append(sr.Problems, certProblem)
	}
	if cert != nil {
		sr.Thumbprint, sr.Subject = Thumbprint(cert), Subject(cert)
		pub := cert.PublicKey.(*rsa.PublicKey)
		if kv := keyValue(root); kv != nil && !kv.Equal(pub) {
			fail("KeyInfo RSAKeyValue does not match the certificate")
		}
		sv := root.Child(xmldsig.NSDSig, "SignatureValue")
		sig, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(textOf(sv)), ""))
		if err != nil || sv == nil {
			fail("SignatureValue is missing or not base64")
		} else if err := rsa.VerifyPKCS1v15(pub, sigHash, hashBytes(sigHash, xmldsig.Canonicalize(si, cm)), sig); err != nil {
			fail("SignatureValue does not verify with the certificate %s", sr.Thumbprint)
		}
	}

	// Manifest references.
	nref := 0
	for _, m := range manifests {
		for _, ref := range m.Elements() {
			if nref++; nref > maxManifestRefs {
				fail("more than %d Manifest references", maxManifestRefs)
				break
			}
			if !ref.Is(xmldsig.NSDSig, "Reference") {
				fail("%d:%d: unexpected <%s> in Manifest", ref.Line, ref.Col, ref.Name())
				continue
			}
			r := v.manifestRef(ref, name, &sr)
			missing = missing || r == refMissing
			invalid = invalid || r == refInvalid
		}
	}
	return sr, cert
}

type refOutcome int

const (
	refOK refOutcome = iota
	refMissing
	refInvalid
)

// manifestRef checks one Manifest reference: the part exists, its content
// type is the signed one, and its (transformed) digest matches.
func (v *verifier) manifestRef(ref *xmldsig.Element, sigName string, sr *SignatureReport) refOutcome {
	bad := func(format string, args ...any) refOutcome {
		sr.Problems = append(sr.Problems, fmt.Sprintf(format, args...))
		return refInvalid
	}
	uri, _ := ref.Attr("URI")
	partURI, query, _ := strings.Cut(uri, "?")
	q, err := url.ParseQuery(query)
	signedType := q.Get("ContentType")
	if err != nil || !strings.HasPrefix(partURI, "/") || signedType == "" {
		return bad("%d:%d: Manifest reference %q is not /part?ContentType=type", ref.Line, ref.Col, uri)
	}
	// The query keeps the type as written; ParseQuery would turn "+" into a space.
	if raw, ok := strings.CutPrefix(query, "ContentType="); ok {
		signedType = raw
	}
	key := normName(partURI)
	if !contains(v.signedBy[key], sigName) {
		v.signedBy[key] = append(v.signedBy[key], sigName)
	}
	pt := v.p.lookup(partURI)
	if pt == nil {
		if !containsFold(v.missing, partURI) {
			v.missing = append(v.missing, partURI)
		}
		v.mark(partURI, PartMissing)
		sr.Problems = append(sr.Problems, fmt.Sprintf("%s: signed part is missing", partURI))
		return refMissing
	}
	h, want, err := digestOf(ref)
	if err != nil {
		v.mark(pt.name, PartChanged)
		return bad("%s: %v", pt.name, err)
	}
	tr := ref.Child(xmldsig.NSDSig, "Transforms")
	dkey := normName(pt.name) + "\x00" + h.String()
	if tr != nil {
		dkey += "\x00" + string(xmldsig.Canonicalize(tr, xmldsig.Method{}))
	}
	got, ok := v.digests[dkey]
	if !ok {
		data, err := pt.bytes()
		if err != nil {
			v.mark(pt.name, PartChanged)
			return bad("%s: %v", pt.name, err)
		}
		if tr != nil {
			data, err = v.transform(tr, pt, data)
			if err != nil {
				v.mark(pt.name, PartChanged)
				return bad("%s: %v", pt.name, err)
			}
		}
		got = hashBytes(h, data)
		v.digests[dkey] = got
	}
	outcome := refOK
	if !bytes.Equal(got, want) {
		v.mark(pt.name, PartChanged)
		outcome = bad("%s: content changed (digest mismatch)", pt.name)
	}
	if actual, _ := v.p.types.typeOf(pt.name); actual != signedType {
		v.mark(pt.name, PartContentTypeChanged)
		outcome = bad("%s: content type is %q, signed as %q", pt.name, actual, signedType)
	}
	if outcome == refOK {
		v.mark(pt.name, PartSigned)
	}
	return outcome
}

// transform applies a Manifest reference's transforms: C14N variants and
// OPC's RelationshipTransform (reference §6.1 check 3).
func (v *verifier) transform(tr *xmldsig.Element, pt *part, data []byte) ([]byte, error) {
	var doc *xmldsig.Document
	var rels []relationship
	relSelected := false
	canonical := false
	for _, t := range tr.Elements() {
		alg := algorithmOf(t)
		if alg == relationshipTransform {
			all, err := parseRelationships(data)
			if err != nil {
				return nil, fmt.Errorf("relationships: %v", err)
			}
			rels = selectRelationships(all, t)
			relSelected = true
			continue
		}
		m, err := methodOfElem(t)
		if err != nil {
			return nil, err
		}
		if relSelected {
			// The selected relationships are already in canonical form.
			canonical = true
			continue
		}
		if doc == nil {
			if doc, err = xmldsig.Parse(data); err != nil {
				return nil, err
			}
		}
		data = xmldsig.CanonicalizeDocument(doc, m)
		canonical = true
	}
	if relSelected {
		if !canonical {
			return nil, fmt.Errorf("RelationshipTransform without a following C14N transform")
		}
		return canonicalRelationships(rels), nil
	}
	return data, nil
}

const relationshipTransform = "http://schemas.openxmlformats.org/package/2006/RelationshipTransform"

// selectRelationships keeps the relationships a RelationshipTransform
// selects by SourceId or SourceType (ECMA-376-2 §13.2.4.24).
func selectRelationships(all []relationship, t *xmldsig.Element) []relationship {
	ids, types := map[string]bool{}, map[string]bool{}
	for _, sel := range t.Elements() {
		switch sel.Local {
		case "RelationshipReference":
			id, _ := sel.Attr("SourceId")
			ids[id] = true
		case "RelationshipsGroupReference", "RelationshipGroupReference":
			typ, _ := sel.Attr("SourceType")
			types[typ] = true
		}
	}
	var out []relationship
	for _, r := range all {
		if ids[r.ID] || types[r.Type] {
			out = append(out, r)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].ID < out[j].ID })
	return out
}

// canonicalRelationships is the C14N form of the transformed relationships
// part: selected relationships sorted by Id, TargetMode made explicit.
func canonicalRelationships(rels []relationship) []byte {
	var b strings.Builder
	b.WriteString(`<Relationships xmlns="` + nsRelationships + `">`)
	for _, r := range rels {
		mode := r.TargetMode
		if mode == "" {
			mode = "Internal"
		}
		b.WriteString(`<Relationship Id="` + escAttrC14N(r.ID) + `" Target="` + escAttrC14N(r.Target) +
			`" TargetMode="` + escAttrC14N(mode) + `" Type="` + escAttrC14N(r.Type) + `"></Relationship>`)
	}
	b.WriteString(`</Relationships>`)
	return []byte(b.String())
}

// certificate finds the signer certificate: KeyInfo/X509Data first, else a
// certificate part related to the signature part. required reports that
// there is none at all (CertificateRequired).
func (v *verifier) certificate(root *xmldsig.Element, sigName string) (cert *x509.Certificate, problem string, required bool) {
	var ders [][]byte
	if ki := root.Child(xmldsig.NSDSig, "KeyInfo"); ki != nil {
		for _, xd := range ki.Elements() {
			if !xd.Is(xmldsig.NSDSig, "X509Data") {
				continue
			}
			for _, c := range xd.Elements() {
				if c.Is(xmldsig.NSDSig, "X509Certificate") {
					der, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(c.Text()), ""))
					if err != nil {
						return nil, fmt.Sprintf("%d:%d: X509Certificate is not base64", c.Line, c.Col), false
					}
					ders = append(ders, der)
				}
			}
		}
	}
	if len(ders) == 0 {
		rels, err := v.p.relationships(sigName)
		if err != nil {
			return nil, err.Error(), false
		}
		for _, r := range rels {
			if r.Type != relTypeCertificate {
				continue
			}
			target := resolveTarget(sigName, r.Target)
			if pt := v.p.lookup(target); pt != nil {
				der, err := pt.bytes()
				if err != nil {
					return nil, err.Error(), false
				}
				ders = append(ders, der)
			}
		}
	}
	if len(ders) == 0 {
		return nil, "no signer certificate (KeyInfo has no X509Certificate and there is no certificate part)", true
	}
	kv := keyValue(root)
	for _, der := range ders {
		c, err := x509.ParseCertificate(der)
		if err != nil {
			return nil, fmt.Sprintf("signer certificate cannot be parsed: %v", err), false
		}
		pub, ok := c.PublicKey.(*rsa.PublicKey)
		if !ok {
			return nil, fmt.Sprintf("signer certificate %s has a %T key, want RSA", Thumbprint(c), c.PublicKey), false
		}
		if cert == nil || (kv != nil && kv.Equal(pub)) {
			cert = c
		}
	}
	return cert, "", false
}

// keyValue returns the RSAKeyValue of KeyInfo, or nil.
func keyValue(root *xmldsig.Element) *rsa.PublicKey {
	ki := root.Child(xmldsig.NSDSig, "KeyInfo")
	if ki == nil {
		return nil
	}
	kv := ki.Child(xmldsig.NSDSig, "KeyValue")
	if kv == nil {
		return nil
	}
	rk := kv.Child(xmldsig.NSDSig, "RSAKeyValue")
	if rk == nil {
		return nil
	}
	n, err1 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(textOf(rk.Child(xmldsig.NSDSig, "Modulus"))), ""))
	e, err2 := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(textOf(rk.Child(xmldsig.NSDSig, "Exponent"))), ""))
	if err1 != nil || err2 != nil || len(e) == 0 || len(e) > 4 {
		// A malformed key value cannot match any certificate.
		return &rsa.PublicKey{N: big.NewInt(0), E: 0}
	}
	exp := 0
	for _, b := range e {
		exp = exp<<8 | int(b)
	}
	return &rsa.PublicKey{N: new(big.Int).SetBytes(n), E: exp}
}

func textOf(e *xmldsig.Element) string {
	if e == nil {
		return ""
	}
	return e.Text()
}

func algorithmOf(e *xmldsig.Element) string {
	if e == nil {
		return ""
	}
	a, _ := e.Attr("Algorithm")
	return a
}

// methodOfElem reads a CanonicalizationMethod or Transform element.
func methodOfElem(e *xmldsig.Element) (xmldsig.Method, error) {
	if e == nil {
		return xmldsig.Method{}, fmt.Errorf("missing")
	}
	m, err := xmldsig.MethodOf(algorithmOf(e))
	if err != nil {
		return m, err
	}
	if m.Exclusive {
		for _, c := range e.Elements() {
			if c.Local == "InclusiveNamespaces" {
				pl, _ := c.Attr("PrefixList")
				m.InclusivePrefixes = strings.Fields(pl)
			}
		}
	}
	return m, nil
}

// digestOf reads a Reference's DigestMethod and DigestValue.
func digestOf(ref *xmldsig.Element) (crypto.Hash, []byte, error) {
	dm := algorithmOf(ref.Child(xmldsig.NSDSig, "DigestMethod"))
	h, ok := hashOfURI(digestURIs, dm)
	if !ok {
		return 0, nil, fmt.Errorf("unsupported DigestMethod %q", dm)
	}
	dv := ref.Child(xmldsig.NSDSig, "DigestValue")
	want, err := base64.StdEncoding.DecodeString(strings.Join(strings.Fields(textOf(dv)), ""))
	if err != nil || dv == nil || len(want) != h.Size() {
		return 0, nil, fmt.Errorf("DigestValue is missing or malformed")
	}
	return h, want, nil
}

// findID returns the element with the given Id and how many there are, so
// that a duplicated Id (a signature-wrapping attack) is refused.
func findID(root *xmldsig.Element, id string) (*xmldsig.Element, int) {
	var found *xmldsig.Element
	n := 0
	var walk func(e *xmldsig.Element)
	walk = func(e *xmldsig.Element) {
		if v, ok := e.Attr("Id"); ok && v == id {
			if found == nil {
				found = e
			}
			n++
		}
		for _, c := range e.Elements() {
			walk(c)
		}
	}
	walk(root)
	return found, n
}

// signingTime returns the SignatureTime value inside an Object, or "".
func signingTime(obj *xmldsig.Element) string {
	props := obj.Child(xmldsig.NSDSig, "SignatureProperties")
	if props == nil {
		return ""
	}
	for _, sp := range props.Elements() {
		if t := sp.Child(nsDigSig, "SignatureTime"); t != nil {
			return strings.TrimSpace(textOf(t.Child(nsDigSig, "Value")))
		}
	}
	return ""
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

func containsFold(list []string, s string) bool {
	for _, x := range list {
		if normName(x) == normName(s) {
			return true
		}
	}
	return false
}
