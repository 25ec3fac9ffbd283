package project

import (
	"fmt"
	"io/fs"
	"path"
	"sort"
	"strings"

	"github.com/bmatcuk/doublestar/v4"
)

// ConfigFile is the name of a project's connector configuration.
const ConfigFile = "connector.yaml"

// TenantsDir is the folder of a project's tenant files.
const TenantsDir = "tenants"

// DefaultRedirectURI is Power BI's OAuth redirect page, the only redirect
// Power BI Desktop and the service accept for custom connectors.
const DefaultRedirectURI = "https://oauth.powerbi.com/views/oauthredirect.html"

// Project is a loaded and validated connector project.
type Project struct {
	// FS holds the project files; Root is how to name it in messages
	// (a folder path, or "(embedded)").
	FS   fs.FS
	Root string

	Connector Connector
	Tenants   []*Tenant // sorted by ID
}

// Connector is connector.yaml: what every tenant build shares.
type Connector struct {
	// Name is the human name of the connector ("openEHR").
	Name string `yaml:"name" json:"name"`
	// Version is the connector version, written into the section's
	// [Version = "…"] attribute; major.minor.patch.
	Version string `yaml:"version" json:"version"`
	// Kind is the base of every tenant's DataSource.Kind and section name.
	// A tenant's kind is Kind followed by its ID in PascalCase unless the
	// tenant file sets kind explicitly.
	Kind string `yaml:"kind" json:"kind"`
	// Section is the project-relative path of the section document template.
	// It is rendered per tenant into <Kind>.pq.
	Section string `yaml:"section" json:"section"`
	// Files lists further files to package, as doublestar patterns relative
	// to the project. Files ending in .tmpl are rendered per tenant and lose
	// the suffix; others are copied as they are. Every package file lands at
	// the top level of the package, as MakePQX requires.
	Files []string `yaml:"files" json:"files"`
	// Templates optionally names a project folder with auth templates
	// (auth/*.pq.tmpl) and IDP profiles (idp/*.yaml) that override or extend
	// the built-in ones.
	Templates string `yaml:"templates" json:"templates,omitempty"`
	// Tests is the folder of the project's .query.pq tests, if any.
	Tests string `yaml:"tests" json:"tests,omitempty"`
	// Publish configures the Publish record shown in Power BI's Get Data.
	Publish Publish `yaml:"publish" json:"publish"`

	doc *yamlDoc
}

// Publish configures the connector's Publish record.
type Publish struct {
	Category     string `yaml:"category" json:"category,omitempty"`
	Beta         bool   `yaml:"beta" json:"beta"`
	LearnMoreURL string `yaml:"learn_more_url" json:"learn_more_url,omitempty"`
}

// Pos returns the position of a key path (e.g. "publish.category") in
// connector.yaml, for messages about it.
func (c *Connector) Pos(keyPath string) Pos {
	if c.doc == nil {
		return Pos{File: ConfigFile}
	}
	return c.doc.pos(keyPath)
}

// Tenant is one tenants/*.yaml file: everything that differs between builds.
type Tenant struct {
	// ID names the tenant's output folder and selects it on the command
	// line: lower-case letters, digits, '-', '_' and '.'.
	ID string `yaml:"id" json:"id"`
	// DisplayName is shown to users in Power BI (the data source label).
	DisplayName string `yaml:"display_name" json:"display_name"`
	// Kind overrides the derived DataSource.Kind and section name.
	Kind string `yaml:"kind" json:"kind"`
	// BaseURL is the openEHR API root the connector calls, ending in /v1;
	// for the broker pattern in proxy mode, the broker's proxy URL.
	BaseURL string `yaml:"base_url" json:"base_url"`
	// Vendor selects CDR quirk handling: ehrbase, better, dips, cadasto or
	// generic.
	Vendor string `yaml:"vendor" json:"vendor"`
	// AllowInsecureHTTP permits http:// URLs; meant for local tests only.
	AllowInsecureHTTP bool `yaml:"allow_insecure_http" json:"allow_insecure_http,omitempty"`
	// Headers are extra static headers sent with every CDR request (for
	// example an API gateway's subscription key name and value).
	Headers map[string]string `yaml:"headers" json:"headers,omitempty"`
	// Features switches optional parts of the connector on or off.
	Features Features `yaml:"features" json:"features"`
	// Auth says how the connector authenticates.
	Auth Auth `yaml:"auth" json:"auth"`

	// File is the tenant file's path as shown in messages; Path is its
	// path inside the project (tenants/x.yaml).
	File string `yaml:"-" json:"file"`
	Path string `yaml:"-" json:"-"`
	doc  *yamlDoc
}

