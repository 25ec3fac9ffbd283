package mockidp

import (
	"crypto/rand"
	"encoding/base64"
	"strings"
	"time"
)

// codeRec is an authorization code and everything it is bound to.
type codeRec struct {
	code         string
	client       string
	redirect     string // as sent at /authorize; "" if absent
	redirectSent bool
	challenge    string
	method       string
	scope        []string
	aud          []string // audiences or resources requested
	audSet       bool     // an audience was named explicitly
	nonce        string
	subject      User
	session      string
	offline      bool
	issued       time.Time
	expires      time.Time
	used         bool
	// what redeeming the code issued, revoked if the code is replayed
	family    string
	accessIDs []string
}

// session is a login session; rotate-kill-session ends it on reuse.
type session struct {
	id      string
	subject string
	ended   bool
}

// family is the chain of refresh tokens issued from one grant.
type family struct {
	id        string
	client    string
	subject   User
	session   string
	scope     []string
	aud       []string
	audSet    bool
	created   time.Time
	absolute  time.Time // zero: none
	lastUsed  time.Time
	revoked   bool
	revokedBy string
	gen       int // generation of the newest token
	tokens    []*refreshRec
	accessIDs []string
}

// Refresh-token states.
const (
	rtActive  = iota
	rtRotated // replaced by a successor; reuse signals a breach
	rtRevoked
)

type refreshRec struct {
	token     string
	fam       *family
	gen       int
	issued    time.Time
	expires   time.Time // zero: none
	state     int
	successor *refreshRec
	rotatedAt time.Time
}

// accessRec is an issued access token, by jti (JWT) or the token (opaque).
type accessRec struct {
	id      string
	opaque  bool
	client  string
	subject string
	scope   []string
	aud     []string
	issued  time.Time
	expires time.Time
	revoked bool
	family  string
	session string
}

// randomToken returns prefix + 32 random bytes in base64url.
func randomToken(prefix string) string {
	var b [32]byte
	_, _ = rand.Read(b[:])
	return prefix + base64.RawURLEncoding.EncodeToString(b[:])
}

func minTime(a, b time.Time) time.Time {
	switch {
	case a.IsZero():
		return b
	case b.IsZero():
		return a
	case b.Before(a):
		return b
	}
	return a
}

// refreshExpiry returns when a refresh token of f issued at now expires and
// which limit decides it, from the token lifetime and the family's absolute
// limit (idle is checked separately against lastUsed).
func (s *Server) refreshExpiry(f *family, now time.Time) time.Time {
	var exp time.Time
	if l := s.prof.Refresh.Lifetime.D(); l > 0 {
		exp = now.Add(l)
	}
	return minTime(exp, f.absolute)
}

// newRefresh issues the next generation of f; call with s.mu held.
func (s *Server) newRefresh(f *family, now time.Time) *refreshRec {
	f.gen++
	rt := &refreshRec{token: randomToken("rt."), fam: f, gen: f.gen, issued: now, expires: s.refreshExpiry(f, now)}
	f.tokens = append(f.tokens, rt)
	s.refresh[rt.token] = rt
	return rt
}

// revokeFamily revokes every refresh token and access token of f; call
// with s.mu held.
func (s *Server) revokeFamily(f *family, why string) {
	if f.revoked {
		return
	}
	f.revoked, f.revokedBy = true, why
	for _, rt := range f.tokens {
		rt.state = rtRevoked
	}
	for _, id := range f.accessIDs {
		if a := s.access[id]; a != nil {
			a.revoked = true
		}
	}
}

// endSession ends a login session: every family and access token of it.
func (s *Server) endSession(id, why string) []string {
	sess := s.sessions[id]
	if sess == nil || sess.ended {
		return nil
	}
	sess.ended = true
	effects := []string{"session " + id + " ended (" + why + ")"}
	for _, f := range s.families {
		if f.session == id && !f.revoked {
			s.revokeFamily(f, why)
			effects = append(effects, "family "+f.id+" revoked")
		}
	}
	for _, a := range s.access {
		if a.session == id {
			a.revoked = true
		}
	}
	return effects
}

func hasScope(scope []string, want string) bool {
	for _, s := range scope {
		if s == want {
			return true
		}
	}
	return false
}

// subset reports whether every element of a is in b, returning the first
// one that is not.
func subset(a, b []string) (string, bool) {
	for _, x := range a {
		if !hasScope(b, x) {
			return x, false
		}
	}
	return "", true
}

func splitScope(s string) []string { return strings.Fields(s) }
