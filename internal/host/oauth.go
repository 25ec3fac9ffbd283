package host

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"path"
	"strings"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/mockidp"
)

// maxRedirects bounds the navigation from LoginUri to CallbackUri.
const maxRedirects = 20

// expiryMargin is how far past expires_in the host moves the clock.
const expiryMargin = 2 * time.Minute

// login is what StartLogin returned.
type login struct {
	uri, callback string
	context       eval.Value
}

// token is a credential record returned by FinishLogin or Refresh.
type token struct {
	rec          *eval.Record
	accessToken  string
	refreshToken string
	expiresIn    time.Duration
	props        map[string]eval.Value
}

func (t *token) credential() *eval.Credential {
	var fields []eval.Field
	for _, n := range t.rec.Names() {
		if n != "access_token" {
			fields = append(fields, eval.Field{Name: n, Value: t.props[n]})
		}
	}
	return &eval.Credential{AuthenticationKind: "OAuth", AccessToken: t.accessToken, Properties: eval.NewRecord(fields...)}
}

func (s *session) runOAuth() {
	lg, ok := s.startLogin("StartLogin", s.opt.State)
	if !ok {
		return
	}
	if s.opt.AutoRouteIDP && s.opt.IDP != nil {
		s.autoRoute(lg.uri)
	}
	// The dance goes on after a failed check, so the report also shows what
	// the IDP and FinishLogin make of the request.
	s.checkLoginURI(lg, s.opt.State)
	var cb string
	if !s.step("authorize (headless browser)", func(st *Step) error {
		var err error
		cb, err = s.navigate(lg)
		st.Detail = "reached " + redactQuery(cb)
		return err
	}) {
		return
	}
	tok, ok := s.finishLogin("FinishLogin", lg, cb)
	if !ok {
		return
	}
	s.setCurrent(tok)
	cred := tok.credential()
	if !s.testConnection("TestConnection", cred) {
		return
	}
	s.runQueries(cred)

	refresh := false
	s.step("expire access token", func(st *Step) error {
		d := tok.expiresIn
		if d <= 0 {
			d = time.Hour
			st.Detail = "no expires_in in the credential; assumed 1 h, "
		}
		// Past expires_in by more than the minute of clock-skew leeway
		// resource servers (and go-jose) grant.
		s.opt.Clock.Advance(d + expiryMargin)
		st.Detail += fmt.Sprintf("virtual clock advanced %s (expires_in + %s)", d+expiryMargin, expiryMargin)
		refresh = true
		// Power BI refreshes because the data source rejects the expired
		// token; say whether this one does.
		if _, err := s.callTestConnection(tok.credential()); err != nil {
			if me := eval.AsError(err); me != nil {
				st.Detail += "; the CDR now rejects the old access token (" + me.Reason() + ")"
			}
		} else {
			st.Detail += "; the CDR still accepts the old access token"
		}
		return nil
	})
	var fresh *token
	if refresh {
		// The credential the host keeps now: the connector may have
		// refreshed it itself (Extension.CurrentCredential(true)).
		fresh, ok = s.refresh("Refresh", s.current())
		if !ok {
			fresh = nil
		}
		if fresh != nil {
			s.setCurrent(fresh)
			s.testConnection("TestConnection (refreshed token)", fresh.credential())
			// The next scheduled refresh uses whatever the credential now
			// holds; a dropped rotated token shows up here at the latest.
			if next, ok := s.refresh("Refresh again (next scheduled refresh)", s.current()); ok && next != nil {
				fresh = next
				s.setCurrent(next)
			} else {
				fresh = nil
			}
		}
	}
	if fresh != nil && s.opt.ParallelRefresh > 1 {
		s.parallelRefresh(s.current())
	}
	if s.opt.IDP != nil {
		s.errorCallback("FinishLogin refuses an error callback", mockidp.AuthorizeOutcome{Action: mockidp.OutcomeAccessDenied}, "access_denied")
		s.errorCallback("FinishLogin refuses a wrong state", mockidp.AuthorizeOutcome{Action: mockidp.OutcomeWrongState}, "")
	}
	if s.opt.SoakDays > 0 {
		s.soak()
	}
}

