package host

import (
	"github.com/pqxdev/pqx/internal/junit"

	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"strings"
	"time"
)

// WriteText prints results for people: one line per tenant and per step
// with its status and time; details with verbose; for a failed tenant the
// M error with its position and the mock IDP's journal.
func WriteText(w io.Writer, results []*Result, verbose bool) {
	failed := 0
	for _, r := range results {
		status := "ok"
		if r.Failed() {
			status = "FAIL"
			failed++
		}
		fmt.Fprintf(w, "%-4s %s (%s)\n", status, r.Name, ms(r.Duration))
		for _, s := range r.Steps {
			mark := map[string]string{StatusOK: "ok", StatusFail: "FAIL", StatusSkip: "skip"}[s.Status]
			line := fmt.Sprintf("  %-4s %-42s %9s", mark, s.Name, ms(s.Duration))
			if (verbose || s.Report || s.Status == StatusSkip) && s.Detail != "" {
				line += "  " + s.Detail
			}
			fmt.Fprintln(w, strings.TrimRight(line, " "))
			if s.Error != "" {
				fmt.Fprintln(w, indentText(s.Error, "         "))
			}
		}
		if r.Parallel != nil && verbose {
			p := r.Parallel
			fmt.Fprintf(w, "       parallel refresh: %d requests, %d succeeded, %d failed, login again: %v\n", p.Requests, p.Succeeded, p.Failed, p.LoginAgain)
		}
		if (r.Failed() || verbose) && len(r.Journal) > 0 {
			fmt.Fprintf(w, "       IDP journal (%d requests):\n", len(r.Journal))
			for _, e := range r.Journal {
				line := fmt.Sprintf("%s %s %d %s", e.Endpoint, e.Method, e.Status, e.Reason)
				if e.GrantType != "" {
					line += " grant_type=" + e.GrantType
				}
				if e.Error != "" {
					line += " error=" + e.Error
				}
				if e.Hint != "" {
					line += ": " + e.Hint
				}
				fmt.Fprintln(w, "         "+strings.TrimSpace(line))
			}
		}
	}
	fmt.Fprintf(w, "%d tenant(s), %d failed\n", len(results), failed)
}

func ms(d time.Duration) string {
	return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000)
}

func indentText(s, prefix string) string {
	return prefix + strings.ReplaceAll(strings.TrimRight(s, "\n"), "\n", "\n"+prefix)
}

// WriteJSON writes the results as one JSON document.
func WriteJSON(w io.Writer, results []*Result) error {
	failed := 0
	for _, r := range results {
		if r.Failed() {
			failed++
		}
	}
	enc := json.NewEncoder(w)
	enc.SetIndent("", "  ")
	enc.SetEscapeHTML(false)
	return enc.Encode(struct {
		Tenants int       `json:"tenants"`
		Failed  int       `json:"failed"`
		Results []*Result `json:"results"`
	}{len(results), failed, results})
}

// WriteJUnit writes the results as JUnit XML: a testsuite per tenant and a
// testcase per step, the IDP journal of a failed tenant in system-out.
func WriteJUnit(w io.Writer, results []*Result) error {
	out := &junit.Suites{Name: "pqx test"}
	var total time.Duration
	for _, r := range results {
		s := junit.Suite{Name: r.Name, Time: junit.Seconds(r.Duration)}
		total += r.Duration
		for _, st := range r.Steps {
			c := junit.Case{Name: st.Name, Classname: "pqx.test." + r.Name, Time: junit.Seconds(st.Duration)}
			switch st.Status {
			case StatusFail:
				first, _, _ := strings.Cut(st.Error, "\n")
				c.Failure = &junit.Problem{Message: first, Type: "fail", Body: st.Error}
			case StatusSkip:
				c.Skipped = &junit.Problem{Message: st.Detail}
			}
			s.Cases = append(s.Cases, c)
		}
		if r.Failed() && len(r.Journal) > 0 {
			var b bytes.Buffer
			enc := json.NewEncoder(&b)
			for _, e := range r.Journal {
				enc.Encode(e)
			}
			s.SystemOut = b.String()
		}
		out.Add(s)
	}
	out.Time = junit.Seconds(total)
	return junit.Write(w, out)
}
