package sign

import (
	"crypto"
	"crypto/rand"
	"crypto/rsa"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"os"
	"sort"
	"strconv"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/xmldsig"
)

// Options control Package.
type Options struct {
	// Digest is the hash for part digests and the signature method:
	// crypto.SHA256 (the default, rsa-sha256) or crypto.SHA1 for hosts that
	// only know MakePQX's older SHA-1 signatures; SHA-384 and SHA-512 work too.
	Digest crypto.Hash
	// Replace drops existing signatures before signing. Without it an
	// already signed package is countersigned, as MakePQX does.
	Replace bool
	// Time is the signing time, written with its UTC offset. Zero means now,
	// in local time.
	Time time.Time
	// Seed, when set, makes the signature part's GUID and the relationship
	// ids a function of the seed and the signed content, so equal inputs
	// give byte-identical packages. Nil means random.
	Seed []byte
}

// FromEnvironment returns Options whose Time and Seed come from
// SOURCE_DATE_EPOCH (https://reproducible-builds.org/specs/source-date-epoch/)
// when it is set, so that CI reproduces a signed file bit for bit. The time
// is written in UTC (+00:00).
func FromEnvironment() (Options, error) {
	v := strings.TrimSpace(os.Getenv("SOURCE_DATE_EPOCH"))
	if v == "" {
		return Options{}, nil
	}
	sec, err := strconv.ParseInt(v, 10, 64)
	if err != nil || sec < 0 {
		return Options{}, fmt.Errorf("SOURCE_DATE_EPOCH=%q: want a non-negative integer (seconds since 1970)", v)
	}
	return Options{Time: time.Unix(sec, 0).UTC(), Seed: []byte("SOURCE_DATE_EPOCH=" + v)}, nil
}

// Result describes one signing.
type Result struct {
	SignaturePart string // e.g. "/package/services/digital-signature/xml-signature/<guid>.psdsxs"
	Thumbprint    string // signer's SHA-1 thumbprint, upper-case hex
	Subject       string
	Digest        string // "sha256"
	Countersigned bool   // the package was already signed and was countersigned
	Replaced      int    // signatures removed by Options.Replace
	SignedParts   []string
	Time          string // SignatureTime value
}

// Package signs the OPC package pqx with s and returns the signed package.
//
// An unsigned package gets one signature whose Manifest covers every part
// except relationship parts (reference §5.2). A signed one is countersigned
// (a new signature over the existing signature parts, §5.7) unless
// opt.Replace is set. Content parts keep their compressed bytes.
func Package(pqx []byte, s Signer, opt Options) ([]byte, error) {
	out, _, err := PackageResult(pqx, s, opt)
	return out, err
}

