package rules

import (
	"math"
	"regexp"
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/m/ast"
)

func init() {
	lint.Register(&lint.Rule{
		ID:       "PQX001",
		Severity: lint.Error,
		Summary:  "a secret is written in the source (client secret, password, key, token)",
		Explanation: "Everything in a connector's source ships inside the .mez/.pqx, which any " +
			"user can unzip: a client_secret, password, API key, private key, bearer token or " +
			"JWT written as a literal is public the day the connector is installed, and cannot " +
			"be rotated without a new release. Power Query connectors are public OAuth clients: " +
			"use PKCE (S256) without a client secret, let the user enter keys and passwords " +
			"through the Key or UsernamePassword authentication kinds (read them with " +
			"Extension.CurrentCredential()), or put a token broker in front that holds the " +
			"secret (pqx's broker pattern). If a finding is a false positive (a test vector, a " +
			"public identifier), suppress it with `// pqx:ignore PQX001 reason`.",
		Check: checkSecrets,
	})
}

// secretNames are normalised field and variable names whose literal value
// is a credential.
var secretNames = map[string]bool{
	"clientsecret": true, "secret": true, "appsecret": true, "apisecret": true,
	"password": true, "passwd": true, "pwd": true,
	"apikey": true, "accesskey": true, "secretkey": true, "privatekey": true,
	"subscriptionkey": true, "ocpapimsubscriptionkey": true, "xapikey": true,
	"accesstoken": true, "refreshtoken": true, "idtoken": true, "bearertoken": true,
	"authtoken": true, "xauthtoken": true, "token": true, "sastoken": true,
}

func isSecretName(name string) bool {
	n := normName(name)
	return secretNames[n] || strings.HasSuffix(n, "secret") || strings.HasSuffix(n, "password")
}

var (
	privateKeyRE = regexp.MustCompile(`-----BEGIN ([A-Z0-9]+ )*PRIVATE KEY( BLOCK)?-----`)
	jwtRE        = regexp.MustCompile(`eyJ[A-Za-z0-9_-]{8,}\.eyJ[A-Za-z0-9_-]{8,}\.[A-Za-z0-9_-]*`)
	guidRE       = regexp.MustCompile(`^[{(]?[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}[)}]?$`)
	authSchemeRE = regexp.MustCompile(`(?i)^\s*(bearer|basic|token|sharedkey|sharedaccesssignature|apikey|digest)\s+\S{6,}`)
)

func checkSecrets(p *lint.Pass) {
	a := newPass(p)
	reported := map[ast.Node]bool{}
	report := func(n ast.Node, format string, args ...any) {
		if !reported[n] {
			reported[n] = true
			p.Reportf(n, format, args...)
		}
	}
	named := func(name *ast.Ident, value ast.Expr) {
		if value == nil {
			return
		}
		if isSecretName(name.Name) {
			if id, ok := value.(*ast.Ident); ok && isSecretName(id.Name) && a.lookup(id).expr != nil {
				return // client_secret = ClientSecret: reported where ClientSecret is defined
			}
			if s, ok := a.constText(value); ok && strings.TrimSpace(s) != "" {
				report(value, "%s is a literal secret: it ships inside the package", name.Name)
			} else if call := packagedFile(a, value); call != nil {
				report(call, "%s is read from a file packaged with the connector (Extension.Contents): it ships inside the .mez/.pqx", name.Name)
			}
			return
		}
		if strings.EqualFold(name.Name, "Authorization") || strings.EqualFold(name.Name, "Proxy-Authorization") {
			if s, ok := a.constText(value); ok && authSchemeRE.MatchString(s) {
				report(value, "%s header with a literal credential", name.Name)
			} else if lit := encodedCredential(a, value); lit != nil {
				report(lit, "%s header built from a literal user:password", name.Name)
			}
		}
	}
	// Names first, so that a secret bound to a telling name is reported
	// as such rather than by its shape.
	if a.section != nil {
		for _, m := range a.section.Members {
			named(m.Name, m.Value)
		}
	}
	inspectExprs(p.Doc, func(n ast.Node) bool {
		switch x := n.(type) {
		case *ast.RecordExpr:
			if a.isAttrs(x) {
				return true
			}
			for _, f := range x.Fields {
				named(f.Name, f.Value)
			}
		case *ast.LetExpr:
			for _, f := range x.Vars {
				named(f.Name, f.Value)
			}
		case *ast.Literal:
			if x.Kind != ast.Text {
				return true
			}
			reason := secretShape(x.Value)
			if reason == highEntropyReason && publicName(a, x) {
				return true
			}
			if reason != "" {
				report(x, "%s in a text literal", reason)
			}
		}
		return true
	})
}

