package sign

import (
	"bytes"
	"context"
	"crypto"
	"crypto/rsa"
	"crypto/sha1"
	"crypto/x509"
	"encoding/base64"
	"encoding/hex"
	"encoding/pem"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"

	"software.sslmate.com/src/go-pkcs12"
)

// Signer produces RSA PKCS#1 v1.5 signatures for one X.509 certificate.
// Sign receives the SignedInfo digest and the hash in opts, as
// crypto.Signer specifies, so any crypto.Signer (a PKCS#11 or cloud KMS
// key included) can sign packages through NewSigner.
type Signer interface {
	crypto.Signer
	// Certificate returns the signer's leaf certificate, embedded in the
	// signature's KeyInfo.
	Certificate() *x509.Certificate
}

type keySigner struct {
	crypto.Signer
	cert *x509.Certificate
}

func (s keySigner) Certificate() *x509.Certificate { return s.cert }

// NewSigner pairs a certificate with the key that signs for it. The
// certificate must hold an RSA public key (OPC signatures as Power BI reads
// them are RSA) and, when key exposes its public key, it must match.
func NewSigner(cert *x509.Certificate, key crypto.Signer) (Signer, error) {
	pub, ok := cert.PublicKey.(*rsa.PublicKey)
	if !ok {
		return nil, fmt.Errorf("certificate %s: public key is %T, want RSA", Subject(cert), cert.PublicKey)
	}
	if kp, ok := key.Public().(*rsa.PublicKey); ok && !kp.Equal(pub) {
		return nil, fmt.Errorf("private key does not match certificate %s", Subject(cert))
	} else if !ok && key.Public() != nil {
		return nil, fmt.Errorf("private key is %T, want RSA", key.Public())
	}
	return keySigner{key, cert}, nil
}

// LoadPFX reads a PKCS#12 file holding the signer's certificate and
// private key.
func LoadPFX(data []byte, password string) (Signer, error) {
	key, cert, _, err := pkcs12.DecodeChain(data, password)
	if err != nil {
		if errors.Is(err, pkcs12.ErrIncorrectPassword) {
			return nil, fmt.Errorf("wrong password for the PFX file")
		}
		return nil, fmt.Errorf("reading PFX: %v", err)
	}
	k, ok := key.(crypto.Signer)
	if !ok {
		return nil, fmt.Errorf("PFX private key of type %T cannot sign", key)
	}
	return NewSigner(cert, k)
}

// LoadPEM reads a certificate and a private key (PKCS#1 or PKCS#8,
// unencrypted) from PEM data. certPEM may hold the key too, in which case
// keyPEM may be nil.
func LoadPEM(certPEM, keyPEM []byte) (Signer, error) {
	cert, err := ParseCertificate(certPEM)
	if err != nil {
		return nil, err
	}
	if keyPEM == nil {
		keyPEM = certPEM
	}
	key, err := parsePrivateKey(keyPEM)
	if err != nil {
		return nil, err
	}
	return NewSigner(cert, key)
}

func parsePrivateKey(data []byte) (crypto.Signer, error) {
	for {
		var blk *pem.Block
		blk, data = pem.Decode(data)
		if blk == nil {
			return nil, fmt.Errorf("no PEM private key found")
		}
		switch blk.Type {
		case "RSA PRIVATE KEY":
			return x509.ParsePKCS1PrivateKey(blk.Bytes)
		case "PRIVATE KEY":
			k, err := x509.ParsePKCS8PrivateKey(blk.Bytes)
			if err != nil {
				return nil, err
			}
			s, ok := k.(crypto.Signer)
			if !ok {
				return nil, fmt.Errorf("private key of type %T cannot sign", k)
			}
			return s, nil
		case "ENCRYPTED PRIVATE KEY":
			return nil, fmt.Errorf("encrypted PEM private keys are not supported; use a PFX file or decrypt the key (openssl pkey)")
		}
	}
}

