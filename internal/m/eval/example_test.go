package eval_test

import (
	"fmt"
	"time"

	"github.com/pqxdev/pqx/internal/m/eval"
)

// Evaluate an expression and print it in M literal syntax.
func Example() {
	th := eval.NewThread(nil, nil)
	v, err := th.EvalSource("example.pq", []byte(`[a = List.Transform({1..3}, each _ * 2), b = Text.Upper("m")]`))
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(eval.Serialize(th, v))
	// Output: [a = {2, 4, 6}, b = "M"]
}

// Run a connector's OAuth StartLogin the way Power BI does: in a fresh
// environment, anonymously, with deterministic GUIDs and a virtual clock.
func Example_oauth() {
	src := []byte(`section Demo;
Demo = [Authentication = [OAuth = [StartLogin = StartLogin, FinishLogin = (c, u, s) => null]]];
StartLogin = (dataSourcePath, state, display) => [
    LoginUri = "https://idp.example/authorize?" & Uri.BuildQueryString([state = state, nonce = Text.NewGuid()]),
    CallbackUri = "https://oauth.powerbi.com/views/oauthredirect.html",
    WindowHeight = 720, WindowWidth = 1024, Context = null];
`)
	host := &eval.Host{
		Clock:   eval.NewVirtualClock(time.Date(2024, 1, 1, 0, 0, 0, 0, time.UTC)),
		NewGuid: eval.SequentialGuids(1),
	}
	th := eval.NewThread(eval.NewEnvironment(), host)
	th.Anonymous = true // no credential inside the OAuth functions
	s, err := th.LoadSectionSource("Demo.pq", src)
	if err != nil {
		fmt.Println(err)
		return
	}
	kind, _ := s.Member(th, "Demo")
	auth, _ := kind.(*eval.Record).Field(th, "Authentication")
	oauth, _ := auth.(*eval.Record).Field(th, "OAuth")
	start, _ := oauth.(*eval.Record).Field(th, "StartLogin")
	res, err := th.Call(start.(*eval.Function), eval.Str("https://cdr.example"), eval.Str("xyz"), eval.NullValue)
	if err != nil {
		fmt.Println(err)
		return
	}
	uri, _ := res.(*eval.Record).Field(th, "LoginUri")
	fmt.Println(eval.Serialize(th, uri))
	// Output: "https://idp.example/authorize?state=xyz&nonce=00000001-0000-4000-8000-000000000001"
}
