package eval

import "math"

// Tier 3 functions whose earlier definitions missed documented behaviour,
// found by checking the library against the function reference:
//
//   - Number.Round had no roundingMode parameter (and RoundingMode.* did
//     not exist), so a three-argument call failed on arity;
//   - Number.RoundAwayFromZero rounded to nearest instead of away from zero
//     (the reference: -1.2 → -2, 1.2 → 2);
//   - List.PositionOf ignores its occurrence argument (Occurrence.Last,
//     Occurrence.All);
//   - List.Max and List.Min ignore comparisonCriteria and includeNulls;
//   - List.Difference removes every occurrence of an item of list2, where
//     the reference removes one per occurrence in list2 ({1, 1, 1} minus
//     {1} is {1, 1}).
//
// The list functions are registered in lib_list.go, which is being
// rewritten for streaming lists; listPositionOf, listExtreme and
// listDifference are the corrected implementations for that file to
// register (their tests call them directly until then).

// RoundingMode values as Power Query numbers them. They decide only ties.
const (
	roundUp           = 0
	roundDown         = 1
	roundAwayFromZero = 2
	roundTowardZero   = 3
	roundToEven       = 4
)

func init() {
	for name, v := range map[string]int{
		"RoundingMode.Up": roundUp, "RoundingMode.Down": roundDown, "RoundingMode.AwayFromZero": roundAwayFromZero,
		"RoundingMode.TowardZero": roundTowardZero, "RoundingMode.ToEven": roundToEven,
	} {
		registerValue(name, Num(float64(v)))
	}
	// Arithmetic is IEEE double (tier 4 defers decimal precision), so of
	// the Precision values only Precision.Double exists: code asking for
	// Precision.Decimal gets the "not supported" error for that name
	// instead of silently different digits.
	registerValue("Precision.Double", Num(0))
	register(
		builtin("Number.Round", "number as nullable number, optional digits as nullable number, optional roundingMode as nullable number", numberRound),
		builtin("Number.RoundAwayFromZero", "number as nullable number, optional digits as nullable number", func(th *Thread, a []Value) (Value, error) {
			return roundDigits(th, a[0], a[1], func(x float64) float64 {
				if x < 0 {
					return math.Floor(x)
				}
				return math.Ceil(x)
			})
		}),
	)
}

// roundDigits applies f to number scaled by 10^digits. Values that are
// already integral at that scale (beyond 2^52) are returned as they are,
// so huge numbers do not overflow on the way.
func roundDigits(th *Thread, num, digitsV Value, f func(float64) float64) (Value, error) {
	if isNull(num) {
		return NullValue, nil
	}
	digits := 0
	if err := unpack(th, []Value{digitsV}, &digits); err != nil {
		return nil, err
	}
	if digits < -15 || digits > 15 {
		return nil, argRange("digits")
	}
	x := num.(Number).F
	p := math.Pow(10, float64(digits))
	if math.IsNaN(x) || math.IsInf(x, 0) || math.Abs(x*p) >= 1<<52 {
		return Num(x), nil
	}
	// Round the scaled value at 1e-9 first so 2.675 * 100 rounds as the
	// decimal 267.5 would.
	scaled := math.Round(x*p*1e9) / 1e9
	return Num(f(scaled) / p), nil
}

func numberRound(th *Thread, a []Value) (Value, error) {
	mode := roundToEven
	if err := unpack(th, a[2:], &mode); err != nil {
		return nil, err
	}
	if mode < roundUp || mode > roundToEven {
		return nil, argRange("roundingMode")
	}
	return roundDigits(th, a[0], a[1], func(x float64) float64 {
		lo := math.Floor(x)
		switch d := x - lo; {
		case d < 0.5:
			return lo
		case d > 0.5:
			return lo + 1
		}
		switch mode {
		case roundUp:
			return lo + 1
		case roundDown:
			return lo
		case roundAwayFromZero:
			if x < 0 {
				return lo
			}
			return lo + 1
		case roundTowardZero:
			if x < 0 {
				return lo + 1
			}
			return lo
		}
		if math.Mod(lo, 2) == 0 {
			return lo
		}
		return lo + 1
	})
}

// listPositionOf implements List.PositionOf: the first position of value
// (Occurrence.First, the default), the last (Occurrence.Last), or the
// list of all of them (Occurrence.All); -1 or {} when absent.
func listPositionOf(th *Thread, a []Value) (Value, error) {
	l := a[0].(*List)
	occ := 0
	if err := unpack(th, a[2:3], &occ); err != nil {
		return nil, err
	}
	if occ < 0 || occ > 2 {
		return nil, argRange("occurrence")
	}
	var all []Value
	last := -1
	for i := 0; i < l.Len(); i++ {
		x, err := l.At(th, i)
		if err != nil {
			return nil, err
		}
		eq, err := equalBy(th, x, a[1], a[3])
		if err != nil {
			return nil, err
		}
		if !eq {
			continue
		}
		if occ == 0 {
			return Num(float64(i)), nil
		}
		last = i
		all = append(all, Num(float64(i)))
	}
	if occ == 2 {
		return NewList(all...), nil
	}
	return Num(float64(last)), nil
}

