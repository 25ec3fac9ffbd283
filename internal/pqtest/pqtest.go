// Package pqtest runs Power Query SDK test files the way PQTest.exe's
// run-compare does, on any OS: each *.query.pq (an M expression or a
// section document) is evaluated against a connector, its value is
// serialised in M literal syntax and compared with the sibling
// *.query.pqout. Missing outputs are written on the first run (unless
// FailOnMissingOutputFile), Update rewrites mismatching ones, and
// *.query.pq.ignore files skip tests found in a folder. Results are
// reported in PQTest's JSON shape, as JUnit XML, or as readable text with
// a diff of expected against actual.
//
// Comparison is semantic where formatting may differ: when the text of
// the .pqout differs from pqx's serialisation, the .pqout is evaluated
// and re-serialised, so a file written by PQTest on Windows (different
// spacing, `#datetime(2014,1,1,16,0,0.12345)`) still passes when it
// denotes the same value with the same types.
//
// PQTest can only sign in to an OAuth connector interactively. Here
// StartOAuthMock signs in headlessly with the connector's own StartLogin
// and FinishLogin at an in-process mock IDP (internal/host.Login), routes
// the connector's IDP and CDR URLs to mocks, and the run's Options.Login
// gives every test that credential, refreshed through the connector's
// Refresh when M asks for Extension.CurrentCredential(true).
package pqtest

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/m/scanner"
)

// Status is the outcome of one test, spelled as PQTest spells it.
type Status string

// Test outcomes.
const (
	Passed  Status = "Passed"
	Failed  Status = "Failed"
	Error   Status = "Error" // the test could not be run (syntax error, unreadable file)
	Skipped Status = "Skipped"
)

// Options configure a run.
type Options struct {
	// Extension is the connector the queries run against; nil runs them
	// against the standard library only.
	Extension *extpkg.Extension
	// Update rewrites .pqout files whose content differs from the result
	// (and writes missing ones even with FailOnMissingOutputFile).
	Update bool
	// FailOnMissingOutputFile fails a test whose .pqout does not exist
	// instead of writing it (PQTest's -fomof).
	FailOnMissingOutputFile bool
	// ParameterQueryFile, when set, is evaluated first and every test
	// query must be a one-argument function receiving its value. A test's
	// own sibling X.parameterquery.pq takes precedence.
	ParameterQueryFile string
	// Credential is the data source credential (nil: anonymous).
	Credential *eval.Credential
	// Login, when set, replaces Credential: each test starts with the
	// login's current credential, and Extension.CurrentCredential(true)
	// refreshes it (StartOAuthMock's Session). A refresh made by one test
	// is the credential of the following tests, as in Power Query.
	Login Login
	// HTTP performs Web.Contents requests; nil refuses them.
	HTTP *http.Client
	// Now, when set, freezes each test's clock at this time (a fresh
	// virtual clock per test) and makes Text.NewGuid a deterministic
	// sequence restarting for each test, so outputs are reproducible. The
	// zero value uses the real clock and random GUIDs.
	Now time.Time
	// Limits bounds each evaluation; the zero value means eval.DefaultLimits.
	Limits eval.Limits
	// Timeout bounds each test (0: none).
	Timeout time.Duration
}

// Test is one discovered query file.
type Test struct {
	// Query is the path of the X.query.pq file.
	Query string
	// Output is the path of its X.query.pqout file.
	Output string
	// ParameterQuery is the X.parameterquery.pq sibling, if any.
	ParameterQuery string
	// Ignored is set when an X.query.pq.ignore file skips the test.
	Ignored bool
}

// Result is the outcome of one test.
type Result struct {
	Test
	Status Status
	// Details says why a test failed, errored or was skipped, or that its
	// output file was written.
	Details string
	// Actual is the serialised result ("error [...]" for an M error).
	Actual string
	// Expected is the content of the .pqout file ("" if missing).
	Expected string
	// Diff is a line diff of expected against actual, for failures.
	Diff string
	// Written reports that the .pqout was written by this run.
	Written bool
	Start   time.Time
	Elapsed time.Duration
}

// Discover finds the tests named by paths: a *.query.pq file is a test
// (even if ignored: naming it runs it); a folder is searched recursively
// for *.query.pq files, and those with a sibling *.query.pq.ignore are
// reported as skipped. Tests are returned in path order.
func Discover(paths []string) ([]Test, error) {
	var out []Test
	seen := map[string]bool{}
	add := func(p string, ignored bool) {
		if seen[p] {
			return
		}
		seen[p] = true
		base := strings.TrimSuffix(p, ".query.pq")
		t := Test{Query: p, Output: base + ".query.pqout", Ignored: ignored}
		if fileExists(base + ".parameterquery.pq") {
			t.ParameterQuery = base + ".parameterquery.pq"
		}
		out = append(out, t)
	}
	for _, p := range paths {
		fi, err := os.Stat(p)
		if err != nil {
			return nil, err
		}
		if !fi.IsDir() {
			if !strings.HasSuffix(p, ".query.pq") {
				return nil, fmt.Errorf("%s: not a query file (want NAME.query.pq)", p)
			}
			add(p, false)
			continue
		}
		var found []string
		err = filepath.WalkDir(p, func(path string, d os.DirEntry, err error) error {
			if err != nil {
				return err
			}
			if d.IsDir() && path != p && strings.HasPrefix(d.Name(), ".") {
				return filepath.SkipDir
			}
			if !d.IsDir() && strings.HasSuffix(d.Name(), ".query.pq") {
				found = append(found, path)
			}
			return nil
		})
		if err != nil {
			return nil, err
		}
		for _, f := range found { // WalkDir visits in lexical order
			add(f, fileExists(f+".ignore"))
		}
	}
	return out, nil
}

