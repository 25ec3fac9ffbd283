package sign

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"math/big"
	"os/exec"
	"sync"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/opc"
)

// Test keys are generated once per test binary and index, on first use:
// RSA key generation is the slow part of these tests.
var (
	keysMu sync.Mutex
	keys   = map[int]*rsa.PrivateKey{}
)

func testKey(t testing.TB, i int) *rsa.PrivateKey {
	t.Helper()
	keysMu.Lock()
	defer keysMu.Unlock()
	if k := keys[i]; k != nil {
		return k
	}
	k, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	keys[i] = k
	return k
}

// testCert returns a self-signed code-signing certificate for key i.
func testCert(t testing.TB, i int, cn string) (*x509.Certificate, *rsa.PrivateKey) {
	t.Helper()
	key := testKey(t, i)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(int64(1000 + i)),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"pqx tests"}, Country: []string{"NO"}},
		NotBefore:             time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC),
		NotAfter:              time.Date(2044, 1, 1, 0, 0, 0, 0, time.UTC),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		t.Fatal(err)
	}
	cert, err := x509.ParseCertificate(der)
	if err != nil {
		t.Fatal(err)
	}
	return cert, key
}

func testSigner(t testing.TB, i int) Signer {
	t.Helper()
	cert, key := testCert(t, i, "pqx test signer "+string(rune('A'+i)))
	s, err := NewSigner(cert, key)
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type file struct {
	name string
	data []byte
}

// sampleFiles is a small connector in .mez order.
func sampleFiles() []file {
	return []file{
		{"Contoso.pq", []byte("section Contoso;\r\n[DataSource.Kind=\"Contoso\", Publish=\"Contoso.Publish\"]\r\nshared Contoso.Contents = () => \"hello\";\r\n")},
		{"Contoso16.png", bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 1, 2, 3}, 20)},
		{"Contoso32.png", bytes.Repeat([]byte{0x89, 'P', 'N', 'G', 4, 5, 6}, 30)},
		{"LICENSE", []byte("test only\n")},
		{"resources.resx", []byte("<?xml version=\"1.0\" encoding=\"utf-8\"?><root><data name=\"x\"><value>y</value></data></root>")},
	}
}

var contentTypeOf = map[string]string{"pq": "application/x-ms-m", "png": "image/png", "resx": "text/xml", "m": "application/x-ms-m", "json": "application/json"}

// unsignedPQX builds an unsigned .pqx per reference §3 with the archive
// writer, independent of internal/opc: deflated parts in the given order,
// then [Content_Types].xml with Defaults in first-seen order.
func unsignedPQX(t testing.TB, files []file) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := archive.NewWriter(&b)
	mod := time.Date(2025, 6, 1, 12, 0, 0, 0, time.UTC)
	var defaults, overrides []string
	seen := map[string]bool{}
	for _, f := range files {
		if err := zw.Add(header(f.name, archive.Deflate, mod), f.data); err != nil {
			t.Fatal(err)
		}
		ext := opc.Extension("/" + f.name)
		ct := contentTypeOf[ext]
		if ct == "" {
			ct = "text/plain"
		}
		switch {
		case ext == "":
			overrides = append(overrides, `<Override PartName="/`+f.name+`" ContentType="`+ct+`" />`)
		case !seen[ext]:
			seen[ext] = true
			defaults = append(defaults, `<Default Extension="`+ext+`" ContentType="`+ct+`" />`)
		}
	}
	ct := xmlHeader + `<Types xmlns="` + nsContentTypes + `">`
	for _, d := range defaults {
		ct += d
	}
	for _, o := range overrides {
		ct += o
	}
	ct += `</Types>`
	if err := zw.Add(header(contentTypesName, archive.Store, mod), []byte(ct)); err != nil {
		t.Fatal(err)
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// entries returns the entries of a zip and their uncompressed data.
func entries(t testing.TB, data []byte) ([]*archive.Entry, map[string][]byte) {
	t.Helper()
	zr, err := archive.Read(bytes.NewReader(data), int64(len(data)), archive.Limits{})
	if err != nil {
		t.Fatal(err)
	}
	m := map[string][]byte{}
	for _, e := range zr.Entries {
		b, err := e.ReadAll()
		if err != nil {
			t.Fatal(err)
		}
		m[e.Name] = b
	}
	return zr.Entries, m
}

// rewrite rebuilds a zip: edit returns the new data for each entry and
// whether to keep it; extra entries are appended. Entries are stored, which
// does not matter to signatures.
func rewrite(t testing.TB, data []byte, edit func(name string, b []byte) ([]byte, bool), extra ...file) []byte {
	t.Helper()
	ents, m := entries(t, data)
	var out bytes.Buffer
	zw := archive.NewWriter(&out)
	for _, e := range ents {
		b, keep := m[e.Name], true
		if edit != nil {
			b, keep = edit(e.Name, b)
		}
		if !keep {
			continue
		}
		if err := zw.Add(header(e.Name, archive.Store, e.Modified), b); err != nil {
			t.Fatal(err)
		}
	}
	for _, f := range extra {
		if err := zw.Add(header(f.name, archive.Store, time.Now()), f.data); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return out.Bytes()
}

// needTool returns the path of an external program the independent checks
// use, failing (never skipping) when it is missing: .ci/run installs it.
func needTool(t testing.TB, name string) string {
	t.Helper()
	p, err := exec.LookPath(name)
	if err != nil {
		t.Fatalf("%s is required for this test and was not found in PATH; install it (Debian: apt-get install -y xmlsec1 openssl)", name)
	}
	return p
}

var fixedTime = time.Date(2025, 7, 1, 10, 30, 15, 0, time.FixedZone("", 2*3600))