// PackageResult is Package, also describing what was done.
func PackageResult(pqx []byte, s Signer, opt Options) ([]byte, *Result, error) {
	if opt.Digest == 0 {
		opt.Digest = crypto.SHA256
	}
	digestURI, ok := digestURIs[opt.Digest]
	if !ok {
		return nil, nil, fmt.Errorf("unsupported digest %v", opt.Digest)
	}
	cert := s.Certificate()
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, nil, fmt.Errorf("certificate %s: public key is %T, want RSA", Subject(cert), cert.PublicKey)
	}
	if opt.Time.IsZero() {
		opt.Time = time.Now()
	}

	p, err := readPackage(pqx)
	if err != nil {
		return nil, nil, err
	}
	st, err := p.signatureState()
	if err != nil {
		return nil, nil, err
	}
	res := &Result{Thumbprint: Thumbprint(cert), Subject: Subject(cert), Digest: DigestName(opt.Digest)}
	if opt.Replace && (len(st.sigs) > 0 || st.origin != "") {
		res.Replaced = len(st.sigs)
		if err := p.removeSignatures(st, opt.Time); err != nil {
			return nil, nil, err
		}
		if st, err = p.signatureState(); err != nil {
			return nil, nil, err
		}
	}

	// The manifest.
	var refs []manifestRef
	if len(st.sigs) > 0 {
		res.Countersigned = true
		for _, name := range st.sigs {
			pt := p.lookup(name)
			data, err := pt.bytes()
			if err != nil {
				return nil, nil, err
			}
			doc, err := xmldsig.Parse(data)
			if err != nil {
				return nil, nil, fmt.Errorf("%s:%v", name[1:], err)
			}
			r, err := p.newRef(pt.name, xmldsig.CanonicalizeDocument(doc, xmldsig.Method{}), opt.Digest)
			if err != nil {
				return nil, nil, err
			}
			r.transform = xmldsig.C14N10
			refs = append(refs, r)
		}
	} else {
		for _, pt := range p.parts {
			if isRelsPart(pt.name) || st.isPackagePart(pt.name) {
				continue
			}
			data, err := pt.bytes()
			if err != nil {
				return nil, nil, err
			}
			r, err := p.newRef(pt.name, data, opt.Digest)
			if err != nil {
				return nil, nil, err
			}
			refs = append(refs, r)
		}
		if len(refs) == 0 {
			return nil, nil, fmt.Errorf("the package has no parts to sign")
		}
	}
	sort.Slice(refs, func(i, j int) bool { return refs[i].sortKey < refs[j].sortKey })
	for _, r := range refs {
		name, _, _ := strings.Cut(r.uri, "?")
		res.SignedParts = append(res.SignedParts, name)
	}

	// Object, SignedInfo, SignatureValue.
	res.Time = opt.Time.Format(dotnetTimeLayout)
	canon := xmlWriter{canonical: true}
	canon.writeObject(refs, digestURI, res.Time)
	objectDigest := hashBytes(opt.Digest, []byte(canon.b.String()))
	canon.b.Reset()
	canon.writeSignedInfo(signatureURIs[opt.Digest], digestURI, objectDigest)
	signedInfoDigest := hashBytes(opt.Digest, []byte(canon.b.String()))
	sigValue, err := s.Sign(rand.Reader, signedInfoDigest, opt.Digest)
	if err != nil {
		return nil, nil, err
	}
	// A signer we do not control (KMS, HSM, PKCS#11) must not produce a
	// package that fails verification later.
	if err := rsa.VerifyPKCS1v15(pub, opt.Digest, signedInfoDigest, sigValue); err != nil {
		return nil, nil, fmt.Errorf("the signer's signature does not verify with certificate %s", Thumbprint(cert))
	}

	// Names and ids.
	ids := newIDSource(opt.Seed, objectDigest, cert.Raw)
	sigName := ""
	for sigName == "" || p.lookup(sigName) != nil {
		sigName = signatureFolder + ids.hex(16, true) + ".psdsxs"
	}
	res.SignaturePart = sigName

	var sb strings.Builder
	sb.WriteString("\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\" standalone=\"yes\"?>")
	sb.WriteString(`<Signature Id="` + signatureID + `" xmlns="` + xmldsig.NSDSig + `">`)
	ser := xmlWriter{}
	ser.writeSignedInfo(signatureURIs[opt.Digest], digestURI, objectDigest)
	sb.WriteString(ser.b.String())
	sb.WriteString("<SignatureValue>" + base64.StdEncoding.EncodeToString(sigValue) + "</SignatureValue>")
	sb.WriteString("<KeyInfo><KeyName>" + escText(Subject(cert)) + "</KeyName>")
	sb.WriteString("<KeyValue><RSAKeyValue><Modulus>" + base64.StdEncoding.EncodeToString(pub.N.Bytes()) + "</Modulus>")
	sb.WriteString("<Exponent>" + base64.StdEncoding.EncodeToString(exponentBytes(pub.E)) + "</Exponent></RSAKeyValue></KeyValue>")
	sb.WriteString("<X509Data><X509Certificate>" + base64.StdEncoding.EncodeToString(cert.Raw) + "</X509Certificate></X509Data></KeyInfo>")
	ser.b.Reset()
	ser.writeObject(refs, digestURI, res.Time)
	sb.WriteString(ser.b.String())
	sb.WriteString("</Signature>")

	// Parts and relationships, created in WindowsBase's order: origin,
	// package relationship, origin relationship, signature part.
	mod := opt.Time
	origin := st.origin
	if origin == "" || p.lookup(origin) == nil {
		if origin == "" {
			origin = originPartName
		}
		p.add(&part{name: origin, data: []byte{}, modified: mod})
		p.types.add(origin, ctOrigin)
	}
	if st.originRelID == "" {
		rels, err := p.relationships("/")
		if err != nil {
			return nil, nil, err
		}
		rels = append(rels, relationship{ID: ids.relID(rels), Type: relTypeOrigin, Target: origin})
		p.setRelationships("/", rels, mod)
	}
	orels, err := p.relationships(origin)
	if err != nil {
		return nil, nil, err
	}
	orels = append(orels, relationship{ID: ids.relID(orels), Type: relTypeSignature, Target: sigName})
	p.setRelationships(origin, orels, mod)
	p.add(&part{name: sigName, data: []byte(sb.String()), modified: mod})
	p.types.add(sigName, ctSignature)

	st, err = p.signatureState()
	if err != nil {
		return nil, nil, err
	}
	typesTime := p.typesModified
	if p.types.raw == nil {
		typesTime = mod
	}
	out, err := p.write(func(n string) bool { return normName(n) == normName(st.origin) }, st.isSignature, typesTime)
	if err != nil {
		return nil, nil, err
	}
	return out, res, nil
}

