package extpkg

import (
	"strings"
	"testing"

	"github.com/pqxdev/pqx/internal/m/eval"
)

// TestNewEnvironmentParsesOnce loads one extension into several fresh
// environments, as a host does for each OAuth function: the section is
// parsed once, and errors still carry their source positions.
func TestNewEnvironmentParsesOnce(t *testing.T) {
	x := &Extension{Path: "Conn.mez", SectionFile: "Conn.pq", Section: []byte("section Conn;\n\nshared Conn.Ok = 1 + 1;\nshared Conn.Bad = 1 + \"a\";\n")}
	var first *eval.Section
	for i := 0; i < 3; i++ {
		th := eval.NewThread(x.NewEnvironment(), &eval.Host{})
		s, err := x.LoadInto(th)
		if err != nil {
			t.Fatal(err)
		}
		if first == nil {
			first = s
		} else if s.Doc != first.Doc {
			t.Fatalf("load %d parsed the section again", i)
		} else if s == first {
			t.Fatalf("load %d shares the section value of an earlier environment", i)
		}
		if v, err := s.Member(th, "Conn.Ok"); err != nil || v.(eval.Number).F != 2 {
			t.Fatalf("Conn.Ok = %v, %v", v, err)
		}
		_, err = s.Member(th, "Conn.Bad")
		me, ok := err.(*eval.Error)
		if !ok || !strings.Contains(me.Backtrace(), "Conn.mez!Conn.pq:4:") {
			t.Fatalf("Conn.Bad error %v lacks its position Conn.mez!Conn.pq:4:", err)
		}
	}

	bad := &Extension{Path: "Bad.mez", SectionFile: "Bad.pq", Section: []byte("section Bad;\nshared X = ;\n")}
	for i := 0; i < 2; i++ {
		_, err := bad.LoadInto(eval.NewThread(bad.NewEnvironment(), &eval.Host{}))
		if err == nil || !strings.Contains(err.Error(), "Bad.mez!Bad.pq:2:") {
			t.Fatalf("syntax error %v lacks its position", err)
		}
	}
}
