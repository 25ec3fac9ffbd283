package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf16"
)

// Text.* and the number/logical/text conversions. Positions and lengths
// count UTF-16 code units, as Power Query (.NET strings) does.

func u16(s string) []uint16     { return utf16.Encode([]rune(s)) }
func fromU16(u []uint16) string { return string(utf16.Decode(u)) }

func u16Len(s string) int {
	n := 0
	for _, r := range s {
		if r >= 0x10000 {
			n += 2
		} else {
			n++
		}
	}
	return n
}

// ignoreCase reports whether comparer c is a case-insensitive comparer.
func ignoreCase(c Value) bool {
	f, ok := c.(*Function)
	return ok && f.Name == "Comparer.OrdinalIgnoreCase"
}

func foldIf(s string, fold bool) string {
	if fold {
		return strings.ToLower(s)
	}
	return s
}

func init() {
	register(
		builtin("Text.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			return textFrom(th, a[0], "")
		}),
		builtin("Text.Length", "text as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return Num(float64(u16Len(a[0].(Text).S))), nil
		}),
		builtin("Text.Lower", "text as nullable text, optional culture as nullable text", textMap(strings.ToLower)),
		builtin("Text.Upper", "text as nullable text, optional culture as nullable text", textMap(strings.ToUpper)),
		builtin("Text.Proper", "text as nullable text, optional culture as nullable text", textMap(properCase)),
		builtin("Text.Clean", "text as nullable text", textMap(func(s string) string {
			return strings.Map(func(r rune) rune {
				if unicode.IsControl(r) {
					return -1
				}
				return r
			}, s)
		})),
		builtin("Text.Reverse", "text as nullable text", textMap(func(s string) string {
			r := []rune(s)
			for i, j := 0, len(r)-1; i < j; i, j = i+1, j-1 {
				r[i], r[j] = r[j], r[i]
			}
			return string(r)
		})),
		builtin("Text.Replace", "text as nullable text, old as text, new as text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			old := a[1].(Text).S
			if old == "" {
				return a[0], nil
			}
			s, repl := a[0].(Text).S, a[2].(Text).S
			// Check the size before building the result.
			if err := th.checkTextLen(len(s) + strings.Count(s, old)*(len(repl)-len(old))); err != nil {
				return nil, err
			}
			return Str(strings.ReplaceAll(s, old, repl)), nil
		}),
		builtin("Text.Combine", "texts as list, optional separator as nullable text", func(th *Thread, a []Value) (Value, error) {
			vals, err := a[0].(*List).Values(th)
			if err != nil {
				return nil, err
			}
			sep := ""
			if err := unpack(th, a[1:], &sep); err != nil {
				return nil, err
			}
			parts := make([]string, 0, len(vals))
			for _, v := range vals {
				switch t := v.(type) {
				case Null:
					continue
				case Text:
					parts = append(parts, t.S)
				default:
					return nil, typeErr(v, "text")
				}
			}
			out := strings.Join(parts, sep)
			if err := th.checkTextLen(len(out)); err != nil {
				return nil, err
			}
			return Str(out), nil
		}),
		builtin("Text.Contains", "text as nullable text, substring as text, optional comparer as nullable function", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			fold := ignoreCase(a[2])
			return Bool(strings.Contains(foldIf(a[0].(Text).S, fold), foldIf(a[1].(Text).S, fold))), nil
		}),
		builtin("Text.StartsWith", "text as nullable text, substring as text, optional comparer as nullable function", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			fold := ignoreCase(a[2])
			return Bool(strings.HasPrefix(foldIf(a[0].(Text).S, fold), foldIf(a[1].(Text).S, fold))), nil
		}),
		builtin("Text.EndsWith", "text as nullable text, substring as text, optional comparer as nullable function", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			fold := ignoreCase(a[2])
			return Bool(strings.HasSuffix(foldIf(a[0].(Text).S, fold), foldIf(a[1].(Text).S, fold))), nil
		}),
		builtin("Text.Split", "text as text, separator as text", func(th *Thread, a []Value) (Value, error) {
			s, sep := a[0].(Text).S, a[1].(Text).S
			var parts []string
			if sep == "" {
				parts = []string{s}
			} else {
				parts = strings.Split(s, sep)
			}
			return textsToList(parts), nil
		}),
		builtin("Text.SplitAny", "text as text, separators as text", func(th *Thread, a []Value) (Value, error) {
			s, seps := a[0].(Text).S, a[1].(Text).S
			parts := []string{s}
			if seps != "" {
				parts = splitAnyKeep(s, seps)
			}
			return textsToList(parts), nil
		}),
		builtin("Text.ToList", "text as text", func(th *Thread, a []Value) (Value, error) {
			var parts []string
			for _, r := range a[0].(Text).S {
				parts = append(parts, string(r))
			}
			return textsToList(parts), nil
		}),
		builtin("Text.Trim", "text as nullable text, optional trim as any", trimFn(true, true)),
		builtin("Text.TrimStart", "text as nullable text, optional trim as any", trimFn(true, false)),
		builtin("Text.TrimEnd", "text as nullable text, optional trim as any", trimFn(false, true)),
		builtin("Text.Start", "text as nullable text, count as number", textCountFn(func(u []uint16, n int) []uint16 { return u[:n] })),
		builtin("Text.End", "text as nullable text, count as number", textCountFn(func(u []uint16, n int) []uint16 { return u[len(u)-n:] })),
		builtin("Text.Middle", "text as nullable text, start as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			u := u16(a[0].(Text).S)
			start, count := 0, len(u)
			if err := unpack(th, a, nil, &start, &count); err != nil {
				return nil, err
			}
			if start < 0 || count < 0 {
				return nil, argRange("start")
			}
			if start > len(u) {
				return Str(""), nil
			}
			end := min(len(u), start+count)
			return Str(fromU16(u[start:end])), nil
		}),
		builtin("Text.Range", "text as nullable text, offset as number, optional count as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			u := u16(a[0].(Text).S)
			off, count := 0, -1
			if err := unpack(th, a, nil, &off, &count); err != nil {
				return nil, err
			}
			if off < 0 || off > len(u) {
				return nil, argRange("offset")
			}
			if count < 0 {
				count = len(u) - off
			}
			if off+count > len(u) {
				return nil, argRange("count")
			}
			return Str(fromU16(u[off : off+count])), nil
		}),
		builtin("Text.At", "text as nullable text, index as number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var i int
			if err := unpack(th, a, nil, &i); err != nil {
				return nil, err
			}
			u := u16(a[0].(Text).S)
			if i < 0 || i >= len(u) {
				return nil, argRange("index")
			}
			return Str(fromU16(u[i : i+1])), nil
		}),
		builtin("Text.Insert", "text as nullable text, offset as number, newText as text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var off int
			if err := unpack(th, a, nil, &off); err != nil {
				return nil, err
			}
			u := u16(a[0].(Text).S)
			if off < 0 || off > len(u) {
				return nil, argRange("offset")
			}
			return Str(fromU16(u[:off]) + a[2].(Text).S + fromU16(u[off:])), nil
		}),
		builtin("Text.Remove", "text as nullable text, removeChars as any", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			set, err := charSet(th, a[1])
			if err != nil {
				return nil, err
			}
			return Str(strings.Map(func(r rune) rune {
				if set(r) {
					return -1
				}
				return r
			}, a[0].(Text).S)), nil
		}),
		builtin("Text.Select", "text as nullable text, selectChars as any", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			set, err := charSet(th, a[1])
			if err != nil {
				return nil, err
			}
			return Str(strings.Map(func(r rune) rune {
				if set(r) {
					return r
				}
				return -1
			}, a[0].(Text).S)), nil
		}),
		builtin("Text.Repeat", "text as nullable text, count as number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var n int
			if err := unpack(th, a, nil, &n); err != nil {
				return nil, err
			}
			s := a[0].(Text).S
			if n < 0 {
				return nil, argRange("count")
			}
			if err := th.checkTextLen(len(s) * n); err != nil {
				return nil, err
			}
			return Str(strings.Repeat(s, n)), nil
		}),
		builtin("Text.PadStart", "text as nullable text, count as number, optional character as nullable text", padFn(true)),
		builtin("Text.PadEnd", "text as nullable text, count as number, optional character as nullable text", padFn(false)),
		builtin("Text.PositionOf", "text as text, substring as text, optional occurrence as nullable number, optional comparer as nullable function", func(th *Thread, a []Value) (Value, error) {
			fold := ignoreCase(a[3])
			s, sub := foldIf(a[0].(Text).S, fold), foldIf(a[1].(Text).S, fold)
			occ := 0
			if err := unpack(th, a, nil, nil, &occ); err != nil {
				return nil, err
			}
			us, usub := u16(s), u16(sub)
			var hits []int
			for i := 0; i+len(usub) <= len(us); i++ {
				if equalU16(us[i:i+len(usub)], usub) {
					hits = append(hits, i)
				}
			}
			switch occ {
			case 0: // Occurrence.First
				if len(hits) == 0 {
					return Num(-1), nil
				}
				return Num(float64(hits[0])), nil
			case 1: // Occurrence.Last
				if len(hits) == 0 {
					return Num(-1), nil
				}
				return Num(float64(hits[len(hits)-1])), nil
			}
			out := make([]Value, len(hits))
			for i, h := range hits {
				out[i] = Num(float64(h))
			}
			return NewList(out...), nil
		}),
		builtin("Text.BeforeDelimiter", "text as nullable text, delimiter as text, optional index as any", delimFn(0)),
		builtin("Text.AfterDelimiter", "text as nullable text, delimiter as text, optional index as any", delimFn(1)),
		builtin("Text.BetweenDelimiters", "text as nullable text, startDelimiter as text, endDelimiter as text, optional startIndex as any, optional endIndex as any", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			after, err := delimFn(1)(th, []Value{a[0], a[1], a[3]})
			if err != nil {
				return nil, err
			}
			return delimFn(0)(th, []Value{after, a[2], a[4]})
		}),
		builtin("Text.Format", "formatString as text, arguments as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			return textFormat(th, a[0].(Text).S, a[1])
		}),
		builtin("Text.NewGuid", "", func(th *Thread, a []Value) (Value, error) {
			return Str(th.newGuid()), nil
		}),
		builtin("Text.InferNumberType", "text as text, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			if _, err := parseNumberText(a[0].(Text).S); err != nil {
				return nil, err
			}
			return Prim(Base(KindNumber)), nil
		}),
		builtin("Character.FromNumber", "number as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			n := a[0].(Number).F
			if n < 0 || n > 0x10FFFF || n != math.Trunc(n) {
				return nil, argRange("number")
			}
			return Str(string(rune(n))), nil
		}),
		builtin("Character.ToNumber", "character as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			u := u16(a[0].(Text).S)
			if len(u) != 1 {
				return nil, NewError("Expression.Error", "The value isn't a single character.")
			}
			return Num(float64(u[0])), nil
		}),
		builtin("Number.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			return numberFrom(th, a[0])
		}),
		builtin("Number.FromText", "text as nullable text, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			f, err := parseNumberText(a[0].(Text).S)
			if err != nil {
				return nil, err
			}
			return Num(f), nil
		}),
		builtin("Number.ToText", "number as nullable number, optional format as nullable text, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			format := ""
			if err := unpack(th, a, nil, &format); err != nil {
				return nil, err
			}
			s, err := formatNumberSpec(a[0].(Number).F, format)
			if err != nil {
				return nil, err
			}
			return Str(s), nil
		}),
		builtin("Logical.From", "value as any", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Logical:
				return stripMeta(x), nil
			case Number:
				return Bool(x.F != 0), nil
			case Text:
				return logicalFromText(x.S)
			}
			return nil, typeErr(a[0], "logical")
		}),
		builtin("Logical.FromText", "text as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return logicalFromText(a[0].(Text).S)
		}),
		builtin("Logical.ToText", "logical as nullable logical", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return Str(strconv.FormatBool(a[0].(Logical).B)), nil
		}),
	)
	for name, bits := range map[string]float64{"Int64.From": 64, "Int32.From": 32, "Int16.From": 16, "Int8.From": 8, "Byte.From": 0} {
		bits := bits
		register(builtin(name, "value as any, optional culture as nullable text, optional roundingMode as nullable number", func(th *Thread, a []Value) (Value, error) {
			v, err := numberFrom(th, a[0])
			if err != nil || isNull(v) {
				return v, err
			}
			f := roundHalfEven(v.(Number).F)
			lo, hi := -math.Pow(2, bits-1), math.Pow(2, bits-1)-1
			if bits == 0 {
				lo, hi = 0, 255
			}
			if f < lo || f > hi || math.IsNaN(f) {
				return nil, NewErrorDetail("Expression.Error", "The number is out of range of a "+strings.TrimSuffix(name, ".From")+" value.", v)
			}
			return Num(f), nil
		}))
	}
	for _, name := range []string{"Double.From", "Single.From", "Decimal.From", "Currency.From", "Percentage.From"} {
		register(builtin(name, "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			return numberFrom(th, a[0])
		}))
	}
	registerValue("Occurrence.First", Num(0))
	registerValue("Occurrence.Last", Num(1))
	registerValue("Occurrence.All", Num(2))
	registerValue("RelativePosition.FromStart", Num(0))
	registerValue("RelativePosition.FromEnd", Num(1))
}

