package mockidp

import (
	"bytes"
	"embed"
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

//go:embed profiles/*.yaml
var profileFS embed.FS

// Rotation modes of refresh tokens (reference §3, §4).
const (
	// RotationNone keeps one refresh token for the life of the grant (Google).
	RotationNone = "none"
	// RotationNoRevoke issues a new refresh token on every refresh and leaves
	// the old one valid until it expires (Entra ID v2).
	RotationNoRevoke = "rotate-no-revoke"
	// RotationRevokeFamily rotates and, when an invalidated token is
	// presented again, revokes every refresh token of its family (Auth0,
	// RFC 9700 §4.14.2).
	RotationRevokeFamily = "rotate-revoke-family"
	// RotationKillSession rotates and, on reuse, ends the whole login
	// session: all families and access tokens of it (Keycloak).
	RotationKillSession = "rotate-kill-session"
)

// Audience mechanisms: how a client names the API it wants a token for.
const (
	AudienceParam        = "audience"      // Auth0: audience=<API identifier>
	AudienceScopeDefault = "scope-default" // Entra v2: scope=<resource>/.default
	AudienceResource     = "resource"      // RFC 8707 resource=<absolute URI>
	AudienceFixed        = "fixed"         // Okta custom AS: always Audience.Default
	AudienceClient       = "client"        // aud = client_id (Keycloak, Google)
)

// Profile describes one identity provider's behaviour as data. The built-in
// profiles live in profiles/*.yaml; a config file may override any field.
type Profile struct {
	Name        string `yaml:"name" json:"name"`
	Description string `yaml:"description" json:"description"`
	// Vars are the defaults of the {name} placeholders in Issuer and Paths
	// (Entra {tenant}, Keycloak {realm}, Okta {server}).
	Vars map[string]string `yaml:"vars" json:"vars,omitempty"`
	// WildcardVars are placeholders whose path segment may hold any value
	// in requests (Entra's tenant: an id, a domain, common, organizations),
	// so connectors with hard-coded tenant URLs reach the mock. Issued
	// tokens still name the configured value.
	WildcardVars []string `yaml:"wildcard_vars" json:"wildcard_vars,omitempty"`
	// Issuer is the issuer path below the server's base URL, e.g.
	// "/{tenant}/v2.0"; "" or "/" means the base URL itself.
	Issuer    string        `yaml:"issuer" json:"issuer"`
	Paths     Paths         `yaml:"paths" json:"paths"`
	Audience  AudienceRules `yaml:"audience" json:"audience"`
	Scope     ScopeRules    `yaml:"scope" json:"scope"`
	PKCE      PKCERules     `yaml:"pkce" json:"pkce"`
	State     string        `yaml:"state" json:"state"` // required | recommended
	Refresh   RefreshRules  `yaml:"refresh" json:"refresh"`
	Lifetimes Lifetimes     `yaml:"lifetimes" json:"lifetimes"`
	// AccessToken says how access tokens look.
	AccessToken TokenFormat `yaml:"access_token" json:"access_token"`
	// Signing is the JWS algorithm, ES256 (default) or RS256.
	Signing string      `yaml:"signing" json:"signing"`
	Errors  ErrorRules  `yaml:"errors" json:"errors"`
	Extra   ExtraFields `yaml:"extra" json:"extra"`
	Clients ClientRules `yaml:"clients" json:"clients"`
	// RateLimit documents the IDP's token-endpoint limit; it is enforced only
	// when Config.EnforceRateLimits is set.
	RateLimit RateLimit `yaml:"rate_limit" json:"rate_limit"`
}

// Paths are endpoint paths below the server's base URL. Placeholders {name}
// are filled from Profile.Vars.
type Paths struct {
	Authorize  string `yaml:"authorize" json:"authorize"`
	Token      string `yaml:"token" json:"token"`
	Userinfo   string `yaml:"userinfo" json:"userinfo"`
	JWKS       string `yaml:"jwks" json:"jwks"`
	Introspect string `yaml:"introspect" json:"introspect"`
	Revoke     string `yaml:"revoke" json:"revoke"`
	// Aliases are further paths per endpoint name (authorize, token, ...)
	// that the IDP also serves, such as Google's older /o/oauth2/token,
	// which connectors still hard-code.
	Aliases map[string][]string `yaml:"aliases" json:"aliases,omitempty"`
}

// AudienceRules say how the API audience of an access token is requested.
type AudienceRules struct {
	Mode string `yaml:"mode" json:"mode"`
	// Default is the audience when the client names none (Okta
	// "api://default"); "" leaves it to the mode.
	Default string `yaml:"default" json:"default,omitempty"`
	// UnknownError is the error for an audience no registered API has, as
	// "status error" (Auth0: "403 access_denied"); "" accepts any audience.
	UnknownError string `yaml:"unknown_error" json:"unknown_error,omitempty"`
}

// ScopeRules say which scope triggers what.
type ScopeRules struct {
	// Offline decides when a refresh token is issued: "always",
	// "offline_access" (the scope) or "access_type_offline" (Google's
	// parameter).
	Offline string `yaml:"offline" json:"offline"`
	// ClientCredentialsDefault requires ".default" scopes for
	// client_credentials (Entra).
	ClientCredentialsDefault bool `yaml:"client_credentials_default" json:"client_credentials_default,omitempty"`
}

// PKCERules are the RFC 7636 switches.
type PKCERules struct {
	// Required is "all", "public" (public clients only) or "none".
	Required   string `yaml:"required" json:"required"`
	AllowPlain bool   `yaml:"allow_plain" json:"allow_plain"`
}

// RefreshRules configure refresh-token families.
type RefreshRules struct {
	Rotation string `yaml:"rotation" json:"rotation"`
	// ReuseInterval is the leeway after a rotation during which the
	// immediate predecessor is still accepted (Okta 30 s, Auth0 "overlap").
	ReuseInterval Duration `yaml:"reuse_interval" json:"reuse_interval"`
	// Lifetime is each refresh token's own lifetime from issue (0 = none);
	// rotation restarts it, which makes it sliding.
	Lifetime Duration `yaml:"lifetime" json:"lifetime"`
	// Idle ends a family not used for this long (0 = none).
	Idle Duration `yaml:"idle" json:"idle"`
	// Absolute ends a family this long after the original grant, however
	// often it is refreshed (0 = none).
	Absolute Duration `yaml:"absolute" json:"absolute"`
	// RedirectURI is the policy for redirect_uri on refresh: ignore,
	// required or reject.
	RedirectURI string `yaml:"redirect_uri" json:"redirect_uri"`
	// ClientCredentials issues a refresh token on client_credentials too
	// (RFC 6749 §4.4.3 says SHOULD NOT).
	ClientCredentials bool `yaml:"client_credentials" json:"client_credentials,omitempty"`
	// EchoWithoutRotation returns the unchanged refresh token in refresh
	// responses when Rotation is none (otherwise it is omitted, as Google).
	EchoWithoutRotation bool `yaml:"echo_without_rotation" json:"echo_without_rotation,omitempty"`
}

// Lifetimes of codes and tokens.
type Lifetimes struct {
	Code              Duration `yaml:"code" json:"code"`
	AccessToken       Duration `yaml:"access_token" json:"access_token"`
	IDToken           Duration `yaml:"id_token" json:"id_token"`
	ClientCredentials Duration `yaml:"client_credentials" json:"client_credentials"`
}

// TokenFormat describes access tokens.
type TokenFormat struct {
	// Format is "jwt", "opaque", or "jwt-with-audience" (Auth0: opaque
	// unless an audience was requested).
	Format string `yaml:"format" json:"format"`
	// Prefix starts opaque tokens (Google "ya29.").
	Prefix string `yaml:"prefix" json:"prefix,omitempty"`
	// Type is the JWT "typ" header ("at+jwt" per RFC 9068, or "JWT").
	Type string `yaml:"type" json:"type,omitempty"`
}

// ErrorRules hold the profile's deviations in error responses.
type ErrorRules struct {
	// BadRefreshStatus is the HTTP status of invalid_grant for a refresh
	// token (Auth0 403); 0 means 400.
	BadRefreshStatus int `yaml:"bad_refresh_status" json:"bad_refresh_status,omitempty"`
	// BadRefreshDescription replaces error_description for refresh-token
	// failures ("Unknown or invalid refresh token.").
	BadRefreshDescription string `yaml:"bad_refresh_description" json:"bad_refresh_description,omitempty"`
	// MissingSecret is the error, as "status error", when a client with a
	// secret sends none (Google: "400 invalid_request"); "" = 401
	// invalid_client.
	MissingSecret string `yaml:"missing_secret" json:"missing_secret,omitempty"`
	// MissingSecretDescription replaces error_description for that case.
	MissingSecretDescription string `yaml:"missing_secret_description" json:"missing_secret_description,omitempty"`
	// Descriptions replace error_description by decision reason with the
	// IDP's own wording ("refresh_reused": "Maximum allowed refresh token
	// reuse exceeded"); the hint then goes to error_hint.
	Descriptions map[string]string `yaml:"descriptions" json:"descriptions,omitempty"`
	// Vendor adds vendor fields to errors: "entra" (error_codes, trace_id,
	// correlation_id, timestamp, AADSTS descriptions).
	Vendor string `yaml:"vendor" json:"vendor,omitempty"`
}

// ExtraFields are vendor fields of successful token responses.
type ExtraFields struct {
	ExtExpiresIn     bool           `yaml:"ext_expires_in" json:"ext_expires_in,omitempty"`
	RefreshExpiresIn bool           `yaml:"refresh_expires_in" json:"refresh_expires_in,omitempty"`
	SessionState     bool           `yaml:"session_state" json:"session_state,omitempty"`
	Static           map[string]any `yaml:"static" json:"static,omitempty"`
}

// ClientRules are the profile's rules about client types.
type ClientRules struct {
	// AuthMethods lists token_endpoint_auth_methods_supported.
	AuthMethods []string `yaml:"auth_methods" json:"auth_methods"`
	// WebRedirectNeedsSecret makes a client without a secret whose redirect
	// type is "web" fail with invalid_client (Entra AADSTS7000218).
	WebRedirectNeedsSecret bool `yaml:"web_redirect_needs_secret" json:"web_redirect_needs_secret,omitempty"`
}

// RateLimit documents (and, if enabled, enforces) a token-endpoint limit.
type RateLimit struct {
	PerSecond  int `yaml:"per_second" json:"per_second,omitempty"`
	RetryAfter int `yaml:"retry_after" json:"retry_after,omitempty"`
}

// Profiles returns the names of the built-in profiles, sorted.
func Profiles() []string {
	ents, _ := fs.ReadDir(profileFS, "profiles")
	var names []string
	for _, e := range ents {
		if n, ok := strings.CutSuffix(e.Name(), ".yaml"); ok {
			names = append(names, n)
		}
	}
	sort.Strings(names)
	return names
}

// LoadProfile returns the built-in profile of that name.
func LoadProfile(name string) (*Profile, error) {
	data, err := profileFS.ReadFile(path.Join("profiles", name+".yaml"))
	if err != nil {
		return nil, fmt.Errorf("unknown IDP profile %q (known: %s)", name, strings.Join(Profiles(), ", "))
	}
	p := new(Profile)
	if err := decodeYAML("profiles/"+name+".yaml", data, p); err != nil {
		return nil, err
	}
	if err := p.validate(); err != nil {
		return nil, fmt.Errorf("profiles/%s.yaml: %v", name, err)
	}
	return p, nil
}

// decodeYAML decodes YAML or JSON strictly (unknown fields are errors) and
// prefixes errors with the file name; go-yaml's messages carry line:col.
func decodeYAML(file string, data []byte, v any) error {
	err := yaml.UnmarshalWithOptions(data, v, yaml.Strict())
	if err != nil {
		msg := yaml.FormatError(err, false, false)
		msg = strings.TrimSpace(msg)
		// FormatError renders "[line:col] message" followed by source lines;
		// keep the first line in compiler style.
		first, _, _ := strings.Cut(msg, "\n")
		if strings.HasPrefix(first, "[") {
			if pos, rest, ok := strings.Cut(first[1:], "] "); ok {
				return fmt.Errorf("%s:%s: %s", file, pos, rest)
			}
		}
		return fmt.Errorf("%s: %s", file, first)
	}
	return nil
}

var (
	rotationModes = []string{RotationNone, RotationNoRevoke, RotationRevokeFamily, RotationKillSession}
	audienceModes = []string{AudienceParam, AudienceScopeDefault, AudienceResource, AudienceFixed, AudienceClient}
)

func oneOf(field, v string, allowed ...string) error {
	for _, a := range allowed {
		if v == a {
			return nil
		}
	}
	return fmt.Errorf("%s: %q is not one of %s", field, v, strings.Join(allowed, ", "))
}

// validate checks enumerations and fills defaults, so the server code can
// trust every field.
func (p *Profile) validate() error {
	if p.Name == "" {
		return fmt.Errorf("name: missing")
	}
	if p.Paths.Authorize == "" || p.Paths.Token == "" {
		return fmt.Errorf("paths: authorize and token are required")
	}
	def := func(s *string, v string) {
		if *s == "" {
			*s = v
		}
	}
	def(&p.Paths.Userinfo, "/userinfo")
	def(&p.Paths.JWKS, "/jwks")
	def(&p.Paths.Introspect, "/introspect")
	def(&p.Paths.Revoke, "/revoke")
	def(&p.Audience.Mode, AudienceResource)
	def(&p.Scope.Offline, "always")
	def(&p.PKCE.Required, "all")
	def(&p.State, "recommended")
	def(&p.Refresh.Rotation, RotationRevokeFamily)
	def(&p.Refresh.RedirectURI, "ignore")
	def(&p.AccessToken.Format, "jwt")
	def(&p.AccessToken.Type, "at+jwt")
	def(&p.Signing, "ES256")
	if len(p.Clients.AuthMethods) == 0 {
		p.Clients.AuthMethods = []string{"none", "client_secret_basic", "client_secret_post"}
	}
	if p.Lifetimes.Code == 0 {
		p.Lifetimes.Code = Duration(60e9)
	}
	if p.Lifetimes.AccessToken == 0 {
		p.Lifetimes.AccessToken = Duration(3600e9)
	}
	if p.Lifetimes.IDToken == 0 {
		p.Lifetimes.IDToken = p.Lifetimes.AccessToken
	}
	if p.Lifetimes.ClientCredentials == 0 {
		p.Lifetimes.ClientCredentials = p.Lifetimes.AccessToken
	}
	for _, c := range []error{
		oneOf("refresh.rotation", p.Refresh.Rotation, rotationModes...),
		oneOf("refresh.redirect_uri", p.Refresh.RedirectURI, "ignore", "required", "reject"),
		oneOf("audience.mode", p.Audience.Mode, audienceModes...),
		oneOf("scope.offline", p.Scope.Offline, "always", "offline_access", "access_type_offline"),
		oneOf("pkce.required", p.PKCE.Required, "all", "public", "none"),
		oneOf("state", p.State, "required", "recommended"),
		oneOf("access_token.format", p.AccessToken.Format, "jwt", "opaque", "jwt-with-audience"),
		oneOf("signing", p.Signing, "ES256", "RS256"),
		oneOf("errors.vendor", p.Errors.Vendor, "", "entra"),
	} {
		if c != nil {
			return c
		}
	}
	for _, spec := range []struct{ field, v string }{
		{"audience.unknown_error", p.Audience.UnknownError},
		{"errors.missing_secret", p.Errors.MissingSecret},
	} {
		if spec.v == "" {
			continue
		}
		if _, _, err := parseStatusError(spec.v); err != nil {
			return fmt.Errorf("%s: %v", spec.field, err)
		}
	}
	for name := range p.Paths.Aliases {
		if err := oneOf("paths.aliases", name, "authorize", "token", "userinfo", "jwks", "introspect", "revoke"); err != nil {
			return err
		}
	}
	if p.Lifetimes.Code.D() > 10*60e9 {
		// RFC 6749 §4.1.2 recommends at most 10 minutes; a mock that is
		// strict by default does not silently allow more.
		return fmt.Errorf("lifetimes.code: %s exceeds the 10 minutes of RFC 6749 §4.1.2", p.Lifetimes.Code)
	}
	return nil
}

// parseStatusError parses "403 access_denied".
func parseStatusError(s string) (int, string, error) {
	var status int
	var code string
	if n, err := fmt.Sscanf(s, "%d %s", &status, &code); n != 2 || err != nil || status < 400 || status > 599 {
		return 0, "", fmt.Errorf("%q: want \"STATUS error_code\", e.g. \"403 access_denied\"", s)
	}
	return status, code, nil
}

// expand fills {name} placeholders from vars.
func expand(s string, vars map[string]string) string {
	if !strings.Contains(s, "{") {
		return s
	}
	var b bytes.Buffer
	for {
		i := strings.IndexByte(s, '{')
		j := strings.IndexByte(s, '}')
		if i < 0 || j < i {
			b.WriteString(s)
			return b.String()
		}
		b.WriteString(s[:i])
		name := s[i+1 : j]
		if v, ok := vars[name]; ok {
			b.WriteString(v)
		} else {
			b.WriteString(s[i : j+1])
		}
		s = s[j+1:]
	}
}