func fileExists(p string) bool {
	fi, err := os.Stat(p)
	return err == nil && !fi.IsDir()
}

// Run runs the tests in order. It returns one result per test; an error
// is returned only for a failure to write an output file.
func Run(ctx context.Context, tests []Test, opt *Options) ([]Result, error) {
	out := make([]Result, 0, len(tests))
	for _, t := range tests {
		r := runOne(ctx, t, opt)
		if r.Status == Error && r.Written {
			return out, errors.New(r.Details)
		}
		out = append(out, r)
	}
	return out, nil
}

// Summary counts results by status.
func Summary(rs []Result) map[Status]int {
	m := map[Status]int{}
	for _, r := range rs {
		m[r.Status]++
	}
	return m
}

func runOne(ctx context.Context, t Test, opt *Options) (r Result) {
	r = Result{Test: t, Start: time.Now()}
	defer func() { r.Elapsed = time.Since(r.Start) }()
	if t.Ignored {
		r.Status, r.Details = Skipped, "ignored by "+filepath.Base(t.Query)+".ignore"
		return r
	}
	actual, err := evaluate(ctx, t, opt)
	if err != nil {
		r.Status, r.Details = Error, err.Error()
		return r
	}
	r.Actual = actual
	data, rerr := os.ReadFile(t.Output)
	switch {
	case errors.Is(rerr, os.ErrNotExist):
		if opt.FailOnMissingOutputFile && !opt.Update {
			r.Status, r.Details = Failed, "output file "+t.Output+" is missing (FailOnMissingOutputFile)"
			return r
		}
		return r.write(t.Output, "output file written")
	case rerr != nil:
		r.Status, r.Details = Error, rerr.Error()
		return r
	}
	r.Expected = string(data)
	if same(opt, r.Expected, actual) {
		r.Status = Passed
		return r
	}
	if opt.Update {
		return r.write(t.Output, "output file updated")
	}
	r.Status = Failed
	r.Details = "result differs from " + t.Output
	r.Diff = diffValues(opt, r.Expected, actual)
	return r
}

// write stores the actual result as the expected output.
func (r Result) write(path, note string) Result {
	if err := atomicfile.WriteFile(path, []byte(r.Actual+"\n"), 0o644); err != nil {
		r.Status, r.Details, r.Written = Error, err.Error(), true
		return r
	}
	r.Status, r.Details, r.Written = Passed, note, true
	r.Expected = r.Actual
	return r
}

// newThread returns a thread over a fresh environment with the connector
// loaded, as each PQTest query gets a fresh evaluation.
func newThread(ctx context.Context, opt *Options) (*eval.Thread, error) {
	h := &eval.Host{HTTP: opt.HTTP, Credential: opt.Credential}
	if opt.Login != nil {
		opt.Login.Configure(h)
	}
	if !opt.Now.IsZero() {
		h.Clock = eval.NewVirtualClock(opt.Now)
		h.NewGuid = eval.SequentialGuids(1)
	}
	env := eval.NewEnvironment()
	if opt.Extension != nil {
		opt.Extension.Configure(h)
	}
	th := eval.NewThread(env, h)
	th.Ctx = ctx
	if opt.Limits != (eval.Limits{}) {
		th.Limits = opt.Limits
	}
	if x := opt.Extension; x != nil {
		sec, err := x.LoadInto(th)
		if err != nil {
			return nil, describeErr(x.SectionFile, err)
		}
		h.DataSourceKind = extpkg.Kind(sec)
	}
	return th, nil
}

// evaluate runs a test query and returns its serialisation; an M error
// raised by the query is a result ("error [Reason = ...]"), anything else
// (syntax errors, unreadable files, exceeded bounds) is returned as err.
func evaluate(ctx context.Context, t Test, opt *Options) (string, error) {
	if opt.Timeout > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, opt.Timeout)
		defer cancel()
	}
	th, err := newThread(ctx, opt)
	if err != nil {
		return "", err
	}
	src, err := os.ReadFile(t.Query)
	if err != nil {
		return "", err
	}
	pq := t.ParameterQuery
	if pq == "" {
		pq = opt.ParameterQueryFile
	}
	var param eval.Value
	if pq != "" {
		psrc, err := os.ReadFile(pq)
		if err != nil {
			return "", err
		}
		param, err = th.EvalSource(pq, psrc)
		if err == nil {
			err = th.DeepForce(param)
		}
		if err != nil {
			if me := eval.AsError(err); me != nil && !me.Fatal {
				return "", fmt.Errorf("parameter query %s: %s", pq, me.Backtrace())
			}
			return "", describeErr(pq, err)
		}
	}
	v, err := th.EvalSource(t.Query, src)
	if err == nil && param != nil {
		f, ok := v.(*eval.Function)
		if !ok {
			return "", fmt.Errorf("%s: with a parameter query the test query must be a function of one argument, not a %s", t.Query, v.Kind())
		}
		v, err = th.Call(f, param)
	}
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		if me := eval.AsError(err); me != nil && !me.Fatal {
			return "error " + eval.Serialize(th, me.Rec), nil
		}
		return "", describeErr(t.Query, err)
	}
	return eval.Serialize(th, v), nil
}

// describeErr renders syntax error lists compiler-style and M errors with
// their backtrace.
func describeErr(name string, err error) error {
	var list scanner.ErrorList
	if errors.As(err, &list) {
		var b strings.Builder
		scanner.PrintError(&b, err)
		return fmt.Errorf("%s does not parse:\n%s", name, strings.TrimRight(b.String(), "\n"))
	}
	var me *eval.Error
	if errors.As(err, &me) {
		return errors.New(me.Backtrace())
	}
	return err
}
