package eval

import (
	"sort"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// library holds the standard library: built-in functions and constant
// values, registered by the lib_*.go files at init.
var library = map[string]Value{}

// register adds built-ins to the standard library.
func register(vals ...Value) {
	for _, v := range vals {
		switch x := v.(type) {
		case *Function:
			library[x.Name] = x
		default:
			panic("register: use registerValue for constants")
		}
	}
}

// registerValue adds a named constant to the standard library.
func registerValue(name string, v Value) { library[name] = v }

// LibraryNames returns the names of the standard library, sorted.
func LibraryNames() []string {
	out := make([]string, 0, len(library))
	for n := range library {
		out = append(out, n)
	}
	sort.Strings(out)
	return out
}

// Environment is the global environment of an evaluation: the standard
// library plus the shared members of loaded sections. Sections are loaded
// with LoadSection; each Environment is independent, so a fresh one gives a
// fresh section instance (as each OAuth call needs).
type Environment struct {
	fset     *token.FileSet
	shared   map[string]*Lazy
	sections []*Section
	noLib    bool // Expression.Evaluate environments see only their record
	sharedR  *Record
	root     *scope
}

// Section is a loaded section document.
type Section struct {
	Name string
	// Attrs is the section's literal attribute record (empty if none).
	Attrs *Record
	// Members holds every member, shared or not, lazily evaluated.
	Members *Record
	// MemberAttrs holds each member's literal attributes, by member name.
	MemberAttrs map[string]*Record
	// Shared lists the names of the shared members in source order.
	Shared []string
	// Doc is the parsed document.
	Doc *ast.SectionDocument

	scope *scope // the members' scope, for evaluating inside the section
}

// NewEnvironment returns an environment with only the standard library.
func NewEnvironment() *Environment { return NewEnvironmentFileSet(token.NewFileSet()) }

// NewEnvironmentFileSet is NewEnvironment with positions kept in fset, so
// that documents parsed once into fset can be loaded into many fresh
// environments (LoadSection) with their positions intact.
func NewEnvironmentFileSet(fset *token.FileSet) *Environment {
	e := &Environment{fset: fset, shared: map[string]*Lazy{}}
	e.root = &scope{exclude: -1, global: e}
	return e
}

// FileSet returns the file set positions of loaded documents refer to.
func (e *Environment) FileSet() *token.FileSet { return e.fset }

// Sections returns the loaded sections in load order.
func (e *Environment) Sections() []*Section { return e.sections }

// Section returns the named section or nil.
func (e *Environment) Section(name string) *Section {
	for _, s := range e.sections {
		if s.Name == name {
			return s
		}
	}
	return nil
}

func (e *Environment) isolated() *Environment {
	iso := &Environment{fset: e.fset, shared: map[string]*Lazy{}, noLib: true}
	iso.root = &scope{exclude: -1, global: iso}
	return iso
}

func (e *Environment) lookup(name string) *Lazy {
	if l, ok := e.shared[name]; ok {
		return l
	}
	if e.noLib {
		return nil
	}
	if v, ok := library[name]; ok {
		return Eager(v)
	}
	return nil
}

// Lookup returns the value of a global name (a shared member or a library
// function), forcing it on th.
func (e *Environment) Lookup(th *Thread, name string) (Value, bool, error) {
	l := e.lookup(name)
	if l == nil {
		return nil, false, nil
	}
	v, err := th.force(l)
	return v, true, err
}

// LoadSection adds a parsed section document to the environment. Member
// expressions are not evaluated until used. Shared members enter the global
// environment; a name shared by two sections errors only when accessed.
func (e *Environment) LoadSection(th *Thread, doc *ast.SectionDocument) (*Section, error) {
	s := &Section{Name: doc.Name.Name, MemberAttrs: map[string]*Record{}, Doc: doc, Attrs: NewRecord()}
	if doc.Attrs != nil {
		a, err := literalRecord(th, doc.Attrs)
		if err != nil {
			return nil, err
		}
		s.Attrs = a
	}
	names := make([]string, 0, len(doc.Members))
	vals := make([]*Lazy, 0, len(doc.Members))
	sc := &scope{exclude: -1, parent: e.root}
	for _, m := range doc.Members {
		name := m.Name.Name
		for _, n := range names {
			if n == name {
				return nil, Errorf("%s: the member '%s' is defined more than once in section %s", th.pos(m.Name.Pos()), name, s.Name)
			}
		}
		if m.Attrs != nil {
			a, err := literalRecord(th, m.Attrs)
			if err != nil {
				return nil, err
			}
			s.MemberAttrs[name] = a
		}
		expr := m.Value
		l := Defer(func(th *Thread) (Value, error) { return th.eval(expr, sc) })
		names = append(names, name)
		vals = append(vals, l)
		if m.IsShared() {
			s.Shared = append(s.Shared, name)
			if _, dup := e.shared[name]; dup {
				n := name
				e.shared[name] = Defer(func(*Thread) (Value, error) {
					return nil, Errorf("The name '%s' is defined by more than one section.", n)
				})
			} else {
				e.shared[name] = l
			}
		}
	}
	// Members see each other, themselves included (recursion without @).
	sc.names, sc.vals = names, vals
	s.scope = sc
	s.Members = NewLazyRecord(names, vals)
	e.sections = append(e.sections, s)
	e.sharedR = nil
	return s, nil
}

// literalRecord evaluates an attribute record. Attributes are literal, so
// they are evaluated eagerly in an empty environment.
func literalRecord(th *Thread, x *ast.RecordExpr) (*Record, error) {
	e0 := NewEnvironment()
	v, err := th.eval(x, e0.root)
	if err != nil {
		return nil, err
	}
	r := v.(*Record)
	for i := range r.vals {
		if _, err := th.force(r.vals[i]); err != nil {
			return nil, err
		}
	}
	return r, nil
}

// sharedRecord is #shared: the library and every shared member.
func (e *Environment) sharedRecord() *Record {
	if e.sharedR != nil {
		return e.sharedR
	}
	r := NewRecord()
	if !e.noLib {
		for _, n := range LibraryNames() {
			r.set(n, Eager(library[n]))
		}
	}
	for _, s := range e.sections {
		for _, n := range s.Shared {
			r.set(n, e.shared[n])
		}
	}
	e.sharedR = r
	return r
}

// sectionsRecord is #sections: a record of section name → members record.
func (e *Environment) sectionsRecord() *Record {
	r := NewRecord()
	for _, s := range e.sections {
		r.set(s.Name, Eager(s.Members))
	}
	return r
}

func (e *Environment) sectionMember(th *Thread, section, member string) (Value, error) {
	s := e.Section(section)
	if s == nil {
		return nil, Errorf("The section '%s' wasn't found.", section)
	}
	v, ok, err := s.Members.Get(th, member)
	if !ok {
		return nil, Errorf("The name '%s' wasn't found in section '%s'.", member, section)
	}
	return v, err
}

// Member returns the value of a section member, shared or not.
func (s *Section) Member(th *Thread, name string) (Value, error) {
	v, ok, err := s.Members.Get(th, name)
	if !ok {
		return nil, Errorf("The name '%s' wasn't found in section '%s'.", name, s.Name)
	}
	return v, err
}
