// Package eval evaluates Power Query M: it holds the value model, the
// tree-walking evaluator over internal/m/ast, the host interface through
// which M code reaches HTTP, clocks, GUIDs, credentials and package files,
// and the standard library a connector needs (tiers 1 to 3 of the host
// reference: the OAuth path and plumbing, and the Table, List, Record, Text,
// Number and date/time functions that shape REST results).
//
// The design follows google/starlark-go: a small Value interface with one
// concrete type per M kind, built-ins as plain Go functions declared with
// their M signature (builtin) and unpacked with one helper (unpack), and
// every host effect reached through a Thread so tests can swap it.
//
// # Using it
//
//	env := eval.NewEnvironment()            // the library + loaded sections
//	th := eval.NewThread(env, &eval.Host{   // one evaluation
//		HTTP:    client,                     // nil: Web.Contents refused
//		Clock:   eval.NewVirtualClock(t0),   // nil: the real clock
//		NewGuid: eval.SequentialGuids(1),    // nil: random GUIDs
//		Files:   pkg.File, Strings: pkg.Strings,
//	})
//	sec, err := th.LoadSectionSource("X.pq", src)
//	v, err := th.EvalSource("q.pq", []byte(`X.Contents()`))
//	err = th.DeepForce(v)                   // surface errors hidden in lazy parts
//	fmt.Println(eval.Serialize(th, v))      // M literal syntax (.pqout)
//
// A fresh Environment is a fresh section instance: the OAuth functions
// StartLogin, FinishLogin and Refresh must each run in their own, with
// Thread.Anonymous set so Web.Contents adds no credential. A parsed
// document may be loaded into many environments; environments on separate
// goroutines may share a Host.
//
// # Semantics
//
// Evaluation is lazy and memoised where the M specification says so: let
// variables, record fields, section members and list items are Lazy
// entries computed at most once; an error is memoised like a value, and
// re-entering an entry under evaluation is the "cyclic reference" error.
// Function arguments are evaluated before the call.
//
// Lists and tables are enumerated on demand where Power Query enumerates
// them: List.Generate runs its next function only when the following item
// is read, and List.Transform, List.Combine, List.FirstN, Table.FromRows,
// row-wise Table shaping, Table.FirstN and item access pass that on, so a
// paging helper requests a page only when rows of it are read (stream.go).
// Other library functions receive their list and table arguments fully
// enumerated; an enumeration error surfaces where the item is read. M errors are *Error
// values carrying the error record that try exposes; exceeding a bound of
// Limits (call depth, steps, list size) or cancelling Thread.Ctx raises a
// fatal *Error that try does not catch. A Thread and the values it
// produces are not safe for concurrent use.
//
// Library names that exist in Power Query but not here raise
// "Expression.Error: <name> is not supported by the pqx evaluator".
package eval
