package project

import (
	"fmt"
	"io/fs"
	"net"
	"net/url"
	"regexp"
	"slices"
	"strings"
	"unicode"
)

var (
	identRE   = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	versionRE = regexp.MustCompile(`^[0-9]+\.[0-9]+\.[0-9]+$`)
	idRE      = regexp.MustCompile(`^[a-z0-9][a-z0-9._-]*$`)
	scopeRE   = regexp.MustCompile(`^[\x21\x23-\x5B\x5D-\x7E]+$`) // RFC 6749 §3.3 scope-token
	paramRE   = regexp.MustCompile(`^[A-Za-z0-9._~-]+$`)
	headerRE  = regexp.MustCompile("^[!#$%&'*+.^_`|~0-9A-Za-z-]+$") // RFC 9110 token
)

// IsIdentifier reports whether s can be a DataSource.Kind and section name:
// a plain M identifier without dots.
func IsIdentifier(s string) bool { return identRE.MatchString(s) }

func (p *Project) loadTenant(name string) (*Tenant, ErrorList) {
	display := p.DisplayPath(name)
	data, err := fs.ReadFile(p.FS, name)
	if err != nil {
		return nil, ErrorList{{Pos: Pos{File: display}, Msg: unwrapPathError(err).Error()}}
	}
	t := &Tenant{File: display, Path: name}
	doc, errs := decodeYAML(display, data, t)
	t.doc = doc
	if len(errs) > 0 {
		return nil, errs
	}
	if t.Kind == "" && t.ID != "" {
		t.Kind = p.Connector.Kind + pascal(t.ID)
	}
	if t.Auth.RedirectURI == "" && t.Auth.Pattern == "oauth-pkce" {
		t.Auth.RedirectURI = DefaultRedirectURI
	}
	if t.Auth.Pattern == "broker" && t.Auth.BrokerMode == "" {
		t.Auth.BrokerMode = "proxy"
	}
	errs = append(errs, t.validate()...)
	return t, errs
}

// pascal turns a tenant id such as "st-olav.prod" into "StOlavProd".
func pascal(id string) string {
	var b strings.Builder
	up := true
	for _, r := range id {
		if !unicode.IsLetter(r) && !unicode.IsDigit(r) {
			up = true
			continue
		}
		if up {
			r = unicode.ToUpper(r)
			up = false
		}
		b.WriteRune(r)
	}
	return b.String()
}

// kindKey is the key to blame for a bad kind: kind, or id when the kind was
// derived from the id.
func (t *Tenant) kindKey() string {
	if t.doc.has("kind") {
		return "kind"
	}
	return "id"
}

func (t *Tenant) validate() ErrorList {
	var errs ErrorList
	required := func(key, val string) bool {
		if strings.TrimSpace(val) == "" {
			errs.add(t.Pos(key), "missing required field %q", key)
			return false
		}
		return true
	}
	oneOf := func(key, val string, allowed []string) {
		if required(key, val) && !slices.Contains(allowed, val) {
			errs.add(t.Pos(key), "%s %q is not one of %s", key, val, strings.Join(allowed, ", "))
		}
	}
	url := func(key, val string, need bool) {
		if val == "" {
			if need {
				required(key, val)
			}
			return
		}
		if msg := checkURL(val, t.AllowInsecureHTTP); msg != "" {
			errs.add(t.Pos(key), "%s: %s", key, msg)
		}
	}

	if required("id", t.ID) && !idRE.MatchString(t.ID) {
		errs.add(t.Pos("id"), "id %q may contain only lower-case letters, digits, '.', '-' and '_', starting with a letter or digit", t.ID)
	}
	required("display_name", t.DisplayName)
	if t.Kind != "" && !identRE.MatchString(t.Kind) {
		errs.add(t.Pos(t.kindKey()), "kind %q is not an M identifier (letters, digits and _; not starting with a digit)", t.Kind)
	}
	url("base_url", t.BaseURL, true)
	oneOf("vendor", t.Vendor, Vendors)
	for _, k := range sortedKeys(t.Headers) {
		if !headerRE.MatchString(k) {
			errs.add(t.Pos("headers."+k), "header name %q is not a valid HTTP header name", k)
		}
		if strings.EqualFold(k, "Authorization") {
			errs.add(t.Pos("headers."+k), "the Authorization header is set by the auth pattern; a static one would put a credential in the package")
		}
		if strings.ContainsAny(t.Headers[k], "\r\n\x00") {
			errs.add(t.Pos("headers."+k), "header %q contains a line break or NUL", k)
		}
	}

	a := &t.Auth
	oneOf("auth.pattern", a.Pattern, Patterns)
	switch a.Pattern {
	case "oauth-pkce":
		required("auth.idp", a.IDP)
		required("auth.client_id", a.ClientID)
		url("auth.authorize_url", a.AuthorizeURL, false)
		url("auth.token_url", a.TokenURL, false)
		url("auth.logout_url", a.LogoutURL, false)
		url("auth.issuer", a.Issuer, false)
		url("auth.redirect_uri", a.RedirectURI, true)
		for i, s := range a.Scopes {
			if !scopeRE.MatchString(s) {
				errs.add(t.Pos(fmt.Sprintf("auth.scopes[%d]", i)), "scope %q is not a valid OAuth scope token (no spaces, quotes or backslashes)", s)
			}
		}
		for _, m := range []struct {
			key    string
			params map[string]string
		}{{"auth.authorize_params", a.AuthorizeParams}, {"auth.token_params", a.TokenParams}} {
			for _, k := range sortedKeys(m.params) {
				if !paramRE.MatchString(k) {
					errs.add(t.Pos(m.key+"."+k), "parameter name %q must use only letters, digits and -._~", k)
				}
				if reservedParams[k] {
					errs.add(t.Pos(m.key+"."+k), "parameter %q is set by the oauth-pkce template and cannot be overridden", k)
				}
				if strings.Contains(strings.ToLower(k), "secret") {
					errs.add(t.Pos(m.key+"."+k), "parameter %q looks like a client secret; a connector package is handed to every user, so it cannot keep a secret (use the broker pattern)", k)
				}
			}
		}
	case "basic":
		// Only labels and the base URL matter.
	case "broker":
		oneOf("auth.broker_mode", a.BrokerMode, []string{"proxy", "vending"})
		url("auth.broker_url", a.BrokerURL, a.BrokerMode == "vending")
	}
	if a.Pattern != "oauth-pkce" {
		for _, key := range oauthOnlyKeys(a) {
			errs.add(t.Pos("auth."+key), "auth.%s applies to the oauth-pkce pattern only, not %q", key, a.Pattern)
		}
	}
	return errs
}

