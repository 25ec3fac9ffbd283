package main

import (
	stdzip "archive/zip"
	"bytes"
	"fmt"
	"os"
	"strconv"
	"strings"

	"github.com/rogpeppe/go-internal/testscript"
)

// Script commands for the archive_*, compile_*, pack_* and inspect_*
// scripts.
func init() {
	scriptCmds["mkzip"] = scriptMkZip
}

// mkzip FILE SPEC... writes a ZIP archive with Go's archive/zip, which
// writes whatever names and sizes it is given, so scripts can build the
// hostile archives pqx must reject. Each SPEC is one of:
//
//	NAME=TEXT      a deflated entry NAME holding TEXT (NAME and TEXT are
//	               Go-unquoted if they start with ")
//	NAME           a deflated entry holding "x"
//	-stored NAME=TEXT  the same, stored
//	-huge NAME     an entry whose header declares 1 TiB of data
//	-many N        N small entries named f0 … f(N-1)
func scriptMkZip(ts *testscript.TestScript, neg bool, args []string) {
	if neg || len(args) < 1 {
		ts.Fatalf("usage: mkzip FILE SPEC...")
	}
	var b bytes.Buffer
	zw := stdzip.NewWriter(&b)
	add := func(name, text string, method uint16) {
		w, err := zw.CreateHeader(&stdzip.FileHeader{Name: name, Method: method})
		ts.Check(err)
		_, err = w.Write([]byte(text))
		ts.Check(err)
	}
	split := func(spec string) (string, string) {
		name, text, ok := strings.Cut(spec, "=")
		if strings.HasPrefix(name, `"`) {
			u, err := strconv.Unquote(name)
			ts.Check(err)
			name = u
		}
		if !ok {
			return name, "x"
		}
		if strings.HasPrefix(text, `"`) {
			u, err := strconv.Unquote(text)
			ts.Check(err)
			text = u
		}
		return name, text
	}
	for i := 1; i < len(args); i++ {
		switch args[i] {
		case "-stored", "-huge", "-many":
			if i+1 >= len(args) {
				ts.Fatalf("mkzip: %s needs an argument", args[i])
			}
		}
		switch args[i] {
		case "-stored":
			i++
			name, text := split(args[i])
			add(name, text, stdzip.Store)
		case "-huge":
			i++
			w, err := zw.CreateRaw(&stdzip.FileHeader{Name: args[i], Method: stdzip.Deflate, CompressedSize64: 2, UncompressedSize64: 1 << 40})
			ts.Check(err)
			_, err = w.Write([]byte{3, 0})
			ts.Check(err)
		case "-many":
			i++
			n, err := strconv.Atoi(args[i])
			ts.Check(err)
			for j := range n {
				add(fmt.Sprintf("f%d", j), "", stdzip.Store)
			}
		default:
			name, text := split(args[i])
			add(name, text, stdzip.Deflate)
		}
	}
	ts.Check(zw.Close())
	ts.Check(os.WriteFile(ts.MkAbs(args[0]), b.Bytes(), 0o644))
}
