package eval

import (
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"
)

// Number.* arithmetic and the Date/DateTime/DateTimeZone/Duration
// conversions connectors use for token expiry and logging. Formatting
// follows .NET in the invariant/en-US culture.

func init() {
	num1 := func(name string, f func(float64) float64) *Function {
		return builtin(name, "number as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return Num(f(a[0].(Number).F)), nil
		})
	}
	num2 := func(name string, f func(x, y float64) (float64, error)) *Function {
		return builtin(name, "x as nullable number, y as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) || isNull(a[1]) {
				return NullValue, nil
			}
			r, err := f(a[0].(Number).F, a[1].(Number).F)
			if err != nil {
				return nil, err
			}
			return Num(r), nil
		})
	}
	register(
		num1("Number.Abs", math.Abs),
		num1("Number.Sign", func(f float64) float64 {
			switch {
			case f > 0:
				return 1
			case f < 0:
				return -1
			}
			return f
		}),
		num1("Number.Sqrt", math.Sqrt),
		num1("Number.Ln", math.Log),
		num1("Number.Exp", math.Exp),
		num2("Number.Power", func(x, y float64) (float64, error) { return math.Pow(x, y), nil }),
		num2("Number.Mod", func(x, y float64) (float64, error) {
			if y == 0 {
				return 0, NewError("Expression.Error", "We cannot divide by zero.")
			}
			return math.Mod(x, y), nil
		}),
		num2("Number.IntegerDivide", func(x, y float64) (float64, error) {
			if y == 0 {
				return 0, NewError("Expression.Error", "We cannot divide by zero.")
			}
			return math.Trunc(x / y), nil
		}),
		num2("Number.BitwiseAnd", func(x, y float64) (float64, error) { return float64(int64(x) & int64(y)), nil }),
		num2("Number.BitwiseOr", func(x, y float64) (float64, error) { return float64(int64(x) | int64(y)), nil }),
		num2("Number.BitwiseXor", func(x, y float64) (float64, error) { return float64(int64(x) ^ int64(y)), nil }),
		builtin("Number.IsNaN", "number as number", func(th *Thread, a []Value) (Value, error) {
			return Bool(math.IsNaN(a[0].(Number).F)), nil
		}),
		builtin("Number.IsEven", "number as number", func(th *Thread, a []Value) (Value, error) {
			return Bool(math.Mod(a[0].(Number).F, 2) == 0), nil
		}),
		builtin("Number.IsOdd", "number as number", func(th *Thread, a []Value) (Value, error) {
			return Bool(math.Abs(math.Mod(a[0].(Number).F, 2)) == 1), nil
		}),
		roundFn("Number.RoundUp", math.Ceil),
		roundFn("Number.RoundDown", math.Floor),
		roundFn("Number.RoundTowardZero", math.Trunc),
		builtin("Date.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Date:
				return x, nil
			case DateTime:
				return Date{T: x.T.Truncate(24 * time.Hour)}, nil
			case DateTimeZone:
				// The local equivalent; pqx's local zone is UTC, as in
				// DateTimeZone.From, so results do not depend on the machine.
				return Date{T: dateOf(x.T.UTC())}, nil
			case Number:
				return Date{T: dateOf(fromOA(x.F))}, nil
			case Text:
				t, err := parseDateTimeText(x.S)
				if err != nil {
					return nil, err
				}
				return Date{T: dateOf(t)}, nil
			}
			return nil, typeErr(a[0], "date")
		}),
		builtin("DateTime.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, DateTime:
				return x, nil
			case Date:
				return DateTime{T: x.T}, nil
			case DateTimeZone:
				return DateTime{T: x.T.UTC()}, nil // the local (UTC) equivalent
			case Time:
				return DateTime{T: oaEpoch.Add(x.D)}, nil // on OLE Automation day 0
			case Number:
				return DateTime{T: fromOA(x.F)}, nil
			case Text:
				t, err := parseDateTimeText(x.S)
				if err != nil {
					return nil, err
				}
				return DateTime{T: wallUTC(t)}, nil
			}
			return nil, typeErr(a[0], "datetime")
		}),
		builtin("DateTimeZone.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, DateTimeZone:
				return x, nil
			case DateTime:
				return DateTimeZone{T: x.T.In(time.FixedZone("", 0))}, nil
			case Date:
				return DateTimeZone{T: x.T.In(time.FixedZone("", 0))}, nil
			case Text:
				t, err := parseDateTimeText(x.S)
				if err != nil {
					return nil, err
				}
				_, off := t.Zone()
				return DateTimeZone{T: t.In(time.FixedZone("", off))}, nil
			}
			return nil, typeErr(a[0], "datetimezone")
		}),
		builtin("Duration.From", "value as any", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Duration:
				return x, nil
			case Number:
				return Duration{D: time.Duration(math.Round(x.F * float64(24*time.Hour)))}, nil
			case Text:
				d, err := parseDurationText(x.S)
				if err != nil {
					return nil, err
				}
				return Duration{D: d}, nil
			}
			return nil, typeErr(a[0], "duration")
		}),
		fromText("Date.FromText", "Date.From"),
		fromText("DateTime.FromText", "DateTime.From"),
		fromText("DateTimeZone.FromText", "DateTimeZone.From"),
		fromText("Duration.FromText", "Duration.From"),
		fromText("Time.FromText", "Time.From"),
		builtin("Time.From", "value as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Time:
				return x, nil
			case DateTime:
				return Time{D: x.T.Sub(x.T.Truncate(24 * time.Hour))}, nil
			case DateTimeZone:
				u := x.T.UTC() // the local (UTC) equivalent
				return Time{D: u.Sub(u.Truncate(24 * time.Hour))}, nil
			case Number:
				// A fraction of a day; a whole day or more is no time.
				if x.F < 0 || x.F >= 1 || math.IsNaN(x.F) {
					return nil, typeErr(x, "time")
				}
				d := time.Duration(math.Round(x.F*86400*1e7)) * 100
				if d >= 24*time.Hour {
					d = 24*time.Hour - 100
				}
				return Time{D: d}, nil
			case Text:
				for _, layout := range []string{"15:04:05.9999999", "15:04", "3:04:05 PM", "3:04 PM"} {
					if t, err := time.Parse(layout, strings.TrimSpace(x.S)); err == nil {
						return Time{D: t.Sub(t.Truncate(24 * time.Hour))}, nil
					}
				}
				return nil, NewErrorDetail("DataFormat.Error", "We couldn't parse the input provided as a Time value.", x)
			}
			return nil, typeErr(a[0], "time")
		}),
		durFn("Duration.TotalDays", 24*time.Hour),
		durFn("Duration.TotalHours", time.Hour),
		durFn("Duration.TotalMinutes", time.Minute),
		durFn("Duration.TotalSeconds", time.Second),
		builtin("DateTimeZone.ToUtc", "dateTimeZone as nullable datetimezone", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return DateTimeZone{T: a[0].(DateTimeZone).T.In(time.FixedZone("", 0))}, nil
		}),
		builtin("DateTimeZone.RemoveZone", "dateTimeZone as nullable datetimezone", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return DateTime{T: wallUTC(a[0].(DateTimeZone).T)}, nil
		}),
		builtin("DateTime.AddZone", "dateTime as nullable datetime, timezoneHours as number, optional timezoneMinutes as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var h, m int
			if err := unpack(th, a[1:], &h, &m); err != nil {
				return nil, err
			}
			w := a[0].(DateTime).T
			return DateTimeZone{T: time.Date(w.Year(), w.Month(), w.Day(), w.Hour(), w.Minute(), w.Second(), w.Nanosecond(), time.FixedZone("", h*3600+m*60))}, nil
		}),
		builtin("DateTime.Date", "dateTime as any", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Null, Date:
				return x, nil
			case DateTime:
				return Date{T: x.T.Truncate(24 * time.Hour)}, nil
			case DateTimeZone:
				return Date{T: dateOf(x.T)}, nil
			}
			return nil, typeErr(a[0], "datetime")
		}),
		dateTextFn("Date.ToText"), dateTextFn("DateTime.ToText"), dateTextFn("DateTimeZone.ToText"),
		datePart("Date.Year", func(t time.Time) int { return t.Year() }),
		datePart("Date.Month", func(t time.Time) int { return int(t.Month()) }),
		datePart("Date.Day", func(t time.Time) int { return t.Day() }),
		builtin("Date.AddDays", "dateTime as any, numberOfDays as number", func(th *Thread, a []Value) (Value, error) {
			var n int
			if err := unpack(th, a[1:], &n); err != nil {
				return nil, err
			}
			return arith(tokADD, a[0], Duration{D: time.Duration(n) * 24 * time.Hour})
		}),
	)
}

