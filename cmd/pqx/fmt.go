package main

import (
	"bytes"
	"fmt"
	"io"
	"os"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/printer"
	"github.com/pqxdev/pqx/internal/m/scanner"
)

func init() {
	register(&cli.Command{
		Name:      "fmt",
		Usage:     "format Power Query M sources canonically",
		ArgsUsage: "PATH...",
		Description: `Formats M sources (files, folders searched recursively, doublestar globs) in
the canonical pqx layout: 4-space indentation, one let variable per line,
constructs kept on one line when they fit in 100 columns, comments and single
blank lines kept. Formatting never changes meaning: the output parses to the
same syntax tree, and formatting it again changes nothing.

Without flags the formatted sources are written to stdout; PATH - formats
standard input to standard output (for editors). -w rewrites files
in place (atomically), -l lists the files whose formatting differs, -d prints
a unified diff. --check exits 1 when any file is not formatted (for CI).
A file that does not parse is reported with file:line:col and a caret, and
is left untouched. Packages (.mez, .pqx) cannot be formatted in place.

Exit status: 0 success, 1 a file does not parse (or --check found unformatted
files), 2 usage error.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "w", Usage: "write the result to the source files instead of stdout"},
			&cli.BoolFlag{Name: "l", Usage: "list files whose formatting differs"},
			&cli.BoolFlag{Name: "d", Usage: "print diffs instead of the formatted sources"},
			&cli.BoolFlag{Name: "check", Usage: "exit 1 if any file is not formatted (implies -l unless -d is given)"},
		},
		Action: runFmt,
	})
}

func runFmt(c *cli.Context) error {
	out := outputOf(c)
	if c.NArg() == 0 {
		return usagef("fmt needs at least one PATH (file, folder or glob)")
	}
	if c.NArg() == 1 && c.Args().First() == "-" {
		// Editor integration: format standard input to standard output.
		src, err := io.ReadAll(io.LimitReader(c.App.Reader, lint.MaxSourceFileSize+1))
		if err != nil {
			return failf("fmt: reading standard input: %v", err)
		}
		res, err := printer.Source("<stdin>", src)
		if err != nil {
			scanner.PrintError(out.stderr, err)
			return failf("fmt: standard input did not parse")
		}
		_, err = out.stdout.Write(res)
		return err
	}
	files, err := lint.Expand(c.Args().Slice())
	if err != nil {
		return usagef("fmt: %v", err)
	}
	write, list, diff, check := c.Bool("w"), c.Bool("l"), c.Bool("d"), c.Bool("check")
	if check && !diff {
		list = true
	}
	failed, unformatted := 0, 0
	for _, path := range files {
		if lint.IsArchive(path) {
			return usagef("fmt: %s: cannot format inside a package; format the source files", path)
		}
		srcs, err := lint.Load(path)
		if err != nil {
			return usagef("fmt: %v", err)
		}
		src := srcs[0].Content
		res, err := printer.Source(path, src)
		if err != nil {
			scanner.PrintError(out.stderr, err)
			failed++
			continue
		}
		changed := !bytes.Equal(src, res)
		if changed {
			unformatted++
		}
		if list && changed {
			fmt.Fprintln(out.stdout, path)
		}
		if diff && changed {
			out.stdout.Write(printer.Diff(path, src, res))
		}
		if write && changed {
			perm := os.FileMode(0o644)
			if fi, err := os.Stat(path); err == nil {
				perm = fi.Mode().Perm()
			}
			if err := atomicfile.WriteFile(path, res, perm); err != nil {
				return failf("fmt: %v", err)
			}
		}
		if !write && !list && !diff {
			out.stdout.Write(res)
		}
	}
	switch {
	case failed > 0:
		return failf("fmt: %s did not parse", lintPlural(failed, "file"))
	case check && unformatted > 0:
		return failf("fmt: %s not formatted (run pqx fmt -w)", lintPlural(unformatted, "file"))
	}
	return nil
}
