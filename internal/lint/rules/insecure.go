package rules

import (
	"net"
	"net/url"
	"strings"
	"sync"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX003",
		Severity: lint.Error,
		Summary:  "an http:// endpoint sends data and credentials unencrypted",
		Explanation: "Requests to an http:// URL carry the access token, Basic credentials, " +
			"authorization codes and the data itself in clear text, and identity providers " +
			"refuse http redirect and token endpoints. Use https://. Loopback hosts (localhost, " +
			"127.0.0.0/8, ::1) are accepted, because they serve local tests and never leave the " +
			"machine; other hosts can be allowed explicitly (pqx lint --allow-http HOST, or the " +
			"tenant's allow_insecure_http in pqx build), meant for test setups only.",
		Check: checkInsecure,
	})
}

// Options tune rules that depend on the build: which hosts may be reached
// over plain http (PQX003).
type Options struct {
	// AllowHTTPHosts are host names (without port) that PQX003 accepts
	// with http://; "*" accepts every host.
	AllowHTTPHosts []string
	// DenyLoopbackHTTP makes PQX003 report loopback hosts too, which it
	// accepts by default.
	DenyLoopbackHTTP bool
}

var options = struct {
	sync.RWMutex
	def    Options
	byFile map[string]Options
}{byFile: map[string]Options{}}

// SetOptions sets the options of the rules for every file linted later.
func SetOptions(o Options) {
	options.Lock()
	defer options.Unlock()
	options.def = o
}

// SetFileOptions sets the options for the file with display name name,
// overriding SetOptions; pqx build uses it to apply a tenant's settings to
// that tenant's section document only. ClearFileOptions undoes it.
func SetFileOptions(name string, o Options) {
	options.Lock()
	defer options.Unlock()
	options.byFile[name] = o
}

// ClearFileOptions forgets the options set for name.
func ClearFileOptions(name string) {
	options.Lock()
	defer options.Unlock()
	delete(options.byFile, name)
}

func optionsFor(name string) Options {
	options.RLock()
	defer options.RUnlock()
	if o, ok := options.byFile[name]; ok {
		return o
	}
	return options.def
}

// xmlNamespaceHosts publish XML namespace names, which are identifiers
// written as http URLs and never fetched.
var xmlNamespaceHosts = map[string]bool{
	"www.w3.org": true, "schemas.microsoft.com": true, "schemas.xmlsoap.org": true,
	"schemas.openxmlformats.org": true, "purl.org": true, "ns.adobe.com": true,
}

func isLoopback(host string) bool {
	if strings.EqualFold(host, "localhost") || strings.HasSuffix(strings.ToLower(host), ".localhost") {
		return true
	}
	ip := net.ParseIP(strings.Trim(host, "[]"))
	return ip != nil && ip.IsLoopback()
}

func (o Options) httpAllowed(host string) bool {
	if isLoopback(host) && !o.DenyLoopbackHTTP {
		return true
	}
	for _, h := range o.AllowHTTPHosts {
		if h == "*" || strings.EqualFold(h, host) {
			return true
		}
	}
	return false
}

func checkInsecure(p *lint.Pass) {
	a := newPass(p)
	opts := optionsFor(p.Filename)
	inspectExprs(p.Doc, func(n ast.Node) bool {
		lit, ok := n.(*ast.Literal)
		if !ok || lit.Kind != ast.Text {
			return true
		}
		v := strings.TrimSpace(lit.Value)
		if len(v) < 7 || !strings.EqualFold(v[:7], "http://") {
			return true
		}
		u := v
		// "http://" & host & "/path": fold the whole concatenation.
		top := ast.Node(lit)
		for {
			b, ok := a.parent[top].(*ast.BinaryExpr)
			if !ok || b.Op != token.AMP {
				break
			}
			top = b
		}
		if top != lit {
			if s, ok := a.constText(top.(ast.Expr)); ok && strings.HasPrefix(s, v) {
				u = s
			}
		}
		host := ""
		if pu, err := url.Parse(u); err == nil {
			host = pu.Hostname()
		}
		if host != "" && (xmlNamespaceHosts[strings.ToLower(host)] || opts.httpAllowed(host)) {
			return true
		}
		if host == "" {
			p.Reportf(lit, "http:// URL: use https://")
		} else {
			p.Reportf(lit, "http:// URL to %s: use https://", host)
		}
		return true
	})
}
