package eval

import "testing"

// Cases for the tier 3 date, number, list, text and splitter functions,
// written from the documented behaviour in the M function reference.

func TestLibDate3(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Date.AddMonths(#date(2024, 1, 31), 1)`, want: `#date(2024, 2, 29)`},
		{src: `Date.AddMonths(#datetime(2023, 3, 31, 5, 6, 7), -1)`, want: `#datetime(2023, 2, 28, 5, 6, 7)`},
		{src: `Date.AddYears(#date(2024, 2, 29), 1)`, want: `#date(2025, 2, 28)`},
		{src: `Date.AddQuarters(#date(2024, 11, 15), 1)`, want: `#date(2025, 2, 15)`},
		{src: `Date.AddWeeks(#date(2024, 1, 1), 2)`, want: `#date(2024, 1, 15)`},
		{src: `Date.AddMonths(null, 1)`, want: `null`},
		{src: `Date.AddMonths("x", 1)`, reason: "Expression.Error", msg: "We cannot convert the value \"x\" to type Date."},
		{src: `Date.DayOfWeek(#date(2011, 2, 21), Day.Sunday)`, want: `1`},
		{src: `Date.DayOfWeek(#date(2011, 2, 21), Day.Monday)`, want: `0`},
		{src: `Date.DayOfYear(#date(2011, 3, 1))`, want: `60`},
		{src: `Date.DaysInMonth(#date(2024, 2, 1))`, want: `29`},
		{src: `Date.QuarterOfYear(#date(2011, 12, 31))`, want: `4`},
		{src: `Date.WeekOfYear(#date(2011, 3, 27))`, want: `14`},
		{src: `Date.WeekOfYear(#date(2011, 3, 27), Day.Monday)`, want: `13`},
		{src: `Date.WeekOfMonth(#date(2011, 6, 15))`, want: `3`},
		{src: `Date.IsLeapYear(#date(1900, 1, 1))`, want: `false`},
		{src: `Date.StartOfMonth(#datetime(2011, 10, 10, 8, 0, 0))`, want: `#datetime(2011, 10, 1, 0, 0, 0)`},
		{src: `Date.EndOfMonth(#date(2011, 5, 14))`, want: `#date(2011, 5, 31)`},
		{src: `Date.EndOfMonth(#datetime(2011, 5, 14, 1, 2, 3))`, want: `#datetime(2011, 5, 31, 23, 59, 59.9999999)`},
		{src: `Date.StartOfYear(#date(2011, 5, 14))`, want: `#date(2011, 1, 1)`},
		{src: `Date.EndOfYear(#date(2011, 5, 14))`, want: `#date(2011, 12, 31)`},
		{src: `Date.StartOfQuarter(#date(2011, 10, 10))`, want: `#date(2011, 10, 1)`},
		{src: `Date.EndOfQuarter(#date(2011, 10, 10))`, want: `#date(2011, 12, 31)`},
		{src: `Date.StartOfWeek(#date(2011, 10, 11))`, want: `#date(2011, 10, 9)`},
		{src: `Date.StartOfWeek(#date(2011, 10, 11), Day.Monday)`, want: `#date(2011, 10, 10)`},
		{src: `Date.EndOfWeek(#date(2011, 10, 11))`, want: `#date(2011, 10, 15)`},
		{src: `Date.StartOfDay(#datetimezone(2011, 10, 10, 8, 0, 0, -7, 0))`, want: `#datetimezone(2011, 10, 10, 0, 0, 0, -7, 0)`},
		{src: `Date.ToRecord(#date(2011, 12, 31))`, want: `[Year = 2011, Month = 12, Day = 31]`},
		{src: `Date.FromRecord([Year = 2011, Month = 12, Day = 31])`, want: `#date(2011, 12, 31)`},
		{src: `DateTime.ToRecord(#datetime(2011, 12, 31, 11, 56, 2))`, want: `[Year = 2011, Month = 12, Day = 31, Hour = 11, Minute = 56, Second = 2]`},
		{src: `DateTimeZone.ToRecord(#datetimezone(2011, 12, 31, 11, 56, 2, 8, 0))[ZoneHours]`, want: `8`},
		{src: `DateTime.Time(#datetime(2010, 12, 31, 11, 56, 2))`, want: `#time(11, 56, 2)`},
		{src: `Time.Hour(#datetime(2011, 12, 31, 9, 15, 36.5))`, want: `9`},
		{src: `Time.Second(#time(9, 15, 36.5))`, want: `36.5`},
		{src: `Time.ToText(#time(11, 56, 2), "hh:mm")`, want: `"11:56"`},
		{src: `Time.ToRecord(#time(11, 56, 2))`, want: `[Hour = 11, Minute = 56, Second = 2]`},
		{src: `Time.StartOfHour(#datetime(2011, 10, 10, 8, 10, 32))`, want: `#datetime(2011, 10, 10, 8, 0, 0)`},
		{src: `Duration.Days(#duration(5, 4, 3, 2))`, want: `5`},
		{src: `Duration.Hours(#duration(5, 4, 3, 2))`, want: `4`},
		{src: `Duration.Seconds(#duration(0, 0, 0, 2.5))`, want: `2.5`},
		{src: `Duration.ToText(#duration(2, 5, 55, 20))`, want: `"2.05:55:20"`},
		{src: `Duration.ToRecord(#duration(2, 5, 55, 20))`, want: `[Days = 2, Hours = 5, Minutes = 55, Seconds = 20]`},
		{src: `DateTimeZone.ZoneHours(#datetimezone(2011, 1, 1, 0, 0, 0, -8, -30))`, want: `-8`},
		{src: `DateTimeZone.SwitchZone(#datetimezone(2010, 12, 31, 11, 56, 2, 7, 30), 8)`, want: `#datetimezone(2010, 12, 31, 12, 26, 2, 8, 0)`},
		{src: `DateTime.FromFileTime(129876402529842240)`, want: `#datetime(2012, 7, 24, 21, 50, 52.984224)`},
	})
}

