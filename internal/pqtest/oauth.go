package pqtest

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/host"
	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/mockidp"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// Login supplies each test's credential in place of Options.Credential: it
// sets eval.Host.Credential and, for Extension.CurrentCredential(true),
// eval.Host.RefreshCredential. *host.Session implements it.
type Login interface {
	Configure(h *eval.Host)
}

// OAuthMockOptions configure StartOAuthMock.
type OAuthMockOptions struct {
	// Profile is the mock IDP profile (mockidp.Profiles()). For a project
	// tenant "" means the tenant's own IDP.
	Profile string
	// Project and Tenant, when Project is set, say that the extension is
	// this tenant of a pqx project (TenantExtension): the tenant must sign
	// in with OAuth (auth pattern oauth-pkce), and its authorize, token and
	// base URLs are routed to the mocks exactly as `pqx test` routes them.
	// An empty Tenant selects the only tenant.
	Project *project.Project
	Tenant  string
	// Routes, for a package or connector folder, map URL prefixes the
	// connector hard-codes to "idp" or "cdr" (pqx test --route). Without an
	// idp route the origin of StartLogin's LoginUri goes to the mock IDP.
	Routes map[string]string
	// CDRProfile is the mock CDR profile of a package ("" means ehrbase);
	// a tenant's follows its vendor.
	CDRProfile string
	// IDPConfig is laid over the mock IDP's config (faults, authorize
	// outcomes, overrides; pqx mock idp --config).
	IDPConfig *mockidp.Config
	// CDRFaults are scheduled on the mock CDR after the sign-in, so they
	// hit the tests' requests (e.g. a 401 on the third query page).
	CDRFaults []mockcdr.Fault
	// Start is the mocks' virtual time; zero means now.
	Start time.Time
}

// ErrNotOAuth matches (errors.Is) the error StartOAuthMock returns for a
// tenant or connector that does not sign in with OAuth.
var ErrNotOAuth = errors.New("the connector does not sign in with OAuth")

// notOAuthError is an ErrNotOAuth with its own message.
type notOAuthError struct{ msg string }

func (e notOAuthError) Error() string { return e.msg }

func (notOAuthError) Is(target error) bool { return target == ErrNotOAuth }

// OAuthMock is a connector signed in at in-process mocks with its own
// OAuth functions: the credential for the tests and the HTTP client that
// reaches the mocks.
type OAuthMock struct {
	// Session is the signed-in credential; it is the Options.Login of the
	// run and refreshes through the connector's Refresh.
	Session *host.Session
	// Mocks are the mock IDP, the mock CDR (nil for a package without a
	// cdr route) and the router.
	Mocks *host.Mocks
	// Tenant is the tenant id, "" for a package.
	Tenant string
	// tenantIDP is the IDP profile the tenant declares (auth.idp).
	tenantIDP string
}

// StartOAuthMock starts a mock IDP (and a mock CDR) on 127.0.0.1 for the
// extension x and signs in with its StartLogin and FinishLogin, following
// the LoginUri headlessly (host.Login). It returns an error wrapping
// ErrNotOAuth for a connector or tenant without OAuth, a *host.LoginError
// when the sign-in fails, and other errors for bad options. Close stops
// the mocks.
func StartOAuthMock(ctx context.Context, x *extpkg.Extension, opt OAuthMockOptions) (om *OAuthMock, err error) {
	c, err := host.NewConnector(x)
	if err != nil {
		return nil, err
	}
	om = &OAuthMock{}
	if opt.Project != nil {
		t, err := selectTenant(opt.Project, opt.Tenant)
		if err != nil {
			return nil, err
		}
		if t.Auth.Pattern != "oauth-pkce" {
			return nil, notOAuthError{fmt.Sprintf("tenant %s signs in with auth pattern %s (UsernamePassword), not OAuth: --oauth-mock needs an oauth-pkce tenant", t.ID, t.Auth.Pattern)}
		}
		r, err := render.New(opt.Project)
		if err != nil {
			return nil, err
		}
		om.Tenant, om.tenantIDP = t.ID, t.Auth.IDP
		om.Mocks, err = host.StartTenantMocks(t, r, host.MockOptions{IDPProfile: opt.Profile, IDPConfig: opt.IDPConfig, Start: startTime(opt.Start)})
		if err != nil {
			return nil, err
		}
	} else {
		om.Mocks, err = host.StartPackageMocks(host.MockOptions{IDPProfile: opt.Profile, IDPConfig: opt.IDPConfig,
			CDRProfile: opt.CDRProfile, Routes: opt.Routes, Start: startTime(opt.Start)})
		if err != nil {
			return nil, err
		}
	}
	mocks := om.Mocks
	defer func() {
		if err != nil {
			mocks.Close()
		}
	}()
	om.Mocks.Router().Record(true)
	om.Session, err = host.Login(ctx, c, host.LoginOptions{Mocks: om.Mocks})
	if errors.Is(err, host.ErrNoOAuth) {
		return nil, notOAuthError{err.Error() + ": --oauth-mock needs a connector with Authentication[OAuth]"}
	}
	if err != nil {
		return nil, err
	}
	for _, f := range opt.CDRFaults {
		if om.Mocks.CDR() == nil {
			return nil, errors.New("CDR faults need a mock CDR: route the connector's openEHR base URL to it (PREFIX=cdr)")
		}
		if err := om.Mocks.CDR().AddFault(f); err != nil {
			return nil, fmt.Errorf("CDR fault %s: %v", f.Kind, err)
		}
	}
	return om, nil
}