// startLogin evaluates StartLogin (3 or 4 parameters) in a fresh evaluation.
func (s *session) startLogin(name, state string) (*login, bool) {
	var lg *login
	ok := s.step(name, func(st *Step) error {
		th, sec, err := s.newEval(s.ctx, nil, true)
		if err != nil {
			return err
		}
		f, err := s.authFunc(th, sec, "OAuth", "StartLogin")
		if err != nil {
			return err
		}
		if f == nil {
			return errors.New("Authentication[OAuth] has no StartLogin")
		}
		dsp, st0, display := eval.Str(s.opt.DataSourcePath), eval.Str(state), eval.NullValue
		var v eval.Value
		switch len(f.Params) {
		case 3:
			v, err = forced(th, f, dsp, st0, display)
		case 4:
			v, err = forced(th, f, eval.NullValue, dsp, st0, display)
		default:
			return fmt.Errorf("StartLogin takes %d parameters; Power Query calls it with 3 (dataSourcePath, state, display) or 4 (clientApplication, dataSourcePath, state, display)", len(f.Params))
		}
		if err != nil {
			return err
		}
		r, ok := v.(*eval.Record)
		if !ok {
			return fmt.Errorf("StartLogin returned %s, want [LoginUri, CallbackUri, WindowHeight, WindowWidth, Context]", eval.Serialize(th, v))
		}
		lg = &login{}
		for _, fld := range []struct {
			name string
			dst  *string
		}{{"LoginUri", &lg.uri}, {"CallbackUri", &lg.callback}} {
			fv, ok, err := r.Get(th, fld.name)
			if err != nil {
				return err
			}
			t, isText := fv.(eval.Text)
			if !ok || !isText || t.S == "" {
				return fmt.Errorf("StartLogin's record has no text %s", fld.name)
			}
			*fld.dst = t.S
		}
		lg.context, _, _ = r.Get(th, "Context")
		if lg.context == nil {
			lg.context = eval.NullValue
		}
		st.Detail = "arity " + fmt.Sprint(len(f.Params)) + ", LoginUri " + redactQuery(lg.uri)
		return nil
	})
	return lg, ok
}

// checkLoginURI checks the authorization request the way a strict IDP and
// the Power BI service would, before anything follows it.
func (s *session) checkLoginURI(lg *login, state string) bool {
	return s.step("LoginUri checks", func(st *Step) error {
		u, err := url.Parse(lg.uri)
		if err != nil {
			return fmt.Errorf("LoginUri is not a URL: %v", err)
		}
		q := u.Query()
		var problems []string
		need := func(p, why string) {
			if q.Get(p) == "" {
				problems = append(problems, p+": missing ("+why+")")
			}
		}
		need("response_type", "must be code")
		need("client_id", "the IDP cannot tell which application signs in")
		need("redirect_uri", "must be "+lg.callback)
		if rt := q.Get("response_type"); rt != "" && rt != "code" {
			problems = append(problems, "response_type: "+rt+", want code (authorization code flow)")
		}
		if ru := q.Get("redirect_uri"); ru != "" && ru != lg.callback {
			problems = append(problems, "redirect_uri: "+ru+" differs from CallbackUri "+lg.callback+"; the host waits for CallbackUri and never sees the code")
		}
		switch got := q.Get("state"); {
		case got == "":
			problems = append(problems, "state: missing; StartLogin must put the host's state into the authorize URL (the Power BI service requires it)")
		case got != state:
			problems = append(problems, fmt.Sprintf("state: %q, want the host's state %q", got, state))
		}
		verifier := ""
		if t, ok := lg.context.(eval.Text); ok {
			verifier = t.S
		}
		ch, method := q.Get("code_challenge"), q.Get("code_challenge_method")
		switch {
		case ch == "":
			problems = append(problems, "code_challenge: missing; PKCE (RFC 7636) is required for public clients")
		case method == "" || method == "plain":
			if method == "" {
				problems = append(problems, "code_challenge_method: missing, which means plain; use S256")
			} else {
				problems = append(problems, "code_challenge_method: plain; use S256")
			}
		case method != "S256":
			problems = append(problems, "code_challenge_method: "+method+", want S256")
		case verifier == "":
			problems = append(problems, "Context: StartLogin's Context carries no code verifier, so FinishLogin (a new evaluation) cannot send the verifier that matches code_challenge")
		default:
			sum := sha256.Sum256([]byte(verifier))
			if want := base64.RawURLEncoding.EncodeToString(sum[:]); want != ch {
				problems = append(problems, "code_challenge: does not equal BASE64URL(SHA256(Context)); the verifier FinishLogin receives will not match")
			}
		}
		if s.opt.IDP != nil {
			if target, _, err := s.opt.Router.Rewrite(lg.uri); err == nil {
				seen := map[string]bool{}
				for _, p := range problems {
					seen[strings.SplitN(p, ":", 2)[0]] = true
				}
				for _, f := range s.opt.IDP.CheckAuthorizeURL(target, state, verifier) {
					if !seen[f.Param] && f.Param != "code_challenge" && f.Param != "code_verifier" {
						problems = append(problems, f.String())
					}
				}
			}
		}
		if len(problems) > 0 {
			return errors.New(strings.Join(problems, "\n"))
		}
		st.Detail = "response_type, client_id, redirect_uri, state present; S256 challenge matches Context"
		return nil
	})
}

