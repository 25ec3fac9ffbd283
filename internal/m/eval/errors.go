package eval

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
)

// Error is a raised M error. It carries the error record (Reason, Message,
// Detail, Message.Format, Message.Parameters and any other fields), which
// is what `try` exposes, plus the M call frames it crossed.
type Error struct {
	Rec   *Record
	Stack []Frame
	// Origin is the file:line:col of the expression that raised the error.
	Origin string
	// Fatal errors (exceeded bounds, cancellation) are reported as M errors
	// but cannot be caught by try, so a runaway script still stops.
	Fatal bool

	credentialStatus int // 401/403 from Web.Contents; see CredentialError
}

// Frame is one M call frame of an error backtrace.
type Frame struct {
	Name string // function name or "" for an anonymous function
	Pos  string // file:line:col of the call
}

// NewError returns an M error with the given reason and message.
func NewError(reason, message string) *Error {
	return NewErrorDetail(reason, message, NullValue)
}

// NewErrorDetail returns an M error with reason, message and detail.
func NewErrorDetail(reason, message string, detail Value) *Error {
	return &Error{Rec: errorRecord(Str(reason), Str(message), detail, NullValue, NullValue, NullValue)}
}

// errorRecord builds the error record `try` exposes: always the six fields
// of the function reference's Error.Record examples, in their order.
func errorRecord(reason, message, detail, format, params, code Value) *Record {
	return NewRecord(
		Field{"Reason", reason},
		Field{"Message", message},
		Field{"Detail", detail},
		Field{"Message.Format", format},
		Field{"Message.Parameters", params},
		Field{"ErrorCode", code},
	)
}

// Errorf returns an Expression.Error with a formatted message.
func Errorf(format string, args ...any) *Error {
	return NewError("Expression.Error", fmt.Sprintf(format, args...))
}

// Unsupported is the error for library functions pqx does not implement.
func Unsupported(name string) *Error {
	return NewError("Expression.Error", name+" is not supported by the pqx evaluator")
}

// Reason returns the error's Reason field as text ("" if absent or not text).
func (e *Error) Reason() string { return e.text("Reason") }

// Message returns the error's Message field as text.
func (e *Error) Message() string { return e.text("Message") }

func (e *Error) text(name string) string {
	if t, ok := e.Rec.GetEager(name).(Text); ok {
		return t.S
	}
	return ""
}

// Error implements the error interface: "Reason: Message".
func (e *Error) Error() string {
	r, m := e.Reason(), e.Message()
	switch {
	case r == "":
		return m
	case m == "":
		return r
	}
	return r + ": " + m
}

// Backtrace returns the error, where it was raised, and its M call frames,
// one per line, innermost first, in compiler style.
func (e *Error) Backtrace() string {
	var b strings.Builder
	b.WriteString(e.Error())
	if e.Origin != "" && e.Origin != "-" && (len(e.Stack) == 0 || e.Stack[0].Pos != e.Origin) {
		fmt.Fprintf(&b, "\n\t%s: raised here", e.Origin)
	}
	for i := 0; i < len(e.Stack); {
		f := e.Stack[i]
		n := 1
		for i+n < len(e.Stack) && e.Stack[i+n] == f {
			n++
		}
		name := f.Name
		if name == "" {
			name = "<function>"
		}
		fmt.Fprintf(&b, "\n\t%s: in %s", f.Pos, name)
		if n > 1 {
			fmt.Fprintf(&b, " (%d more times)", n-1)
		}
		i += n
	}
	return b.String()
}

func isMError(err error) bool {
	var e *Error
	return errors.As(err, &e) && !e.Fatal
}

// AsError returns err as a catchable M error, or nil.
func AsError(err error) *Error {
	var e *Error
	if errors.As(err, &e) && !e.Fatal {
		return e
	}
	return nil
}

// errorFromValue builds an Error from the operand of `error`: a text (the
// message of an Expression.Error) or a record with Reason, Message,
// Detail, Message.Format, Message.Parameters.
func errorFromValue(th *Thread, v Value) (*Error, error) {
	switch x := v.(type) {
	case Text:
		return NewError("Expression.Error", x.S), nil
	case *Record:
		return errorFromRecord(th, x)
	}
	return nil, typeErr(v, "record")
}

