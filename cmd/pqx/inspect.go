package main

import (
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"os"
	"strings"
	"text/tabwriter"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/opc"
)

func init() {
	register(&cli.Command{
		Name:      "inspect",
		Usage:     "describe a .mez or .pqx: entries, content types, section, kinds, signatures",
		ArgsUsage: "FILE [--json]",
		Description: `Lists the entries of FILE (a .mez, or a .pqx when it holds
[Content_Types].xml) with their compression method, sizes, CRC-32 and content
type; the section name and the DataSource.Kind and Publish values found in
the section document by a lexical scan; and, for a .pqx, the signature origin
and signature parts, found by following the package relationships.

Problems that would stop Power BI loading the connector (no or several
section documents, a .mez with folders, a wrong content type, a dangling
signature relationship) are listed; FILE is still described.

The file is read with bounded limits (entries, sizes, name length) and entry
names that could escape a folder (absolute, "..", backslashes) or collide are
rejected, so inspecting an untrusted download is safe.

Exit status: 0 described (even with problems listed), 1 FILE is not a readable
or safe archive, 2 usage error.`,
		Flags: []cli.Flag{
			&cli.BoolFlag{Name: "json", Usage: "print the description as JSON"},
		},
		SkipFlagParsing: true,
		Action:          runInspect,
	})
}

// inspectResult is inspect's JSON output.
type inspectResult struct {
	File   string `json:"file"`
	Size   int64  `json:"size"`
	SHA256 string `json:"sha256"`
	*opc.Inspection
}

func runInspect(c *cli.Context) error {
	args, out, err := parseArgs(c, nil)
	if err != nil || args == nil {
		return err
	}
	if len(args) != 1 {
		return usagef("inspect takes one FILE, got %d arguments", len(args))
	}
	path := args[0]
	a, err := archive.Open(path, archive.DefaultLimits)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usagef("%s: no such file", path)
		}
		return failf("%v", err)
	}
	defer a.Close()
	in, err := opc.Inspect(a)
	if err != nil {
		return failf("%s: %v", path, err)
	}
	sum, size, err := fileSHA256(path)
	if err != nil {
		return failf("%v", err)
	}
	res := inspectResult{File: path, Size: size, SHA256: sum, Inspection: in}
	if out.json {
		return out.writeJSON(res)
	}
	if out.quiet {
		return nil
	}
	printInspection(out.stdout, res)
	return nil
}

func fileSHA256(path string) (string, int64, error) {
	f, err := os.Open(path)
	if err != nil {
		return "", 0, err
	}
	defer f.Close()
	h := sha256.New()
	n, err := io.Copy(h, f)
	if err != nil {
		return "", 0, err
	}
	return hex.EncodeToString(h.Sum(nil)), n, nil
}

func printInspection(w io.Writer, r inspectResult) {
	kind := ".mez (ZIP)"
	if r.Format == "pqx" {
		kind = ".pqx (OPC package), unsigned"
		if r.Signed {
			kind = fmt.Sprintf(".pqx (OPC package), signed (%d signature(s))", len(r.Signatures))
		}
	}
	fmt.Fprintf(w, "%s: %s, %d entries, %d bytes\nsha256: %s\n\n", r.File, kind, len(r.Entries), r.Size, r.SHA256)
	tw := tabwriter.NewWriter(w, 0, 0, 2, ' ', 0)
	fmt.Fprintln(tw, "METHOD\tSIZE\tCOMPRESSED\tCRC32\tCONTENT TYPE\tNAME")
	for _, e := range r.Entries {
		fmt.Fprintf(tw, "%s\t%d\t%d\t%s\t%s\t%s\n", e.Method, e.Size, e.CompressedSize, e.CRC32, e.ContentType, e.Name)
	}
	tw.Flush()
	fmt.Fprintln(w)
	show := func(label string, v string) {
		if v == "" {
			v = "(none)"
		}
		fmt.Fprintf(w, "%-18s %s\n", label+":", v)
	}
	show("section document", r.SectionDocument)
	show("section", r.Section)
	show("data source kinds", strings.Join(r.Kinds, ", "))
	show("publish", strings.Join(r.Publish, ", "))
	if r.Format == "pqx" {
		show("signature origin", r.SignatureOrigin)
		show("signatures", strings.Join(r.Signatures, ", "))
	}
	if len(r.Problems) > 0 {
		fmt.Fprintf(w, "\nproblems:\n")
		for _, p := range r.Problems {
			fmt.Fprintf(w, "  - %s\n", p)
		}
	}
}
