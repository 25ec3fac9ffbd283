package host

import (
	"context"
	"testing"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/project"
)

func loadDefault(t testing.TB) *project.Project {
	t.Helper()
	p, err := project.Load(connector.FS, "connector")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

// Every example tenant of the default project passes the whole dance.
func TestDefaultProject(t *testing.T) {
	results, err := TestProject(context.Background(), loadDefault(t), SuiteOptions{})
	if err != nil {
		t.Fatal(err)
	}
	for _, r := range results {
		for _, s := range r.Steps {
			t.Logf("%s: %-40s %s %s %s", r.Name, s.Name, s.Status, s.Detail, s.Error)
		}
		if r.Failed() {
			t.Errorf("%s failed", r.Name)
		}
	}
}
