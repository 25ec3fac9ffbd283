package main

import (
	"bytes"
	"net/http"
	"os"
	"path/filepath"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/pqtest"
)

func init() {
	register(&cli.Command{
		Name:      "run-test",
		Usage:     "run PQTest-style .query.pq tests and compare them with their .query.pqout files",
		ArgsUsage: " ",
		Description: `Runs Power Query SDK test files the way PQTest.exe run-compare does, on any OS.

-q names a NAME.query.pq file or a folder searched recursively for them. Each
query (an M expression, or a section document whose first shared member is the
result) is evaluated in a fresh environment with the connector from -e loaded,
its value is serialised in M literal syntax and compared with NAME.query.pqout:

  - a missing .query.pqout is written and the test passes, unless
    --fail-on-missing-output (settings FailOnMissingOutputFile) fails it;
  - --update rewrites every .query.pqout whose content differs;
  - NAME.query.pq.ignore skips NAME.query.pq when a folder is given;
  - NAME.parameterquery.pq (or --parameter-query FILE) is evaluated first and
    the test query must be a function of one argument receiving its value.

A .query.pqout written by PQTest on Windows passes when it denotes the same
value, even with different spacing. On a mismatch the expected and actual
values are shown as a line diff, one table row or list item per line.

-e takes a connector folder (its *.pq section document, resources.resx and
other files), a .mez/.pqx package, or a pqx project (a folder with
connector.yaml; choose the tenant with --tenant when it has several).

Credentials come from --credential FILE in PQTest's credential-template shape:
{"AuthenticationKind": "OAuth", "AuthenticationProperties": {"AccessToken": "..."}}.
Web.Contents is refused unless --allow-network is given.

--settings reads a PQTest *.testsettings.json (ExtensionPaths, QueryFilePath,
ParameterQueryFilePath, FailOnMissingOutputFile); flags override it.
--now freezes DateTime.LocalNow and friends at a fixed time and makes
Text.NewGuid deterministic, so outputs that show them are reproducible.
--junit writes a JUnit XML report; --json prints PQTest's JSON result shape.

Exit status: 0 every test passed or was skipped, 1 a test failed or errored,
2 usage error (bad flags, unreadable settings, connector does not load).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "extension", Aliases: []string{"e"}, Usage: "connector `DIR`, .mez/.pqx package or pqx project"},
			&cli.StringSliceFlag{Name: "query", Aliases: []string{"q"}, Usage: "query `FILE` (.query.pq) or folder of them (repeatable)"},
			&cli.StringFlag{Name: "tenant", Usage: "tenant `ID` to render when -e is a pqx project"},
			&cli.BoolFlag{Name: "update", Usage: "rewrite .query.pqout files whose content differs from the result"},
			&cli.BoolFlag{Name: "fail-on-missing-output", Aliases: []string{"fomof"}, Usage: "fail tests without a .query.pqout instead of writing it"},
			&cli.StringFlag{Name: "parameter-query", Aliases: []string{"pa"}, Usage: "parameter query `FILE` whose value every test query receives"},
			&cli.StringFlag{Name: "settings", Aliases: []string{"sf"}, Usage: "PQTest settings `FILE` (*.testsettings.json)"},
			&cli.StringFlag{Name: "credential", Usage: "credential JSON `FILE` (PQTest credential-template shape)"},
			&cli.BoolFlag{Name: "allow-network", Usage: "let Web.Contents make real HTTP requests"},
			&cli.StringFlag{Name: "junit", Usage: "write a JUnit XML report to `FILE`"},
			&cli.DurationFlag{Name: "timeout", Usage: "abort a test after this long (0: no limit)"},
			&cli.TimestampFlag{Name: "now", Layout: time.RFC3339, Usage: "freeze the clock at `TIME` (RFC 3339) and make Text.NewGuid deterministic, for reproducible outputs"},
			&cli.BoolFlag{Name: "json", Usage: "print results as JSON in PQTest's shape"},
		},
		Action: runRunTest,
	})
}

func runRunTest(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 0 {
		return usagef("run-test: unexpected argument %q (queries are given with -q)", c.Args().First())
	}
	opt := &pqtest.Options{Update: c.Bool("update"), FailOnMissingOutputFile: c.Bool("fail-on-missing-output"),
		ParameterQueryFile: c.String("parameter-query"), Timeout: c.Duration("timeout")}
	extPath := c.String("extension")
	queries := c.StringSlice("query")
	if sf := c.String("settings"); sf != "" {
		s, err := pqtest.ReadSettings(sf)
		if err != nil {
			return usagef("run-test: --settings: %v", err)
		}
		if extPath == "" && len(s.ExtensionPaths) > 0 {
			if len(s.ExtensionPaths) > 1 {
				return usagef("run-test: %s: pqx loads one extension; ExtensionPaths has %d", sf, len(s.ExtensionPaths))
			}
			extPath = s.ExtensionPaths[0]
		}
		if len(queries) == 0 && s.QueryFilePath != "" {
			queries = []string{s.QueryFilePath}
		}
		if opt.ParameterQueryFile == "" {
			opt.ParameterQueryFile = s.ParameterQueryFilePath
		}
		if !c.IsSet("fail-on-missing-output") {
			opt.FailOnMissingOutputFile = s.FailOnMissingOutputFile
		}
	}
	if len(queries) == 0 {
		return usagef("run-test: give the tests with -q FILE|DIR (or QueryFilePath in --settings)")
	}
	if c.Bool("allow-network") {
		opt.HTTP = newHTTPClient()
	}
	if now := c.Timestamp("now"); now != nil {
		opt.Now = *now
	}
	if f := c.String("credential"); f != "" {
		cred, err := pqtest.ReadCredential(f)
		if err != nil {
			return usagef("run-test: --credential: %v", err)
		}
		opt.Credential = cred
	}
	if extPath != "" {
		x, err := loadTestExtension(extPath, c.String("tenant"))
		if err != nil {
			return err
		}
		opt.Extension = x
	} else if c.IsSet("tenant") {
		return usagef("run-test: --tenant needs -e PROJECT")
	}
	tests, err := pqtest.Discover(queries)
	if err != nil {
		return usagef("run-test: %v", err)
	}
	if len(tests) == 0 {
		return usagef("run-test: no *.query.pq files in %v", queries)
	}
	ctx := c.Context
	results, err := pqtest.Run(ctx, tests, opt)
	if err != nil {
		return failf("run-test: %v", err)
	}
	if j := c.String("junit"); j != "" {
		var buf bytes.Buffer
		if err := pqtest.WriteJUnit(&buf, results); err != nil {
			return failf("run-test: %v", err)
		}
		if err := atomicfile.WriteFile(j, buf.Bytes(), 0o644); err != nil {
			return failf("run-test: --junit: %v", err)
		}
	}
	if out.json {
		if err := out.writeJSON(pqtest.JSON(results)); err != nil {
			return err
		}
	} else if !out.quiet {
		pqtest.WriteText(out.stdout, results, false)
	}
	s := pqtest.Summary(results)
	if n := s[pqtest.Failed] + s[pqtest.Error]; n > 0 {
		if out.quiet {
			pqtest.WriteText(out.stderr, failedOnly(results), false)
		}
		return failf("run-test: %d of %d tests failed", n, len(results))
	}
	return nil
}

func failedOnly(rs []pqtest.Result) []pqtest.Result {
	var out []pqtest.Result
	for _, r := range rs {
		if r.Status == pqtest.Failed || r.Status == pqtest.Error {
			out = append(out, r)
		}
	}
	return out
}

// loadTestExtension loads -e: a pqx project (connector.yaml) rendered for
// one tenant, or a connector folder or package.
func loadTestExtension(p, tenant string) (*extpkg.Extension, error) {
	if fi, err := os.Stat(filepath.Join(p, "connector.yaml")); err == nil && !fi.IsDir() {
		proj, err := loadProject(p)
		if err != nil {
			return nil, err
		}
		x, err := pqtest.TenantExtension(proj, tenant)
		if err != nil {
			return nil, usagef("run-test: -e: %v", err)
		}
		return x, nil
	}
	if tenant != "" {
		return nil, usagef("run-test: --tenant needs -e PROJECT (a folder with connector.yaml); %s is not one", p)
	}
	x, err := extpkg.Load(p)
	if err != nil {
		return nil, usagef("run-test: -e: %v", err)
	}
	// Parse once up front so a broken connector is a usage error, not one
	// error per test.
	th := eval.NewThread(eval.NewEnvironment(), &eval.Host{})
	if _, err := x.LoadInto(th); err != nil {
		return nil, usagef("run-test: -e %s: %v", p, err)
	}
	return x, nil
}

// newHTTPClient is the client for --allow-network; Web.Contents applies
// its own per-request Timeout option on top.
func newHTTPClient() *http.Client { return &http.Client{Timeout: 10 * time.Minute} }