func equalU16(a, b []uint16) bool {
	for i := range a {
		if a[i] != b[i] {
			return false
		}
	}
	return true
}

func argRange(name string) error {
	return NewErrorDetail("Expression.Error", "The '"+name+"' argument is out of range.", NullValue)
}

func textsToList(parts []string) *List {
	vals := make([]Value, len(parts))
	for i, p := range parts {
		vals[i] = Str(p)
	}
	return NewList(vals...)
}

func splitAnyKeep(s, seps string) []string {
	var out []string
	start := 0
	for i, r := range s {
		if strings.ContainsRune(seps, r) {
			out = append(out, s[start:i])
			start = i + len(string(r))
		}
	}
	return append(out, s[start:])
}

func textMap(f func(string) string) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		return Str(f(a[0].(Text).S)), nil
	}
}

func properCase(s string) string {
	prev := false
	return strings.Map(func(r rune) rune {
		out := unicode.ToLower(r)
		if !prev {
			out = unicode.ToUpper(r)
		}
		prev = unicode.IsLetter(r)
		return out
	}, s)
}

// charSet reads a text (each character) or a list of single characters.
func charSet(th *Thread, v Value) (func(rune) bool, error) {
	switch x := v.(type) {
	case Text:
		return func(r rune) bool { return strings.ContainsRune(x.S, r) }, nil
	case *List:
		vals, err := x.Values(th)
		if err != nil {
			return nil, err
		}
		chars, err := textList(vals)
		if err != nil {
			return nil, err
		}
		all := strings.Join(chars, "")
		return func(r rune) bool { return strings.ContainsRune(all, r) }, nil
	}
	return nil, typeErr(v, "text")
}

