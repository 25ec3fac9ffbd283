package mockidp

import (
	"crypto/sha256"
	"encoding/base64"
	"fmt"
	"strings"
)

// PKCE methods of RFC 7636 §4.2.
const (
	MethodS256  = "S256"
	MethodPlain = "plain"
)

// S256Challenge returns BASE64URL-ENCODE(SHA256(ASCII(verifier))) without
// padding (RFC 7636 §4.2, Appendix A).
func S256Challenge(verifier string) string {
	sum := sha256.Sum256([]byte(verifier))
	return base64.RawURLEncoding.EncodeToString(sum[:])
}

func isUnreserved(c byte) bool {
	return 'A' <= c && c <= 'Z' || 'a' <= c && c <= 'z' || '0' <= c && c <= '9' ||
		c == '-' || c == '.' || c == '_' || c == '~'
}

// CheckVerifier checks code-verifier = 43*128unreserved (RFC 7636 §4.1)
// and explains the first violation.
func CheckVerifier(v string) error {
	if n := len(v); n < 43 || n > 128 {
		return fmt.Errorf("code_verifier is %d characters; RFC 7636 §4.1 requires 43 to 128", n)
	}
	for i := 0; i < len(v); i++ {
		if !isUnreserved(v[i]) {
			return fmt.Errorf("code_verifier has %q at offset %d; only A-Z a-z 0-9 - . _ ~ are allowed (RFC 7636 §4.1)", v[i], i)
		}
	}
	return nil
}

// checkChallenge checks a code_challenge as received at /authorize and names
// the common client bugs: padding, standard base64, hex digests.
func checkChallenge(ch, method string) error {
	if method == MethodPlain {
		if err := CheckVerifier(ch); err != nil {
			return fmt.Errorf("plain code_challenge must itself be a valid verifier: %s", strings.TrimPrefix(err.Error(), "code_verifier "))
		}
		return nil
	}
	if strings.HasSuffix(ch, "=") {
		return fmt.Errorf("code_challenge has '=' padding; S256 needs base64url without padding (RFC 7636 Appendix A)")
	}
	if strings.ContainsAny(ch, "+/") {
		return fmt.Errorf("code_challenge uses standard base64 ('+' or '/'); S256 needs base64url ('-', '_') without padding")
	}
	if len(ch) == 64 && strings.Trim(ch, "0123456789abcdefABCDEF") == "" {
		return fmt.Errorf("code_challenge looks like a hex SHA-256 digest; S256 needs base64url of the raw 32 bytes")
	}
	if len(ch) != 43 {
		return fmt.Errorf("code_challenge is %d characters; an S256 challenge is always 43", len(ch))
	}
	if _, err := base64.RawURLEncoding.DecodeString(ch); err != nil {
		return fmt.Errorf("code_challenge is not base64url")
	}
	return nil
}

// matchVerifier compares a verifier with the stored challenge and explains a
// mismatch, recognising the mistakes connectors make.
func matchVerifier(verifier, challenge, method string) (ok bool, hint string) {
	switch method {
	case MethodS256:
		if S256Challenge(verifier) == challenge {
			return true, ""
		}
		if verifier == challenge {
			return false, "code_verifier does not match code_challenge (S256): the client sent the challenge itself instead of the verifier"
		}
		return false, "code_verifier does not match code_challenge (S256): was the verifier regenerated between StartLogin and FinishLogin instead of passed through Context?"
	default:
		if verifier == challenge {
			return true, ""
		}
		if S256Challenge(verifier) == challenge {
			return false, "code_verifier does not match code_challenge (plain): the challenge is the S256 hash; send code_challenge_method=S256 at /authorize"
		}
		return false, "code_verifier does not match code_challenge (plain)"
	}
}
