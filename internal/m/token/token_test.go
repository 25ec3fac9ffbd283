package token

import "testing"

func TestLookupMatchesKeywordTable(t *testing.T) {
	for k := keywordBeg + 1; k < keywordEnd; k++ {
		if got := Lookup(k.String()); got != k {
			t.Errorf("Lookup(%q) = %v", k.String(), got)
		}
	}
	for _, w := range []string{"optional", "nullable", "catch", "Let", "#foo", "", "x", "otherwise2"} {
		if got := Lookup(w); got != IDENT {
			t.Errorf("Lookup(%q) = %v, want IDENT", w, got)
		}
	}
}

func TestPrecedenceOrder(t *testing.T) {
	order := []Kind{COALESCE, OR, AND, IS, AS, EQL, LSS, ADD, MUL, META}
	for i := 1; i < len(order); i++ {
		if order[i-1].Precedence() >= order[i].Precedence() {
			t.Errorf("%v should bind looser than %v", order[i-1], order[i])
		}
	}
	for _, k := range []Kind{NEQ, LEQ, GTR, GEQ, SUB, AMP, QUO} {
		if k.Precedence() == LowestPrec {
			t.Errorf("%v has no precedence", k)
		}
	}
}

func TestPositions(t *testing.T) {
	fset := NewFileSet()
	a := fset.AddFile("a.pq", []byte("ab\r\ncd\rä\u2028x\u0085y\u2029z"))
	b := fset.AddFile("b.pq", []byte("q"))
	cases := []struct {
		off       int
		line, col int
		lineText  string
	}{
		{0, 1, 1, "ab"}, {1, 1, 2, "ab"}, {4, 2, 1, "cd"}, {7, 3, 1, "ä"}, {9, 3, 2, "ä"},
		{12, 4, 1, "x"}, {15, 5, 1, "y"}, {19, 6, 1, "z"},
	}
	for _, c := range cases {
		p := fset.Position(a.Pos(c.off))
		if p.Filename != "a.pq" || p.Line != c.line || p.Column != c.col || p.Offset != c.off {
			t.Errorf("offset %d: got %+v, want %d:%d", c.off, p, c.line, c.col)
		}
		if got := a.LineText(c.line); got != c.lineText {
			t.Errorf("line %d text %q, want %q", c.line, got, c.lineText)
		}
	}
	if p := fset.Position(b.Pos(0)); p.String() != "b.pq:1:1" {
		t.Errorf("second file: %v", p)
	}
	if fset.File(NoPos) != nil || fset.Position(NoPos).String() != "-" {
		t.Error("NoPos")
	}
}

func TestBOMIsNotAColumn(t *testing.T) {
	fset := NewFileSet()
	f := fset.AddFile("bom.pq", []byte("\ufeffab\ncd"))
	if p := f.Position(f.Pos(4)); p.Line != 1 || p.Column != 2 {
		t.Errorf("got %v, want 1:2", p)
	}
	if got := f.LineText(1); got != "ab" {
		t.Errorf("LineText(1) = %q", got)
	}
}

func TestFileSetConcurrent(t *testing.T) {
	fset := NewFileSet()
	done := make(chan bool)
	for g := 0; g < 4; g++ {
		go func() {
			for i := 0; i < 100; i++ {
				f := fset.AddFile("c.pq", []byte("a\nbc\nd"))
				if p := fset.Position(f.Pos(3)); p.Line != 2 || p.Column != 2 {
					t.Errorf("got %v", p)
				}
				_ = f.LineText(2)
			}
			done <- true
		}()
	}
	for g := 0; g < 4; g++ {
		<-done
	}
}
