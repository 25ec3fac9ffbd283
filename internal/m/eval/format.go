package eval

import (
	"encoding/base64"
	"fmt"
	"math"
	"strconv"
	"strings"
	"time"

	"github.com/pqxdev/pqx/internal/m/scanner"
)

// FormatNumber formats f the way Power Query's Text.From / Number.ToText
// do in the invariant culture: the shortest round-trip digits, integers
// without a fraction, scientific notation ("1E+15", "1E-05") for exponents
// of 15 and more or below -4.
func FormatNumber(f float64) string {
	switch {
	case math.IsNaN(f):
		return "NaN"
	case math.IsInf(f, 1):
		return "Infinity"
	case math.IsInf(f, -1):
		return "-Infinity"
	case f == 0:
		return "0"
	}
	s := strconv.FormatFloat(f, 'e', -1, 64) // d.dddde±XX
	mant, expS, _ := strings.Cut(s, "e")
	exp, _ := strconv.Atoi(expS)
	neg := strings.HasPrefix(mant, "-")
	mant = strings.TrimPrefix(mant, "-")
	digits := strings.Replace(mant, ".", "", 1)
	var out string
	if exp >= 15 || exp < -4 {
		out = digits[:1]
		if len(digits) > 1 {
			out += "." + digits[1:]
		}
		sign := "+"
		if exp < 0 {
			sign = "-"
			exp = -exp
		}
		out += fmt.Sprintf("E%s%02d", sign, exp)
	} else if exp < 0 {
		out = "0." + strings.Repeat("0", -exp-1) + digits
	} else if len(digits) <= exp+1 {
		out = digits + strings.Repeat("0", exp+1-len(digits))
	} else {
		out = digits[:exp+1] + "." + digits[exp+1:]
	}
	if neg {
		out = "-" + out
	}
	return out
}

func quoteText(s string) string { return scanner.Quote(s) }

// Serialize renders v in M literal syntax, the .pqout serialization:
// `#table(type table [a = number], {{1}})`, `#date(2024, 1, 2)`, quoted
// text, records and lists. Output is deterministic. Lazy entries are
// forced with th (which may be nil for scalars); an erroring entry is
// written as an `error` expression so the rest of the value still prints.
// Table keys are written as Type.AddTableKey calls; metadata is left out
// like in the PQTest outputs we know of (SerializeWith writes it).
func Serialize(th *Thread, v Value) string {
	var b strings.Builder
	s := serializer{th: th, b: &b}
	s.value(v, 0)
	return b.String()
}

type serializer struct {
	th     *Thread
	b      *strings.Builder
	meta   bool // write metadata (SerializeWith)
	noKeys bool // leave table keys out (SerializeWith)
}

func (s *serializer) lazy(l *Lazy, depth int) {
	if s.th == nil && !l.Done() {
		s.b.WriteString("...")
		return
	}
	var v Value
	var err error
	if s.th != nil {
		v, err = s.th.force(l)
	} else {
		v, err = l.result()
	}
	if err != nil {
		if me := AsError(err); me != nil {
			s.b.WriteString("error ")
			s.value(me.Rec, depth+1)
			return
		}
		s.b.WriteString("error " + quoteText(err.Error()))
		return
	}
	s.value(v, depth)
}

func (s *serializer) value(v Value, depth int) {
	if depth > 64 {
		s.b.WriteString("...")
		return
	}
	if s.meta && s.metaValue(v, depth) {
		return
	}
	w := s.b
	switch x := v.(type) {
	case Null:
		w.WriteString("null")
	case Logical:
		w.WriteString(strconv.FormatBool(x.B))
	case Number:
		w.WriteString(numberLiteral(x.F))
	case Text:
		w.WriteString(quoteText(x.S))
	case Date:
		y, m, d := x.T.Date()
		fmt.Fprintf(w, "#date(%d, %d, %d)", y, m, d)
	case DateTime:
		y, mo, d := x.T.Date()
		fmt.Fprintf(w, "#datetime(%d, %d, %d, %d, %d, %s)", y, mo, d, x.T.Hour(), x.T.Minute(), secondsLiteral(x.T))
	case DateTimeZone:
		y, mo, d := x.T.Date()
		_, off := x.T.Zone()
		// Both parts carry the sign: -5:30 is written -5, -30.
		oh, om := off/3600, (off%3600)/60
		fmt.Fprintf(w, "#datetimezone(%d, %d, %d, %d, %d, %s, %d, %d)", y, mo, d, x.T.Hour(), x.T.Minute(), secondsLiteral(x.T), oh, om)
	case Time:
		t := time.Unix(0, int64(x.D)).UTC()
		fmt.Fprintf(w, "#time(%d, %d, %s)", t.Hour(), t.Minute(), secondsLiteral(t))
	case Duration:
		d := x.D
		neg := d < 0
		if neg {
			d = -d
		}
		days := d / (24 * time.Hour)
		d -= days * 24 * time.Hour
		h := d / time.Hour
		d -= h * time.Hour
		m := d / time.Minute
		d -= m * time.Minute
		sec := numberLiteral(float64(d) / float64(time.Second))
		if neg {
			w.WriteByte('-')
		}
		fmt.Fprintf(w, "#duration(%d, %d, %d, %s)", days, h, m, sec)
	case Binary:
		var data []byte
		if s.th != nil {
			var err error
			data, err = x.Force(s.th)
			if err != nil {
				w.WriteString("error " + quoteText(err.Error()))
				return
			}
		} else if x.b != nil {
			data = x.b.data
		}
		w.WriteString("#binary(" + quoteText(base64.StdEncoding.EncodeToString(data)) + ")")
	case *List:
		w.WriteByte('{')
		for i, it := range x.lz() {
			if i > 0 {
				w.WriteString(", ")
			}
			s.lazy(it, depth+1)
		}
		w.WriteByte('}')
	case *Record:
		w.WriteByte('[')
		for i, n := range x.names {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteString(scanner.QuoteIdent(n))
			w.WriteString(" = ")
			s.lazy(x.vals[i], depth+1)
		}
		w.WriteByte(']')
	case *Table:
		w.WriteString("#table(")
		s.typ(x.typ, depth+1)
		w.WriteString(", {")
		for i, row := range x.allRows() {
			if i > 0 {
				w.WriteString(", ")
			}
			w.WriteByte('{')
			for j, c := range row {
				if j > 0 {
					w.WriteString(", ")
				}
				s.lazy(c, depth+1)
			}
			w.WriteByte('}')
		}
		w.WriteString("})")
	case *Function:
		// PQTest writes a function as its type, which keeps the output
		// re-parseable: type function (x as number) as any.
		ft := *x.Type()
		if ft.Params == nil {
			ft.Params = []Param{}
		}
		s.typ(&ft, depth)
	case *Type:
		s.typ(x, depth)
	default:
		w.WriteString("...")
	}
}

