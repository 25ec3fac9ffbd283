package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// TestMain registers pqx as a testscript command that runs in-process.
func TestMain(m *testing.M) {
	testscript.Main(m, map[string]func(){
		"pqx": func() { os.Exit(run(os.Args, os.Stdin, os.Stdout, os.Stderr)) },
	})
}

// TestScripts runs the txtar scripts in testscripts/.
func TestScripts(t *testing.T) {
	testscript.Run(t, testscript.Params{
		Dir:                 "../../testscripts",
		RequireExplicitExec: false,
		Setup: func(env *testscript.Env) error {
			env.Setenv("SOURCE_DATE_EPOCH", "")
			env.Setenv("NO_COLOR", "1")
			return nil
		},
	})
}