// navigate follows LoginUri like the embedded browser: redirects with a
// cookie jar, until navigation reaches CallbackUri.
func (s *session) navigate(lg *login) (string, error) {
	jar, _ := cookiejar.New(nil)
	var callback string
	hops := 0
	client := &http.Client{
		Transport: s.opt.Router,
		Jar:       jar,
		Timeout:   s.opt.Timeout,
		CheckRedirect: func(req *http.Request, via []*http.Request) error {
			hops++
			if u := req.URL.String(); strings.HasPrefix(u, lg.callback) {
				callback = u
				return http.ErrUseLastResponse
			}
			if hops > maxRedirects {
				return fmt.Errorf("more than %d redirects without reaching CallbackUri", maxRedirects)
			}
			return nil
		},
	}
	req, err := http.NewRequestWithContext(s.ctx, http.MethodGet, lg.uri, nil)
	if err != nil {
		return "", err
	}
	for page := 0; ; page++ {
		resp, err := client.Do(req)
		if err != nil {
			return "", fmt.Errorf("following LoginUri: %w", err)
		}
		if callback != "" {
			resp.Body.Close()
			return callback, nil
		}
		at := redactQuery(resp.Request.URL.String())
		ct := resp.Header.Get("Content-Type")
		if resp.StatusCode == http.StatusOK && strings.HasPrefix(ct, "text/html") && page < maxRedirects {
			next, nerr := nextNavigation(resp)
			resp.Body.Close()
			if nerr != nil {
				return "", fmt.Errorf("navigation stopped at %s without reaching CallbackUri %s: %v", at, lg.callback, nerr)
			}
			req = next.WithContext(s.ctx)
			continue
		}
		body := make([]byte, 2048)
		n, _ := io.ReadFull(resp.Body, body)
		resp.Body.Close()
		return "", fmt.Errorf("navigation stopped at %s with HTTP %d without reaching CallbackUri %s: %s",
			at, resp.StatusCode, lg.callback, strings.TrimSpace(string(body[:n])))
	}
}

// finishLogin evaluates FinishLogin (3 or 5 parameters) in a new evaluation
// with StartLogin's Context, the callback URL and the same state.
func (s *session) finishLogin(name string, lg *login, callback string) (*token, bool) {
	var tok *token
	ok := s.step(name, func(st *Step) error {
		v, err := s.callFinishLogin(lg, callback)
		if err != nil {
			return err
		}
		tok, err = s.toToken("FinishLogin", v)
		if err != nil {
			return err
		}
		st.Detail = tokenDetail(tok)
		return nil
	})
	return tok, ok
}

func (s *session) callFinishLogin(lg *login, callback string) (eval.Value, error) {
	th, sec, err := s.newEval(s.ctx, nil, true)
	if err != nil {
		return nil, err
	}
	f, err := s.authFunc(th, sec, "OAuth", "FinishLogin")
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errors.New("Authentication[OAuth] has no FinishLogin")
	}
	switch len(f.Params) {
	case 3:
		return forced(th, f, lg.context, eval.Str(callback), eval.Str(s.opt.State))
	case 5:
		return forced(th, f, eval.NullValue, eval.Str(s.opt.DataSourcePath), lg.context, eval.Str(callback), eval.Str(s.opt.State))
	}
	return nil, fmt.Errorf("FinishLogin takes %d parameters; Power Query calls it with 3 (context, callbackUri, state) or 5 (clientApplication, dataSourcePath, context, callbackUri, state)", len(f.Params))
}