// fromText declares X.FromText(text, optional options) as X.From on text.
func fromText(name, from string) *Function {
	return builtin(name, "text as nullable text, optional options as any", func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		if t, ok := a[1].(Text); ok {
			if err := checkCulture(name, t); err != nil {
				return nil, err
			}
		}
		return library[from].(*Function).Impl(th, []Value{a[0], NullValue})
	})
}

func roundFn(name string, f func(float64) float64) *Function {
	return builtin(name, "number as nullable number, optional digits as nullable number", func(th *Thread, a []Value) (Value, error) {
		return roundDigits(th, a[0], a[1], f)
	})
}

func durFn(name string, unit time.Duration) *Function {
	return builtin(name, "duration as nullable duration", func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		return Num(float64(a[0].(Duration).D) / float64(unit)), nil
	})
}

func datePart(name string, f func(time.Time) int) *Function {
	return builtin(name, "dateTime as any", func(th *Thread, a []Value) (Value, error) {
		switch x := a[0].(type) {
		case Null:
			return NullValue, nil
		case Date:
			return Num(float64(f(x.T))), nil
		case DateTime:
			return Num(float64(f(x.T))), nil
		case DateTimeZone:
			return Num(float64(f(x.T))), nil
		}
		return nil, typeErr(a[0], "date")
	})
}

