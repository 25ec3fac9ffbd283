package pqtest

import (
	"fmt"
	"strings"

	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/project"
	"github.com/pqxdev/pqx/internal/render"
)

// TenantExtension renders one tenant of a connector project and returns
// its package files as an extension to test against, exactly what
// `pqx build` would package for it. An empty id selects the only tenant.
func TenantExtension(p *project.Project, id string) (*extpkg.Extension, error) {
	t, err := selectTenant(p, id)
	if err != nil {
		return nil, err
	}
	r, err := render.New(p)
	if err != nil {
		return nil, err
	}
	res, err := r.Render(t)
	if err != nil {
		return nil, fmt.Errorf("tenant %s: %w", t.ID, err)
	}
	files := map[string][]byte{}
	for _, f := range res.Files {
		files[f.Name] = f.Data
	}
	x := &extpkg.Extension{Path: p.Root + " (tenant " + t.ID + ")", SectionFile: res.Section,
		Section: files[res.Section], Files: files, Strings: map[string]string{}}
	if resx, ok := files["resources.resx"]; ok {
		if x.Strings, err = extpkg.ParseResx(resx); err != nil {
			return nil, fmt.Errorf("tenant %s: resources.resx: %w", t.ID, err)
		}
	}
	return x, nil
}

// selectTenant returns the tenant with the given id; "" selects the only
// tenant of a project that has one.
func selectTenant(p *project.Project, id string) (*project.Tenant, error) {
	var t *project.Tenant
	var ids []string
	for _, x := range p.Tenants {
		ids = append(ids, x.ID)
		if x.ID == id {
			t = x
		}
	}
	switch {
	case id == "" && len(p.Tenants) == 1:
		return p.Tenants[0], nil
	case id == "":
		return nil, fmt.Errorf("%s has %d tenants (%s): choose one with --tenant", p.Root, len(ids), strings.Join(ids, ", "))
	case t == nil:
		return nil, fmt.Errorf("%s has no tenant %q (tenants: %s)", p.Root, id, strings.Join(ids, ", "))
	}
	return t, nil
}
