package eval

import (
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"math"
	"strconv"
	"strings"
	"time"
)

// Json.Document and Json.FromValue.

func init() {
	register(
		builtin("Json.Document", "jsonText as any, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			var data []byte
			switch x := a[0].(type) {
			case Text:
				data = []byte(x.S)
			case Binary:
				b, err := x.Force(th)
				if err != nil {
					return nil, err
				}
				enc := encUTF8
				if err := unpack(th, a[1:], &enc); err != nil {
					return nil, err
				}
				s, err := decodeText(b, enc)
				if err != nil {
					return nil, err
				}
				data = []byte(s)
			case Null:
				return NullValue, nil
			default:
				return nil, typeErr(a[0], "text")
			}
			return parseJSON(th, data)
		}),
		builtin("Json.FromValue", "value as any, optional encoding as nullable number", func(th *Thread, a []Value) (Value, error) {
			var b bytes.Buffer
			if err := writeJSON(th, &b, a[0], 0); err != nil {
				return nil, err
			}
			enc := encUTF8
			if err := unpack(th, a[1:], &enc); err != nil {
				return nil, err
			}
			if enc != encUTF8 {
				out, err := encodeText(b.String(), enc, false)
				if err != nil {
					return nil, err
				}
				return Bytes(out), nil
			}
			return Bytes(b.Bytes()), nil
		}),
	)
}

// parseJSON decodes JSON keeping object key order (records are ordered).
func parseJSON(th *Thread, data []byte) (Value, error) {
	dec := json.NewDecoder(bytes.NewReader(bytes.TrimPrefix(data, []byte{0xEF, 0xBB, 0xBF})))
	dec.UseNumber()
	v, err := jsonValue(th, dec, 0)
	if err != nil {
		return nil, err
	}
	if _, err := dec.Token(); err != io.EOF {
		return nil, jsonErr(dec, "Unexpected character after the end of the document.")
	}
	return v, nil
}

func jsonErr(dec *json.Decoder, msg string) error {
	return NewErrorDetail("DataFormat.Error",
		"We found extra characters at the end of the JSON input.", NewRecord(
			Field{"Value", Str(msg)},
			Field{"Position", Num(float64(dec.InputOffset()))},
		))
}

func jsonSyntax(dec *json.Decoder, err error) error {
	msg := "Invalid JSON primitive."
	if err == io.EOF || err == io.ErrUnexpectedEOF {
		msg = "Unexpected end of input."
	}
	return NewErrorDetail("DataFormat.Error", "We found an error in the JSON input: "+msg,
		NewRecord(Field{"Position", Num(float64(dec.InputOffset()))}, Field{"Cause", Str(err.Error())}))
}

func jsonValue(th *Thread, dec *json.Decoder, depth int) (Value, error) {
	if depth > 512 {
		return nil, NewError("DataFormat.Error", "The JSON input is nested too deeply.")
	}
	if err := th.step(); err != nil {
		return nil, err
	}
	tok, err := dec.Token()
	if err != nil {
		return nil, jsonSyntax(dec, err)
	}
	switch t := tok.(type) {
	case nil:
		return NullValue, nil
	case bool:
		return Bool(t), nil
	case json.Number:
		f, err := strconv.ParseFloat(string(t), 64)
		if err != nil && !strings.Contains(err.Error(), "range") {
			return nil, jsonSyntax(dec, err)
		}
		return Num(f), nil
	case string:
		return Str(t), nil
	case json.Delim:
		switch t {
		case '[':
			var items []Value
			for dec.More() {
				v, err := jsonValue(th, dec, depth+1)
				if err != nil {
					return nil, err
				}
				items = append(items, v)
				if err := th.checkLen(len(items)); err != nil {
					return nil, err
				}
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(dec, err)
			}
			return NewList(items...), nil
		case '{':
			r := NewRecord()
			for dec.More() {
				kt, err := dec.Token()
				if err != nil {
					return nil, jsonSyntax(dec, err)
				}
				k, ok := kt.(string)
				if !ok {
					return nil, jsonSyntax(dec, fmt.Errorf("object key is not a string"))
				}
				v, err := jsonValue(th, dec, depth+1)
				if err != nil {
					return nil, err
				}
				// Power Query keeps the last of duplicate keys.
				r.set(k, Eager(v))
			}
			if _, err := dec.Token(); err != nil {
				return nil, jsonSyntax(dec, err)
			}
			return r, nil
		}
	}
	return nil, jsonSyntax(dec, fmt.Errorf("unexpected token %v", tok))
}

