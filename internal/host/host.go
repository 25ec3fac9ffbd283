package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/mockidp"
)

// PowerBIRedirect is the CallbackUri every Power Query connector uses.
const PowerBIRedirect = mockidp.PowerBIRedirect

// Connector is a loaded connector: its section document and package files.
type Connector struct {
	Ext *extpkg.Extension
	// Kind is the data source kind the section declares.
	Kind string
	// Shared lists the section's shared member names.
	Shared []string
}

// LoadConnector reads a connector directory or a built .mez/.pqx package.
func LoadConnector(path string) (*Connector, error) {
	x, err := extpkg.Load(path)
	if err != nil {
		return nil, err
	}
	return newConnector(x)
}

// ConnectorFromFiles makes a connector from package files by name (as
// internal/build renders them); sectionFile names the section document.
func ConnectorFromFiles(sectionFile string, files map[string][]byte) (*Connector, error) {
	src, ok := files[sectionFile]
	if !ok {
		return nil, fmt.Errorf("no section document %s among the package files", sectionFile)
	}
	x := &extpkg.Extension{Path: sectionFile, SectionFile: sectionFile, Section: src, Files: files, Strings: map[string]string{}}
	if resx, ok := files["resources.resx"]; ok {
		s, err := extpkg.ParseResx(resx)
		if err != nil {
			return nil, fmt.Errorf("resources.resx: %w", err)
		}
		x.Strings = s
	}
	return newConnector(x)
}

func newConnector(x *extpkg.Extension) (*Connector, error) {
	th := eval.NewThread(eval.NewEnvironment(), nil)
	s, err := x.LoadInto(th)
	if err != nil {
		return nil, err
	}
	kind := extpkg.Kind(s)
	if kind == "" {
		return nil, fmt.Errorf("%s: no member has a DataSource.Kind attribute", x.SectionFile)
	}
	return &Connector{Ext: x, Kind: kind, Shared: s.Shared}, nil
}

// Options configure a Run.
type Options struct {
	// Router is the HTTP transport of every evaluation; it must route the
	// connector's IDP and CDR URLs to loopback. Required.
	Router *Router
	// Clock is the virtual time shared with the mocks; nil makes a frozen
	// clock at 2025-01-01.
	Clock *mockidp.Clock
	// IDP, when set, is the mock IDP the connector's OAuth URLs are routed
	// to: its journal is reported and the error-callback scenarios script
	// its /authorize outcomes.
	IDP *mockidp.Server
	// AutoRouteIDP routes the origin of StartLogin's LoginUri to IDP when no
	// route covers it (connectors not built by pqx, whose IDP URLs the host
	// learns only from the LoginUri).
	AutoRouteIDP bool
	// DataSourcePath is passed to the OAuth functions and TestConnection;
	// "" means the data source kind.
	DataSourcePath string
	// State is the OAuth state the host makes; "" derives one.
	State string
	// Username and Password are the UsernamePassword credential.
	Username, Password string
	// Queries are M expressions evaluated with the credential after
	// TestConnection (the connector's data functions).
	Queries []string
	// ParallelRefresh is how many refreshes fire at once with one refresh
	// token; 0 means 4, a negative value skips the scenario.
	ParallelRefresh int
	// SoakDays, when positive, adds the scheduled-refresh soak: a new login,
	// then Refresh every SoakEvery (0 means 12 h, twice a day as the Power
	// BI service's scheduled refresh) for that many virtual days.
	SoakDays  int
	SoakEvery time.Duration
	// Journal attaches the IDP journal to the result even when every step
	// passed (it always is on failure).
	Journal bool
	// Timeout bounds each evaluation; 0 means 30 s.
	Timeout time.Duration
}

// Step is the outcome of one step of a scenario.
type Step struct {
	Name string `json:"name"`
	// Status is ok, fail or skip.
	Status   string        `json:"status"`
	Duration time.Duration `json:"duration_ns"`
	// Detail says what was checked or seen.
	Detail string `json:"detail,omitempty"`
	// Report marks steps whose detail is a finding worth showing even
	// without -v (what the IDP did with parallel or scheduled refreshes).
	Report bool `json:"report,omitempty"`
	// Error is the failure; for M errors it is the error with where it was
	// raised and its call frames (compiler style).
	Error string `json:"error,omitempty"`
}

// Parallel is what the IDP did with concurrent refreshes of one token.
type Parallel struct {
	Requests  int      `json:"requests"`
	Succeeded int      `json:"succeeded"`
	Failed    int      `json:"failed"`
	Errors    []string `json:"errors,omitempty"`
	// Reasons counts the IDP's decisions ("token/refresh_rotated": 1, ...).
	Reasons map[string]int `json:"reasons,omitempty"`
	Effects []string       `json:"effects,omitempty"`
	// LoginAgain is true when afterwards the credential no longer refreshes:
	// the user would have to sign in again.
	LoginAgain bool `json:"login_again"`
}

