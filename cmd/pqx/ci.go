package main

import (
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/ci"
	"github.com/pqxdev/pqx/internal/project"
)

func init() {
	register(&cli.Command{
		Name:  "ci",
		Usage: "generate CI pipelines for a connector project",
		Description: `Commands for running pqx in continuous integration. See 'pqx ci init --help'
and docs/ci.md.`,
	})
	registerSub("ci", &cli.Command{
		Name:      "init",
		Usage:     "write a GitHub Actions workflow or Azure DevOps pipeline for the project",
		ArgsUsage: "[DIR]",
		Description: `Writes a pipeline into the repository at DIR (default: the current folder) that
installs a pinned pqx, lints the M sources (SARIF, uploaded to code scanning
on GitHub), builds every tenant (split over --shards matrix jobs), runs
'pqx test --junit' and publishes the results, and uploads dist/ with
manifest.json. With --sign it adds a job that signs the .pqx packages with
the certificate from the CI secret store and runs 'pqx verify'; with
--signer-cmd and --signer-cert the key stays in an HSM or cloud KMS and
'pqx sign --signer-cmd' asks it for each signature.

  github   .github/workflows/pqx.yml
           secrets PQX_SIGN_PFX_BASE64 (base64 of the .pfx) and
           PQX_SIGN_PASSWORD; optional variable PQX_TRUSTED_THUMBPRINTS
  azure    azure-pipelines.yml
           secure file pqx-signing.pfx; variable group pqx-signing with the
           secret PQX_SIGN_PASSWORD and optional PQX_TRUSTED_THUMBPRINTS

The connector project is DIR itself when it holds connector.yaml, or its one
subfolder (up to two levels down) that does; name it with --project otherwise.

Running the command again with the same options changes nothing; with other
options it rewrites the file, as long as nobody edited it since pqx wrote it
(the header records a SHA-256 of the content). An edited file, or one pqx did
not write, is kept unless --force is given.

Exit status: 0 written or unchanged, 1 an edited file was kept, 2 usage error.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "provider", Usage: "CI `SYSTEM`: github or azure"},
			&cli.BoolFlag{Name: "sign", Usage: "add signing and verification of the .pqx packages"},
			&cli.StringFlag{Name: "signer-cmd", Usage: "sign with an external signer `COMMAND` (HSM or cloud KMS) instead of a PFX; implies --sign"},
			&cli.StringFlag{Name: "signer-cert", Usage: "the external signer's certificate `FILE` in the repository (with --signer-cmd)"},
			&cli.IntFlag{Name: "shards", Value: 1, Usage: "split the build into `N` parallel matrix jobs (pqx build --shard i/N)"},
			&cli.BoolFlag{Name: "force", Usage: "overwrite the pipeline file even if it was edited"},
			&cli.StringFlag{Name: "pqx-version", Usage: "pqx `VERSION` the pipeline installs: a tag (v1.2.3), a commit or latest (default: this pqx's version)"},
			&cli.StringFlag{Name: "branch", Value: "main", Usage: "`BRANCH` whose pushes run the pipeline and get signed packages"},
			&cli.StringFlag{Name: "project", Usage: "connector project `FOLDER`, relative to DIR"},
			&cli.StringFlag{Name: "go-version", Usage: "Go `VERSION` the GitHub workflow sets up to install pqx", Value: ci.DefaultGoVersion},
			&cli.BoolFlag{Name: "stdout", Usage: "print the pipeline instead of writing it"},
			&cli.BoolFlag{Name: "json", Usage: "print what was written as JSON"},
		},
		Action: runCIInit,
	})
}

func runCIInit(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 1 {
		return usagef("ci init takes at most one DIR, got %d arguments", c.NArg())
	}
	dir := c.Args().First()
	if dir == "" {
		dir = "."
	}
	if fi, err := os.Stat(dir); err != nil || !fi.IsDir() {
		return usagef("ci init: %s is not a folder", dir)
	}
	proj, err := findProject(dir, c.String("project"))
	if err != nil {
		return err
	}
	opt := ci.Options{
		Provider:   c.String("provider"),
		Sign:       c.Bool("sign"),
		SignerCmd:  c.String("signer-cmd"),
		SignerCert: filepath.ToSlash(c.String("signer-cert")),
		Shards:     c.Int("shards"),
		PQXVersion: c.String("pqx-version"),
		Project:    proj,
		Branch:     c.String("branch"),
		GoVersion:  c.String("go-version"),
	}
	if opt.SignerCert != "" {
		if _, err := os.Stat(filepath.Join(dir, filepath.FromSlash(opt.SignerCert))); err != nil {
			return usagef("ci init: --signer-cert %s: no such file in %s (commit the signer's certificate, without its key)", opt.SignerCert, dir)
		}
	}
	if opt.PQXVersion == "" {
		var pinned bool
		opt.PQXVersion, pinned = ci.PinVersion(versionString())
		if !pinned {
			out.warnf("pqx: this pqx (%s) is not a release; the pipeline installs pqx@latest (pin one with --pqx-version)\n", versionString())
		}
	}
	f, err := ci.Generate(opt)
	if err != nil {
		return usagef("ci init: %v", err)
	}
	if c.Bool("stdout") {
		_, err := c.App.Writer.Write(f.Data)
		return err
	}
	action, err := ci.Write(dir, f, c.Bool("force"))
	if err != nil {
		return failf("ci init: %v", err)
	}
	path := filepath.Join(dir, filepath.FromSlash(f.Path))
	if out.json {
		return out.writeJSON(map[string]any{
			"path":        filepath.ToSlash(path),
			"action":      action,
			"provider":    opt.Provider,
			"pqx_version": opt.PQXVersion,
			"project":     opt.Project,
			"sign":        opt.Sign,
			"shards":      max(opt.Shards, 1),
		})
	}
	out.printf("%s %s\n", action, path)
	if opt.SignerCmd != "" && action != ci.Unchanged {
		out.printf("next: add a step that logs in to your KMS before 'Sign packages' (GitHub: OpenID Connect, id-token: write is set; Azure: a service connection), and create the %s\n",
			map[string]string{"github": "environment signing (optional variable PQX_TRUSTED_THUMBPRINTS)", "azure": "variable group pqx-signing"}[opt.Provider])
	} else if opt.Sign && action != ci.Unchanged {
		switch opt.Provider {
		case "github":
			out.printf("next: add the repository secrets PQX_SIGN_PFX_BASE64 (base64 -w0 cert.pfx) and PQX_SIGN_PASSWORD\n")
		case "azure":
			out.printf("next: upload pqx-signing.pfx to Pipelines > Library > Secure files and create the variable group pqx-signing with the secret PQX_SIGN_PASSWORD\n")
		}
	}
	return nil
}

// findProject returns the connector project folder relative to dir, with
// forward slashes: the one given, dir itself, or its only subfolder (one or two levels
// down) holding connector.yaml.
func findProject(dir, given string) (string, error) {
	if given != "" {
		rel := filepath.ToSlash(filepath.Clean(given))
		if _, err := os.Stat(filepath.Join(dir, given, project.ConfigFile)); err != nil {
			return "", usagef("ci init: --project %s: no %s in %s", given, project.ConfigFile, filepath.Join(dir, given))
		}
		return rel, nil
	}
	if _, err := os.Stat(filepath.Join(dir, project.ConfigFile)); err == nil {
		return ".", nil
	}
	// Monorepos keep connectors one or two levels down (connectors/x).
	matches, _ := filepath.Glob(filepath.Join(dir, "*", project.ConfigFile))
	deeper, _ := filepath.Glob(filepath.Join(dir, "*", "*", project.ConfigFile))
	matches = append(matches, deeper...)
	switch len(matches) {
	case 1:
		rel, err := filepath.Rel(dir, filepath.Dir(matches[0]))
		if err != nil {
			return "", err
		}
		return filepath.ToSlash(rel), nil
	case 0:
		return "", usagef("ci init: no %s in %s or the subfolders two levels down; name the connector project with --project", project.ConfigFile, dir)
	}
	for i, m := range matches {
		matches[i] = filepath.ToSlash(filepath.Dir(m))
	}
	return "", usagef("ci init: several connector projects (%s); choose one with --project", strings.Join(matches, ", "))
}
