package host

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
)

// The headless browser passes cookie-bound interaction pages that need no
// input (a meta refresh, an auto-submitting form of hidden fields) and stops
// with a clear message at a page that asks for input.
func TestNavigateInteractionPages(t *testing.T) {
	mux := http.NewServeMux()
	mux.HandleFunc("/authorize", func(w http.ResponseWriter, r *http.Request) {
		http.SetCookie(w, &http.Cookie{Name: "sid", Value: "s1", Path: "/"})
		http.Redirect(w, r, "/hop?state="+r.URL.Query().Get("state"), http.StatusFound)
	})
	mux.HandleFunc("/hop", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html; charset=utf-8")
		fmt.Fprintf(w, `<html><head><meta http-equiv="refresh" content="0; url=/consent?state=%s"></head></html>`, r.URL.Query().Get("state"))
	})
	mux.HandleFunc("/consent", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprintf(w, `<html><body onload="document.forms[0].submit()">
<form method="POST" action="approve"><input type="hidden" name="state" value="%s"><input type=hidden name='x' value="a&amp;b"><noscript><button type="submit">Continue</button></noscript></form></body></html>`, r.URL.Query().Get("state"))
	})
	mux.HandleFunc("/approve", func(w http.ResponseWriter, r *http.Request) {
		if c, err := r.Cookie("sid"); err != nil || c.Value != "s1" {
			http.Error(w, "no session cookie", http.StatusUnauthorized)
			return
		}
		if r.Method != http.MethodPost || r.PostFormValue("x") != "a&b" {
			http.Error(w, "bad form", http.StatusBadRequest)
			return
		}
		http.Redirect(w, r, PowerBIRedirect+"?code=c1&state="+r.PostFormValue("state"), http.StatusFound)
	})
	mux.HandleFunc("/login", func(w http.ResponseWriter, r *http.Request) {
		w.Header().Set("Content-Type", "text/html")
		fmt.Fprint(w, `<form method="post" action="/login"><input type="text" name="username"><input type="password" name="password"></form>`)
	})
	srv := httptest.NewServer(mux)
	defer srv.Close()
	rt, err := NewRouter(nil, Route{Prefix: "https://idp.example.org", Target: srv.URL, Name: "idp"})
	if err != nil {
		t.Fatal(err)
	}
	s := &session{ctx: context.Background(), opt: Options{Router: rt, Timeout: 5e9}}

	cb, err := s.navigate(&login{uri: "https://idp.example.org/authorize?state=st1", callback: PowerBIRedirect})
	if err != nil {
		t.Fatal(err)
	}
	if want := PowerBIRedirect + "?code=c1&state=st1"; cb != want {
		t.Errorf("callback %s, want %s", cb, want)
	}

	_, err = s.navigate(&login{uri: "https://idp.example.org/login", callback: PowerBIRedirect})
	if err == nil || !strings.Contains(err.Error(), `the page asks for input (text field "username")`) ||
		!strings.Contains(err.Error(), "navigation stopped at https://idp.example.org/login") {
		t.Errorf("login page: %v", err)
	}
}
