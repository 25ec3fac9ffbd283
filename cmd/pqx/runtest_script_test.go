package main

import (
	"encoding/xml"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// runtest-junit FILE key=value... parses a JUnit report written by
// pqx run-test and checks its counts (tests, failures, errors, skipped at
// the root) and, for case=NAME:STATE, one test case's outcome (passed,
// failure, error, skipped).
func init() {
	scriptCmds["runtest-junit"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 1 {
			ts.Fatalf("usage: runtest-junit FILE [tests=N] [failures=N] [errors=N] [skipped=N] [case=NAME:STATE]...")
		}
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		type problem struct {
			Message string `xml:"message,attr"`
		}
		var doc struct {
			XMLName  xml.Name `xml:"testsuites"`
			Tests    int      `xml:"tests,attr"`
			Failures int      `xml:"failures,attr"`
			Errors   int      `xml:"errors,attr"`
			Skipped  int      `xml:"skipped,attr"`
			Suites   []struct {
				Name  string `xml:"name,attr"`
				Tests int    `xml:"tests,attr"`
				Cases []struct {
					Name    string   `xml:"name,attr"`
					Time    string   `xml:"time,attr"`
					Failure *problem `xml:"failure"`
					Error   *problem `xml:"error"`
					Skipped *problem `xml:"skipped"`
				} `xml:"testcase"`
			} `xml:"testsuite"`
		}
		if err := xml.Unmarshal(data, &doc); err != nil {
			ts.Fatalf("%s is not JUnit XML: %v", args[0], err)
		}
		n := 0
		for _, s := range doc.Suites {
			if s.Tests != len(s.Cases) {
				ts.Fatalf("suite %s: tests=%d but %d test cases", s.Name, s.Tests, len(s.Cases))
			}
			n += len(s.Cases)
		}
		if n != doc.Tests {
			ts.Fatalf("root tests=%d but %d test cases", doc.Tests, n)
		}
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			if k == "case" {
				name, state, _ := strings.Cut(v, ":")
				found := false
				for _, s := range doc.Suites {
					for _, c := range s.Cases {
						if c.Name != name {
							continue
						}
						found = true
						if _, err := strconv.ParseFloat(c.Time, 64); err != nil {
							ts.Fatalf("case %s: time %q is not a number", name, c.Time)
						}
						got := "passed"
						switch {
						case c.Failure != nil:
							got = "failure"
						case c.Error != nil:
							got = "error"
						case c.Skipped != nil:
							got = "skipped"
						}
						if got != state {
							ts.Fatalf("case %s: %s, want %s", name, got, state)
						}
					}
				}
				if !found {
					ts.Fatalf("no test case %s", name)
				}
				continue
			}
			want, err := strconv.Atoi(v)
			ts.Check(err)
			got := map[string]int{"tests": doc.Tests, "failures": doc.Failures, "errors": doc.Errors, "skipped": doc.Skipped}
			g, ok := got[k]
			if !ok {
				ts.Fatalf("unknown check %s", k)
			}
			if g != want {
				ts.Fatalf("%s=%d, want %d", k, g, want)
			}
		}
	}
}
