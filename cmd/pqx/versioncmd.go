package main

import (
	"runtime"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/provenance"
)

func init() {
	register(&cli.Command{
		Name:  "version",
		Usage: "print pqx's version and build information",
		Description: `Prints the pqx version, the Go version and platform it was built with, the
VCS revision of development builds, and the build settings that matter for
reproducing the binary. --modules adds every module compiled in, with the
go.sum hash that pins its content; --json prints all of it as JSON (the same
"builder" record that dist/manifest.json's provenance holds).

'pqx --version' prints the version alone.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "modules", Aliases: []string{"m"}, Usage: "also list the modules compiled in, with their go.sum hashes"},
			&cli.BoolFlag{Name: "json", Usage: "print the build information as JSON"},
		},
		Action: runVersion,
	})
}

// versionInfo is pqx version's JSON output.
type versionInfo struct {
	provenance.Builder
	OS   string `json:"os"`
	Arch string `json:"arch"`
}

func runVersion(c *cli.Context) error {
	if c.NArg() > 0 {
		return usagef("version takes no arguments")
	}
	out := outputOf(c)
	info := versionInfo{Builder: provenance.CurrentBuilder(versionString()), OS: runtime.GOOS, Arch: runtime.GOARCH}
	if out.json {
		return out.writeJSON(info)
	}
	if out.quiet {
		return nil
	}
	out.printf("pqx %s\n", info.Version)
	out.printf("go        %s %s/%s\n", info.GoVersion, info.OS, info.Arch)
	if info.Path != "" {
		out.printf("module    %s", info.Path)
		if info.Sum != "" {
			out.printf(" %s", info.Sum)
		}
		out.printf("\n")
	}
	if info.VCSRevision != "" {
		mod := ""
		if info.VCSModified {
			mod = " (modified)"
		}
		out.printf("revision  %s%s\n", info.VCSRevision, mod)
		if info.VCSTime != "" {
			out.printf("committed %s\n", info.VCSTime)
		}
	}
	for _, s := range info.Settings {
		out.printf("build     %s=%s\n", s.Key, s.Value)
	}
	if c.Bool("modules") {
		for _, m := range info.Modules {
			out.printf("dep       %s %s %s", m.Path, m.Version, m.Sum)
			if m.Replace != nil {
				out.printf(" => %s %s %s", m.Replace.Path, m.Replace.Version, m.Replace.Sum)
			}
			out.printf("\n")
		}
	}
	return nil
}