func tokenDetail(t *token) string {
	d := "access_token"
	if t.refreshToken != "" {
		d += ", refresh_token"
	}
	if t.expiresIn > 0 {
		d += fmt.Sprintf(", expires_in %s", t.expiresIn)
	}
	return d
}

// toToken checks a record returned by FinishLogin or Refresh.
func (s *session) toToken(fn string, v eval.Value) (*token, error) {
	r, ok := v.(*eval.Record)
	if !ok {
		return nil, fmt.Errorf("%s returned a %s, want the token record", fn, v.Kind())
	}
	t := &token{rec: r, props: map[string]eval.Value{}}
	for i, n := range r.Names() {
		fv := r.LazyAt(i)
		val, err := fv.Force(nil)
		if err != nil {
			return nil, err
		}
		t.props[n] = val
	}
	at, ok := t.props["access_token"].(eval.Text)
	if !ok || at.S == "" {
		return nil, fmt.Errorf("%s's record has no text access_token (fields: %s)", fn, strings.Join(r.Names(), ", "))
	}
	t.accessToken = at.S
	if rt, ok := t.props["refresh_token"].(eval.Text); ok {
		t.refreshToken = rt.S
	}
	switch e := t.props["expires_in"].(type) {
	case eval.Number:
		t.expiresIn = time.Duration(e.F) * time.Second
	case eval.Text:
		var n float64
		if _, err := fmt.Sscan(e.S, &n); err == nil {
			t.expiresIn = time.Duration(n) * time.Second
		}
	}
	return t, nil
}

// isTokenRequest tells the router which responses to keep: POSTs to a
// route served by the IDP.
func (s *session) isTokenRequest(r *http.Request) bool {
	if r.Method != http.MethodPost {
		return false
	}
	_, rt, err := s.opt.Router.Rewrite(r.URL.String())
	return err == nil && rt != nil && rt.Name == "idp"
}

// refresh evaluates Refresh (2 or 3 parameters) in a new evaluation and
// checks that a rotated refresh token is kept.
func (s *session) refresh(name string, old *token) (*token, bool) {
	var tok *token
	ok := s.step(name, func(st *Step) error {
		if old.refreshToken == "" {
			st.Detail = "the credential has no refresh_token; Power BI would ask the user to sign in again"
			return errSkip
		}
		s.opt.Router.CaptureResponses(s.isTokenRequest)
		defer s.opt.Router.CaptureResponses(nil)
		s.opt.Router.Captured()
		v, err := s.callRefreshFn(s.ctx, old)
		if errors.Is(err, errNoRefresh) {
			st.Detail = "no Refresh function: the user signs in again when the access token expires"
			return errSkip
		}
		if err != nil {
			return err
		}
		tok, err = s.toToken("Refresh", v)
		if err != nil {
			return err
		}
		st.Detail = tokenDetail(tok)
		for _, x := range s.opt.Router.Captured() {
			var body struct {
				RefreshToken string `json:"refresh_token"`
			}
			if x.Status == 200 && json.Unmarshal(x.Body, &body) == nil && body.RefreshToken != "" {
				if body.RefreshToken != tok.refreshToken {
					what := "dropped it"
					if tok.refreshToken == old.refreshToken {
						what = "kept the old one"
					}
					return fmt.Errorf("the IDP rotated the refresh token but Refresh %s: the returned record's refresh_token must be the new one, or the next refresh presents a revoked token", what)
				}
				if body.RefreshToken != old.refreshToken {
					st.Detail += " (rotated, new refresh token kept)"
				}
			}
		}
		if tok.refreshToken == "" {
			return errors.New("the connector's Refresh returned no refresh_token: keep the old one when the IDP does not rotate, or the next scheduled refresh cannot run")
		}
		return nil
	})
	return tok, ok
}

// setCurrent makes t the credential the host keeps.
func (s *session) setCurrent(t *token) {
	s.mu.Lock()
	s.cur = t
	s.mu.Unlock()
}

// current returns the credential the host keeps.
func (s *session) current() *token {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.cur
}

// errNoRefresh means Authentication[OAuth] has no Refresh.
var errNoRefresh = errors.New("Authentication[OAuth] has no Refresh")

