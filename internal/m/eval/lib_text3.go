package eval

import (
	"strings"
	"unicode"
)

// The remaining Text.* functions and the Splitter/Combiner constructors
// beyond delimiters. Positions and lengths count UTF-16 code units, as in
// Power Query.

func init() {
	register(
		builtin("Text.ReplaceRange", "text as nullable text, offset as number, count as number, newText as text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			u := u16(a[0].(Text).S)
			var off, n int
			if err := unpack(th, a[1:3], &off, &n); err != nil {
				return nil, err
			}
			if off < 0 || n < 0 || off+n > len(u) {
				return nil, argRange("offset")
			}
			return Str(fromU16(u[:off]) + a[3].(Text).S + fromU16(u[off+n:])), nil
		}),
		builtin("Text.RemoveRange", "text as nullable text, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			u := u16(a[0].(Text).S)
			off, n := 0, 1
			if err := unpack(th, a[1:], &off, &n); err != nil {
				return nil, err
			}
			if off < 0 || n < 0 || off+n > len(u) {
				return nil, argRange("offset")
			}
			return Str(fromU16(u[:off]) + fromU16(u[off+n:])), nil
		}),
		builtin("Text.PositionOfAny", "text as text, characters as list, optional occurrence as nullable number", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[1].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			chars, err := textList(vals)
			if err != nil {
				return nil, err
			}
			set := map[uint16]bool{}
			for _, c := range chars {
				cu := u16(c)
				if len(cu) != 1 {
					return nil, NewErrorDetail("Expression.Error", "The value isn't a single-character string.", Str(c))
				}
				set[cu[0]] = true
			}
			occ := 0
			if n, ok := a[2].(Number); ok {
				occ = int(n.F)
			}
			var all []Value
			last := -1
			for i, c := range u16(a[0].(Text).S) {
				if set[c] {
					if occ == 0 {
						return Num(float64(i)), nil
					}
					last = i
					all = append(all, Num(float64(i)))
				}
			}
			if occ == 2 {
				return NewList(all...), nil
			}
			return Num(float64(last)), nil
		}),
		builtin("Splitter.SplitTextByLengths", "lengths as list, optional startAtEnd as nullable logical", func(th *Thread, a []Value) (Value, error) {
			lengths, err := intList(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			return textSplitter("Splitter.SplitTextByLengths", func(u []uint16) []string {
				var out []string
				p := 0
				for _, n := range lengths {
					end := min(p+n, len(u))
					out = append(out, fromU16(u[p:end]))
					p = end
				}
				return out
			}), nil
		}),
		builtin("Splitter.SplitTextByPositions", "positions as list, optional startAtEnd as nullable logical", func(th *Thread, a []Value) (Value, error) {
			pos, err := intList(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			return textSplitter("Splitter.SplitTextByPositions", func(u []uint16) []string {
				var out []string
				for i, p := range pos {
					end := len(u)
					if i+1 < len(pos) {
						end = min(pos[i+1], len(u))
					}
					start := min(p, len(u))
					out = append(out, fromU16(u[start:max(start, end)]))
				}
				return out
			}), nil
		}),
		builtin("Splitter.SplitTextByRanges", "ranges as list, optional startAtEnd as nullable logical", func(th *Thread, a []Value) (Value, error) {
			pairs, err := listOfLists(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			type rng struct{ off, n int }
			var rs []rng
			for _, p := range pairs {
				var r rng
				if len(p) != 2 {
					return nil, NewError("Expression.Error", "Each range must be a list {offset, length}.")
				}
				if err := unpack(th, p, &r.off, &r.n); err != nil {
					return nil, err
				}
				rs = append(rs, r)
			}
			return textSplitter("Splitter.SplitTextByRanges", func(u []uint16) []string {
				out := make([]string, len(rs))
				for i, r := range rs {
					s := min(r.off, len(u))
					out[i] = fromU16(u[s:min(s+r.n, len(u))])
				}
				return out
			}), nil
		}),
		builtin("Splitter.SplitTextByWhitespace", "optional quoteStyle as nullable number", func(th *Thread, a []Value) (Value, error) {
			return builtin("Splitter.SplitTextByWhitespace", "text as nullable text", func(th *Thread, b []Value) (Value, error) {
				if isNull(b[0]) {
					return NullValue, nil
				}
				return textsToList(strings.FieldsFunc(b[0].(Text).S, unicode.IsSpace)), nil
			}), nil
		}),
		builtin("Splitter.SplitTextByEachDelimiter", "delimiters as list, optional quoteStyle as nullable number, optional startAtEnd as nullable logical", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			ds, err := textList(vals)
			if err != nil {
				return nil, err
			}
			return builtin("Splitter.SplitTextByEachDelimiter", "text as nullable text", func(th *Thread, b []Value) (Value, error) {
				if isNull(b[0]) {
					return NullValue, nil
				}
				s := b[0].(Text).S
				var out []string
				for _, d := range ds {
					before, after, ok := strings.Cut(s, d)
					if !ok {
						break
					}
					out = append(out, before)
					s = after
				}
				return textsToList(append(out, s)), nil
			}), nil
		}),
		builtin("Splitter.SplitTextByCharacterTransition", "before as any, after as any", func(th *Thread, a []Value) (Value, error) {
			isBefore, err := transitionTest(th, a[0])
			if err != nil {
				return nil, err
			}
			isAfter, err := transitionTest(th, a[1])
			if err != nil {
				return nil, err
			}
			return builtin("Splitter.SplitTextByCharacterTransition", "text as nullable text", func(th *Thread, b []Value) (Value, error) {
				if isNull(b[0]) {
					return NullValue, nil
				}
				rs := []rune(b[0].(Text).S)
				var out []string
				start := 0
				for i := 1; i < len(rs); i++ {
					x, err := isBefore(th, rs[i-1])
					if err != nil {
						return nil, err
					}
					if !x {
						continue
					}
					y, err := isAfter(th, rs[i])
					if err != nil {
						return nil, err
					}
					if y {
						out = append(out, string(rs[start:i]))
						start = i
					}
				}
				return textsToList(append(out, string(rs[start:]))), nil
			}), nil
		}),
		builtin("Combiner.CombineTextByEachDelimiter", "delimiters as list, optional quoteStyle as nullable number", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			ds, err := textList(vals)
			if err != nil {
				return nil, err
			}
			return builtin("Combiner.CombineTextByEachDelimiter", "texts as list", func(th *Thread, b []Value) (Value, error) {
				parts, err := combineParts(th, b[0].(*List))
				if err != nil {
					return nil, err
				}
				var sb strings.Builder
				for i, p := range parts {
					if i > 0 && i-1 < len(ds) {
						sb.WriteString(ds[i-1])
					}
					sb.WriteString(p)
				}
				return Str(sb.String()), nil
			}), nil
		}),
		builtin("Combiner.CombineTextByLengths", "lengths as list, optional template as nullable text", func(th *Thread, a []Value) (Value, error) {
			lengths, err := intList(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			return builtin("Combiner.CombineTextByLengths", "texts as list", func(th *Thread, b []Value) (Value, error) {
				parts, err := combineParts(th, b[0].(*List))
				if err != nil {
					return nil, err
				}
				total := 0
				for _, n := range lengths {
					total += n
				}
				if err := th.checkTextLen(total); err != nil {
					return nil, err
				}
				var out []uint16
				for i, n := range lengths {
					var u []uint16
					if i < len(parts) {
						u = u16(parts[i])
					}
					for len(u) < n {
						u = append(u, ' ')
					}
					out = append(out, u[:n]...)
				}
				return Str(fromU16(out)), nil
			}), nil
		}),
		builtin("Combiner.CombineTextByPositions", "positions as list, optional template as nullable text", func(th *Thread, a []Value) (Value, error) {
			pos, err := intList(th, a[0].(*List))
			if err != nil {
				return nil, err
			}
			return builtin("Combiner.CombineTextByPositions", "texts as list", func(th *Thread, b []Value) (Value, error) {
				parts, err := combineParts(th, b[0].(*List))
				if err != nil {
					return nil, err
				}
				for _, p := range pos {
					if err := th.checkTextLen(p); err != nil {
						return nil, err
					}
				}
				var out []uint16
				for i, p := range pos {
					for len(out) < p {
						out = append(out, ' ')
					}
					out = out[:p]
					if i < len(parts) {
						out = append(out, u16(parts[i])...)
					}
				}
				return Str(fromU16(out)), nil
			}), nil
		}),
	)
}

