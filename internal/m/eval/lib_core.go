package eval

import (
	"encoding/base64"
	"math"
	"time"
)

// Intrinsics (#date, #table, ...), Value.*, Type.*, Function.*, Error.*,
// Diagnostics.* and the primitive type values.

func init() {
	registerValue("#infinity", Num(math.Inf(1)))
	registerValue("#nan", Num(math.NaN()))
	register(
		builtin("#date", "year as number, month as number, day as number", func(th *Thread, a []Value) (Value, error) {
			var y, m, d int
			if err := unpack(th, a, &y, &m, &d); err != nil {
				return nil, err
			}
			t, err := makeDate(y, m, d)
			if err != nil {
				return nil, err
			}
			return Date{T: t}, nil
		}),
		builtin("#datetime", "year as number, month as number, day as number, hour as number, minute as number, second as number", func(th *Thread, a []Value) (Value, error) {
			var y, mo, d, h, mi int
			var s float64
			if err := unpack(th, a, &y, &mo, &d, &h, &mi, &s); err != nil {
				return nil, err
			}
			t, err := makeDate(y, mo, d)
			if err != nil {
				return nil, err
			}
			tod, err := makeTime(h, mi, s)
			if err != nil {
				return nil, err
			}
			return DateTime{T: t.Add(tod)}, nil
		}),
		builtin("#datetimezone", "year as number, month as number, day as number, hour as number, minute as number, second as number, offsetHours as number, offsetMinutes as number", func(th *Thread, a []Value) (Value, error) {
			var y, mo, d, h, mi, oh, om int
			var s float64
			if err := unpack(th, a, &y, &mo, &d, &h, &mi, &s, &oh, &om); err != nil {
				return nil, err
			}
			t, err := makeDate(y, mo, d)
			if err != nil {
				return nil, err
			}
			tod, err := makeTime(h, mi, s)
			if err != nil {
				return nil, err
			}
			if oh < -14 || oh > 14 || om < -59 || om > 59 {
				return nil, NewError("Expression.Error", "The offset is out of range.")
			}
			off := oh*3600 + om*60
			if oh < 0 && om > 0 {
				off = oh*3600 - om*60
			}
			wall := t.Add(tod)
			zt := time.Date(wall.Year(), wall.Month(), wall.Day(), wall.Hour(), wall.Minute(), wall.Second(), wall.Nanosecond(), time.FixedZone("", off))
			return DateTimeZone{T: zt}, nil
		}),
		builtin("#time", "hour as number, minute as number, second as number", func(th *Thread, a []Value) (Value, error) {
			var h, mi int
			var s float64
			if err := unpack(th, a, &h, &mi, &s); err != nil {
				return nil, err
			}
			if h == 24 && mi == 0 && s == 0 {
				return Time{D: 0}, nil
			}
			d, err := makeTime(h, mi, s)
			if err != nil {
				return nil, err
			}
			return Time{D: d}, nil
		}),
		builtin("#duration", "days as number, hours as number, minutes as number, seconds as number", func(th *Thread, a []Value) (Value, error) {
			var d, h, m, s float64
			if err := unpack(th, a, &d, &h, &m, &s); err != nil {
				return nil, err
			}
			total := ((d*24+h)*60+m)*60 + s
			if math.Abs(total) > 9e9*86400/1e5 {
				return nil, NewError("Expression.Error", "The duration is out of range.")
			}
			// Sum whole 100 ns ticks per part: rounding the float total in
			// nanoseconds loses the last digits of long durations.
			ticks := math.Round(d*864e9) + math.Round(h*36e9) + math.Round(m*6e8) + math.Round(s*1e7)
			return Duration{D: time.Duration(ticks) * 100}, nil
		}),
		builtin("#binary", "value as any", func(th *Thread, a []Value) (Value, error) {
			switch x := a[0].(type) {
			case Text:
				b, err := base64.StdEncoding.DecodeString(x.S)
				if err != nil {
					return nil, NewError("DataFormat.Error", "The input is not a valid Base-64 string.")
				}
				return Bytes(b), nil
			case *List:
				vals, err := x.Values(th)
				if err != nil {
					return nil, err
				}
				out := make([]byte, len(vals))
				for i, v := range vals {
					n, ok := v.(Number)
					if !ok || n.F < 0 || n.F > 255 || n.F != math.Trunc(n.F) {
						return nil, typeErr(v, "number")
					}
					out[i] = byte(n.F)
				}
				return Bytes(out), nil
			case Null:
				return NullValue, nil
			}
			return nil, typeErr(a[0], "list")
		}),
		builtin("#table", "columns as any, rows as any", func(th *Thread, a []Value) (Value, error) {
			return makeTable(th, a[0], a[1])
		}),
		builtin("Error.Record", "reason as text, optional message as nullable text, optional detail as any, optional parameters as nullable list, optional errorCode as nullable text", func(th *Thread, a []Value) (Value, error) {
			e, err := errorFromRecord(th, NewRecord(
				Field{"Reason", a[0]},
				Field{"Message", a[1]},
				Field{"Detail", a[2]},
				Field{"Message.Parameters", a[3]},
				Field{"ErrorCode", a[4]},
			))
			if err != nil {
				return nil, err
			}
			return e.Rec, nil
		}),
		builtin("Diagnostics.Trace", "traceLevel as number, message as anynonnull, value as any, optional delayed as nullable logical", func(th *Thread, a []Value) (Value, error) {
			level := traceLevelName(a[0].(Number).F)
			msg := ""
			switch m := a[1].(type) {
			case Text:
				msg = m.S
			case *Function:
				v, err := callFn(th, m)
				if err != nil {
					return nil, err
				}
				msg, err = textOf(th, v)
				if err != nil {
					return nil, err
				}
			default:
				msg = Serialize(th, m)
			}
			if th.Host.Trace != nil {
				th.Host.Trace(level, msg)
			}
			v := a[2]
			if b, ok := a[3].(Logical); ok && b.B {
				if f, ok := v.(*Function); ok {
					return callFn(th, f)
				}
			}
			return v, nil
		}),
		builtin("Diagnostics.ActivityId", "", func(th *Thread, a []Value) (Value, error) {
			return Str(th.newGuid()), nil
		}),
	)
	for name, lvl := range map[string]float64{"Critical": 1, "Error": 2, "Warning": 3, "Information": 4, "Verbose": 5} {
		registerValue("TraceLevel."+name, Num(lvl))
	}
	registerPrimitiveTypes()
}