func writeJSON(th *Thread, b *bytes.Buffer, v Value, depth int) error {
	if depth > 256 {
		return NewError("Expression.Error", "The value is nested too deeply to be serialized as JSON.")
	}
	switch x := v.(type) {
	case Null:
		b.WriteString("null")
	case Logical:
		b.WriteString(strconv.FormatBool(x.B))
	case Number:
		if math.IsNaN(x.F) || math.IsInf(x.F, 0) {
			b.WriteString("null") // as the function reference specifies
			return nil
		}
		b.WriteString(jsonNumber(x.F))
	case Text:
		writeJSONString(b, x.S)
	case Date:
		writeJSONString(b, x.T.Format("2006-01-02"))
	case DateTime:
		writeJSONString(b, x.T.Format("2006-01-02T15:04:05.9999999"))
	case DateTimeZone:
		writeJSONString(b, x.T.Format("2006-01-02T15:04:05.9999999-07:00"))
	case Time:
		writeJSONString(b, time.Unix(0, int64(x.D)).UTC().Format("15:04:05.9999999"))
	case Duration:
		writeJSONString(b, isoDuration(x.D))
	case Binary:
		data, err := x.Force(th)
		if err != nil {
			return err
		}
		writeJSONString(b, base64Std(data))
	case *List:
		b.WriteByte('[')
		for i, it := range x.lz() {
			if i > 0 {
				b.WriteByte(',')
			}
			iv, err := th.force(it)
			if err != nil {
				return err
			}
			if err := writeJSON(th, b, iv, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	case *Record:
		b.WriteByte('{')
		for i, n := range x.names {
			if i > 0 {
				b.WriteByte(',')
			}
			writeJSONString(b, n)
			b.WriteByte(':')
			fv, err := th.force(x.vals[i])
			if err != nil {
				return err
			}
			if err := writeJSON(th, b, fv, depth+1); err != nil {
				return err
			}
		}
		b.WriteByte('}')
	case *Table:
		b.WriteByte('[')
		for i := 0; i < x.RowCount(); i++ {
			if i > 0 {
				b.WriteByte(',')
			}
			if err := writeJSON(th, b, x.Row(i), depth+1); err != nil {
				return err
			}
		}
		b.WriteByte(']')
	default:
		return NewErrorDetail("Expression.Error",
			"We cannot convert a value of type "+titleCase(v.Kind().String())+" to JSON.", v)
	}
	return nil
}

// isoDuration writes an ISO 8601 duration as .NET's XmlConvert does:
// P1DT2H3M4.5S, PT0S.
func isoDuration(d time.Duration) string {
	var b strings.Builder
	if d < 0 {
		b.WriteByte('-')
		d = -d
	}
	b.WriteByte('P')
	days := d / (24 * time.Hour)
	d -= days * 24 * time.Hour
	if days > 0 {
		fmt.Fprintf(&b, "%dD", days)
	}
	if d == 0 {
		if days == 0 {
			b.WriteString("T0S")
		}
		return b.String()
	}
	b.WriteByte('T')
	if h := d / time.Hour; h > 0 {
		fmt.Fprintf(&b, "%dH", h)
		d -= h * time.Hour
	}
	if m := d / time.Minute; m > 0 {
		fmt.Fprintf(&b, "%dM", m)
		d -= m * time.Minute
	}
	if d > 0 {
		b.WriteString(FormatNumber(float64(d)/float64(time.Second)) + "S")
	}
	return b.String()
}

func jsonNumber(f float64) string {
	if f == math.Trunc(f) && math.Abs(f) < 1e15 {
		return strconv.FormatFloat(f, 'f', -1, 64)
	}
	return strconv.FormatFloat(f, 'g', -1, 64)
}

func writeJSONString(b *bytes.Buffer, s string) {
	enc, _ := json.Marshal(s)
	// encoding/json escapes <, >, & for HTML; Power Query does not.
	out := strings.NewReplacer(`\u003c`, "<", `\u003e`, ">", `\u0026`, "&").Replace(string(enc))
	b.WriteString(out)
}
