package opc

import (
	"fmt"

	"github.com/pqxdev/pqx/internal/archive"
)

// Part is one part of a package read from an archive.
type Part struct {
	Name        string // part name, e.g. "/Foo.pq"
	ContentType string // from [Content_Types].xml
	Entry       *archive.Entry
}

// ReadAll returns the part's uncompressed bytes, bounded and checked as
// archive.Entry.ReadAll does.
func (p *Part) ReadAll() ([]byte, error) { return p.Entry.ReadAll() }

// Package is an OPC package read from an archive.
type Package struct {
	Archive      *archive.Reader
	Parts        []*Part // in ZIP entry order
	ContentTypes *ContentTypes
	byName       map[string]*Part
}

// ReadPackage interprets an opened archive as an OPC package: it parses
// [Content_Types].xml, maps every other entry to a part (directory entries
// are skipped) and checks that each part name is valid and has a content
// type.
func ReadPackage(a *archive.Reader) (*Package, error) {
	cte := a.Lookup(ContentTypesEntry)
	if cte == nil {
		return nil, fmt.Errorf("not an OPC package: no %s", ContentTypesEntry)
	}
	data, err := cte.ReadAll()
	if err != nil {
		return nil, err
	}
	ct, err := ParseContentTypes(data)
	if err != nil {
		return nil, err
	}
	p := &Package{Archive: a, ContentTypes: ct, byName: map[string]*Part{}}
	for _, e := range a.Entries {
		if e == cte || e.IsDir() {
			continue
		}
		name := "/" + e.Name
		if err := ValidatePartName(name); err != nil {
			return nil, fmt.Errorf("entry %q is not a valid part: %v", e.Name, err)
		}
		typ, ok := ct.Lookup(name)
		if !ok {
			return nil, fmt.Errorf("part %s has no content type in %s", name, ContentTypesEntry)
		}
		part := &Part{Name: name, ContentType: typ, Entry: e}
		p.Parts = append(p.Parts, part)
		p.byName[NormalizePartName(name)] = part
	}
	return p, nil
}

// Part returns the part with the given name (compared ignoring ASCII case,
// as OPC requires), or nil.
func (p *Package) Part(name string) *Part { return p.byName[NormalizePartName(name)] }

// Relationships returns the relationships whose source is the given part
// ("/" for the package), or nil if it has no relationships part.
func (p *Package) Relationships(source string) ([]Relationship, error) {
	rp := p.Part(RelationshipsPartName(source))
	if rp == nil {
		return nil, nil
	}
	data, err := rp.ReadAll()
	if err != nil {
		return nil, err
	}
	return ParseRelationships(rp.Name, data)
}

// Signatures describes the digital-signature parts of a package.
type Signatures struct {
	Origin     string   // origin part name, "" if the package is unsigned
	Signatures []string // signature part names, in relationship order
}

// Signatures finds the signature origin by following the package's
// digital-signature/origin relationship and the signatures by following the
// origin's digital-signature/signature relationships, never by fixed names:
// MakePQX writes origin.psdsor, other OPC signers origin.psdor. A
// relationship to a missing part is an error.
func (p *Package) Signatures() (Signatures, error) {
	var s Signatures
	rels, err := p.Relationships("/")
	if err != nil {
		return s, err
	}
	for _, r := range rels {
		if r.Type != RelTypeSigOrigin || r.TargetMode == "External" {
			continue
		}
		if s.Origin != "" {
			return s, fmt.Errorf("%s: more than one signature origin relationship", RelationshipsPartName("/"))
		}
		target, err := ResolveTarget("/", r.Target)
		if err != nil {
			return s, fmt.Errorf("%s: relationship %s: %v", RelationshipsPartName("/"), r.ID, err)
		}
		if p.Part(target) == nil {
			return s, fmt.Errorf("%s: relationship %s: origin part %s is missing", RelationshipsPartName("/"), r.ID, target)
		}
		s.Origin = p.Part(target).Name
	}
	if s.Origin == "" {
		return s, nil
	}
	rels, err = p.Relationships(s.Origin)
	if err != nil {
		return s, err
	}
	for _, r := range rels {
		if r.Type != RelTypeSignature || r.TargetMode == "External" {
			continue
		}
		target, err := ResolveTarget(s.Origin, r.Target)
		if err != nil {
			return s, fmt.Errorf("%s: relationship %s: %v", RelationshipsPartName(s.Origin), r.ID, err)
		}
		sp := p.Part(target)
		if sp == nil {
			return s, fmt.Errorf("%s: relationship %s: signature part %s is missing", RelationshipsPartName(s.Origin), r.ID, target)
		}
		s.Signatures = append(s.Signatures, sp.Name)
	}
	return s, nil
}
