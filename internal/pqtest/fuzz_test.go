package pqtest

import (
	"strings"
	"testing"
	"unicode"
)

// FuzzPretty lays out arbitrary text (an unparseable .pqout is shown as
// is): it must not panic and must only add or remove white space.
func FuzzPretty(f *testing.F) {
	f.Add(`#table(type table [A = number], {{1, "x"}, {2, "` + strings.Repeat("y", 120) + `"}})`)
	f.Add(`[a = {` + strings.Repeat(`"q""", `, 40) + `1}]`)
	f.Add(`#table(type table [A = any], {{1}`)
	f.Add(`{"unterminated`)
	f.Fuzz(func(t *testing.T, s string) {
		if len(s) > 1<<12 {
			return
		}
		got := Pretty(s)
		strip := func(x string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsSpace(r) {
					return -1
				}
				return r
			}, x)
		}
		if strip(got) != strip(s) {
			t.Fatalf("Pretty changed more than white space:\n%q\n%q", s, got)
		}
		lineDiff(strings.Split(got, "\n"), strings.Split(s, "\n"))
	})
}
