// Package mockcdr is a mock openEHR clinical data repository (CDR) for tests.
//
// It serves the openEHR REST API (ITS-REST 1.0.x) the way real CDRs do,
// including their disagreements: a [Profile] per vendor (EHRbase, Better,
// DIPS, or a strict spec server) decides base paths, error bodies, paging
// rules, result-set metadata and quirks such as a UTF-8 byte order mark or a
// missing rows field past the end of a result.
//
// There is no AQL engine. Queries are looked up in a fixture registry keyed by
// normalised AQL (whitespace collapsed, keywords upper-cased, :p unified with
// $p, a trailing LIMIT/OFFSET or a TOP split off), and each fixture serves rows
// generated deterministically from a seed: 25 EHRs with blood pressure, body
// temperature and pulse series, plus a 10,007-row bulk fixture for paging
// edge cases. Unknown AQL is answered with the vendor's 400 parse error.
//
// Requests may be authenticated with Basic credentials (EHRbase's USER and
// ADMIN roles) or Bearer JWTs verified against a JWKS URL, applying EHRbase's
// role rule to Keycloak, Auth0 and Entra claim styles. Faults (429 storms,
// 503, an HTML 502, 401 on the nth request, empty or truncated bodies, a
// server that ignores offset or fetch, slow answers) can be scheduled from Go
// or over the loopback-only control API under /__mock/, and every request is
// recorded in a typed log so tests can assert what a client sent.
//
// Typical use in a test:
//
//	srv, err := mockcdr.New(mockcdr.Config{Profile: "ehrbase"})
//	...
//	if err := srv.Start(); err != nil { ... }
//	defer srv.Close()
//	base := srv.BaseURL() // http://127.0.0.1:PORT/ehrbase/rest/openehr/v1
package mockcdr
