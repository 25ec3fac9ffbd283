// Package broker implements pqx's client_credentials token broker: a small
// HTTP service that holds an OAuth client secret inside the customer's network
// and lets callers that can only speak HTTP Basic (a Power Query connector with
// the UsernamePassword credential kind) reach an API that needs a bearer token.
//
// The broker has two modes, both behind Basic authentication of configured
// callers:
//
//   - proxy: requests to /t/{target}/... (or the target's mount path) are
//     forwarded to the target's upstream base URL; the caller's
//     Authorization header is dropped and a cached bearer token is injected
//     instead;
//   - token vending: POST /token answers with RFC 6749 §5.1 JSON whose
//     expires_in is the remaining lifetime of the cached token.
//
// Tokens are cached per (target, audience, scope) for expires_in − skew,
// refreshed proactively with jitter, fetched at most once at a time per key
// (single flight), and protected by a negative cache, Retry-After handling and
// a circuit breaker for repeated invalid_client answers. A cached token that is
// past its TTL but still valid is served while the identity provider is down.
//
// Configuration is YAML (see Load and broker.schema.json); errors name
// file:line:col. Run serves a configuration with SIGHUP reload and graceful
// shutdown; Server is the embeddable http.Handler used by Run and by tests.
package broker
