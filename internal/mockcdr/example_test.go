package mockcdr_test

import (
	"encoding/json"
	"fmt"
	"net/http"
	"strings"

	"github.com/pqxdev/pqx/internal/mockcdr"
)

// A connector test starts a CDR with a vendor profile, schedules a fault,
// runs its client, and asserts on the request log.
func Example() {
	srv, err := mockcdr.New(mockcdr.Config{Profile: "ehrbase", Auth: mockcdr.AuthConfig{Mode: mockcdr.AuthNone}})
	if err != nil {
		panic(err)
	}
	if err := srv.Start(); err != nil {
		panic(err)
	}
	defer srv.Close()

	// The second request will be refused as if the token had expired.
	srv.AddFault(mockcdr.Fault{Kind: mockcdr.FaultUnauthorized, After: 1})

	post := func(body map[string]any) int {
		b, _ := json.Marshal(body)
		resp, err := http.Post(srv.BaseURL()+"/query/aql", "application/json", strings.NewReader(string(b)))
		if err != nil {
			panic(err)
		}
		resp.Body.Close()
		return resp.StatusCode
	}
	q := mockcdr.FixtureAQL("BULK")
	fmt.Println(post(map[string]any{"q": q, "offset": 0, "fetch": 1000}))
	fmt.Println(post(map[string]any{"q": q, "offset": 1000, "fetch": 1000}))
	fmt.Println(post(map[string]any{"q": mockcdr.FixtureAQL("Q9"), "fetch": 1000})) // LIMIT with fetch

	for _, e := range srv.Log() {
		fmt.Println(e.Fixture, e.Offset, e.FetchSent, e.Status, e.Rows)
	}
	// Output:
	// 200
	// 401
	// 422
	// BULK 0 true 200 1000
	// BULK 1000 true 401 -1
	// Q3 0 true 422 -1
}