// callRefreshFn evaluates Refresh in a new evaluation, dispatched by arity:
// 2 (dataSourcePath, refreshToken) or 3 (clientApplication,
// dataSourcePath, oldCredential).
func (s *session) callRefreshFn(ctx context.Context, old *token) (eval.Value, error) {
	th, sec, err := s.newEval(ctx, nil, true)
	if err != nil {
		return nil, err
	}
	f, err := s.authFunc(th, sec, "OAuth", "Refresh")
	if err != nil {
		return nil, err
	}
	if f == nil {
		return nil, errNoRefresh
	}
	switch len(f.Params) {
	case 2:
		return forced(th, f, eval.Str(s.opt.DataSourcePath), eval.Str(old.refreshToken))
	case 3:
		return forced(th, f, eval.NullValue, eval.Str(s.opt.DataSourcePath), old.rec)
	}
	return nil, fmt.Errorf("the connector's Refresh takes %d parameters; Power Query calls it with 2 (dataSourcePath, refreshToken) or 3 (clientApplication, dataSourcePath, oldCredential)", len(f.Params))
}

// callRefresh runs Refresh and checks the record it returns.
func (s *session) callRefresh(ctx context.Context, old *token) (*token, error) {
	v, err := s.callRefreshFn(ctx, old)
	if err != nil {
		return nil, err
	}
	return s.toToken("Refresh", v)
}

// refreshCurrent runs the connector's Refresh with the credential the host
// keeps and keeps what it returns, as the engine does for
// Extension.CurrentCredential(true). Forced refreshes are serialised: two
// evaluations that hit a 401 at once refresh one after the other, the
// second from the refresh token the first obtained.
func (s *session) refreshCurrent(ctx context.Context) (*token, error) {
	s.refreshMu.Lock()
	defer s.refreshMu.Unlock()
	cur := s.current()
	if cur == nil {
		return nil, errors.New("no OAuth credential to refresh")
	}
	t, err := s.callRefresh(ctx, cur)
	if err != nil {
		return nil, err
	}
	s.mu.Lock()
	s.cur = t
	s.forced++
	s.mu.Unlock()
	return t, nil
}

// parallelRefresh fires N refreshes with the same refresh token at once, as
// Power BI Desktop does once per table (DataConnectors#264), and reports
// what the IDP did with them.
func (s *session) parallelRefresh(cur *token) {
	n := s.opt.ParallelRefresh
	s.step(fmt.Sprintf("parallel refresh ×%d", n), func(st *Step) error {
		th, sec, err := s.newEval(s.ctx, nil, true)
		if err != nil {
			return err
		}
		f, err := s.authFunc(th, sec, "OAuth", "Refresh")
		if err != nil || f == nil {
			return errSkip
		}
		var mark int64
		if s.opt.IDP != nil {
			if es := s.opt.IDP.Journal().Entries(); len(es) > 0 {
				mark = es[len(es)-1].Seq
			}
			// Hold the refreshes until all have arrived, so the race is
			// the same on every run.
			if _, err := s.opt.IDP.AddFault(mockidp.Fault{Endpoint: "token", GrantType: "refresh_token", Action: mockidp.FaultHold, Count: n}); err != nil {
				return err
			}
		}
		st.Report = true
		p := &Parallel{Requests: n}
		var mu sync.Mutex
		var wg sync.WaitGroup
		var last *token
		for range n {
			wg.Add(1)
			go func() {
				defer wg.Done()
				t, err := s.callRefresh(s.ctx, cur)
				mu.Lock()
				defer mu.Unlock()
				if err != nil {
					p.Failed++
					msg := err.Error()
					if me := eval.AsError(err); me != nil {
						msg = me.Message()
					}
					p.Errors = append(p.Errors, msg)
					return
				}
				p.Succeeded++
				last = t
			}()
		}
		wg.Wait()
		if s.opt.IDP != nil {
			// A refresh that failed before reaching the IDP leaves the hold
			// armed; it must not stall later requests.
			s.opt.IDP.ClearFaults()
			entries := s.opt.IDP.Journal().Filter(func(e *mockidp.Entry) bool { return e.Seq > mark })
			sum := mockidp.Summarize(entries)
			p.Reasons, p.Effects = sum.Reasons, sum.Effects
		}
		// Can the credential Power BI keeps (the last answer) still refresh?
		if last != nil {
			_, err := s.callRefresh(s.ctx, last)
			p.LoginAgain = err != nil
		} else {
			p.LoginAgain = true
		}
		s.res.Parallel = p
		st.Detail = fmt.Sprintf("%d succeeded, %d failed", p.Succeeded, p.Failed)
		if len(p.Effects) > 0 {
			st.Detail += "; IDP: " + strings.Join(p.Effects, "; ")
		}
		if p.LoginAgain {
			st.Detail += "; afterwards the credential no longer refreshes (the user must sign in again)"
		}
		return nil
	})
}

