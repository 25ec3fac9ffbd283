package mez

import (
	"slices"
	"testing"
)

func TestScanSection(t *testing.T) {
	src := `// section Fake;
/* section AlsoFake; [DataSource.Kind="Nope"] */
section   OpenEHR ;

[DataSource.Kind="OpenEHR", Publish="OpenEHR.Publish"]
shared OpenEHR.Contents = (url as text) => Web.Contents(url & "//not a comment");

[DataSource.Kind = "Open""EHR2"]
shared Other = 1;
[DataSource.Kind="OpenEHR"]
shared Again = 2;
x = "section Wrong;";
`
	got := ScanSection([]byte(src))
	if got.Section != "OpenEHR" {
		t.Errorf("section %q", got.Section)
	}
	if want := []string{"OpenEHR", `Open"EHR2`}; !slices.Equal(got.Kinds, want) {
		t.Errorf("kinds %q, want %q", got.Kinds, want)
	}
	if want := []string{"OpenEHR.Publish"}; !slices.Equal(got.Publish, want) {
		t.Errorf("publish %q", got.Publish)
	}
	if q := ScanSection([]byte(`section #"My Conn";`)); q.Section != "My Conn" {
		t.Errorf("quoted section %q", q.Section)
	}
	if n := ScanSection([]byte(`let x = 1 in x`)); n.Section != "" || n.Kinds != nil {
		t.Errorf("found %+v in a non-section document", n)
	}
}