// Result is the outcome of a Run.
type Result struct {
	Name string `json:"name"`
	Kind string `json:"kind"`
	// Auth lists the authentication kinds tested (OAuth, UsernamePassword…).
	Auth     []string        `json:"auth"`
	Steps    []Step          `json:"steps"`
	Parallel *Parallel       `json:"parallel,omitempty"`
	Soak     *Soak           `json:"soak,omitempty"`
	Journal  []mockidp.Entry `json:"idp_journal,omitempty"`
	Duration time.Duration   `json:"duration_ns"`
}

// Failed reports whether any step failed.
func (r *Result) Failed() bool {
	for _, s := range r.Steps {
		if s.Status == StatusFail {
			return true
		}
	}
	return false
}

// Step statuses.
const (
	StatusOK   = "ok"
	StatusFail = "fail"
	StatusSkip = "skip"
)

// session is one Run: the connector, its options and the shared effects
// (GUID sequence, clock) every fresh evaluation draws from.
type session struct {
	ctx  context.Context
	c    *Connector
	opt  Options
	res  *Result
	guid func() string
	clk  evalClock

	mu      sync.Mutex
	cancels []context.CancelFunc // of every evaluation's deadline, released by Run
	// cur is the OAuth credential record the host keeps, for
	// Extension.CurrentCredential(true).
	cur *token
	// refreshMu serialises forced refreshes, so each starts from the
	// newest refresh token; forced counts them.
	refreshMu sync.Mutex
	forced    int
}

// evalClock adapts the mocks' virtual clock to the evaluator: M sleeps
// (retries, Function.InvokeAfter) move shared virtual time forward.
type evalClock struct{ c *mockidp.Clock }

func (e evalClock) Now() time.Time { return e.c.Now() }

func (e evalClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	e.c.Advance(d)
	return nil
}

// lockedGuids makes one GUID sequence safe for concurrent evaluations. One
// sequence spans every evaluation of a run, so a section member computed
// from Text.NewGuid() differs between StartLogin and FinishLogin, as it does
// in Power Query.
func lockedGuids(seed uint32) func() string {
	var mu sync.Mutex
	next := eval.SequentialGuids(seed)
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		return next()
	}
}

// Run runs every scenario the connector's Authentication record calls for
// and returns the steps. It never returns nil.
func Run(ctx context.Context, c *Connector, opt Options) *Result {
	start := time.Now()
	res := &Result{Name: c.Kind, Kind: c.Kind}
	if opt.Router == nil {
		res.Steps = append(res.Steps, Step{Name: "setup", Status: StatusFail, Error: "host: no router (the HTTP client must route to loopback mocks)"})
		return res
	}
	if opt.ParallelRefresh == 0 {
		opt.ParallelRefresh = 4
	}
	s := newSession(ctx, c, opt, res)
	s.run()
	s.release()
	if (res.Failed() || opt.Journal) && opt.IDP != nil {
		res.Journal = opt.IDP.Journal().Entries()
	}
	res.Duration = time.Since(start)
	return res
}

// newSession fills the defaults of opt and makes a session reporting to res.
func newSession(ctx context.Context, c *Connector, opt Options, res *Result) *session {
	if opt.Clock == nil {
		opt.Clock = mockidp.NewClock(time.Date(2025, 1, 1, 0, 0, 0, 0, time.UTC))
	}
	if opt.DataSourcePath == "" {
		opt.DataSourcePath = c.Kind
	}
	if opt.State == "" {
		opt.State = "pqx-state-" + strings.ToLower(c.Kind)
	}
	if opt.Timeout == 0 {
		opt.Timeout = 30 * time.Second
	}
	return &session{ctx: ctx, c: c, opt: opt, res: res, guid: lockedGuids(7), clk: evalClock{opt.Clock}}
}

// release cancels the deadlines of the session's evaluations so far.
func (s *session) release() {
	s.mu.Lock()
	cancels := s.cancels
	s.cancels = nil
	s.mu.Unlock()
	for _, cancel := range cancels {
		cancel()
	}
}

func (s *session) run() {
	var kinds []string
	s.step("load", func(st *Step) error {
		var err error
		if kinds, err = s.authKinds(); err != nil {
			return err
		}
		st.Detail = "authentication " + strings.Join(kinds, ", ")
		return nil
	})
	if kinds == nil {
		return
	}
	s.res.Auth = kinds
	for _, k := range kinds {
		switch k {
		case "OAuth":
			s.runOAuth()
		case "UsernamePassword", "Windows":
			s.runUsernamePassword(k)
		case "Anonymous", "Implicit":
			s.testConnection("TestConnection (anonymous)", nil)
		default:
			s.res.Steps = append(s.res.Steps, Step{Name: k, Status: StatusSkip, Detail: k + " credentials are not simulated by the host"})
		}
	}
}

