package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/sign"
)

func init() {
	register(&cli.Command{
		Name:      "thumbprint",
		Usage:     "print the SHA-1 thumbprint of a certificate, a PFX, or the signers of a .pqx",
		ArgsUsage: "CERT|PFX|PQX...",
		Description: `Prints one thumbprint per line: 40 upper-case hex digits, the SHA-1 of the
certificate's DER as Windows shows it and as Power BI Desktop's
TrustedCertificateThumbprints policy lists it. CERT is PEM or DER; a PFX
needs its password from --password-env or --password-file; for a .pqx every
signer (signature and countersignatures) is printed. --long adds the subject
and the file; --json prints File, Thumbprint, Subject, Issuer, NotBefore and
NotAfter.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "password-env", Usage: "read the PFX password from environment variable `VAR`"},
			&cli.StringFlag{Name: "password-file", Usage: "read the PFX password from the first line of `FILE`", TakesFile: true},
			&cli.BoolFlag{Name: "long", Aliases: []string{"l"}, Usage: "also print the subject and the file"},
			&cli.BoolFlag{Name: "json", Usage: "write JSON to stdout"},
		},
		Action: runThumbprint,
	})
}

type certInfo struct {
	File       string
	Thumbprint string
	Subject    string
	Issuer     string
	NotBefore  string
	NotAfter   string
}

func runThumbprint(c *cli.Context) error {
	c, args, err := interspersed(c)
	if err != nil {
		return err
	}
	o := outputOf(c)
	if len(args) == 0 {
		return usagef("thumbprint: missing file argument")
	}
	infos, err := certInfos(c, args)
	if err != nil {
		return err
	}
	if o.json {
		return o.writeJSON(infos)
	}
	for _, i := range infos {
		if c.Bool("long") {
			o.printf("%s  %s  %s\n", i.Thumbprint, i.Subject, i.File)
		} else {
			o.printf("%s\n", i.Thumbprint)
		}
	}
	return nil
}

// certInfos reads the certificates of each file (see sign.CertificatesIn).
func certInfos(c *cli.Context, files []string) ([]certInfo, error) {
	pw := ""
	switch {
	case c.String("password-env") != "":
		v, ok := os.LookupEnv(c.String("password-env"))
		if !ok {
			return nil, usagef("--password-env: environment variable %s is not set", c.String("password-env"))
		}
		pw = v
	case c.String("password-file") != "":
		data, err := os.ReadFile(c.String("password-file"))
		if err != nil {
			return nil, usagef("--password-file: %v", err)
		}
		pw = firstLine(string(data))
	}
	var out []certInfo
	for _, f := range files {
		data, err := os.ReadFile(f)
		if err != nil {
			return nil, usagef("%v", err)
		}
		certs, err := sign.CertificatesIn(data, pw)
		if err != nil {
			return nil, failf("%s: %v", f, err)
		}
		for _, cert := range certs {
			out = append(out, certInfo{
				File:       f,
				Thumbprint: sign.Thumbprint(cert),
				Subject:    sign.Subject(cert),
				Issuer:     sign.Issuer(cert),
				NotBefore:  cert.NotBefore.UTC().Format("2006-01-02T15:04:05Z"),
				NotAfter:   cert.NotAfter.UTC().Format("2006-01-02T15:04:05Z"),
			})
		}
	}
	return out, nil
}

func firstLine(s string) string {
	for i := 0; i < len(s); i++ {
		if s[i] == '\n' {
			s = s[:i]
			break
		}
	}
	if n := len(s); n > 0 && s[n-1] == '\r' {
		s = s[:n-1]
	}
	return s
}
