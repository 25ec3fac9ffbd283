package pqtest

import (
	"github.com/pqxdev/pqx/internal/junit"

	"fmt"
	"io"
	"path/filepath"
	"strings"
	"time"
)

// JSONResult is one test in PQTest's JSON result shape
// ([{Name, Status, Output: [{SourceFilePath, OutputFilePath, Status, ...}]}]).
type JSONResult struct {
	Name      string
	Status    Status
	Details   string `json:",omitempty"`
	StartTime string
	EndTime   string
	Duration  string
	Output    []JSONOutput
}

// JSONOutput is the Output entry of a JSONResult.
type JSONOutput struct {
	SourceFilePath   string
	OutputFilePath   string
	Status           Status
	SerializedSource string `json:",omitempty"`
	ExpectedOutput   string `json:",omitempty"`
	Diff             string `json:",omitempty"`
	OutputWritten    bool   `json:",omitempty"`
}

// JSON converts results to PQTest's JSON shape.
func JSON(rs []Result) []JSONResult {
	out := make([]JSONResult, len(rs))
	for i, r := range rs {
		out[i] = JSONResult{
			Name: r.Query, Status: r.Status, Details: r.Details,
			StartTime: r.Start.UTC().Format(time.RFC3339Nano),
			EndTime:   r.Start.Add(r.Elapsed).UTC().Format(time.RFC3339Nano),
			Duration:  r.Elapsed.String(),
			Output: []JSONOutput{{
				SourceFilePath: r.Query, OutputFilePath: r.Output, Status: r.Status,
				SerializedSource: r.Actual, ExpectedOutput: normalize(r.Expected), Diff: r.Diff,
				OutputWritten: r.Written,
			}},
		}
	}
	return out
}

// WriteJUnit writes results as a JUnit XML report: one test suite per
// folder of query files, one test case per query.
func WriteJUnit(w io.Writer, rs []Result) error {
	root := &junit.Suites{Name: "pqx run-test"}
	var suites []junit.Suite
	index := map[string]int{}
	durs := map[int]time.Duration{}
	var total time.Duration
	for _, r := range rs {
		dir := filepath.ToSlash(filepath.Dir(r.Query))
		k, ok := index[dir]
		if !ok {
			k = len(suites)
			index[dir] = k
			suites = append(suites, junit.Suite{Name: dir, Timestamp: r.Start.UTC().Format("2006-01-02T15:04:05")})
		}
		s := &suites[k]
		c := junit.Case{
			Name:      strings.TrimSuffix(filepath.Base(r.Query), ".query.pq"),
			Classname: dir,
			Time:      junit.Seconds(r.Elapsed),
		}
		switch r.Status {
		case Failed:
			c.Failure = &junit.Problem{Message: r.Details, Type: "mismatch", Body: r.Diff}
		case Error:
			c.Error = &junit.Problem{Message: firstLine(r.Details), Body: r.Details}
		case Skipped:
			c.Skipped = &junit.Problem{Message: r.Details}
		default:
			if r.Written {
				c.SystemOut = r.Details
			}
		}
		durs[k] += r.Elapsed
		s.Time = junit.Seconds(durs[k])
		total += r.Elapsed
		s.Cases = append(s.Cases, c)
	}
	for _, s := range suites {
		root.Add(s)
	}
	root.Time = junit.Seconds(total)
	return junit.Write(w, root)
}

func firstLine(s string) string {
	l, _, _ := strings.Cut(s, "\n")
	return l
}

// WriteText writes the human report: one line per test, the details and
// diff of failures, and a summary line.
func WriteText(w io.Writer, rs []Result, verbose bool) {
	for _, r := range rs {
		switch r.Status {
		case Passed:
			note := ""
			if r.Written {
				note = " (" + r.Details + ")"
			}
			fmt.Fprintf(w, "PASS  %s%s\n", r.Query, note)
		case Skipped:
			fmt.Fprintf(w, "SKIP  %s: %s\n", r.Query, r.Details)
		case Failed:
			fmt.Fprintf(w, "FAIL  %s: %s\n", r.Query, r.Details)
			if r.Diff != "" {
				fmt.Fprint(w, indent(r.Diff))
			} else if r.Actual != "" && verbose {
				fmt.Fprint(w, indent("actual: "+r.Actual+"\n"))
			}
		case Error:
			fmt.Fprintf(w, "ERROR %s:\n%s", r.Query, indent(r.Details+"\n"))
		}
	}
	s := Summary(rs)
	fmt.Fprintf(w, "%d passed, %d failed, %d errors, %d skipped\n", s[Passed], s[Failed], s[Error], s[Skipped])
}

func indent(s string) string {
	lines := strings.SplitAfter(s, "\n")
	var b strings.Builder
	for _, l := range lines {
		if l != "" {
			b.WriteString("    " + l)
		}
	}
	return b.String()
}
