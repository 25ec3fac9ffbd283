package mockidp

import (
	"fmt"
	"net/http"
	"strings"
)

// oauthError is an OAuth error decided by the server: the RFC 6749 §5.2 code,
// the HTTP status, a stable machine reason and a hint for the developer.
type oauthError struct {
	Code   string // invalid_request, invalid_grant, ...
	Status int    // HTTP status
	// Reason is a stable machine code for the decision, e.g. "code_reused",
	// "pkce_mismatch", "refresh_reused". Tests and the journal key on it.
	Reason string
	// Hint says what the client did wrong, in words.
	Hint string
	// Description overrides error_description (vendor texts); "" uses Hint.
	Description string
	// basicAuth records that the client used the Authorization header, so
	// invalid_client must carry WWW-Authenticate (RFC 6749 §5.2).
	basicAuth bool
}

// Error implements error.
func (e *oauthError) Error() string { return e.Code + ": " + e.Hint }

func oauthErr(code string, status int, reason, format string, args ...any) *oauthError {
	return &oauthError{Code: code, Status: status, Reason: reason, Hint: fmt.Sprintf(format, args...)}
}

func invalidRequest(reason, format string, args ...any) *oauthError {
	return oauthErr("invalid_request", http.StatusBadRequest, reason, format, args...)
}

func invalidGrant(reason, format string, args ...any) *oauthError {
	return oauthErr("invalid_grant", http.StatusBadRequest, reason, format, args...)
}

func invalidClient(reason, format string, args ...any) *oauthError {
	return oauthErr("invalid_client", http.StatusUnauthorized, reason, format, args...)
}

// asciiText makes s printable ASCII for headers and error texts.
func asciiText(s string) string {
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '§':
			b.WriteString("section ")
		case r < 0x20 || r > 0x7e:
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// sanitizeDescription keeps error_description within the characters RFC
// 6749 §5.2 allows (%x20-21 / %x23-5B / %x5D-7E).
func sanitizeDescription(s string) string {
	ok := true
	for i := 0; i < len(s); i++ {
		if c := s[i]; c < 0x20 || c > 0x7e || c == '"' || c == '\\' {
			ok = false
			break
		}
	}
	if ok {
		return s
	}
	var b strings.Builder
	for _, r := range s {
		switch {
		case r == '"':
			b.WriteByte('\'')
		case r == '§':
			b.WriteString("section ")
		case r < 0x20 || r > 0x7e || r == '\\':
			b.WriteByte(' ')
		default:
			b.WriteRune(r)
		}
	}
	return b.String()
}

// entraCodes maps reasons to AADSTS numbers for the entra vendor format.
var entraCodes = map[string]int{
	"code_reused":           54005,
	"code_unknown":          70008,
	"code_expired":          70008,
	"code_other_client":     70008,
	"redirect_mismatch":     70008,
	"pkce_mismatch":         501481,
	"pkce_verifier_syntax":  501481,
	"pkce_missing_verifier": 501481,
	"pkce_downgrade":        501481,
	"refresh_unknown":       9002313,
	"refresh_expired":       700082,
	"refresh_revoked":       70008,
	"refresh_reused":        70008,
	"refresh_other_client":  70000,
	"client_unknown":        700016,
	"client_secret_wrong":   7000215,
	"client_secret_missing": 7000218,
	"grant_unsupported":     70003,
	"scope_invalid":         70011,
	"scope_broader":         70011,
	"param_missing":         900144,
	"rate_limited":          50196,
}
