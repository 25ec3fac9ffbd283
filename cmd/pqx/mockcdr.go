package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"os"
	"os/signal"
	"strings"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/mockcdr"
)

func init() {
	registerSub("mock", &cli.Command{
		Name:      "cdr",
		Usage:     "run a mock openEHR CDR (EHRbase, Better, DIPS or spec profile) on loopback",
		UsageText: "pqx mock cdr [--profile ehrbase|better|dips|spec] [--addr 127.0.0.1:0] [--config FILE]",
		Description: `Serves the openEHR REST API the way a vendor's CDR does, for connector tests
without a real CDR: ad-hoc and stored AQL queries (GET and POST), stored
query and template definitions, EHR look-ups, the vendor's paging rules,
error bodies and quirks (EHRbase's 422 for fetch with LIMIT or offset
without fetch; Better leaving out rows past the end; DIPS' byte order mark
and _schemaVersion). Queries are answered from fixtures (the AQL corpus
Q1–Q12 and a 10,007-row bulk query) over seeded data of 25 EHRs; unknown AQL
gets the vendor's 400. GET /__mock/fixtures lists the fixture AQL.

Authentication defaults to EHRbase's Basic users (ehrbase-user /
SuperSecretPassword with role USER, ehrbase-admin / EvenMoreSecretPassword
with ADMIN; well-known test values). With --jwks-url, Bearer JWTs are
verified against that key set (the mock IDP's /jwks) and, under the ehrbase
profile, EHRbase's role rule applies: USER, ADMIN or PROFILE in
realm_access.roles or scope, so Entra-style tokens get 403.

The control API under /__mock/ (loopback clients only) serves the request
log (GET /__mock/requests), schedules faults (POST /__mock/faults with
{"kind", "count", "after", "path", "fixture", "retry_after", "delay"}; kinds
429, 503, 502, 504, 401, 500, empty, truncated, ignore-offset, ignore-fetch,
slow, bom, no-rows, null-rows, html, or any other 4xx/5xx code) and resets
state (POST /__mock/reset).

The URLs are printed as JSON on stdout (and written to --url-file). The
server listens on loopback only and stops cleanly on SIGINT or SIGTERM.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Aliases: []string{"p"}, Usage: "vendor `PROFILE`: ehrbase, better, dips or spec (default ehrbase, or the config's)"},
			&cli.StringFlag{Name: "addr", Usage: "loopback `HOST:PORT` to listen on; port 0 picks a free port (default 127.0.0.1:0)"},
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML or JSON config `FILE` (profile, seed, auth, limits, faults timing)"},
			&cli.StringFlag{Name: "auth", Usage: "authentication `MODE`: none, basic, bearer or both (default basic, both with --jwks-url)"},
			&cli.StringFlag{Name: "jwks-url", Usage: "loopback `URL` of the JWKS that signs Bearer tokens"},
			&cli.StringFlag{Name: "issuer", Usage: "required token issuer `URL` (exact match; default: not checked)"},
			&cli.Uint64Flag{Name: "seed", Usage: "data generator `SEED` (default 1)"},
			&cli.IntFlag{Name: "max-fetch", Usage: "reject fetch above `N` with 422, as EHRbase's max-fetch"},
			&cli.IntFlag{Name: "default-limit", Usage: "cap queries without fetch or LIMIT at `N` rows, as EHRbase's default-limit"},
			&cli.BoolFlag{Name: "legacy-sq-list", Usage: "list stored queries as EHRbase < 2.30 did ({versions: [...]} without q)"},
			&cli.StringFlag{Name: "fixed-time", Usage: "freeze the clock at `RFC3339` time, so answers are byte-identical between runs"},
			&cli.BoolFlag{Name: "fixtures", Usage: "list the fixture queries (id, rows, AQL) and exit; with --json as JSON"},
			&cli.StringFlag{Name: "url-file", Usage: "write the URL JSON atomically to `FILE` once the server accepts connections"},
		},
		Action: runMockCDR,
	})
}

func runMockCDR(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 0 {
		return usagef("mock cdr takes no arguments (got %q)", c.Args().First())
	}
	if c.Bool("fixtures") {
		return listFixtures(c, out)
	}
	var cfg mockcdr.Config
	if f := c.String("config"); f != "" {
		var err error
		if cfg, err = mockcdr.LoadConfig(f); err != nil {
			return usagef("%v", err)
		}
	}
	if p := c.String("profile"); p != "" {
		if _, err := mockcdr.LookupProfile(p); err != nil {
			return usagef("--profile: %v", err)
		}
		cfg.Profile = strings.ToLower(p)
	}
	if c.IsSet("addr") {
		cfg.Addr = c.String("addr")
	}
	if cfg.Addr == "" {
		cfg.Addr = "127.0.0.1:0"
	}
	if err := mockcdr.CheckLoopbackAddr(cfg.Addr); err != nil {
		return usagef("--addr: %v", err)
	}
	if c.IsSet("auth") {
		cfg.Auth.Mode = c.String("auth")
	}
	if c.IsSet("jwks-url") {
		cfg.Auth.JWKSURL = c.String("jwks-url")
	}
	if c.IsSet("issuer") {
		cfg.Auth.Issuer = c.String("issuer")
	}
	if c.IsSet("seed") {
		cfg.Seed = c.Uint64("seed")
	}
	if c.IsSet("max-fetch") {
		cfg.MaxFetch = c.Int("max-fetch")
	}
	if c.IsSet("default-limit") {
		cfg.DefaultLimit = c.Int("default-limit")
	}
	if ft := c.String("fixed-time"); ft != "" {
		t, err := time.Parse(time.RFC3339, ft)
		if err != nil {
			return usagef("--fixed-time: %q is not an RFC 3339 time (e.g. 2026-03-01T09:00:00Z)", ft)
		}
		cfg.FixedTime = t
	}
	if c.Bool("legacy-sq-list") {
		cfg.LegacyStoredQueryList = true
	}
	srv, err := mockcdr.New(cfg)
	if err != nil {
		return usagef("%v", err)
	}
	// Subscribe before listening so a signal sent as soon as the URLs are
	// announced is never lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := srv.Start(); err != nil {
		return failf("listen on %s: %v", cfg.Addr, err)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(srv.Info()); err != nil {
		srv.Close()
		return failf("%v", err)
	}
	if f := c.String("url-file"); f != "" {
		if err := atomicfile.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			srv.Close()
			return failf("--url-file: %v", err)
		}
	}
	out.stdout.Write(buf.Bytes())
	out.warnf("pqx: mock CDR (%s) serving %s; stop with Ctrl-C\n", srv.Profile().Name, srv.BaseURL())
	var sig os.Signal
	select {
	case sig = <-sigs:
	case <-c.Context.Done():
		sig = syscall.SIGTERM
	}
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	if err := srv.Shutdown(ctx); err != nil {
		srv.Close()
		return failf("stopping: %v", err)
	}
	out.warnf("pqx: mock CDR stopped (%s)\n", sig)
	return nil
}

// listFixtures prints the fixture corpus so users can paste the exact AQL
// into Power BI (only these queries have answers).
func listFixtures(c *cli.Context, out output) error {
	srv, err := mockcdr.New(mockcdr.Config{Seed: c.Uint64("seed")})
	if err != nil {
		return usagef("%v", err)
	}
	type row struct {
		ID      string          `json:"id"`
		Title   string          `json:"title"`
		Rows    int             `json:"rows"`
		Params  []mockcdr.Param `json:"params,omitempty"`
		Invalid bool            `json:"invalid,omitempty"`
		AQL     string          `json:"aql"`
	}
	var rows []row
	for _, f := range mockcdr.Fixtures() {
		rows = append(rows, row{f.ID, f.Title, srv.FixtureRows(f.ID), f.Params, f.Invalid, f.AQL})
	}
	if out.json {
		return out.writeJSON(rows)
	}
	for _, r := range rows {
		rowsText := fmt.Sprintf("%d rows", r.Rows)
		if r.Invalid {
			rowsText = "400"
		}
		var ps []string
		for _, p := range r.Params {
			ps = append(ps, "$"+p.Name+" ("+p.Type+")")
		}
		if len(ps) > 0 {
			rowsText += ", parameters " + strings.Join(ps, ", ")
		}
		fmt.Fprintf(out.stdout, "%s: %s [%s]\n  %s\n", r.ID, r.Title, rowsText, r.AQL)
	}
	return nil
}
