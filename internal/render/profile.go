package render

import (
	"fmt"
	"io/fs"
	"net/url"
	"path"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
	"github.com/pqxdev/pqx/internal/project"
)

// IDPProfile describes an identity provider: endpoint patterns, the tenant
// values they need, and how audiences and refresh tokens are requested.
type IDPProfile struct {
	Name  string `yaml:"name"`
	Title string `yaml:"title"`
	// Params maps tenant auth keys (domain, tenant, realm, issuer,
	// authorization_server) to how their values are checked.
	Params map[string]ParamSpec `yaml:"params"`
	// Endpoint patterns; {key} is replaced by the tenant's value.
	AuthorizeURL string `yaml:"authorize_url"`
	TokenURL     string `yaml:"token_url"`
	LogoutURL    string `yaml:"logout_url"`
	// Audience is how an API audience is requested: none, audience-param
	// (audience=…), scope-default (scope <resource>/.default) or
	// resource-param (RFC 8707 resource=…).
	Audience string `yaml:"audience"`
	// Offline is how a refresh token is requested: offline-scope (the
	// offline_access scope), access-type-offline (access_type=offline) or
	// none.
	Offline         string            `yaml:"offline"`
	DefaultScopes   []string          `yaml:"default_scopes"`
	AuthorizeParams map[string]string `yaml:"authorize_params"`
	TokenParams     map[string]string `yaml:"token_params"`
}

// ParamSpec says how a profile parameter is checked and inserted: url (an
// https URL, trailing slash removed), host (a DNS name) or segment (one path
// segment, percent-encoded). Default applies when the tenant gives none.
type ParamSpec struct {
	Kind    string `yaml:"kind"`
	Default string `yaml:"default"`
}

var (
	hostRE        = regexp.MustCompile(`^[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*(:[0-9]{1,5})?$`)
	placeholderRE = regexp.MustCompile(`\{([a-z_]+)\}`)
)

// loadProfiles reads every idp/*.yaml of fsys into profiles, checking each.
func loadProfiles(fsys fs.FS, dir, display string, profiles map[string]*IDPProfile) error {
	names, err := fs.Glob(fsys, path.Join(dir, "*.yaml"))
	if err != nil {
		return err
	}
	for _, name := range names {
		data, err := fs.ReadFile(fsys, name)
		if err != nil {
			return err
		}
		var p IDPProfile
		if err := yaml.UnmarshalWithOptions(data, &p, yaml.Strict()); err != nil {
			return fmt.Errorf("%s: %s", path.Join(display, name), yaml.FormatError(err, false, false))
		}
		if err := p.check(); err != nil {
			return fmt.Errorf("%s: %v", path.Join(display, name), err)
		}
		if want := strings.TrimSuffix(path.Base(name), ".yaml"); p.Name != want {
			return fmt.Errorf("%s: profile name %q must match the file name %q", path.Join(display, name), p.Name, want)
		}
		profiles[p.Name] = &p
	}
	return nil
}

func (p *IDPProfile) check() error {
	if !slices.Contains([]string{"none", "audience-param", "scope-default", "resource-param"}, p.Audience) {
		return fmt.Errorf("audience %q is not one of none, audience-param, scope-default, resource-param", p.Audience)
	}
	if !slices.Contains([]string{"none", "offline-scope", "access-type-offline"}, p.Offline) {
		return fmt.Errorf("offline %q is not one of none, offline-scope, access-type-offline", p.Offline)
	}
	for k, s := range p.Params {
		if !slices.Contains(profileParamKeys, k) {
			return fmt.Errorf("param %q is not a tenant auth key (%s)", k, strings.Join(profileParamKeys, ", "))
		}
		if !slices.Contains([]string{"url", "host", "segment"}, s.Kind) {
			return fmt.Errorf("param %q: kind %q is not one of url, host, segment", k, s.Kind)
		}
	}
	for _, pat := range []string{p.AuthorizeURL, p.TokenURL, p.LogoutURL} {
		for _, m := range placeholderRE.FindAllStringSubmatch(pat, -1) {
			if _, ok := p.Params[m[1]]; !ok {
				return fmt.Errorf("pattern %q uses {%s}, which is not in params", pat, m[1])
			}
		}
	}
	return nil
}

// profileParamKeys are the tenant auth keys a profile may use as parameters.
var profileParamKeys = []string{"tenant", "realm", "domain", "issuer", "authorization_server"}

func paramValue(a *project.Auth, key string) string {
	switch key {
	case "tenant":
		return a.Tenant
	case "realm":
		return a.Realm
	case "domain":
		return a.Domain
	case "issuer":
		return a.Issuer
	case "authorization_server":
		return a.AuthorizationServer
	}
	return ""
}

// Auth is what an auth template receives as .Auth: every value resolved
// from the tenant file and its IDP profile.
type Auth struct {
	Pattern      string // basic, oauth-pkce or broker
	Profile      string // IDP profile name (oauth-pkce)
	AuthorizeURL string
	TokenURL     string
	LogoutURL    string // empty when the IDP has no logout endpoint
	ClientID     string
	RedirectURI  string
	Scopes       []string
	// Extra parameters of the authorize and token requests (audience,
	// resource, access_type and the tenant's own).
	AuthorizeParams map[string]string
	TokenParams     map[string]string
	// Label, UsernameLabel and PasswordLabel are shown in Power BI's
	// credential dialog.
	Label         string
	UsernameLabel string
	PasswordLabel string
	// BrokerMode is proxy or vending; BrokerTokenURL is the broker's token
	// endpoint in vending mode.
	BrokerMode     string
	BrokerTokenURL string
}

