package eval

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/http"
	"sync"
	"time"

	"github.com/pqxdev/pqx/internal/m/ast"
	"github.com/pqxdev/pqx/internal/m/token"
)

// Host is everything M code can reach outside the evaluator. A nil field
// selects a safe default: no network, the real clock, random GUIDs, no
// credential, traces dropped, no package files.
type Host struct {
	// HTTP performs Web.Contents requests. Nil refuses every request.
	HTTP *http.Client
	// Clock is used for DateTime.LocalNow, retries and Function.InvokeAfter.
	Clock Clock
	// NewGuid returns the next GUID for Text.NewGuid.
	NewGuid func() string
	// Credential is the current credential (Extension.CurrentCredential and
	// Web.Contents); nil means anonymous.
	Credential *Credential
	// RefreshCredential, when set, serves Extension.CurrentCredential(true):
	// the host refreshes the token (running the connector's Refresh) and
	// returns the new credential.
	RefreshCredential func() (*Credential, error)
	// Trace receives Diagnostics.Trace calls.
	Trace func(level, message string)
	// Files serves Extension.Contents: the package's files by name.
	Files func(name string) ([]byte, bool)
	// Strings serves Extension.LoadString: resources.resx entries.
	Strings map[string]string
	// DataSourceKind names the connector's data source kind, reported in
	// DataSource.Error details.
	DataSourceKind string
	// Journal, when non-nil, receives every HTTP request Web.Contents makes.
	Journal func(req *http.Request, status int)
}

// Credential is the credential of the current data source (§3 of the host
// reference). Properties holds the token fields other than access_token.
type Credential struct {
	AuthenticationKind string // OAuth, Aad, Key, UsernamePassword, Windows, Anonymous
	Username, Password string
	Key                string
	AccessToken        string
	Properties         *Record
	EncryptConnection  *bool
}

// Record returns the credential as Extension.CurrentCredential shows it.
func (c *Credential) Record() *Record {
	r := NewRecord(Field{"AuthenticationKind", Str(c.AuthenticationKind)})
	switch c.AuthenticationKind {
	case "UsernamePassword", "Windows":
		r.set("Username", Eager(Str(c.Username)))
		r.set("Password", Eager(Str(c.Password)))
	case "Key":
		r.set("Key", Eager(Str(c.Key)))
		r.set("Password", Eager(Str(c.Key)))
	case "OAuth", "Aad", "OAuth2":
		r.set("access_token", Eager(Str(c.AccessToken)))
		props := c.Properties
		if props == nil {
			props = NewRecord()
		}
		r.set("Properties", Eager(props))
	}
	if c.EncryptConnection != nil {
		r.set("EncryptConnection", Eager(Bool(*c.EncryptConnection)))
	}
	return r
}

// Clock is the time source of a Thread.
type Clock interface {
	Now() time.Time
	// Sleep waits for d or until ctx is done.
	Sleep(ctx context.Context, d time.Duration) error
}

type realClock struct{}

// Now returns the wall-clock time.
func (realClock) Now() time.Time { return time.Now() }

// Sleep waits for d or until ctx is done.
func (realClock) Sleep(ctx context.Context, d time.Duration) error {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-t.C:
		return nil
	case <-ctx.Done():
		return ctx.Err()
	}
}

// VirtualClock is a Clock for tests: Sleep advances it instantly.
type VirtualClock struct {
	mu    sync.Mutex
	now   time.Time
	slept []time.Duration
}

// NewVirtualClock returns a virtual clock set to t.
func NewVirtualClock(t time.Time) *VirtualClock { return &VirtualClock{now: t} }

// Now returns the virtual time.
func (c *VirtualClock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.now
}

// Sleep advances the virtual time by d and records the sleep.
func (c *VirtualClock) Sleep(ctx context.Context, d time.Duration) error {
	if err := ctx.Err(); err != nil {
		return err
	}
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
	c.slept = append(c.slept, d)
	return nil
}

// Advance moves the virtual time forward by d.
func (c *VirtualClock) Advance(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.now = c.now.Add(d)
}

// Slept returns the durations passed to Sleep, in order.
func (c *VirtualClock) Slept() []time.Duration {
	c.mu.Lock()
	defer c.mu.Unlock()
	return append([]time.Duration(nil), c.slept...)
}

