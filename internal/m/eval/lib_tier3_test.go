package eval

import "testing"

// Tier 3 behaviour checked against the examples and parameter lists of the
// function reference (our own inputs where the reference has none).

func TestNumberRoundModes(t *testing.T) {
	runCases(t, []evalCase{
		{src: `{RoundingMode.Up, RoundingMode.Down, RoundingMode.AwayFromZero, RoundingMode.TowardZero, RoundingMode.ToEven}`, want: `{0, 1, 2, 3, 4}`},
		{src: `Number.Round(-1.234)`, want: `-1`},
		{src: `Number.Round(1.56)`, want: `2`},
		{src: `Number.Round(1.2345, 2)`, want: `1.23`},
		{src: `Number.Round(1.2345, 3, RoundingMode.Down)`, want: `1.234`},
		{src: `Number.Round(1.2345, 3, RoundingMode.Up)`, want: `1.235`},
		{src: `Number.Round(-1.2345, 3, RoundingMode.Up)`, want: `-1.234`},
		// The mode decides ties only; the default is to even.
		{src: `List.Transform({2.5, 3.5, -2.5}, Number.Round)`, want: `{2, 4, -2}`},
		{src: `List.Transform({2.5, -2.5, 2.4, -2.6}, each Number.Round(_, 0, RoundingMode.AwayFromZero))`, want: `{3, -3, 2, -3}`},
		{src: `List.Transform({2.5, -2.5, 2.6}, each Number.Round(_, 0, RoundingMode.TowardZero))`, want: `{2, -2, 3}`},
		{src: `List.Transform({2.5, -2.5}, each Number.Round(_, 0, RoundingMode.Down))`, want: `{2, -3}`},
		{src: `List.Transform({2.5, -2.5}, each Number.Round(_, 0, RoundingMode.Up))`, want: `{3, -2}`},
		{src: `Number.Round(2.675, 2)`, want: `2.68`},
		{src: `Number.Round(1250, -2)`, want: `1200`},
		{src: `Number.Round(null, 2, RoundingMode.Up)`, want: `null`},
		{src: `Number.Round(1e300, 2)`, want: `1E+300`},
		{src: `Number.Round(#nan)`, want: `#nan`},
		{src: `Number.Round(1, 0, 5)`, reason: "Expression.Error", msg: "The 'roundingMode' argument is out of range."},
		{src: `Number.Round(1, 16)`, reason: "Expression.Error", msg: "The 'digits' argument is out of range."},
		{src: `Number.Round("1")`, reason: "Expression.Error", msg: "We cannot convert the value \"1\" to type Number."},
		{src: `Number.RoundAwayFromZero(-1.2)`, want: `-2`},
		{src: `Number.RoundAwayFromZero(1.2)`, want: `2`},
		{src: `Number.RoundAwayFromZero(-1.234, 2)`, want: `-1.24`},
		{src: `Number.RoundAwayFromZero(3)`, want: `3`},
		{src: `Number.RoundAwayFromZero(null)`, want: `null`},
		{src: `List.Sum({1, 2}, Precision.Double)`, want: `3`},
		{src: `List.Sum({1, 2}, Precision.Decimal)`, reason: "Expression.Error", msg: "Precision.Decimal is not supported by the pqx evaluator"},
		{src: `{Number.RoundUp(1.2345, 3), Number.RoundDown(-1.5), Number.RoundTowardZero(-1.7), Number.RoundUp(1e300, 2)}`, want: `{1.235, -2, -1, 1E+300}`},
	})
}

// callLib calls impl as the library function sig declares, with arguments
// evaluated from src (an M list expression).
func callLib(t *testing.T, name, sig string, impl func(*Thread, []Value) (Value, error), src string) (string, error) {
	t.Helper()
	th := NewThread(nil, testHost())
	v, err := th.EvalSource("args.pq", []byte(src))
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	args, err := v.(*List).Values(th)
	if err != nil {
		t.Fatalf("%s: %v", src, err)
	}
	r, err := Call(th, builtin(name, sig, impl), args)
	if err != nil {
		return "", err
	}
	if err := th.DeepForce(r); err != nil {
		return "", err
	}
	return Serialize(th, r), nil
}

