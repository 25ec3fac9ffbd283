package pqtest

import "testing"

// TestSameKeys checks how table keys count when a .pqout is compared: an
// output written without keys (as PQTest may write a navigation table)
// still matches, while an output that states other keys does not.
func TestSameKeys(t *testing.T) {
	const actual = `#table(Type.AddTableKey(type table [Name = text, Data = any], {"Name"}, true), {{"a", 1}})`
	for _, tc := range []struct {
		expected string
		want     bool
	}{
		{actual, true},
		{`#table(Type.AddTableKey(type table [Name=text, Data=any], {"Name"}, true), {{"a", 1}})`, true},
		{`#table(type table [Name = text, Data = any], {{"a", 1}})`, true},
		{"\ufeff#table(type table [Name = text, Data = any], {{\"a\", 1}})\r\n", true},
		{`#table(type table [Name = text, Data = any], {{"a", 2}})`, false},
		{`#table(type table [Name = text, Data = number], {{"a", 1}})`, false},
		{`#table(Type.AddTableKey(type table [Name = text, Data = any], {"Data"}, true), {{"a", 1}})`, false},
		{`#table(Type.AddTableKey(type table [Name = text, Data = any], {"Name"}, false), {{"a", 1}})`, false},
	} {
		if got := same(&Options{}, tc.expected, actual); got != tc.want {
			t.Errorf("same(%s) = %v, want %v", tc.expected, got, tc.want)
		}
	}
}
