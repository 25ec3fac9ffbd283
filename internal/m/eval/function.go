package eval

// Function is an M function: a closure from the evaluator or a built-in.
// Both are called through Call, which checks arity and parameter types.
type Function struct {
	Name     string  // built-in name or "" for closures
	Params   []Param // declared parameters
	Return   *Type   // declared return type; nil means any
	Impl     func(th *Thread, args []Value) (Value, error)
	impl1    func(th *Thread, arg Value) (Value, error) // optional one-argument fast path
	ascribed *Type                                      // type set by Value.ReplaceType
	meta     *Record
}

// Kind implements Value.
func (*Function) Kind() Kind { return KindFunction }

// Meta implements Value.
func (f *Function) Meta() *Record { return f.meta }

// WithMeta implements Value.
func (f *Function) WithMeta(m *Record) Value {
	c := *f
	c.meta = normMeta(m)
	return &c
}

// Type returns the function's type: the ascribed one, or its declaration.
func (f *Function) Type() *Type {
	if f.ascribed != nil {
		return f.ascribed
	}
	ret := f.Return
	if ret == nil {
		ret = Prim(BaseAny)
	}
	return FunctionType(ret, f.Params...)
}

// Required returns the number of required parameters.
func (f *Function) Required() int {
	n := 0
	for _, p := range f.Params {
		if !p.Optional {
			n++
		}
	}
	return n
}

// Call invokes f with already evaluated arguments (M function arguments are
// eager). It checks the argument count, pads omitted optional arguments
// with null, and checks declared parameter and return types.
func Call(th *Thread, f *Function, args []Value) (Value, error) {
	req := f.Required()
	if len(args) < req || len(args) > len(f.Params) {
		return nil, NewErrorDetail("Expression.Error",
			"The number of arguments provided to a function is not valid.",
			f.arityDetail(len(args)))
	}
	if len(args) < len(f.Params) {
		padded := make([]Value, len(f.Params))
		copy(padded, args)
		for i := len(args); i < len(padded); i++ {
			padded[i] = NullValue
		}
		args = padded
	}
	for i, p := range f.Params {
		if err := checkParam(p, args[i]); err != nil {
			return nil, err
		}
	}
	if err := th.enter(); err != nil {
		return nil, err
	}
	v, err := f.Impl(th, args)
	th.leave()
	return f.checkReturn(v, err)
}

// call1 calls f with one argument, without allocating an argument slice
// when f has a one-argument fast path (closures such as `each`).
func call1(th *Thread, f *Function, arg Value) (Value, error) {
	if f.impl1 == nil || len(f.Params) != 1 {
		return Call(th, f, []Value{arg})
	}
	if err := checkParam(f.Params[0], arg); err != nil {
		return nil, err
	}
	if err := th.enter(); err != nil {
		return nil, err
	}
	v, err := f.impl1(th, arg)
	th.leave()
	return f.checkReturn(v, err)
}

func checkParam(p Param, v Value) error {
	if p.Type == nil || p.Type.Base == BaseAny {
		return nil
	}
	t := p.Type
	if p.Optional {
		t = t.AsNullable()
	}
	if !t.Conforms(v) {
		return convertErr(v, t)
	}
	return nil
}

func (f *Function) checkReturn(v Value, err error) (Value, error) {
	if err != nil {
		return nil, err
	}
	if f.Return != nil && f.Return.Base != BaseAny && !f.Return.Conforms(v) {
		return nil, convertErr(v, f.Return)
	}
	return v, nil
}

func (f *Function) arityDetail(n int) Value {
	return NewRecord(
		Field{"Pattern", NullValue},
		Field{"Arguments", Num(float64(n))},
	)
}