// authKinds loads the connector in a fresh evaluation and returns the
// names of its Authentication record's kinds (OAuth, UsernamePassword, …).
func (s *session) authKinds() ([]string, error) {
	th, sec, err := s.newEval(s.ctx, nil, true)
	if err != nil {
		return nil, err
	}
	kv, err := sec.Member(th, s.c.Kind)
	if err != nil {
		return nil, err
	}
	kr, ok := kv.(*eval.Record)
	if !ok {
		return nil, fmt.Errorf("the data source kind member %s is not a record", s.c.Kind)
	}
	av, err := kr.Field(th, "Authentication")
	if err != nil {
		return nil, err
	}
	auth, ok := av.(*eval.Record)
	if !ok || auth.Len() == 0 {
		return nil, fmt.Errorf("%s[Authentication] is not a non-empty record", s.c.Kind)
	}
	return auth.Names(), nil
}

// step runs fn as a named step and records its outcome and timing.
func (s *session) step(name string, fn func(st *Step) error) bool {
	st := Step{Name: name}
	t0 := time.Now()
	err := fn(&st)
	st.Duration = time.Since(t0)
	switch {
	case errors.Is(err, errSkip):
		st.Status = StatusSkip
	case err != nil:
		st.Status = StatusFail
		st.Error = describe(err)
	default:
		st.Status = StatusOK
	}
	s.res.Steps = append(s.res.Steps, st)
	return err == nil
}

var errSkip = errors.New("skipped")

// describe formats an error; M errors carry their origin and call frames.
func describe(err error) string {
	var me *eval.Error
	if errors.As(err, &me) {
		return strings.TrimRight(me.Backtrace(), "\n")
	}
	return err.Error()
}

// newEval starts a fresh evaluation under ctx: a new environment, so a new
// instance of the section whose members are all computed anew.
func (s *session) newEval(ctx context.Context, cred *eval.Credential, anonymous bool) (*eval.Thread, *eval.Section, error) {
	h := &eval.Host{
		HTTP:           &http.Client{Transport: s.opt.Router, Timeout: s.opt.Timeout},
		Clock:          s.clk,
		NewGuid:        s.guid,
		Credential:     cred,
		DataSourceKind: s.c.Kind,
	}
	if cred != nil && cred.AuthenticationKind == "OAuth" {
		// Extension.CurrentCredential(true): the engine runs Refresh and
		// hands out the new credential, which it keeps from then on.
		h.RefreshCredential = func() (*eval.Credential, error) {
			t, err := s.refreshCurrent(ctx)
			if err != nil {
				return nil, err
			}
			h.Credential = t.credential()
			return h.Credential, nil
		}
	}
	s.c.Ext.Configure(h)
	th := eval.NewThread(s.c.Ext.NewEnvironment(), h)
	th.Anonymous = anonymous
	ctx, cancel := context.WithTimeout(ctx, s.opt.Timeout)
	s.mu.Lock()
	s.cancels = append(s.cancels, cancel)
	s.mu.Unlock()
	th.Ctx = ctx
	sec, err := s.c.Ext.LoadInto(th)
	if err != nil {
		return nil, nil, err
	}
	return th, sec, nil
}

// authFunc returns Authentication[kind][name] of a fresh evaluation, or nil
// when the field is absent.
func (s *session) authFunc(th *eval.Thread, sec *eval.Section, kind, name string) (*eval.Function, error) {
	kv, err := sec.Member(th, s.c.Kind)
	if err != nil {
		return nil, err
	}
	av, err := kv.(*eval.Record).Field(th, "Authentication")
	if err != nil {
		return nil, err
	}
	ov, err := av.(*eval.Record).Field(th, kind)
	if err != nil {
		return nil, err
	}
	or, ok := ov.(*eval.Record)
	if !ok {
		return nil, fmt.Errorf("the Authentication record's %s field is not a record", kind)
	}
	fv, ok, err := or.Get(th, name)
	if err != nil || !ok {
		return nil, err
	}
	f, ok := fv.(*eval.Function)
	if !ok {
		return nil, fmt.Errorf("the Authentication record's %s.%s is not a function", kind, name)
	}
	return f, nil
}

// forced calls f and forces the whole result, so errors hidden in lazy
// fields surface here with their position.
func forced(th *eval.Thread, f *eval.Function, args ...eval.Value) (eval.Value, error) {
	v, err := th.Call(f, args...)
	if err == nil {
		err = th.DeepForce(v)
	}
	return v, err
}

