// Package rules holds pqx's connector rules PQX001–PQX012: checks on the
// syntax tree of a Power Query connector for the mistakes that otherwise
// surface only after release (a shipped client secret, a PKCE verifier kept
// in section state, a missing state parameter, no TestConnection, a dynamic
// Web.Contents URL, …).
//
// The package registers its rules with internal/lint from init; import it
// for that side effect wherever lint runs:
//
//	import _ "github.com/pqxdev/pqx/internal/lint/rules"
//
// PQX011 compares several files (DataSource.Kind and section names must be
// unique across the tenants of a project), so it runs through Run (pqx
// lint), LintSources, LintUnits (pqx build: a project's tenants, each with
// its own Options) or CheckKinds, not through lint.Lint.
//
// The rules: PQX001 secrets in source; PQX002 PKCE verifier not carried in
// Context; PQX003 http:// endpoints; PQX004 authorize URL without state;
// PQX005 no PKCE or a plain challenge; PQX006 refresh tokens requested but
// not refreshed, or a rotated one dropped; PQX007 no TestConnection; PQX008
// computed Web.Contents URL; PQX009 redirect URI not Power BI's; PQX010
// tokens in traces and errors; PQX011 kind or section name collisions;
// PQX012 FinishLogin ignoring an error. `pqx lint --explain ID` prints the
// explanation of each.
//
// The rules need some values (a redirect URI, a query parameter name), so
// the package has a small constant folder over the AST: text literals,
// concatenations with &, Text.Combine of constants, and identifiers bound to
// such values by section members, let variables and record fields. It does
// not evaluate anything else, and a rule that cannot decide stays silent.
package rules
