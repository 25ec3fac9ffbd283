// Package mockidp is a strict mock OAuth 2.0 / OpenID Connect authorization
// server for headless tests of Power Query connectors, token brokers and
// other OAuth clients.
//
// It is strict by default: PKCE is required and checked (verifier syntax,
// S256 and plain, no downgrade), codes are single-use, short-lived and bound
// to client, redirect_uri, challenge and resource, and replaying one revokes
// what it issued; refresh tokens live in families with rotation and reuse
// detection; client authentication is none, client_secret_basic
// (form-urlencoded per RFC 6749 §2.3.1) or client_secret_post, never two at
// once; every token response carries Cache-Control: no-store; every error
// has the RFC code and status, a hint, and a stable reason in the journal.
//
// IDP differences are data: the profiles in profiles/*.yaml (strict-rfc,
// auth0, entra-v2, keycloak, okta, google, google-testing, generic-oidc)
// set endpoint paths, the audience mechanism, rotation mode and reuse
// interval, lifetimes and error quirks; Config.Override changes any field.
//
// Embedding:
//
//	srv, err := mockidp.New(mockidp.Config{Profile: "auth0"})
//	ts := httptest.NewServer(srv.Handler())
//	srv.SetURL(ts.URL)
//	ep := srv.Endpoints() // issuer, authorize, token, ...
//	srv.Clock().Advance(25 * time.Hour)
//	srv.AddFault(mockidp.Fault{Endpoint: "token", Action: mockidp.FaultRateLimit})
//	for _, e := range srv.Journal().Entries() { ... }
//
// or srv.Start("127.0.0.1:0") and srv.Close(). The same controls are served
// over HTTP under /_mock/ to loopback clients; `pqx mock idp` runs the
// server from the command line and the testscript command `mockidp` drives
// it from txtar scripts. README.md documents both.
package mockidp
