package main

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
	"github.com/pqxdev/pqx/internal/pqtest"
	"github.com/pqxdev/pqx/internal/project"
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

--oauth-mock PROFILE signs in instead, headlessly, with the connector's own
OAuth functions (StartLogin, the LoginUri followed to the mock IDP's
/authorize, FinishLogin) against a mock IDP of that profile on 127.0.0.1,
and every Web.Contents goes through a router to in-process mocks; anything
else is refused. With -e PROJECT --tenant ID the tenant must sign in with OAuth (auth
pattern oauth-pkce): its IDP URLs go to the mock IDP and its base_url to a
mock CDR of its vendor, as in pqx test. With a package or connector folder
the LoginUri's origin goes to the mock IDP, and --route PREFIX=idp|cdr sends
other hard-coded URLs (the openEHR base URL) to the mocks. The tests'
credential is FinishLogin's record; Extension.CurrentCredential(true) runs
the connector's Refresh against the mock IDP, and later tests keep the new
credential. --cdr-fault schedules mock CDR faults for the tests (e.g.
401,after=2,path=^/query/ answers the third query request with 401),
--idp-config lays a mock IDP scenario over the IDP (faults, authorize
outcomes; the format of pqx mock idp --config), and --mock-journal FILE
writes what the mocks saw as JSON lines: the IDP journal, every request the
M code sent with the fingerprint of its credential, the CDR request log.
Tokens appear as fingerprints only. --oauth-mock and --credential exclude
each other.

--settings reads a PQTest *.testsettings.json (ExtensionPaths, QueryFilePath,
ParameterQueryFilePath, FailOnMissingOutputFile); flags override it.
--now freezes DateTime.LocalNow and friends at a fixed time and makes
Text.NewGuid deterministic, so outputs that show them are reproducible.
--junit writes a JUnit XML report; --json prints PQTest's JSON result shape.

