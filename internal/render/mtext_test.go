package render

import (
	"fmt"
	"strconv"
	"strings"
	"testing"
	"unicode/utf8"
)

// decodeMText is an independent, deliberately small decoder of one M text
// literal (M spec, "Text literals"): it accepts exactly a quoted literal
// with "" and #(...) escapes and fails on anything else, so that a value
// escaping its literal shows up as a decode error.
func decodeMText(lit string) (string, error) {
	if len(lit) < 2 || lit[0] != '"' || lit[len(lit)-1] != '"' {
		return "", fmt.Errorf("not a quoted literal: %q", lit)
	}
	body := lit[1 : len(lit)-1]
	var b strings.Builder
	for i := 0; i < len(body); {
		switch {
		case body[i] == '"':
			if i+1 >= len(body) || body[i+1] != '"' {
				return "", fmt.Errorf("lone quote at %d ends the literal early", i)
			}
			b.WriteByte('"')
			i += 2
		case strings.HasPrefix(body[i:], "#("):
			end := strings.IndexByte(body[i:], ')')
			if end < 0 {
				return "", fmt.Errorf("unterminated escape at %d", i)
			}
			for _, esc := range strings.Split(body[i+2:i+end], ",") {
				switch esc {
				case "cr":
					b.WriteByte('\r')
				case "lf":
					b.WriteByte('\n')
				case "tab":
					b.WriteByte('\t')
				case "#":
					b.WriteByte('#')
				default:
					if len(esc) != 4 && len(esc) != 8 {
						return "", fmt.Errorf("bad escape %q", esc)
					}
					n, err := strconv.ParseUint(esc, 16, 32)
					if err != nil {
						return "", fmt.Errorf("bad escape %q", esc)
					}
					b.WriteRune(rune(n))
				}
			}
			i += end + 1
		default:
			r, size := utf8.DecodeRuneInString(body[i:])
			b.WriteRune(r)
			i += size
		}
	}
	return b.String(), nil
}

var hostileValues = []string{
	``,
	`plain`,
	`"`,
	`""`,
	`a"b`,
	`" & Web.Contents("https://evil.example") & "`,
	`#(lf)`,
	`#(`,
	`#(#)`,
	`##((`,
	`#`,
	"ends with #",
	"line1\nline2",
	"cr\rlf\n\r\n",
	"tab\there",
	"nul\x00byte",
	"bell\a and esc\x1b[31m",
	"emoji 😀🏥 and flags 🇳🇴",
	"right-to-left \u200f mark and \u202e override \u202c",
	"zero\u200bwidth and bom \ufeff",
	"line\u2028separator\u2029para\u0085nel",
	"private \ue000 use",
	"combining e\u0301 accent",
	`); shared Evil = "x`,
	`// comment`,
	"/* comment */",
	`\"backslash\"`,
	strings.Repeat(`"#(lf)`, 2000), // 12 KB of worst cases
	strings.Repeat("x", 10<<10),
}

func TestMTextRoundTrip(t *testing.T) {
	if len(hostileValues) < 20 {
		t.Fatalf("need at least 20 hostile values, have %d", len(hostileValues))
	}
	for i, v := range hostileValues {
		lit, err := MText(v)
		if err != nil {
			t.Fatalf("%d: MText(%q): %v", i, v, err)
		}
		got, err := decodeMText(lit)
		if err != nil {
			t.Fatalf("%d: decode %q: %v", i, lit, err)
		}
		if got != v {
			t.Errorf("%d: round trip of %q gave %q (literal %q)", i, v, got, lit)
		}
		for _, r := range lit {
			if r == '\n' || r == '\r' || r == 0 || r == 0x202e || r == 0x200f || r == 0x2028 {
				t.Errorf("%d: literal %q contains raw %U; it must be escaped", i, lit, r)
			}
		}
	}
}

func TestMTextRejectsInvalidUTF8(t *testing.T) {
	if _, err := MText("bad \xff byte"); err == nil {
		t.Fatal("MText accepted invalid UTF-8")
	}
}

func TestMIdent(t *testing.T) {
	for _, tc := range []struct{ in, want string }{
		{"Foo", "Foo"},
		{"Table.AddColumn", "Table.AddColumn"},
		{"_x1", "_x1"},
		{"OpenEHR.Contents", "OpenEHR.Contents"},
		{"a b", `#"a b"`},
		{"1abc", `#"1abc"`},
		{"let", `#"let"`},
		{"#shared", `#"#shared"`},
		{"a..b", `#"a..b"`},
		{"a.", `#"a."`},
		{`q"uote`, `#"q""uote"`},
		{"dips-subscription-key", `#"dips-subscription-key"`},
		{"zero\u200bwidth", `#"zero#(200B)width"`},
		{"Ærø", "Ærø"},
	} {
		got, err := MIdent(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("MIdent(%q) = %q, %v; want %q", tc.in, got, err, tc.want)
		}
	}
}

func TestMListAndRecord(t *testing.T) {
	l, err := MList([]string{"openid", `a"b`, "x#(y"})
	if err != nil || l != `{"openid", "a""b", "x#(#)(y"}` {
		t.Errorf("MList = %s, %v", l, err)
	}
	if l, _ := MList(nil); l != "{}" {
		t.Errorf("MList(nil) = %s", l)
	}
	r, err := MRecord(map[string]string{"b": "2", "a c": "1", "audience": "https://x"})
	if err != nil || r != `[#"a c" = "1", audience = "https://x", b = "2"]` {
		t.Errorf("MRecord = %s, %v", r, err)
	}
	if r, _ := MRecord(nil); r != "[]" {
		t.Errorf("MRecord(nil) = %s", r)
	}
}

func FuzzMText(f *testing.F) {
	for _, v := range hostileValues {
		if len(v) < 200 {
			f.Add(v)
		}
	}
	f.Fuzz(func(t *testing.T, v string) {
		lit, err := MText(v)
		if !utf8.ValidString(v) {
			if err == nil {
				t.Fatalf("MText accepted invalid UTF-8 %q", v)
			}
			return
		}
		if err != nil {
			t.Fatal(err)
		}
		got, err := decodeMText(lit)
		if err != nil {
			t.Fatalf("decode %q: %v", lit, err)
		}
		if got != v {
			t.Fatalf("round trip of %q gave %q", v, got)
		}
	})
}
