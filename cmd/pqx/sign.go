package main

import (
	"bytes"
	"crypto/rsa"
	"crypto/x509"
	"flag"
	"fmt"
	"os"
	"runtime"
	"sort"
	"strconv"
	"strings"
	"sync"
	"time"

	"github.com/bmatcuk/doublestar/v4"
	"github.com/urfave/cli/v2"
	"golang.org/x/sync/errgroup"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/sign"
)

func init() {
	register(&cli.Command{
		Name:      "sign",
		Usage:     "sign .pqx files with an OPC XML digital signature (countersigning or replacing existing ones)",
		ArgsUsage: "FILE|GLOB...",
		Description: `Signs each .pqx in place (atomically) with the given key, the way MakePQX
"sign" does: the signature covers every part of the package, uses SHA-256 and
rsa-sha256 unless --digest says otherwise, and embeds the signer certificate.
A package that is already signed is countersigned (MakePQX's default); use
--replace to drop the existing signatures first. Many files, and doublestar
globs such as 'dist/**/*.pqx', are signed in parallel.

Key sources (exactly one):
  --cert FILE.pfx       PKCS#12 with the private key; the password comes from
                        --password-env VAR or --password-file FILE
  --cert-pem F --key-pem K
                        PEM certificate and unencrypted PEM key (PKCS#1/#8)
  --cert-pem F --signer-cmd CMD
                        external signer for HSM or cloud KMS keys: CMD runs via
                        the shell, reads the SignedInfo digest on stdin
                        (PQX_DIGEST names the hash) and writes the raw or base64
                        PKCS#1 v1.5 signature, e.g.
                        'openssl pkeyutl -sign -inkey key.pem -pkeyopt digest:$PQX_DIGEST'

With SOURCE_DATE_EPOCH set, the signing time, the signature part GUID and
the relationship ids are fixed, so the signed file is reproducible bit for bit.

MakePQX spellings accepted: -c/--certificate (= --cert), -p/--password
(the password in plain text; visible in process listings, prefer
--password-env), -r (= --replace), and flags after the file name
("pqx sign X.pqx -c cert.pfx"). Missing key → "Missing required
--certificate option." (exit 2; MakePQX exits -1).

Prints each signer's thumbprint, for "pqx trust-reg" and Power BI's
TrustedCertificateThumbprints policy. Exit 0 when all files are signed,
1 when any failed, 2 for usage errors.`,
		Flags: append(signerFlags(),
			&cli.BoolFlag{Name: "replace", Aliases: []string{"r"}, Usage: "remove existing signatures instead of countersigning"},
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Usage: "write the signed package to `FILE` instead of rewriting the input (one input only)"},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "files signed in parallel", DefaultText: "number of CPUs"},
			&cli.BoolFlag{Name: "json", Usage: "write the results as JSON to stdout"},
		),
		Action: runSign,
	})
}

// signerFlags are the key-source flags of "pqx sign"; "pqx build --sign"
// can offer the same ones and call signerFrom and signOptions.
func signerFlags() []cli.Flag {
	return []cli.Flag{
		&cli.StringFlag{Name: "cert", Aliases: []string{"c", "certificate"}, Usage: "signer certificate and key as a PKCS#12 `PFX` file", TakesFile: true},
		&cli.StringFlag{Name: "password-env", Usage: "read the PFX password from environment variable `VAR`"},
		&cli.StringFlag{Name: "password-file", Usage: "read the PFX password from the first line of `FILE`", TakesFile: true},
		&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Usage: "PFX password in plain text (MakePQX compatibility; visible to other users, prefer --password-env)"},
		&cli.StringFlag{Name: "cert-pem", Usage: "signer certificate, PEM or DER `FILE` (with --key-pem or --signer-cmd)", TakesFile: true},
		&cli.StringFlag{Name: "key-pem", Usage: "unencrypted PEM private key `FILE` for --cert-pem", TakesFile: true},
		&cli.StringFlag{Name: "signer-cmd", Usage: "external signer `COMMAND`: digest on stdin, PKCS#1 v1.5 signature on stdout"},
		&cli.StringFlag{Name: "digest", Value: "sha256", Usage: "digest and signature hash: sha256, sha1 (MakePQX before 2.114, old hosts), sha384 or sha512"},
	}
}

