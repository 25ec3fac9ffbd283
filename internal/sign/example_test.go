package sign_test

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"fmt"
	"math/big"
	"time"

	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/sign"
)

// Sign an unsigned .pqx with a key held in memory (any crypto.Signer, such
// as a PKCS#11 or cloud KMS client, works the same way), then verify it.
func Example() {
	key, _ := rsa.GenerateKey(rand.Reader, 2048)
	tmpl := &x509.Certificate{
		SerialNumber: big.NewInt(1),
		Subject:      pkix.Name{CommonName: "Contoso Connectors"},
		NotBefore:    time.Now().Add(-time.Hour),
		NotAfter:     time.Now().Add(time.Hour),
	}
	der, _ := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	cert, _ := x509.ParseCertificate(der)
	signer, err := sign.NewSigner(cert, key)
	if err != nil {
		fmt.Println(err)
		return
	}

	// An unsigned .pqx as "pqx pack" makes it.
	var buf bytes.Buffer
	files := []mez.File{
		{Name: "Hello.pq", Data: []byte("section Hello;\n[DataSource.Kind=\"Hello\"]\nshared Hello.Contents = () => \"hi\";\n")},
		{Name: "resources.resx", Data: []byte("<root/>")},
	}
	if err := opc.WritePackage(&buf, files, opc.Options{}); err != nil {
		fmt.Println(err)
		return
	}
	unsigned := buf.Bytes()
	opt, _ := sign.FromEnvironment() // SOURCE_DATE_EPOCH makes the output reproducible
	signed, err := sign.Package(unsigned, signer, opt)
	if err != nil {
		fmt.Println(err)
		return
	}

	rep, err := sign.Verify(signed, sign.VerifyOptions{Trust: []string{sign.Thumbprint(cert)}})
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(rep.SignatureStatus, *rep.Trusted, rep.CertificateStatus[0].Subject)
	for _, p := range rep.Parts {
		if p.Status != sign.PartSignature { // its name is a random GUID
			fmt.Println(p.Part, p.Status)
		}
	}
	// Output:
	// Success true CN=Contoso Connectors
	// /Hello.pq Signed
	// /resources.resx Signed
	// /package/services/digital-signature/origin.psdsor Origin
	// /_rels/.rels Relationships
	// /package/services/digital-signature/_rels/origin.psdsor.rels Relationships
}