func dateOf(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, time.UTC)
}

func fromOA(f float64) time.Time {
	return oaEpoch.Add(time.Duration(math.Round(f * float64(24*time.Hour))))
}

// dateTextFn formats with an optional .NET format string (or a record
// [Format = ..., Culture = ...]); the default is the en-US general format.
func dateTextFn(name string) *Function {
	return builtin(name, "value as any, optional options as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		format := ""
		switch o := a[1].(type) {
		case Text:
			format = o.S
		case *Record:
			if f, ok, err := o.Get(th, "Format"); ok {
				if err != nil {
					return nil, err
				}
				if t, ok := f.(Text); ok {
					format = t.S
				}
			}
		}
		var t time.Time
		zoned := false
		switch x := a[0].(type) {
		case Date:
			t = x.T
			if format == "" {
				return Str(t.Format("1/2/2006")), nil
			}
		case DateTime:
			t = x.T
		case DateTimeZone:
			t, zoned = x.T, true
		default:
			return nil, typeErr(a[0], strings.ToLower(strings.TrimSuffix(name, ".ToText")))
		}
		if format == "" {
			return textFrom(th, a[0], "")
		}
		s, err := formatDotNetDate(t, format, zoned)
		if err != nil {
			return nil, err
		}
		return Str(s), nil
	})
}

// formatDotNetDate implements the .NET standard formats o, s, u, d, D, t,
// T, g, G and the custom specifiers y, M, d, H, h, m, s, f, t, z, K.
func formatDotNetDate(t time.Time, format string, zoned bool) (string, error) {
	switch format {
	case "o", "O":
		if zoned {
			return t.Format("2006-01-02T15:04:05.0000000-07:00"), nil
		}
		return t.Format("2006-01-02T15:04:05.0000000"), nil
	case "s":
		return t.Format("2006-01-02T15:04:05"), nil
	case "u":
		return t.UTC().Format("2006-01-02 15:04:05Z"), nil
	case "d":
		return t.Format("1/2/2006"), nil
	case "D":
		return t.Format("Monday, January 2, 2006"), nil
	case "t":
		return t.Format("3:04 PM"), nil
	case "T":
		return t.Format("3:04:05 PM"), nil
	case "g":
		return t.Format("1/2/2006 3:04 PM"), nil
	case "G":
		return t.Format("1/2/2006 3:04:05 PM"), nil
	}
	var b strings.Builder
	for i := 0; i < len(format); {
		c := format[i]
		n := 1
		for i+n < len(format) && format[i+n] == c {
			n++
		}
		switch c {
		case 'y':
			y := t.Year()
			if n <= 2 {
				fmt.Fprintf(&b, "%0*d", n, y%100)
			} else {
				fmt.Fprintf(&b, "%0*d", n, y)
			}
		case 'M':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(int(t.Month())))
			case 2:
				fmt.Fprintf(&b, "%02d", int(t.Month()))
			case 3:
				b.WriteString(t.Month().String()[:3])
			default:
				b.WriteString(t.Month().String())
			}
		case 'd':
			switch n {
			case 1:
				b.WriteString(strconv.Itoa(t.Day()))
			case 2:
				fmt.Fprintf(&b, "%02d", t.Day())
			case 3:
				b.WriteString(t.Weekday().String()[:3])
			default:
				b.WriteString(t.Weekday().String())
			}
		case 'H':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Hour())
		case 'h':
			h := t.Hour() % 12
			if h == 0 {
				h = 12
			}
			fmt.Fprintf(&b, "%0*d", min(n, 2), h)
		case 'm':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Minute())
		case 's':
			fmt.Fprintf(&b, "%0*d", min(n, 2), t.Second())
		case 'f', 'F':
			digits := fmt.Sprintf("%09d", t.Nanosecond())[:min(n, 7)]
			if c == 'F' {
				digits = strings.TrimRight(digits, "0")
			}
			b.WriteString(digits)
		case 't':
			ampm := "AM"
			if t.Hour() >= 12 {
				ampm = "PM"
			}
			b.WriteString(ampm[:min(n, 2)])
		case 'z':
			_, off := t.Zone()
			sign := '+'
			if off < 0 {
				sign, off = '-', -off
			}
			switch n {
			case 1:
				fmt.Fprintf(&b, "%c%d", sign, off/3600)
			case 2:
				fmt.Fprintf(&b, "%c%02d", sign, off/3600)
			default:
				fmt.Fprintf(&b, "%c%02d:%02d", sign, off/3600, off%3600/60)
			}
		case 'K':
			if zoned {
				b.WriteString(t.Format("-07:00"))
			}
		case '\'', '"':
			end := strings.IndexByte(format[i+1:], c)
			if end < 0 {
				return "", NewError("Expression.Error", "Format specifier was invalid.")
			}
			b.WriteString(format[i+1 : i+1+end])
			i += end + 2
			continue
		case '\\':
			if i+1 < len(format) {
				b.WriteByte(format[i+1])
			}
			i += 2
			continue
		default:
			b.WriteString(format[i : i+n])
		}
		i += n
	}
	return b.String(), nil
}

