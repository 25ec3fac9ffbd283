package main

import (
	"fmt"
	"os"
	"runtime"
	"strings"

	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"

	"github.com/pqxdev/pqx/internal/sign"
)

func init() {
	register(&cli.Command{
		Name:      "verify",
		Usage:     "verify the signatures of .pqx files (exit code = MakePQX's VerifyResult)",
		ArgsUsage: "FILE|GLOB...",
		Description: `Checks every signature of each package as MakePQX "verify" (WindowsBase's
PackageDigitalSignatureManager) does: signatures are found through the origin
relationship (origin.psdsor and origin.psdor both occur), every signed part
must exist with the signed content type and digest (SHA-1, SHA-256, SHA-384 or
SHA-512), and the signature value must verify with the embedded certificate.
pqx also fails a package holding a part that no signature covers, which
MakePQX would accept.

Exit codes are MakePQX's VerifyResult:
  0 Success  1 InvalidSignature  2 CertificateRequired  3 InvalidCertificate
  4 ReferenceNotFound  5 NotSigned
With several files the exit code is that of the first file that did not
verify. A file that is not a readable package exits 1; a usage error also
exits 2 (MakePQX uses -2 for those).

Certificate chain, trust and expiry problems are reported (CertificateStatus)
but never change the result, as in MakePQX; Power BI Desktop trusts a signer
by thumbprint. For CI policy, --trust/--trust-file make a package that no
listed thumbprint signed fail with 3 InvalidCertificate.

--json writes MakePQX's JSON ({"SignatureStatus", "CertificateStatus"}) plus
pqx's "Signatures", "Parts" (every part with Signed, Changed, Missing,
ContentTypeChanged or Unsigned) and "Problems"; one object for one file, an
array for several. -q/--quiet prints nothing (MakePQX's -q).`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "trust", Usage: "accepted signer `THUMBPRINT` (SHA-1 hex; repeatable, comma-separated)"},
			&cli.StringFlag{Name: "trust-file", Usage: "`FILE` of accepted thumbprints, one per line (# comments)", TakesFile: true},
			&cli.BoolFlag{Name: "json", Usage: "write MakePQX's JSON result plus per-part details to stdout"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print nothing; only the exit code tells"},
		},
		Action: runVerify,
	})
}

func runVerify(c *cli.Context) error {
	c, args, err := interspersed(c)
	if err != nil {
		return err
	}
	o := outputOf(c)
	if len(args) == 0 {
		return usagef("verify: missing file argument (pqx verify [flags] FILE|GLOB...)")
	}
	files, err := expandFiles(args)
	if err != nil {
		return usagef("%v", err)
	}
	trust, err := trustList(c.StringSlice("trust"), c.String("trust-file"))
	if err != nil {
		return err
	}

	// Verify in parallel, report in argument order.
	reps := make([]*sign.Report, len(files))
	errs := make([]error, len(files))
	var g errgroup.Group
	g.SetLimit(runtime.GOMAXPROCS(0))
	for i, f := range files {
		g.Go(func() error {
			reps[i], errs[i] = verifyFile(f, trust)
			return nil
		})
	}
	g.Wait()

	code := 0
	var reports []*sign.Report
	for i, f := range files {
		rep, err := reps[i], errs[i]
		if err != nil {
			// Not a package at all: report it like an invalid signature.
			if !o.quiet {
				fmt.Fprintf(o.stderr, "pqx: %s: %v\n", f, err)
			}
			rep = &sign.Report{File: f, SignatureStatus: sign.InvalidSignature, CertificateStatus: []sign.CertificateStatus{}, Problems: []string{err.Error()}}
		} else {
			printReport(o, rep)
		}
		if code == 0 && rep.SignatureStatus != sign.Success {
			code = int(rep.SignatureStatus)
		}
		reports = append(reports, rep)
	}
	if o.json && !o.quiet {
		var v any = reports
		if len(reports) == 1 {
			v = reports[0]
		}
		if err := o.writeJSON(v); err != nil {
			return err
		}
	}
	if code != 0 {
		return cli.Exit("", code)
	}
	return nil
}

func verifyFile(name string, trust []string) (*sign.Report, error) {
	data, err := os.ReadFile(name)
	if err != nil {
		return nil, err
	}
	rep, err := sign.Verify(data, sign.VerifyOptions{Trust: trust})
	if err != nil {
		return nil, err
	}
	rep.File = name
	return rep, nil
}

// trustList merges --trust values and --trust-file lines, checking each.
func trustList(flags []string, file string) ([]string, error) {
	var out []string
	add := func(where, s string) error {
		t, ok := sign.NormalizeThumbprint(s)
		if !ok {
			return usagef("%s: %q is not a SHA-1 thumbprint (40 hex digits)", where, s)
		}
		out = append(out, t)
		return nil
	}
	for _, s := range flags {
		if err := add("--trust", s); err != nil {
			return nil, err
		}
	}
	if file != "" {
		data, err := os.ReadFile(file)
		if err != nil {
			return nil, usagef("--trust-file: %v", err)
		}
		for i, line := range strings.Split(string(data), "\n") {
			line, _, _ = strings.Cut(line, "#")
			line = strings.TrimSpace(line)
			if line == "" {
				continue
			}
			if err := add(fmt.Sprintf("%s:%d", file, i+1), line); err != nil {
				return nil, err
			}
		}
		if len(out) == 0 {
			return nil, usagef("--trust-file %s lists no thumbprints", file)
		}
	}
	return out, nil
}

// printReport writes the human summary of one file.
func printReport(o output, rep *sign.Report) {
	if o.quiet || o.json {
		return
	}
	o.printf("%s: %s\n", rep.File, rep.SignatureStatus)
	for i, s := range rep.Signatures {
		kind := "signature"
		if i > 0 {
			kind = "countersignature"
		}
		o.printf("  %s %s: %s\n", kind, s.Part, s.Status)
		if s.Thumbprint != "" {
			trusted := ""
			if s.Trusted != nil {
				trusted = ", not in the trust list"
				if *s.Trusted {
					trusted = ", trusted"
				}
			}
			o.printf("    signer %s, thumbprint %s%s\n", s.Subject, s.Thumbprint, trusted)
		}
		if s.DigestMethod != "" || s.SigningTime != "" {
			o.printf("    %s/%s, signed %s\n", s.DigestMethod, s.SignatureMethod, s.SigningTime)
		}
	}
	for _, cs := range rep.CertificateStatus {
		if !cs.Valid {
			o.printf("  certificate %s: %s (informational; the result does not depend on it)\n", cs.Thumbprint, cs.Status)
		}
	}
	for _, p := range rep.Parts {
		switch p.Status {
		case sign.PartChanged, sign.PartMissing, sign.PartContentTypeChanged, sign.PartUnsigned:
			o.printf("  %s: %s\n", p.Part, p.Status)
		}
	}
	for _, p := range rep.Problems {
		o.printf("  problem: %s\n", p)
	}
}
