package eval

import (
	"math"
)

// Number.* beyond arithmetic: logarithms, trigonometry, combinatorics,
// bit shifts and the named constants.

func init() {
	registerValue("Number.PI", Num(math.Pi))
	registerValue("Number.E", Num(math.E))
	registerValue("Number.Epsilon", Num(math.SmallestNonzeroFloat64))
	registerValue("Number.NaN", Num(math.NaN()))
	registerValue("Number.PositiveInfinity", Num(math.Inf(1)))
	registerValue("Number.NegativeInfinity", Num(math.Inf(-1)))
	n1 := func(name string, f func(float64) float64) *Function {
		return builtin(name, "number as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			return Num(f(a[0].(Number).F)), nil
		})
	}
	register(
		n1("Number.Log10", math.Log10),
		n1("Number.Acos", math.Acos), n1("Number.Asin", math.Asin), n1("Number.Atan", math.Atan),
		n1("Number.Cos", math.Cos), n1("Number.Cosh", math.Cosh), n1("Number.Sin", math.Sin),
		n1("Number.Sinh", math.Sinh), n1("Number.Tan", math.Tan), n1("Number.Tanh", math.Tanh),
		builtin("Number.Log", "number as nullable number, optional base as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			x := a[0].(Number).F
			if b, ok := a[1].(Number); ok {
				return Num(math.Log(x) / math.Log(b.F)), nil
			}
			return Num(math.Log(x)), nil
		}),
		builtin("Number.Atan2", "y as nullable number, x as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) || isNull(a[1]) {
				return NullValue, nil
			}
			return Num(math.Atan2(a[0].(Number).F, a[1].(Number).F)), nil
		}),
		builtin("Number.Factorial", "number as nullable number", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			n := 0
			if err := unpack(th, a, &n); err != nil {
				return nil, err
			}
			if n < 0 {
				return nil, argRange("number")
			}
			f := 1.0
			for i := 2; i <= n && !math.IsInf(f, 1); i++ {
				f *= float64(i)
			}
			return Num(f), nil
		}),
		builtin("Number.Combinations", "setSize as nullable number, combinationSize as nullable number", func(th *Thread, a []Value) (Value, error) {
			return combinatoric(th, a, true)
		}),
		builtin("Number.Permutations", "setSize as nullable number, permutationSize as nullable number", func(th *Thread, a []Value) (Value, error) {
			return combinatoric(th, a, false)
		}),
		builtin("Number.BitwiseNot", "number as any", func(th *Thread, a []Value) (Value, error) {
			if isNull(a[0]) {
				return NullValue, nil
			}
			n, err := int64Arg(th, a[0])
			if err != nil {
				return nil, err
			}
			return Num(float64(^n)), nil
		}),
		builtin("Number.BitwiseShiftLeft", "number1 as nullable number, number2 as nullable number", func(th *Thread, a []Value) (Value, error) {
			return shift(th, a, true)
		}),
		builtin("Number.BitwiseShiftRight", "number1 as nullable number, number2 as nullable number", func(th *Thread, a []Value) (Value, error) {
			return shift(th, a, false)
		}),
	)
}

func int64Arg(th *Thread, v Value) (int64, error) {
	n, ok := v.(Number)
	if !ok {
		return 0, typeErr(v, "number")
	}
	if n.F != math.Trunc(n.F) || math.Abs(n.F) > 1<<63 {
		return 0, NewErrorDetail("Expression.Error", "The number must be an integer.", v)
	}
	return int64(n.F), nil
}

func shift(th *Thread, a []Value, left bool) (Value, error) {
	if isNull(a[0]) || isNull(a[1]) {
		return NullValue, nil
	}
	x, err := int64Arg(th, a[0])
	if err != nil {
		return nil, err
	}
	s, err := int64Arg(th, a[1])
	if err != nil {
		return nil, err
	}
	s &= 63 // .NET masks the shift count of a 64-bit integer
	if left {
		return Num(float64(x << s)), nil
	}
	return Num(float64(x >> s)), nil
}

func combinatoric(th *Thread, a []Value, choose bool) (Value, error) {
	if isNull(a[0]) || isNull(a[1]) {
		return NullValue, nil
	}
	var n, k int
	if err := unpack(th, a, &n, &k); err != nil {
		return nil, err
	}
	if n < 0 || k < 0 || k > n {
		return nil, argRange("setSize")
	}
	if choose {
		k = min(k, n-k) // C(n, k) = C(n, n-k) keeps the loop short
	}
	r := 1.0
	for i := 0; i < k && !math.IsInf(r, 1); i++ {
		r *= float64(n - i)
		if choose {
			r /= float64(i + 1)
		}
	}
	return Num(math.Round(r)), nil
}
