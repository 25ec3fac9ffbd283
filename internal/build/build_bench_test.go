package build

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"testing"

	"github.com/pqxdev/pqx/connector"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// generatedProject is the default connector with n generated tenants that
// cycle through every auth pattern and IDP profile.
func generatedProject(tb testing.TB, n int) *project.Project {
	tb.Helper()
	tenants := map[string][]byte{}
	auths := []string{
		"auth: {pattern: basic}",
		"auth: {pattern: oauth-pkce, idp: keycloak, issuer: https://sso.example.org, realm: r%d, client_id: c}",
		"auth: {pattern: oauth-pkce, idp: entra-v2, tenant: t%d, client_id: c, resource: api://x}",
		"auth: {pattern: oauth-pkce, idp: auth0, domain: h%d.eu.auth0.com, client_id: c, audience: https://api}",
		"auth: {pattern: oauth-pkce, idp: okta, domain: h%d.okta.com, client_id: c}",
		"auth: {pattern: broker, broker_mode: vending, broker_url: https://broker%d.example.org}",
	}
	for i := 0; i < n; i++ {
		auth := auths[i%len(auths)]
		if i%len(auths) != 0 {
			auth = fmt.Sprintf(auth, i)
		}
		tenants[fmt.Sprintf("t%04d.yaml", i)] = []byte(fmt.Sprintf(
			"id: t%04d\ndisplay_name: Tenant %d\nbase_url: https://cdr%d.example.org/ehrbase/rest/openehr/v1\nvendor: ehrbase\n%s\n",
			i, i, i, auth))
	}
	p, err := project.Load(connector.WithTenants(tenants), "gen")
	if err != nil {
		tb.Fatal(err)
	}
	return p
}

// BenchmarkBuild1000Tenants renders and packages (.mez and .pqx, in memory)
// 1,000 generated tenants on all cores, as pqx build does minus the disk.
// SetBytes counts the bytes of the packages written.
func BenchmarkBuild1000Tenants(b *testing.B) {
	p := generatedProject(b, 1000)
	r, err := render.New(p)
	if err != nil {
		b.Fatal(err)
	}
	opt := &Options{}
	var total int64
	b.ReportAllocs()
	b.ResetTimer()
	for b.Loop() {
		opt.cache = new(mez.DeflateCache) // as Run does: one cache per build
		total = 0
		results := make(chan int64, len(p.Tenants))
		work := make(chan *project.Tenant)
		errs := make(chan error, 1)
		for range workers() {
			go func() {
				for t := range work {
					_, pkgs, err := Package(r, t, Formats, opt)
					if err != nil {
						select {
						case errs <- err:
						default:
						}
						results <- 0
						continue
					}
					results <- int64(len(pkgs["mez"]) + len(pkgs["pqx"]))
				}
			}()
		}
		go func() {
			for _, t := range p.Tenants {
				work <- t
			}
			close(work)
		}()
		for range p.Tenants {
			total += <-results
		}
		select {
		case err := <-errs:
			b.Fatal(err)
		default:
		}
	}
	b.SetBytes(total)
}

// BenchmarkBuild1000TenantsToDisk is the whole pqx build: render, package,
// and write 2,000 files atomically plus the manifest.
func BenchmarkBuild1000TenantsToDisk(b *testing.B) {
	p := generatedProject(b, 1000)
	dir := b.TempDir()
	b.ReportAllocs()
	for b.Loop() {
		m, err := Run(context.Background(), p, Options{OutDir: dir})
		if err != nil || m.Failed() {
			b.Fatal(err, m.Failed())
		}
	}
}

// BenchmarkZipCLI1000Tenants packages the same rendered files of 1,000
// tenants with the zip command (zip -X -q, one .mez each) for comparison.
// Rendering is done before the timer starts; only zip is measured.
func BenchmarkZipCLI1000Tenants(b *testing.B) {
	zip, err := exec.LookPath("zip")
	if err != nil {
		b.Skip("zip is not installed (apt-get install zip)")
	}
	p := generatedProject(b, 1000)
	r, err := render.New(p)
	if err != nil {
		b.Fatal(err)
	}
	root := b.TempDir()
	dirs := make([]string, len(p.Tenants))
	for i, t := range p.Tenants {
		res, err := r.Render(t)
		if err != nil {
			b.Fatal(err)
		}
		dirs[i] = filepath.Join(root, t.ID)
		if err := os.MkdirAll(dirs[i], 0o755); err != nil {
			b.Fatal(err)
		}
		for _, f := range res.Files {
			if err := os.WriteFile(filepath.Join(dirs[i], f.Name), f.Data, 0o644); err != nil {
				b.Fatal(err)
			}
		}
	}
	b.ResetTimer()
	for b.Loop() {
		work := make(chan string)
		done := make(chan error)
		for range workers() {
			go func() {
				var err error
				for dir := range work {
					os.Remove(dir + ".mez")
					cmd := exec.Command(zip, "-X", "-q", "-r", dir+".mez", ".")
					cmd.Dir = dir
					if out, e := cmd.CombinedOutput(); e != nil && err == nil {
						err = fmt.Errorf("zip: %v: %s", e, out)
					}
				}
				done <- err
			}()
		}
		for _, d := range dirs {
			work <- d
		}
		close(work)
		for range workers() {
			if err := <-done; err != nil {
				b.Fatal(err)
			}
		}
	}
}

func workers() []struct{} { return make([]struct{}, max(1, runtimeProcs())) }
