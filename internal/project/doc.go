// Package project loads and validates a pqx connector project: a folder with
// connector.yaml (what the connector is and which files it packages) and
// tenants/*.yaml (one file per tenant build: identity provider, CDR, kind).
//
// Every problem is reported as a [Diagnostic] naming file:line:col, and all
// problems of a project are reported together in an [ErrorList], sorted by
// file and position, so a user fixes a broken project in one pass.
package project