// ParseCertificate reads the first certificate of PEM data, or DER data.
func ParseCertificate(data []byte) (*x509.Certificate, error) {
	rest := data
	for {
		var blk *pem.Block
		blk, rest = pem.Decode(rest)
		if blk == nil {
			break
		}
		if blk.Type == "CERTIFICATE" {
			return x509.ParseCertificate(blk.Bytes)
		}
	}
	if bytes.Contains(data, []byte("-----BEGIN")) {
		return nil, fmt.Errorf("no PEM CERTIFICATE block found")
	}
	cert, err := x509.ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("not a PEM or DER certificate: %v", err)
	}
	return cert, nil
}

// Thumbprint returns the certificate's SHA-1 thumbprint as Windows shows
// it: 40 upper-case hex digits.
func Thumbprint(cert *x509.Certificate) string {
	sum := sha1.Sum(cert.Raw)
	return strings.ToUpper(hex.EncodeToString(sum[:]))
}

// CommandSigner signs by running an external program, for keys that never
// leave an HSM or a cloud KMS. See NewCommandSigner.
type CommandSigner struct {
	cert    *x509.Certificate
	command string
	// Timeout bounds one run of the command; zero means two minutes.
	Timeout time.Duration
}

// NewCommandSigner returns a Signer that runs command through the shell
// (sh -c, or cmd /C on Windows) once per signature. The command gets the
// raw SignedInfo digest on stdin and the environment variables
// PQX_DIGEST (sha1, sha256, sha384 or sha512), PQX_DIGEST_HEX and
// PQX_THUMBPRINT; it must write the RSA PKCS#1 v1.5 signature to stdout,
// raw or base64. For example, with a local key for testing:
//
//	openssl pkeyutl -sign -inkey key.pem -pkeyopt digest:$PQX_DIGEST
//
// Every signature is checked against cert before use, so a wrong key or
// digest is an error, never a bad package.
func NewCommandSigner(cert *x509.Certificate, command string) (*CommandSigner, error) {
	if _, ok := cert.PublicKey.(*rsa.PublicKey); !ok {
		return nil, fmt.Errorf("certificate %s: public key is %T, want RSA", Subject(cert), cert.PublicKey)
	}
	if strings.TrimSpace(command) == "" {
		return nil, fmt.Errorf("empty signer command")
	}
	return &CommandSigner{cert: cert, command: command}, nil
}

// Certificate returns the signer's certificate.
func (s *CommandSigner) Certificate() *x509.Certificate { return s.cert }

// Public returns the certificate's public key.
func (s *CommandSigner) Public() crypto.PublicKey { return s.cert.PublicKey }

// Sign runs the command with digest on stdin.
func (s *CommandSigner) Sign(_ io.Reader, digest []byte, opts crypto.SignerOpts) ([]byte, error) {
	h := opts.HashFunc()
	timeout := s.Timeout
	if timeout == 0 {
		timeout = 2 * time.Minute
	}
	ctx, cancel := context.WithTimeout(context.Background(), timeout)
	defer cancel()
	var cmd *exec.Cmd
	if runtime.GOOS == "windows" {
		cmd = exec.CommandContext(ctx, "cmd", "/C", s.command)
	} else {
		cmd = exec.CommandContext(ctx, "sh", "-c", s.command)
	}
	cmd.Env = append(os.Environ(),
		"PQX_DIGEST="+DigestName(h),
		"PQX_DIGEST_HEX="+hex.EncodeToString(digest),
		"PQX_THUMBPRINT="+Thumbprint(s.cert))
	cmd.Stdin = bytes.NewReader(digest)
	var stdout, stderr bytes.Buffer
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	if err := cmd.Run(); err != nil {
		msg := strings.TrimSpace(stderr.String())
		if ctx.Err() != nil {
			err = fmt.Errorf("timed out after %v", timeout)
		}
		if msg != "" {
			return nil, fmt.Errorf("signer command: %v: %s", err, msg)
		}
		return nil, fmt.Errorf("signer command: %v", err)
	}
	pub := s.cert.PublicKey.(*rsa.PublicKey)
	sig := stdout.Bytes()
	if len(sig) != pub.Size() {
		// Many KMS command-line tools print base64.
		if dec, err := base64.StdEncoding.DecodeString(strings.TrimSpace(string(sig))); err == nil && len(dec) == pub.Size() {
			sig = dec
		} else {
			return nil, fmt.Errorf("signer command wrote %d bytes, want a %d-byte RSA signature (raw or base64)", len(stdout.Bytes()), pub.Size())
		}
	}
	if err := rsa.VerifyPKCS1v15(pub, h, digest, sig); err != nil {
		return nil, fmt.Errorf("signer command: the signature does not verify with certificate %s (wrong key, or not PKCS#1 v1.5 over a %s digest)", Thumbprint(s.cert), DigestName(h))
	}
	return sig, nil
}