// Features are optional navigator entries, off by default.
type Features struct {
	// EHRs adds an EHRs table to the navigator (a population scan).
	EHRs bool `yaml:"ehrs" json:"ehrs"`
	// ServerInfo adds a Server info record to the navigator.
	ServerInfo bool `yaml:"server_info" json:"server_info"`
}

// Auth is a tenant's authentication: the pattern and, for OAuth, the
// identity provider profile and its values.
type Auth struct {
	// Pattern is basic, oauth-pkce or broker.
	Pattern string `yaml:"pattern" json:"pattern"`

	// IDP is the identity provider profile for oauth-pkce: auth0,
	// entra-v2, keycloak, okta or generic-oidc (or a project profile).
	IDP string `yaml:"idp" json:"idp,omitempty"`
	// Profile values; which ones a profile needs is part of the profile.
	Tenant              string `yaml:"tenant" json:"tenant,omitempty"`                             // Entra directory (tenant) id or name
	Realm               string `yaml:"realm" json:"realm,omitempty"`                               // Keycloak realm
	Domain              string `yaml:"domain" json:"domain,omitempty"`                             // Auth0 / Okta domain
	Issuer              string `yaml:"issuer" json:"issuer,omitempty"`                             // Keycloak base URL, or an OIDC issuer
	AuthorizationServer string `yaml:"authorization_server" json:"authorization_server,omitempty"` // Okta custom authorization server id
	// Explicit endpoints; they override the profile's patterns.
	AuthorizeURL string `yaml:"authorize_url" json:"authorize_url,omitempty"`
	TokenURL     string `yaml:"token_url" json:"token_url,omitempty"`
	LogoutURL    string `yaml:"logout_url" json:"logout_url,omitempty"`

	ClientID    string   `yaml:"client_id" json:"client_id,omitempty"`
	Scopes      []string `yaml:"scopes" json:"scopes,omitempty"`
	Audience    string   `yaml:"audience" json:"audience,omitempty"`
	Resource    string   `yaml:"resource" json:"resource,omitempty"`
	RedirectURI string   `yaml:"redirect_uri" json:"redirect_uri,omitempty"`
	// Extra static parameters for the authorize and token requests.
	AuthorizeParams map[string]string `yaml:"authorize_params" json:"authorize_params,omitempty"`
	TokenParams     map[string]string `yaml:"token_params" json:"token_params,omitempty"`

	// BrokerMode is proxy (the broker fronts the CDR; base_url is the
	// broker) or vending (the connector fetches a token from BrokerURL/token
	// with its Basic credential and calls the CDR with it).
	BrokerMode string `yaml:"broker_mode" json:"broker_mode,omitempty"`
	BrokerURL  string `yaml:"broker_url" json:"broker_url,omitempty"`

	// Labels shown in Power BI's credential dialog.
	UsernameLabel string `yaml:"username_label" json:"username_label,omitempty"`
	PasswordLabel string `yaml:"password_label" json:"password_label,omitempty"`
}

// Pos returns the position of a key path (e.g. "auth.client_id") in the
// tenant file, for messages about it. For a key that is absent it returns
// where the key belongs.
func (t *Tenant) Pos(keyPath string) Pos {
	if t.doc == nil {
		return Pos{File: t.File}
	}
	return t.doc.pos(keyPath)
}

// Patterns lists the supported auth patterns.
var Patterns = []string{"basic", "oauth-pkce", "broker"}

// Vendors lists the supported CDR vendor profiles.
var Vendors = []string{"ehrbase", "better", "dips", "cadasto", "generic"}

