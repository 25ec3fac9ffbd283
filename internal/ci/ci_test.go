package ci

import (
	"bytes"
	"errors"
	"flag"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"

	"github.com/goccy/go-yaml"
	"github.com/google/go-cmp/cmp"
	"github.com/rhysd/actionlint"
)

var update = flag.Bool("update", false, "rewrite the golden files in testdata")

// variants are the option sets every test runs over: each provider with
// and without signing, unsharded and sharded.
func variants() []Options {
	var out []Options
	for _, p := range Providers {
		for _, sign := range []bool{false, true} {
			for _, shards := range []int{0, 3} {
				out = append(out, Options{Provider: p, Sign: sign, Shards: shards, PQXVersion: "v1.2.3", Project: "."})
			}
		}
		out = append(out, Options{Provider: p, Shards: 2, PQXVersion: "v1.2.3", Project: ".",
			SignerCmd: kmsCmd, SignerCert: "certs/signer.crt"})
	}
	return out
}

// kmsCmd is a signer command as a user might write one, with quotes and
// environment variables that must reach the shell unchanged.
const kmsCmd = `kms-sign --key "$KMS_KEY_ID" --digest "$PQX_DIGEST" --label 'pqx release'`

func variantName(o Options) string {
	s := o.Provider
	if o.SignerCmd != "" {
		s += "-kms"
	} else if o.Sign {
		s += "-sign"
	}
	if o.Shards > 1 {
		s += fmt.Sprintf("-shards%d", o.Shards)
	}
	return s
}

func TestGolden(t *testing.T) {
	for _, o := range variants() {
		t.Run(variantName(o), func(t *testing.T) {
			f, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			golden := filepath.Join("testdata", variantName(o)+".yml")
			if *update {
				if err := os.WriteFile(golden, f.Data, 0o644); err != nil {
					t.Fatal(err)
				}
			}
			want, err := os.ReadFile(golden)
			if err != nil {
				t.Fatalf("%v (run go test -update to create it)", err)
			}
			if diff := cmp.Diff(string(want), string(f.Data)); diff != "" {
				t.Errorf("%s differs from the golden file (-want +got):\n%s", golden, diff)
			}
		})
	}
}

// lintWorkflow runs actionlint on a workflow with every built-in rule:
// syntax, expressions and their types, job needs, action inputs of popular
// actions, matrix, permissions, runner labels, environment variables; and
// shellcheck on every run: script when shellcheck is installed.
func lintWorkflow(t *testing.T, name string, data []byte) []*actionlint.Error {
	t.Helper()
	opts := &actionlint.LinterOptions{}
	if sc, err := exec.LookPath("shellcheck"); err == nil {
		opts.Shellcheck = sc
	}
	l, err := actionlint.NewLinter(io.Discard, opts)
	if err != nil {
		t.Fatal(err)
	}
	errs, err := l.Lint(name, data, nil)
	if err != nil {
		t.Fatal(err)
	}
	return errs
}

func TestActionlint(t *testing.T) {
	for _, o := range variants() {
		if o.Provider != "github" {
			continue
		}
		for _, project := range []string{".", "connectors/openehr"} {
			o.Project = project
			t.Run(variantName(o)+"/"+project, func(t *testing.T) {
				f, err := Generate(o)
				if err != nil {
					t.Fatal(err)
				}
				for _, e := range lintWorkflow(t, f.Path, f.Data) {
					t.Errorf("actionlint: %s:%d:%d: %s [%s]", f.Path, e.Line, e.Column, e.Message, e.Kind)
				}
			})
		}
	}
}