// reservedParams are the parameters the oauth-pkce template owns.
var reservedParams = map[string]bool{
	"response_type": true, "client_id": true, "redirect_uri": true, "state": true,
	"code_challenge": true, "code_challenge_method": true, "code_verifier": true,
	"grant_type": true, "code": true, "refresh_token": true, "scope": true,
}

func oauthOnlyKeys(a *Auth) []string {
	var keys []string
	for _, f := range []struct{ key, val string }{
		{"idp", a.IDP}, {"client_id", a.ClientID}, {"authorize_url", a.AuthorizeURL},
		{"token_url", a.TokenURL}, {"tenant", a.Tenant}, {"realm", a.Realm}, {"domain", a.Domain},
		{"audience", a.Audience}, {"resource", a.Resource},
	} {
		if f.val != "" {
			keys = append(keys, f.key)
		}
	}
	if len(a.Scopes) > 0 {
		keys = append(keys, "scopes")
	}
	return keys
}

// checkURL returns why s is not acceptable as an endpoint URL, or "".
func checkURL(s string, allowHTTP bool) string {
	u, err := url.Parse(s)
	if err != nil {
		return fmt.Sprintf("%q is not a valid URL", s)
	}
	switch {
	case u.Scheme == "" || u.Host == "":
		return fmt.Sprintf("%q must be an absolute URL (https://host/...)", s)
	case u.Scheme == "http" && !allowHTTP:
		return fmt.Sprintf("%q uses http; https is required (set allow_insecure_http: true for local tests)", s)
	case u.Scheme != "https" && u.Scheme != "http":
		return fmt.Sprintf("%q must use https", s)
	case u.User != nil:
		return fmt.Sprintf("%q contains credentials; they would be readable by anyone with the package", redactUser(u))
	case u.Fragment != "" || strings.HasSuffix(s, "#"):
		return fmt.Sprintf("%q must not contain a fragment (#...)", s)
	case strings.ContainsAny(s, " \t\r\n\"<>\\^`{|}"):
		return fmt.Sprintf("%q contains characters that must be percent-encoded", s)
	}
	if h := u.Hostname(); strings.HasPrefix(h, "[") || (net.ParseIP(h) == nil && strings.Contains(h, "_")) {
		return fmt.Sprintf("%q has an invalid host name", s)
	}
	return ""
}

func redactUser(u *url.URL) string {
	c := *u
	c.User = url.User("REDACTED")
	return c.String()
}

// checkUnique reports tenants sharing an id or a kind: their packages would
// overwrite each other in dist/ or clash in Power BI's Custom Connectors folder.
func (p *Project) checkUnique() ErrorList {
	var errs ErrorList
	ids := map[string]*Tenant{}
	kinds := map[string]*Tenant{}
	for _, t := range p.Tenants {
		if o := ids[t.ID]; o != nil {
			errs.add(t.Pos("id"), "duplicate tenant id %q (also in %s)", t.ID, o.File)
		} else if t.ID != "" {
			ids[t.ID] = t
		}
		k := strings.ToLower(t.Kind) // Power BI compares kinds case-insensitively
		if o := kinds[k]; o != nil {
			also := o.File
			if o.Kind != t.Kind {
				also += fmt.Sprintf(" as %q; Power BI compares kinds without regard to case", o.Kind)
			}
			errs.add(t.Pos(t.kindKey()), "duplicate kind %q (also used by %s); each tenant build needs its own DataSource.Kind", t.Kind, also)
		} else if t.Kind != "" {
			kinds[k] = t
		}
	}
	return errs
}

func sortedKeys(m map[string]string) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
