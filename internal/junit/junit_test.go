package junit

import (
	"bytes"
	"encoding/xml"
	"strings"
	"testing"
	"time"
)

func TestWriteCountsAndParses(t *testing.T) {
	s := &Suites{Name: "pqx test", Time: Seconds(1500 * time.Millisecond)}
	s.Add(Suite{Name: "a", Cases: []Case{
		{Name: "ok", Classname: "a"},
		{Name: "bad", Classname: "a", Failure: &Problem{Message: "boom", Type: "fail", Body: "<details> & more"}},
		{Name: "skip", Classname: "a", Skipped: &Problem{Message: "not applicable"}},
	}})
	s.Add(Suite{Name: "b", Cases: []Case{{Name: "err", Classname: "b", Error: &Problem{Message: "crashed"}}}, SystemOut: "journal"})
	var buf bytes.Buffer
	if err := Write(&buf, s); err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(buf.String(), xml.Header) {
		t.Errorf("no XML header:\n%s", buf.String())
	}
	var back Suites
	if err := xml.Unmarshal(buf.Bytes(), &back); err != nil {
		t.Fatalf("report does not parse: %v\n%s", err, buf.String())
	}
	if back.Tests != 4 || back.Failures != 1 || back.Errors != 1 || back.Skipped != 1 || back.Time != "1.500" {
		t.Errorf("totals %+v", back)
	}
	if a := back.Suites[0]; a.Tests != 3 || a.Failures != 1 || a.Skipped != 1 || a.Cases[1].Failure.Body != "<details> & more" {
		t.Errorf("suite a %+v", a)
	}
	if b := back.Suites[1]; b.Errors != 1 || b.SystemOut != "journal" {
		t.Errorf("suite b %+v", b)
	}
}
