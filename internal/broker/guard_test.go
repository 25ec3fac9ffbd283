package broker

import (
	"fmt"
	"testing"
	"time"
)

// With every verification slot taken, a login that needs the slow hash
// gets a bounded wait and authBusy; an already verified caller is not
// affected.
func TestGuardBusy(t *testing.T) {
	defer func(d time.Duration) { verifyQueueWait = d }(verifyQueueWait)
	verifyQueueWait = 50 * time.Millisecond
	g := newGuard(newFakeClock())
	h, _ := parsePasswordHash(testHash)
	caller := &Caller{Name: "c", PasswordHash: testHash, hash: h}
	lim := (&Limits{}).withDefaults()
	if res, _ := g.authenticate("c", testPassword, caller, &lim); res != authOK {
		t.Fatalf("first login: %v", res)
	}
	for range cap(g.sem) {
		g.sem <- struct{}{}
	}
	defer func() {
		for range cap(g.sem) {
			<-g.sem
		}
	}()
	start := time.Now()
	if res, _ := g.authenticate("c", "wrong", caller, &lim); res != authBusy {
		t.Errorf("wrong password with a full queue: %v, want authBusy", res)
	}
	if el := time.Since(start); el > 2*time.Second {
		t.Errorf("waited %v", el)
	}
	if res, _ := g.authenticate("c", testPassword, caller, &lim); res != authOK {
		t.Errorf("verified caller with a full queue: %v, want authOK", res)
	}
}

// Failure entries for made-up names are bounded.
func TestGuardFailureTableBounded(t *testing.T) {
	defer func(n int) { maxFailureEntries = n }(maxFailureEntries)
	maxFailureEntries = 50
	g := newGuard(newFakeClock())
	g.dummyOnce.Do(func() { g.dummy, _ = parsePasswordHash(testHash) }) // cheap dummy
	lim := (&Limits{LockoutAfter: 1}).withDefaults()
	g.authenticate("locked", "x", nil, &lim) // locked: survives pruning
	lim.LockoutAfter = 5
	for i := range 200 {
		g.authenticate(fmt.Sprintf("user%d", i), "x", nil, &lim)
	}
	if n := len(g.failures); n > maxFailureEntries {
		t.Fatalf("%d failure entries, limit %d", n, maxFailureEntries)
	}
	if res, _ := g.authenticate("locked", "x", nil, &lim); res != authLocked {
		t.Fatalf("a locked name was pruned: %v", res)
	}
}