func traceLevelName(n float64) string {
	switch n {
	case 1:
		return "Critical"
	case 2:
		return "Error"
	case 3:
		return "Warning"
	case 4:
		return "Information"
	}
	return "Verbose"
}

func makeDate(y, m, d int) (time.Time, error) {
	if y < 1 || y > 9999 || m < 1 || m > 12 || d < 1 || d > 31 {
		return time.Time{}, NewError("Expression.Error", "The Date operation failed because the resulting value falls outside the range of allowed values.")
	}
	t := time.Date(y, time.Month(m), d, 0, 0, 0, 0, time.UTC)
	if t.Day() != d {
		return time.Time{}, NewError("Expression.Error", "The Date operation failed because the resulting value falls outside the range of allowed values.")
	}
	return t, nil
}

func makeTime(h, m int, s float64) (time.Duration, error) {
	if h < 0 || h > 23 || m < 0 || m > 59 || s < 0 || s >= 60 {
		return 0, NewError("Expression.Error", "The Time operation failed because the resulting value falls outside the range of allowed values.")
	}
	return time.Duration(h)*time.Hour + time.Duration(m)*time.Minute + time.Duration(math.Round(s*1e7))*100, nil
}

// makeTable implements #table(columns, rows): columns is a number of
// columns, a list of names, or a table type.
func makeTable(th *Thread, cols, rows Value) (Value, error) {
	rl, ok := rows.(*List)
	if !ok {
		return nil, typeErr(rows, "list")
	}
	var typ *Type
	switch c := cols.(type) {
	case *Type:
		if c.Base != Base(KindTable) {
			return nil, typeErr(c, "table")
		}
		typ = c
	case Number:
		if c.F < 0 || c.F != math.Trunc(c.F) || c.F > 16384 {
			return nil, argRange("columns")
		}
		n := int(c.F)
		fields := make([]TypeField, n)
		for i := range fields {
			fields[i] = TypeField{Name: "Column" + FormatNumber(float64(i+1)), Type: Prim(BaseAny)}
		}
		typ = TableType(fields...)
	case *List:
		names, err := c.Values(th)
		if err != nil {
			return nil, err
		}
		fields := make([]TypeField, len(names))
		seen := map[string]bool{}
		for i, n := range names {
			t, ok := n.(Text)
			if !ok {
				return nil, typeErr(n, "text")
			}
			if seen[t.S] {
				return nil, NewErrorDetail("Expression.Error", "The field '"+t.S+"' already exists in the record.", Str(t.S))
			}
			seen[t.S] = true
			fields[i] = TypeField{Name: t.S, Type: Prim(BaseAny)}
		}
		typ = TableType(fields...)
	case Null:
		typ = TableType()
	default:
		return nil, typeErr(cols, "list")
	}
	out := make([][]*Lazy, rl.Len())
	for i := range out {
		rv, err := rl.At(th, i)
		if err != nil {
			return nil, err
		}
		row, ok := rv.(*List)
		if !ok {
			return nil, typeErr(rv, "list")
		}
		if row.Len() != len(typ.Fields) {
			return nil, NewErrorDetail("Expression.Error",
				"The specified number of columns doesn't match the number of values in a row.", row)
		}
		out[i] = append([]*Lazy(nil), row.lz()...)
	}
	return NewLazyTable(typ, out), nil
}

// registerPrimitiveTypes defines Int64.Type, Text.Type and friends. The
// facet types are number/text with a name, as Power Query prints them.
func registerPrimitiveTypes() {
	prims := map[string]Base{
		"Any.Type": BaseAny, "None.Type": BaseNone, "Null.Type": Base(KindNull),
		"Logical.Type": Base(KindLogical), "Number.Type": Base(KindNumber), "Text.Type": Base(KindText),
		"Date.Type": Base(KindDate), "DateTime.Type": Base(KindDateTime), "DateTimeZone.Type": Base(KindDateTimeZone),
		"Time.Type": Base(KindTime), "Duration.Type": Base(KindDuration), "Binary.Type": Base(KindBinary),
		"List.Type": Base(KindList), "Record.Type": Base(KindRecord), "Table.Type": Base(KindTable),
		"Function.Type": Base(KindFunction), "Type.Type": Base(KindType),
	}
	for n, b := range prims {
		registerValue(n, Prim(b))
	}
	facets := map[string]Base{
		"Int64.Type": Base(KindNumber), "Int32.Type": Base(KindNumber), "Int16.Type": Base(KindNumber),
		"Int8.Type": Base(KindNumber), "Byte.Type": Base(KindNumber), "Single.Type": Base(KindNumber),
		"Double.Type": Base(KindNumber), "Decimal.Type": Base(KindNumber), "Currency.Type": Base(KindNumber),
		"Percentage.Type": Base(KindNumber), "Character.Type": Base(KindText), "Uri.Type": Base(KindText),
		"Guid.Type": Base(KindText), "Password.Type": Base(KindText),
	}
	for n, b := range facets {
		registerValue(n, Prim(b).Named(n))
	}
}
