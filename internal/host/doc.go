// Package host plays Power BI Desktop and the Power BI service for one
// connector, headless: it runs the connector's own OAuth functions
// (StartLogin, FinishLogin, Refresh) the way the Power Query engine does —
// each in a fresh evaluation, dispatched by arity, with a host-made state and
// the Context round-tripped — follows the LoginUri without a browser, stores
// the returned record as the credential, calls TestConnection and the data
// functions with it, advances the virtual clock past expires_in, refreshes,
// and fires parallel refreshes with one refresh token to show what the
// identity provider does with them.
//
// The host's HTTP client is a Router: requests to the connector's real IDP
// and CDR URLs are rewritten to loopback mocks (internal/mockidp,
// internal/mockcdr) and any other non-loopback destination is refused, so a
// test never leaves the machine.
//
// Run drives one connector against servers the caller provides; Suite builds
// the mocks for a pqx project tenant and is what `pqx test` calls.
package host