// signerFrom builds the signer the key-source flags describe. A missing key
// is a usage error worded as MakePQX words it.
func signerFrom(c *cli.Context) (sign.Signer, error) {
	ko := sign.KeyOptions{
		PFX:          c.String("cert"),
		Password:     c.String("password"),
		PasswordEnv:  c.String("password-env"),
		PasswordFile: c.String("password-file"),
		CertPEM:      c.String("cert-pem"),
		KeyPEM:       c.String("key-pem"),
		Command:      c.String("signer-cmd"),
	}
	if ko.PFX == "" && ko.CertPEM == "" && ko.KeyPEM == "" && ko.Command == "" {
		return nil, usagef("Missing required --certificate option. (give --cert PFX, --cert-pem with --key-pem, or --cert-pem with --signer-cmd)")
	}
	n := 0
	for _, s := range []string{ko.Password, ko.PasswordEnv, ko.PasswordFile} {
		if s != "" {
			n++
		}
	}
	if n > 1 {
		return nil, usagef("give only one of --password, --password-env and --password-file")
	}
	if n > 0 && ko.PFX == "" {
		return nil, usagef("a password is only used with --cert PFX")
	}
	if ko.Password != "" {
		outputOf(c).warnf("pqx: warning: --password puts the PFX password in the process list; use --password-env or --password-file\n")
	}
	s, err := ko.Signer()
	if err != nil {
		// An unreadable key, a wrong password or a mismatched pair is a
		// configuration error, like a missing key.
		return nil, usagef("%v", err)
	}
	return s, nil
}

// signOptions returns the signing options from --digest, --replace and
// SOURCE_DATE_EPOCH.
func signOptions(c *cli.Context) (sign.Options, error) {
	opt, err := sign.FromEnvironment()
	if err != nil {
		return opt, usagef("%v", err)
	}
	if opt.Digest, err = sign.ParseDigest(c.String("digest")); err != nil {
		return opt, usagef("--digest: %v", err)
	}
	opt.Replace = c.Bool("replace")
	return opt, nil
}

type signOutcome struct {
	File string
	*sign.Result
	Error string `json:",omitempty"`
}

