package main

import (
	"io"
	"os"
	"os/signal"
	"slices"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
)

func init() {
	register(&cli.Command{
		Name:      "test",
		Usage:     "run every tenant's OAuth dance, TestConnection and refresh headless against mock IDP and CDR",
		ArgsUsage: "[PROJECT]",
		Description: `Plays Power BI Desktop and the service for each tenant of the project in
PROJECT (without PROJECT: the embedded default connector). For each tenant it
builds the connector, starts a strict mock IDP with the tenant's IDP profile
and a mock openEHR CDR with the tenant's vendor profile on 127.0.0.1, and runs
the connector's own M code the way the Power Query engine does:

  OAuth tenants: StartLogin (3 or 4 parameters) with a host-made state; the
  LoginUri checked (response_type, client_id, redirect_uri, state, S256
  code_challenge recomputed from Context); the LoginUri followed without a
  browser until navigation reaches CallbackUri; FinishLogin (3 or 5) in a NEW
  evaluation with the same Context and state; TestConnection and a query with
  the returned credential; the virtual clock advanced past expires_in; Refresh
  (2 or 3) twice, checking that a rotated refresh token is kept; parallel
  refreshes with one refresh token, reporting what the IDP did; and
  FinishLogin given an error callback and a wrong state, which it must refuse
  without a token request. With --soak DAYS, a new sign-in followed by Refresh
  twice a virtual day (the service's scheduled refresh) for DAYS days reports
  the day the IDP's refresh-token lifetimes force a new interactive sign-in.

  Basic and broker tenants: TestConnection and a query with a UsernamePassword
  credential, and a wrong password that must be rejected.

Every request the M code makes goes through a router that sends the tenant's
IDP and CDR URLs to the mocks and refuses any other non-loopback address.

With --package FILE it tests a connector pqx did not build (.mez, .pqx or a
folder): --idp-profile selects the mock IDP profile, which registers the
client_id and redirect URI it sees, and each --route PREFIX=idp|cdr sends the
connector's hard-coded URLs with that prefix to the mock IDP or mock CDR.
Without an idp route the origin of StartLogin's LoginUri goes to the mock IDP.

--idp-config FILE lays a mock IDP scenario over every tenant's IDP (faults
such as a 502 HTML page on the first refresh, scripted authorize outcomes,
profile overrides; the format of pqx mock idp --config), so a test can check
how the connector reports an IDP failure.

Prints each step with ok/FAIL and its time; for a failed tenant the M error
with its source position and the IDP journal. --junit FILE also writes JUnit
XML for CI. Exit status: 0 all passed, 1 a step failed, 2 usage error.`,
		Flags: []cli.Flag{
			&cli.StringSliceFlag{Name: "tenant", Aliases: []string{"t"}, Usage: "test only tenants whose id matches `GLOB` (repeatable)"},
			&cli.StringFlag{Name: "junit", Usage: "write JUnit XML results to `FILE`"},
			&cli.BoolFlag{Name: "json", Usage: "print results as JSON"},
			&cli.BoolFlag{Name: "verbose", Aliases: []string{"v"}, Usage: "print what each step checked, and every IDP journal"},
			&cli.IntFlag{Name: "parallel-refresh", Value: 4, Usage: "`N` refreshes fired at once with one refresh token (0 skips)"},
			&cli.IntFlag{Name: "soak", Usage: "add a scheduled-refresh soak: refresh twice a virtual day for `DAYS` days and report the day a new sign-in is needed"},
			&cli.StringFlag{Name: "idp-config", Usage: "lay the mock IDP config or scenario `FILE` (faults, authorize outcomes, override; YAML or JSON) over each tenant's IDP"},
			&cli.StringFlag{Name: "package", Usage: "test the connector in `FILE` (.mez, .pqx or folder) instead of a project"},
			&cli.StringFlag{Name: "idp-profile", Value: "strict-rfc", Usage: "mock IDP `PROFILE` for --package (" + strings.Join(mockidp.Profiles(), ", ") + ")"},
			&cli.StringFlag{Name: "cdr-profile", Value: "ehrbase", Usage: "mock CDR `PROFILE` for --package (" + strings.Join(mockcdr.Profiles(), ", ") + ")"},
			&cli.StringSliceFlag{Name: "route", Usage: "with --package, `PREFIX=idp|cdr` sends URLs starting with PREFIX to the mock IDP or CDR (repeatable)"},
			&cli.StringSliceFlag{Name: "query", Usage: "M `EXPRESSION` evaluated with the credential after TestConnection (repeatable, --package)"},
		},
		Action: runTest,
	})
}