// TestActionlintCatches makes sure the linter as configured here does find
// problems, so a clean result above means something.
func TestActionlintCatches(t *testing.T) {
	f, err := Generate(Options{Provider: "github", Shards: 2, PQXVersion: "v1.2.3", Project: "."})
	if err != nil {
		t.Fatal(err)
	}
	broken := bytes.Replace(f.Data, []byte("${{ matrix.shard }}/2"), []byte("${{ matrix.shards }}/2"), 1)
	broken = bytes.Replace(broken, []byte("needs: lint"), []byte("needs: lints"), 1)
	errs := lintWorkflow(t, f.Path, broken)
	var kinds []string
	for _, e := range errs {
		kinds = append(kinds, e.Kind)
	}
	if !strings.Contains(strings.Join(kinds, " "), "expression") || !strings.Contains(strings.Join(kinds, " "), "job-needs") {
		t.Errorf("actionlint found %v in a workflow with a bad matrix property and a bad needs; want expression and job-needs errors", kinds)
	}
	if _, err := exec.LookPath("shellcheck"); err == nil {
		unquoted := bytes.Replace(f.Data, []byte(`rm -f "$RUNNER_TEMP/pqx-sign.pfx"`), []byte(`rm -f $RUNNER_TEMP/pqx-sign.pfx`), 1)
		unquoted = bytes.Replace(unquoted, []byte(`pqx build --shard "${{ matrix.shard }}/2" --out "dist/shard-${{ matrix.shard }}" "$PQX_PROJECT"`), []byte(`pqx build --out $OUT "$PQX_PROJECT"`), 1)
		var found bool
		for _, e := range lintWorkflow(t, f.Path, unquoted) {
			found = found || e.Kind == "shellcheck"
		}
		if !found {
			t.Error("shellcheck is installed but found nothing in an unquoted $OUT")
		}
	}
}