func TestListPositionOfOccurrence(t *testing.T) {
	const sig = "list as list, value as any, optional occurrence as nullable number, optional equationCriteria as any"
	for _, c := range []struct{ args, want, msg string }{
		{args: `{{1, 2, 3}, 3}`, want: `2`},
		{args: `{{1, 2, 3, 2}, 2, Occurrence.First}`, want: `1`},
		{args: `{{1, 2, 3, 2}, 2, Occurrence.Last}`, want: `3`},
		{args: `{{1, 2, 3, 2}, 2, Occurrence.All}`, want: `{1, 3}`},
		{args: `{{1, 2}, 5}`, want: `-1`},
		{args: `{{1, 2}, 5, Occurrence.Last}`, want: `-1`},
		{args: `{{1, 2}, 5, Occurrence.All}`, want: `{}`},
		{args: `{{"a", "A", "b"}, "a", Occurrence.All, Comparer.OrdinalIgnoreCase}`, want: `{0, 1}`},
		{args: `{{1, 2.0}, 2}`, want: `1`},
		{args: `{{1}, 1, 3}`, msg: "The 'occurrence' argument is out of range."},
	} {
		got, err := callLib(t, "List.PositionOf", sig, listPositionOf, c.args)
		switch {
		case c.msg != "" && (err == nil || AsError(err) == nil || AsError(err).Message() != c.msg):
			t.Errorf("List.PositionOf%s: got %q, %v; want error %q", c.args, got, err, c.msg)
		case c.msg == "" && (err != nil || got != c.want):
			t.Errorf("List.PositionOf%s: got %s, %v; want %s", c.args, got, err, c.want)
		}
	}
}

func TestListMaxMinCriteria(t *testing.T) {
	const sig = "list as list, optional default as any, optional comparisonCriteria as any, optional includeNulls as nullable logical"
	max := func(th *Thread, a []Value) (Value, error) { return listExtreme(th, a, 1) }
	min := func(th *Thread, a []Value) (Value, error) { return listExtreme(th, a, -1) }
	for _, c := range []struct {
		max  bool
		args string
		want string
		msg  string
	}{
		{max: true, args: `{{1, 4, 7, 3, -2, 5}, 1}`, want: `7`},
		{max: true, args: `{{}, -1}`, want: `-1`},
		{max: false, args: `{{1, 4, 7, 3, -2, 5}}`, want: `-2`},
		{max: false, args: `{{}}`, want: `null`},
		// A key selector, a comparer and {selector, order}.
		{max: true, args: `{{1, 5, 3}, null, each -_}`, want: `1`},
		{max: true, args: `{{"a", "B"}, null, Comparer.OrdinalIgnoreCase}`, want: `"B"`},
		{max: true, args: `{{"a", "B"}}`, want: `"a"`},
		{max: true, args: `{{[n = 1], [n = 3], [n = 2]}, null, each [n]}`, want: `[n = 3]`},
		{max: false, args: `{{[n = 1], [n = 3]}, null, {each [n], Order.Descending}}`, want: `[n = 3]`},
		{max: true, args: `{{1, 2}, null, (x, y) => y - x}`, want: `1`},
		// The first of equal items wins.
		{max: true, args: `{{[k = 1, i = "first"], [k = 1, i = "second"]}, null, each [k]}`, want: `[k = 1, i = "first"]`},
		// Nulls are left out unless includeNulls; null orders first.
		{max: false, args: `{{3, null, 1}}`, want: `1`},
		{max: false, args: `{{3, null, 1}, null, null, true}`, want: `null`},
		{max: true, args: `{{null, null}, "none"}`, want: `"none"`},
		{max: true, args: `{{1, "a"}}`, msg: "We cannot apply operator < to types Text and Number."},
		{max: true, args: `{{1, 2}, null, "bad"}`, msg: "The comparison criteria isn't valid."},
	} {
		impl, name := min, "List.Min"
		if c.max {
			impl, name = max, "List.Max"
		}
		got, err := callLib(t, name, sig, impl, c.args)
		switch {
		case c.msg != "" && (err == nil || AsError(err) == nil || AsError(err).Message() != c.msg):
			t.Errorf("%s%s: got %q, %v; want error %q", name, c.args, got, err, c.msg)
		case c.msg == "" && (err != nil || got != c.want):
			t.Errorf("%s%s: got %s, %v; want %s", name, c.args, got, err, c.want)
		}
	}
}

