// Package render turns a connector project into per-tenant package files: it
// renders the section document template with the tenant's auth template
// (from an IDP profile or auth pattern) and the other *.tmpl files, and
// copies the static files.
//
// Templates are Go text/template with missingkey=error and M-safe helpers
// (mtext, mident, mlist, mrecord; xml for resource files): a tenant value can
// only reach the M source through a helper that quotes it, so no value can
// break out of a literal.
package render