// parseDateTimeText accepts ISO 8601 forms and the en-US general form.
func parseDateTimeText(s string) (time.Time, error) {
	s = strings.TrimSpace(s)
	// Plain ISO dates are the common case (REST payloads converted with
	// Table.TransformColumnTypes); try that layout first so a column of
	// them does not build a parse error per earlier layout.
	if len(s) == 10 && s[4] == '-' {
		if t, err := time.Parse("2006-01-02", s); err == nil {
			return t, nil
		}
	}
	for _, layout := range []string{
		time.RFC3339Nano, "2006-01-02T15:04:05.9999999Z07:00", "2006-01-02T15:04:05.9999999",
		"2006-01-02T15:04:05", "2006-01-02T15:04", "2006-01-02 15:04:05", "2006-01-02",
		"1/2/2006 3:04:05 PM", "1/2/2006 3:04 PM", "1/2/2006", "2006-01-02T15:04:05Z0700",
	} {
		if t, err := time.Parse(layout, s); err == nil {
			return t, nil
		}
	}
	return time.Time{}, NewErrorDetail("DataFormat.Error", "We couldn't parse the input provided as a DateTime value.", Str(s))
}

// parseDurationText parses .NET TimeSpan text: [-][d.]hh:mm[:ss[.fffffff]].
func parseDurationText(s string) (time.Duration, error) {
	bad := NewErrorDetail("DataFormat.Error", "We couldn't parse the input provided as a Duration value.", Str(s))
	t := strings.TrimSpace(s)
	neg := strings.HasPrefix(t, "-")
	t = strings.TrimPrefix(t, "-")
	days := 0.0
	if i := strings.IndexByte(t, '.'); i >= 0 && i < strings.IndexByte(t+":", ':') {
		d, err := strconv.Atoi(t[:i])
		if err != nil {
			return 0, bad
		}
		days, t = float64(d), t[i+1:]
	}
	parts := strings.Split(t, ":")
	if len(parts) < 2 || len(parts) > 3 {
		return 0, bad
	}
	h, err1 := strconv.Atoi(parts[0])
	m, err2 := strconv.Atoi(parts[1])
	sec := 0.0
	var err3 error
	if len(parts) == 3 {
		sec, err3 = strconv.ParseFloat(parts[2], 64)
	}
	if err1 != nil || err2 != nil || err3 != nil || m > 59 || sec >= 60 {
		return 0, bad
	}
	d := time.Duration((days*86400+float64(h)*3600+float64(m)*60+sec)*1e9 + 0.5)
	if neg {
		d = -d
	}
	return d, nil
}