// TestAzureStructure walks the generated Azure pipelines and checks what
// the jobs do, beyond the schema: which stages exist and depend on which,
// the matrix, and the commands the steps run.
func TestAzureStructure(t *testing.T) {
	type step struct {
		Script, Task, Publish, Download, Artifact string
		Inputs                                    map[string]any
		Env                                       map[string]string
		Condition                                 string
	}
	type job struct {
		Job  string
		Pool struct {
			VMImage string `yaml:"vmImage"`
		}
		Strategy struct {
			Matrix map[string]map[string]string
		}
		Steps []step
	}
	type stage struct {
		Stage     string
		DependsOn string `yaml:"dependsOn"`
		Condition string
		Variables []map[string]string
		Jobs      []job
	}
	type pipeline struct {
		Trigger   map[string]any
		Variables map[string]string
		Stages    []stage
	}
	for _, o := range variants() {
		if o.Provider != "azure" {
			continue
		}
		t.Run(variantName(o), func(t *testing.T) {
			f, err := Generate(o)
			if err != nil {
				t.Fatal(err)
			}
			if f.Path != "azure-pipelines.yml" {
				t.Errorf("path %q", f.Path)
			}
			if err := CheckAzure(f.Data); err != nil {
				t.Fatal(err)
			}
			var p pipeline
			if err := yaml.Unmarshal(f.Data, &p); err != nil {
				t.Fatal(err)
			}
			if p.Variables["PQX_VERSION"] != "v1.2.3" || p.Variables["PQX_PROJECT"] != "." {
				t.Errorf("variables = %v", p.Variables)
			}
			var names []string
			scripts := map[string][]step{}
			for _, st := range p.Stages {
				names = append(names, st.Stage)
				for _, j := range st.Jobs {
					if j.Pool.VMImage == "" {
						t.Errorf("job %s has no vmImage", j.Job)
					}
					scripts[j.Job] = j.Steps
					if j.Job == "build" {
						if o.Shards > 1 {
							last := fmt.Sprint(o.Shards)
							if len(j.Strategy.Matrix) != o.Shards || j.Strategy.Matrix["shard_"+last]["SHARD"] != last {
								t.Errorf("matrix = %v, want %d legs with SHARD", j.Strategy.Matrix, o.Shards)
							}
						} else if j.Strategy.Matrix != nil {
							t.Errorf("unsharded build has a matrix")
						}
					}
				}
				if st.Stage == "sign" {
					if st.DependsOn != "build" || !strings.Contains(st.Condition, "PullRequest") {
						t.Errorf("sign stage: dependsOn %q condition %q", st.DependsOn, st.Condition)
					}
					if len(st.Variables) != 1 || st.Variables[0]["group"] != "pqx-signing" {
						t.Errorf("sign stage variables = %v", st.Variables)
					}
				}
			}
			// Every script passes shellcheck, with Azure's $(VAR) macros
			// expanded to plain words first, as the agent does.
			if sc, err := exec.LookPath("shellcheck"); err == nil {
				for job, steps := range scripts {
					for _, st := range steps {
						if st.Script == "" {
							continue
						}
						src := "#!/bin/bash\n" + azureMacroRE.ReplaceAllString(st.Script, "macro_value") + "\n"
						cmd := exec.Command(sc, "-s", "bash", "-")
						cmd.Stdin = strings.NewReader(src)
						if out, err := cmd.CombinedOutput(); err != nil {
							t.Errorf("job %s: shellcheck: %v\n%s\n%s", job, err, out, src)
						}
					}
				}
			}
			want := []string{"lint", "build"}
			if o.Sign || o.SignerCmd != "" {
				want = append(want, "sign")
			}
			if !cmp.Equal(names, want) {
				t.Errorf("stages = %v, want %v", names, want)
			}
			has := func(jobName, substr string) *step {
				for i, s := range scripts[jobName] {
					if strings.Contains(s.Script, substr) {
						return &scripts[jobName][i]
					}
				}
				t.Errorf("job %s runs no step containing %q", jobName, substr)
				return nil
			}
			has("lint", "pqx lint --format sarif --output")
			if o.Shards > 1 {
				has("build", fmt.Sprintf(`pqx build --shard "$(SHARD)/%d" --out "dist/shard-$(SHARD)"`, o.Shards))
			} else {
				has("build", `pqx build --out dist "$(PQX_PROJECT)"`)
			}
			has("test", "pqx test --junit")
			var published bool
			for _, s := range scripts["test"] {
				if s.Task == "PublishTestResults@2" && s.Inputs["testResultsFormat"] == "JUnit" && s.Condition == "succeededOrFailed()" {
					published = true
				}
			}
			if !published {
				t.Error("test job does not publish JUnit results even when tests fail")
			}
			if o.SignerCmd != "" {
				if s := has("sign", `pqx sign --cert-pem certs/signer.crt --signer-cmd "$PQX_SIGNER_CMD"`); s != nil && s.Env["PQX_SIGNER_CMD"] != kmsCmd {
					t.Errorf("signer command = %q, want %q", s.Env["PQX_SIGNER_CMD"], kmsCmd)
				}
				for _, st := range scripts["sign"] {
					if st.Task == "DownloadSecureFile@1" {
						t.Error("the external signer variant downloads a PFX")
					}
				}
				has("sign", "pqx verify")
			} else if o.Sign {
				if s := has("sign", "pqx sign --cert"); s != nil {
					if s.Env["PQX_SIGN_PASSWORD"] != "$(PQX_SIGN_PASSWORD)" || strings.Contains(s.Script, "--password ") {
						t.Errorf("the password must reach pqx through env and --password-env: %+v", s)
					}
				}
				has("sign", "pqx verify")
			} else if _, ok := scripts["sign"]; ok {
				t.Error("sign job without --sign")
			}
		})
	}
}

func TestCheckAzureRejects(t *testing.T) {
	good, err := Generate(Options{Provider: "azure", Sign: true, Shards: 2, PQXVersion: "v1.2.3", Project: "."})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, old, new, want string
	}{
		{"unknown stage dependency", "dependsOn: lint", "dependsOn: lnt", `stage "lnt" is not defined`},
		{"step of two kinds", "          - checkout: self\n", "          - checkout: self\n            script: echo\n", "exactly one of"},
		{"bad task name", "PublishTestResults@2", "PublishTestResults", "not Name@MajorVersion"},
		{"undefined variable", `"$(PQX_PROJECT)"`, `"$(PQX_PROJCT)"`, "$(PQX_PROJCT) names no defined variable"},
		{"duplicate job", "job: test\n", "job: build\n", `duplicate job "build"`},
		{"unknown job key", "        pool:\n", "        pools:\n", `unknown key "pools"`},
		{"no stages", "stages:", "stagez:", `unknown key "stagez"`},
		{"uneven matrix", `SHARD: "2"`, `SHARDS: "2"`, "other legs define"},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			bad := strings.Replace(string(good.Data), tc.old, tc.new, 1)
			if bad == string(good.Data) {
				t.Fatalf("%q not found in the pipeline", tc.old)
			}
			err := CheckAzure([]byte(bad))
			if err == nil || !strings.Contains(err.Error(), tc.want) {
				t.Errorf("CheckAzure = %v, want an error containing %q", err, tc.want)
			}
		})
	}
}