const highEntropyReason = "high-entropy token (looks like a key or secret)"

// publicName reports whether literal lit is bound directly to a name of a
// public identifier (ClientId, tenant, audience, …), where a random-looking
// value is expected and not secret.
func publicName(a *analysis, lit *ast.Literal) bool {
	var name string
	switch p := a.parent[lit].(type) {
	case *ast.Field:
		name = p.Name.Name
	case *ast.SectionMember:
		name = p.Name.Name
	default:
		return false
	}
	n := normName(name)
	switch n {
	case "tenant", "audience", "resource", "realm", "domain", "issuer", "scope", "state", "nonce":
		return true
	}
	return strings.HasSuffix(n, "id") || strings.HasSuffix(n, "url") || strings.HasSuffix(n, "uri")
}

// secretShape classifies a text literal that looks like a credential by
// itself, whatever name it is bound to: a private key block, a JWT, or a
// long high-entropy token. It returns "" for anything else.
func secretShape(s string) string {
	switch {
	case privateKeyRE.MatchString(s):
		return "private key"
	case jwtRE.MatchString(s):
		return "JWT"
	case highEntropy(s):
		return highEntropyReason
	}
	return ""
}

// highEntropy reports whether s looks like a random credential: one word
// of at least 32 characters from a key alphabet (base64, base64url or
// hex), mixing character classes, with a Shannon entropy near that of
// random data. URLs, GUIDs and prose are excluded.
func highEntropy(s string) bool {
	if len(s) < 32 || len(s) > 4096 || guidRE.MatchString(s) {
		return false
	}
	var lower, upper, digit, other int
	for _, r := range s {
		switch {
		case r >= 'a' && r <= 'z':
			lower++
		case r >= 'A' && r <= 'Z':
			upper++
		case r >= '0' && r <= '9':
			digit++
		case r == '+' || r == '/' || r == '=' || r == '-' || r == '_' || r == '.' || r == '~':
			other++
		default:
			return false // spaces, punctuation, non-ASCII: prose or markup
		}
	}
	if strings.Contains(s, "/") && (strings.Contains(s, ".") || strings.Count(s, "/") > 2) {
		return false // a path or a host name
	}
	h := entropy(s)
	isHex := upper == 0 && strings.Trim(strings.ToLower(s), "0123456789abcdef") == "" || lower == 0 && strings.Trim(s, "0123456789ABCDEF") == ""
	if isHex {
		return len(s) >= 40 && h >= 3.5 && digit > 0 && (lower+upper) > 0
	}
	classes := 0
	for _, n := range []int{lower, upper, digit} {
		if n > 0 {
			classes++
		}
	}
	return classes == 3 && h >= 4.2
}

// entropy returns the Shannon entropy of s in bits per byte.
func entropy(s string) float64 {
	var counts [256]int
	for i := 0; i < len(s); i++ {
		counts[s[i]]++
	}
	var h float64
	n := float64(len(s))
	for _, c := range counts {
		if c > 0 {
			p := float64(c) / n
			h -= p * math.Log2(p)
		}
	}
	return h
}

// packagedFile returns the Extension.Contents call that e reads, possibly
// through text conversions (Text.FromBinary, Text.Trim, Lines.FromBinary
// …), or nil.
func packagedFile(a *analysis, e ast.Expr) *ast.InvokeExpr {
	for i := 0; i < maxDepth; i++ {
		call, ok := a.resolve(e).(*ast.InvokeExpr)
		if !ok || len(call.Args) == 0 {
			return nil
		}
		name := calleeName(call)
		switch {
		case name == "Extension.Contents":
			return call
		case strings.HasPrefix(name, "Text.") || strings.HasPrefix(name, "Lines.") || name == "Json.Document" || name == "Binary.Buffer":
			e = call.Args[0]
		default:
			return nil
		}
	}
	return nil
}

// encodedCredential finds a Basic credential written in the source and
// encoded at run time: Text.ToBinary("user:password") under e. It returns
// the argument of Text.ToBinary, or nil.
func encodedCredential(a *analysis, e ast.Expr) ast.Expr {
	var found ast.Expr
	for _, call := range calls(a.resolve(e), "Text.ToBinary") {
		if len(call.Args) == 0 {
			continue
		}
		if s, ok := a.constText(call.Args[0]); ok {
			if user, pass, ok := strings.Cut(s, ":"); ok && user != "" && pass != "" {
				found = call.Args[0]
				break
			}
		}
	}
	return found
}
