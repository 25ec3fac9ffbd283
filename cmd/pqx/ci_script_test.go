package main

import (
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"

	"github.com/rhysd/actionlint"
	"github.com/rogpeppe/go-internal/testscript"

	"github.com/pqxdev/pqx/internal/ci"
)

func init() {
	// actionlint FILE...: every workflow is actionlint-clean (with
	// negation: at least one finding), findings printed to stdout.
	scriptCmds["actionlint"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) == 0 {
			ts.Fatalf("usage: actionlint FILE...")
		}
		opts := &actionlint.LinterOptions{}
		// run: scripts go through shellcheck where it is installed.
		if sc, err := exec.LookPath("shellcheck"); err == nil {
			opts.Shellcheck = sc
		}
		l, err := actionlint.NewLinter(io.Discard, opts)
		ts.Check(err)
		found := 0
		for _, a := range args {
			errs, err := l.Lint(a, []byte(ts.ReadFile(a)), nil)
			ts.Check(err)
			for _, e := range errs {
				ts.Logf("%s:%d:%d: %s [%s]", a, e.Line, e.Column, e.Message, e.Kind)
				_, _ = ts.Stdout().Write([]byte(e.Message + " [" + e.Kind + "]\n"))
			}
			found += len(errs)
		}
		if found > 0 && !neg {
			ts.Fatalf("actionlint: %d problems", found)
		}
		if found == 0 && neg {
			ts.Fatalf("actionlint: no problems found")
		}
	}
	// azurecheck FILE: the pipeline passes pqx's structural schema.
	scriptCmds["azurecheck"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 1 {
			ts.Fatalf("usage: azurecheck FILE")
		}
		err := ci.CheckAzure([]byte(ts.ReadFile(args[0])))
		if err != nil {
			_, _ = ts.Stdout().Write([]byte(err.Error() + "\n"))
		}
		if err != nil && !neg {
			ts.Fatalf("azurecheck: %v", err)
		}
		if err == nil && neg {
			ts.Fatalf("azurecheck: no problems found")
		}
	}
	// replacein FILE OLD NEW: replace the first OLD in FILE by NEW (an
	// edit a user might make to a generated file).
	scriptCmds["replacein"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if len(args) != 3 || neg {
			ts.Fatalf("usage: replacein FILE OLD NEW")
		}
		data := ts.ReadFile(args[0])
		if !strings.Contains(data, args[1]) {
			ts.Fatalf("replacein: %q not in %s", args[1], args[0])
		}
		data = strings.Replace(data, args[1], args[2], 1)
		ts.Check(os.WriteFile(ts.MkAbs(args[0]), []byte(data), 0o644))
	}
	// $CI_GOLDEN is internal/ci/testdata, whose golden pipelines the CLI
	// output must equal.
	scriptSetups = append(scriptSetups, func(env *testscript.Env) error {
		dir, err := filepath.Abs("../../internal/ci/testdata")
		if err != nil {
			return err
		}
		if _, err := os.Stat(dir); err != nil {
			return err
		}
		env.Setenv("CI_GOLDEN", dir)
		return nil
	})
}
