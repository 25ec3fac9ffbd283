package provenance

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/url"
	"sort"
	"strconv"

	cdx "github.com/CycloneDX/cyclonedx-go"
)

// SBOMSpecVersion is the CycloneDX specification version of the SBOMs.
const SBOMSpecVersion = cdx.SpecVersion1_6

// sbomJSONSchema is the $schema of SBOMSpecVersion documents.
const sbomJSONSchema = "http://cyclonedx.org/schema/bom-1.6.schema.json"

// SBOMSuffix ends the file name of a tenant's SBOM (<Kind>.cdx.json), the
// extension the CycloneDX specification recommends.
const SBOMSuffix = ".cdx.json"

// Part is one part of a connector package (a file at its top level).
type Part struct {
	Name   string
	Size   int
	SHA256 string // lower-case hex
}

// Artifact is one package file a tenant build wrote.
type Artifact struct {
	Format string // mez, pqx
	Path   string // relative to the output folder, with /
	Size   int
	SHA256 string
}

// TenantBuild is what SBOM needs to know about one tenant's build.
type TenantBuild struct {
	Connector        string // connector name (connector.yaml name)
	ConnectorVersion string
	Tenant           string // tenant id
	Kind             string // DataSource.Kind, the package's name
	// TenantFile is the tenant file's input entry (name and digest).
	TenantFile Input
	Parts      []Part
	Artifacts  []Artifact
	Builder    Builder
}

// SBOM returns the CycloneDX JSON SBOM of one tenant build: the connector
// package as the described component, every part as a file component with
// its SHA-256 and size, and pqx as the tool. The serial number is derived
// from the content, and no timestamp is written, so identical builds give
// identical SBOMs.
func SBOM(tb TenantBuild) ([]byte, error) {
	if tb.Kind == "" || tb.Tenant == "" {
		return nil, fmt.Errorf("provenance: SBOM needs the tenant id and kind")
	}
	parts := append([]Part(nil), tb.Parts...)
	sort.Slice(parts, func(i, j int) bool { return parts[i].Name < parts[j].Name })
	for i, p := range parts {
		if len(p.SHA256) != 64 {
			return nil, fmt.Errorf("provenance: part %s: SHA-256 %q is not 64 hex digits", p.Name, p.SHA256)
		}
		if i > 0 && parts[i-1].Name == p.Name {
			return nil, fmt.Errorf("provenance: part %s listed twice", p.Name)
		}
	}

	pkgRef := "pkg:generic/" + url.PathEscape(tb.Kind) + "@" + url.PathEscape(tb.ConnectorVersion)
	pkg := cdx.Component{
		BOMRef:      pkgRef,
		Type:        cdx.ComponentTypeApplication,
		Name:        tb.Kind,
		Version:     tb.ConnectorVersion,
		Description: fmt.Sprintf("Power Query custom connector %s, tenant %s", tb.Connector, tb.Tenant),
		PackageURL:  pkgRef,
		Properties: &[]cdx.Property{
			{Name: "pqx:connector", Value: tb.Connector},
			{Name: "pqx:tenant", Value: tb.Tenant},
		},
	}
	if tb.TenantFile.Name != "" {
		*pkg.Properties = append(*pkg.Properties,
			cdx.Property{Name: "pqx:tenant-file", Value: tb.TenantFile.Name},
			cdx.Property{Name: "pqx:tenant-file:sha256", Value: tb.TenantFile.SHA256})
	}
	arts := append([]Artifact(nil), tb.Artifacts...)
	sort.Slice(arts, func(i, j int) bool { return arts[i].Path < arts[j].Path })
	for _, a := range arts {
		*pkg.Properties = append(*pkg.Properties,
			cdx.Property{Name: "pqx:artifact:" + a.Format, Value: a.Path},
			cdx.Property{Name: "pqx:artifact:" + a.Format + ":sha256", Value: a.SHA256},
			cdx.Property{Name: "pqx:artifact:" + a.Format + ":size", Value: strconv.Itoa(a.Size)})
	}

	comps := make([]cdx.Component, len(parts))
	refs := make([]string, len(parts))
	for i, p := range parts {
		refs[i] = "part:" + p.Name
		comps[i] = cdx.Component{
			BOMRef: refs[i],
			Type:   cdx.ComponentTypeFile,
			Name:   p.Name,
			Hashes: &[]cdx.Hash{{Algorithm: cdx.HashAlgoSHA256, Value: p.SHA256}},
			Properties: &[]cdx.Property{
				{Name: "pqx:size", Value: strconv.Itoa(p.Size)},
			},
		}
	}

	tool := cdx.Component{
		Type:    cdx.ComponentTypeApplication,
		Name:    tb.Builder.Name,
		Version: tb.Builder.Version,
	}
	if tool.Name == "" {
		tool.Name = "pqx"
	}
	if tb.Builder.Path != "" {
		tool.PackageURL = "pkg:golang/" + tb.Builder.Path
		if v := tb.Builder.Version; v != "" {
			tool.PackageURL += "@" + url.PathEscape(v)
		}
	}

	bom := cdx.NewBOM()
	bom.Metadata = &cdx.Metadata{
		Tools:     &cdx.ToolsChoice{Components: &[]cdx.Component{tool}},
		Component: &pkg,
	}
	bom.Components = &comps
	bom.Dependencies = &[]cdx.Dependency{{Ref: pkgRef, Dependencies: &refs}}
	bom.SerialNumber = serial(tb, parts)

	var buf bytes.Buffer
	enc := cdx.NewBOMEncoder(&buf, cdx.BOMFileFormatJSON)
	enc.SetPretty(true)
	enc.SetEscapeHTML(false)
	// The BOM is built for SBOMSpecVersion, so it is encoded as it is:
	// EncodeVersion would deep-copy it through encoding/gob first, which
	// was most of an SBOM's cost.
	bom.SpecVersion = SBOMSpecVersion
	bom.JSONSchema = sbomJSONSchema
	bom.XMLNS = ""
	if err := enc.Encode(bom); err != nil {
		return nil, fmt.Errorf("provenance: encoding the SBOM: %w", err)
	}
	return buf.Bytes(), nil
}