// resolveAuth computes a tenant's Auth, reporting problems at their
// positions in the tenant file.
func resolveAuth(t *project.Tenant, profiles map[string]*IDPProfile) (Auth, project.ErrorList) {
	a := &t.Auth
	out := Auth{
		Pattern:       a.Pattern,
		Label:         t.DisplayName,
		UsernameLabel: or(a.UsernameLabel, "User name"),
		PasswordLabel: or(a.PasswordLabel, "Password"),
		BrokerMode:    a.BrokerMode,
	}
	var errs project.ErrorList
	add := func(key, format string, args ...any) {
		errs = append(errs, project.Diagnostic{Pos: t.Pos(key), Msg: fmt.Sprintf(format, args...)})
	}
	switch a.Pattern {
	case "broker":
		out.UsernameLabel = or(a.UsernameLabel, "Broker user name")
		out.PasswordLabel = or(a.PasswordLabel, "Broker password")
		if a.BrokerMode == "vending" {
			out.BrokerTokenURL = strings.TrimSuffix(a.BrokerURL, "/") + "/token"
		}
		return out, errs
	case "oauth-pkce":
	default:
		return out, errs
	}

	p, ok := profiles[a.IDP]
	if !ok {
		add("auth.idp", "unknown IDP profile %q (known: %s)", a.IDP, strings.Join(sortedNames(profiles), ", "))
		return out, errs
	}
	out.Profile = p.Name
	out.ClientID = a.ClientID
	out.RedirectURI = a.RedirectURI
	out.AuthorizeParams = map[string]string{}
	out.TokenParams = map[string]string{}

	values := map[string]string{}
	for _, key := range profileParamKeys {
		spec, wanted := p.Params[key]
		v := paramValue(a, key)
		if !wanted {
			if v != "" && key != "issuer" {
				add("auth."+key, "auth.%s is not used by IDP profile %s", key, p.Name)
			}
			continue
		}
		if v == "" {
			v = spec.Default
		}
		if v == "" {
			add("auth."+key, "IDP profile %s needs auth.%s", p.Name, key)
			continue
		}
		switch spec.Kind {
		case "host":
			if !hostRE.MatchString(v) {
				add("auth."+key, "auth.%s %q must be a host name such as example.com (no scheme or path)", key, v)
			}
		case "segment":
			if strings.ContainsAny(v, "/?#") || strings.TrimSpace(v) != v {
				add("auth."+key, "auth.%s %q must be a single path segment (no /, ?, # or surrounding spaces)", key, v)
			}
			v = url.PathEscape(v)
		case "url":
			v = strings.TrimSuffix(v, "/")
		}
		values[key] = v
	}
	expand := func(pattern string) string {
		return placeholderRE.ReplaceAllStringFunc(pattern, func(m string) string {
			return values[m[1:len(m)-1]]
		})
	}
	out.AuthorizeURL = or(a.AuthorizeURL, expand(p.AuthorizeURL))
	out.TokenURL = or(a.TokenURL, expand(p.TokenURL))
	out.LogoutURL = or(a.LogoutURL, expand(p.LogoutURL))
	if out.AuthorizeURL == "" {
		add("auth.authorize_url", "IDP profile %s has no authorize endpoint pattern: set auth.authorize_url", p.Name)
	}
	if out.TokenURL == "" {
		add("auth.token_url", "IDP profile %s has no token endpoint pattern: set auth.token_url", p.Name)
	}
	if len(errs) > 0 {
		return out, errs
	}

	out.Scopes = slices.Clone(a.Scopes)
	if len(out.Scopes) == 0 {
		out.Scopes = slices.Clone(p.DefaultScopes)
	}
	for k, v := range p.AuthorizeParams {
		out.AuthorizeParams[k] = v
	}
	for k, v := range p.TokenParams {
		out.TokenParams[k] = v
	}
	switch p.Audience {
	case "audience-param":
		if a.Resource != "" {
			add("auth.resource", "IDP profile %s takes an API audience: use auth.audience, not auth.resource", p.Name)
		}
		if a.Audience != "" {
			out.AuthorizeParams["audience"] = a.Audience
		}
	case "scope-default":
		if a.Audience != "" {
			add("auth.audience", "IDP profile %s asks for an API as a scope: use auth.resource (e.g. api://<app id>), not auth.audience", p.Name)
		}
		if a.Resource != "" {
			s := strings.TrimSuffix(a.Resource, "/") + "/.default"
			if !slices.Contains(out.Scopes, s) {
				out.Scopes = append(out.Scopes, s)
			}
		}
	case "resource-param":
		if a.Audience != "" {
			add("auth.audience", "IDP profile %s uses RFC 8707 resource indicators: use auth.resource, not auth.audience", p.Name)
		}
		if a.Resource != "" {
			out.AuthorizeParams["resource"] = a.Resource
			out.TokenParams["resource"] = a.Resource
		}
	case "none":
		if a.Audience != "" || a.Resource != "" {
			key := "auth.audience"
			if a.Resource != "" {
				key = "auth.resource"
			}
			add(key, "IDP profile %s has no audience request parameter; configure the audience at the IDP (client scope or mapper)", p.Name)
		}
	}
	switch p.Offline {
	case "offline-scope":
		if !slices.Contains(out.Scopes, "offline_access") {
			out.Scopes = append(out.Scopes, "offline_access")
		}
	case "access-type-offline":
		out.AuthorizeParams["access_type"] = "offline"
	}
	for k, v := range a.AuthorizeParams {
		out.AuthorizeParams[k] = v
	}
	for k, v := range a.TokenParams {
		out.TokenParams[k] = v
	}
	return out, errs
}

func or(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

func sortedNames(m map[string]*IDPProfile) []string {
	names := make([]string, 0, len(m))
	for n := range m {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}
