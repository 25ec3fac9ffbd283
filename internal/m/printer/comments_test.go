package printer

import "testing"

// TestRoundTripCommentPlacement puts comments in every gap of the grammar
// that the printer treats specially and checks that none is lost, the tree
// is unchanged and formatting is idempotent.
func TestRoundTripCommentPlacement(t *testing.T) {
	cases := map[string]string{
		"params":        "(a, // first\n b as text /* second */, optional c) => a",
		"fntype_params": "type function (a as text, // a\n optional b as number) as table",
		"record_type":   "type [a = text, // a\n optional b = number, /* open */ ...]",
		"call_args":     "f(1, // one\n 2 /* two */)",
		"call_empty":    "f(/* nothing */)",
		"list_end":      "{1, 2 // two\n}",
		"empty_record":  "[ // nothing\n]",
		"if_branches":   "if a // cond\nthen b // then\nelse c // else",
		"else_if":       "if a then b else /* c */ if d then e else f",
		"binary_chain":  "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaa & // one\n bbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbbb & cccccccccccccccccccccccccccccccccccccccc",
		"each_body":     "each // body\n _ + 1",
		"try_catch":     "try f() // may fail\n catch (e) => /* handler */ e",
		"let_in":        "let a = 1 // one\n // before in\n in // after in\n a",
		"section":       "// head\n\n[Version = \"1\"] // attrs\nsection S; // name\n\n// member A\nA = 1; // a\nB = 2;\n\n\n// tail",
		"paren":         "( // open\n 1 )",
		"unary":         "- /* minus */ 1",
		"access":        "r[a] // field\n {0}",
		"meta":          "x meta // m\n [a = 1]",
		"type_nullable": "type nullable // n\n text",
		"crlf":          "let\r\n    a = 1, // c\r\n    b = 2\r\nin\r\n    a",
		"block_multi":   "/* line one\n   line two */\n1",
		"deep_comment":  "f(g(h([a = {1, // x\n 2}])))",
		"attr_comment":  "section S;\n[DataSource.Kind = \"S\"] // kind\n// doc\nshared S.X = 1;",
		"generalized":   "[Response Status = 1, // a\n #\"b c\" = 2][Response Status]",
		"projection":    "t[[a], // a\n [b]]?",
		"list_type":     "type { // items\n number }",
		"table_type":    "type table /* rows */ [a = text]",
	}
	for name, src := range cases {
		roundTrip(t, name, src)
	}
}
