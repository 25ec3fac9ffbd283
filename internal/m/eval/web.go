package eval

import (
	"bytes"
	"context"
	"encoding/base64"
	"errors"
	"io"
	"net/http"
	"net/url"
	"sort"
	"strconv"
	"strings"
	"time"
)

// Web.Contents: the HTTP primitive, with Power Query's options, automatic
// credential injection, retries, redirects and status handling (§4 of the
// host reference).

// MaxResponseBytes bounds a Web.Contents response body.
const MaxResponseBytes = 256 << 20

// webOptions are the parsed options record of Web.Contents.
type webOptions struct {
	headers           http.Header
	content           []byte
	hasContent        bool
	manualStatus      map[int]bool
	query             *Record
	credentialQuery   *Record
	relativePath      string
	isRetry           bool
	manualCredentials bool
	timeout           time.Duration
	excluded          map[string]bool
	apiKeyName        string
}

var webOptionNames = map[string]bool{
	"Headers": true, "Content": true, "ManualStatusHandling": true, "Query": true, "IsRetry": true,
	"ManualCredentials": true, "RelativePath": true, "Timeout": true, "CredentialQuery": true,
	"ExcludedFromCacheKey": true, "ApiKeyName": true,
}

// webCache memoises responses per thread, keyed by request; IsRetry
// bypasses it, as Power Query's evaluation-scoped cache does.
type webCache map[string]Value

// CredentialError reports whether err is the credential error raised for
// a 401/403 response (the host then re-prompts or refreshes the token).
func CredentialError(err error) (status int, ok bool) {
	var e *Error
	if errors.As(err, &e) && e.credentialStatus != 0 {
		return e.credentialStatus, true
	}
	return 0, false
}

func init() {
	register(builtin("Web.Contents", "url as text, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
		base := a[0].(Text).S
		opts, err := parseWebOptions(th, a[1])
		if err != nil {
			return nil, err
		}
		full, err := webURL(th, base, opts)
		if err != nil {
			return nil, err
		}
		anonymous := th.Anonymous
		return LazyBinary(Defer(func(th *Thread) (Value, error) {
			return th.webContents(base, full, opts, anonymous)
		})), nil
	}))
	register(builtin("Web.Headers", "url as text, optional options as nullable record", func(th *Thread, a []Value) (Value, error) {
		b, err := library["Web.Contents"].(*Function).Impl(th, a)
		if err != nil {
			return nil, err
		}
		m, err := b.(Binary).lazyMeta(th)
		if err != nil {
			return nil, err
		}
		return m.Field(th, "Headers")
	}))
}

