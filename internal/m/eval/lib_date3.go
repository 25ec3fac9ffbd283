package eval

import (
	"time"
)

// Date, DateTime, DateTimeZone, Time and Duration functions beyond the
// conversions: parts, shifts, period boundaries and records. Functions
// named Date.* accept a date, datetime or datetimezone and return the same
// kind, as in Power Query.

const dayLen = 24 * time.Hour

func init() {
	for i, n := range []string{"Sunday", "Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday"} {
		registerValue("Day."+n, Num(float64(i)))
	}
	register(
		datePart("Date.DayOfYear", func(t time.Time) int { return t.YearDay() }),
		datePart("Date.DaysInMonth", func(t time.Time) int { return daysIn(t.Year(), t.Month()) }),
		datePart("Date.QuarterOfYear", func(t time.Time) int { return (int(t.Month())-1)/3 + 1 }),
		builtin("Date.DayOfWeek", "dateTime as any, optional firstDayOfWeek as nullable number", func(th *Thread, a []Value) (Value, error) {
			t, ok, err := dateArg(a[0])
			if !ok || err != nil {
				return NullValue, err
			}
			first, err := firstDay(th, a[1])
			if err != nil {
				return nil, err
			}
			return Num(float64((int(t.Weekday()) - first + 7) % 7)), nil
		}),
		builtin("Date.WeekOfYear", "dateTime as any, optional firstDayOfWeek as nullable number", func(th *Thread, a []Value) (Value, error) {
			t, ok, err := dateArg(a[0])
			if !ok || err != nil {
				return NullValue, err
			}
			first, err := firstDay(th, a[1])
			if err != nil {
				return nil, err
			}
			jan1 := time.Date(t.Year(), 1, 1, 0, 0, 0, 0, time.UTC)
			offset := (int(jan1.Weekday()) - first + 7) % 7
			return Num(float64((t.YearDay()-1+offset)/7 + 1)), nil
		}),
		builtin("Date.WeekOfMonth", "dateTime as any, optional firstDayOfWeek as nullable number", func(th *Thread, a []Value) (Value, error) {
			t, ok, err := dateArg(a[0])
			if !ok || err != nil {
				return NullValue, err
			}
			first, err := firstDay(th, a[1])
			if err != nil {
				return nil, err
			}
			d1 := time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, time.UTC)
			offset := (int(d1.Weekday()) - first + 7) % 7
			return Num(float64((t.Day()-1+offset)/7 + 1)), nil
		}),
		builtin("Date.IsLeapYear", "dateTime as any", func(th *Thread, a []Value) (Value, error) {
			t, ok, err := dateArg(a[0])
			if !ok || err != nil {
				return NullValue, err
			}
			return Bool(daysIn(t.Year(), 2) == 29), nil
		}),
		dateShift("Date.AddMonths", "numberOfMonths", func(t time.Time, n int) time.Time { return addMonths(t, n) }),
		dateShift("Date.AddQuarters", "numberOfQuarters", func(t time.Time, n int) time.Time { return addMonths(t, 3*n) }),
		dateShift("Date.AddYears", "numberOfYears", func(t time.Time, n int) time.Time { return addMonths(t, 12*n) }),
		dateShift("Date.AddWeeks", "numberOfWeeks", func(t time.Time, n int) time.Time { return t.Add(time.Duration(n) * 7 * dayLen) }),
		dateBound("Date.StartOfDay", func(t time.Time, _ int) time.Time { return midnight(t) }),
		dateBound("Date.EndOfDay", func(t time.Time, _ int) time.Time { return endOf(midnight(t).AddDate(0, 0, 1)) }),
		dateBound("Date.StartOfMonth", func(t time.Time, _ int) time.Time { return startOfMonth(t) }),
		dateBound("Date.EndOfMonth", func(t time.Time, _ int) time.Time { return endOf(startOfMonth(t).AddDate(0, 1, 0)) }),
		dateBound("Date.StartOfQuarter", func(t time.Time, _ int) time.Time { return startOfQuarter(t) }),
		dateBound("Date.EndOfQuarter", func(t time.Time, _ int) time.Time { return endOf(startOfQuarter(t).AddDate(0, 3, 0)) }),
		dateBound("Date.StartOfYear", func(t time.Time, _ int) time.Time { return startOfMonth(t).AddDate(0, 1-int(t.Month()), 0) }),
		dateBound("Date.EndOfYear", func(t time.Time, _ int) time.Time {
			return endOf(startOfMonth(t).AddDate(1, 1-int(t.Month()), 0))
		}),
		dateBound("Date.StartOfWeek", func(t time.Time, first int) time.Time {
			m := midnight(t)
			return m.AddDate(0, 0, -((int(m.Weekday()) - first + 7) % 7))
		}),
		dateBound("Date.EndOfWeek", func(t time.Time, first int) time.Time {
			m := midnight(t)
			return endOf(m.AddDate(0, 0, 7-((int(m.Weekday())-first+7)%7)))
		}),
		builtin("Date.ToRecord", "date as nullable date", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			t := a[0].(Date).T
			return NewRecord(Field{"Year", Num(float64(t.Year()))}, Field{"Month", Num(float64(t.Month()))}, Field{"Day", Num(float64(t.Day()))}), nil
		}),
		builtin("DateTime.ToRecord", "dateTime as nullable datetime", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return NewRecord(clockFields(a[0].(DateTime).T, true)...), nil
		}),
		builtin("DateTimeZone.ToRecord", "dateTimeZone as nullable datetimezone", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			t := a[0].(DateTimeZone).T
			_, off := t.Zone()
			fs := append(clockFields(t, true), Field{"ZoneHours", Num(float64(off / 3600))}, Field{"ZoneMinutes", Num(float64(off % 3600 / 60))})
			return NewRecord(fs...), nil
		}),
		builtin("Time.ToRecord", "time as nullable time", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return NewRecord(clockFields(time.Time{}.Add(a[0].(Time).D), false)...), nil
		}),
		builtin("Duration.ToRecord", "duration as nullable duration", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			d := a[0].(Duration).D
			days := d / dayLen
			rest := d - days*dayLen
			return NewRecord(Field{"Days", Num(float64(days))}, Field{"Hours", Num(float64(rest / time.Hour))},
				Field{"Minutes", Num(float64(rest % time.Hour / time.Minute))},
				Field{"Seconds", Num(float64(rest%time.Minute) / float64(time.Second))}), nil
		}),
		builtin("DateTime.Time", "dateTime as any", func(th *Thread, a []Value) (Value, error) {
			t, ok, err := dateArg(a[0])
			if !ok || err != nil {
				return NullValue, err
			}
			if _, isDate := a[0].(Date); isDate {
				return nil, typeErr(a[0], "datetime")
			}
			return Time{D: t.Sub(midnight(t))}, nil
		}),
		timePart("Time.Hour", func(d time.Duration) float64 { return float64(d / time.Hour) }),
		timePart("Time.Minute", func(d time.Duration) float64 { return float64(d % time.Hour / time.Minute) }),
		timePart("Time.Second", func(d time.Duration) float64 { return float64(d%time.Minute) / float64(time.Second) }),
		builtin("Time.StartOfHour", "dateTime as any", func(th *Thread, a []Value) (Value, error) {
			return mapClock(a[0], func(t time.Time) time.Time { return t.Truncate(time.Hour) })
		}),
		builtin("Time.EndOfHour", "dateTime as any", func(th *Thread, a []Value) (Value, error) {
			return mapClock(a[0], func(t time.Time) time.Time { return endOf(t.Truncate(time.Hour).Add(time.Hour)) })
		}),
		builtin("Time.ToText", "time as nullable time, optional options as any, optional culture as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			format := "h:mm tt"
			switch o := a[1].(type) {
			case Text:
				format = o.S
			case *Record:
				if f, ok := o.GetEager("Format").(Text); ok {
					format = f.S
				}
			}
			s, err := formatDotNetDate(time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC).Add(a[0].(Time).D), format, false)
			if err != nil {
				return nil, err
			}
			return Str(s), nil
		}),
		durPart("Duration.Days", func(d time.Duration) float64 { return float64(d / dayLen) }),
		durPart("Duration.Hours", func(d time.Duration) float64 { return float64(d % dayLen / time.Hour) }),
		durPart("Duration.Minutes", func(d time.Duration) float64 { return float64(d % time.Hour / time.Minute) }),
		durPart("Duration.Seconds", func(d time.Duration) float64 { return float64(d%time.Minute) / float64(time.Second) }),
		builtin("Duration.ToText", "duration as nullable duration, optional format as nullable text", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return Str(durationText(a[0].(Duration).D)), nil
		}),
		builtin("DateTimeZone.ZoneHours", "dateTimeZone as nullable datetimezone", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			_, off := a[0].(DateTimeZone).T.Zone()
			return Num(float64(off / 3600)), nil
		}),
		builtin("DateTimeZone.ZoneMinutes", "dateTimeZone as nullable datetimezone", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			_, off := a[0].(DateTimeZone).T.Zone()
			return Num(float64(off % 3600 / 60)), nil
		}),
		builtin("DateTimeZone.SwitchZone", "dateTimeZone as nullable datetimezone, timezoneHours as number, optional timezoneMinutes as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			var h, m int
			if err := unpack(th, a[1:], &h, &m); err != nil {
				return nil, err
			}
			if h < -14 || h > 14 || m < -59 || m > 59 {
				return nil, argRange("timezoneHours")
			}
			return DateTimeZone{T: a[0].(DateTimeZone).T.In(time.FixedZone("", h*3600+m*60))}, nil
		}),
		builtin("DateTime.FromFileTime", "fileTime as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return DateTime{T: fromFileTime(a[0].(Number).F)}, nil
		}),
		builtin("DateTimeZone.FromFileTime", "fileTime as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return DateTimeZone{T: fromFileTime(a[0].(Number).F).In(time.FixedZone("", 0))}, nil
		}),
		builtin("Date.FromRecord", "record as nullable record", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			r := a[0].(*Record)
			var parts [3]int
			for i, n := range []string{"Year", "Month", "Day"} {
				v, err := r.Field(th, n)
				if err != nil {
					return nil, err
				}
				if err := unpack(th, []Value{v}, &parts[i]); err != nil {
					return nil, err
				}
			}
			return library["#date"].(*Function).Impl(th, []Value{Num(float64(parts[0])), Num(float64(parts[1])), Num(float64(parts[2]))})
		}),
	)
}

