package mockidp

import (
	"context"
	"errors"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
	"golang.org/x/oauth2"
	"golang.org/x/oauth2/clientcredentials"
)

// oauth2Config is an x/oauth2 client for the default public client with an
// explicit AuthStyle (auto-detection would send two requests).
func oauth2Config(e *tenv, style oauth2.AuthStyle) *oauth2.Config {
	ep := e.srv.Endpoints()
	return &oauth2.Config{
		ClientID:    DefaultPublicClient,
		Endpoint:    oauth2.Endpoint{AuthURL: ep.Authorize, TokenURL: ep.Token, AuthStyle: style},
		RedirectURL: PowerBIRedirect,
		Scopes:      []string{"openid", "offline_access"},
	}
}

// follow performs the headless authorize step for an x/oauth2 AuthCodeURL.
func (e *tenv) follow(authURL string) url.Values {
	e.t.Helper()
	resp, err := e.hc.Get(authURL)
	if err != nil {
		e.t.Fatal(err)
	}
	resp.Body.Close()
	loc, err := url.Parse(resp.Header.Get("Location"))
	if err != nil || resp.StatusCode != http.StatusFound {
		e.t.Fatalf("authorize: %d %v", resp.StatusCode, err)
	}
	return loc.Query()
}

// TestOAuth2Client drives the server with golang.org/x/oauth2 as an
// independent client: PKCE exchange, refresh with rotation, errors.
func TestOAuth2Client(t *testing.T) {
	e := newEnv(t, Config{StartTime: time.Now()})
	conf := oauth2Config(e, oauth2.AuthStyleInParams)
	ctx := context.Background()
	verifier := oauth2.GenerateVerifier()
	cb := e.follow(conf.AuthCodeURL("xyz", oauth2.S256ChallengeOption(verifier)))
	if cb.Get("state") != "xyz" {
		t.Fatalf("state %q", cb.Get("state"))
	}
	tok, err := conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	if err != nil {
		t.Fatal(err)
	}
	if !tok.Valid() || tok.RefreshToken == "" || tok.Extra("id_token") == nil {
		t.Fatalf("token %+v", tok)
	}
	// Refresh an expired token: x/oauth2 adopts the rotated refresh token.
	tok.Expiry = time.Now().Add(-time.Minute)
	fresh, err := conf.TokenSource(ctx, tok).Token()
	if err != nil {
		t.Fatal(err)
	}
	if fresh.RefreshToken == tok.RefreshToken || fresh.AccessToken == tok.AccessToken {
		t.Fatalf("no rotation: %+v", fresh)
	}
	// A second exchange of the same code fails with invalid_grant,
	// and revokes the family the code started, rotated tokens included.
	_, err = conf.Exchange(ctx, cb.Get("code"), oauth2.VerifierOption(verifier))
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.ErrorCode != "invalid_grant" || !strings.Contains(re.ErrorDescription, "already redeemed") {
		t.Fatalf("replay: %v", err)
	}
	fresh.Expiry = time.Now().Add(-time.Minute)
	if _, err := conf.TokenSource(ctx, fresh).Token(); !errors.As(err, &re) || re.ErrorCode != "invalid_grant" {
		t.Fatalf("refresh after code replay: %v", err)
	}
	// The id_token verifies against the JWKS and carries at_hash and azp.
	idt, _ := tok.Extra("id_token").(string)
	parsed, err := jwt.ParseSigned(idt, []jose.SignatureAlgorithm{jose.ES256})
	if err != nil {
		t.Fatal(err)
	}
	var jwks jose.JSONWebKeySet
	getJSON(t, e.srv.Endpoints().JWKS, &jwks)
	var claims jwt.Claims
	var extra struct {
		AtHash string `json:"at_hash"`
		Azp    string `json:"azp"`
	}
	if err := parsed.Claims(jwks.Keys[0].Key, &claims, &extra); err != nil {
		t.Fatal(err)
	}
	if err := claims.ValidateWithLeeway(jwt.Expected{Issuer: e.srv.Issuer(), AnyAudience: []string{DefaultPublicClient}, Time: time.Now()}, time.Minute); err != nil {
		t.Error(err)
	}
	if extra.AtHash != atHash(tok.AccessToken) || extra.Azp != DefaultPublicClient {
		t.Errorf("at_hash %q azp %q", extra.AtHash, extra.Azp)
	}
}