// newRef returns the manifest reference of the part name with the given
// bytes (already transformed).
func (p *pkg) newRef(name string, data []byte, h crypto.Hash) (manifestRef, error) {
	ct, ok := p.types.typeOf(name)
	if !ok {
		return manifestRef{}, fmt.Errorf("%s: no content type in %s", name[1:], contentTypesName)
	}
	return manifestRef{
		uri:     name + "?ContentType=" + ct,
		sortKey: strings.ToUpper(name) + "\x00" + name,
		digest:  hashBytes(h, data),
	}, nil
}

func hashBytes(h crypto.Hash, data []byte) []byte {
	w := h.New()
	w.Write(data)
	return w.Sum(nil)
}

func exponentBytes(e int) []byte {
	var b []byte
	for ; e > 0; e >>= 8 {
		b = append([]byte{byte(e)}, b...)
	}
	return b
}

// idSource derives the signature GUID and relationship ids, from a seed
// when one is given, else from crypto/rand.
type idSource struct {
	seed    []byte
	counter int
}

func newIDSource(seed, objectDigest, certDER []byte) *idSource {
	if seed == nil {
		return &idSource{}
	}
	h := sha256.New()
	h.Write(seed)
	h.Write([]byte{0})
	h.Write(objectDigest)
	h.Write(certDER)
	return &idSource{seed: h.Sum(nil)}
}

// hex returns n random or derived bytes as lower-case hex. With guid set the
// bytes are marked as a version 4 UUID, like .NET's Guid.NewGuid.
func (s *idSource) hex(n int, guid bool) string {
	b := make([]byte, n)
	if s.seed == nil {
		if _, err := rand.Read(b); err != nil {
			panic(err) // crypto/rand never fails on supported platforms
		}
	} else {
		s.counter++
		sum := sha256.Sum256(append(append([]byte{}, s.seed...), byte(s.counter>>8), byte(s.counter)))
		copy(b, sum[:])
	}
	if guid && n == 16 {
		// Guid "N" format prints the first three fields little-endian in
		// memory but as numbers; only the version and variant nibbles matter.
		b[6] = b[6]&0x0f | 0x40
		b[8] = b[8]&0x3f | 0x80
	}
	return hex.EncodeToString(b)
}

// relID returns a new relationship id "R" + 16 hex digits not used in rels.
func (s *idSource) relID(rels []relationship) string {
	for {
		id := "R" + s.hex(8, false)
		used := false
		for _, r := range rels {
			used = used || r.ID == id
		}
		if !used {
			return id
		}
	}
}

