package connectortest

import (
	"context"
	"flag"
	"net/http"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/mockcdr"
	"github.com/pqxdev/pqx/internal/pqtest"
)

var update = flag.Bool("update", false, "rewrite connector/tests/**/*.query.pqout")

// queryFilesDir holds the connector's PQTest-style tests, one folder per
// vendor profile (see its README.md).
const queryFilesDir = "../../connector/tests"

// queryFileProfiles maps a tests folder (a tenant vendor) to the mock CDR
// profile it runs against when the two names differ: the mock has no
// Cadasto profile, and Cadasto follows the specification.
var queryFileProfiles = map[string]string{"cadasto": "spec"}

// TestQueryFiles runs connector/tests/<vendor>/*.query.pq against a mock CDR
// with that vendor's profile (or queryFileProfiles'), with the connector rendered for a Basic tenant
// of kind OpenEHRLocal, and compares each result with its .query.pqout, as
// pqx run-test (and PQTest run-compare) does.
func TestQueryFiles(t *testing.T) {
	vendors, err := os.ReadDir(queryFilesDir)
	if err != nil {
		t.Fatal(err)
	}
	n := 0
	for _, v := range vendors {
		if !v.IsDir() {
			continue
		}
		n++
		t.Run(v.Name(), func(t *testing.T) {
			profile := v.Name()
			if p, ok := queryFileProfiles[profile]; ok {
				profile = p
			}
			e := newEnvKind(t, mockcdr.Config{Profile: profile}, v.Name(), "OpenEHRLocal")
			tests, err := pqtest.Discover([]string{filepath.Join(queryFilesDir, v.Name())})
			if err != nil {
				t.Fatal(err)
			}
			if len(tests) == 0 {
				t.Fatalf("no .query.pq files in %s", v.Name())
			}
			files := map[string][]byte{}
			for _, f := range e.res.Files {
				files[f.Name] = f.Data
			}
			x := &extpkg.Extension{Path: e.res.Kind, SectionFile: e.res.Section, Section: files[e.res.Section], Files: files, Strings: map[string]string{}}
			results, err := pqtest.Run(context.Background(), tests, &pqtest.Options{
				Extension:               x,
				Update:                  *update,
				FailOnMissingOutputFile: !*update,
				Credential:              &eval.Credential{AuthenticationKind: "UsernamePassword", Username: cdrUser, Password: cdrPassword},
				HTTP:                    &http.Client{Timeout: 30 * time.Second},
				Now:                     time.Date(2026, 3, 1, 8, 0, 0, 0, time.UTC),
				Timeout:                 time.Minute,
			})
			if err != nil {
				t.Fatal(err)
			}
			for _, r := range results {
				if r.Status != pqtest.Passed {
					t.Errorf("%s: %s %s\n%s", r.Query, r.Status, r.Details, r.Diff)
				}
			}
		})
	}
	if n == 0 {
		t.Fatal("no vendor folders in " + queryFilesDir)
	}
}
