package mockcdr

import (
	"strings"
	"testing"
)

func TestNormalizeAQL(t *testing.T) {
	base := "SELECT e/ehr_id/value AS id FROM EHR e[ehr_id/value=$ehr_id] WHERE x >= $min ORDER BY t DESC"
	want, err := NormalizeAQL(base)
	if err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{
		"select e/ehr_id/value as id\n\tfrom EHR e[ehr_id/value = $ehr_id]  where x>=$min order by t desc",
		"SELECT e/ehr_id/value AS id FROM ehr e [ ehr_id/value=:ehr_id ] WHERE x >= :min ORDER BY t DESC",
		"SELECT e/ehr_id/value AS id FROM EHR e[ehr_id/value=$ehr_id] WHERE x >= $min ORDER BY t DESC LIMIT 10 OFFSET 20",
		"SELECT TOP 3 e/ehr_id/value AS id FROM EHR e[ehr_id/value=$ehr_id] WHERE x >= $min ORDER BY t DESC",
	} {
		got, err := NormalizeAQL(q)
		if err != nil {
			t.Errorf("%q: %v", q, err)
		} else if got != want {
			t.Errorf("NormalizeAQL(%q)\n got %q\nwant %q", q, got, want)
		}
	}
	// Identifiers and string literals stay case-sensitive.
	for _, q := range []string{
		"SELECT E/ehr_id/value AS id FROM EHR e[ehr_id/value=$ehr_id] WHERE x >= $min ORDER BY t DESC",
		"SELECT e/ehr_id/value AS id FROM EHR e[ehr_id/value=$ehr_id] WHERE x >= $min2 ORDER BY t DESC",
	} {
		if got, _ := NormalizeAQL(q); got == want {
			t.Errorf("%q normalised like %q", q, base)
		}
	}
	a, _ := NormalizeAQL("SELECT a FROM EHR e WHERE n = 'Select  X'")
	if !strings.Contains(a, "'Select  X'") {
		t.Errorf("string literal changed: %q", a)
	}
}

func TestParseAQLPaging(t *testing.T) {
	tests := []struct {
		q                        string
		limit, offset, top       int
		hasLimit, hasOff, hasTop bool
	}{
		{q: "SELECT a FROM EHR e LIMIT 5", limit: 5, hasLimit: true},
		{q: "SELECT a FROM EHR e limit 5 offset 10", limit: 5, offset: 10, hasLimit: true, hasOff: true},
		{q: "SELECT TOP 7 a FROM EHR e", top: 7, hasTop: true},
		{q: "SELECT a FROM EHR e WHERE a = 'LIMIT 5'"},
		{q: "SELECT a FROM EHR e[limit=1]"},
	}
	for _, tt := range tests {
		p, err := parseAQL(tt.q, false)
		if err != nil {
			t.Errorf("%q: %v", tt.q, err)
			continue
		}
		if p.hasLimit != tt.hasLimit || p.hasOffset != tt.hasOff || p.hasTop != tt.hasTop ||
			p.limit != tt.limit || p.offset != tt.offset || p.top != tt.top {
			t.Errorf("%q: got %+v", tt.q, p)
		}
	}
	for _, q := range []string{"", "SELECT a FROM EHR e LIMIT", "SELECT a FROM EHR e LIMIT x", "SELECT a FROM EHR e LIMIT 5 ORDER BY a", "SELECT 'open"} {
		if _, err := parseAQL(q, false); err == nil {
			t.Errorf("parseAQL(%q) succeeded, want an error", q)
		}
	}
}

func TestParamsAndColon(t *testing.T) {
	p, err := parseAQL("SELECT a FROM EHR e WHERE a > $x AND b = :y AND c = $x", true)
	if err != nil {
		t.Fatal(err)
	}
	if strings.Join(p.params, ",") != "x,y" {
		t.Errorf("params %v, want [x y]", p.params)
	}
	// Without colon parameters, :y is not a parameter, so the key differs.
	q, _ := parseAQL("SELECT a FROM EHR e WHERE b = :y", false)
	d, _ := parseAQL("SELECT a FROM EHR e WHERE b = $y", false)
	if q.key == d.key {
		t.Error(":y and $y normalise alike on a server without colon parameters")
	}
	got := substituteParams("SELECT a FROM EHR e WHERE a >= $n AND b = $s AND c = '$n' AND d = :n", map[string]any{"n": 140.0, "s": "it's"}, true)
	want := `SELECT a FROM EHR e WHERE a >= 140 AND b = 'it\'s' AND c = '$n' AND d = 140`
	if got != want {
		t.Errorf("substituteParams\n got %s\nwant %s", got, want)
	}
}