func startTime(t time.Time) time.Time {
	if t.IsZero() {
		return time.Now().UTC().Truncate(time.Second)
	}
	return t
}

// HTTPClient returns the client the tests' Web.Contents must use: every
// request goes through the mocks' router, and any URL it does not route
// to a mock or to loopback is refused.
func (om *OAuthMock) HTTPClient() *http.Client {
	return &http.Client{Transport: om.Mocks.Router(), Timeout: 10 * time.Minute}
}

// Close stops the mocks.
func (om *OAuthMock) Close() { om.Mocks.Close() }

// Summary says in one line where the session signed in and how often the
// connector refreshed, plus one line per LoginUri finding.
func (om *OAuthMock) Summary() string {
	var b strings.Builder
	fmt.Fprintf(&b, "oauth-mock: signed in with StartLogin/FinishLogin at mock %s", om.Mocks.Describe())
	if om.Tenant != "" {
		fmt.Fprintf(&b, " (tenant %s", om.Tenant)
		if p := om.Mocks.IDP().Profile().Name; om.tenantIDP != "" && p != om.tenantIDP {
			fmt.Fprintf(&b, ", which declares IDP %s", om.tenantIDP)
		}
		b.WriteString(")")
	}
	n := om.Session.Refreshes()
	fmt.Fprintf(&b, "; %d refresh%s through the connector's Refresh\n", n, map[bool]string{true: "", false: "es"}[n == 1])
	for _, st := range om.Session.Steps() {
		if st.Status == host.StatusFail {
			for _, line := range strings.Split(st.Error, "\n") {
				fmt.Fprintf(&b, "oauth-mock: warning: %s: %s\n", st.Name, line)
			}
		}
	}
	return b.String()
}

// WriteJournal writes what the mocks saw as JSON lines, each with a
// "source": "idp" for the mock IDP's journal (grant types, decisions,
// fingerprints of issued tokens), "host" for every request the M code sent
// through the router (with the fingerprint of the credential it carried),
// and "cdr" for the mock CDR's request log (paging, status, injected
// faults). No secret is written: tokens and codes appear only as
// fingerprints.
func (om *OAuthMock) WriteJournal(w io.Writer) error {
	if err := WriteIDPJournal(w, om.Mocks.IDP().Journal().Entries()); err != nil {
		return err
	}
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, r := range om.Mocks.Router().Requests() {
		if err := enc.Encode(struct {
			Source string `json:"source"`
			host.Sent
		}{"host", r}); err != nil {
			return err
		}
	}
	if cdr := om.Mocks.CDR(); cdr != nil {
		for _, r := range cdr.Log() {
			if err := enc.Encode(struct {
				Source string `json:"source"`
				mockcdr.Request
			}{"cdr", r}); err != nil {
				return err
			}
		}
	}
	return nil
}

// WriteIDPJournal writes mock IDP journal entries as WriteJournal does
// (source "idp"); for a failed sign-in, host.LoginError.Journal.
func WriteIDPJournal(w io.Writer, entries []mockidp.Entry) error {
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for _, e := range entries {
		if err := enc.Encode(struct {
			Source string `json:"source"`
			mockidp.Entry
		}{"idp", e}); err != nil {
			return err
		}
	}
	return nil
}

// ParseCDRFault parses a fault for the mock CDR written on the command
// line: KIND[,after=N][,count=N][,path=REGEXP][,fixture=ID][,retry_after=S],
// e.g. "401,after=2,path=^/query/" (a 401 on the third query request).
// KIND is a mockcdr fault kind or another 4xx/5xx status.
func ParseCDRFault(spec string) (mockcdr.Fault, error) {
	parts := strings.Split(spec, ",")
	f := mockcdr.Fault{Kind: mockcdr.FaultKind(strings.TrimSpace(parts[0]))}
	if f.Kind == "" {
		return f, fmt.Errorf("%q: no fault kind", spec)
	}
	for _, p := range parts[1:] {
		k, v, ok := strings.Cut(p, "=")
		if !ok {
			return f, fmt.Errorf("%q: %q is not key=value", spec, p)
		}
		num := func() (int, error) {
			n, err := strconv.Atoi(v)
			if err != nil {
				return 0, fmt.Errorf("%q: %s=%q is not a whole number", spec, k, v)
			}
			return n, nil
		}
		var err error
		switch strings.TrimSpace(k) {
		case "after":
			f.After, err = num()
		case "count":
			f.Count, err = num()
		case "path":
			f.Path = v
		case "fixture":
			f.Fixture = v
		case "retry_after":
			f.RetryAfter = v
		default:
			err = fmt.Errorf("%q: unknown key %q (want after, count, path, fixture, retry_after)", spec, k)
		}
		if err != nil {
			return f, err
		}
	}
	return f, nil
}
