// Command pqx builds, packages, signs, verifies and tests Power Query custom
// connectors on any OS. See README.md for the command reference.
//
// Exit codes: 0 success, 1 the job failed (a tenant, a test, a verification),
// 2 usage or configuration error. Verbs that mirror MakePQX (verify) keep
// MakePQX's own codes and say so in their help.
package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"regexp"
	"sort"

	"github.com/urfave/cli/v2"
)

// positionRE matches a message that starts with file:line:col.
var positionRE = regexp.MustCompile(`^[^\s:]+:[0-9]+:[0-9]+: `)

// Exit codes shared by every command.
const (
	exitOK      = 0
	exitFailure = 1
	exitUsage   = 2
)

// commands is filled by register calls in each command's file, so adding a
// command never touches this file.
var commands []*cli.Command

// subcommands holds subcommands by parent name, so that `pqx mock idp` and
// `pqx mock cdr` can live in their own files.
var subcommands = map[string][]*cli.Command{}

// register adds a top-level command. Call it from an init function.
func register(c *cli.Command) { commands = append(commands, c) }

// registerSub adds a subcommand to the top-level command named parent.
// Call it from an init function; the order of init calls does not matter.
func registerSub(parent string, c *cli.Command) {
	subcommands[parent] = append(subcommands[parent], c)
}

func main() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) }

// run executes the CLI with the given arguments and streams and returns the
// process exit code. It never calls os.Exit, so tests can run it in-process.
func run(args []string, stdin io.Reader, stdout, stderr io.Writer) int {
	app := newApp(stdin, stdout, stderr)
	err := app.Run(args)
	if err == nil {
		return exitOK
	}
	code := exitFailure
	var ec cli.ExitCoder
	if errors.As(err, &ec) {
		code = ec.ExitCode()
	}
	if msg := err.Error(); msg != "" {
		if positionRE.MatchString(msg) {
			// Diagnostics lead with file:line:col like a compiler's.
			fmt.Fprintln(stderr, msg)
		} else {
			fmt.Fprintf(stderr, "pqx: %s\n", msg)
		}
	}
	return code
}

func newApp(stdin io.Reader, stdout, stderr io.Writer) *cli.App {
	cmds := append([]*cli.Command(nil), commands...)
	sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
	for _, c := range cmds {
		if subs := subcommands[c.Name]; len(subs) > 0 {
			c.Subcommands = append([]*cli.Command(nil), subs...)
			sort.Slice(c.Subcommands, func(i, j int) bool { return c.Subcommands[i].Name < c.Subcommands[j].Name })
		}
		setUsageErrors(c)
	}
	return &cli.App{
		Name:                 "pqx",
		Usage:                "build, package, sign, verify and test Power Query custom connectors",
		Version:              versionString(),
		EnableBashCompletion: true,
		Reader:               stdin,
		Writer:               stdout,
		ErrWriter:            stderr,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "write machine-readable JSON to stdout"},
			&cli.BoolFlag{Name: "quiet", Aliases: []string{"q"}, Usage: "print only errors"},
		},
		Commands:       cmds,
		OnUsageError:   usageError,
		ExitErrHandler: func(*cli.Context, error) {}, // run maps errors to exit codes
		CommandNotFound: func(c *cli.Context, name string) {
			fmt.Fprintf(c.App.ErrWriter, "pqx: unknown command %q (see 'pqx --help')\n", name)
		},
	}
}

// setUsageErrors makes flag errors of c and its subcommands exit with code 2.
func setUsageErrors(c *cli.Command) {
	if c.OnUsageError == nil {
		c.OnUsageError = usageError
	}
	for _, s := range c.Subcommands {
		setUsageErrors(s)
	}
}

func usageError(_ *cli.Context, err error, _ bool) error {
	return cli.Exit(err.Error(), exitUsage)
}

// usagef reports a usage or configuration error (exit 2).
func usagef(format string, args ...any) error {
	return cli.Exit(fmt.Sprintf(format, args...), exitUsage)
}

// failf reports that the job failed (exit 1).
func failf(format string, args ...any) error {
	return cli.Exit(fmt.Sprintf(format, args...), exitFailure)
}