func runSign(c *cli.Context) error {
	c, args, err := interspersed(c)
	if err != nil {
		return err
	}
	o := outputOf(c)
	if len(args) == 0 {
		return usagef("sign: missing file argument (pqx sign [flags] FILE|GLOB...)")
	}
	files, err := expandFiles(args)
	if err != nil {
		return usagef("%v", err)
	}
	out := c.String("out")
	if out != "" && len(files) != 1 {
		return usagef("--out needs exactly one input file, got %d", len(files))
	}
	signer, err := signerFrom(c)
	if err != nil {
		return err
	}
	opt, err := signOptions(c)
	if err != nil {
		return err
	}
	warnCertificate(o, signer.Certificate())
	jobs := c.Int("jobs")
	if jobs <= 0 {
		jobs = runtime.GOMAXPROCS(0)
	}

	results := make([]signOutcome, len(files))
	var g errgroup.Group
	g.SetLimit(jobs)
	var mu sync.Mutex
	for i, f := range files {
		g.Go(func() error {
			dst := f
			if out != "" {
				dst = out
			}
			res, err := signFile(f, dst, signer, opt)
			r := signOutcome{File: f, Result: res}
			if err != nil {
				r.Error = err.Error()
			}
			mu.Lock()
			results[i] = r
			mu.Unlock()
			return nil
		})
	}
	g.Wait()

	failed := 0
	for _, r := range results {
		if r.Error != "" {
			failed++
			fmt.Fprintf(o.stderr, "pqx: %s: %s\n", r.File, r.Error)
			continue
		}
		how := "signed"
		switch {
		case r.Replaced > 0:
			how = fmt.Sprintf("signed (replaced %d signature(s))", r.Replaced)
		case r.Countersigned:
			how = "countersigned"
		}
		o.printf("%s: %s by %s, thumbprint %s (%s)\n", r.File, how, r.Subject, r.Thumbprint, r.Digest)
	}
	if o.json {
		if err := o.writeJSON(results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return failf("%d of %d file(s) could not be signed", failed, len(files))
	}
	return nil
}

// warnCertificate points out certificate problems that do not stop
// signing: Power BI Desktop checks only the thumbprint (reference §7), but
// other hosts or policies may not be as lenient.
func warnCertificate(o output, cert *x509.Certificate) {
	now := time.Now()
	switch {
	case now.After(cert.NotAfter):
		o.warnf("pqx: warning: certificate %s expired on %s\n", sign.Thumbprint(cert), cert.NotAfter.UTC().Format("2006-01-02"))
	case now.Before(cert.NotBefore):
		o.warnf("pqx: warning: certificate %s is not valid before %s\n", sign.Thumbprint(cert), cert.NotBefore.UTC().Format("2006-01-02"))
	}
	if pub, ok := cert.PublicKey.(*rsa.PublicKey); ok && pub.N.BitLen() < 2048 {
		o.warnf("pqx: warning: certificate %s has a %d-bit RSA key; use 2048 bits or more\n", sign.Thumbprint(cert), pub.N.BitLen())
	}
}

// signFile signs src and writes the result to dst atomically, keeping the
// file mode of src.
func signFile(src, dst string, s sign.Signer, opt sign.Options) (*sign.Result, error) {
	data, err := os.ReadFile(src)
	if err != nil {
		return nil, err
	}
	fi, err := os.Stat(src)
	if err != nil {
		return nil, err
	}
	signed, res, err := sign.PackageResult(data, s, opt)
	if err != nil {
		return nil, err
	}
	if err := atomicfile.WriteFile(dst, signed, fi.Mode().Perm()); err != nil {
		return nil, err
	}
	return res, nil
}

// expandFiles expands doublestar globs (sorted, each must match something)
// and checks that plain names exist; duplicates are dropped.
func expandFiles(args []string) ([]string, error) {
	var files []string
	seen := map[string]bool{}
	for _, a := range args {
		var matches []string
		if strings.ContainsAny(a, "*?[{") {
			if !doublestar.ValidatePattern(a) {
				return nil, fmt.Errorf("bad glob pattern %q", a)
			}
			m, err := doublestar.FilepathGlob(a, doublestar.WithFilesOnly())
			if err != nil {
				return nil, fmt.Errorf("%s: %v", a, err)
			}
			if len(m) == 0 {
				return nil, fmt.Errorf("no files match %q", a)
			}
			sort.Strings(m)
			matches = m
		} else {
			fi, err := os.Stat(a)
			if err != nil {
				return nil, fmt.Errorf("%s: no such file", a)
			}
			if fi.IsDir() {
				return nil, fmt.Errorf("%s is a directory (use a glob such as '%s/**/*.pqx')", a, strings.TrimRight(a, "/"))
			}
			matches = []string{a}
		}
		for _, m := range matches {
			if !seen[m] {
				seen[m] = true
				files = append(files, m)
			}
		}
	}
	return files, nil
}

// interspersed re-parses the command's arguments so that flags may follow
// the file names, as in MakePQX's "sign X.pqx -c cert.pfx". It returns a
// context reading the combined flag values and the positional arguments.
func interspersed(c *cli.Context) (*cli.Context, []string, error) {
	rest := c.Args().Slice()
	hasFlag := false
	for _, a := range rest {
		if a == "--" {
			break
		}
		if len(a) > 1 && a[0] == '-' {
			hasFlag = true
		}
	}
	if !hasFlag {
		return c, rest, nil
	}
	set := flag.NewFlagSet(c.Command.Name, flag.ContinueOnError)
	set.SetOutput(&bytes.Buffer{})
	for _, f := range c.Command.Flags {
		if err := f.Apply(set); err != nil {
			return nil, nil, err
		}
	}
	// Carry over the flags given before the first file name.
	for _, f := range c.Command.Flags {
		name := f.Names()[0]
		if !c.IsSet(name) {
			continue
		}
		switch f.(type) {
		case *cli.StringSliceFlag:
			for _, v := range c.StringSlice(name) {
				set.Set(name, v)
			}
		case *cli.BoolFlag:
			set.Set(name, strconv.FormatBool(c.Bool(name)))
		case *cli.IntFlag:
			set.Set(name, strconv.Itoa(c.Int(name)))
		default:
			set.Set(name, c.String(name))
		}
	}
	var args []string
	for len(rest) > 0 {
		if rest[0] == "--" {
			args = append(args, rest[1:]...)
			break
		}
		if err := set.Parse(rest); err != nil {
			return nil, nil, usagef("%v", err)
		}
		rest = set.Args()
		if len(rest) > 0 && rest[0] != "--" {
			args = append(args, rest[0])
			rest = rest[1:]
		}
	}
	// Each alias of a flag is its own entry in a flag.FlagSet; copy the
	// value given under one name to the others, as urfave/cli does after
	// its own parse.
	visited := map[string]bool{}
	set.Visit(func(f *flag.Flag) { visited[f.Name] = true })
	for _, f := range c.Command.Flags {
		names := f.Names()
		for _, n := range names {
			if !visited[n] {
				continue
			}
			v := set.Lookup(n).Value.String()
			for _, other := range names {
				if other != n && !visited[other] {
					set.Set(other, v)
				}
			}
			break
		}
	}
	var parent *cli.Context
	if l := c.Lineage(); len(l) > 1 {
		parent = l[1]
	}
	nc := cli.NewContext(c.App, set, parent)
	nc.Command = c.Command
	return nc, args, nil
}