// errorCallback scripts the IDP's /authorize outcome and checks that
// FinishLogin raises an error without asking the token endpoint for a token.
func (s *session) errorCallback(name string, outcome mockidp.AuthorizeOutcome, want string) {
	state := s.opt.State + "-2"
	saved := s.opt.State
	defer func() { s.opt.State = saved }()
	s.opt.State = state
	s.step(name, func(st *Step) error {
		lg, err := s.quietStartLogin(state)
		if err != nil {
			return err
		}
		if err := s.opt.IDP.ScriptAuthorize(outcome); err != nil {
			return err
		}
		cb, err := s.navigate(lg)
		if err != nil {
			return err
		}
		var mark int64
		if es := s.opt.IDP.Journal().Entries(); len(es) > 0 {
			mark = es[len(es)-1].Seq
		}
		v, err := s.callFinishLogin(lg, cb)
		tokenCalls := len(s.opt.IDP.Journal().Filter(func(e *mockidp.Entry) bool { return e.Seq > mark && e.Endpoint == "token" }))
		if err == nil {
			if _, terr := s.toToken("FinishLogin", v); terr == nil {
				return fmt.Errorf("FinishLogin returned a credential for the callback ?%s", safeQuery(cb))
			}
			return fmt.Errorf("FinishLogin returned a value instead of raising an error for the callback ?%s", safeQuery(cb))
		}
		if tokenCalls > 0 {
			return fmt.Errorf("FinishLogin sent %d token request(s) for the callback ?%s; it must check the callback's error and state first (then raise: %v)", tokenCalls, safeQuery(cb), err)
		}
		msg := err.Error()
		if want != "" && !strings.Contains(msg, want) {
			st.Detail = "raised " + msg + " (does not name " + want + ")"
		} else {
			st.Detail = "raised " + msg
		}
		return nil
	})
}

// safeQuery shows a callback query without its code.
func safeQuery(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return ""
	}
	q := u.Query()
	if q.Has("code") {
		q.Set("code", "CODE")
	}
	return strings.Replace(q.Encode(), "code=CODE", "code=…", 1)
}

func (s *session) quietStartLogin(state string) (*login, error) {
	n := len(s.res.Steps)
	lg, ok := s.startLogin("StartLogin", state)
	st := s.res.Steps[n]
	s.res.Steps = s.res.Steps[:n]
	if !ok {
		return nil, errors.New(st.Error)
	}
	return lg, nil
}

// autoRoute sends the LoginUri's origin to the mock IDP when nothing routes
// it yet; the mock's profile serves the real IDP's paths. The folder of the
// LoginUri's path goes to the folder of the mock's authorize endpoint, so
// paths with a tenant part the mock does not know (a Keycloak realm, an
// Entra tenant, an Okta authorization server) reach the mock's authorize
// endpoint and the token endpoint beside it.
func (s *session) autoRoute(loginURI string) {
	u, err := url.Parse(loginURI)
	if err != nil || u.Host == "" {
		return
	}
	if _, _, err := s.opt.Router.Rewrite(loginURI); err == nil {
		return
	}
	o := u.Scheme + "://" + u.Host
	if err := s.opt.Router.Add(Route{Prefix: o, Target: s.opt.IDP.URL(), Name: "idp"}); err != nil {
		return
	}
	detail := "; routed " + o + " to the mock IDP"
	if a, err := url.Parse(s.opt.IDP.Endpoints().Authorize); err == nil {
		from, to := path.Dir(u.Path), path.Dir(a.Path)
		if from != "/" && from != "." && from != to {
			if err := s.opt.Router.Add(Route{Prefix: o + from, Target: s.opt.IDP.URL() + to, Name: "idp"}); err == nil {
				detail += " and " + o + from + " to its " + to
			}
		}
	}
	s.res.Steps[len(s.res.Steps)-1].Detail += detail
}