func TestLibNumber3(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Number.Log(2, 4)`, want: `0.5`},
		{src: `Number.Log10(1000)`, want: `3`},
		{src: `Number.Log(null)`, want: `null`},
		{src: `Number.Factorial(10)`, want: `3628800`},
		{src: `Number.Combinations(5, 3)`, want: `10`},
		{src: `Number.Permutations(5, 3)`, want: `60`},
		{src: `Number.BitwiseShiftLeft(1, 4)`, want: `16`},
		{src: `Number.BitwiseShiftRight(256, 4)`, want: `16`},
		{src: `Number.BitwiseNot(0)`, want: `-1`},
		{src: `Number.BitwiseNot(1.5)`, reason: "Expression.Error", msg: "The number must be an integer."},
		{src: `Number.Atan2(1, 1) * 4 = Number.PI`, want: `true`},
		{src: `Number.Cos(0)`, want: `1`},
		{src: `Number.IsNaN(Number.NaN)`, want: `true`},
		{src: `Number.PositiveInfinity`, want: `#infinity`},
	})
}

func TestLibList3(t *testing.T) {
	runCases(t, []evalCase{
		{src: `List.Intersect({{1..5}, {2..6}, {3..7}})`, want: `{3, 4, 5}`},
		{src: `List.Union({{1..5}, {2..6}, {3..7}})`, want: `{1, 2, 3, 4, 5, 6, 7}`},
		{src: `List.Union({{1, 1}, {1}})`, want: `{1, 1}`},
		{src: `List.Product({1, 2, 3, 4})`, want: `24`},
		{src: `List.Product({})`, want: `null`},
		{src: `List.NonNullCount({1, null, 2})`, want: `2`},
		{src: `List.Positions({"a", "b"})`, want: `{0, 1}`},
		{src: `List.IsDistinct({1, 2, 3})`, want: `true`},
		{src: `List.IsDistinct({"a", "A"}, Comparer.OrdinalIgnoreCase)`, want: `false`},
		{src: `List.ReplaceValue({"a", "B", "a"}, "a", "A", Replacer.ReplaceValue)`, want: `{"A", "B", "A"}`},
		{src: `List.ReplaceMatchingItems({1, 2, 3, 4, 5}, {{5, -5}, {1, -1}})`, want: `{-1, 2, 3, 4, -5}`},
		{src: `List.ReplaceRange({1, 2, 7, 8, 9, 5}, 2, 3, {3, 4})`, want: `{1, 2, 3, 4, 5}`},
		{src: `List.RemoveRange({1, 2, 3, 4, -6, -2, -1, 5}, 4, 3)`, want: `{1, 2, 3, 4, 5}`},
		{src: `List.RemoveRange({1}, 4)`, reason: "Expression.Error", msg: "There weren't enough elements in the enumeration to complete the operation."},
		{src: `List.RemoveFirstN({1, 2, 3, 4, 5}, 3)`, want: `{4, 5}`},
		{src: `List.RemoveFirstN({5, 4, 2, 6, 1}, each _ > 3)`, want: `{2, 6, 1}`},
		{src: `List.RemoveLastN({1, 2, 3, 4, 5}, 3)`, want: `{1, 2}`},
		{src: `List.RemoveLastN({5, 4, 2, 6, 4}, each _ > 3)`, want: `{5, 4, 2}`},
		{src: `List.Alternate({1..10}, 1)`, want: `{2, 4, 6, 8, 10}`},
		{src: `List.Alternate({1..10}, 1, 1, 1)`, want: `{1, 3, 5, 7, 9}`},
		{src: `List.Alternate({1..10}, 1, 2, 1)`, want: `{1, 3, 4, 6, 7, 9, 10}`},
		{src: `List.Split({1..5}, 2)`, want: `{{1, 2}, {3, 4}, {5}}`},
		{src: `List.Dates(#date(2011, 12, 31), 3, #duration(1, 0, 0, 0))`, want: `{#date(2011, 12, 31), #date(2012, 1, 1), #date(2012, 1, 2)}`},
		{src: `List.DateTimes(#datetime(2011, 12, 31, 23, 55, 0), 2, #duration(0, 0, 1, 0))`, want: `{#datetime(2011, 12, 31, 23, 55, 0), #datetime(2011, 12, 31, 23, 56, 0)}`},
		{src: `List.Durations(#duration(0, 1, 0, 0), 2, #duration(0, 1, 0, 0))`, want: `{#duration(0, 1, 0, 0), #duration(0, 2, 0, 0)}`},
		{src: `List.Times(#time(23, 0, 0), 2, #duration(0, 1, 0, 0))`, want: `{#time(23, 0, 0), #time(0, 0, 0)}`},
		{src: `List.MaxN({3, 4, 5, -1, 7, 8, 2}, 5)`, want: `{8, 7, 5, 4, 3}`},
		{src: `List.MinN({3, 4, 5, -1, 7, 8, 2}, 5)`, want: `{-1, 2, 3, 4, 5}`},
		{src: `List.Median({5, 3, 1, 7, 9})`, want: `5`},
		{src: `List.Median({1, 2, 3, 4})`, want: `2.5`},
		{src: `List.Mode({"A", 1, 2, 3, 3, 4, 5})`, want: `3`},
		{src: `List.Mode({"A", 1, 2, 3, 3, 4, 5, 5})`, want: `5`},
		{src: `List.Modes({"A", 1, 2, 3, 3, 4, 5, 5})`, want: `{3, 5}`},
		{src: `List.StandardDeviation({1..5})`, want: `1.5811388300841898`},
		{src: `List.FindText({"Alpha", "Beta", "Gamma"}, "a")`, want: `{"Alpha", "Beta", "Gamma"}`},
		{src: `List.FindText({"Alpha", "Beta", 3}, "l")`, want: `{"Alpha"}`},
		{src: `List.PositionOfAny({1, 2, 3}, {3, 2})`, want: `1`},
		{src: `List.PositionOfAny({1, 2, 3, 2}, {2}, Occurrence.All)`, want: `{1, 3}`},
	})
}