// testConnection invokes the kind record's TestConnection with cred: the
// list it returns names a shared function and its arguments.
func (s *session) testConnection(name string, cred *eval.Credential) bool {
	return s.step(name, func(st *Step) error {
		var err error
		st.Detail, err = s.callTestConnection(cred)
		return err
	})
}

// callTestConnection evaluates TestConnection's call and returns what it
// produced.
func (s *session) callTestConnection(cred *eval.Credential) (string, error) {
	th, sec, err := s.newEval(s.ctx, cred, false)
	if err != nil {
		return "", err
	}
	kv, err := sec.Member(th, s.c.Kind)
	if err != nil {
		return "", err
	}
	tv, ok, err := kv.(*eval.Record).Get(th, "TestConnection")
	if err != nil {
		return "", err
	}
	if !ok {
		return "", fmt.Errorf("%s has no TestConnection: the Power BI service and gateway cannot refresh it", s.c.Kind)
	}
	tf, ok := tv.(*eval.Function)
	if !ok {
		return "", fmt.Errorf("%s[TestConnection] is not a function", s.c.Kind)
	}
	lv, err := forced(th, tf, eval.Str(s.opt.DataSourcePath))
	if err != nil {
		return "", err
	}
	l, ok := lv.(*eval.List)
	if !ok || l.Len() == 0 {
		return "", fmt.Errorf("TestConnection returned %s, want a list {\"SharedFunctionName\", args…}", eval.Serialize(th, lv))
	}
	items, err := l.Values(th)
	if err != nil {
		return "", err
	}
	fname, ok := items[0].(eval.Text)
	if !ok {
		return "", fmt.Errorf("TestConnection's first item is %s, want the name of a shared function", eval.Serialize(th, items[0]))
	}
	fv, found, err := th.Environment().Lookup(th, fname.S)
	if err != nil {
		return "", err
	}
	f, ok := fv.(*eval.Function)
	if !found || !ok {
		return "", fmt.Errorf("TestConnection names %q, which is not a shared function", fname.S)
	}
	v, err := forced(th, f, items[1:]...)
	if err != nil {
		return "", err
	}
	return fname.S + " → " + describeValue(v), nil
}

// runQueries evaluates Options.Queries with cred.
func (s *session) runQueries(cred *eval.Credential) {
	for i, q := range s.opt.Queries {
		s.step(fmt.Sprintf("query %d", i+1), func(st *Step) error {
			th, _, err := s.newEval(s.ctx, cred, false)
			if err != nil {
				return err
			}
			v, err := th.EvalSource(fmt.Sprintf("query%d.pq", i+1), []byte(q))
			if err == nil {
				err = th.DeepForce(v)
			}
			if err != nil {
				return err
			}
			st.Detail = describeValue(v)
			return nil
		})
	}
}

func describeValue(v eval.Value) string {
	switch v := v.(type) {
	case *eval.Table:
		return fmt.Sprintf("table of %d rows × %d columns", v.RowCount(), len(v.Columns()))
	case *eval.List:
		return fmt.Sprintf("list of %d items", v.Len())
	case *eval.Record:
		return fmt.Sprintf("record of %d fields", v.Len())
	default:
		return v.Kind().String()
	}
}

func (s *session) runUsernamePassword(kind string) {
	if s.opt.Username == "" {
		s.res.Steps = append(s.res.Steps, Step{Name: kind, Status: StatusSkip, Detail: "no user name configured"})
		return
	}
	cred := &eval.Credential{AuthenticationKind: kind, Username: s.opt.Username, Password: s.opt.Password}
	if s.testConnection("TestConnection ("+kind+")", cred) {
		s.runQueries(cred)
	}
	// A wrong password must be rejected, not silently ignored.
	bad := &eval.Credential{AuthenticationKind: kind, Username: s.opt.Username, Password: s.opt.Password + "-wrong"}
	s.step("wrong password rejected", func(st *Step) error {
		_, err := s.callTestConnection(bad)
		return s.expectCredentialError(st, err)
	})
}

func (s *session) expectCredentialError(st *Step, err error) error {
	if err == nil {
		return errors.New("TestConnection succeeded with a wrong password")
	}
	me := eval.AsError(err)
	if me == nil {
		return err
	}
	st.Detail = "rejected: " + me.Error()
	return nil
}

// NewConnector makes a connector from a loaded extension (extpkg.Load, or
// a rendered tenant's files); it fails when the section document does not
// parse or declares no data source kind.
func NewConnector(x *extpkg.Extension) (*Connector, error) { return newConnector(x) }