// SequentialGuids returns a NewGuid function yielding deterministic,
// well-formed version-4-shaped GUIDs derived from seed and a counter.
func SequentialGuids(seed uint32) func() string {
	var mu sync.Mutex
	n := uint64(0)
	return func() string {
		mu.Lock()
		defer mu.Unlock()
		n++
		return fmt.Sprintf("%08x-0000-4000-8000-%012x", seed, n)
	}
}

func randomGuid() string {
	var b [16]byte
	_, _ = rand.Read(b[:])
	b[6] = b[6]&0x0f | 0x40
	b[8] = b[8]&0x3f | 0x80
	h := hex.EncodeToString(b[:])
	return h[0:8] + "-" + h[8:12] + "-" + h[12:16] + "-" + h[16:20] + "-" + h[20:32]
}

// Limits bounds an evaluation. Exceeding one raises a fatal M error that
// try cannot catch.
type Limits struct {
	MaxDepth   int   // nested function calls and lazy evaluations
	MaxSteps   int64 // expression evaluations
	MaxListLen int   // items in one constructed list
	MaxTextLen int   // bytes in one constructed text or binary
}

// DefaultLimits are generous enough for real connectors and tests.
var DefaultLimits = Limits{MaxDepth: 5000, MaxSteps: 500_000_000, MaxListLen: 10_000_000, MaxTextLen: 256 << 20}

// Thread is one evaluation: its host, limits and counters. The zero
// Thread is not usable; call NewThread.
type Thread struct {
	Host   *Host
	Limits Limits
	// Anonymous suppresses credential injection by Web.Contents, as inside
	// the OAuth functions StartLogin, FinishLogin and Refresh.
	Anonymous bool
	// Ctx cancels long waits (HTTP, sleeps).
	Ctx context.Context

	env      *Environment
	fset     *token.FileSet
	webCache webCache
	literals map[*ast.Literal]Value // decoded literals, so loops do not re-parse
	simple   map[ast.Expr]bool      // function bodies that cannot capture their frame
	frames   []*frame1              // recycled one-parameter frames
	depth    int
	steps    int64
}

// NewThread returns a thread evaluating against env with host h (nil for
// the defaults).
func NewThread(env *Environment, h *Host) *Thread {
	if h == nil {
		h = &Host{}
	}
	if env == nil {
		env = NewEnvironment()
	}
	return &Thread{Host: h, Limits: DefaultLimits, Ctx: context.Background(), env: env, fset: env.fset}
}

// Environment returns the thread's global environment.
func (th *Thread) Environment() *Environment { return th.env }

// Steps returns the number of evaluation steps taken so far.
func (th *Thread) Steps() int64 { return th.steps }

func (th *Thread) clock() Clock {
	if th.Host.Clock != nil {
		return th.Host.Clock
	}
	return realClock{}
}

func (th *Thread) newGuid() string {
	if th.Host.NewGuid != nil {
		return th.Host.NewGuid()
	}
	return randomGuid()
}

func (th *Thread) enter() error {
	th.depth++
	if th.Limits.MaxDepth > 0 && th.depth > th.Limits.MaxDepth {
		th.depth--
		return fatalf("Evaluation exceeded the maximum call depth (%d).", th.Limits.MaxDepth)
	}
	return nil
}

func (th *Thread) leave() { th.depth-- }

func (th *Thread) step() error {
	th.steps++
	if th.Limits.MaxSteps > 0 && th.steps > th.Limits.MaxSteps {
		return fatalf("Evaluation exceeded the step limit (%d).", th.Limits.MaxSteps)
	}
	if th.steps&0xffff == 0 && th.Ctx != nil {
		if err := th.Ctx.Err(); err != nil {
			return &Error{Rec: NewError("Expression.Error", "Evaluation was cancelled.").Rec, Fatal: true}
		}
	}
	return nil
}

func (th *Thread) checkLen(n int) error {
	if th.Limits.MaxListLen > 0 && n > th.Limits.MaxListLen {
		return fatalf("Evaluation exceeded the maximum list size (%d).", th.Limits.MaxListLen)
	}
	return nil
}

func (th *Thread) checkTextLen(n int) error {
	if th.Limits.MaxTextLen > 0 && n > th.Limits.MaxTextLen {
		return fatalf("Evaluation exceeded the maximum text size (%d bytes).", th.Limits.MaxTextLen)
	}
	return nil
}

func fatalf(format string, args ...any) *Error {
	e := Errorf(format, args...)
	e.Fatal = true
	return e
}
