package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"time"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/m/eval"
	"github.com/pqxdev/pqx/internal/m/eval/extpkg"
	"github.com/pqxdev/pqx/internal/m/scanner"
)

func init() {
	register(&cli.Command{
		Name:      "eval",
		Usage:     "evaluate an M expression or query file, optionally in the context of a connector",
		ArgsUsage: "[EXPR | -]",
		Description: `Evaluates Power Query M with pqx's evaluator and prints the value in M literal
syntax (the .pqout serialization): #table(type table [...], {...}), #date(...),
records, lists, quoted text.

The expression is the argument, '-' for stdin, or a query file given with -q
(FILE.query.pq: an expression, or a section document whose first shared
member is evaluated). With -e the connector is loaded first, so its shared
members, Extension.Contents (package files) and Extension.LoadString
(resources.resx) are available:

    pqx eval -e connector/ 'OpenEHR.Contents'
    pqx eval -e dist/OpenEHR.mez -q tests/Parse.query.pq

-e takes a project directory (the single *.pq section document that is not a
*.query.pq, resources.resx and every other file) or a .mez/.pqx package.

--batch reads one JSON string per line from stdin, each an expression, and
writes one JSON object per line to stdout in the same order:
{"value": "<M serialization>"} or {"error": {"reason": "...", "message": "..."}}.
A failing expression never stops the rest; the exit status is 0.

--in-section evaluates the expression as if it were a member of the connector's
section, so private members are visible by name (a debugging aid; Power Query
shows queries only the shared members):

    pqx eval -e connector/ --in-section 'StartLogin("https://cdr", "state", null)'

Web.Contents is refused unless --allow-network is given. A credential for
Extension.CurrentCredential and Web.Contents can be given with --credential in
PQTest's credential-template JSON shape.

Exit status: 0 success, 1 the evaluation raised an M error (printed as
Reason: Message with its M call frames), 2 usage error or unreadable input.`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "extension", Aliases: []string{"e"}, Usage: "connector `DIR` or .mez/.pqx package to load"},
			&cli.StringFlag{Name: "query", Aliases: []string{"q"}, Usage: "evaluate the query `FILE` (.query.pq) instead of an argument"},
			&cli.BoolFlag{Name: "batch", Usage: "read JSON-string expressions from stdin, one per line; write JSON results"},
			&cli.BoolFlag{Name: "in-section", Usage: "with -e: evaluate inside the connector's section, so non-shared members (StartLogin, helpers) are visible"},
			&cli.BoolFlag{Name: "allow-network", Usage: "let Web.Contents make real HTTP requests"},
			&cli.StringFlag{Name: "credential", Usage: "credential JSON `FILE` (PQTest template shape) for the data source"},
			&cli.Int64Flag{Name: "max-steps", Value: eval.DefaultLimits.MaxSteps, Usage: "abort after this many evaluation steps"},
			&cli.IntFlag{Name: "max-depth", Value: eval.DefaultLimits.MaxDepth, Usage: "maximum nesting of function calls"},
			&cli.DurationFlag{Name: "timeout", Value: 0, Usage: "abort the evaluation after this long (0: no limit)"},
			&cli.BoolFlag{Name: "json", Usage: `print {"value": ...} or {"error": {"reason", "message"}} as JSON`},
		},
		Action: runEval,
	})
}

// evalSession holds what every expression of one invocation shares.
type evalSession struct {
	env     *eval.Environment
	host    *eval.Host
	limits  eval.Limits
	section *eval.Section // set with --in-section
}

func newEvalSession(c *cli.Context) (*evalSession, error) {
	s := &evalSession{env: eval.NewEnvironment(), host: &eval.Host{}, limits: eval.DefaultLimits}
	s.limits.MaxSteps = c.Int64("max-steps")
	s.limits.MaxDepth = c.Int("max-depth")
	if c.Bool("allow-network") {
		s.host.HTTP = &http.Client{}
	}
	if f := c.String("credential"); f != "" {
		cred, err := readCredential(f)
		if err != nil {
			return nil, usagef("eval: --credential: %v", err)
		}
		s.host.Credential = cred
	}
	if p := c.String("extension"); p != "" {
		x, err := extpkg.Load(p)
		if err != nil {
			return nil, usagef("eval: -e: %v", err)
		}
		x.Configure(s.host)
		th := eval.NewThread(s.env, s.host)
		sec, err := x.LoadInto(th)
		if err != nil {
			var list scanner.ErrorList
			if errors.As(err, &list) {
				scanner.PrintError(c.App.ErrWriter, err)
				return nil, usagef("eval: %s does not parse", x.SectionFile)
			}
			return nil, usagef("eval: %v", err)
		}
		s.host.DataSourceKind = extpkg.Kind(sec)
		if c.Bool("in-section") {
			s.section = sec
		}
	} else if c.Bool("in-section") {
		return nil, usagef("eval: --in-section needs a connector (-e)")
	}
	return s, nil
}