func trimFn(start, end bool) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		set := unicode.IsSpace
		if !isNull(a[1]) {
			s, err := charSet(th, a[1])
			if err != nil {
				return nil, err
			}
			set = s
		}
		s := a[0].(Text).S
		if start {
			s = strings.TrimLeftFunc(s, set)
		}
		if end {
			s = strings.TrimRightFunc(s, set)
		}
		return Str(s), nil
	}
}

func padFn(start bool) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		var n int
		pad := " "
		if err := unpack(th, a, nil, &n, &pad); err != nil {
			return nil, err
		}
		if u16Len(pad) != 1 {
			return nil, NewError("Expression.Error", "The value isn't a single character.")
		}
		s := a[0].(Text).S
		if err := th.checkTextLen(n); err != nil {
			return nil, err
		}
		if l := u16Len(s); l < n {
			fill := strings.Repeat(pad, n-l)
			if start {
				return Str(fill + s), nil
			}
			return Str(s + fill), nil
		}
		return Str(s), nil
	}
}

// delimFn implements Text.BeforeDelimiter (after=0) and
// Text.AfterDelimiter (after=1); index is a number or {n, RelativePosition}.
func delimFn(after int) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		s, d := a[0].(Text).S, a[1].(Text).S
		idx, fromEnd := 0, false
		switch x := a[2].(type) {
		case Null:
		case Number:
			if err := unpack(th, a, nil, nil, &idx); err != nil {
				return nil, err
			}
		case *List:
			vals, err := x.Values(th)
			if err != nil {
				return nil, err
			}
			if err := unpack(th, vals, &idx); err != nil {
				return nil, err
			}
			if len(vals) > 1 {
				if n, ok := vals[1].(Number); ok && n.F == 1 {
					fromEnd = true
				}
			}
		default:
			return nil, typeErr(a[2], "number")
		}
		if idx < 0 {
			return nil, argRange("index")
		}
		var hits []int
		if d != "" {
			for i := 0; i <= len(s)-len(d); {
				j := strings.Index(s[i:], d)
				if j < 0 {
					break
				}
				hits = append(hits, i+j)
				i += j + len(d)
			}
		}
		if idx >= len(hits) {
			if after == 1 {
				if fromEnd {
					return Str(s), nil
				}
				return Str(""), nil
			}
			if fromEnd {
				return Str(""), nil
			}
			return Str(s), nil
		}
		h := hits[idx]
		if fromEnd {
			h = hits[len(hits)-1-idx]
		}
		if after == 1 {
			return Str(s[h+len(d):]), nil
		}
		return Str(s[:h]), nil
	}
}

