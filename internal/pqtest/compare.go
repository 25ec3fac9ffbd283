package pqtest

import (
	"context"
	"fmt"
	"strings"

	"github.com/pqxdev/pqx/internal/m/eval"
)

// normalize drops a byte-order mark, carriage returns and surrounding
// white space, which editors and PQTest's Windows output add freely.
func normalize(s string) string {
	s = strings.TrimPrefix(s, "\ufeff")
	s = strings.ReplaceAll(s, "\r\n", "\n")
	return strings.TrimSpace(s)
}

// same reports whether expected denotes the actual serialisation: equal
// text, or expected evaluates to a value that serialises identically.
func same(opt *Options, expected, actual string) bool {
	expected = normalize(expected)
	if expected == actual {
		return true
	}
	re, ok := reserialize(opt, expected, eval.SerializeOptions{})
	if ok && re == actual {
		return true
	}
	// PQTest may write a keyed table (a navigation table) without its keys:
	// such an output still denotes the value when the keys are all that
	// differs.
	if !ok || strings.Contains(expected, "Type.AddTableKey") {
		return false
	}
	noKeys := eval.SerializeOptions{NoKeys: true}
	re, ok = reserialize(opt, expected, noKeys)
	act, okAct := reserialize(opt, actual, noKeys)
	return ok && okAct && re == act
}

// reserialize evaluates a .pqout text with the standard library only and
// serialises the value again ("error [...]" for an error literal).
func reserialize(opt *Options, text string, so eval.SerializeOptions) (string, bool) {
	th := eval.NewThread(nil, &eval.Host{})
	th.Ctx = context.Background()
	v, err := th.EvalSource("expected.pqout", []byte(text))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		if me := eval.AsError(err); me != nil && !me.Fatal && strings.HasPrefix(text, "error") {
			return "error " + eval.SerializeWith(th, me.Rec, so), true
		}
		return "", false
	}
	return eval.SerializeWith(th, v, so), true
}

// diffValues returns a unified-style line diff of expected against actual,
// both laid out one row or item per line so a changed cell is easy to see.
func diffValues(opt *Options, expected, actual string) string {
	exp := normalize(expected)
	if re, ok := reserialize(opt, exp, eval.SerializeOptions{}); ok {
		exp = re
	}
	// The outermost value is always broken up so both sides align even
	// when one of them is short.
	a := strings.Split(pretty(exp, true), "\n")
	b := strings.Split(pretty(actual, true), "\n")
	return lineDiff(a, b)
}

// Pretty lays out a serialised M value over several lines: each item of a
// list, field of a record and row of a table that does not fit in 100
// columns goes on its own line, indented by nesting depth. It works on the
// text, so it also formats outputs that cannot be evaluated.
func Pretty(s string) string { return pretty(s, false) }

func pretty(s string, breakTop bool) string {
	var b strings.Builder
	prettyInto(&b, strings.TrimSpace(s), 0, breakTop)
	return b.String()
}

const prettyWidth = 100

func prettyInto(b *strings.Builder, s string, indent int, force bool) {
	if !force && len(s)+indent*2 <= prettyWidth {
		b.WriteString(s)
		return
	}
	// Find the outermost bracket that opens a multi-item body.
	open := -1
	for i := 0; i < len(s); i++ {
		c := s[i]
		if c == '"' {
			i = skipString(s, i)
			continue
		}
		if c == '{' || c == '[' {
			open = i
			break
		}
	}
	if open < 0 {
		b.WriteString(s)
		return
	}
	close := matching(s, open)
	if close < 0 {
		b.WriteString(s)
		return
	}
	// A "#table(type table [...], {" prefix keeps the type on one line.
	if strings.HasPrefix(s, "#table(") && s[open] == '[' {
		if rows := strings.Index(s[close:], "{"); rows >= 0 {
			if end := matching(s, close+rows); end >= 0 {
				b.WriteString(s[:close+rows+1])
				writeItems(b, splitTop(s[close+rows+1:end]), indent)
				b.WriteString(s[end:])
				return
			}
		}
	}
	b.WriteString(s[:open+1])
	writeItems(b, splitTop(s[open+1:close]), indent)
	prettyInto(b, s[close:], indent, false)
}

