package mockidp_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"net/url"
	"time"

	"golang.org/x/oauth2"

	"github.com/pqxdev/pqx/internal/mockidp"
)

// A public client runs the PKCE dance with golang.org/x/oauth2; the
// authorize step is headless: the server answers 302 to the redirect URI.
func Example() {
	srv, err := mockidp.New(mockidp.Config{Profile: "strict-rfc"})
	if err != nil {
		panic(err)
	}
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	srv.SetURL(ts.URL)

	ep := srv.Endpoints()
	conf := &oauth2.Config{
		ClientID:    mockidp.DefaultPublicClient,
		RedirectURL: mockidp.PowerBIRedirect,
		Scopes:      []string{"openid", "offline_access"},
		Endpoint:    oauth2.Endpoint{AuthURL: ep.Authorize, TokenURL: ep.Token, AuthStyle: oauth2.AuthStyleInParams},
	}
	verifier := oauth2.GenerateVerifier()
	noFollow := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	resp, err := noFollow.Get(conf.AuthCodeURL("state-1", oauth2.S256ChallengeOption(verifier)))
	if err != nil {
		panic(err)
	}
	resp.Body.Close()
	cb, _ := url.Parse(resp.Header.Get("Location"))
	tok, err := conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		panic(err)
	}
	fmt.Println(resp.StatusCode, cb.Query().Get("state"), tok.TokenType, tok.RefreshToken != "")

	// Replaying the code fails, and the journal says why.
	_, err = conf.Exchange(context.Background(), cb.Query().Get("code"), oauth2.VerifierOption(verifier))
	fmt.Println(err != nil)
	es := srv.Journal().Entries()
	fmt.Println(es[len(es)-1].Reason)
	// Output:
	// 302 state-1 Bearer true
	// true
	// code_reused
}

// Faults and the virtual clock are driven from Go as well as over HTTP.
func ExampleServer_AddFault() {
	srv, _ := mockidp.New(mockidp.Config{Profile: "entra-v2", StartTime: time.Date(2026, 1, 1, 0, 0, 0, 0, time.UTC)})
	ts := httptest.NewServer(srv.Handler())
	defer ts.Close()
	srv.SetURL(ts.URL)

	srv.AddFault(mockidp.Fault{Endpoint: "token", GrantType: "client_credentials", Action: mockidp.FaultRateLimit, RetryAfter: 60})
	form := url.Values{"grant_type": {"client_credentials"}, "scope": {"api://my-api/.default"},
		"client_id": {mockidp.DefaultServiceClient}, "client_secret": {mockidp.DefaultServiceSecret}}
	resp, _ := http.PostForm(srv.Endpoints().Token, form)
	resp.Body.Close()
	fmt.Println(resp.StatusCode, resp.Header.Get("Retry-After"))
	resp, _ = http.PostForm(srv.Endpoints().Token, form)
	resp.Body.Close()
	fmt.Println(resp.StatusCode)
	fmt.Println(srv.Clock().Advance(90 * 24 * time.Hour).Format(time.DateOnly))
	// Output:
	// 429 60
	// 200
	// 2026-04-01
}