func parseWebOptions(th *Thread, v Value) (*webOptions, error) {
	o := &webOptions{headers: http.Header{}, timeout: 100 * time.Second}
	r, ok := v.(*Record)
	if !ok {
		return o, nil
	}
	for _, n := range r.Names() {
		if !webOptionNames[n] {
			return nil, NewErrorDetail("Expression.Error", "The '"+n+"' option is not valid for Web.Contents.", Str(n))
		}
	}
	get := func(n string) (Value, error) {
		fv, ok, err := r.Get(th, n)
		if !ok {
			return NullValue, nil
		}
		return fv, err
	}
	hv, err := get("Headers")
	if err != nil {
		return nil, err
	}
	if hr, ok := hv.(*Record); ok {
		for _, n := range hr.Names() {
			fv, err := hr.Field(th, n)
			if err != nil {
				return nil, err
			}
			t, ok := fv.(Text)
			if !ok {
				return nil, typeErr(fv, "text")
			}
			o.headers.Set(n, t.S)
		}
	} else if !isNull(hv) {
		return nil, typeErr(hv, "record")
	}
	cv, err := get("Content")
	if err != nil {
		return nil, err
	}
	switch c := cv.(type) {
	case Null:
	case Binary:
		data, err := c.Force(th)
		if err != nil {
			return nil, err
		}
		o.content, o.hasContent = data, true
	default:
		return nil, typeErr(cv, "binary")
	}
	mv, err := get("ManualStatusHandling")
	if err != nil {
		return nil, err
	}
	if ml, ok := mv.(*List); ok {
		vals, err := ml.Values(th)
		if err != nil {
			return nil, err
		}
		o.manualStatus = map[int]bool{}
		for _, s := range vals {
			n, ok := s.(Number)
			if !ok {
				return nil, typeErr(s, "number")
			}
			o.manualStatus[int(n.F)] = true
		}
	} else if !isNull(mv) {
		return nil, typeErr(mv, "list")
	}
	for _, q := range []struct {
		name string
		dst  **Record
	}{{"Query", &o.query}, {"CredentialQuery", &o.credentialQuery}} {
		qv, err := get(q.name)
		if err != nil {
			return nil, err
		}
		if qr, ok := qv.(*Record); ok {
			*q.dst = qr
		} else if !isNull(qv) {
			return nil, typeErr(qv, "record")
		}
	}
	for _, t := range []struct {
		name string
		dst  *string
	}{{"RelativePath", &o.relativePath}, {"ApiKeyName", &o.apiKeyName}} {
		tv, err := get(t.name)
		if err != nil {
			return nil, err
		}
		if err := unpack(th, []Value{tv}, t.dst); err != nil {
			return nil, err
		}
	}
	for _, b := range []struct {
		name string
		dst  *bool
	}{{"IsRetry", &o.isRetry}, {"ManualCredentials", &o.manualCredentials}} {
		bv, err := get(b.name)
		if err != nil {
			return nil, err
		}
		if err := unpack(th, []Value{bv}, b.dst); err != nil {
			return nil, err
		}
	}
	tv, err := get("Timeout")
	if err != nil {
		return nil, err
	}
	switch d := tv.(type) {
	case Null:
	case Duration:
		if d.D <= 0 {
			return nil, argRange("Timeout")
		}
		o.timeout = d.D
	default:
		return nil, typeErr(tv, "duration")
	}
	ev, err := get("ExcludedFromCacheKey")
	if err != nil {
		return nil, err
	}
	if el, ok := ev.(*List); ok {
		vals, err := el.Values(th)
		if err != nil {
			return nil, err
		}
		names, err := textList(vals)
		if err != nil {
			return nil, err
		}
		o.excluded = map[string]bool{}
		for _, n := range names {
			o.excluded[http.CanonicalHeaderKey(n)] = true
		}
	}
	return o, nil
}

// webURL joins the base URL, RelativePath (with one slash between) and the
// Query/CredentialQuery parameters (appended to any query already there).
func webURL(th *Thread, base string, o *webOptions) (string, error) {
	u, err := url.Parse(base)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return "", NewErrorDetail("Expression.Error", "The 'url' argument is not a valid absolute URL.", Str(base))
	}
	if u.Scheme != "http" && u.Scheme != "https" {
		return "", NewErrorDetail("Expression.Error", "Web.Contents supports only http and https URLs.", Str(base))
	}
	s := base
	if o.relativePath != "" {
		q := ""
		if i := strings.IndexAny(s, "?#"); i >= 0 {
			s, q = s[:i], s[i:]
		}
		s = strings.TrimRight(s, "/") + "/" + strings.TrimLeft(o.relativePath, "/") + q
	}
	for _, qr := range []*Record{o.query, o.credentialQuery} {
		if qr == nil || qr.Len() == 0 {
			continue
		}
		q, err := buildQuery(th, qr)
		if err != nil {
			return "", err
		}
		if strings.Contains(s, "?") {
			s += "&" + q
		} else {
			s += "?" + q
		}
	}
	return s, nil
}