// maxSignatures bounds the signatures of one package; real packages have
// one or two, and each costs a parse and an RSA verification.
const maxSignatures = 64

// sigState is where a package's signatures are.
type sigState struct {
	origin      string   // origin part name, "" when there is no origin relationship
	originRelID string   // id of the package relationship to the origin
	sigs        []string // signature parts that exist, in relationship order
	dangling    []string // signature relationship targets that do not exist
	certs       []string // certificate parts of the signatures
	problems    []string
}

func (st *sigState) isSignature(name string) bool {
	for _, s := range st.sigs {
		if normName(s) == normName(name) {
			return true
		}
	}
	return false
}

// isPackagePart reports whether name belongs to the signature machinery
// (origin, signature or certificate part) rather than the content.
func (st *sigState) isPackagePart(name string) bool {
	if st.origin != "" && normName(name) == normName(st.origin) {
		return true
	}
	for _, c := range st.certs {
		if normName(c) == normName(name) {
			return true
		}
	}
	return st.isSignature(name)
}

// signatureState follows the origin relationship from the package and the
// signature relationships from the origin (reference §5.8); no name is
// assumed.
func (p *pkg) signatureState() (*sigState, error) {
	st := &sigState{}
	rels, err := p.relationships("/")
	if err != nil {
		return nil, err
	}
	for _, r := range rels {
		if r.Type != relTypeOrigin || r.TargetMode == "External" {
			continue
		}
		if st.origin != "" {
			st.problems = append(st.problems, "more than one digital signature origin relationship; using the first")
			continue
		}
		if t := resolveTarget("/", r.Target); t != "" {
			st.origin, st.originRelID = t, r.ID
		} else {
			st.problems = append(st.problems, fmt.Sprintf("/_rels/.rels: origin relationship %s: target %q is not a part name (ignored)", r.ID, r.Target))
		}
	}
	if st.origin == "" {
		return st, nil
	}
	orels, err := p.relationships(st.origin)
	if err != nil {
		return nil, err
	}
	for _, r := range orels {
		if r.Type != relTypeSignature || r.TargetMode == "External" {
			continue
		}
		target := resolveTarget(st.origin, r.Target)
		if target == "" {
			st.problems = append(st.problems, fmt.Sprintf("%s: signature relationship %s: target %q is not a part name (ignored)", relsPartName(st.origin), r.ID, r.Target))
			continue
		}
		if p.lookup(target) == nil {
			st.dangling = append(st.dangling, target)
			continue
		}
		if st.isSignature(target) {
			st.problems = append(st.problems, fmt.Sprintf("%s: signature relationship %s repeats %s (ignored)", relsPartName(st.origin), r.ID, target))
			continue
		}
		if len(st.sigs) == maxSignatures {
			return nil, fmt.Errorf("%s: more than %d signatures", relsPartName(st.origin)[1:], maxSignatures)
		}
		st.sigs = append(st.sigs, p.lookup(target).name)
		srels, err := p.relationships(target)
		if err != nil {
			return nil, err
		}
		for _, c := range srels {
			if c.Type == relTypeCertificate && c.TargetMode != "External" {
				if ct := resolveTarget(target, c.Target); ct != "" {
					st.certs = append(st.certs, ct)
				}
			}
		}
	}
	return st, nil
}

// removeSignatures deletes every signature, certificate and origin part
// and their relationships, as PDSM.RemoveAllSignatures does.
func (p *pkg) removeSignatures(st *sigState, mod time.Time) error {
	for _, name := range append(append(append([]string{}, st.sigs...), st.certs...), st.dangling...) {
		p.remove(name)
		p.remove(relsPartName(name))
	}
	if st.origin != "" {
		p.remove(st.origin)
		p.remove(relsPartName(st.origin))
	}
	rels, err := p.relationships("/")
	if err != nil {
		return err
	}
	kept := rels[:0]
	for _, r := range rels {
		if r.Type != relTypeOrigin {
			kept = append(kept, r)
		}
	}
	p.setRelationships("/", kept, mod)
	return nil
}
