package main

import (
	"bufio"
	"bytes"
	"encoding/json"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// runtest-oauth-journal FILE [refreshes=N] [retried-with-new-token] reads
// the JSON lines pqx run-test --mock-journal wrote and checks them:
//
//   - refreshes=N: the mock IDP answered exactly N refresh_token grants,
//     each with 200;
//   - retried-with-new-token: the mock CDR failed one query page with the
//     injected 401 and the next query request asked for the same offset and
//     was served, and the router saw that retry carry the access token the
//     (last) refresh_token grant issued, not the one the 401 was sent with.
func init() {
	scriptCmds["runtest-oauth-journal"] = func(ts *testscript.TestScript, neg bool, args []string) {
		if neg || len(args) < 1 {
			ts.Fatalf("usage: runtest-oauth-journal FILE [refreshes=N] [retried-with-new-token]")
		}
		data, err := os.ReadFile(ts.MkAbs(args[0]))
		ts.Check(err)
		type line struct {
			Source    string   `json:"source"`
			Endpoint  string   `json:"endpoint"`
			GrantType string   `json:"grant_type"`
			Status    int      `json:"status"`
			Reason    string   `json:"reason"`
			Issued    []string `json:"issued"`
			URL       string   `json:"url"`
			Route     string   `json:"route"`
			Auth      string   `json:"auth"`
			Offset    int      `json:"offset"`
			Fault     string   `json:"fault"`
		}
		var idp, sent, cdr []line
		sc := bufio.NewScanner(bytes.NewReader(data))
		sc.Buffer(nil, 1<<20)
		for n := 1; sc.Scan(); n++ {
			var l line
			if err := json.Unmarshal(sc.Bytes(), &l); err != nil {
				ts.Fatalf("%s:%d: %v", args[0], n, err)
			}
			switch l.Source {
			case "idp":
				idp = append(idp, l)
			case "host":
				sent = append(sent, l)
			case "cdr":
				cdr = append(cdr, l)
			default:
				ts.Fatalf("%s:%d: unknown source %q", args[0], n, l.Source)
			}
		}
		ts.Check(sc.Err())
		var grants []line
		for _, e := range idp {
			if e.Endpoint == "token" && e.GrantType == "refresh_token" {
				grants = append(grants, e)
			}
		}
		for _, a := range args[1:] {
			k, v, _ := strings.Cut(a, "=")
			switch k {
			case "refreshes":
				want, err := strconv.Atoi(v)
				ts.Check(err)
				if len(grants) != want {
					ts.Fatalf("%d refresh_token grants at the mock IDP, want %d", len(grants), want)
				}
				for _, g := range grants {
					if g.Status != 200 {
						ts.Fatalf("a refresh_token grant was answered %d (%s)", g.Status, g.Reason)
					}
				}
			case "retried-with-new-token":
				if len(grants) == 0 {
					ts.Fatalf("no refresh_token grant at the mock IDP")
				}
				fresh := ""
				for _, s := range grants[len(grants)-1].Issued {
					if fp, ok := strings.CutPrefix(s, "access_token "); ok {
						fresh = "Bearer " + fp
					}
				}
				var q []line
				for _, r := range cdr {
					if strings.HasPrefix(r.Endpoint, "query.") {
						q = append(q, r)
					}
				}
				i := 0
				for i < len(q) && !(q[i].Status == 401 && q[i].Fault == "401") {
					i++
				}
				if i+1 >= len(q) || q[i+1].Offset != q[i].Offset || q[i+1].Status != 200 {
					ts.Fatalf("the CDR log shows no query page failed with the injected 401 and then served again at the same offset")
				}
				var api []line
				for _, r := range sent {
					if r.Route == "cdr" {
						api = append(api, r)
					}
				}
				j := 0
				for j < len(api) && api[j].Status != 401 {
					j++
				}
				if j+1 >= len(api) {
					ts.Fatalf("the router saw no CDR request after the 401")
				}
				failed, retry := api[j], api[j+1]
				if retry.URL != failed.URL || retry.Status != 200 {
					ts.Fatalf("after the 401 on %s the router sent %s (%d)", failed.URL, retry.URL, retry.Status)
				}
				if retry.Auth != fresh || failed.Auth == fresh {
					ts.Fatalf("the 401 was sent with %q and the retry with %q; the refresh issued %q", failed.Auth, retry.Auth, fresh)
				}
			default:
				ts.Fatalf("unknown check %q", a)
			}
		}
	}
}