func TestLibText3(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Text.ReplaceRange("ABGF", 2, 1, "CDE")`, want: `"ABCDEF"`},
		{src: `Text.RemoveRange("ABEFC", 2)`, want: `"ABFC"`},
		{src: `Text.RemoveRange("ABEFC", 2, 2)`, want: `"ABC"`},
		{src: `Text.RemoveRange("AB", 2, 2)`, reason: "Expression.Error", msg: "out of range"},
		{src: `Text.PositionOfAny("Hello, World!", {"W"})`, want: `7`},
		{src: `Text.PositionOfAny("Hello, World!", {"H", "W"}, Occurrence.All)`, want: `{0, 7}`},
		{src: `Splitter.SplitTextByLengths({5, 2})("RedmondWA98052")`, want: `{"Redmo", "nd"}`},
		{src: `Splitter.SplitTextByPositions({0, 5, 7})("RedmondWA98052")`, want: `{"Redmo", "nd", "WA98052"}`},
		{src: `Splitter.SplitTextByRanges({{0, 4}, {2, 10}})("codelimiter")`, want: `{"code", "delimiter"}`},
		{src: `Splitter.SplitTextByWhitespace()("a  b" & "#(tab)c")`, want: `{"a", "b", "c"}`},
		{src: `Splitter.SplitTextByEachDelimiter({",", ";"})("a,b;c;d")`, want: `{"a", "b", "c;d"}`},
		{src: `Splitter.SplitTextByCharacterTransition(Text.ToList("abcdefghijklmnopqrstuvwxyz"), Text.ToList("ABCDEFGHIJKLMNOPQRSTUVWXYZ"))("camelCaseText")`, want: `{"camel", "Case", "Text"}`},
		{src: `Combiner.CombineTextByEachDelimiter({"=", "+"})({"a", "b", "c"})`, want: `"a=b+c"`},
		{src: `Combiner.CombineTextByLengths({1, 2, 3})({"a", "b", "c"})`, want: `"ab c  "`},
		{src: `Combiner.CombineTextByPositions({0, 5, 10})({"abc", "def", "ghi"})`, want: `"abc  def  ghi"`},
	})
}

// TestLibBoundedLoops: huge counts must not loop for long.
func TestLibBoundedLoops(t *testing.T) {
	runCases(t, []evalCase{
		{src: `Number.Combinations(4000000000, 3999999999)`, want: `4000000000`},
		{src: `Number.Combinations(4000000000, 2000000000)`, want: `#infinity`},
		{src: `Number.Permutations(4000000000, 4000000000)`, want: `#infinity`},
		{src: `Table.RowCount(Table.Repeat(#table({"A"}, {}), 4000000000))`, want: `0`},
	})
}

func TestLibCombinerBounds(t *testing.T) {
	th := NewThread(nil, testHost())
	th.Limits.MaxTextLen = 1 << 10
	for _, src := range []string{`Combiner.CombineTextByLengths({4000000000})({"a"})`, `Combiner.CombineTextByPositions({0, 4000000000})({"a", "b"})`} {
		_, err := th.EvalSource("t.pq", []byte(src))
		if me := AsError(err); err == nil || me != nil {
			t.Errorf("%s: %v, want a fatal text size error", src, err)
		}
	}
}
