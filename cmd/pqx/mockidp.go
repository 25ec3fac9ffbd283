package main

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"os"
	"os/signal"
	"sort"
	"syscall"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/mockidp"
)

func init() {
	registerSub("mock", &cli.Command{
		Name:      "idp",
		Usage:     "run a strict mock OAuth 2.0 / OpenID Connect identity provider on loopback",
		UsageText: "pqx mock idp [--profile NAME] [--addr 127.0.0.1:0] [--config FILE] [--endpoints-file FILE]",
		Description: `Serves a mock authorization server for headless connector tests: /authorize
answers 302 to the redirect URI without a login page; the token endpoint
enforces PKCE (with downgrade protection), single-use codes, exact
redirect_uri matching, client authentication and refresh-token rotation with
reuse detection, and answers every error with the RFC 6749 code and status
plus a hint. Discovery, RFC 8414 metadata, JWKS, userinfo, RFC 7662
introspection and RFC 7009 revocation are served too.

A profile (--profile) reproduces one IDP's quirks: endpoint paths, audience
mechanism, rotation mode, lifetimes, error statuses. --profiles lists them.
A config file (--config, YAML or JSON) names the profile, overrides profile
fields, and registers clients, users and APIs.

Without a config, three clients exist (test values, not secrets):
  pqx-public        public, PKCE, redirect https://oauth.powerbi.com/views/oauthredirect.html
  pqx-confidential  secret pqx-confidential-secret, same redirect
  pqx-service       secret pqx-service-secret, client_credentials only

The issuer and endpoint URLs are printed as JSON on stdout (and written to
--endpoints-file). The control API under /_mock/ (loopback clients only)
scripts authorize outcomes, injects faults, advances the virtual clock,
resets state and serves the request journal as JSON lines; see
internal/mockidp/README.md.

The server listens on loopback only and stops cleanly on SIGINT or SIGTERM.

--self-test starts a private instance and checks its guarantees (RFC 7636
vector, discovery, the headless dance, code replay, wrong verifier,
redirect_uri mismatch, unknown client, the profile's refresh rotation);
exit 1 if any check fails.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "profile", Aliases: []string{"p"}, Usage: "IDP profile `NAME` (default strict-rfc, or the config's)"},
			&cli.StringFlag{Name: "addr", Value: "127.0.0.1:0", Usage: "loopback `HOST:PORT` to listen on (port 0 picks a free port)"},
			&cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "YAML or JSON config `FILE` (profile, override, clients, users, apis)"},
			&cli.StringFlag{Name: "signing", Usage: "JWS algorithm `ALG` for tokens: ES256 or RS256 (default: the profile's)"},
			&cli.BoolFlag{Name: "auto-register", Usage: "register unknown client ids at /authorize with the redirect_uri they present"},
			&cli.StringFlag{Name: "start-time", Usage: "freeze the virtual clock at `RFC3339` time (default: real time plus advances)"},
			&cli.BoolFlag{Name: "enforce-rate-limits", Usage: "apply the profile's token-endpoint rate limit"},
			&cli.StringFlag{Name: "endpoints-file", Usage: "write the endpoint JSON atomically to `FILE` once the server accepts connections"},
			&cli.StringFlag{Name: "journal", Usage: "write the request journal as JSON lines to `FILE` when stopping"},
			&cli.BoolFlag{Name: "profiles", Usage: "list the built-in profiles and exit"},
			&cli.BoolFlag{Name: "self-test", Usage: "run the conformance self-test against the profile (all profiles without --profile) and exit"},
		},
		Action: runMockIDP,
	})
}

// mockIDPInfo is what `pqx mock idp` prints.
type mockIDPInfo struct {
	Profile string `json:"profile"`
	mockidp.Endpoints
	Clients []mockIDPClient `json:"clients"`
}

type mockIDPClient struct {
	ID           string   `json:"client_id"`
	Secret       string   `json:"client_secret,omitempty"`
	RedirectURIs []string `json:"redirect_uris,omitempty"`
}

func runMockIDP(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() > 0 {
		return usagef("mock idp takes no arguments (got %q)", c.Args().First())
	}
	if c.Bool("profiles") {
		return listProfiles(c, out)
	}
	if c.Bool("self-test") {
		return selfTestIDP(c, out)
	}
	var cfg mockidp.Config
	if f := c.String("config"); f != "" {
		var err error
		if cfg, err = mockidp.LoadConfig(f); err != nil {
			return usagef("%v", err)
		}
	}
	if p := c.String("profile"); p != "" {
		cfg.Profile = p
	}
	if s := c.String("signing"); s != "" {
		cfg.Signing = s
	}
	if c.Bool("auto-register") {
		cfg.AutoRegister = true
	}
	if c.Bool("enforce-rate-limits") {
		cfg.EnforceRateLimits = true
	}
	if st := c.String("start-time"); st != "" {
		t, err := time.Parse(time.RFC3339, st)
		if err != nil {
			return usagef("--start-time: %q is not an RFC 3339 time (e.g. 2026-03-01T09:00:00Z)", st)
		}
		cfg.StartTime = t
	}
	addr := c.String("addr")
	if err := mockidp.CheckLoopback(addr); err != nil {
		return usagef("--addr: %v", err)
	}
	srv, err := mockidp.New(cfg)
	if err != nil {
		return usagef("%v", err)
	}
	// Subscribe before listening so a signal sent as soon as the endpoints
	// are announced is never lost.
	sigs := make(chan os.Signal, 1)
	signal.Notify(sigs, os.Interrupt, syscall.SIGTERM)
	defer signal.Stop(sigs)
	if err := srv.Start(addr); err != nil {
		return failf("listen on %s: %v", addr, err)
	}
	info := mockIDPInfo{Profile: srv.Profile().Name, Endpoints: srv.Endpoints()}
	for _, cl := range configuredClients(cfg) {
		mc := mockIDPClient{ID: cl.ID, RedirectURIs: cl.RedirectURIs}
		if len(cfg.Clients) == 0 {
			mc.Secret = cl.Secret // fixed test values, documented in the help
		}
		info.Clients = append(info.Clients, mc)
	}
	var buf bytes.Buffer
	enc := json.NewEncoder(&buf)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	if err := enc.Encode(info); err != nil {
		return failf("%v", err)
	}
	if f := c.String("endpoints-file"); f != "" {
		if err := atomicfile.WriteFile(f, buf.Bytes(), 0o644); err != nil {
			srv.Close()
			return failf("--endpoints-file: %v", err)
		}
	}
	out.stdout.Write(buf.Bytes())
	out.warnf("pqx: mock IDP (%s) listening on %s; stop with Ctrl-C\n", info.Profile, srv.URL())
	sig := <-sigs
	closeErr := srv.Close()
	if f := c.String("journal"); f != "" {
		if err := atomicfile.Write(f, 0o644, func(w io.Writer) error {
			_, err := srv.Journal().WriteJSONLines(w, nil)
			return err
		}); err != nil {
			return failf("--journal: %v", err)
		}
	}
	if closeErr != nil {
		return failf("stopping: %v", closeErr)
	}
	out.warnf("pqx: mock IDP stopped (%s)\n", sig)
	return nil
}

func configuredClients(cfg mockidp.Config) []mockidp.Client {
	if len(cfg.Clients) > 0 {
		return cfg.Clients
	}
	return mockidp.DefaultClients()
}

func listProfiles(c *cli.Context, out output) error {
	type row struct {
		Name        string `json:"name"`
		Description string `json:"description"`
		Rotation    string `json:"rotation"`
	}
	var rows []row
	for _, n := range mockidp.Profiles() {
		p, err := mockidp.LoadProfile(n)
		if err != nil {
			return failf("%v", err)
		}
		rows = append(rows, row{p.Name, p.Description, p.Refresh.Rotation})
	}
	sort.Slice(rows, func(i, j int) bool { return rows[i].Name < rows[j].Name })
	if out.json {
		return out.writeJSON(rows)
	}
	for _, r := range rows {
		fmt.Fprintf(out.stdout, "%-15s %-21s %s\n", r.Name, r.Rotation, r.Description)
	}
	return nil
}

func selfTestIDP(c *cli.Context, out output) error {
	profiles := mockidp.Profiles()
	if p := c.String("profile"); p != "" {
		if _, err := mockidp.LoadProfile(p); err != nil {
			return usagef("%v", err)
		}
		profiles = []string{p}
	}
	type result struct {
		Profile string          `json:"profile"`
		Checks  []mockidp.Check `json:"checks"`
	}
	var results []result
	failed := 0
	for _, p := range profiles {
		checks, err := mockidp.SelfTest(p)
		if err != nil {
			return failf("self-test %s: %v", p, err)
		}
		results = append(results, result{p, checks})
		for _, ch := range checks {
			if !ch.OK {
				failed++
				fmt.Fprintf(out.stderr, "FAIL %s: %s: %s\n", p, ch.Name, ch.Detail)
			} else {
				out.printf("ok   %s: %s\n", p, ch.Name)
			}
		}
	}
	if out.json {
		if err := out.writeJSON(results); err != nil {
			return err
		}
	}
	if failed > 0 {
		return failf("self-test: %d checks failed", failed)
	}
	return nil
}
