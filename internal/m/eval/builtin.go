package eval

import (
	"fmt"
	"math"
	"strings"
)

// builtin declares a library function. sig lists its parameters as in the
// function reference: "text as nullable text, optional count as nullable
// number". Call checks arity and the declared types before impl runs, so
// impl can unpack args with unpack or plain type assertions.
func builtin(name, sig string, impl func(th *Thread, args []Value) (Value, error)) *Function {
	params := parseSig(name, sig)
	for i, p := range params {
		if p.Name == "culture" {
			// Formatting follows en-US (and the invariant culture); other
			// cultures fail loudly rather than format differently.
			i, inner := i, impl
			impl = func(th *Thread, args []Value) (Value, error) {
				if err := checkCulture(name, args[i]); err != nil {
					return nil, err
				}
				return inner(th, args)
			}
		}
	}
	if !streamingBuiltins[name] {
		inner := impl
		impl = func(th *Thread, args []Value) (Value, error) {
			args, err := materializeArgs(th, args)
			if err != nil {
				return nil, err
			}
			return inner(th, args)
		}
	}
	return &Function{Name: name, Params: params, Impl: impl}
}

func checkCulture(fn string, v Value) error {
	t, ok := v.(Text)
	if !ok {
		return nil
	}
	switch strings.ToLower(t.S) {
	case "", "en-us", "en", "invariant":
		return nil
	}
	return NewErrorDetail("Expression.Error",
		"The culture '"+t.S+"' is not supported by the pqx evaluator ("+fn+" formats as en-US).", t)
}

func parseSig(name, sig string) []Param {
	sig = strings.TrimSpace(sig)
	if sig == "" {
		return nil
	}
	var params []Param
	for _, part := range strings.Split(sig, ",") {
		f := strings.Fields(part)
		p := Param{}
		if len(f) > 0 && f[0] == "optional" {
			p.Optional = true
			f = f[1:]
		}
		if len(f) == 0 {
			panic("builtin " + name + ": bad signature " + sig)
		}
		p.Name = f[0]
		p.Type = Prim(BaseAny)
		if len(f) >= 3 && f[1] == "as" {
			nullable := false
			tn := f[2]
			if tn == "nullable" && len(f) >= 4 {
				nullable = true
				tn = f[3]
			}
			b, ok := PrimNames[tn]
			if !ok {
				panic("builtin " + name + ": unknown type " + tn)
			}
			p.Type = Prim(b)
			if nullable {
				p.Type = p.Type.AsNullable()
			}
		}
		params = append(params, p)
	}
	return params
}

// unpack copies args into the pointed-to Go variables. Supported targets:
// *Value (as is), *string, *float64, *int, *bool, **Record, **List,
// **Function, **Type, **Table, *[]byte (forces binaries). A null argument
// leaves the target unchanged, so callers set defaults first. Kinds are
// checked by Call against the declared signature; unpack re-checks so a
// mismatch is an M error rather than a panic.
func unpack(th *Thread, args []Value, dst ...any) error {
	for i, d := range dst {
		if i >= len(args) || d == nil {
			continue
		}
		v := args[i]
		if p, ok := d.(*Value); ok {
			*p = v
			continue
		}
		if _, isNull := v.(Null); isNull {
			continue
		}
		switch p := d.(type) {
		case *string:
			t, ok := v.(Text)
			if !ok {
				return typeErr(v, "text")
			}
			*p = t.S
		case *float64:
			n, ok := v.(Number)
			if !ok {
				return typeErr(v, "number")
			}
			*p = n.F
		case *int:
			n, ok := v.(Number)
			if !ok {
				return typeErr(v, "number")
			}
			if n.F != math.Trunc(n.F) || math.IsInf(n.F, 0) || math.IsNaN(n.F) {
				return NewErrorDetail("Expression.Error", "The number must be an integer.", v)
			}
			if n.F > math.MaxInt32*4 || n.F < -math.MaxInt32*4 {
				return NewErrorDetail("Expression.Error", "The number is out of range.", v)
			}
			*p = int(n.F)
		case *bool:
			b, ok := v.(Logical)
			if !ok {
				return typeErr(v, "logical")
			}
			*p = b.B
		case **Record:
			r, ok := v.(*Record)
			if !ok {
				return typeErr(v, "record")
			}
			*p = r
		case **List:
			l, ok := v.(*List)
			if !ok {
				return typeErr(v, "list")
			}
			*p = l
		case **Function:
			f, ok := v.(*Function)
			if !ok {
				return typeErr(v, "function")
			}
			*p = f
		case **Type:
			t, ok := v.(*Type)
			if !ok {
				return typeErr(v, "type")
			}
			*p = t
		case **Table:
			t, ok := v.(*Table)
			if !ok {
				return typeErr(v, "table")
			}
			*p = t
		case *[]byte:
			b, ok := v.(Binary)
			if !ok {
				return typeErr(v, "binary")
			}
			data, err := b.Force(th)
			if err != nil {
				return err
			}
			*p = data
		default:
			panic(fmt.Sprintf("unpack: unsupported target %T", d))
		}
	}
	return nil
}

func isNull(v Value) bool {
	_, ok := v.(Null)
	return ok
}

// callFn calls an M function value from Go (List.Transform and friends).
func callFn(th *Thread, f *Function, args ...Value) (Value, error) {
	return Call(th, f, args)
}

// callFlex calls f with as many of args as it accepts, as the library does
// for callbacks that may take fewer parameters (List.Accumulate etc.).
func callFlex(th *Thread, f *Function, args ...Value) (Value, error) {
	if n := len(f.Params); n < len(args) && n >= f.Required() {
		args = args[:n]
	}
	return Call(th, f, args)
}

// notSupported registers names that exist in Power Query but not in pqx, so
// that using them gives the clear "not supported" error.
func notSupported(names ...string) {
	for _, n := range names {
		name := n
		library[name] = &Function{Name: name, Params: []Param{
			{Name: "a", Optional: true}, {Name: "b", Optional: true}, {Name: "c", Optional: true},
			{Name: "d", Optional: true}, {Name: "e", Optional: true}, {Name: "f", Optional: true},
		}, Impl: func(*Thread, []Value) (Value, error) { return nil, Unsupported(name) }}
	}
}
