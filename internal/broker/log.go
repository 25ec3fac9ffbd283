package broker

import (
	"io"
	"log/slog"
	"regexp"
	"strings"
)

// sensitiveKey matches attribute keys whose values are never logged.
var sensitiveKey = regexp.MustCompile(`(?i)(authorization|token|secret|password|passwd|cookie|credential|api[-_]?key)`)

// bearerValue matches a credential embedded in a free-text value.
var bearerValue = regexp.MustCompile(`(?i)\b(bearer|basic)\s+[A-Za-z0-9._~+/=-]+`)

// redact is a slog ReplaceAttr function: values of sensitive keys become
// "[REDACTED]" and Bearer/Basic credentials inside strings are masked. It is
// a safety net; the broker does not pass tokens or secrets to the logger.
func redact(_ []string, a slog.Attr) slog.Attr {
	if sensitiveKey.MatchString(a.Key) && !strings.HasSuffix(a.Key, "_in") {
		return slog.String(a.Key, "[REDACTED]")
	}
	if a.Value.Kind() == slog.KindString {
		if s := a.Value.String(); bearerValue.MatchString(s) {
			return slog.String(a.Key, bearerValue.ReplaceAllString(s, "$1 [REDACTED]"))
		}
	}
	if a.Value.Kind() == slog.KindAny {
		if err, ok := a.Value.Any().(error); ok {
			return slog.String(a.Key, bearerValue.ReplaceAllString(err.Error(), "$1 [REDACTED]"))
		}
	}
	return a
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
