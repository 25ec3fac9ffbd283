package main

import (
	"bufio"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"strconv"
	"strings"
	"syscall"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/broker"
)

func init() {
	configFlag := &cli.StringFlag{Name: "config", Aliases: []string{"c"}, Usage: "broker configuration `FILE` (YAML)", Required: true}
	register(&cli.Command{
		Name:  "broker",
		Usage: "run the client_credentials token broker fronted by Basic auth",
		Description: `The broker holds an OAuth client secret inside your network and lets a
connector that only speaks HTTP Basic (Power Query's UsernamePassword kind)
reach an API that needs a bearer token from a client_credentials grant.

Proxy mode: point the connector at https://BROKER/t/TARGET/ (or at the
target's mount: path); the broker checks the caller's Basic credentials, drops
them, and forwards the request to the target's upstream with a cached bearer
token.

Token vending: POST /token (Basic auth, form field target=NAME) answers with
RFC 6749 JSON whose expires_in is the token's remaining lifetime.

Also served: GET /healthz (IDP reachability, cache state) and GET /metrics
(Prometheus). See 'pqx broker schema' for the configuration format.`,
	})
	registerSub("broker", &cli.Command{
		Name:  "serve",
		Usage: "serve a broker configuration until SIGINT or SIGTERM",
		Description: `Serves the listeners of the configuration. SIGHUP re-reads the file
(secrets, callers, targets, TLS certificates) without dropping requests; an
invalid file is logged and the running configuration kept. SIGINT or SIGTERM
stop accepting connections and wait for requests in flight (limits.
shutdown_timeout). Logs go to stderr, with tokens and secrets redacted.

Exit status: 0 after a clean shutdown, 1 if serving failed, 2 for an invalid
configuration.`,
		Flags: []cli.Flag{
			configFlag,
			&cli.StringFlag{Name: "addr-file", Usage: "write the listener URLs, one per line, to `FILE` once they accept connections"},
			&cli.StringFlag{Name: "pid-file", Usage: "write the process id to `FILE` (for kill -HUP)"},
		},
		Action: runBrokerServe,
	})
	registerSub("broker", &cli.Command{
		Name:  "check",
		Usage: "validate a broker configuration (and optionally fetch a token per target)",
		Description: `Parses and validates the configuration: unknown keys, bad values, non-loopback
plain listeners, unreadable secrets or TLS files and unknown targets are
reported as file:line:col. With --fetch, one token is requested per target,
exactly as the broker would, to verify client secrets and audiences; tokens
are never printed.

Exit status: 0 valid, 1 a --fetch token request failed, 2 invalid.`,
		Flags: []cli.Flag{
			configFlag,
			&cli.BoolFlag{Name: "fetch", Usage: "request one token per target from its identity provider"},
		},
		Action: runBrokerCheck,
	})
	registerSub("broker", &cli.Command{
		Name:  "hash-password",
		Usage: "read a caller password from stdin and print its argon2id hash",
		Description: `Reads one password (the first line of stdin, or a prompt without echo on a
terminal) and prints an argon2id PHC string for a caller's password_hash.`,
		Action: runBrokerHash,
	})
	registerSub("broker", &cli.Command{
		Name:   "schema",
		Usage:  "print the JSON Schema of the broker configuration",
		Action: func(c *cli.Context) error { _, err := c.App.Writer.Write(broker.Schema); return err },
	})
}

func loadBrokerConfig(c *cli.Context) (*broker.Config, error) {
	cfg, err := broker.Load(c.String("config"))
	if err != nil {
		var ce broker.ConfigErrors
		if errors.As(err, &ce) {
			return nil, usagef("invalid configuration:\n%v", err)
		}
		return nil, usagef("%v", err)
	}
	return cfg, nil
}

