package broker_test

import (
	"fmt"
	"log"
	"net/http/httptest"
	"os"

	"github.com/pqxdev/pqx/internal/broker"
)

// A Server is an http.Handler; Run wraps it with listeners, SIGHUP reload
// and graceful shutdown.
func ExampleNew() {
	os.Setenv("CODE24_CLIENT_SECRET", "example")
	cfg, err := broker.Load("testdata/broker.yaml")
	if err != nil {
		log.Fatal(err)
	}
	srv, err := broker.New(cfg, broker.Options{})
	if err != nil {
		log.Fatal(err)
	}
	defer srv.Close()
	ts := httptest.NewServer(srv)
	defer ts.Close()
	// Connectors use ts.URL + "/t/code24/" as their API base URL with a
	// caller's user name and password (Power Query's UsernamePassword kind).
	fmt.Println(len(srv.Config().Targets), "targets")
	// Output: 2 targets
}

// Configuration mistakes come back as ConfigErrors with file:line:col.
func ExampleParse() {
	_, err := broker.Parse("broker.yaml", []byte(`listeners:
  - addr: 0.0.0.0:8080
targets:
  - name: api
    profile: auth0
    token_url: https://tenant.auth0.example/oauth/token
    client_id: broker
    client_secret: {env: PQX_EXAMPLE_UNSET}
    auth_style: basic
    audience: https://api.example
    timeout: 10
callers:
  - name: powerbi
    password_hash: hunter2
    targets: [api]
`))
	fmt.Println(err)
	// Output:
	// broker.yaml:2:11: plain HTTP listener "0.0.0.0:8080" must be on a loopback address (127.0.0.1, ::1 or localhost); configure tls: for other addresses
	// broker.yaml:8:21: client_secret: environment variable PQX_EXAMPLE_UNSET is not set
	// broker.yaml:11:14: timeout: invalid duration "10" (use a number with a unit: 500ms, 10s, 5m, 1h)
	// broker.yaml:14:20: password_hash must be an argon2id PHC string ($argon2id$...) or a bcrypt hash ($2b$...); plain passwords are not accepted
}
