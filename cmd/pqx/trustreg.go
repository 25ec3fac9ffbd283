package main

import (
	"os"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/sign"
)

func init() {
	register(&cli.Command{
		Name:      "trust-reg",
		Usage:     "write a .reg file that makes Power BI Desktop trust .pqx files signed by given certificates",
		ArgsUsage: "THUMBPRINT|CERT|PFX|PQX...",
		Description: `Writes the TrustedCertificateThumbprints policy value (REG_MULTI_SZ) under
HKEY_LOCAL_MACHINE\Software\Policies\Microsoft\Power BI Desktop. Power BI
Desktop loads a signed .pqx at the Recommended security level when its
signer's thumbprint is listed. Arguments are thumbprints (40 hex digits;
spaces and colons are ignored) or files whose certificates are used, as
"pqx thumbprint" reads them.

Importing the file (regedit /s file.reg, as administrator) replaces the
whole value, so list every thumbprint to keep. With -o the file is UTF-16LE
with BOM and CRLF, as regedit exports; without -o the text goes to stdout as
UTF-8. --encoding overrides either.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the .reg to `FILE` (atomically) instead of stdout", TakesFile: true},
			&cli.StringFlag{Name: "encoding", Usage: "utf-16 (regedit's) or utf-8", DefaultText: "utf-16 with -o, utf-8 on stdout"},
			&cli.StringFlag{Name: "password-env", Usage: "PFX password from environment variable `VAR` (for PFX arguments)"},
			&cli.StringFlag{Name: "password-file", Usage: "PFX password from the first line of `FILE`", TakesFile: true},
		},
		Action: runTrustReg,
	})
}

func runTrustReg(c *cli.Context) error {
	c, args, err := interspersed(c)
	if err != nil {
		return err
	}
	o := outputOf(c)
	if len(args) == 0 {
		return usagef("trust-reg: give at least one thumbprint or certificate file")
	}
	var utf16 bool
	enc := c.String("encoding")
	if enc == "" {
		enc = "utf-8"
		if c.String("out") != "" {
			enc = "utf-16"
		}
	}
	switch enc {
	case "utf-16", "utf16", "utf-16le":
		utf16 = true
	case "utf-8", "utf8":
	default:
		return usagef("--encoding: want utf-16 or utf-8, got %q", enc)
	}
	var thumbs []string
	seen := map[string]bool{}
	for _, a := range args {
		var found []string
		if t, ok := sign.NormalizeThumbprint(a); ok {
			found = []string{t}
		} else if _, err := os.Stat(a); err == nil {
			infos, err := certInfos(c, []string{a})
			if err != nil {
				return err
			}
			for _, i := range infos {
				found = append(found, i.Thumbprint)
			}
		} else {
			return usagef("%q is neither a thumbprint (40 hex digits) nor a file", a)
		}
		for _, t := range found {
			if !seen[t] {
				seen[t] = true
				thumbs = append(thumbs, t)
			}
		}
	}
	data := sign.TrustRegistryFile(thumbs, utf16)
	out := c.String("out")
	if out == "" {
		_, err := o.stdout.Write(data)
		return err
	}
	if err := atomicfile.WriteFile(out, data, 0o644); err != nil {
		return failf("%v", err)
	}
	o.printf("wrote %s: %d thumbprint(s) for %s\n", out, len(thumbs), sign.TrustRegistryValue)
	return nil
}
