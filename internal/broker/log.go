package broker

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// sensitiveWords mark attribute keys whose values are never logged.
var sensitiveWords = []string{"authorization", "token", "secret", "password", "passwd", "cookie", "credential", "apikey", "api_key", "api-key"}

// bearerValue matches a credential embedded in a free-text value.
var bearerValue = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)

// safeKeys are the broker's own attribute keys, known to carry no secret;
// they skip the checks below, which matters at tens of thousands of access
// log lines per second.
var safeKeys = map[string]bool{"mode": true, "method": true, "path": true, "caller": true, "target": true,
	"cache": true, "status": true, "duration": true, "urls": true, "time": true, "level": true, "msg": true}

// redact is a slog ReplaceAttr function: values of sensitive keys become
// "[REDACTED]" and Bearer/Basic credentials inside strings are masked. It is
// a safety net; the broker does not pass tokens or secrets to the logger.
func redact(_ []string, a slog.Attr) slog.Attr {
	if safeKeys[a.Key] {
		return a
	}
	if sensitiveKey(a.Key) {
		return slog.String(a.Key, "[REDACTED]")
	}
	switch a.Value.Kind() {
	case slog.KindString:
		if s := a.Value.String(); mayHoldCredential(s) {
			return slog.String(a.Key, bearerValue.ReplaceAllString(s, "$1 [REDACTED]"))
		}
	case slog.KindAny:
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, bearerValue.ReplaceAllString(err.Error(), "$1 [REDACTED]"))
		}
	}
	return a
}

func sensitiveKey(k string) bool {
	if strings.HasSuffix(k, "_in") { // expires_in, retry_in: durations
		return false
	}
	k = strings.ToLower(k)
	for _, w := range sensitiveWords {
		if strings.Contains(k, w) {
			return true
		}
	}
	return false
}

// mayHoldCredential is a cheap pre-check for bearerValue.
func mayHoldCredential(s string) bool {
	l := strings.ToLower(s)
	return strings.Contains(l, "bearer") || strings.Contains(l, "basic")
}

// NewLogger returns a redacting slog.Logger writing to w in the given format
// ("text" or "json") at the given level ("debug", "info", "warn", "error";
// empty means info).
func NewLogger(w io.Writer, format, level string) *slog.Logger {
	var lv slog.Level
	switch level {
	case "debug":
		lv = slog.LevelDebug
	case "warn":
		lv = slog.LevelWarn
	case "error":
		lv = slog.LevelError
	}
	opts := &slog.HandlerOptions{Level: lv, ReplaceAttr: redact}
	if format == "json" {
		return slog.New(slog.NewJSONHandler(w, opts))
	}
	return slog.New(slog.NewTextHandler(w, opts))
}
