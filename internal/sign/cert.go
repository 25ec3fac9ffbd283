package sign

import (
	"bytes"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/asn1"
	"errors"
	"fmt"
	"strings"
	"sync"
	"time"
)

// dnNames are the attribute short names .NET's X500DistinguishedName uses.
var dnNames = map[string]string{
	"2.5.4.3":                    "CN",
	"2.5.4.4":                    "SN",
	"2.5.4.5":                    "SERIALNUMBER",
	"2.5.4.6":                    "C",
	"2.5.4.7":                    "L",
	"2.5.4.8":                    "S",
	"2.5.4.9":                    "STREET",
	"2.5.4.10":                   "O",
	"2.5.4.11":                   "OU",
	"2.5.4.12":                   "T",
	"2.5.4.42":                   "G",
	"2.5.4.43":                   "I",
	"2.5.4.17":                   "PostalCode",
	"1.2.840.113549.1.9.1":       "E",
	"0.9.2342.19200300.100.1.25": "DC",
	"0.9.2342.19200300.100.1.1":  "UID",
}

// Subject returns the certificate subject as .NET's X509Certificate2.Subject
// formats it ("CN=Contoso, O=Contoso Ltd, C=US"): most specific RDN first,
// ", " between RDNs, " + " inside multi-valued ones, values quoted when they
// hold special characters. MakePQX writes this string as the KeyName.
func Subject(cert *x509.Certificate) string { return dotnetDN(cert.RawSubject) }

// Issuer formats the issuer like Subject.
func Issuer(cert *x509.Certificate) string { return dotnetDN(cert.RawIssuer) }

func dotnetDN(raw []byte) string {
	var seq pkix.RDNSequence
	if rest, err := asn1.Unmarshal(raw, &seq); err != nil || len(rest) > 0 {
		return ""
	}
	parts := make([]string, 0, len(seq))
	for i := len(seq) - 1; i >= 0; i-- {
		var avas []string
		for _, a := range seq[i] {
			name, ok := dnNames[a.Type.String()]
			if !ok {
				name = "OID." + a.Type.String()
			}
			avas = append(avas, name+"="+dnValue(fmt.Sprint(a.Value)))
		}
		parts = append(parts, strings.Join(avas, " + "))
	}
	return strings.Join(parts, ", ")
}

func dnValue(v string) string {
	if v == "" || strings.ContainsAny(v, ",+=\"\n<>#;") || strings.TrimSpace(v) != v {
		return `"` + strings.ReplaceAll(v, `"`, `""`) + `"`
	}
	return v
}

// CertificateStatus is MakePQX's certificate report (reference §6.4). It is
// informational: chain, trust and expiry problems never change the
// verification result.
type CertificateStatus struct {
	Issuer     string
	Thumbprint string
	Subject    string
	NotBefore  time.Time
	NotAfter   time.Time
	Valid      bool
	Parent     *CertificateStatus
	Status     string
}

// certificateStatus builds the report for cert, checking its chain against
// roots (the system pool when nil) at time now.
func certificateStatus(cert *x509.Certificate, roots *x509.CertPool, now time.Time) CertificateStatus {
	st := CertificateStatus{
		Issuer:     Issuer(cert),
		Thumbprint: Thumbprint(cert),
		Subject:    Subject(cert),
		NotBefore:  cert.NotBefore.UTC(),
		NotAfter:   cert.NotAfter.UTC(),
	}
	// Names follow .NET's X509ChainStatusFlags.
	var flags []string
	if now.Before(cert.NotBefore) || now.After(cert.NotAfter) {
		flags = append(flags, "NotTimeValid")
	}
	if roots == nil {
		roots = systemRoots()
	}
	opts := x509.VerifyOptions{
		Roots:       roots,
		CurrentTime: now,
		// Code signing and "any" both occur on connector certificates.
		KeyUsages: []x509.ExtKeyUsage{x509.ExtKeyUsageAny},
	}
	if len(flags) > 0 {
		// Judge trust as of the validity period, so that an expired
		// certificate reports NotTimeValid alone when its chain is good.
		opts.CurrentTime = cert.NotBefore.Add(cert.NotAfter.Sub(cert.NotBefore) / 2)
	}
	if _, err := cert.Verify(opts); err != nil {
		var ua x509.UnknownAuthorityError
		var ci x509.CertificateInvalidError
		switch {
		case errors.As(err, &ua) && isSelfSigned(cert):
			flags = append(flags, "UntrustedRoot")
		case errors.As(err, &ua):
			flags = append(flags, "PartialChain")
		case errors.As(err, &ci) && ci.Reason == x509.IncompatibleUsage:
			flags = append(flags, "NotValidForUsage")
		case errors.As(err, &ci) && ci.Reason == x509.Expired:
			flags = append(flags, "NotTimeValid")
		default:
			flags = append(flags, "InvalidBasicConstraints")
		}
	}
	if len(flags) == 0 {
		st.Valid = true
		st.Status = "NoError"
	} else {
		st.Status = strings.Join(flags, ", ")
	}
	return st
}

// isSelfSigned reports whether cert names itself as issuer. The status is
// informational, so the self-signature is not checked (it would cost a
// second RSA verification per signer).
func isSelfSigned(cert *x509.Certificate) bool {
	if string(cert.RawIssuer) != string(cert.RawSubject) {
		return false
	}
	return len(cert.AuthorityKeyId) == 0 || bytes.Equal(cert.AuthorityKeyId, cert.SubjectKeyId)
}

// systemRoots loads the system pool once: x509.SystemCertPool returns a
// fresh copy on every call.
var systemRoots = sync.OnceValue(func() *x509.CertPool {
	p, err := x509.SystemCertPool()
	if err != nil || p == nil {
		return x509.NewCertPool()
	}
	return p
})
