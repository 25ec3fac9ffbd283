package mockcdr

import (
	"context"
	"crypto/subtle"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strings"
	"sync"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/go-jose/go-jose/v4/jwt"
)

// authResult is the outcome of authenticating one request.
type authResult struct {
	scheme, subject, claimStyle string
	status                      int    // 0 = allowed, else 401 or 403
	challenge                   string // WWW-Authenticate value
	message                     string
}

// signingAlgs are the JWS algorithms accepted for tokens.
var signingAlgs = []jose.SignatureAlgorithm{
	jose.RS256, jose.RS384, jose.RS512, jose.PS256, jose.PS384, jose.PS512,
	jose.ES256, jose.ES384, jose.ES512, jose.EdDSA,
}

// authenticator checks Basic credentials and Bearer tokens.
type authenticator struct {
	cfg      AuthConfig
	realm    string
	roleRule bool
	now      func() time.Time
	jwks     *jwksCache
}

func newAuthenticator(cfg AuthConfig, p Profile, now func() time.Time) *authenticator {
	if cfg.Mode == "" {
		cfg.Mode = AuthBasic
		if cfg.JWKSURL != "" {
			cfg.Mode = AuthBoth
		}
	}
	if cfg.Users == nil {
		cfg.Users = DefaultUsers()
	}
	if cfg.UserRole == "" {
		cfg.UserRole = "USER"
	}
	if cfg.AdminRole == "" {
		cfg.AdminRole = "ADMIN"
	}
	a := &authenticator{cfg: cfg, realm: p.Realm, roleRule: p.Name == "ehrbase", now: now}
	if cfg.RoleRule != nil {
		a.roleRule = *cfg.RoleRule
	}
	if cfg.JWKSURL != "" {
		a.jwks = &jwksCache{url: cfg.JWKSURL, client: &http.Client{Timeout: 5 * time.Second}}
	}
	return a
}

func (a *authenticator) basicOn() bool  { return a.cfg.Mode == AuthBasic || a.cfg.Mode == AuthBoth }
func (a *authenticator) bearerOn() bool { return a.cfg.Mode == AuthBearer || a.cfg.Mode == AuthBoth }

// challenges returns the WWW-Authenticate value for a missing credential.
func (a *authenticator) challenges() string {
	var cs []string
	if a.basicOn() {
		cs = append(cs, fmt.Sprintf("Basic realm=%q", a.realm))
	}
	if a.bearerOn() {
		cs = append(cs, fmt.Sprintf("Bearer realm=%q", a.realm))
	}
	return strings.Join(cs, ", ")
}

func (a *authenticator) check(ctx context.Context, r *http.Request) authResult {
	if a.cfg.Mode == AuthNone {
		return authResult{}
	}
	h := r.Header.Get("Authorization")
	scheme, cred, _ := strings.Cut(h, " ")
	cred = strings.TrimSpace(cred)
	switch {
	case h == "":
		return authResult{status: http.StatusUnauthorized, challenge: a.challenges(), message: "Full authentication is required to access this resource"}
	case strings.EqualFold(scheme, "Basic") && a.basicOn():
		return a.checkBasic(cred)
	case strings.EqualFold(scheme, "Bearer") && a.bearerOn():
		return a.checkBearer(ctx, cred)
	default:
		return authResult{scheme: strings.ToLower(scheme), status: http.StatusUnauthorized, challenge: a.challenges(),
			message: fmt.Sprintf("authentication scheme %q is not accepted", scheme)}
	}
}

func (a *authenticator) checkBasic(cred string) authResult {
	res := authResult{scheme: "basic"}
	raw, err := base64.StdEncoding.DecodeString(cred)
	name, pass, ok := strings.Cut(string(raw), ":")
	if err != nil || !ok {
		res.status, res.challenge, res.message = http.StatusUnauthorized, a.challenges(), "malformed Basic credentials"
		return res
	}
	res.subject = name
	for _, u := range a.cfg.Users {
		if u.Name != name {
			continue
		}
		// EHRbase compares passwords in plain text; constant time anyway.
		if subtle.ConstantTimeCompare([]byte(u.Password), []byte(pass)) != 1 {
			break
		}
		for _, role := range u.Roles {
			if strings.EqualFold(role, a.cfg.UserRole) || strings.EqualFold(role, a.cfg.AdminRole) {
				return res
			}
		}
		res.status, res.challenge, res.message = http.StatusForbidden, fmt.Sprintf("Basic realm=%q", a.realm), "Access Denied"
		return res
	}
	res.status, res.challenge, res.message = http.StatusUnauthorized, a.challenges(), "Bad credentials"
	return res
}

// tokenClaims are the claims the role rule and log read.
type tokenClaims struct {
	jwt.Claims
	Scope       string   `json:"scope"`
	Scp         any      `json:"scp"`
	Roles       []string `json:"roles"`
	RealmAccess *struct {
		Roles []string `json:"roles"`
	} `json:"realm_access"`
}

