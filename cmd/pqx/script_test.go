package main

import (
	"os"
	"testing"

	"github.com/rogpeppe/go-internal/testscript"
)

// scriptCmds are custom testscript commands (mockidp, mockcdr, ...). Other
// _test.go files add to it from init functions.
var scriptCmds = map[string]func(ts *testscript.TestScript, neg bool, args []string){}

// scriptSetups run for every script after the common setup; other _test.go
// files add to it from init functions.
var scriptSetups []func(env *testscript.Env) error

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
			for _, setup := range scriptSetups {
				if err := setup(env); err != nil {
					return err
				}
			}
			return nil
		},
		Cmds: scriptCmds,
	})
}
