package ci

import (
	"fmt"
	"regexp"
	"slices"
	"sort"
	"strings"

	"github.com/goccy/go-yaml"
)

// The checks below are a structural schema of the subset of each
// provider's pipeline language that pqx generates. They run on every
// generated file (and in tests), so a template edit that produces a
// pipeline the CI system would reject fails here rather than in a user's
// first run. actionlint checks GitHub workflows in far more depth in the
// tests; no such library exists for Azure Pipelines.

type schemaErr struct{ errs []string }

func (s *schemaErr) add(path, format string, args ...any) {
	s.errs = append(s.errs, path+": "+fmt.Sprintf(format, args...))
}

func (s *schemaErr) err() error {
	if len(s.errs) == 0 {
		return nil
	}
	return fmt.Errorf("%s", strings.Join(s.errs, "\n"))
}

func parseYAML(data []byte) (map[string]any, error) {
	var doc map[string]any
	if err := yaml.Unmarshal(data, &doc); err != nil {
		return nil, err
	}
	if doc == nil {
		return nil, fmt.Errorf("empty document")
	}
	return doc, nil
}

func keysOf(m map[string]any) []string {
	ks := make([]string, 0, len(m))
	for k := range m {
		ks = append(ks, k)
	}
	sort.Strings(ks)
	return ks
}

func onlyKeys(s *schemaErr, path string, m map[string]any, allowed ...string) {
	for _, k := range keysOf(m) {
		if !slices.Contains(allowed, k) {
			s.add(path, "unknown key %q (allowed: %s)", k, strings.Join(allowed, ", "))
		}
	}
}

func isScalar(v any) bool {
	switch v.(type) {
	case string, bool, int, int64, uint64, float64:
		return true
	}
	return false
}

func asList(s *schemaErr, path string, v any, nonEmpty bool) []any {
	l, ok := v.([]any)
	if !ok {
		s.add(path, "want a list, got %T", v)
		return nil
	}
	if nonEmpty && len(l) == 0 {
		s.add(path, "must not be empty")
	}
	return l
}

func asMap(s *schemaErr, path string, v any) map[string]any {
	m, ok := v.(map[string]any)
	if !ok {
		s.add(path, "want a mapping, got %T", v)
		return nil
	}
	return m
}

func asString(s *schemaErr, path string, v any) string {
	str, ok := v.(string)
	if !ok || str == "" {
		s.add(path, "want a non-empty string, got %v", v)
	}
	return str
}

func scalarMap(s *schemaErr, path string, v any) map[string]any {
	m := asMap(s, path, v)
	for _, k := range keysOf(m) {
		if !isScalar(m[k]) {
			s.add(path+"."+k, "want a scalar, got %T", m[k])
		}
	}
	return m
}

