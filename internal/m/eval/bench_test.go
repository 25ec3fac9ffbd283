package eval

import "testing"

// BenchmarkListTransform maps a million numbers and sums them, forcing
// every lazy item.
func BenchmarkListTransform(b *testing.B) {
	src := []byte(`List.Sum(List.Transform(List.Numbers(1, 1000000), each _ * 2))`)
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(nil, nil)
		v, err := th.EvalSource("bench.pq", src)
		if err != nil {
			b.Fatal(err)
		}
		if n := v.(Number).F; n != 1000001000000 {
			b.Fatalf("sum %v", n)
		}
	}
}

// BenchmarkRecursion measures function calls and let evaluation.
func BenchmarkRecursion(b *testing.B) {
	src := []byte(`let fib = (n) => if n < 2 then n else @fib(n - 1) + @fib(n - 2) in fib(20)`)
	b.ReportAllocs()
	for b.Loop() {
		th := NewThread(nil, nil)
		if _, err := th.EvalSource("fib.pq", src); err != nil {
			b.Fatal(err)
		}
	}
}