func (a *authenticator) checkBearer(ctx context.Context, raw string) authResult {
	res := authResult{scheme: "bearer"}
	fail := func(format string, args ...any) authResult {
		res.status = http.StatusUnauthorized
		res.message = fmt.Sprintf(format, args...)
		res.challenge = fmt.Sprintf("Bearer error=\"invalid_token\", error_description=%q", res.message)
		return res
	}
	tok, err := jwt.ParseSigned(raw, signingAlgs)
	if err != nil {
		return fail("malformed token: %v", err)
	}
	var kid string
	if len(tok.Headers) > 0 {
		kid = tok.Headers[0].KeyID
	}
	keys, err := a.jwks.keys(ctx, kid)
	if err != nil {
		return fail("cannot fetch signing keys: %v", err)
	}
	var c tokenClaims
	verified := false
	for _, k := range keys {
		if err := tok.Claims(k.Key, &c); err == nil {
			verified = true
			break
		}
	}
	if !verified {
		return fail("signature verification failed")
	}
	res.subject = c.Subject
	res.claimStyle = claimStyle(&c)
	exp := jwt.Expected{Issuer: a.cfg.Issuer, Time: a.now()}
	if err := c.Claims.ValidateWithLeeway(exp, 5*time.Second); err != nil {
		if errors.Is(err, jwt.ErrExpired) {
			return fail("Jwt expired at %s", c.Expiry.Time().UTC().Format(time.RFC3339))
		}
		return fail("%v", err)
	}
	if c.Expiry == nil {
		return fail("token has no exp claim")
	}
	if a.cfg.Audience != "" && !c.Audience.Contains(a.cfg.Audience) {
		return fail("the required audience %s is missing", a.cfg.Audience)
	}
	if a.roleRule && !a.ehrbaseRoles(&c) {
		res.status = http.StatusForbidden
		res.message = "Access Denied"
		res.challenge = `Bearer error="insufficient_scope", error_description="The request requires higher privileges than provided by the access token."`
	}
	return res
}

// ehrbaseRoles applies EHRbase's rule: roles from realm_access.roles and the
// space-separated scope claim, upper-cased, must include the user or admin
// role or PROFILE. Entra's scp and roles claims are not read, which is why
// Entra tokens are refused.
func (a *authenticator) ehrbaseRoles(c *tokenClaims) bool {
	var roles []string
	if c.RealmAccess != nil {
		roles = append(roles, c.RealmAccess.Roles...)
	}
	roles = append(roles, strings.Fields(c.Scope)...)
	for _, r := range roles {
		r = strings.ToUpper(r)
		if r == strings.ToUpper(a.cfg.UserRole) || r == strings.ToUpper(a.cfg.AdminRole) || r == "PROFILE" {
			return true
		}
	}
	return false
}

// claimStyle guesses the issuer family from the claims, then from the
// shape of the issuer URL (Keycloak realms, Entra's /v2.0, Auth0's
// trailing slash); it is for the log only and decides nothing.
func claimStyle(c *tokenClaims) string {
	switch {
	case c.RealmAccess != nil:
		return "keycloak"
	case c.Scp != nil || c.Roles != nil:
		return "entra"
	case strings.Contains(c.Issuer, "/realms/"):
		return "keycloak"
	case strings.HasSuffix(c.Issuer, "/v2.0"):
		return "entra"
	case c.Scope != "" || strings.HasSuffix(c.Issuer, "/"):
		return "auth0"
	}
	return ""
}

// jwksCache holds the key set and refetches it when a token names an
// unknown key id, which is how clients see key rotation.
type jwksCache struct {
	url    string
	client *http.Client

	mu      sync.Mutex
	set     *jose.JSONWebKeySet
	fetched time.Time
}

func (j *jwksCache) keys(ctx context.Context, kid string) ([]jose.JSONWebKey, error) {
	if j == nil {
		return nil, errors.New("no JWKS URL configured")
	}
	j.mu.Lock()
	defer j.mu.Unlock()
	find := func() []jose.JSONWebKey {
		if j.set == nil {
			return nil
		}
		if kid == "" {
			return j.set.Keys
		}
		return j.set.Key(kid)
	}
	if ks := find(); len(ks) > 0 {
		return ks, nil
	}
	// Unknown kid: refetch, but not more than a few times a second.
	if j.set != nil && time.Since(j.fetched) < 100*time.Millisecond {
		return nil, fmt.Errorf("no key with kid %q", kid)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, j.url, nil)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Accept", "application/json")
	resp, err := j.client.Do(req)
	if err != nil {
		return nil, err
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, 1<<20))
	if err != nil {
		return nil, err
	}
	if resp.StatusCode != http.StatusOK {
		return nil, fmt.Errorf("JWKS endpoint answered %s", resp.Status)
	}
	var set jose.JSONWebKeySet
	if err := json.Unmarshal(body, &set); err != nil {
		return nil, fmt.Errorf("JWKS: %v", err)
	}
	j.set, j.fetched = &set, time.Now()
	if ks := find(); len(ks) > 0 {
		return ks, nil
	}
	return nil, fmt.Errorf("no key with kid %q", kid)
}