// textFormat fills #{0} from a list or #[name] from a record.
func textFormat(th *Thread, format string, args Value) (Value, error) {
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		c := format[i]
		if c == '#' && i+1 < len(format) && (format[i+1] == '{' || format[i+1] == '[') {
			closer := byte('}')
			if format[i+1] == '[' {
				closer = ']'
			}
			end := strings.IndexByte(format[i+2:], closer)
			if end >= 0 {
				key := format[i+2 : i+2+end]
				var v Value
				var err error
				switch x := args.(type) {
				case *List:
					n, perr := strconv.Atoi(key)
					if perr != nil || closer != '}' {
						return nil, NewError("Expression.Error", "Invalid format string.")
					}
					if n < 0 || n >= x.Len() {
						return nil, indexErr(n)
					}
					v, err = x.At(th, n)
				case *Record:
					if closer != ']' {
						return nil, NewError("Expression.Error", "Invalid format string.")
					}
					v, err = x.Field(th, key)
				default:
					return nil, typeErr(args, "list")
				}
				if err != nil {
					return nil, err
				}
				s, err := textOf(th, v)
				if err != nil {
					return nil, err
				}
				b.WriteString(s)
				i += 2 + end
				continue
			}
		}
		b.WriteByte(c)
	}
	return Str(b.String()), nil
}