// Conversions to date and time kinds as the reference lists them for
// Date.From, DateTime.From and Time.From; pqx's local zone is UTC.
func TestDateTimeFromKinds(t *testing.T) {
	runCases(t, []evalCase{
		{src: `DateTime.From(#time(7, 8, 9))`, want: `#datetime(1899, 12, 30, 7, 8, 9)`},
		{src: `DateTime.From(#date(2001, 5, 6))`, want: `#datetime(2001, 5, 6, 0, 0, 0)`},
		{src: `DateTime.From(#datetimezone(2024, 1, 2, 23, 0, 0, -5, 0))`, want: `#datetime(2024, 1, 3, 4, 0, 0)`},
		{src: `DateTime.From(#datetimezone(2024, 1, 2, 1, 30, 0, 2, 0))`, want: `#datetime(2024, 1, 1, 23, 30, 0)`},
		{src: `Date.From(#datetimezone(2024, 1, 2, 23, 0, 0, -5, 0))`, want: `#date(2024, 1, 3)`},
		{src: `Date.From(#datetime(1899, 12, 30, 6, 45, 12))`, want: `#date(1899, 12, 30)`},
		{src: `Time.From(#datetimezone(2024, 1, 2, 23, 15, 0, -5, 0))`, want: `#time(4, 15, 0)`},
		{src: `Time.From(#datetime(2001, 5, 6, 7, 8, 9))`, want: `#time(7, 8, 9)`},
		{src: `Time.From(0.25)`, want: `#time(6, 0, 0)`},
		{src: `Time.From(1.25)`, reason: "Expression.Error", msg: "We cannot convert the value 1.25 to type Time."},
		{src: `Time.From(-0.25)`, reason: "Expression.Error", msg: "We cannot convert the value -0.25 to type Time."},
		{src: `Time.From(null)`, want: `null`},
		{src: `DateTime.From([a = 1])`, reason: "Expression.Error", msg: "We cannot convert a value of type Record to type DateTime."},
	})
}

func TestListDifferenceDuplicates(t *testing.T) {
	const sig = "list1 as list, list2 as list, optional equationCriteria as any"
	for _, c := range []struct{ args, want string }{
		{args: `{{1..8}, {2..3, 6}}`, want: `{1, 4, 5, 7, 8}`},
		{args: `{{2}, {1, 2, 3}}`, want: `{}`},
		{args: `{{4, 4, 4}, {4}}`, want: `{4, 4}`},
		{args: `{{4, 5, 4, 4}, {4, 4}}`, want: `{5, 4}`},
		{args: `{{"a", "A", "b"}, {"a"}}`, want: `{"A", "b"}`},
		{args: `{{"a", "A", "b"}, {"A", "a"}, Comparer.OrdinalIgnoreCase}`, want: `{"b"}`},
		{args: `{{1, 2.0, null, null}, {2, null}}`, want: `{1, null}`},
		{args: `{{[k = 1], [k = 2]}, {[k = 2]}}`, want: `{[k = 1]}`},
		{args: `{{10, 21, 32}, {1}, (x) => Number.Mod(x, 10)}`, want: `{10, 32}`},
	} {
		got, err := callLib(t, "List.Difference", sig, listDifference, c.args)
		if err != nil || got != c.want {
			t.Errorf("List.Difference%s: got %s, %v; want %s", c.args, got, err, c.want)
		}
	}
}