// readCredential reads {"AuthenticationKind": ..., "AuthenticationProperties": {...}}.
func readCredential(path string) (*eval.Credential, error) {
	data, err := os.ReadFile(path)
	if err != nil {
		return nil, err
	}
	var doc struct {
		AuthenticationKind       string
		AuthenticationProperties map[string]string
	}
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s: %v", path, err)
	}
	if doc.AuthenticationKind == "" {
		return nil, fmt.Errorf("%s: AuthenticationKind is missing", path)
	}
	p := doc.AuthenticationProperties
	cred := &eval.Credential{AuthenticationKind: doc.AuthenticationKind,
		Username: p["Username"], Password: p["Password"], Key: p["Key"],
		AccessToken: p["AccessToken"]}
	if cred.AccessToken == "" {
		cred.AccessToken = p["access_token"]
	}
	if rt := p["RefreshToken"]; rt != "" {
		cred.Properties = eval.NewRecord(eval.Field{Name: "refresh_token", Value: eval.Str(rt)})
	}
	return cred, nil
}

func (s *evalSession) thread(c *cli.Context) (*eval.Thread, func()) {
	th := eval.NewThread(s.env, s.host)
	th.Limits = s.limits
	cancel := func() {}
	if d := c.Duration("timeout"); d > 0 {
		ctx, cf := contextWithTimeout(c, d)
		th.Ctx, cancel = ctx, cf
	}
	return th, cancel
}

// evaluate returns the serialized value of src, or the error.
func (s *evalSession) evaluate(c *cli.Context, name string, src []byte) (string, error) {
	th, cancel := s.thread(c)
	defer cancel()
	var v eval.Value
	var err error
	if s.section != nil {
		v, err = th.EvalInSection(s.section, name, src)
	} else {
		v, err = th.EvalSource(name, src)
	}
	if err == nil {
		err = th.DeepForce(v)
	}
	if err != nil {
		return "", err
	}
	return eval.Serialize(th, v), nil
}

func runEval(c *cli.Context) error {
	out := outputOf(c)
	batch := c.Bool("batch")
	query := c.String("query")
	if batch && (query != "" || c.NArg() > 0) {
		return usagef("eval: --batch reads expressions from stdin; give no EXPR or -q")
	}
	if !batch && query == "" && c.NArg() != 1 {
		return usagef("eval: give one EXPR, '-' for stdin, or -q FILE (see 'pqx eval --help')")
	}
	if query != "" && c.NArg() > 0 {
		return usagef("eval: give either -q FILE or EXPR, not both")
	}
	s, err := newEvalSession(c)
	if err != nil {
		return err
	}
	if batch {
		return s.batch(c)
	}
	name, src := "<expr>", []byte(c.Args().First())
	switch {
	case query != "":
		name = query
		if src, err = os.ReadFile(query); err != nil {
			return usagef("eval: %v", err)
		}
	case c.Args().First() == "-":
		name = "<stdin>"
		if src, err = io.ReadAll(c.App.Reader); err != nil {
			return usagef("eval: reading stdin: %v", err)
		}
	}
	text, err := s.evaluate(c, name, src)
	if err != nil {
		if out.json {
			_ = out.writeJSON(map[string]any{"error": errorJSON(err)})
			return failf("")
		}
		var list scanner.ErrorList
		if errors.As(err, &list) {
			scanner.PrintError(out.stderr, err)
			return failf("eval: %s does not parse", name)
		}
		var me *eval.Error
		if errors.As(err, &me) {
			return failf("%s", me.Backtrace())
		}
		return failf("eval: %v", err)
	}
	if out.json {
		return out.writeJSON(map[string]any{"value": text})
	}
	if !out.quiet {
		fmt.Fprintln(out.stdout, text)
	}
	return nil
}

// errorJSON is the {"reason", "message"} shape of --batch and --json.
func errorJSON(err error) map[string]string {
	var me *eval.Error
	if errors.As(err, &me) {
		return map[string]string{"reason": me.Reason(), "message": me.Message()}
	}
	var list scanner.ErrorList
	if errors.As(err, &list) {
		return map[string]string{"reason": "Expression.SyntaxError", "message": err.Error()}
	}
	return map[string]string{"reason": "Expression.Error", "message": err.Error()}
}

func (s *evalSession) batch(c *cli.Context) error {
	in := bufio.NewReader(c.App.Reader)
	w := bufio.NewWriter(c.App.Writer)
	defer w.Flush()
	enc := json.NewEncoder(w)
	enc.SetEscapeHTML(false)
	for n := 1; ; n++ {
		line, err := in.ReadString('\n')
		if line = strings.TrimSpace(line); line != "" {
			var expr string
			var res any
			if jerr := json.Unmarshal([]byte(line), &expr); jerr != nil {
				res = map[string]any{"error": map[string]string{"reason": "pqx.InvalidInput",
					"message": fmt.Sprintf("line %d is not a JSON string: %v", n, jerr)}}
			} else if text, eerr := s.evaluate(c, fmt.Sprintf("<batch:%d>", n), []byte(expr)); eerr != nil {
				res = map[string]any{"error": errorJSON(eerr)}
			} else {
				res = map[string]any{"value": text}
			}
			if werr := enc.Encode(res); werr != nil {
				return failf("eval: %v", werr)
			}
		}
		if err == io.EOF {
			return nil
		}
		if err != nil {
			return usagef("eval: reading stdin: %v", err)
		}
	}
}

func contextWithTimeout(c *cli.Context, d time.Duration) (context.Context, context.CancelFunc) {
	ctx := c.Context
	if ctx == nil {
		ctx = context.Background()
	}
	return context.WithTimeout(ctx, d)
}