// textFrom is Text.From in the en-US culture.
func textFrom(th *Thread, v Value, culture string) (Value, error) {
	switch x := v.(type) {
	case Null:
		return NullValue, nil
	case Text:
		return stripMeta(x), nil
	case Number:
		return Str(FormatNumber(x.F)), nil
	case Logical:
		return Str(strconv.FormatBool(x.B)), nil
	case Date:
		return Str(x.T.Format("1/2/2006")), nil
	case DateTime:
		return Str(x.T.Format("1/2/2006 3:04:05 PM")), nil
	case DateTimeZone:
		return Str(x.T.Format("1/2/2006 3:04:05 PM -07:00")), nil
	case Time:
		return Str(time.Unix(0, int64(x.D)).UTC().Format("3:04:05 PM")), nil
	case Duration:
		return Str(durationText(x.D)), nil
	case Binary:
		data, err := x.Force(th)
		if err != nil {
			return nil, err
		}
		return Str(base64.StdEncoding.EncodeToString(data)), nil
	}
	return nil, typeErr(v, "text")
}

// durationText formats a duration like .NET TimeSpan: [-][d.]hh:mm:ss[.fffffff].
func durationText(d time.Duration) string {
	sign := ""
	if d < 0 {
		sign, d = "-", -d
	}
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	h := d / time.Hour
	d -= h * time.Hour
	m := d / time.Minute
	d -= m * time.Minute
	s := d / time.Second
	frac := (d - s*time.Second) / 100
	out := sign
	if days > 0 {
		out += fmt.Sprintf("%d.", days)
	}
	out += fmt.Sprintf("%02d:%02d:%02d", h, m, s)
	if frac > 0 {
		out += fmt.Sprintf(".%07d", frac)
	}
	return out
}

