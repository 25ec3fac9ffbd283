package host

import (
	"context"
	"errors"
	"fmt"
	"net/http"
	"slices"
	"strings"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockidp"
)

// LoginOptions configure Login.
type LoginOptions struct {
	// Mocks are running mocks to sign in at (StartTenantMocks,
	// StartPackageMocks); they must have an IDP. The caller keeps them and
	// closes them. When nil, Login starts its own with StartPackageMocks
	// (IDPProfile, IDPConfig): a mock IDP on 127.0.0.1 with an ephemeral
	// port that registers the client_id and redirect URI it sees, with the
	// origin of StartLogin's LoginUri routed to it, and Session.Close stops
	// it. Such private mocks have no CDR.
	Mocks *Mocks
	// IDPProfile and IDPConfig configure the private mock IDP when Mocks
	// is nil (see MockOptions); "" means strict-rfc.
	IDPProfile string
	IDPConfig  *mockidp.Config
	// DataSourcePath is passed to StartLogin, FinishLogin (5 parameters)
	// and Refresh; "" means the data source kind.
	DataSourcePath string
	// State is the OAuth state the host puts into StartLogin; "" derives
	// one from the kind.
	State string
	// Timeout bounds each OAuth evaluation (StartLogin, FinishLogin, each
	// Refresh) and each request of the headless browser; 0 means 30 s.
	Timeout time.Duration
	// StrictLoginURI fails the sign-in when the LoginUri checks find a
	// problem (no state, no S256 challenge matching Context, redirect_uri
	// other than CallbackUri, …). By default such findings are only
	// recorded in Session.Steps and the dance goes on, as Power BI
	// Desktop's would.
	StrictLoginURI bool
}

// ErrNoOAuth is returned (wrapped) by Login for a connector whose
// Authentication record has no OAuth kind.
var ErrNoOAuth = errors.New("the connector's Authentication record has no OAuth kind")

// LoginError is a sign-in that failed in the connector's M code or at the
// IDP. Steps holds every step run, the last one failed; Journal is the mock
// IDP's journal at that moment (what it was asked and why it refused).
type LoginError struct {
	Steps   []Step
	Journal []mockidp.Entry
}

// Error names the failed step and its error (an M error with its source
// position and call frames).
func (e *LoginError) Error() string {
	for i := len(e.Steps) - 1; i >= 0; i-- {
		if st := e.Steps[i]; st.Status == StatusFail {
			return "OAuth sign-in failed at " + st.Name + ": " + st.Error
		}
	}
	return "OAuth sign-in failed"
}

// Session is a signed-in OAuth credential for one connector: the record
// its FinishLogin returned, kept up to date by its own Refresh function the
// way the Power Query engine keeps a data source credential. It is safe
// for concurrent use; refreshes are serialised, so each one starts from the
// newest refresh token.
type Session struct {
	s     *session
	mocks *Mocks
	own   bool
	steps []Step

	mu        sync.Mutex // serialises refreshes and their evaluations
	closeOnce sync.Once
}

// Login signs in headlessly with the connector's own OAuth functions, as
// Power BI Desktop does when the user clicks "Sign in":
//
//  1. StartLogin (3 or 4 parameters) in a fresh, anonymous evaluation with
//     a host-made state;
//  2. the LoginUri checks (response_type, client_id, redirect_uri, state,
//     S256 code_challenge recomputed from Context, and the mock IDP's own
//     findings), recorded as a step;
//  3. the headless browser follows LoginUri through the router to the mock
//     IDP's /authorize until navigation reaches CallbackUri;
//  4. FinishLogin (3 or 5 parameters) in a new evaluation with the same
//     Context, the callback URL and the state.
//
// The record FinishLogin returns becomes the session's credential: its
// access_token is sent as Bearer by Web.Contents in data evaluations and
// the other fields are the credential's Properties. Login returns an error
// wrapping ErrNoOAuth when the connector has no OAuth kind, a *LoginError
// when a step of the dance fails, and other errors for mocks that cannot
// start. ctx bounds the sign-in and the refreshes Configure's hook runs.
func Login(ctx context.Context, c *Connector, opt LoginOptions) (*Session, error) {
	m, own := opt.Mocks, false
	if m == nil {
		var err error
		if m, err = StartPackageMocks(MockOptions{IDPProfile: opt.IDPProfile, IDPConfig: opt.IDPConfig}); err != nil {
			return nil, err
		}
		own = true
	}
	fail := func(err error) (*Session, error) {
		var le *LoginError
		if errors.As(err, &le) && m.idp != nil {
			le.Journal = m.idp.Journal().Entries()
		}
		if own {
			m.Close()
		}
		return nil, err
	}
	if m.idp == nil {
		return fail(errNoTenantIDP)
	}
	o := m.Options()
	o.DataSourcePath, o.State, o.Timeout = opt.DataSourcePath, opt.State, opt.Timeout
	res := &Result{Name: c.Kind, Kind: c.Kind}
	s := newSession(ctx, c, o, res)
	defer s.release()
	kinds, err := s.authKinds()
	if err != nil {
		return fail(fmt.Errorf("loading %s: %s", c.Ext.SectionFile, describe(err)))
	}
	if !slices.Contains(kinds, "OAuth") {
		return fail(fmt.Errorf("%s: %w (it has %s)", c.Kind, ErrNoOAuth, strings.Join(kinds, ", ")))
	}
	lg, ok := s.startLogin("StartLogin", s.opt.State)
	if !ok {
		return fail(&LoginError{Steps: res.Steps})
	}
	if s.opt.AutoRouteIDP {
		s.autoRoute(lg.uri)
	}
	if !s.checkLoginURI(lg, s.opt.State) && opt.StrictLoginURI {
		return fail(&LoginError{Steps: res.Steps})
	}
	var cb string
	if !s.step("authorize (headless browser)", func(st *Step) error {
		var err error
		cb, err = s.navigate(lg)
		st.Detail = "reached " + redactQuery(cb)
		return err
	}) {
		return fail(&LoginError{Steps: res.Steps})
	}
	tok, ok := s.finishLogin("FinishLogin", lg, cb)
	if !ok {
		return fail(&LoginError{Steps: res.Steps})
	}
	s.setCurrent(tok)
	return &Session{s: s, mocks: m, own: own, steps: res.Steps}, nil
}

