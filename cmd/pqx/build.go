package main

import (
	"errors"
	"fmt"
	"os"
	"strings"

	"github.com/schollz/progressbar/v3"
	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/build"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/project"
)

func init() {
	register(&cli.Command{
		Name:      "build",
		Usage:     "render and package every tenant of a connector project (.mez and .pqx)",
		ArgsUsage: "[PROJECT]",
		Description: `Builds each tenant of the project in PROJECT (a folder with connector.yaml and
tenants/*.yaml) into OUT/<tenant>/<Kind>.mez and OUT/<tenant>/<Kind>.pqx, and
writes OUT/manifest.json. Without PROJECT it builds the embedded default
openEHR connector and its example tenants.

Tenants build in parallel. A tenant whose rendered M does not parse fails with
the template and tenant named; the others still build. Builds are
reproducible: the same inputs give the same bytes (timestamps come from
SOURCE_DATE_EPOCH, or a fixed epoch).

Before packaging, the connector rules of pqx lint run over every selected
tenant (kind collisions across tenants included); a tenant with a lint error
is not packaged. --no-lint skips them.

With --sign, every .pqx is signed as by pqx sign (same key flags) and the
manifest records the signer's thumbprint.

Exit status: 0 all tenants built, 1 a tenant failed, 2 usage or configuration
error.`,
		Flags: append([]cli.Flag{
			&cli.StringFlag{Name: "out", Aliases: []string{"o"}, Value: "dist", Usage: "output `DIR`"},
			&cli.StringSliceFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "build only tenants whose id matches `GLOB` (repeatable)"},
			&cli.StringFlag{Name: "shard", Usage: "build shard `I/N` of the selected tenants (CI matrix jobs)"},
			&cli.StringSliceFlag{Name: "format", Usage: "package `FORMATS` to write: mez, pqx (comma-separated)", Value: cli.NewStringSlice("mez", "pqx")},
			&cli.IntFlag{Name: "jobs", Aliases: []string{"j"}, Usage: "parallel tenant builds (default: number of CPUs)"},
			&cli.BoolFlag{Name: "json", Usage: "print the manifest as JSON"},
			&cli.BoolFlag{Name: "no-lint", Usage: "skip the connector rules (pqx lint) that run before packaging"},
			&cli.BoolFlag{Name: "sign", Usage: "sign every .pqx (key from --cert, --cert-pem/--key-pem or --signer-cmd, as for pqx sign)"},
		}, signerFlags()...),
		Action: runBuild,
	})
}

// loadProject loads the project in dir, or the embedded default when dir is
// empty. Configuration errors are usage errors (exit 2).
func loadProject(dir string) (*project.Project, error) {
	var p *project.Project
	var err error
	if dir == "" {
		p, err = project.Load(connector.FS, "(embedded connector)")
	} else {
		if fi, serr := os.Stat(dir); serr != nil || !fi.IsDir() {
			return nil, usagef("project folder %s does not exist", dir)
		}
		p, err = project.Load(os.DirFS(dir), dir)
	}
	if err != nil {
		return nil, cli.Exit(err.Error(), exitUsage)
	}
	return p, nil
}

func runBuild(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 1 {
		return usagef("build takes at most one PROJECT folder, got %d arguments", c.NArg())
	}
	p, err := loadProject(c.Args().First())
	if err != nil {
		return err
	}
	modTime, err := mez.ModTime()
	if err != nil {
		return usagef("%v", err)
	}
	opt := build.Options{
		OutDir:  c.String("out"),
		Tenants: c.StringSlice("tenant"),
		ModTime: modTime,
		Workers: c.Int("jobs"),
		Version: versionString(),
		NoLint:  c.Bool("no-lint"),
	}
	for _, f := range c.StringSlice("format") {
		for _, f := range strings.Split(f, ",") {
			if f = strings.TrimSpace(f); f != "" {
				opt.Formats = append(opt.Formats, f)
			}
		}
	}
	if s := c.String("shard"); s != "" {
		if opt.Shard, opt.Shards, err = build.ParseShard(s); err != nil {
			return usagef("%v", err)
		}
	}
	if c.Bool("sign") {
		if opt.Signer, err = signerFrom(c); err != nil {
			return err
		}
		if opt.SignOptions, err = signOptions(c); err != nil {
			return err
		}
	} else if c.IsSet("cert") || c.IsSet("cert-pem") || c.IsSet("signer-cmd") {
		return usagef("a signing key was given without --sign")
	}
	if !out.quiet && !out.json && color(out.stderr) {
		var bar *progressbar.ProgressBar
		opt.Progress = func(done, total int) {
			if bar == nil {
				bar = progressbar.NewOptions(total, progressbar.OptionSetWriter(out.stderr),
					progressbar.OptionSetDescription("building"), progressbar.OptionClearOnFinish())
			}
			_ = bar.Set(done)
		}
	}

	m, err := build.Run(c.Context, p, opt)
	var ue *build.UsageError
	if errors.As(err, &ue) {
		return usagef("%s", ue.Msg)
	}
	if err != nil {
		return failf("build: %v", err)
	}
	if out.json {
		if err := out.writeJSON(m); err != nil {
			return err
		}
	} else {
		for _, t := range m.Tenants {
			for _, f := range t.Lint {
				out.warnf("%s\n", f)
			}
			if t.Error != "" {
				fmt.Fprintf(out.stderr, "FAIL %s (%s):\n%s\n", t.Tenant, t.Kind, indent(t.Error))
				continue
			}
			paths := make([]string, len(t.Outputs))
			for i, o := range t.Outputs {
				paths[i] = o.Path
			}
			out.printf("ok   %-20s %-28s %s\n", t.Tenant, t.Kind, strings.Join(paths, " "))
		}
		if len(m.Tenants) == 0 {
			out.warnf("pqx: shard %s selects no tenant; nothing to build\n", m.Shard)
		}
	}
	if m.Failed() {
		n := 0
		for _, t := range m.Tenants {
			for _, f := range t.Lint {
				out.warnf("%s\n", f)
			}
			if t.Error != "" {
				n++
			}
		}
		return failf("%d of %d tenants failed", n, len(m.Tenants))
	}
	return nil
}

func indent(s string) string {
	return "    " + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n    ")
}
