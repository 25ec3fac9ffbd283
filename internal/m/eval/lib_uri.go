package eval

import (
	"encoding/base64"
	"net/url"
	"strconv"
	"strings"
)

// Uri.* functions.

func base64Std(b []byte) string { return base64.StdEncoding.EncodeToString(b) }

// escapeData escapes everything but the RFC 3986 unreserved characters,
// as .NET Uri.EscapeDataString does ("+$" → "%2B%24", space → "%20").
func escapeData(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || c == '-' || c == '.' || c == '_' || c == '~' {
			b.WriteByte(c)
			continue
		}
		b.WriteString("%" + strings.ToUpper(strconv.FormatUint(uint64(c)|0x100, 16)[1:]))
	}
	return b.String()
}

// buildQuery renders a query record: text values, lists of texts repeat
// the key; null values are an error as in Power Query.
func buildQuery(th *Thread, r *Record) (string, error) {
	var parts []string
	for i, n := range r.names {
		v, err := th.force(r.vals[i])
		if err != nil {
			return "", err
		}
		switch x := v.(type) {
		case Text:
			parts = append(parts, escapeData(n)+"="+escapeData(x.S))
		case *List:
			vals, err := x.Values(th)
			if err != nil {
				return "", err
			}
			for _, item := range vals {
				t, ok := item.(Text)
				if !ok {
					return "", typeErr(item, "text")
				}
				parts = append(parts, escapeData(n)+"="+escapeData(t.S))
			}
		default:
			return "", typeErr(v, "text")
		}
	}
	return strings.Join(parts, "&"), nil
}

func init() {
	register(
		builtin("Uri.BuildQueryString", "query as record", func(th *Thread, a []Value) (Value, error) {
			s, err := buildQuery(th, a[0].(*Record))
			if err != nil {
				return nil, err
			}
			return Str(s), nil
		}),
		builtin("Uri.EscapeDataString", "data as text", func(th *Thread, a []Value) (Value, error) {
			return Str(escapeData(a[0].(Text).S)), nil
		}),
		builtin("Uri.Combine", "baseUri as text, relativeUri as text", func(th *Thread, a []Value) (Value, error) {
			base, err := url.Parse(a[0].(Text).S)
			if err != nil || !base.IsAbs() {
				return nil, NewErrorDetail("Expression.Error", "The URI is invalid.", a[0])
			}
			rel, err := url.Parse(a[1].(Text).S)
			if err != nil {
				return nil, NewErrorDetail("Expression.Error", "The URI is invalid.", a[1])
			}
			return Str(base.ResolveReference(rel).String()), nil
		}),
		builtin("Uri.Parts", "absoluteUri as text", func(th *Thread, a []Value) (Value, error) {
			return uriParts(a[0].(Text).S)
		}),
		builtin("Uri.FromParts", "parts as record", func(th *Thread, a []Value) (Value, error) {
			return uriFromParts(th, a[0].(*Record))
		}),
	)
}

func uriParts(s string) (Value, error) {
	in := s
	if !strings.Contains(s, "://") && !strings.ContainsAny(s, " ") {
		// Like .NET's UriBuilder, a bare host means http.
		in = "http://" + s
	}
	u, err := url.Parse(in)
	if err != nil || !u.IsAbs() || u.Host == "" {
		return nil, NewErrorDetail("Expression.Error", "The value is not a valid absolute URI.", Str(s))
	}
	port := u.Port()
	p := 0
	if port != "" {
		p, _ = strconv.Atoi(port)
	} else {
		switch strings.ToLower(u.Scheme) {
		case "http":
			p = 80
		case "https":
			p = 443
		case "ftp":
			p = 21
		}
	}
	q := NewRecord()
	if u.RawQuery != "" {
		for _, kv := range strings.Split(u.RawQuery, "&") {
			if kv == "" {
				continue
			}
			k, v, _ := strings.Cut(kv, "=")
			k, _ = url.QueryUnescape(k)
			v, _ = url.QueryUnescape(v)
			if i := q.IndexOf(k); i >= 0 {
				prev, _ := q.vals[i].result()
				if l, ok := prev.(*List); ok {
					q.vals[i] = Eager(l.Concat(NewList(Str(v))))
				} else {
					q.vals[i] = Eager(NewList(prev, Str(v)))
				}
				continue
			}
			q.set(k, Eager(Str(v)))
		}
	}
	path := u.EscapedPath()
	if dp, err := url.PathUnescape(path); err == nil {
		path = dp
	}
	if path == "" {
		path = "/"
	}
	user, pass := "", ""
	if u.User != nil {
		user = u.User.Username()
		pass, _ = u.User.Password()
	}
	return NewRecord(
		Field{"Scheme", Str(u.Scheme)},
		Field{"Host", Str(u.Hostname())},
		Field{"Port", Num(float64(p))},
		Field{"Path", Str(path)},
		Field{"Query", q},
		Field{"Fragment", Str(u.Fragment)},
		Field{"UserName", Str(user)},
		Field{"Password", Str(pass)},
	), nil
}

func uriFromParts(th *Thread, r *Record) (Value, error) {
	get := func(n string) (Value, error) {
		v, ok, err := r.Get(th, n)
		if !ok {
			return NullValue, nil
		}
		return v, err
	}
	text := func(n string) (string, error) {
		v, err := get(n)
		if err != nil {
			return "", err
		}
		if t, ok := v.(Text); ok {
			return t.S, nil
		}
		return "", nil
	}
	scheme, err := text("Scheme")
	if err != nil {
		return nil, err
	}
	host, err := text("Host")
	if err != nil {
		return nil, err
	}
	path, err := text("Path")
	if err != nil {
		return nil, err
	}
	frag, err := text("Fragment")
	if err != nil {
		return nil, err
	}
	u := url.URL{Scheme: scheme, Host: host, Path: path, Fragment: frag}
	if pv, err := get("Port"); err != nil {
		return nil, err
	} else if n, ok := pv.(Number); ok {
		def := (scheme == "http" && n.F == 80) || (scheme == "https" && n.F == 443)
		if !def {
			u.Host = host + ":" + FormatNumber(n.F)
		}
	}
	if qv, err := get("Query"); err != nil {
		return nil, err
	} else if qr, ok := qv.(*Record); ok {
		q, err := buildQuery(th, qr)
		if err != nil {
			return nil, err
		}
		u.RawQuery = q
	}
	return Str(u.String()), nil
}