var fileTimeEpoch = time.Date(1601, 1, 1, 0, 0, 0, 0, time.UTC)

// fromFileTime converts a Windows file time (100 ns ticks since 1601) in
// two steps, as the tick count overflows a time.Duration. The host's local
// zone is UTC, so local and UTC file times agree.
func fromFileTime(ft float64) time.Time {
	ticks := int64(ft)
	const perDay = 864_000_000_000
	return fileTimeEpoch.AddDate(0, 0, int(ticks/perDay)).Add(time.Duration(ticks%perDay) * 100)
}

func daysIn(y int, m time.Month) int {
	return time.Date(y, m+1, 0, 0, 0, 0, 0, time.UTC).Day()
}

// addMonths adds months the .NET way: the day is clamped to the end of the
// target month (Jan 31 + 1 month is Feb 28 or 29), the clock is kept.
func addMonths(t time.Time, n int) time.Time {
	y, m := t.Year(), int(t.Month())-1+n
	y += m / 12
	m %= 12
	if m < 0 {
		m += 12
		y--
	}
	d := min(t.Day(), daysIn(y, time.Month(m+1)))
	return time.Date(y, time.Month(m+1), d, t.Hour(), t.Minute(), t.Second(), t.Nanosecond(), t.Location())
}

func midnight(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), t.Day(), 0, 0, 0, 0, t.Location())
}

