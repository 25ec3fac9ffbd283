// Package connectortest runs the default openEHR connector end to end: each
// test renders a tenant build of connector/OpenEHR.pq.tmpl, evaluates its
// data functions in the M evaluator with a UsernamePassword credential, and
// checks the answers and the requests the mock CDR (internal/mockcdr) saw.
//
// The package has no API; it holds the connector's Go tests and benchmark.
package connectortest