func runTest(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 1 {
		return usagef("test takes at most one PROJECT folder, got %d arguments", c.NArg())
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	n := c.Int("parallel-refresh")
	if n == 0 {
		n = -1
	} else if n < 0 || n > 64 {
		return usagef("--parallel-refresh %d: want 0 to 64", n)
	}
	soak := c.Int("soak")
	if soak < 0 || soak > 3650 {
		return usagef("--soak %d: want 0 to 3650 days", soak)
	}
	var idpConfig *mockidp.Config
	if f := c.String("idp-config"); f != "" {
		cfg, err := mockidp.LoadConfig(f)
		if err != nil {
			return usagef("%v", err)
		}
		idpConfig = &cfg
	}
	var results []*host.Result
	if pkg := c.String("package"); pkg != "" {
		if c.NArg() > 0 || len(c.StringSlice("tenant")) > 0 {
			return usagef("--package tests one connector; it takes no PROJECT or --tenant")
		}
		if !slices.Contains(mockidp.Profiles(), c.String("idp-profile")) {
			return usagef("--idp-profile %q: want one of %s", c.String("idp-profile"), strings.Join(mockidp.Profiles(), ", "))
		}
		routes := map[string]string{}
		for _, r := range c.StringSlice("route") {
			prefix, to, ok := strings.Cut(r, "=")
			if !ok || (to != "idp" && to != "cdr") {
				return usagef("--route %q: want URL-PREFIX=idp or URL-PREFIX=cdr", r)
			}
			routes[prefix] = to
		}
		res, err := host.TestPackage(ctx, pkg, host.PackageOptions{
			IDPProfile: c.String("idp-profile"), CDRProfile: c.String("cdr-profile"),
			Routes: routes, IDPConfig: idpConfig, Journal: c.Bool("verbose"), Queries: c.StringSlice("query"), ParallelRefresh: n, SoakDays: soak,
		})
		if err != nil {
			return usagef("%v", err)
		}
		results = []*host.Result{res}
	} else {
		if c.IsSet("route") || c.IsSet("idp-profile") || c.IsSet("query") {
			return usagef("--route, --idp-profile and --query go with --package")
		}
		p, err := loadProject(c.Args().First())
		if err != nil {
			return err
		}
		results, err = host.TestProject(ctx, p, host.SuiteOptions{Tenants: c.StringSlice("tenant"), ParallelRefresh: n, SoakDays: soak, IDPConfig: idpConfig, Journal: c.Bool("verbose")})
		if err != nil {
			return usagef("%v", err)
		}
	}
	if f := c.String("junit"); f != "" {
		if err := atomicfile.Write(f, 0o644, func(w io.Writer) error { return host.WriteJUnit(w, results) }); err != nil {
			return failf("writing %s: %v", f, err)
		}
	}
	if out.json {
		if err := host.WriteJSON(out.stdout, results); err != nil {
			return err
		}
	} else if !out.quiet {
		host.WriteText(out.stdout, results, c.Bool("verbose"))
	}
	failed := 0
	for _, r := range results {
		if r.Failed() {
			failed++
		}
	}
	if failed > 0 {
		return failf("%d of %d tenant(s) failed", failed, len(results))
	}
	return nil
}