// comparison is a comparisonCriteria argument: null or an Order (compare
// values), a key selector (one parameter), a comparer (two parameters,
// returning a number), or {selector or comparer, order}.
type comparison struct {
	fn   *Function
	desc bool
}

func comparisonArg(th *Thread, v Value) (comparison, error) {
	switch c := v.(type) {
	case Null:
		return comparison{}, nil
	case Number:
		return comparison{desc: c.F == 1}, nil
	case *Function:
		return comparison{fn: c}, nil
	case *List:
		vals, err := c.Values(th)
		if err != nil {
			return comparison{}, err
		}
		if len(vals) == 2 {
			f, fok := vals[0].(*Function)
			o, ook := vals[1].(Number)
			if fok && ook {
				return comparison{fn: f, desc: o.F == 1}, nil
			}
		}
	}
	return comparison{}, NewErrorDetail("Expression.Error", "The comparison criteria isn't valid.", v)
}

// compare orders x and y under the criteria.
func (c comparison) compare(th *Thread, x, y Value) (int, error) {
	var n int
	switch {
	case c.fn == nil:
		var err error
		if n, err = Compare(th, x, y); err != nil {
			return 0, err
		}
	case len(c.fn.Params) >= 2 && c.fn.Required() <= 2:
		r, err := callFn(th, c.fn, x, y)
		if err != nil {
			return 0, err
		}
		num, ok := r.(Number)
		if !ok {
			return 0, typeErr(r, "number")
		}
		n = cmpFloat(num.F, 0)
	default:
		kx, err := callFn(th, c.fn, x)
		if err != nil {
			return 0, err
		}
		ky, err := callFn(th, c.fn, y)
		if err != nil {
			return 0, err
		}
		if n, err = Compare(th, kx, ky); err != nil {
			return 0, err
		}
	}
	if c.desc {
		n = -n
	}
	return n, nil
}

// listExtreme implements List.Max (sign 1) and List.Min (sign -1): the
// first greatest (least) item under the comparison criteria, nulls left
// out unless includeNulls is true, default when nothing is left.
func listExtreme(th *Thread, a []Value, sign int) (Value, error) {
	includeNulls := false
	if err := unpack(th, a[3:4], &includeNulls); err != nil {
		return nil, err
	}
	crit, err := comparisonArg(th, a[2])
	if err != nil {
		return nil, err
	}
	l := a[0].(*List)
	var best Value
	for i := 0; i < l.Len(); i++ {
		v, err := l.At(th, i)
		if err != nil {
			return nil, err
		}
		if isNull(v) && !includeNulls {
			continue
		}
		if best == nil {
			best = v
			continue
		}
		c, err := crit.compare(th, v, best)
		if err != nil {
			return nil, err
		}
		if c*sign > 0 {
			best = v
		}
	}
	if best == nil {
		return a[1], nil
	}
	return best, nil
}

// listDifference implements List.Difference: each item of list2 removes
// the first remaining equal item of list1, so duplicates in list1 survive
// as often as list2 does not name them.
func listDifference(th *Thread, a []Value) (Value, error) {
	l1, l2 := a[0].(*List), a[1].(*List)
	crit := a[2]
	vals1, err := l1.Values(th)
	if err != nil {
		return nil, err
	}
	vals2, err := l2.Values(th)
	if err != nil {
		return nil, err
	}
	removed := make([]bool, len(vals1))
	// Without criteria (or with the case-insensitive comparer) equal
	// scalars share a bucket, so the usual case is linear; other criteria
	// compare pairwise.
	hashed := isNull(crit) || ignoreCase(crit)
	buckets := map[string][]int{}
	if hashed {
		for i, v := range vals1 {
			h := hashKey([]Value{v}, !isNull(crit))
			buckets[h] = append(buckets[h], i)
		}
	}
	for _, w := range vals2 {
		candidates := buckets[hashKey([]Value{w}, !isNull(crit))]
		if !hashed {
			candidates = nil
			for i := range vals1 {
				candidates = append(candidates, i)
			}
		}
		for _, i := range candidates {
			if removed[i] {
				continue
			}
			eq, err := equalBy(th, vals1[i], w, crit)
			if err != nil {
				return nil, err
			}
			if eq {
				removed[i] = true
				break
			}
		}
	}
	out := make([]Value, 0, len(vals1))
	for i, v := range vals1 {
		if !removed[i] {
			out = append(out, v)
		}
	}
	return NewList(out...), nil
}