func TestCheckGitHubRejects(t *testing.T) {
	good, err := Generate(Options{Provider: "github", PQXVersion: "v1.2.3", Project: "."})
	if err != nil {
		t.Fatal(err)
	}
	for _, tc := range []struct{ old, new, want string }{
		{"needs: lint", "needs: lnt", `job "lnt" is not defined`},
		{"    runs-on: ubuntu-latest\n", "", "missing runs-on"},
		{"      - name: Install pqx\n", "      - name: Install pqx\n        uses: actions/checkout@v4\n", "exactly one of uses or run"},
	} {
		bad := strings.Replace(string(good.Data), tc.old, tc.new, 1)
		if err := CheckGitHub([]byte(bad)); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("after %q → %q: CheckGitHub = %v, want %q", tc.old, tc.new, err, tc.want)
		}
	}
}

func TestSecretsNeverEchoed(t *testing.T) {
	for _, o := range variants() {
		if !o.Sign {
			continue
		}
		f, err := Generate(o)
		if err != nil {
			t.Fatal(err)
		}
		s := string(f.Data)
		for _, bad := range []string{"echo \"$PQX_SIGN", "echo $PQX_SIGN", "set -x", "--password ", "-p $"} {
			if strings.Contains(s, bad) {
				t.Errorf("%s contains %q", variantName(o), bad)
			}
		}
		if o.SignerCmd != "" {
			// The command reaches the shell through an environment
			// variable, exactly as given, and no secret is referenced.
			var doc map[string]any
			if err := yaml.Unmarshal(f.Data, &doc); err != nil {
				t.Fatal(err)
			}
			envs := stringsInKey(doc, "PQX_SIGNER_CMD")
			if len(envs) != 1 || envs[0] != kmsCmd {
				t.Errorf("%s: PQX_SIGNER_CMD values %q, want [%q]", variantName(o), envs, kmsCmd)
			}
			if strings.Contains(s, "secrets.") || strings.Contains(s, "PQX_SIGN_PFX") {
				t.Errorf("%s references the PFX secrets", variantName(o))
			}
			continue
		}
		if o.Provider == "github" {
			// The PFX is written under umask 077 into the runner's temp
			// folder and removed even when signing fails.
			if !strings.Contains(s, "umask 077") || !strings.Contains(s, "if: ${{ always() }}\n        run: rm -f \"$RUNNER_TEMP/pqx-sign.pfx\"") {
				t.Errorf("%s: PFX handling lacks umask 077 or the always-run removal", variantName(o))
			}
			// Secrets reach only the steps that need them.
			if n := strings.Count(s, "secrets."); n != 2 {
				t.Errorf("%s references secrets %d times, want 2", variantName(o), n)
			}
		}
	}
}