// TestOAuth2ClientCredentials uses x/oauth2/clientcredentials with Basic
// auth and an Auth0 audience, as the token broker will.
func TestOAuth2ClientCredentials(t *testing.T) {
	e := newEnv(t, Config{Profile: "auth0", APIs: []string{"https://api.example.test"}, StartTime: time.Now()})
	cc := clientcredentials.Config{
		ClientID:       DefaultServiceClient,
		ClientSecret:   DefaultServiceSecret,
		TokenURL:       e.srv.Endpoints().Token,
		EndpointParams: url.Values{"audience": {"https://api.example.test"}},
		AuthStyle:      oauth2.AuthStyleInHeader,
	}
	tok, err := cc.Token(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if tok.RefreshToken != "" || time.Until(tok.Expiry) < 23*time.Hour {
		t.Errorf("client_credentials token: refresh %q expiry %v", tok.RefreshToken, tok.Expiry)
	}
	if n := len(e.srv.Journal().Entries()); n != 1 {
		t.Errorf("%d token requests, want exactly 1", n)
	}
	cc.EndpointParams.Set("audience", "https://unknown.example.test")
	_, err = cc.Token(context.Background())
	var re *oauth2.RetrieveError
	if !errors.As(err, &re) || re.Response.StatusCode != 403 || re.ErrorCode != "access_denied" {
		t.Errorf("unknown audience: %v", err)
	}
}

// TestOAuth2ResponseFaults checks the expires_in faults as x/oauth2 sees
// them, and the body faults as errors.
func TestOAuth2ResponseFaults(t *testing.T) {
	for _, tc := range []struct {
		action  string
		check   func(*oauth2.Token) bool
		wantErr string
	}{
		{action: FaultExpiresInString, check: func(t *oauth2.Token) bool { return time.Until(t.Expiry) > 50*time.Minute }},
		{action: FaultExpiresInZero, check: func(t *oauth2.Token) bool { return t.Expiry.IsZero() }},
		{action: FaultExpiresInMissing, check: func(t *oauth2.Token) bool { return t.Expiry.IsZero() }},
		{action: FaultMalformed, wantErr: "cannot parse json"},
		{action: FaultHTML502, wantErr: "502"},
		{action: FaultEmpty, wantErr: "cannot parse json"},
		{action: FaultReset, wantErr: "connection reset"},
	} {
		t.Run(tc.action, func(t *testing.T) {
			e := newEnv(t, Config{StartTime: time.Now()})
			cc := clientcredentials.Config{ClientID: DefaultServiceClient, ClientSecret: DefaultServiceSecret,
				TokenURL: e.srv.Endpoints().Token, AuthStyle: oauth2.AuthStyleInParams}
			if _, err := e.srv.AddFault(Fault{Endpoint: "token", Action: tc.action}); err != nil {
				t.Fatal(err)
			}
			tok, err := cc.Token(context.Background())
			if tc.wantErr != "" {
				if err == nil || !strings.Contains(err.Error(), tc.wantErr) {
					t.Fatalf("err = %v, want %q", err, tc.wantErr)
				}
				// The fault fired once; the next request is served normally.
				if _, err := cc.Token(context.Background()); err != nil {
					t.Errorf("after the fault: %v", err)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if !tc.check(tok) {
				t.Errorf("token %+v", tok)
			}
		})
	}
}

// TestOAuth2PublicClientInHeader: x/oauth2 with AuthStyleInHeader sends
// "id:" for a public client, which is identification, not a secret.
func TestOAuth2PublicClientInHeader(t *testing.T) {
	e := newEnv(t, Config{StartTime: time.Now()})
	conf := oauth2Config(e, oauth2.AuthStyleInHeader)
	verifier := oauth2.GenerateVerifier()
	cb := e.follow(conf.AuthCodeURL("s", oauth2.S256ChallengeOption(verifier)))
	if _, err := conf.Exchange(context.Background(), cb.Get("code"), oauth2.VerifierOption(verifier)); err != nil {
		t.Fatal(err)
	}
	if en := e.lastEntry("token"); en.AuthMethod != "none" || len(en.Warnings) != 1 {
		t.Errorf("auth method %q warnings %v", en.AuthMethod, en.Warnings)
	}
}