Exit status: 0 every test passed or was skipped, 1 a test failed or errored,
2 usage error (bad flags, unreadable settings, connector does not load, a
tenant or connector without OAuth given --oauth-mock). A failed --oauth-mock
sign-in is exit 1, with the failing step and its M error.`,
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
			&cli.StringFlag{Name: "oauth-mock", Usage: "sign in with the connector's OAuth functions at an in-process mock IDP of `PROFILE` (" + strings.Join(mockidp.Profiles(), ", ") + ") and route requests to mocks"},
			&cli.StringSliceFlag{Name: "route", Usage: "with --oauth-mock and a package, `PREFIX=idp|cdr` sends URLs starting with PREFIX to the mock IDP or CDR (repeatable)"},
			&cli.StringFlag{Name: "cdr-profile", Usage: "with --oauth-mock and a package, the mock CDR `PROFILE` (" + strings.Join(mockcdr.Profiles(), ", ") + "; default ehrbase)"},
			&cli.StringSliceFlag{Name: "cdr-fault", Usage: "with --oauth-mock, schedule a mock CDR fault `SPEC` for the tests: KIND[,after=N][,count=N][,path=RE] (repeatable)"},
			&cli.StringFlag{Name: "idp-config", Usage: "with --oauth-mock, lay the mock IDP config or scenario `FILE` (YAML or JSON) over the IDP"},
			&cli.StringFlag{Name: "mock-journal", Usage: "with --oauth-mock, write the mocks' journals as JSON lines to `FILE`"},
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
	mockFlags := []string{"route", "cdr-profile", "cdr-fault", "idp-config", "mock-journal"}
	oauthMock := c.String("oauth-mock")
	if oauthMock == "" {
		for _, f := range mockFlags {
			if c.IsSet(f) {
				return usagef("run-test: --%s goes with --oauth-mock", f)
			}
		}
	} else {
		if c.IsSet("credential") {
			return usagef("run-test: --oauth-mock and --credential exclude each other: --oauth-mock signs in with the connector's own OAuth functions instead of reading a credential")
		}
		if c.Bool("allow-network") {
			return usagef("run-test: --oauth-mock and --allow-network exclude each other: with --oauth-mock every request goes to the mocks")
		}
		if !slices.Contains(mockidp.Profiles(), oauthMock) {
			return usagef("run-test: --oauth-mock %q: want one of %s", oauthMock, strings.Join(mockidp.Profiles(), ", "))
		}
		if extPath == "" {
			return usagef("run-test: --oauth-mock needs the connector (-e)")
		}
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
	var proj *project.Project
	if extPath != "" {
		x, p, err := loadTestExtension(extPath, c.String("tenant"))
		if err != nil {
			return err
		}
		opt.Extension, proj = x, p
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
	var om *pqtest.OAuthMock
	if oauthMock != "" {
		if om, err = startOAuthMock(c, opt.Extension, proj, oauthMock); err != nil {
			return err
		}
		defer om.Close()
		opt.Login, opt.HTTP = om.Session, om.HTTPClient()
	}
	results, err := pqtest.Run(ctx, tests, opt)
	if om != nil {
		if f := c.String("mock-journal"); f != "" {
			if jerr := atomicfile.Write(f, 0o644, om.WriteJournal); jerr != nil {
				return failf("run-test: --mock-journal: %v", jerr)
			}
		}
		if !out.json && !out.quiet {
			fmt.Fprint(out.stdout, om.Summary())
		}
	}
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
// one tenant, or a connector folder or package. The project is returned
// for a project, nil otherwise.
func loadTestExtension(p, tenant string) (*extpkg.Extension, *project.Project, error) {
	if fi, err := os.Stat(filepath.Join(p, "connector.yaml")); err == nil && !fi.IsDir() {
		proj, err := loadProject(p)
		if err != nil {
			return nil, nil, err
		}
		x, err := pqtest.TenantExtension(proj, tenant)
		if err != nil {
			return nil, nil, usagef("run-test: -e: %v", err)
		}
		return x, proj, nil
	}
	if tenant != "" {
		return nil, nil, usagef("run-test: --tenant needs -e PROJECT (a folder with connector.yaml); %s is not one", p)
	}
	x, err := extpkg.Load(p)
	if err != nil {
		return nil, nil, usagef("run-test: -e: %v", err)
	}
	// Parse once up front so a broken connector is a usage error, not one
	// error per test.
	th := eval.NewThread(eval.NewEnvironment(), &eval.Host{})
	if _, err := x.LoadInto(th); err != nil {
		return nil, nil, usagef("run-test: -e %s: %v", p, err)
	}
	return x, nil, nil
}

// startOAuthMock signs in for --oauth-mock. A connector or tenant without
// OAuth and bad mock options are usage errors; a sign-in that fails in the
// connector's M code or at the IDP is a failed job.
func startOAuthMock(c *cli.Context, x *extpkg.Extension, proj *project.Project, profile string) (*pqtest.OAuthMock, error) {
	opt := pqtest.OAuthMockOptions{Profile: profile, Project: proj, Tenant: c.String("tenant"), CDRProfile: c.String("cdr-profile")}
	if proj != nil && (c.IsSet("route") || c.IsSet("cdr-profile")) {
		return nil, usagef("run-test: --route and --cdr-profile are for a package or connector folder; a tenant's routes and CDR profile follow from its file")
	}
	if p := opt.CDRProfile; p != "" && !slices.Contains(mockcdr.Profiles(), p) {
		return nil, usagef("run-test: --cdr-profile %q: want one of %s", p, strings.Join(mockcdr.Profiles(), ", "))
	}
	for _, r := range c.StringSlice("route") {
		prefix, to, ok := strings.Cut(r, "=")
		if !ok || (to != "idp" && to != "cdr") {
			return nil, usagef("run-test: --route %q: want URL-PREFIX=idp or URL-PREFIX=cdr", r)
		}
		if opt.Routes == nil {
			opt.Routes = map[string]string{}
		}
		opt.Routes[prefix] = to
	}
	for _, spec := range cdrFaultSpecs(c.StringSlice("cdr-fault")) {
		f, err := pqtest.ParseCDRFault(spec)
		if err != nil {
			return nil, usagef("run-test: --cdr-fault %v", err)
		}
		opt.CDRFaults = append(opt.CDRFaults, f)
	}
	if f := c.String("idp-config"); f != "" {
		cfg, err := mockidp.LoadConfig(f)
		if err != nil {
			return nil, usagef("run-test: --idp-config: %v", err)
		}
		opt.IDPConfig = &cfg
	}
	if now := c.Timestamp("now"); now != nil {
		opt.Start = *now
	}
	om, err := pqtest.StartOAuthMock(c.Context, x, opt)
	var le *host.LoginError
	switch {
	case err == nil:
		return om, nil
	case errors.As(err, &le):
		if f := c.String("mock-journal"); f != "" {
			if jerr := atomicfile.Write(f, 0o644, func(w io.Writer) error { return pqtest.WriteIDPJournal(w, le.Journal) }); jerr != nil {
				return nil, failf("run-test: --mock-journal: %v", jerr)
			}
		}
		return nil, failf("run-test: --oauth-mock %s: %v", profile, err)
	default:
		return nil, usagef("run-test: --oauth-mock %s: %v", profile, err)
	}
}

// cdrFaultSpecs puts --cdr-fault values back together: the flag package
// splits "401,after=2" at the comma, so a key=value item belongs to the
// fault before it.
func cdrFaultSpecs(items []string) []string {
	var specs []string
	for _, it := range items {
		if strings.Contains(it, "=") && len(specs) > 0 {
			specs[len(specs)-1] += "," + it
			continue
		}
		specs = append(specs, it)
	}
	return specs
}

// newHTTPClient is the client for --allow-network; Web.Contents applies
// its own per-request Timeout option on top.
func newHTTPClient() *http.Client { return &http.Client{Timeout: 10 * time.Minute} }