func writeItems(b *strings.Builder, items []string, indent int) {
	if len(items) == 0 {
		return
	}
	pad := strings.Repeat("  ", indent+1)
	for i, it := range items {
		b.WriteString("\n" + pad)
		prettyInto(b, it, indent+1, false)
		if i < len(items)-1 {
			b.WriteByte(',')
		}
	}
	b.WriteString("\n" + strings.Repeat("  ", indent))
}

func skipString(s string, i int) int {
	for j := i + 1; j < len(s); j++ {
		if s[j] == '"' {
			if j+1 < len(s) && s[j+1] == '"' {
				j++
				continue
			}
			return j
		}
	}
	return len(s) - 1
}

// matching returns the index of the bracket closing the one at open.
func matching(s string, open int) int {
	depth := 0
	for i := open; i < len(s); i++ {
		switch s[i] {
		case '"':
			i = skipString(s, i)
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
			if depth == 0 {
				return i
			}
		}
	}
	return -1
}

// splitTop splits a bracket body at its top-level commas.
func splitTop(s string) []string {
	var out []string
	depth, start := 0, 0
	for i := 0; i < len(s); i++ {
		switch s[i] {
		case '"':
			i = skipString(s, i)
		case '{', '[', '(':
			depth++
		case '}', ']', ')':
			depth--
		case ',':
			if depth == 0 {
				out = append(out, strings.TrimSpace(s[start:i]))
				start = i + 1
			}
		}
	}
	// A trailing empty item is kept after a comma so no text is lost.
	if t := strings.TrimSpace(s[start:]); t != "" || len(out) > 0 {
		out = append(out, t)
	}
	return out
}

// lineDiff returns the lines of a and b with "- " (only in a), "+ " (only
// in b) or "  " prefixes, keeping three lines of context around changes.
func lineDiff(a, b []string) string {
	const maxCells = 4_000_000
	type op struct {
		kind byte
		line string
	}
	var ops []op
	if len(a)*len(b) > maxCells {
		// Too large for the quadratic alignment: show both sides whole.
		for _, l := range a {
			ops = append(ops, op{'-', l})
		}
		for _, l := range b {
			ops = append(ops, op{'+', l})
		}
	} else {
		// lcs[i][j] is the common subsequence length of a[i:] and b[j:].
		lcs := make([][]int32, len(a)+1)
		for i := range lcs {
			lcs[i] = make([]int32, len(b)+1)
		}
		for i := len(a) - 1; i >= 0; i-- {
			for j := len(b) - 1; j >= 0; j-- {
				if a[i] == b[j] {
					lcs[i][j] = lcs[i+1][j+1] + 1
				} else {
					lcs[i][j] = max(lcs[i+1][j], lcs[i][j+1])
				}
			}
		}
		i, j := 0, 0
		for i < len(a) || j < len(b) {
			switch {
			case i < len(a) && j < len(b) && a[i] == b[j]:
				ops = append(ops, op{' ', a[i]})
				i++
				j++
			case i < len(a) && (j == len(b) || lcs[i+1][j] >= lcs[i][j+1]):
				ops = append(ops, op{'-', a[i]})
				i++
			default:
				ops = append(ops, op{'+', b[j]})
				j++
			}
		}
	}
	keep := make([]bool, len(ops))
	for k, o := range ops {
		if o.kind != ' ' {
			for c := max(0, k-3); c <= min(len(ops)-1, k+3); c++ {
				keep[c] = true
			}
		}
	}
	var sb strings.Builder
	sb.WriteString("--- expected\n+++ actual\n")
	skipped := false
	for k, o := range ops {
		if !keep[k] {
			if !skipped {
				sb.WriteString("  ...\n")
				skipped = true
			}
			continue
		}
		skipped = false
		fmt.Fprintf(&sb, "%c %s\n", o.kind, o.line)
	}
	return sb.String()
}
