package main

import (
	"encoding/json"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"
	"golang.org/x/term"
)

// output carries the global output settings of one invocation.
type output struct {
	stdout, stderr io.Writer
	json           bool // --json: machine output on stdout
	quiet          bool // --quiet: only errors on stderr
}

// outputOf returns the output settings for the command's context. The
// --json flag may be given globally (pqx --json build) or, where a command
// defines it, after the command (pqx inspect --json FILE).
func outputOf(c *cli.Context) output {
	o := output{stdout: c.App.Writer, stderr: c.App.ErrWriter}
	for _, ctx := range c.Lineage() {
		if ctx.Bool("json") {
			o.json = true
		}
		if ctx.Bool("quiet") {
			o.quiet = true
		}
	}
	return o
}

// printf writes human output to stdout unless --quiet or --json is set.
func (o output) printf(format string, args ...any) {
	if o.quiet || o.json {
		return
	}
	fmt.Fprintf(o.stdout, format, args...)
}

// warnf writes a warning to stderr unless --quiet is set.
func (o output) warnf(format string, args ...any) {
	if o.quiet {
		return
	}
	fmt.Fprintf(o.stderr, format, args...)
}

// writeJSON writes v as indented JSON to stdout.
func (o output) writeJSON(v any) error {
	enc := json.NewEncoder(o.stdout)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(v)
}

// color reports whether w may receive ANSI colour: a terminal, and NO_COLOR
// (https://no-color.org) unset or empty.
func color(w io.Writer) bool {
	if os.Getenv("NO_COLOR") != "" || os.Getenv("TERM") == "dumb" {
		return false
	}
	f, ok := w.(*os.File)
	return ok && term.IsTerminal(int(f.Fd()))
}