func startOfMonth(t time.Time) time.Time {
	return time.Date(t.Year(), t.Month(), 1, 0, 0, 0, 0, t.Location())
}

func startOfQuarter(t time.Time) time.Time {
	return time.Date(t.Year(), time.Month((int(t.Month())-1)/3*3+1), 1, 0, 0, 0, 0, t.Location())
}

// endOf is the last 100 ns tick before next, as Power Query's End* give.
func endOf(next time.Time) time.Time { return next.Add(-100) }

// dateArg returns the clock of a date, datetime or datetimezone; ok is
// false for null.
func dateArg(v Value) (time.Time, bool, error) {
	switch x := v.(type) {
	case Null:
		return time.Time{}, false, nil
	case Date:
		return x.T, true, nil
	case DateTime:
		return x.T, true, nil
	case DateTimeZone:
		return x.T, true, nil
	}
	return time.Time{}, false, typeErr(v, "date")
}

func firstDay(th *Thread, v Value) (int, error) {
	first := 0
	if err := unpack(th, []Value{v}, &first); err != nil {
		return 0, err
	}
	if first < 0 || first > 6 {
		return 0, argRange("firstDayOfWeek")
	}
	return first, nil
}

// mapClock applies f to the clock of a date-like value, keeping its kind;
// a date stays a date (its clock part is dropped).
func mapClock(v Value, f func(time.Time) time.Time) (Value, error) {
	switch x := v.(type) {
	case Null:
		return NullValue, nil
	case Date:
		return Date{T: midnight(f(x.T))}, nil
	case DateTime:
		return DateTime{T: f(x.T)}, nil
	case DateTimeZone:
		return DateTimeZone{T: f(x.T)}, nil
	}
	return nil, typeErr(v, "date")
}