// Load reads and validates the project in fsys. root names the project in
// messages (file names are root/connector.yaml, root/tenants/x.yaml). The
// returned error, if any, is an ErrorList of every problem found.
func Load(fsys fs.FS, root string) (*Project, error) {
	p := &Project{FS: fsys, Root: root}
	var errs ErrorList
	cfgName := p.DisplayPath(ConfigFile)
	data, err := fs.ReadFile(fsys, ConfigFile)
	if err != nil {
		errs.add(Pos{File: cfgName}, "cannot read the connector configuration: %v", unwrapPathError(err))
		return nil, errs.Err()
	}
	doc, derrs := decodeYAML(cfgName, data, &p.Connector)
	p.Connector.doc = doc
	errs = append(errs, derrs...)
	if len(derrs) == 0 {
		errs = append(errs, p.validateConnector()...)
	}

	files, err := fs.Glob(fsys, TenantsDir+"/*.yaml")
	if err != nil {
		errs.add(Pos{File: p.DisplayPath(TenantsDir)}, "%v", err)
	}
	yml, _ := fs.Glob(fsys, TenantsDir+"/*.yml")
	files = append(files, yml...)
	sort.Strings(files)
	if len(files) == 0 {
		errs.add(Pos{File: p.DisplayPath(TenantsDir)}, "no tenant files (expected %s/*.yaml)", TenantsDir)
	}
	for _, name := range files {
		t, terrs := p.loadTenant(name)
		errs = append(errs, terrs...)
		if t != nil {
			p.Tenants = append(p.Tenants, t)
		}
	}
	errs = append(errs, p.checkUnique()...)
	if err := errs.Err(); err != nil {
		return nil, err
	}
	sort.Slice(p.Tenants, func(i, j int) bool { return p.Tenants[i].ID < p.Tenants[j].ID })
	return p, nil
}

// DisplayPath names a project file in messages.
func (p *Project) DisplayPath(name string) string {
	if p.Root == "" || p.Root == "." {
		return name
	}
	return path.Join(p.Root, name)
}

func unwrapPathError(err error) error {
	if pe, ok := err.(*fs.PathError); ok {
		return pe.Err
	}
	return err
}

func (p *Project) validateConnector() ErrorList {
	c := &p.Connector
	var errs ErrorList
	required := func(key, val string) bool {
		if strings.TrimSpace(val) == "" {
			errs.add(c.Pos(key), "missing required field %q", key)
			return false
		}
		return true
	}
	required("name", c.Name)
	if required("version", c.Version) && !versionRE.MatchString(c.Version) {
		errs.add(c.Pos("version"), "version %q must be major.minor.patch (e.g. 1.0.0)", c.Version)
	}
	if required("kind", c.Kind) && !identRE.MatchString(c.Kind) {
		errs.add(c.Pos("kind"), "kind %q is not an M identifier (letters, digits and _; not starting with a digit)", c.Kind)
	}
	if required("section", c.Section) {
		if err := p.checkFile(c.Section); err != nil {
			errs.add(c.Pos("section"), "section template %q: %v", c.Section, err)
		}
	}
	for i, pat := range c.Files {
		key := fmt.Sprintf("files[%d]", i)
		if !doublestar.ValidatePattern(pat) {
			errs.add(c.Pos(key), "invalid file pattern %q", pat)
			continue
		}
		m, _ := doublestar.Glob(p.FS, pat, doublestar.WithFilesOnly())
		if len(m) == 0 {
			errs.add(c.Pos(key), "file pattern %q matches no file", pat)
		}
	}
	if c.Templates != "" {
		if fi, err := fs.Stat(p.FS, c.Templates); err != nil || !fi.IsDir() {
			errs.add(c.Pos("templates"), "templates folder %q does not exist", c.Templates)
		}
	}
	if c.Tests != "" {
		if fi, err := fs.Stat(p.FS, c.Tests); err != nil || !fi.IsDir() {
			errs.add(c.Pos("tests"), "tests folder %q does not exist", c.Tests)
		}
	}
	if c.Publish.LearnMoreURL != "" {
		if msg := checkURL(c.Publish.LearnMoreURL, false); msg != "" {
			errs.add(c.Pos("publish.learn_more_url"), "learn_more_url: %s", msg)
		}
	}
	return errs
}

func (p *Project) checkFile(name string) error {
	if !fs.ValidPath(name) {
		return fmt.Errorf("must be a path inside the project, with / separators")
	}
	fi, err := fs.Stat(p.FS, name)
	if err != nil {
		return unwrapPathError(err)
	}
	if fi.IsDir() {
		return fmt.Errorf("is a folder")
	}
	return nil
}

// PackageFiles returns the project files matched by connector.yaml's files
// patterns, sorted and without duplicates.
func (p *Project) PackageFiles() ([]string, error) {
	seen := map[string]bool{}
	var out []string
	for _, pat := range p.Connector.Files {
		m, err := doublestar.Glob(p.FS, pat, doublestar.WithFilesOnly())
		if err != nil {
			return nil, err
		}
		for _, f := range m {
			if !seen[f] {
				seen[f] = true
				out = append(out, f)
			}
		}
	}
	sort.Strings(out)
	return out, nil
}
