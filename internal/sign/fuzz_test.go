package sign

import (
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"testing"
	"time"
)

// FuzzVerify feeds arbitrary bytes, seeded with signed packages, to Verify
// and to signer discovery: they must return a report or an error, never
// panic. Run with a bound, e.g. go test -fuzz FuzzVerify -fuzztime 60s.
func FuzzVerify(f *testing.F) {
	// A 1024-bit key keeps the setup of every fuzz worker quick; the key
	// size does not matter to the parsing paths fuzzed here.
	key, err := rsa.GenerateKey(rand.Reader, 1024)
	if err != nil {
		f.Fatal(err)
	}
	tmpl := &x509.Certificate{SerialNumber: big.NewInt(1), Subject: pkix.Name{CommonName: "fuzz"},
		NotBefore: time.Unix(0, 0), NotAfter: time.Unix(1<<32, 0)}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		f.Fatal(err)
	}
	cert, _ := x509.ParseCertificate(der)
	s, err := NewSigner(cert, key)
	if err != nil {
		f.Fatal(err)
	}
	pqx := unsignedPQX(f, sampleFiles())
	signed := mustSign(f, pqx, s, Options{})
	f.Add(pqx)
	f.Add(signed)
	f.Add(mustSign(f, signed, s, Options{}))
	f.Fuzz(func(t *testing.T, data []byte) {
		rep, err := Verify(data, VerifyOptions{})
		if err == nil && rep == nil {
			t.Fatal("nil report without error")
		}
		CertificatesIn(data, "")
	})
}