// applyCredential adds the current credential to a request (§3, §9.2).
func (th *Thread) applyCredential(req *http.Request, o *webOptions, anonymous bool) {
	c := th.Host.Credential
	if anonymous || c == nil || o.manualCredentials {
		return
	}
	if req.Header.Get("Authorization") != "" {
		return
	}
	switch c.AuthenticationKind {
	case "OAuth", "OAuth2", "Aad":
		if c.AccessToken != "" {
			req.Header.Set("Authorization", "Bearer "+c.AccessToken)
		}
	case "UsernamePassword":
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(c.Username+":"+c.Password)))
		// Windows (Negotiate/NTLM) is not modelled: such requests go out
		// without credentials rather than with a wrong scheme.
	case "Key":
		if o.apiKeyName != "" {
			// Append rather than re-encode, so the connector's parameter
			// order and escaping stay as built.
			kv := escapeData(o.apiKeyName) + "=" + escapeData(c.Key)
			if req.URL.RawQuery == "" {
				req.URL.RawQuery = kv
			} else {
				req.URL.RawQuery += "&" + kv
			}
			return
		}
		req.Header.Set("Authorization", "Basic "+base64.StdEncoding.EncodeToString([]byte(":"+c.Key)))
	}
}

func (th *Thread) cacheKey(method, u string, o *webOptions) string {
	var b strings.Builder
	b.WriteString(method + " " + u + "\n")
	keys := make([]string, 0, len(o.headers))
	for k := range o.headers {
		if !o.excluded[k] {
			keys = append(keys, k)
		}
	}
	sort.Strings(keys)
	for _, k := range keys {
		b.WriteString(k + ": " + strings.Join(o.headers[k], ",") + "\n")
	}
	b.Write(o.content)
	return b.String()
}

func webError(base, u string, status int, reason string) *Error {
	msg := "Web.Contents failed to get contents from '" + u + "' (" + strconv.Itoa(status) + "): " + reason
	return NewErrorDetail("DataSource.Error", msg, NewRecord(
		Field{"DataSourceKind", Str("Web")},
		Field{"DataSourcePath", Str(base)},
		Field{"Url", Str(u)},
	))
}

// retryable statuses are retried automatically unless handled manually.
func retryable(status int) bool {
	switch status {
	case 408, 429, 503, 504, 509:
		return true
	}
	return false
}

const maxWebRetries = 3
const maxRedirects = 10

// webContents performs the request with retries and redirects and returns
// the body as a binary carrying the response metadata.
func (th *Thread) webContents(base, full string, o *webOptions, anonymous bool) (Value, error) {
	method := http.MethodGet
	if o.hasContent {
		method = http.MethodPost
	}
	key := th.cacheKey(method, full, o)
	if th.webCache == nil {
		th.webCache = webCache{}
	}
	if v, ok := th.webCache[key]; ok && !o.isRetry {
		return v, nil
	}
	client := th.Host.HTTP
	if client == nil {
		return nil, NewErrorDetail("DataSource.Error",
			"Web.Contents failed to get contents from '"+full+"': network access is disabled for this evaluation.",
			NewRecord(Field{"DataSourceKind", Str("Web")}, Field{"DataSourcePath", Str(base)}, Field{"Url", Str(full)}))
	}
	noFollow := *client
	noFollow.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }

	u := full
	body := o.content
	for redirects, attempt := 0, 0; ; {
		status, hdr, data, err := th.doRequest(&noFollow, method, u, body, o, anonymous)
		if err != nil {
			return nil, err
		}
		if o.manualStatus[status] {
			return th.webResult(key, u, status, hdr, data), nil
		}
		switch {
		case status >= 200 && status < 300:
			return th.webResult(key, u, status, hdr, data), nil
		case retryable(status) && attempt < maxWebRetries:
			attempt++
			if err := th.clock().Sleep(th.Ctx, retryDelay(hdr, attempt)); err != nil {
				return nil, &Error{Rec: NewError("Expression.Error", "Evaluation was cancelled.").Rec, Fatal: true}
			}
			continue
		case status == 401 || status == 403:
			e := webError(base, u, status, http.StatusText(status))
			if status == 401 {
				e = NewErrorDetail("DataSource.Error", "We couldn't authenticate with the credentials provided. Please try again.", e.Rec.GetEager("Detail"))
			} else {
				e = NewErrorDetail("DataSource.Error", "Access to the resource is forbidden.", e.Rec.GetEager("Detail"))
			}
			e.credentialStatus = status
			return nil, e
		case status == 300 || status == 301 || status == 302 || status == 303 || status == 307 || status == 308:
			loc := hdr.Get("Location")
			if loc == "" || redirects >= maxRedirects {
				return nil, webError(base, u, status, http.StatusText(status))
			}
			next, err := url.Parse(u)
			if err != nil {
				return nil, webError(base, u, status, err.Error())
			}
			ref, err := url.Parse(loc)
			if err != nil {
				return nil, webError(base, u, status, "invalid Location header")
			}
			u = next.ResolveReference(ref).String()
			redirects++
			if status != 307 && status != 308 {
				method, body = http.MethodGet, nil
			}
			continue
		}
		reason := http.StatusText(status)
		if reason == "" {
			reason = "Unknown"
		}
		return nil, webError(base, u, status, reason)
	}
}

