package provenance_test

import (
	"encoding/json"
	"fmt"

	"github.com/pqxdev/pqx/internal/provenance"
)

// A tenant build's SBOM lists each package part with its SHA-256; the
// described component is the connector package, named by its kind.
func ExampleSBOM() {
	section := []byte("section Acme; shared Acme.Contents = () => 1;")
	in := provenance.HashInput("Acme.pq", section)
	sbom, err := provenance.SBOM(provenance.TenantBuild{
		Connector:        "Acme",
		ConnectorVersion: "1.0.0",
		Tenant:           "prod",
		Kind:             "AcmeProd",
		Parts:            []provenance.Part{{Name: in.Name, Size: in.Size, SHA256: in.SHA256}},
		Builder:          provenance.Builder{Name: "pqx", Version: "v1.2.3"},
	})
	if err != nil {
		fmt.Println(err)
		return
	}
	var doc struct {
		SpecVersion string `json:"specVersion"`
		Metadata    struct {
			Component struct{ Name, Version string }
		}
		Components []struct {
			Name   string
			Hashes []struct{ Alg, Content string }
		}
	}
	if err := json.Unmarshal(sbom, &doc); err != nil {
		fmt.Println(err)
		return
	}
	fmt.Println(doc.SpecVersion, doc.Metadata.Component.Name, doc.Metadata.Component.Version)
	for _, c := range doc.Components {
		fmt.Println(c.Name, c.Hashes[0].Alg, c.Hashes[0].Content == in.SHA256)
	}
	// Output:
	// 1.6 AcmeProd 1.0.0
	// Acme.pq SHA-256 true
}

// The inputs digest is that of a sha256sum listing of the sorted inputs, so
// `sha256sum` output over the same files, sorted by name, reproduces it.
func ExampleNew() {
	p, err := provenance.New(provenance.Builder{Name: "pqx", Version: "v1.2.3"},
		[]provenance.Input{provenance.HashInput("tenants/prod.yaml", []byte("id: prod\n"))},
		[]provenance.Input{provenance.HashInput("connector.yaml", []byte("name: Acme\n"))})
	if err != nil {
		fmt.Println(err)
		return
	}
	for _, in := range p.Inputs {
		fmt.Println(in.Name, in.Size)
	}
	fmt.Println(len(p.InputsSHA256))
	// Output:
	// connector.yaml 11
	// tenants/prod.yaml 9
	// 64
}
