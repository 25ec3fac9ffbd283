package main

import (
	"bytes"
	"crypto/rand"
	"crypto/rsa"
	"crypto/x509"
	"crypto/x509/pkix"
	"encoding/pem"
	"math/big"
	"os"
	"os/exec"
	"path"
	"strings"
	"time"

	"github.com/rogpeppe/go-internal/testscript"
	"software.sslmate.com/src/go-pkcs12"

	"github.com/pqxdev/pqx/internal/archive"
)

// Script commands for the sign_*/verify_* scripts. Key material is made at
// run time in the script's work directory and never committed.
func init() {
	scriptCmds["gencert"] = scriptGenCert
	scriptCmds["mkpqx"] = scriptMkPQX
	scriptCmds["pqxedit"] = scriptPQXEdit
	scriptCmds["require"] = scriptRequire
}

// require TOOL... fails the script, with a clear message, when a program
// the script needs (openssl for --signer-cmd) is not installed. It never
// skips: .ci/run installs these tools.
func scriptRequire(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) == 0 {
		ts.Fatalf("usage: require TOOL...")
	}
	for _, tool := range args {
		if _, err := exec.LookPath(tool); err != nil {
			ts.Fatalf("%s is required by this script and was not found in PATH (Debian: apt-get install -y %s)", tool, tool)
		}
	}
}

// gencert NAME [CN] [PASSWORD] writes NAME.crt (PEM certificate), NAME.key
// (PEM PKCS#8 key), NAME.der and NAME.pfx (PKCS#12, encrypted with
// PASSWORD, default "test") for a self-signed RSA-2048 code-signing
// certificate.
func scriptGenCert(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 || len(args) > 3 {
		ts.Fatalf("usage: gencert NAME [CN] [PASSWORD]")
	}
	name, cn, pw := args[0], "pqx script signer", "test"
	if len(args) > 1 {
		cn = args[1]
	}
	if len(args) > 2 {
		pw = args[2]
	}
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	ts.Check(err)
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(time.Now().UnixNano()),
		Subject:               pkix.Name{CommonName: cn, Organization: []string{"pqx tests"}},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageCodeSigning},
		BasicConstraintsValid: true,
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	ts.Check(err)
	cert, err := x509.ParseCertificate(der)
	ts.Check(err)
	pk8, err := x509.MarshalPKCS8PrivateKey(key)
	ts.Check(err)
	pfx, err := pkcs12.Modern.Encode(key, cert, nil, pw)
	ts.Check(err)
	write := func(suffix string, data []byte) {
		ts.Check(os.WriteFile(ts.MkAbs(name+suffix), data, 0o600))
	}
	write(".crt", pem.EncodeToMemory(&pem.Block{Type: "CERTIFICATE", Bytes: der}))
	write(".key", pem.EncodeToMemory(&pem.Block{Type: "PRIVATE KEY", Bytes: pk8}))
	write(".der", der)
	write(".pfx", pfx)
}

// mkpqx OUT FILE... writes an unsigned .pqx of the given files (reference
// §3: deflated parts in argument order, then [Content_Types].xml).
func scriptMkPQX(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 2 {
		ts.Fatalf("usage: mkpqx OUT FILE...")
	}
	types := map[string]string{"pq": "application/x-ms-m", "pqm": "application/x-ms-m", "m": "application/x-ms-m", "resx": "text/xml", "png": "image/png", "json": "application/json"}
	var b bytes.Buffer
	zw := archive.NewWriter(&b)
	mod := time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC)
	ct := "\uFEFF<?xml version=\"1.0\" encoding=\"utf-8\"?><Types xmlns=\"http://schemas.openxmlformats.org/package/2006/content-types\">"
	var overrides string
	seen := map[string]bool{}
	for _, f := range args[1:] {
		data, err := os.ReadFile(ts.MkAbs(f))
		ts.Check(err)
		name := path.Base(f)
		ts.Check(zw.Add(archive.Header{Name: name, Method: archive.Deflate, CreatorVersion: 0x2D, ReaderVersion: 20, Modified: mod}, data))
		ext := ""
		if i := strings.LastIndexByte(name, '.'); i >= 0 {
			ext = name[i+1:]
		}
		t := types[strings.ToLower(ext)]
		if t == "" {
			t = "text/plain"
		}
		switch {
		case ext == "":
			overrides += `<Override PartName="/` + name + `" ContentType="` + t + `" />`
		case !seen[strings.ToLower(ext)]:
			seen[strings.ToLower(ext)] = true
			ct += `<Default Extension="` + ext + `" ContentType="` + t + `" />`
		}
	}
	ct += overrides + "</Types>"
	ts.Check(zw.Add(archive.Header{Name: "[Content_Types].xml", CreatorVersion: 0x2D, ReaderVersion: 10, Modified: mod}, []byte(ct)))
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o644))
}

// pqxedit FILE OP ARGS tampers with a package, for verify scripts:
//
//	pqxedit F flip ENTRY OFFSET   invert the byte at OFFSET of ENTRY
//	pqxedit F rm ENTRY            delete ENTRY (a prefix ending in "*" deletes all matches)
//	pqxedit F add ENTRY SRC       add ENTRY with the bytes of file SRC
//	pqxedit F replace ENTRY OLD NEW   replace text OLD by NEW in ENTRY
func scriptPQXEdit(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 3 {
		ts.Fatalf("usage: pqxedit FILE flip|rm|add|replace ARGS...")
	}
	file := ts.MkAbs(args[0])
	data, err := os.ReadFile(file)
	ts.Check(err)
	zr, err := archive.Read(bytes.NewReader(data), int64(len(data)), archive.Limits{})
	ts.Check(err)
	var out bytes.Buffer
	zw := archive.NewWriter(&out)
	op, target := args[1], args[2]
	matches := func(name string) bool {
		if p, ok := strings.CutSuffix(target, "*"); ok {
			return strings.HasPrefix(name, p)
		}
		return name == target
	}
	hit := false
	for _, e := range zr.Entries {
		b, err := e.ReadAll()
		ts.Check(err)
		if matches(e.Name) {
			hit = true
			switch op {
			case "rm":
				continue
			case "flip":
				if len(args) != 4 {
					ts.Fatalf("usage: pqxedit FILE flip ENTRY OFFSET")
				}
				var off int
				for _, ch := range args[3] {
					off = off*10 + int(ch-'0')
				}
				if off >= len(b) {
					ts.Fatalf("%s has %d bytes", e.Name, len(b))
				}
				b[off] ^= 0xFF
			case "replace":
				if len(args) != 5 {
					ts.Fatalf("usage: pqxedit FILE replace ENTRY OLD NEW")
				}
				if !bytes.Contains(b, []byte(args[3])) {
					ts.Fatalf("%s does not contain %q", e.Name, args[3])
				}
				b = bytes.ReplaceAll(b, []byte(args[3]), []byte(args[4]))
			}
		}
		ts.Check(zw.Add(archive.Header{Name: e.Name, Method: e.Method, CreatorVersion: 0x2D, ReaderVersion: 20, Modified: e.Modified}, b))
	}
	if op == "add" {
		if len(args) != 4 {
			ts.Fatalf("usage: pqxedit FILE add ENTRY SRC")
		}
		src, err := os.ReadFile(ts.MkAbs(args[3]))
		ts.Check(err)
		ts.Check(zw.Add(archive.Header{Name: target, CreatorVersion: 0x2D, ReaderVersion: 10, Modified: time.Now()}, src))
	} else if !hit {
		ts.Fatalf("no entry %s in %s", target, args[0])
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(file, out.Bytes(), 0o644))
}