func TestGenerateOptionErrors(t *testing.T) {
	for _, tc := range []struct {
		opt  Options
		want string
	}{
		{Options{PQXVersion: "v1.0.0", Project: "."}, "--provider is required"},
		{Options{Provider: "gitlab", PQXVersion: "v1.0.0", Project: "."}, `--provider "gitlab"`},
		{Options{Provider: "github", Shards: 257, PQXVersion: "v1.0.0", Project: "."}, "--shards 257"},
		{Options{Provider: "github", Shards: -1, PQXVersion: "v1.0.0", Project: "."}, "--shards -1"},
		{Options{Provider: "github", PQXVersion: "v1.0.0; rm -rf /", Project: "."}, "--pqx-version"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: "../x"}, "--project"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: "/abs"}, "--project"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: "a/./b"}, "--project"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: "a b"}, "--project"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: "x", GoVersion: "1.26\n"}, "--go-version"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: ".", Branch: "main; x"}, "--branch"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: ".", Branch: "-x"}, "--branch"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: ".", SignerCmd: "x"}, "go together"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: ".", SignerCert: "a.crt"}, "go together"},
		{Options{Provider: "azure", PQXVersion: "v1.0.0", Project: ".", SignerCmd: "a\nb", SignerCert: "a.crt"}, "one line"},
		{Options{Provider: "github", PQXVersion: "v1.0.0", Project: ".", SignerCmd: "sign ${{ secrets.X }}", SignerCert: "a.crt"}, "expressions"},
		{Options{Provider: "github", PQXVersion: "v1.0.0", Project: ".", SignerCmd: "sign", SignerCert: "../a.crt"}, "--signer-cert"},
	} {
		if _, err := Generate(tc.opt); err == nil || !strings.Contains(err.Error(), tc.want) {
			t.Errorf("Generate(%+v) = %v, want error containing %q", tc.opt, err, tc.want)
		}
	}
}

func TestPinVersion(t *testing.T) {
	for _, tc := range []struct {
		in, want string
		pinned   bool
	}{
		{"v1.2.3", "v1.2.3", true},
		{"v1.3.0-rc.1", "v1.3.0-rc.1", true},
		{"v0.0.0-20261122120000-0123456789ab", "v0.0.0-20261122120000-0123456789ab", true},
		{"v0.0.0-20261122120000-0123456789ab+dirty+0123456789ab", "v0.0.0-20261122120000-0123456789ab", true},
		{"devel+0123456789ab", "0123456789ab", true},
		{"devel", "latest", false},
		{"", "latest", false},
	} {
		got, pinned := PinVersion(tc.in)
		if got != tc.want || pinned != tc.pinned {
			t.Errorf("PinVersion(%q) = %q, %v; want %q, %v", tc.in, got, pinned, tc.want, tc.pinned)
		}
	}
}

func TestSealInspect(t *testing.T) {
	data := Seal("pqx ci init --provider github", []byte("name: x\n"))
	if got := Inspect(data); got != Pristine {
		t.Fatalf("fresh file: %v", got)
	}
	for i := range data {
		if data[i] == '\n' {
			continue
		}
		// Any change of any byte, in the header or the body, is an edit.
		mod := bytes.Clone(data)
		mod[i] ^= 0x20
		if Inspect(mod) != Modified {
			t.Fatalf("flipping byte %d (%q) went unnoticed", i, data[i])
		}
	}
	if Inspect(bytes.ReplaceAll(data, []byte("\n"), []byte("\r\n"))) != Pristine {
		t.Error("a CRLF checkout of an untouched file counts as modified")
	}
	if Inspect([]byte("name: mine\n")) != Modified {
		t.Error("a file without the header must count as modified")
	}
	if Inspect(append(bytes.Clone(data), "# more\n"...)) != Modified {
		t.Error("appended line went unnoticed")
	}
}