var (
	azureIdentRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_]*$`)
	azureTaskRE  = regexp.MustCompile(`^[A-Za-z][A-Za-z0-9]*@[0-9]+$`)
	azureMacroRE = regexp.MustCompile(`\$\(([A-Za-z_][A-Za-z0-9_.]*)\)`)
	// Predefined variable namespaces of Azure Pipelines.
	azurePredefined = []string{"Agent.", "Build.", "Common.", "Environment.", "Pipeline.", "Resources.", "System."}
	// Steps and the keys each kind allows besides the common ones.
	azureStepKinds = map[string][]string{
		"script":     {"workingDirectory", "failOnStderr"},
		"bash":       {"workingDirectory", "failOnStderr"},
		"pwsh":       {"workingDirectory", "errorActionPreference"},
		"powershell": {"workingDirectory", "errorActionPreference"},
		"task":       {"inputs"},
		"checkout":   {"clean", "fetchDepth", "lfs", "submodules", "path", "persistCredentials"},
		"download":   {"artifact", "patterns", "path"},
		"publish":    {"artifact"},
	}
	azureStepCommon = []string{"displayName", "name", "condition", "continueOnError", "enabled", "env", "timeoutInMinutes", "retryCountOnTaskFailure"}
)

// CheckAzure checks the structure of an Azure DevOps pipeline as pqx
// generates it: stages with unique names and known dependencies, jobs with
// a pool and steps, each step of exactly one kind with the keys that kind
// allows, tasks named Name@Major, and every $(VAR) macro naming a defined
// variable, a matrix variable, a named step's output or a predefined one.
func CheckAzure(data []byte) error {
	doc, err := parseYAML(data)
	if err != nil {
		return err
	}
	s := &schemaErr{}
	onlyKeys(s, "pipeline", doc, "name", "trigger", "pr", "schedules", "resources", "parameters", "variables", "stages")
	vars := map[string]bool{}
	groups := azureVariables(s, "variables", doc["variables"], vars)
	stagesV, ok := doc["stages"]
	if !ok {
		s.add("pipeline", "missing stages")
		return s.err()
	}
	seen := map[string]bool{}
	for i, sv := range asList(s, "stages", stagesV, true) {
		sp := fmt.Sprintf("stages[%d]", i)
		st := asMap(s, sp, sv)
		if st == nil {
			continue
		}
		onlyKeys(s, sp, st, "stage", "displayName", "dependsOn", "condition", "variables", "jobs", "pool")
		name := asString(s, sp+".stage", st["stage"])
		if !azureIdentRE.MatchString(name) {
			s.add(sp+".stage", "%q is not a valid stage name", name)
		}
		if seen[name] {
			s.add(sp+".stage", "duplicate stage %q", name)
		}
		for _, dep := range depList(s, sp+".dependsOn", st["dependsOn"]) {
			if !seen[dep] {
				s.add(sp+".dependsOn", "stage %q is not defined before this one", dep)
			}
		}
		seen[name] = true
		stageVars := cloneSet(vars)
		stageGroups := groups + azureVariables(s, sp+".variables", st["variables"], stageVars)
		checkAzureJobs(s, sp, st["jobs"], stageVars, stageGroups > 0)
	}
	return s.err()
}

func cloneSet(m map[string]bool) map[string]bool {
	c := make(map[string]bool, len(m))
	for k, v := range m {
		c[k] = v
	}
	return c
}

func depList(s *schemaErr, path string, v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case string:
		return []string{v}
	case []any:
		var out []string
		for i, d := range v {
			out = append(out, asString(s, fmt.Sprintf("%s[%d]", path, i), d))
		}
		return out
	}
	s.add(path, "want a name or a list of names, got %T", v)
	return nil
}

// azureVariables records the variables v defines and returns how many
// variable groups it links (whose contents are unknown here).
func azureVariables(s *schemaErr, path string, v any, vars map[string]bool) int {
	switch v := v.(type) {
	case nil:
		return 0
	case map[string]any:
		for _, k := range keysOf(v) {
			if !isScalar(v[k]) {
				s.add(path+"."+k, "want a scalar value, got %T", v[k])
			}
			vars[k] = true
		}
		return 0
	case []any:
		groups := 0
		for i, e := range v {
			ep := fmt.Sprintf("%s[%d]", path, i)
			m := asMap(s, ep, e)
			switch {
			case m == nil:
			case m["group"] != nil:
				onlyKeys(s, ep, m, "group")
				asString(s, ep+".group", m["group"])
				groups++
			case m["name"] != nil:
				onlyKeys(s, ep, m, "name", "value", "readonly")
				vars[asString(s, ep+".name", m["name"])] = true
				if !isScalar(m["value"]) {
					s.add(ep+".value", "want a scalar value")
				}
			default:
				s.add(ep, "want a {name, value} or {group} entry")
			}
		}
		return groups
	}
	s.add(path, "want a mapping or a list, got %T", v)
	return 0
}

func checkAzureJobs(s *schemaErr, sp string, v any, vars map[string]bool, hasGroups bool) {
	seen := map[string]bool{}
	for j, jv := range asList(s, sp+".jobs", v, true) {
		jp := fmt.Sprintf("%s.jobs[%d]", sp, j)
		job := asMap(s, jp, jv)
		if job == nil {
			continue
		}
		onlyKeys(s, jp, job, "job", "displayName", "dependsOn", "condition", "pool", "strategy", "variables", "steps", "timeoutInMinutes", "continueOnError", "workspace")
		name := asString(s, jp+".job", job["job"])
		if !azureIdentRE.MatchString(name) {
			s.add(jp+".job", "%q is not a valid job name", name)
		}
		if seen[name] {
			s.add(jp+".job", "duplicate job %q", name)
		}
		seen[name] = true
		if pool := asMap(s, jp+".pool", job["pool"]); pool != nil {
			onlyKeys(s, jp+".pool", pool, "vmImage", "name", "demands")
			if pool["vmImage"] == nil && pool["name"] == nil {
				s.add(jp+".pool", "needs vmImage or name")
			}
		}
		jobVars := cloneSet(vars)
		azureVariables(s, jp+".variables", job["variables"], jobVars)
		if sv, ok := job["strategy"]; ok {
			strat := asMap(s, jp+".strategy", sv)
			onlyKeys(s, jp+".strategy", strat, "matrix", "maxParallel", "parallel")
			if mv, ok := strat["matrix"]; ok {
				matrix := asMap(s, jp+".strategy.matrix", mv)
				if len(matrix) == 0 {
					s.add(jp+".strategy.matrix", "must not be empty")
				}
				var first []string
				for _, leg := range keysOf(matrix) {
					lp := jp + ".strategy.matrix." + leg
					if !azureIdentRE.MatchString(leg) {
						s.add(lp, "%q is not a valid matrix leg name", leg)
					}
					m := scalarMap(s, lp, matrix[leg])
					ks := keysOf(m)
					if first == nil {
						first = ks
					} else if !slices.Equal(first, ks) {
						s.add(lp, "defines %v; other legs define %v", ks, first)
					}
					for _, k := range ks {
						jobVars[k] = true
					}
				}
			}
		}
		checkAzureSteps(s, jp, job["steps"], jobVars, hasGroups)
	}
}

func checkAzureSteps(s *schemaErr, jp string, v any, vars map[string]bool, hasGroups bool) {
	steps := asList(s, jp+".steps", v, true)
	named := map[string]bool{}
	for k, stv := range steps {
		kp := fmt.Sprintf("%s.steps[%d]", jp, k)
		step := asMap(s, kp, stv)
		if step == nil {
			continue
		}
		var kinds []string
		for kind := range azureStepKinds {
			if _, ok := step[kind]; ok {
				kinds = append(kinds, kind)
			}
		}
		if len(kinds) != 1 {
			sort.Strings(kinds)
			s.add(kp, "a step needs exactly one of script, bash, pwsh, powershell, task, checkout, download or publish; has %v", kinds)
			continue
		}
		kind := kinds[0]
		onlyKeys(s, kp, step, append(append([]string{kind}, azureStepCommon...), azureStepKinds[kind]...)...)
		main := asString(s, kp+"."+kind, step[kind])
		switch kind {
		case "task":
			if !azureTaskRE.MatchString(main) {
				s.add(kp+".task", "%q is not Name@MajorVersion", main)
			}
			if in, ok := step["inputs"]; ok {
				scalarMap(s, kp+".inputs", in)
			}
		case "publish":
			asString(s, kp+".artifact", step["artifact"])
		case "checkout":
			if main != "self" && main != "none" {
				s.add(kp+".checkout", "pqx pipelines check out self, got %q", main)
			}
		case "download":
			if main != "current" && main != "none" {
				s.add(kp+".download", "pqx pipelines download from current, got %q", main)
			}
		}
		if e, ok := step["env"]; ok {
			scalarMap(s, kp+".env", e)
		}
		if n, ok := step["name"]; ok {
			name := asString(s, kp+".name", n)
			if !azureIdentRE.MatchString(name) {
				s.add(kp+".name", "%q is not a valid step name", name)
			}
			named[name] = true
		}
		// Macros are expanded before the step runs, in any string value.
		for _, str := range stringsIn(step) {
			for _, m := range azureMacroRE.FindAllStringSubmatch(str, -1) {
				ref := m[1]
				if vars[ref] || slices.ContainsFunc(azurePredefined, func(p string) bool { return strings.HasPrefix(ref, p) }) {
					continue
				}
				if stepName, _, ok := strings.Cut(ref, "."); ok && named[stepName] {
					continue
				}
				if hasGroups && !strings.Contains(ref, ".") {
					continue // may come from a variable group
				}
				s.add(kp, "$(%s) names no defined variable", ref)
			}
		}
	}
}

func stringsIn(v any) []string {
	switch v := v.(type) {
	case string:
		return []string{v}
	case map[string]any:
		var out []string
		for _, k := range keysOf(v) {
			out = append(out, stringsIn(v[k])...)
		}
		return out
	case []any:
		var out []string
		for _, e := range v {
			out = append(out, stringsIn(e)...)
		}
		return out
	}
	return nil
}

var githubJobRE = regexp.MustCompile(`^[A-Za-z_][A-Za-z0-9_-]*$`)

// CheckGitHub checks the outline of a GitHub Actions workflow: triggers,
// jobs with runs-on and steps, each step either uses or run, and needs
// naming defined jobs. The tests run actionlint for the full check.
func CheckGitHub(data []byte) error {
	doc, err := parseYAML(data)
	if err != nil {
		return err
	}
	s := &schemaErr{}
	onlyKeys(s, "workflow", doc, "name", "on", "permissions", "concurrency", "env", "defaults", "jobs", "run-name")
	if doc["on"] == nil {
		s.add("workflow", "missing on")
	}
	if e, ok := doc["env"]; ok {
		scalarMap(s, "env", e)
	}
	jobs := asMap(s, "jobs", doc["jobs"])
	if len(jobs) == 0 {
		s.add("jobs", "must not be empty")
	}
	for _, name := range keysOf(jobs) {
		jp := "jobs." + name
		if !githubJobRE.MatchString(name) {
			s.add(jp, "invalid job id")
		}
		job := asMap(s, jp, jobs[name])
		if job == nil {
			continue
		}
		if job["runs-on"] == nil {
			s.add(jp, "missing runs-on")
		}
		for _, dep := range depList(s, jp+".needs", job["needs"]) {
			if _, ok := jobs[dep]; !ok {
				s.add(jp+".needs", "job %q is not defined", dep)
			}
		}
		for i, stv := range asList(s, jp+".steps", job["steps"], true) {
			kp := fmt.Sprintf("%s.steps[%d]", jp, i)
			step := asMap(s, kp, stv)
			if step == nil {
				continue
			}
			_, uses := step["uses"]
			_, run := step["run"]
			if uses == run {
				s.add(kp, "a step needs exactly one of uses or run")
			}
		}
	}
	return s.err()
}
