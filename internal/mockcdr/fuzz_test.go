package mockcdr

import (
	"strings"
	"testing"
)

// FuzzParseAQL feeds arbitrary text to the AQL normaliser, which sees every
// query a client sends: it must not panic, and a key it produces must be
// stable (normalising the key again gives the key).
func FuzzParseAQL(f *testing.F) {
	for _, fx := range fixtures {
		f.Add(fx.AQL)
	}
	f.Add("SELECT TOP 3 a FROM EHR e WHERE x = 'it''s' AND y = :p LIMIT 2 OFFSET 1")
	f.Add("SELECT $ FROM [[[ ((( 'unterminated")
	f.Fuzz(func(t *testing.T, q string) {
		for _, colon := range []bool{false, true} {
			p, err := parseAQL(q, colon)
			if err != nil {
				continue
			}
			again, err := parseAQL(p.key, colon)
			if err != nil {
				t.Fatalf("key %q of %q does not parse: %v", p.key, q, err)
			}
			if !p.hasLimit && !p.hasTop && again.key != p.key {
				t.Fatalf("key not stable:\n%q\n%q", p.key, again.key)
			}
			_ = substituteParams(q, map[string]any{"p": 1.0, "x": "v"}, colon)
			if strings.Trim(p.key, " \t\n\r\f\v") != p.key || p.key == "" {
				t.Fatalf("key %q is empty or has outer spaces", p.key)
			}
		}
	})
}
