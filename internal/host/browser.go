package host

import (
	"fmt"
	"html"
	"io"
	"net/http"
	"net/url"
	"regexp"
	"strings"
)

// The host's "browser" understands just enough HTML to pass the
// interaction pages a test-configured IDP shows without user input: an
// auto-submitting form of hidden fields (form_post continuations, consent
// already granted, SAML-style hops) and a meta refresh. A page that asks for
// input stops the navigation with a message saying so.
var (
	reForm      = regexp.MustCompile(`(?is)<form\b([^>]*)>(.*?)</form>`)
	reInput     = regexp.MustCompile(`(?is)<(input|button)\b([^>]*)>`)
	reAttr      = regexp.MustCompile(`(?is)([a-z_:-]+)\s*=\s*("[^"]*"|'[^']*'|[^\s"'>]+)`)
	reMetaFresh = regexp.MustCompile(`(?is)<meta\b[^>]*http-equiv\s*=\s*["']?refresh["']?[^>]*>`)
)

// maxPageBytes bounds an interaction page the browser reads.
const maxPageBytes = 1 << 20

func attrs(s string) map[string]string {
	m := map[string]string{}
	for _, a := range reAttr.FindAllStringSubmatch(s, -1) {
		v := a[2]
		if len(v) >= 2 && (v[0] == '"' || v[0] == '\'') {
			v = v[1 : len(v)-1]
		}
		m[strings.ToLower(a[1])] = html.UnescapeString(v)
	}
	return m
}

// nextNavigation reads an HTML page and returns the request the browser
// makes next without user input, or an error that says why it cannot.
func nextNavigation(resp *http.Response) (*http.Request, error) {
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxPageBytes))
	if err != nil {
		return nil, err
	}
	page := string(body)
	base := resp.Request.URL
	if m := reMetaFresh.FindString(page); m != "" {
		content := attrs(m)["content"]
		if _, target, ok := strings.Cut(content, "="); ok && strings.Contains(strings.ToLower(content), "url") {
			u, err := base.Parse(strings.Trim(strings.TrimSpace(target), `'"`))
			if err != nil {
				return nil, fmt.Errorf("meta refresh to %q: %v", target, err)
			}
			return http.NewRequest(http.MethodGet, u.String(), nil)
		}
	}
	forms := reForm.FindAllStringSubmatch(page, -1)
	if len(forms) != 1 {
		return nil, fmt.Errorf("the page has %d forms and no redirect; a test IDP must complete sign-in without user input", len(forms))
	}
	fa := attrs(forms[0][1])
	vals := url.Values{}
	for _, in := range reInput.FindAllStringSubmatch(forms[0][2], -1) {
		a := attrs(in[2])
		typ := strings.ToLower(a["type"])
		if in[1] == "button" || typ == "submit" {
			continue
		}
		if typ != "hidden" {
			name := a["name"]
			if name == "" {
				name = a["id"]
			}
			return nil, fmt.Errorf("the page asks for input (%s field %q); a test IDP must complete sign-in without user input", cmpOr(typ, "text"), name)
		}
		if a["name"] != "" {
			vals.Add(a["name"], a["value"])
		}
	}
	action, err := base.Parse(fa["action"])
	if err != nil {
		return nil, fmt.Errorf("form action %q: %v", fa["action"], err)
	}
	if strings.EqualFold(fa["method"], "post") {
		req, err := http.NewRequest(http.MethodPost, action.String(), strings.NewReader(vals.Encode()))
		if err != nil {
			return nil, err
		}
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
		return req, nil
	}
	action.RawQuery = vals.Encode()
	return http.NewRequest(http.MethodGet, action.String(), nil)
}
