package mockcdr

import (
	"fmt"
	"sort"
	"strings"
)

// ErrorStyle selects the shape of error bodies.
type ErrorStyle string

// Error body shapes served by the profiles.
const (
	// ErrorEHRbase is {"error": "<reason phrase>", "message": "..."}.
	ErrorEHRbase ErrorStyle = "ehrbase"
	// ErrorSpec is the ITS-REST Error schema {"message": "...", "validationErrors": [...]}.
	ErrorSpec ErrorStyle = "spec"
)

// FetchWithLimit says what a server does when a request carries fetch and the
// AQL has its own LIMIT, OFFSET or TOP.
type FetchWithLimit string

// Policies for fetch combined with in-query paging.
const (
	// FetchReject answers 422 (EHRbase's default fetch-precedence=REJECT).
	FetchReject FetchWithLimit = "reject"
	// FetchMin takes min(LIMIT, fetch) but still rejects a query with OFFSET
	// (EHRbase's fetch-precedence=MIN_FETCH).
	FetchMin FetchWithLimit = "min_fetch"
	// FetchWithin applies offset/fetch inside the window the AQL selected.
	FetchWithin FetchWithLimit = "within"
	// FetchRejectTop answers 400 when fetch is combined with TOP, which the
	// specification forbids, and applies fetch within a LIMIT window.
	FetchRejectTop FetchWithLimit = "reject_top"
)

// Profile is one vendor's behaviour, written as data so that a difference
// between vendors is a field rather than a branch scattered over handlers.
type Profile struct {
	// Name is the profile name given on the command line.
	Name string
	// Vendor is a human-readable vendor name.
	Vendor string
	// BasePath is the path of {base}, the root of the openEHR API.
	BasePath string
	// StatusPath, if set, serves EHRbase's non-openEHR status document.
	StatusPath string
	// EhrScapePath, if set, serves Better's legacy EhrScape query API
	// (GET {EhrScapePath}/query?aql=...).
	EhrScapePath string
	// Realm is the Basic authentication realm.
	Realm string
	// Errors is the error body shape.
	Errors ErrorStyle
	// SchemaVersionKey is the meta key carrying the schema version
	// ("_schema_version", or DIPS' "_schemaVersion").
	SchemaVersionKey string
	// Generator is meta._generator; empty omits it.
	Generator string
	// PagingMeta adds EHRbase's resultsize, and fetch/offset when a limit was
	// applied, to meta.
	PagingMeta bool
	// HrefOnGet adds meta._href to answers to GET queries.
	HrefOnGet bool
	// BOM prefixes JSON bodies with a UTF-8 byte order mark.
	BOM bool
	// OmitRowsPastEnd leaves rows out when offset is at or past the end.
	OmitRowsPastEnd bool
	// OmitEmptyRows leaves rows out whenever a page is empty.
	OmitEmptyRows bool
	// OffsetNeedsFetch answers 422 to offset without fetch.
	OffsetNeedsFetch bool
	// FetchWithLimit is the policy for fetch combined with LIMIT/OFFSET/TOP.
	FetchWithLimit FetchWithLimit
	// FetchZeroIsUnset treats fetch=0 as absent (DIPS' test client sends
	// fetch: 0 together with LIMIT and expects 200).
	FetchZeroIsUnset bool
	// ColonParams accepts the legacy :name parameter syntax besides $name.
	ColonParams bool
	// EhrIDConflict answers 409 when the ehr_id parameter and the
	// openehr-ehr-id header disagree.
	EhrIDConflict bool
	// Conformance serves the OPTIONS {base}/ conformance document; without it
	// OPTIONS answers 404.
	Conformance bool
	// NamespaceRequired rejects stored-query names without "namespace::".
	NamespaceRequired bool
	// VersionedName writes "<qualified name>/<version>" into a stored
	// query's result-set name.
	VersionedName bool
	// StrictNumbers rejects offset/fetch given as numeric strings in a JSON
	// body; EHRbase accepts them.
	StrictNumbers bool
}

var profiles = map[string]Profile{
	"ehrbase": {
		Name:              "ehrbase",
		Vendor:            "EHRbase",
		BasePath:          "/ehrbase/rest/openehr/v1",
		StatusPath:        "/ehrbase/rest/status",
		Realm:             "ehrbase",
		Errors:            ErrorEHRbase,
		SchemaVersionKey:  "_schema_version",
		PagingMeta:        true,
		HrefOnGet:         true,
		OffsetNeedsFetch:  true,
		FetchWithLimit:    FetchReject,
		NamespaceRequired: true,
		VersionedName:     true,
	},
	"better": {
		Name:             "better",
		Vendor:           "Better",
		BasePath:         "/ehr/rest/openehr/v1",
		EhrScapePath:     "/ehr/rest/v1",
		Realm:            "better",
		Errors:           ErrorSpec,
		SchemaVersionKey: "_schema_version",
		Generator:        "Better Platform (pqx mock)",
		HrefOnGet:        true,
		OmitRowsPastEnd:  true,
		FetchWithLimit:   FetchWithin,
		ColonParams:      true,
		EhrIDConflict:    true,
		Conformance:      true,
	},
	"dips": {
		Name:             "dips",
		Vendor:           "DIPS",
		BasePath:         "/openehr/v1",
		Realm:            "dips",
		Errors:           ErrorSpec,
		SchemaVersionKey: "_schemaVersion",
		Generator:        "DIPS.OpenEhr.Server (pqx mock)",
		BOM:              true,
		OmitRowsPastEnd:  true,
		OmitEmptyRows:    true,
		FetchWithLimit:   FetchWithin,
		FetchZeroIsUnset: true,
		Conformance:      true,
	},
	"spec": {
		Name:             "spec",
		Vendor:           "openEHR ITS-REST 1.0.3",
		BasePath:         "/openehr/v1",
		Realm:            "openehr",
		Errors:           ErrorSpec,
		SchemaVersionKey: "_schema_version",
		HrefOnGet:        true,
		FetchWithLimit:   FetchRejectTop,
		Conformance:      true,
		StrictNumbers:    true,
	},
}

// Profiles returns the names of the built-in profiles, sorted.
func Profiles() []string {
	names := make([]string, 0, len(profiles))
	for n := range profiles {
		names = append(names, n)
	}
	sort.Strings(names)
	return names
}

// LookupProfile returns the built-in profile with the given name
// (case-insensitive).
func LookupProfile(name string) (Profile, error) {
	p, ok := profiles[strings.ToLower(name)]
	if !ok {
		return Profile{}, fmt.Errorf("unknown profile %q (want one of %s)", name, strings.Join(Profiles(), ", "))
	}
	return p, nil
}
