package mockidp

import (
	"crypto/sha256"
	"encoding/hex"
	"strconv"
	"strings"
	"time"
)

// tokenResponse signs what a grant decided and builds the RFC 6749 §5.1
// JSON, applying the profile's extra fields and any response faults.
func (s *Server) tokenResponse(x *exchange, res *grantResult) ([]byte, error) {
	at := res.opaque
	if at == "" {
		var err error
		if at, err = s.signAccessToken(res); err != nil {
			return nil, err
		}
	}
	var idt string
	if res.idToken && !res.cc {
		var err error
		if idt, err = s.signIDToken(res, at, x.now); err != nil {
			return nil, err
		}
	}
	life := int64(res.atLife / time.Second)
	j := jsonBuf{b: make([]byte, 0, 512+len(at)+len(idt))}
	j.str("access_token", at)
	j.str("token_type", "Bearer")
	switch x.expiresIn {
	case "string":
		j.str("expires_in", strconv.FormatInt(life, 10))
	case "zero":
		j.num("expires_in", 0)
	case "missing":
	default:
		j.num("expires_in", life)
	}
	p := s.prof
	if p.Extra.ExtExpiresIn {
		j.num("ext_expires_in", life)
	}
	if res.rtOut != "" && !x.noRefresh {
		j.str("refresh_token", res.rtOut)
		x.e.Issued = append(x.e.Issued, "refresh_token "+Fingerprint(res.rtOut))
	}
	if p.Extra.RefreshExpiresIn {
		var rexp int64
		if res.refresh != nil && !res.refresh.expires.IsZero() {
			rexp = int64(res.refresh.expires.Sub(x.now) / time.Second)
		}
		j.num("refresh_expires_in", rexp)
	}
	if len(res.scope) > 0 {
		j.str("scope", strings.Join(res.scope, " "))
	}
	if idt != "" {
		j.str("id_token", idt)
	}
	if p.Extra.SessionState && res.session != "" {
		j.str("session_state", res.session)
	}
	for k, v := range p.Extra.Static {
		j.raw(k, v)
	}
	x.e.Issued = append(x.e.Issued, "access_token "+Fingerprint(at))
	if idt != "" {
		x.e.Issued = append(x.e.Issued, "id_token "+Fingerprint(idt))
	}
	return j.bytes(), nil
}

// signAccessToken signs a JWT access token (RFC 9068 claims, Entra's scp,
// tid and ver for the entra vendor).
func (s *Server) signAccessToken(res *grantResult) (string, error) {
	a := res.access
	j := jsonBuf{b: make([]byte, 0, 512)}
	j.str("iss", s.Issuer())
	j.str("sub", res.subject.Subject)
	if len(a.aud) == 1 {
		j.str("aud", a.aud[0])
	} else {
		j.raw("aud", a.aud)
	}
	j.num("iat", a.issued.Unix())
	j.num("nbf", a.issued.Unix())
	j.num("exp", a.expires.Unix())
	j.str("jti", a.id)
	j.str("client_id", res.client.ID)
	j.str("azp", res.client.ID)
	if len(res.scope) > 0 {
		if s.prof.Errors.Vendor == "entra" {
			j.str("scp", strings.Join(res.scope, " "))
			j.str("tid", s.prof.Vars["tenant"])
			j.str("ver", "2.0")
		} else {
			j.str("scope", strings.Join(res.scope, " "))
		}
	}
	if res.session != "" {
		j.str("sid", res.session)
	}
	return s.keys.sign(s.prof.AccessToken.Type, j.bytes())
}

// signIDToken signs an OIDC id_token with nonce, at_hash and azp.
func (s *Server) signIDToken(res *grantResult, accessToken string, now time.Time) (string, error) {
	j := jsonBuf{b: make([]byte, 0, 512)}
	j.str("iss", s.Issuer())
	j.str("sub", res.subject.Subject)
	j.str("aud", res.client.ID)
	j.str("azp", res.client.ID)
	j.num("iat", now.Unix())
	j.num("exp", now.Add(s.prof.Lifetimes.IDToken.D()).Unix())
	j.num("auth_time", res.authTime.Unix())
	if res.nonce != "" {
		j.str("nonce", res.nonce)
	}
	j.str("at_hash", atHash(accessToken))
	if res.session != "" {
		j.str("sid", res.session)
	}
	if hasScope(res.scope, "profile") && res.subject.Name != "" {
		j.str("name", res.subject.Name)
	}
	if hasScope(res.scope, "email") && res.subject.Email != "" {
		j.str("email", res.subject.Email)
		j.boolean("email_verified", true)
	}
	if res.subject.Email != "" {
		j.str("preferred_username", res.subject.Email)
	}
	if s.prof.Errors.Vendor == "entra" {
		// Entra's id_token names the tenant and a stable object id.
		j.str("tid", s.prof.Vars["tenant"])
		j.str("oid", objectID(res.subject.Subject))
		j.str("ver", "2.0")
	}
	return s.keys.sign("JWT", j.bytes())
}

// objectID derives a stable GUID-shaped id from a subject.
func objectID(sub string) string {
	sum := sha256.Sum256([]byte("oid:" + sub))
	h := hex.EncodeToString(sum[:16])
	return h[:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:]
}

// identify explains what an unknown code or refresh token actually is, for
// the mix-ups connectors make: the whole callback URL as the code, the
// access token as the refresh token, a code as a refresh token. Call with
// s.mu held; it returns a hint suffix.
func (s *Server) identify(v, param string) string {
	switch {
	case strings.HasPrefix(v, "http://") || strings.HasPrefix(v, "https://"):
		return ": the " + param + " is a URL; take the code from the callback with Uri.Parts(callbackUri)[Query][code]"
	case strings.Contains(v, "code="):
		return ": the " + param + " contains 'code=': pass the code parameter's value, not the query string"
	case param == "code" && s.refresh[v] != nil:
		return ": this is a refresh token; use grant_type=refresh_token"
	case param == "refresh_token" && s.codes[v] != nil:
		return ": this is an authorization code; use grant_type=authorization_code"
	case s.access[v] != nil:
		return ": this is an access token"
	case strings.Count(v, ".") == 2 && strings.HasPrefix(v, "ey"):
		if p, err := s.keys.verify(v); err == nil {
			if s.access[jwtID(p)] != nil {
				return ": this is an access token"
			}
			return ": this is an id_token"
		}
		return ": a JWT this server did not sign"
	case v != strings.TrimSpace(v):
		return ": it has leading or trailing white space"
	}
	return " (never issued by this server, or the server was reset)"
}