func TestWrite(t *testing.T) {
	root := t.TempDir()
	opt := Options{Provider: "github", PQXVersion: "v1.2.3", Project: "."}
	f, err := Generate(opt)
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(root, ".github", "workflows", "pqx.yml")
	step := func(f File, force bool, want Action) {
		t.Helper()
		got, err := Write(root, f, force)
		if err != nil {
			t.Fatal(err)
		}
		if got != want {
			t.Fatalf("Write = %s, want %s", got, want)
		}
		data, _ := os.ReadFile(path)
		if !bytes.Equal(data, f.Data) {
			t.Fatal("file content is not the generated content")
		}
	}
	step(f, false, Created)
	step(f, false, Unchanged)
	// A CRLF checkout (Git on Windows) is the same file.
	crlf := bytes.ReplaceAll(f.Data, []byte("\n"), []byte("\r\n"))
	if err := os.WriteFile(path, crlf, 0o644); err != nil {
		t.Fatal(err)
	}
	if got, err := Write(root, f, false); err != nil || got != Unchanged {
		t.Fatalf("Write over a CRLF copy = %v, %v; want unchanged", got, err)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, crlf) {
		t.Fatal("an unchanged file was rewritten")
	}
	// Regenerating with other options replaces a pristine file.
	opt.Shards = 2
	f2, _ := Generate(opt)
	step(f2, false, Updated)

	// An edited file is kept...
	edited := append(bytes.Clone(f2.Data), "# my change\n"...)
	if err := os.WriteFile(path, edited, 0o644); err != nil {
		t.Fatal(err)
	}
	_, err = Write(root, f, false)
	var me *ModifiedError
	if !errors.As(err, &me) || me.Path != path || !strings.Contains(err.Error(), "--force") {
		t.Fatalf("Write over an edited file = %v, want a ModifiedError naming %s", err, path)
	}
	if data, _ := os.ReadFile(path); !bytes.Equal(data, edited) {
		t.Fatal("the edited file was changed")
	}
	// ...unless forced.
	step(f, true, Updated)

	// A file pqx did not write counts as modified.
	foreign := File{Path: "azure-pipelines.yml", Data: []byte("x")}
	if err := os.WriteFile(filepath.Join(root, "azure-pipelines.yml"), []byte("trigger: none\n"), 0o644); err != nil {
		t.Fatal(err)
	}
	if _, err := Write(root, foreign, false); !errors.As(err, &me) {
		t.Fatalf("Write over a foreign file = %v", err)
	}
	// No temporary files are left behind.
	entries, _ := os.ReadDir(filepath.Dir(path))
	if len(entries) != 1 {
		t.Errorf("workflow folder holds %d entries, want 1", len(entries))
	}
}

func BenchmarkGenerate(b *testing.B) {
	opt := Options{Provider: "github", Sign: true, Shards: 4, PQXVersion: "v1.2.3", Project: "."}
	for b.Loop() {
		if _, err := Generate(opt); err != nil {
			b.Fatal(err)
		}
	}
}

// stringsInKey returns the string values of every mapping key named key.
func stringsInKey(v any, key string) []string {
	var out []string
	switch v := v.(type) {
	case map[string]any:
		for k, e := range v {
			if str, ok := e.(string); ok && k == key {
				out = append(out, str)
			}
			out = append(out, stringsInKey(e, key)...)
		}
	case []any:
		for _, e := range v {
			out = append(out, stringsInKey(e, key)...)
		}
	}
	return out
}

// FuzzSeal: any sealed content inspects as pristine, any change to the
// sealed bytes (other than line endings) as modified, and Inspect never
// panics on arbitrary input.
func FuzzSeal(f *testing.F) {
	f.Add("pqx ci init", []byte("name: x\n"), 3)
	f.Add("", []byte(""), 0)
	f.Add("c", []byte("# pqx-ci-sha256: 00\n"), 1)
	f.Fuzz(func(t *testing.T, cmd string, body []byte, flip int) {
		Inspect(body)
		if bytes.IndexByte(body, '\r') >= 0 || strings.ContainsAny(cmd, "\r") {
			return
		}
		sealed := Seal(cmd, body)
		if Inspect(sealed) != Pristine {
			t.Fatalf("sealed content is not pristine:\n%s", sealed)
		}
		i := flip % len(sealed)
		if i < 0 {
			i = -i
		}
		if sealed[i] == '\n' || sealed[i] == '\r' || sealed[i]^1 == '\r' || sealed[i]^1 == '\n' {
			return
		}
		mod := bytes.Clone(sealed)
		mod[i] ^= 1
		if Inspect(mod) != Modified {
			t.Fatalf("byte %d changed but the file is pristine", i)
		}
	})
}
