package broker

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// Token is an access token obtained from an identity provider.
type Token struct {
	AccessToken string
	TokenType   string    // always "Bearer"
	Scope       string    // granted scope, if the IDP said
	Obtained    time.Time // when the response arrived
	Expiry      time.Time // when the token stops being valid

	freshUntil time.Time // end of the cache TTL (Expiry − skew)
	refreshAt  time.Time // after this, a hit triggers a background refresh
}

// IDPError is a failed token request: an RFC 6749 §5.2 error response, an
// unexpected HTTP status, or a malformed success response.
type IDPError struct {
	Status      int           // HTTP status; 0 for transport errors
	Code        string        // RFC 6749 error code, or "http_<status>", "network", "bad_response"
	Description string        // error_description or a summary; never a secret
	RetryAfter  time.Duration // from a Retry-After header, 0 if absent
}

func (e *IDPError) Error() string {
	var b strings.Builder
	b.WriteString("token endpoint: ")
	if e.Status != 0 {
		fmt.Fprintf(&b, "HTTP %d ", e.Status)
	}
	b.WriteString(e.Code)
	if e.Description != "" {
		b.WriteString(": ")
		b.WriteString(e.Description)
	}
	return b.String()
}

// newIDPClient returns the default client for token requests. It does not
// follow redirects: a 307 would re-send client_secret_post credentials to
// wherever the Location points, so a redirect is reported as an error to
// fix in token_url instead.
func newIDPClient() *http.Client {
	tr := http.DefaultTransport.(*http.Transport).Clone()
	tr.MaxIdleConnsPerHost = 4
	return &http.Client{
		Transport:     tr,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse },
	}
}

// maxTokenResponse bounds the token response body we read.
const maxTokenResponse = 1 << 20

// fetchToken performs one client_credentials request for t. It never logs
// and never puts the secret or the token into an error.
func fetchToken(ctx context.Context, client *http.Client, t *Target, now func() time.Time) (*Token, error) {
	form := t.tokenParams()
	if t.AuthStyle == "post" {
		form.Set("client_id", t.ClientID)
		form.Set("client_secret", t.secret)
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, t.TokenURL, strings.NewReader(form.Encode()))
	if err != nil {
		return nil, &IDPError{Code: "bad_request", Description: err.Error()}
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Accept", "application/json")
	if t.AuthStyle == "basic" {
		// RFC 6749 §2.3.1: form-urlencode id and secret before Basic.
		req.SetBasicAuth(url.QueryEscape(t.ClientID), url.QueryEscape(t.secret))
	}
	resp, err := client.Do(req)
	if err != nil {
		desc := "request failed"
		if errors.Is(err, context.DeadlineExceeded) {
			desc = "timed out"
		} else if ue := (*url.Error)(nil); errors.As(err, &ue) {
			desc = ue.Err.Error()
		}
		return nil, &IDPError{Code: "network", Description: desc}
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(io.LimitReader(resp.Body, maxTokenResponse))
	if err != nil {
		return nil, &IDPError{Status: resp.StatusCode, Code: "network", Description: "reading response: " + err.Error()}
	}
	obtained := now()
	if resp.StatusCode >= 300 && resp.StatusCode < 400 {
		return nil, &IDPError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode),
			Description: fmt.Sprintf("redirect to %.200s not followed; set token_url to the final URL", resp.Header.Get("Location"))}
	}
	if resp.StatusCode != http.StatusOK {
		e := &IDPError{Status: resp.StatusCode, Code: fmt.Sprintf("http_%d", resp.StatusCode)}
		e.RetryAfter = parseRetryAfter(resp.Header.Get("Retry-After"), obtained)
		var eb struct {
			Error            string `json:"error"`
			ErrorDescription string `json:"error_description"`
		}
		if json.Unmarshal(body, &eb) == nil && eb.Error != "" && validErrorCode(eb.Error) {
			e.Code = eb.Error
			e.Description = sanitize(eb.ErrorDescription)
		}
		return nil, e
	}
	if mt, _, _ := mime.ParseMediaType(resp.Header.Get("Content-Type")); mt != "application/json" && !strings.HasSuffix(mt, "+json") {
		return nil, &IDPError{Status: resp.StatusCode, Code: "bad_response", Description: fmt.Sprintf("content type %q, want application/json", mt)}
	}
	var tr struct {
		AccessToken string          `json:"access_token"`
		TokenType   string          `json:"token_type"`
		ExpiresIn   json.RawMessage `json:"expires_in"`
		Scope       string          `json:"scope"`
	}
	if err := json.Unmarshal(body, &tr); err != nil {
		return nil, &IDPError{Status: resp.StatusCode, Code: "bad_response", Description: "malformed JSON"}
	}
	if tr.AccessToken == "" {
		return nil, &IDPError{Status: resp.StatusCode, Code: "bad_response", Description: "no access_token"}
	}
	if !strings.EqualFold(tr.TokenType, "bearer") {
		return nil, &IDPError{Status: resp.StatusCode, Code: "bad_response", Description: fmt.Sprintf("token_type %q, want Bearer", sanitize(tr.TokenType))}
	}
	tok := &Token{AccessToken: tr.AccessToken, TokenType: "Bearer", Scope: tr.Scope, Obtained: obtained}
	secs, ok, err := parseExpiresIn(tr.ExpiresIn)
	if err != nil {
		return nil, &IDPError{Status: resp.StatusCode, Code: "bad_response", Description: err.Error()}
	}
	if ok {
		tok.Expiry = obtained.Add(time.Duration(secs) * time.Second)
	}
	return tok, nil
}

// parseExpiresIn accepts a JSON number or a numeric string (PayPal sends
// one); ok is false when the field is absent or null.
func parseExpiresIn(raw json.RawMessage) (secs int64, ok bool, err error) {
	s := strings.TrimSpace(string(raw))
	if s == "" || s == "null" {
		return 0, false, nil
	}
	if unq, uerr := strconv.Unquote(s); uerr == nil {
		s = unq
	}
	f, perr := strconv.ParseFloat(s, 64)
	if perr != nil || f < 0 || f > 1e9 {
		return 0, false, fmt.Errorf("bad expires_in %.40s", string(raw))
	}
	return int64(f), true, nil
}

// parseRetryAfter reads delay-seconds or an HTTP date.
func parseRetryAfter(v string, now time.Time) time.Duration {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0
	}
	if n, err := strconv.Atoi(v); err == nil && n >= 0 {
		return time.Duration(n) * time.Second
	}
	if t, err := http.ParseTime(v); err == nil && t.After(now) {
		return t.Sub(now)
	}
	return 0
}

// validErrorCode reports whether s is a plausible RFC 6749 error code, so a
// hostile body cannot inject arbitrary text into metrics labels.
func validErrorCode(s string) bool {
	if len(s) > 64 {
		return false
	}
	for _, r := range s {
		if !(r >= 'a' && r <= 'z' || r >= 'A' && r <= 'Z' || r >= '0' && r <= '9' || r == '_' || r == '-' || r == '.') {
			return false
		}
	}
	return true
}

// sanitize bounds and cleans an IDP-provided description for messages.
func sanitize(s string) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 || r == 0x7f {
			return ' '
		}
		return r
	}, s)
	if len(s) > 200 {
		s = s[:200] + "…"
	}
	return s
}