// serial derives an RFC 4122 version 5 style UUID URN from what the SBOM
// describes, so that the same build gets the same serial number and a
// different build a different one.
func serial(tb TenantBuild, parts []Part) string {
	h := sha256.New()
	fmt.Fprintf(h, "pqx-sbom\x00%s\x00%s\x00%s\x00%s\x00%s\x00", tb.Connector, tb.ConnectorVersion, tb.Tenant, tb.Kind, tb.Builder.Version)
	for _, p := range parts {
		fmt.Fprintf(h, "%s\x00%d\x00%s\x00", p.Name, p.Size, p.SHA256)
	}
	u := h.Sum(nil)[:16]
	u[6] = u[6]&0x0f | 0x50 // version 5 (name-based, SHA)
	u[8] = u[8]&0x3f | 0x80 // RFC 4122 variant
	x := hex.EncodeToString(u)
	return "urn:uuid:" + x[:8] + "-" + x[8:12] + "-" + x[12:16] + "-" + x[16:20] + "-" + x[20:]
}

// ZipParts lists the parts of a package (.mez or .pqx, both ZIP files) with
// their sizes and SHA-256, in archive order. For a .pqx this includes the
// OPC parts ([Content_Types].xml, relationships, signatures) besides the
// connector's files.
func ZipParts(data []byte) ([]Part, error) {
	zr, err := zip.NewReader(bytes.NewReader(data), int64(len(data)))
	if err != nil {
		return nil, fmt.Errorf("provenance: reading package: %w", err)
	}
	parts := make([]Part, 0, len(zr.File))
	for _, f := range zr.File {
		if f.FileInfo().IsDir() {
			continue
		}
		rc, err := f.Open()
		if err != nil {
			return nil, fmt.Errorf("provenance: part %s: %w", f.Name, err)
		}
		h := sha256.New()
		n, err := io.Copy(h, rc)
		rc.Close()
		if err != nil {
			return nil, fmt.Errorf("provenance: part %s: %w", f.Name, err)
		}
		parts = append(parts, Part{Name: f.Name, Size: int(n), SHA256: hex.EncodeToString(h.Sum(nil))})
	}
	return parts, nil
}
