package eval

import (
	"math"
	"math/rand"
	"testing"
	"time"
)

// TestLibraryRobustness calls every library function with odd arguments
// (nulls, extremes, wrong kinds): each call must return a value or an M
// error, never panic or hang.
func TestLibraryRobustness(t *testing.T) {
	th0 := NewThread(nil, testHost())
	id, _ := th0.EvalSource("f.pq", []byte(`(x) => x`))
	vals := []Value{
		NullValue, True, Num(0), Num(-1), Num(1e300), Num(math.NaN()), Num(2.5), Num(3),
		Str(""), Str("x,y"), Str("2024-01-02"), Str("http://127.0.0.1:1/a?b=c"),
		NewList(), NewList(Num(1), Str("a"), NullValue), NewList(NewList(Str("a"), Str("b"))),
		NewRecord(), NewRecord(Field{"a", Num(1)}, Field{"Name", Str("n")}, Field{"Value", Num(2)}),
		Date{T: mustDate(2024, 1, 2)}, Duration{D: 1e9}, Bytes([]byte{0, 1, 255}),
		id, Prim(BaseAny), RecordType(false, TypeField{Name: "a", Type: Prim(Base(KindNumber))}),
		FunctionType(Prim(BaseAny), Param{Name: "x", Type: Prim(BaseAny)}),
		NewTable(TableType(TypeField{Name: "Name", Type: Prim(BaseAny)}, TypeField{Name: "Value", Type: Prim(BaseAny)}), [][]Value{{Str("a"), Num(1)}}),
	}
	rng := rand.New(rand.NewSource(1))
	calls := 0
	failed := map[string]bool{}
	for _, name := range LibraryNames() {
		f, ok := library[name].(*Function)
		if !ok {
			continue
		}
		try := func(args []Value) {
			calls++
			th := NewThread(nil, testHost())
			th.Limits = Limits{MaxDepth: 100, MaxSteps: 100000, MaxListLen: 100000, MaxTextLen: 1 << 20}
			defer func() {
				if r := recover(); r != nil && !failed[name] {
					failed[name] = true
					t.Errorf("%s(%s) panicked: %v", name, Serialize(th, NewList(args...)), r)
				}
			}()
			v, err := Call(th, f, args)
			if err == nil {
				if fn, ok := v.(*Function); ok && fn.Required() <= 1 && len(fn.Params) >= 1 {
					arg := Value(Str("a,b"))
					if len(args) > 0 {
						arg = args[0]
					}
					v, err = Call(th, fn, []Value{arg})
				}
			}
			if err == nil && v != nil {
				err = th.DeepForce(v)
				_ = Serialize(th, v)
			}
			if err != nil {
				if _, ok := err.(*Error); !ok {
					t.Errorf("%s: non-M error %T %v", name, err, err)
				}
			}
		}
		for n := f.Required(); n <= len(f.Params); n++ {
			for _, v := range vals {
				args := make([]Value, n)
				for i := range args {
					args[i] = v
				}
				if n > 0 {
					try(args)
				}
			}
			for k := 0; k < 40; k++ {
				args := make([]Value, n)
				for i := range args {
					args[i] = vals[rng.Intn(len(vals))]
				}
				try(args)
			}
		}
	}
	if calls < 1000 {
		t.Fatalf("only %d calls", calls)
	}
}

func mustDate(y, m, d int) time.Time {
	t, _ := makeDate(y, m, d)
	return t
}