func numberFrom(th *Thread, v Value) (Value, error) {
	switch x := v.(type) {
	case Null:
		return NullValue, nil
	case Number:
		return stripMeta(x), nil
	case Logical:
		if x.B {
			return Num(1), nil
		}
		return Num(0), nil
	case Text:
		f, err := parseNumberText(x.S)
		if err != nil {
			return nil, err
		}
		return Num(f), nil
	case Duration:
		return Num(float64(x.D) / float64(24*time.Hour)), nil
	case DateTime:
		return Num(oaDate(x.T)), nil
	case Date:
		return Num(oaDate(x.T)), nil
	case DateTimeZone:
		return Num(oaDate(x.T.UTC())), nil
	case Time:
		return Num(float64(x.D) / float64(24*time.Hour)), nil
	}
	return nil, typeErr(v, "number")
}

var oaEpoch = time.Date(1899, 12, 30, 0, 0, 0, 0, time.UTC)

func oaDate(t time.Time) float64 {
	w := time.Date(t.Year(), t.Month(), t.Day(), t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), time.UTC)
	return float64(w.Sub(oaEpoch)) / float64(24*time.Hour)
}

// parseNumberText parses invariant-culture number text: optional sign,
// digits with optional fraction and exponent, a trailing %, and thousands
// separators; hex with 0x.
func parseNumberText(s string) (float64, error) {
	t := strings.TrimSpace(s)
	pct := strings.HasSuffix(t, "%")
	t = strings.TrimSuffix(t, "%")
	bad := func() (float64, error) {
		return 0, NewErrorDetail("DataFormat.Error", "We couldn't convert to Number.", Str(s))
	}
	if t == "" {
		return bad()
	}
	neg := false
	body := t
	if body[0] == '-' || body[0] == '+' {
		neg = body[0] == '-'
		body = body[1:]
	}
	var f float64
	if len(body) > 2 && (body[:2] == "0x" || body[:2] == "0X") {
		u, err := strconv.ParseUint(body[2:], 16, 64)
		if err != nil {
			return bad()
		}
		f = float64(u)
	} else {
		if body == "" || strings.ContainsAny(body, "_ ") || strings.EqualFold(body, "inf") || strings.EqualFold(body, "infinity") || strings.EqualFold(body, "nan") {
			return bad()
		}
		var err error
		f, err = strconv.ParseFloat(strings.ReplaceAll(body, ",", ""), 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return bad()
		}
	}
	if neg {
		f = -f
	}
	if pct {
		f /= 100
	}
	return f, nil
}

func logicalFromText(s string) (Value, error) {
	switch strings.ToLower(strings.TrimSpace(s)) {
	case "true":
		return True, nil
	case "false":
		return False, nil
	}
	return nil, NewErrorDetail("Expression.Error", "We couldn't convert to Logical.", Str(s))
}

func roundHalfEven(f float64) float64 { return math.RoundToEven(f) }

