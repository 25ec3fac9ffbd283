package main

import "github.com/urfave/cli/v2"

func init() {
	register(&cli.Command{
		Name:  "mock",
		Usage: "run a mock server (identity provider, openEHR CDR) on loopback for tests",
	})
}