func (s *serializer) typ(t *Type, depth int) {
	if s.typeExpr(t, depth) {
		return
	}
	s.b.WriteString("type ")
	s.typeBody(t, depth)
}

// typeBody writes a type in type-expression position (without `type`).
func (s *serializer) typeBody(t *Type, depth int) {
	w := s.b
	if depth > 64 {
		w.WriteString("any")
		return
	}
	if s.needsTypeExpr(t) {
		w.WriteByte('(')
		s.typ(t, depth)
		w.WriteByte(')')
		return
	}
	if t.Name != "" {
		if t.Nullable {
			w.WriteString("nullable ")
		}
		w.WriteString(t.Name)
		return
	}
	if t.Nullable && t.Base != BaseAny && t.Base != Base(KindNull) {
		w.WriteString("nullable ")
	}
	switch t.Base {
	case Base(KindRecord):
		if t.Fields == nil && t.Open {
			w.WriteString("record")
			return
		}
		s.fields(t.Fields, t.Open, depth)
	case Base(KindTable):
		if t.Fields == nil {
			w.WriteString("table")
			return
		}
		w.WriteString("table ")
		s.fields(t.Fields, false, depth)
	case Base(KindList):
		if t.Item == nil || t.Item.Base == BaseAny && t.Item.Name == "" {
			w.WriteString("list")
			return
		}
		w.WriteByte('{')
		s.typeBody(t.Item, depth+1)
		w.WriteByte('}')
	case Base(KindFunction):
		if t.Params == nil && t.Return == nil {
			w.WriteString("function")
			return
		}
		w.WriteString("function (")
		for i, p := range t.Params {
			if i > 0 {
				w.WriteString(", ")
			}
			if p.Optional {
				w.WriteString("optional ")
			}
			w.WriteString(scanner.QuoteIdent(p.Name) + " as ")
			s.typeBody(orAny(p.Type), depth+1)
		}
		w.WriteString(") as ")
		s.typeBody(orAny(t.Return), depth+1)
	default:
		w.WriteString(t.Base.String())
	}
}

func (s *serializer) fields(fields []TypeField, open bool, depth int) {
	w := s.b
	w.WriteByte('[')
	for i, f := range fields {
		if i > 0 {
			w.WriteString(", ")
		}
		if f.Optional {
			w.WriteString("optional ")
		}
		w.WriteString(scanner.QuoteIdent(f.Name) + " = ")
		s.typeBody(orAny(f.Type), depth+1)
	}
	if open {
		if len(fields) > 0 {
			w.WriteString(", ")
		}
		w.WriteString("...")
	}
	w.WriteByte(']')
}

// numberLiteral writes a number as an M expression: #nan, #infinity,
// -#infinity, or the invariant text form (negative numbers as -n).
func numberLiteral(f float64) string {
	switch {
	case math.IsNaN(f):
		return "#nan"
	case math.IsInf(f, 1):
		return "#infinity"
	case math.IsInf(f, -1):
		return "-#infinity"
	}
	return FormatNumber(f)
}

func secondsLiteral(t time.Time) string {
	sec := float64(t.Second()) + float64(t.Nanosecond())/1e9
	// Round to 100 ns ticks, the resolution of Power Query date-times.
	sec = math.Round(sec*1e7) / 1e7
	return FormatNumber(sec)
}
