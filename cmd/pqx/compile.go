package main

import (
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/mez"
)

func init() {
	register(&cli.Command{
		Name:      "compile",
		Usage:     "package a connector source folder into a .mez (MakePQX compile)",
		ArgsUsage: "[SRCDIR] [-d DIR] [-t NAME]",
		Description: `Packages the top-level files of SRCDIR (default: the current folder) into a
.mez, with MakePQX's rules, so scripts that ran "MakePQX.exe compile" can run
"pqx compile" with the same arguments:

  - only files directly in SRCDIR are packaged, never subfolders;
  - files matching the gitignore-style rules in SRCDIR/.pqignore are left out;
    without a .pqignore (or with an empty one) the default rules are
    *.query.pq *.test.pq *.testconnection.pq *.mproj *.proj *.md, and a
    .pqignore replaces them, so repeat *.query.pq there if you want it;
    bin out obj .vs .vscode .idea .git are always left out;
  - exactly one section document must remain: a .pq file that is not
    .query.pq, or a .m file.

The .mez goes to DIR/NAME.mez; DIR defaults to SRCDIR/bin/AnyCPU/Debug (a
relative DIR is taken under SRCDIR) and NAME to SRCDIR's folder name. Flags
may come before or after SRCDIR, as MakePQX allows.

The archive is reproducible: entries sorted as on Windows (case-insensitive),
deflated (empty files stored), every timestamp set from SOURCE_DATE_EPOCH or
1980-01-01, so two runs give identical bytes. It is written atomically.

Prints {"TargetMezRootPath": ..., "RelativePathsOfContent": [...]} as
MakePQX does (suppressed by --quiet).

Exit status: 0 ok, 1 the package could not be written, 2 usage error, missing
SRCDIR, a malformed .pqignore or not exactly one section document (MakePQX:
-2).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "directory", Aliases: []string{"d"}, Usage: "output `DIR` (default SRCDIR/bin/AnyCPU/Debug)"},
			&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "output file `NAME` without .mez (default: SRCDIR's folder name)"},
			&cli.BoolFlag{Name: "json", Usage: "same output as without it (MakePQX always prints JSON)"},
		},
		SkipFlagParsing: true,
		Action:          runCompile,
	})
}

// compileResult is MakePQX's compile output.
type compileResult struct {
	TargetMezRootPath      string
	RelativePathsOfContent []string
}

func runCompile(c *cli.Context) error {
	var dir, target string
	args, out, err := parseArgs(c, []argSpec{
		{names: []string{"d", "directory"}, str: &dir},
		{names: []string{"t", "target"}, str: &target},
	})
	if err != nil || args == nil {
		return err
	}
	if len(args) > 1 {
		return usagef("compile takes one SRCDIR, got %d arguments: %s", len(args), strings.Join(args, " "))
	}
	src := "."
	if len(args) == 1 {
		src = args[0]
	}
	src, err = filepath.Abs(src)
	if err != nil {
		return failf("%v", err)
	}
	if fi, err := os.Stat(src); err != nil || !fi.IsDir() {
		return usagef("build source directory: '%s' doesn't exist", src)
	}
	files, err := mez.Collect(src)
	if err != nil {
		if errors.Is(err, mez.ErrSectionDocument) || errors.Is(err, mez.ErrNoSourceDir) || errors.Is(err, mez.ErrInvalidPattern) {
			return usagef("%v", err)
		}
		return failf("%v", err)
	}
	if dir == "" {
		dir = filepath.Join(src, "bin", "AnyCPU", "Debug")
	} else if !filepath.IsAbs(dir) {
		dir = filepath.Join(src, dir)
	}
	if target == "" {
		target = filepath.Base(src)
	}
	if !strings.EqualFold(filepath.Ext(target), ".mez") {
		target += ".mez"
	}
	if strings.ContainsAny(target, `/\`) {
		return usagef("--target %q: a file name, not a path (use -d for the folder)", target)
	}
	modTime, err := mez.ModTime()
	if err != nil {
		return usagef("%v", err)
	}
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return failf("%v", err)
	}
	path := filepath.Join(dir, target)
	if filepath.Clean(dir) == src {
		// MakePQX deletes an existing output before collecting, so a .mez
		// written into SRCDIR itself is never packaged into the next one.
		kept := files[:0]
		for _, f := range files {
			if !strings.EqualFold(f.Name, target) {
				kept = append(kept, f)
			}
		}
		files = kept
	}
	p, err := mez.Prepare(files, mez.Options{})
	if err != nil {
		return usagef("%s: %v", src, err)
	}
	if err := atomicfile.Write(path, 0o644, func(w io.Writer) error {
		return mez.WritePrepared(w, p, mez.Options{ModTime: modTime})
	}); err != nil {
		return failf("writing %s: %v", path, err)
	}
	res := compileResult{TargetMezRootPath: path, RelativePathsOfContent: make([]string, len(files))}
	for i, f := range files {
		res.RelativePathsOfContent[i] = f.Name
	}
	if out.quiet {
		return nil
	}
	return out.writeJSON(res)
}

// argSpec is one flag of a command that parses its own arguments.
type argSpec struct {
	names []string // without dashes; one-letter or not, both accept - and --
	str   *string  // value flag
	flag  *bool    // boolean flag
}

// parseArgs parses the arguments of a command declared with
// SkipFlagParsing, allowing flags after positional arguments as MakePQX's
// parser does ("compile . -t Foo"). Flags take "-x v", "-x=v", "--xx v" or
// "--xx=v"; "--" ends flags. --json and --quiet are understood everywhere
// and merged into the returned output settings. A nil result with a nil
// error means help was printed.
func parseArgs(c *cli.Context, specs []argSpec) ([]string, output, error) {
	out := outputOf(c)
	var jsonOut, quiet bool
	specs = append(specs,
		argSpec{names: []string{"json"}, flag: &jsonOut},
		argSpec{names: []string{"q", "quiet"}, flag: &quiet})
	var pos []string
	in := c.Args().Slice()
	for i := 0; i < len(in); i++ {
		a := in[i]
		if a == "--" {
			pos = append(pos, in[i+1:]...)
			break
		}
		if len(a) < 2 || a[0] != '-' {
			pos = append(pos, a)
			continue
		}
		name := strings.TrimLeft(a, "-")
		value, hasValue := "", false
		if k, v, ok := strings.Cut(name, "="); ok {
			name, value, hasValue = k, v, true
		}
		if name == "h" || name == "help" || name == "?" {
			cli.HelpPrinter(c.App.Writer, cli.CommandHelpTemplate, c.Command)
			return nil, out, nil
		}
		var spec *argSpec
		for j := range specs {
			for _, n := range specs[j].names {
				if strings.EqualFold(n, name) {
					spec = &specs[j]
				}
			}
		}
		if spec == nil {
			return nil, out, usagef("flag provided but not defined: %s (see 'pqx %s --help')", a, c.Command.Name)
		}
		if spec.flag != nil {
			if hasValue {
				b, err := parseBool(value)
				if err != nil {
					return nil, out, usagef("flag %s: %v", a, err)
				}
				*spec.flag = b
			} else {
				*spec.flag = true
			}
			continue
		}
		if !hasValue {
			if i+1 >= len(in) {
				return nil, out, usagef("flag needs an argument: %s", a)
			}
			i++
			value = in[i]
		}
		*spec.str = value
	}
	out.json = out.json || jsonOut
	out.quiet = out.quiet || quiet
	if pos == nil {
		pos = []string{}
	}
	return pos, out, nil
}

func parseBool(s string) (bool, error) {
	switch strings.ToLower(s) {
	case "1", "t", "true", "yes":
		return true, nil
	case "0", "f", "false", "no":
		return false, nil
	}
	return false, fmt.Errorf("invalid boolean %q", s)
}