// KeyOptions names where a signer's key comes from, as the command-line
// flags do. Exactly one of PFX, KeyPEM (with CertPEM) or Command (with
// CertPEM) must be set; CertPEM alone works when it also holds the key.
type KeyOptions struct {
	PFX          string // PKCS#12 file
	Password     string // PFX password given directly (MakePQX's -p)
	PasswordEnv  string // name of an environment variable holding the PFX password
	PasswordFile string // file whose first line is the PFX password
	CertPEM      string // certificate, PEM or DER
	KeyPEM       string // private key, PEM
	Command      string // external signer command (see NewCommandSigner)
}

// Signer loads the signer the options describe.
func (o KeyOptions) Signer() (Signer, error) {
	n := 0
	for _, set := range []bool{o.PFX != "", o.KeyPEM != "" || (o.CertPEM != "" && o.Command == ""), o.Command != ""} {
		if set {
			n++
		}
	}
	switch {
	case n == 0:
		return nil, fmt.Errorf("no signing key: give a PFX (--cert), a PEM certificate and key (--cert-pem, --key-pem) or a signer command (--signer-cmd with --cert-pem)")
	case n > 1:
		return nil, fmt.Errorf("give only one key source: --cert, --key-pem or --signer-cmd")
	}
	switch {
	case o.PFX != "":
		data, err := os.ReadFile(o.PFX)
		if err != nil {
			return nil, err
		}
		pw, err := o.password()
		if err != nil {
			return nil, err
		}
		s, err := LoadPFX(data, pw)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", o.PFX, err)
		}
		return s, nil
	case o.Command != "":
		if o.CertPEM == "" {
			return nil, fmt.Errorf("--signer-cmd needs the signer's certificate (--cert-pem)")
		}
		cert, err := readCert(o.CertPEM)
		if err != nil {
			return nil, err
		}
		return NewCommandSigner(cert, o.Command)
	default:
		if o.CertPEM == "" {
			return nil, fmt.Errorf("--key-pem needs the certificate (--cert-pem)")
		}
		certData, err := os.ReadFile(o.CertPEM)
		if err != nil {
			return nil, err
		}
		var keyData []byte
		if o.KeyPEM != "" {
			if keyData, err = os.ReadFile(o.KeyPEM); err != nil {
				return nil, err
			}
		}
		s, err := LoadPEM(certData, keyData)
		if err != nil {
			return nil, fmt.Errorf("%s: %v", firstNonEmpty(o.KeyPEM, o.CertPEM), err)
		}
		return s, nil
	}
}

func readCert(name string) (*x509.Certificate, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	cert, err := ParseCertificate(data)
	if err != nil {
		return nil, fmt.Errorf("%s: %v", name, err)
	}
	return cert, nil
}

// password resolves the PFX password. Environment and file sources keep the
// secret out of process listings.
func (o KeyOptions) password() (string, error) {
	switch {
	case o.PasswordEnv != "":
		v, ok := os.LookupEnv(o.PasswordEnv)
		if !ok {
			return "", fmt.Errorf("--password-env: environment variable %s is not set", o.PasswordEnv)
		}
		return v, nil
	case o.PasswordFile != "":
		data, err := os.ReadFile(o.PasswordFile)
		if err != nil {
			return "", err
		}
		line, _, _ := strings.Cut(string(data), "\n")
		return strings.TrimSuffix(line, "\r"), nil
	}
	return o.Password, nil
}

func firstNonEmpty(s ...string) string {
	for _, x := range s {
		if x != "" {
			return x
		}
	}
	return ""
}