// Steps returns the steps of the sign-in: StartLogin, LoginUri checks,
// authorize (headless browser), FinishLogin. A failed LoginUri check does
// not fail the sign-in unless LoginOptions.StrictLoginURI was set.
func (l *Session) Steps() []Step { return append([]Step(nil), l.steps...) }

// Mocks returns the mocks the session signed in at.
func (l *Session) Mocks() *Mocks { return l.mocks }

// Credential returns the current credential as data functions see it:
// AuthenticationKind OAuth, access_token, and every other field of the
// record FinishLogin or the last Refresh returned as Properties.
func (l *Session) Credential() *eval.Credential { return l.s.current().credential() }

// Record returns the whole record FinishLogin or the last Refresh returned
// (access_token, refresh_token, expires_in, …), as Power Query stores it.
func (l *Session) Record() *eval.Record { return l.s.current().rec }

// ExpiresIn is the current credential's expires_in; 0 when it has none.
func (l *Session) ExpiresIn() time.Duration { return l.s.current().expiresIn }

// Refreshes counts the refreshes the session made (Refresh and the
// Extension.CurrentCredential(true) hook).
func (l *Session) Refreshes() int {
	l.s.mu.Lock()
	defer l.s.mu.Unlock()
	return l.s.forced
}

// Refresh runs the connector's Refresh function (2 parameters with the
// refresh_token, or 3 with the whole old record) in a new, anonymous
// evaluation under ctx, as the engine does when an access token expired or
// a data function asked for Extension.CurrentCredential(true). The record
// it returns replaces the session's credential, also when it carries no
// refresh_token (the next Refresh then fails, as it would in Power BI). On
// error the credential is unchanged.
func (l *Session) Refresh(ctx context.Context) (*eval.Credential, error) {
	l.mu.Lock()
	defer l.mu.Unlock()
	defer l.s.release()
	t, err := l.s.refreshCurrent(ctx)
	if err != nil {
		if me := eval.AsError(err); me != nil {
			return nil, me
		}
		return nil, err
	}
	return t.credential(), nil
}

// ExpireAccessToken moves the mocks' shared virtual clock past the access
// token's expires_in (1 h when the credential has none) plus two minutes,
// more than the clock-skew leeway resource servers grant, so the mock CDR
// rejects the current access token from now on. It returns the advance.
func (l *Session) ExpireAccessToken() time.Duration {
	d := l.ExpiresIn()
	if d <= 0 {
		d = time.Hour
	}
	d += expiryMargin
	l.s.opt.Clock.Advance(d)
	return d
}

// Configure makes h use the session: h.Credential is the current
// credential, and h.RefreshCredential serves Extension.CurrentCredential(true)
// by running Refresh (under the context given to Login) and then sets
// h.Credential to the new credential, so the evaluation's next Web.Contents
// sends the new access token. Other evaluations configured later start with
// the newest credential. The rest of h (HTTP, clock) is the caller's: to
// reach the mocks, h.HTTP must use Mocks().Router() (NewThread does all of
// this).
func (l *Session) Configure(h *eval.Host) { l.configure(l.s.ctx, h) }

func (l *Session) configure(ctx context.Context, h *eval.Host) {
	h.Credential = l.Credential()
	h.RefreshCredential = func() (*eval.Credential, error) {
		c, err := l.Refresh(ctx)
		if err != nil {
			return nil, err
		}
		h.Credential = c
		return c, nil
	}
}

// NewThread starts a data evaluation with the session's credential: a
// fresh environment with the connector's section loaded, HTTP through the
// mocks' router, the mocks' virtual clock (M sleeps advance it), the
// session's deterministic GUID sequence, and Extension.CurrentCredential(true)
// refreshing under ctx. The thread is cancelled with ctx; it has no other
// deadline.
func (l *Session) NewThread(ctx context.Context) (*eval.Thread, *eval.Section, error) {
	s := l.s
	h := &eval.Host{
		HTTP:           &http.Client{Transport: s.opt.Router},
		Clock:          s.clk,
		NewGuid:        s.guid,
		DataSourceKind: s.c.Kind,
	}
	l.configure(ctx, h)
	s.c.Ext.Configure(h)
	th := eval.NewThread(s.c.Ext.NewEnvironment(), h)
	th.Ctx = ctx
	sec, err := s.c.Ext.LoadInto(th)
	if err != nil {
		return nil, nil, err
	}
	return th, sec, nil
}

// Close stops the mocks Login started itself (LoginOptions.Mocks nil);
// mocks the caller passed in stay running. Close is idempotent.
func (l *Session) Close() {
	l.closeOnce.Do(func() {
		if l.own {
			l.mocks.Close()
		}
	})
}