// formatNumberSpec implements the .NET standard numeric formats Power Query
// passes through (D, F, N, E, P, X, G, R) and simple custom "0"/"#" masks.
func formatNumberSpec(f float64, format string) (string, error) {
	if format == "" {
		return FormatNumber(f), nil
	}
	spec := format[0]
	prec := -1
	if len(format) > 1 {
		p, err := strconv.Atoi(format[1:])
		if err == nil && p >= 0 && p <= 99 {
			prec = p
		} else {
			return customNumberFormat(f, format)
		}
	}
	switch spec {
	case 'D', 'd':
		if f != math.Trunc(f) {
			return "", NewError("Expression.Error", "Format specifier was invalid.")
		}
		s := strconv.FormatInt(int64(math.Abs(f)), 10)
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		if f < 0 {
			s = "-" + s
		}
		return s, nil
	case 'F', 'f':
		if prec < 0 {
			prec = 2
		}
		return strconv.FormatFloat(f, 'f', prec, 64), nil
	case 'N', 'n':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(strconv.FormatFloat(f, 'f', prec, 64)), nil
	case 'E', 'e':
		if prec < 0 {
			prec = 6
		}
		s := strconv.FormatFloat(f, 'e', prec, 64)
		mant, exp, _ := strings.Cut(s, "e")
		sign := exp[0]
		digits := strings.TrimLeft(exp[1:], "0")
		digits = strings.Repeat("0", max(0, 3-len(digits))) + digits
		e := "e"
		if spec == 'E' {
			e = "E"
		}
		return mant + e + string(sign) + digits, nil
	case 'P', 'p':
		if prec < 0 {
			prec = 2
		}
		return groupThousands(strconv.FormatFloat(f*100, 'f', prec, 64)) + " %", nil
	case 'X', 'x':
		if f != math.Trunc(f) || f < 0 {
			return "", NewError("Expression.Error", "Format specifier was invalid.")
		}
		s := strconv.FormatUint(uint64(f), 16)
		if spec == 'X' {
			s = strings.ToUpper(s)
		}
		if prec > len(s) {
			s = strings.Repeat("0", prec-len(s)) + s
		}
		return s, nil
	case 'G', 'g', 'R', 'r':
		return FormatNumber(f), nil
	}
	return customNumberFormat(f, format)
}

func groupThousands(s string) string {
	neg := strings.HasPrefix(s, "-")
	s = strings.TrimPrefix(s, "-")
	intPart, frac, hasFrac := strings.Cut(s, ".")
	var b strings.Builder
	for i, c := range intPart {
		if i > 0 && (len(intPart)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(c)
	}
	out := b.String()
	if hasFrac {
		out += "." + frac
	}
	if neg {
		out = "-" + out
	}
	return out
}

// customNumberFormat handles masks made of 0, # , and one decimal point.
func customNumberFormat(f float64, format string) (string, error) {
	intMask, fracMask, _ := strings.Cut(format, ".")
	for _, c := range intMask + fracMask {
		if c != '0' && c != '#' && c != ',' {
			return "", NewError("Expression.Error", "Format specifier was invalid.")
		}
	}
	minFrac := strings.Count(fracMask, "0")
	maxFrac := len(fracMask)
	s := strconv.FormatFloat(math.Abs(f), 'f', maxFrac, 64)
	ip, fp, _ := strings.Cut(s, ".")
	fp = strings.TrimRight(fp, "0")
	if len(fp) < minFrac {
		fp += strings.Repeat("0", minFrac-len(fp))
	}
	minInt := strings.Count(intMask, "0")
	if ip == "0" && minInt == 0 {
		ip = ""
	}
	if len(ip) < minInt {
		ip = strings.Repeat("0", minInt-len(ip)) + ip
	}
	if strings.Contains(intMask, ",") {
		ip = groupThousands(ip)
	}
	out := ip
	if fp != "" {
		out += "." + fp
	}
	if f < 0 && out != "" {
		out = "-" + out
	}
	return out, nil
}

// textCountFn implements Text.Start and Text.End: null stays null, count
// must not be negative, and pick gets the UTF-16 code units and a count
// clamped to their length.
func textCountFn(pick func(u []uint16, n int) []uint16) func(th *Thread, a []Value) (Value, error) {
	return func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		var n int
		if err := unpack(th, a, nil, &n); err != nil {
			return nil, err
		}
		if n < 0 {
			return nil, argRange("count")
		}
		u := u16(a[0].(Text).S)
		return Str(fromU16(pick(u, min(n, len(u))))), nil
	}
}
