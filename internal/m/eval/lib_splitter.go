package eval

import "strings"

// Splitter.* and Combiner.*: functions that return functions.

func init() {
	registerValue("QuoteStyle.None", Num(0))
	registerValue("QuoteStyle.Csv", Num(1))
	register(
		builtin("Splitter.SplitByNothing", "", func(th *Thread, a []Value) (Value, error) {
			return builtin("Splitter.SplitByNothing", "value as any", func(th *Thread, a []Value) (Value, error) {
				return NewList(a[0]), nil
			}), nil
		}),
		builtin("Splitter.SplitTextByDelimiter", "delimiter as text, optional quoteStyle as nullable number", func(th *Thread, a []Value) (Value, error) {
			d := a[0].(Text).S
			csv := false
			if n, ok := a[1].(Number); ok {
				csv = n.F == 1
			}
			return builtin("Splitter.SplitTextByDelimiter", "text as nullable text", func(th *Thread, b []Value) (Value, error) {
				if isNull(b[0]) {
					return NullValue, nil
				}
				return textsToList(splitQuoted(b[0].(Text).S, []string{d}, csv)), nil
			}), nil
		}),
		builtin("Splitter.SplitTextByAnyDelimiter", "delimiters as list, optional quoteStyle as nullable number", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			ds, err := textList(vals)
			if err != nil {
				return nil, err
			}
			csv := false
			if n, ok := a[1].(Number); ok {
				csv = n.F == 1
			}
			return builtin("Splitter.SplitTextByAnyDelimiter", "text as nullable text", func(th *Thread, b []Value) (Value, error) {
				if isNull(b[0]) {
					return NullValue, nil
				}
				return textsToList(splitQuoted(b[0].(Text).S, ds, csv)), nil
			}), nil
		}),
		builtin("Combiner.CombineTextByDelimiter", "delimiter as text, optional quoteStyle as nullable number", func(th *Thread, a []Value) (Value, error) {
			d := a[0].(Text).S
			return builtin("Combiner.CombineTextByDelimiter", "texts as list", func(th *Thread, b []Value) (Value, error) {
				return library["Text.Combine"].(*Function).Impl(th, []Value{b[0], Str(d)})
			}), nil
		}),
	)
}

// splitQuoted splits s at any of the delimiters; with csv quoting, a
// delimiter inside "..." does not split and doubled quotes are unescaped.
func splitQuoted(s string, delims []string, csv bool) []string {
	var out []string
	var cur strings.Builder
	inQuote := false
	for i := 0; i < len(s); {
		if csv && s[i] == '"' {
			if inQuote && i+1 < len(s) && s[i+1] == '"' {
				cur.WriteByte('"')
				i += 2
				continue
			}
			inQuote = !inQuote
			i++
			continue
		}
		if !inQuote {
			matched := ""
			for _, d := range delims {
				if d != "" && strings.HasPrefix(s[i:], d) {
					matched = d
					break
				}
			}
			if matched != "" {
				out = append(out, cur.String())
				cur.Reset()
				i += len(matched)
				continue
			}
		}
		cur.WriteByte(s[i])
		i++
	}
	return append(out, cur.String())
}