func intList(th *Thread, l *List) ([]int, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	out := make([]int, len(vals))
	for i, v := range vals {
		if err := unpack(th, []Value{v}, &out[i]); err != nil {
			return nil, err
		}
		if out[i] < 0 {
			return nil, argRange("lengths")
		}
	}
	return out, nil
}

func textSplitter(name string, split func([]uint16) []string) *Function {
	return builtin(name, "text as nullable text", func(th *Thread, b []Value) (Value, error) {
		if isNull(b[0]) {
			return NullValue, nil
		}
		return textsToList(split(u16(b[0].(Text).S))), nil
	})
}

func combineParts(th *Thread, l *List) ([]string, error) {
	vals, err := l.Values(th)
	if err != nil {
		return nil, err
	}
	out := make([]string, len(vals))
	for i, v := range vals {
		if isNull(v) {
			continue
		}
		t, ok := v.(Text)
		if !ok {
			return nil, typeErr(v, "text")
		}
		out[i] = t.S
	}
	return out, nil
}

// transitionTest reads the before/after argument of
// Splitter.SplitTextByCharacterTransition: a list of characters or a
// predicate on a one-character text.
func transitionTest(th *Thread, v Value) (func(*Thread, rune) (bool, error), error) {
	switch x := v.(type) {
	case *List:
		vals, err := x.Values(th)
		if err != nil {
			return nil, err
		}
		chars, err := textList(vals)
		if err != nil {
			return nil, err
		}
		set := map[rune]bool{}
		for _, c := range chars {
			for _, r := range c {
				set[r] = true
			}
		}
		return func(_ *Thread, r rune) (bool, error) { return set[r], nil }, nil
	case *Function:
		return func(th *Thread, r rune) (bool, error) { return rowTest(th, x, Str(string(r))) }, nil
	}
	return nil, typeErr(v, "list")
}