func dateShift(name, param string, f func(time.Time, int) time.Time) *Function {
	return builtin(name, "dateTime as any, "+param+" as number", func(th *Thread, a []Value) (Value, error) {
		var n int
		if err := unpack(th, a[1:], &n); err != nil {
			return nil, err
		}
		return mapClock(a[0], func(t time.Time) time.Time { return f(t, n) })
	})
}

func dateBound(name string, f func(time.Time, int) time.Time) *Function {
	return builtin(name, "dateTime as any, optional firstDayOfWeek as nullable number", func(th *Thread, a []Value) (Value, error) {
		first, err := firstDay(th, a[1])
		if err != nil {
			return nil, err
		}
		return mapClock(a[0], func(t time.Time) time.Time { return f(t, first) })
	})
}

func timePart(name string, f func(time.Duration) float64) *Function {
	return builtin(name, "dateTime as any", func(th *Thread, a []Value) (Value, error) {
		switch x := a[0].(type) {
		case Null:
			return NullValue, nil
		case Time:
			return Num(f(x.D)), nil
		case DateTime:
			return Num(f(x.T.Sub(midnight(x.T)))), nil
		case DateTimeZone:
			return Num(f(x.T.Sub(midnight(x.T)))), nil
		}
		return nil, typeErr(a[0], "time")
	})
}

func durPart(name string, f func(time.Duration) float64) *Function {
	return builtin(name, "duration as nullable duration", func(th *Thread, a []Value) (Value, error) {
		if isNull(a[0]) {
			return NullValue, nil
		}
		return Num(f(a[0].(Duration).D)), nil
	})
}

func clockFields(t time.Time, withDate bool) []Field {
	var fs []Field
	if withDate {
		fs = append(fs, Field{"Year", Num(float64(t.Year()))}, Field{"Month", Num(float64(t.Month()))}, Field{"Day", Num(float64(t.Day()))})
	}
	return append(fs, Field{"Hour", Num(float64(t.Hour()))}, Field{"Minute", Num(float64(t.Minute()))},
		Field{"Second", Num(float64(t.Second()) + float64(t.Nanosecond())/1e9)})
}
