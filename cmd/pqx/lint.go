package main

import (
	"bytes"
	"fmt"
	"io"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/lint/rules"
)

func init() {
	register(&cli.Command{
		Name:      "lint",
		Usage:     "check Power Query M sources for syntax errors and rule violations",
		ArgsUsage: "PATH...",
		Description: `Checks M sources: files (.pq, .pqm, .m, .query.pq), folders (searched
recursively, skipping hidden folders, bin and obj), doublestar globs such as
'src/**/*.pq', and connector packages (.mez, .pqx), whose M entries are checked
in place.

Every file is parsed as Power Query does; syntax errors are reported as
file:line:col with the source line and a caret. Unless --syntax-only is given,
the registered rules then run on each file that parses (see --list-rules):
the connector rules PQX001-PQX012 catch what breaks in production (secrets in
the source, PKCE state, missing state or TestConnection, dynamic URLs, ...);
--explain PQX002 says what one checks and how to fix it. PQX011 compares all
files given together (kind and section names must be unique in a project).
Select rules with --rules PQX001,PQX004 or leave some out with --rules -PQX008.

Suppress a finding with a comment naming the rule and a reason:
    x = f(y) // pqx:ignore RULE reason        (this line)
    // pqx:ignore RULE reason                  (the next line with code)
    // pqx:ignore-file RULE reason             (the whole file)
Syntax errors cannot be suppressed.

Formats: text (default; diagnostics on stdout, a summary on stderr), json, and
sarif (SARIF 2.1.0 for code scanning, e.g. GitHub's upload-sarif action).

Exit status: 0 no errors (warnings allowed), 1 at least one error, 2 usage
error or an unreadable path.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "syntax-only", Usage: "check syntax only; run no rules"},
			&cli.StringFlag{Name: "format", Aliases: []string{"f"}, Value: "text", Usage: "output `FORMAT`: text, json or sarif"},
			&cli.StringFlag{Name: "output", Aliases: []string{"o"}, Usage: "write the report to `FILE` (atomically) instead of stdout"},
			&cli.StringSliceFlag{Name: "disable", Usage: "do not run rule `ID` (repeatable)"},
			&cli.StringFlag{Name: "rules", Usage: "run only the rules in `LIST` (comma-separated IDs; -ID leaves one out; all)"},
			&cli.StringFlag{Name: "explain", Usage: "print what rule `ID` checks and how to fix a finding, and exit"},
			&cli.StringSliceFlag{Name: "allow-http", Usage: "accept http:// URLs to `HOST` (PQX003; loopback hosts are always accepted; repeatable)"},
			&cli.BoolFlag{Name: "list-rules", Usage: "list the registered rules and exit"},
			&cli.BoolFlag{Name: "json", Usage: "same as --format json"},
		},
		Action: runLint,
	})
}

func runLint(c *cli.Context) error {
	out := outputOf(c)
	if c.Bool("list-rules") {
		for _, r := range lint.Rules() {
			fmt.Fprintf(out.stdout, "%-20s %-8s %s\n", r.ID, r.Severity, r.Summary)
		}
		return nil
	}
	if id := c.String("explain"); id != "" {
		if err := rules.Explain(out.stdout, id); err != nil {
			return usagef("--explain: %v", err)
		}
		return nil
	}
	format := strings.ToLower(c.String("format"))
	if out.json && !c.IsSet("format") {
		format = "json"
	}
	switch format {
	case "text", "json", "sarif":
	default:
		return usagef("unknown --format %q (want text, json or sarif)", c.String("format"))
	}
	if c.NArg() == 0 {
		return usagef("lint needs at least one PATH (file, folder, glob, .mez or .pqx)")
	}
	for _, id := range c.StringSlice("disable") {
		if lint.Lookup(id) == nil {
			return usagef("--disable: unknown rule %q (see pqx lint --list-rules)", id)
		}
		if id == lint.SyntaxRule {
			return usagef("--disable: syntax errors cannot be disabled")
		}
	}
	cfg := lint.Config{SyntaxOnly: c.Bool("syntax-only"), Disable: c.StringSlice("disable")}
	if c.IsSet("rules") {
		off, err := rules.Select(c.String("rules"))
		if err != nil {
			return usagef("--rules: %v", err)
		}
		cfg.Disable = append(cfg.Disable, off...)
	}
	rules.SetOptions(rules.Options{AllowHTTPHosts: c.StringSlice("allow-http")})
	res, err := rules.Run(c.Args().Slice(), cfg)
	if err != nil {
		return usagef("lint: %v", err)
	}

	var report bytes.Buffer
	switch format {
	case "text":
		err = lint.WriteText(&report, res.Diagnostics)
	case "json":
		err = lint.WriteJSON(&report, res)
	case "sarif":
		err = lint.WriteSARIF(&report, res, versionString())
	}
	if err != nil {
		return failf("lint: %v", err)
	}
	if path := c.String("output"); path != "" {
		if err := atomicfile.WriteFile(path, report.Bytes(), 0o644); err != nil {
			return failf("lint: writing %s: %v", path, err)
		}
	} else if format != "text" || !out.quiet || res.Errors() > 0 {
		if _, err := io.Copy(out.stdout, &report); err != nil {
			return failf("lint: %v", err)
		}
	}
	nerr, nwarn := lint.CountBySeverity(res.Diagnostics)
	if format == "text" {
		out.warnf("%s, %s in %s\n", lintPlural(nerr, "error"), lintPlural(nwarn, "warning"), lintPlural(res.Files, "file"))
	}
	if nerr > 0 {
		return cli.Exit("", exitFailure)
	}
	return nil
}

func lintPlural(n int, word string) string {
	if n == 1 {
		return "1 " + word
	}
	return fmt.Sprintf("%d %ss", n, word)
}
