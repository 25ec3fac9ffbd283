package rules_test

import (
	"os"

	"github.com/pqxdev/pqx/internal/lint"
	"github.com/pqxdev/pqx/internal/lint/rules"
)

// pqx build lints the rendered section documents of all tenants together,
// so that PQX011 sees a kind shared by two tenants. A tenant that allows
// plain http (allow_insecure_http) gets its own PQX003 options.
func ExampleLintSources() {
	conn := func(host string) []byte {
		return []byte(`section Lab;
[DataSource.Kind = "Lab"]
shared Lab.Contents = () => Web.Contents(Base, [RelativePath = "items"]);
Base = "http://` + host + `/v1";
Lab = [TestConnection = (p) => {"Lab.Contents"}, Authentication = [Anonymous = []]];
`)
	}
	srcs := []lint.Source{
		{Name: "dist/lab-a/Lab.pq", Content: conn("cdr-a.lab.example")},
		{Name: "dist/lab-b/Lab.pq", Content: conn("cdr-b.lab.example")},
	}
	rules.SetFileOptions("dist/lab-a/Lab.pq", rules.Options{AllowHTTPHosts: []string{"*"}})
	defer rules.ClearFileOptions("dist/lab-a/Lab.pq")

	res := rules.LintSources(srcs, lint.Config{})
	lint.WriteText(os.Stdout, res.Diagnostics)
	// Output:
	// dist/lab-b/Lab.pq:1:9: error: section and data source kind "Lab" is also declared by dist/lab-a/Lab.pq:1:9: each connector of a project needs its own [PQX011]
	//     section Lab;
	//             ^
	// dist/lab-b/Lab.pq:4:8: error: http:// URL to cdr-b.lab.example: use https:// [PQX003]
	//     Base = "http://cdr-b.lab.example/v1";
	//            ^
}