func runBrokerCheck(c *cli.Context) error {
	out := outputOf(c)
	cfg, err := loadBrokerConfig(c)
	if err != nil {
		return err
	}
	type summary struct {
		File      string               `json:"file"`
		Valid     bool                 `json:"valid"`
		Listeners int                  `json:"listeners"`
		Targets   int                  `json:"targets"`
		Callers   int                  `json:"callers"`
		Checks    []broker.TargetCheck `json:"checks,omitempty"`
	}
	s := summary{File: cfg.File(), Valid: true, Listeners: len(cfg.Listeners), Targets: len(cfg.Targets), Callers: len(cfg.Callers)}
	out.printf("%s: valid (%d listeners, %d targets, %d callers)\n", s.File, s.Listeners, s.Targets, s.Callers)
	failed := 0
	if c.Bool("fetch") {
		s.Checks = broker.CheckTargets(c.Context, cfg, nil)
		for _, r := range s.Checks {
			if r.OK {
				out.printf("  %-20s ok: token valid for %ds (%.0f ms)\n", r.Target, r.ExpiresIn, r.Seconds*1000)
			} else {
				failed++
				out.printf("  %-20s FAILED: %s\n", r.Target, r.Error)
			}
		}
	}
	if out.json {
		if err := out.writeJSON(s); err != nil {
			return err
		}
	}
	if failed > 0 {
		return failf("%d of %d targets could not get a token", failed, len(s.Checks))
	}
	return nil
}

func runBrokerServe(c *cli.Context) error {
	out := outputOf(c)
	path := c.String("config")
	if _, err := loadBrokerConfig(c); err != nil {
		return err
	}
	if pf := c.String("pid-file"); pf != "" {
		if err := atomicfile.WriteFile(pf, []byte(strconv.Itoa(os.Getpid())+"\n"), 0o644); err != nil {
			return failf("pid file: %v", err)
		}
		defer os.Remove(pf)
	}
	ctx, stop := signal.NotifyContext(c.Context, os.Interrupt, syscall.SIGTERM)
	defer stop()
	hup := make(chan os.Signal, 1)
	signal.Notify(hup, syscall.SIGHUP)
	defer signal.Stop(hup)
	var readyErr error
	opts := broker.RunOptions{
		Reload: hup,
		Ready: func(urls []string) {
			if af := c.String("addr-file"); af != "" {
				readyErr = atomicfile.WriteFile(af, []byte(strings.Join(urls, "\n")+"\n"), 0o644)
			}
			if out.json {
				out.writeJSON(map[string]any{"urls": urls})
			} else {
				for _, u := range urls {
					out.printf("pqx broker listening on %s\n", u)
				}
			}
		},
	}
	if cfg, err := broker.Load(path); err == nil {
		opts.Logger = broker.NewLogger(c.App.ErrWriter, cfg.Log.Format, cfg.Log.Level)
	}
	if err := broker.Run(ctx, path, opts); err != nil {
		var ce broker.ConfigErrors
		if errors.As(err, &ce) {
			return usagef("invalid configuration:\n%v", err)
		}
		return failf("broker: %v", err)
	}
	if readyErr != nil {
		return failf("addr file: %v", readyErr)
	}
	return nil
}

func runBrokerHash(c *cli.Context) error {
	var pw []byte
	if f, ok := c.App.Reader.(*os.File); ok && term.IsTerminal(int(f.Fd())) {
		fmt.Fprint(c.App.ErrWriter, "Password: ")
		b, err := term.ReadPassword(int(f.Fd()))
		fmt.Fprintln(c.App.ErrWriter)
		if err != nil {
			return failf("reading password: %v", err)
		}
		pw = b
	} else {
		line, err := bufio.NewReader(c.App.Reader).ReadString('\n')
		if err != nil && !errors.Is(err, io.EOF) {
			return failf("reading password: %v", err)
		}
		pw = []byte(strings.TrimRight(line, "\r\n"))
	}
	if len(pw) == 0 {
		return usagef("empty password on stdin")
	}
	h, err := broker.HashPassword(pw)
	if err != nil {
		return failf("%v", err)
	}
	fmt.Fprintln(c.App.Writer, h)
	return nil
}