func errorFromRecord(th *Thread, r *Record) (*Error, error) {
	get := func(name string) (Value, error) {
		v, ok, err := r.Get(th, name)
		if !ok {
			return NullValue, nil
		}
		return v, err
	}
	reason, err := get("Reason")
	if err != nil {
		return nil, err
	}
	if _, isNull := reason.(Null); isNull {
		reason = Str("Expression.Error")
	}
	msg, err := get("Message")
	if err != nil {
		return nil, err
	}
	detail, err := get("Detail")
	if err != nil {
		return nil, err
	}
	format, err := get("Message.Format")
	if err != nil {
		return nil, err
	}
	params, err := get("Message.Parameters")
	if err != nil {
		return nil, err
	}
	code, err := get("ErrorCode")
	if err != nil {
		return nil, err
	}
	// With parameters, the message is a format: Message.Format keeps it
	// and Message is filled in (#{0}, #{1}, ...).
	if m, ok := msg.(Text); ok && isNull(format) && !isNull(params) {
		format = m
		msg = NullValue
	}
	if f, ok := format.(Text); ok && isNull(msg) {
		text, err := formatMessage(th, f.S, params)
		if err != nil {
			return nil, err
		}
		msg = Str(text)
	}
	return &Error{Rec: errorRecord(reason, msg, detail, format, params, code)}, nil
}

// formatMessage fills #{n} placeholders of format from the list params.
func formatMessage(th *Thread, format string, params Value) (string, error) {
	l, ok := params.(*List)
	if !ok {
		return format, nil
	}
	var b strings.Builder
	for i := 0; i < len(format); i++ {
		if format[i] == '#' && i+1 < len(format) && format[i+1] == '{' {
			end := strings.IndexByte(format[i:], '}')
			if end > 0 {
				n, err := strconv.Atoi(format[i+2 : i+end])
				if err == nil && n >= 0 && n < l.Len() {
					v, err := l.At(th, n)
					if err != nil {
						return "", err
					}
					s, err := textOf(th, v)
					if err != nil {
						return "", err
					}
					b.WriteString(s)
					i += end
					continue
				}
			}
		}
		b.WriteByte(format[i])
	}
	return b.String(), nil
}

// textOf renders v as Text.From would, for message formatting.
func textOf(th *Thread, v Value) (string, error) {
	switch x := v.(type) {
	case Null:
		return "", nil
	case Text:
		return x.S, nil
	}
	t, err := textFrom(th, v, "")
	if err != nil {
		return Serialize(th, v), nil
	}
	if s, ok := t.(Text); ok {
		return s.S, nil
	}
	return "", nil
}

// typeErr is the Expression.Error raised when a value of the wrong kind is
// used: "We cannot convert the value X to type T."
func typeErr(v Value, want string) error {
	return NewErrorDetail("Expression.Error",
		fmt.Sprintf("We cannot convert %s to type %s.", describe(v), titleCase(want)),
		NewRecord(Field{"Value", v}, Field{"Type", Prim(baseByName(want))}))
}

func convertErr(v Value, t *Type) error {
	name := t.Base.String()
	if t.Name != "" {
		name = strings.TrimSuffix(t.Name, ".Type")
	}
	return NewErrorDetail("Expression.Error",
		fmt.Sprintf("We cannot convert %s to type %s.", describe(v), titleCase(name)),
		NewRecord(Field{"Value", v}, Field{"Type", t}))
}

func baseByName(name string) Base {
	if b, ok := PrimNames[strings.ToLower(name)]; ok {
		return b
	}
	return BaseAny
}

func titleCase(s string) string {
	switch s {
	case "datetime":
		return "DateTime"
	case "datetimezone":
		return "DateTimeZone"
	}
	if s == "" {
		return s
	}
	return strings.ToUpper(s[:1]) + s[1:]
}

// describe renders a value the way Power Query error messages do: scalars
// as literals, structured values by kind.
func describe(v Value) string {
	switch x := v.(type) {
	case Null:
		return "the value null"
	case Text:
		return "the value " + quoteText(x.S)
	case Number, Logical, Date, DateTime, DateTimeZone, Time, Duration:
		return "the value " + Serialize(nil, v)
	}
	return "a value of type " + titleCase(v.Kind().String())
}