// retryDelay honours Retry-After in delta-seconds clamped to 0.5–120 s,
// else backs off exponentially (1 s, 2 s, 4 s).
func retryDelay(h http.Header, attempt int) time.Duration {
	if ra := h.Get("Retry-After"); ra != "" {
		if secs, err := strconv.ParseFloat(strings.TrimSpace(ra), 64); err == nil {
			d := time.Duration(secs * float64(time.Second))
			return min(max(d, 500*time.Millisecond), 120*time.Second)
		}
	}
	return time.Duration(1<<(attempt-1)) * time.Second
}

func (th *Thread) doRequest(client *http.Client, method, u string, body []byte, o *webOptions, anonymous bool) (int, http.Header, []byte, error) {
	ctx := th.Ctx
	if ctx == nil {
		ctx = context.Background()
	}
	ctx, cancel := context.WithTimeout(ctx, o.timeout)
	defer cancel()
	var rd io.Reader
	if body != nil {
		rd = bytes.NewReader(body)
	}
	req, err := http.NewRequestWithContext(ctx, method, u, rd)
	if err != nil {
		return 0, nil, nil, NewErrorDetail("DataSource.Error", "Web.Contents failed to get contents from '"+u+"': "+err.Error(), Str(u))
	}
	req.Header = o.headers.Clone()
	if req.Header.Get("User-Agent") == "" {
		req.Header.Set("User-Agent", "pqx (Power Query M evaluator)")
	}
	th.applyCredential(req, o, anonymous)
	resp, err := client.Do(req)
	if err != nil {
		if th.Host.Journal != nil {
			th.Host.Journal(req, 0)
		}
		msg := err.Error()
		if errors.Is(err, context.DeadlineExceeded) {
			msg = "The operation has timed out."
		}
		return 0, nil, nil, NewErrorDetail("DataSource.Error", "Web.Contents failed to get contents from '"+u+"': "+msg,
			NewRecord(Field{"DataSourceKind", Str("Web")}, Field{"Url", Str(u)}))
	}
	defer resp.Body.Close()
	data, err := io.ReadAll(io.LimitReader(resp.Body, MaxResponseBytes+1))
	if th.Host.Journal != nil {
		th.Host.Journal(req, resp.StatusCode)
	}
	if err != nil {
		return 0, nil, nil, NewErrorDetail("DataSource.Error", "Web.Contents failed to read the response from '"+u+"': "+err.Error(), Str(u))
	}
	if len(data) > MaxResponseBytes {
		return 0, nil, nil, NewErrorDetail("DataSource.Error", "Web.Contents: the response from '"+u+"' is larger than the limit.", Str(u))
	}
	return resp.StatusCode, resp.Header, data, nil
}

func (th *Thread) webResult(key, u string, status int, hdr http.Header, data []byte) Value {
	names := make([]string, 0, len(hdr))
	for k := range hdr {
		names = append(names, k)
	}
	sort.Strings(names)
	h := NewRecord()
	for _, k := range names {
		h.set(k, Eager(Str(strings.Join(hdr[k], ", "))))
	}
	meta := NewRecord(
		Field{"Content.Uri", Str(u)},
		Field{"Response.Status", Num(float64(status))},
		Field{"Headers", h},
	)
	v := Bytes(data).WithMeta(meta)
	th.webCache[key] = v
	return v
}
