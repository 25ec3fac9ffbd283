package main

import (
	"bytes"
	"errors"
	"os"
	"path/filepath"
	"strings"

	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/archive"
	"github.com/pqxdev/pqx/internal/atomicfile"
	"github.com/pqxdev/pqx/internal/mez"
	"github.com/pqxdev/pqx/internal/opc"
	"github.com/pqxdev/pqx/internal/sign"
)

func init() {
	register(&cli.Command{
		Name:      "pack",
		Usage:     "turn a .mez into a .pqx package, optionally signed (MakePQX pack)",
		ArgsUsage: "[-mz MEZ | MEZ] [-t PQX] [-c PFX [-p PASSWORD]]",
		Description: `Writes the connector in MEZ as an OPC package (.pqx), as "MakePQX.exe pack"
does, with the same arguments: one part per .mez entry in the .mez's order,
named "/" + the escaped entry name, content types by extension (.pq .pqm .m
application/x-ms-m, .resx text/xml, .png .gif .jpg .json their types,
anything else text/plain), then [Content_Types].xml. -mz takes precedence
over a positional MEZ. PQX defaults to MEZ with its extension changed to
.pqx. Flags may come before or after MEZ.

Compressed streams are copied from the .mez unchanged (after checking their
CRC-32), so the .pqx carries the .mez's bytes exactly, and timestamps come
from SOURCE_DATE_EPOCH or 1980-01-01: packing the same .mez twice gives
identical files. The .mez is read with bounded limits; unsafe entry names are
rejected. The .pqx is written atomically.

With -c, the package is also signed with the certificate and private key in
the PFX file (password -p), as "pqx sign" does: SHA-256, time and ids from
SOURCE_DATE_EPOCH when set.

Exit status: 0 ok, 1 the .mez is invalid or the package could not be written
or signed, 2 usage error (missing file argument; MakePQX: -1).`,
		Flags: []cli.Flag{
			&cli.StringFlag{Name: "mez", Aliases: []string{"mz"}, Usage: "input .mez `FILE`"},
			&cli.StringFlag{Name: "target", Aliases: []string{"t"}, Usage: "output .pqx `FILE` (default: MEZ with extension .pqx)"},
			&cli.StringFlag{Name: "certificate", Aliases: []string{"c"}, Usage: "sign with the PFX `FILE`"},
			&cli.StringFlag{Name: "password", Aliases: []string{"p"}, Usage: "`PASSWORD` of the PFX file"},
			&cli.BoolFlag{Name: "json", Usage: "print the result as JSON"},
		},
		SkipFlagParsing: true,
		Action:          runPack,
	})
}

// packResult is printed by pack --json.
type packResult struct {
	SourceMezPath string
	TargetPqxPath string
	Parts         []packPart
	Signed        bool
	Thumbprint    string `json:",omitempty"`
}

type packPart struct {
	PartName    string
	ContentType string
	Size        int64
}

func runPack(c *cli.Context) error {
	var mezFlag, target, cert, password string
	args, out, err := parseArgs(c, []argSpec{
		{names: []string{"mz", "mez"}, str: &mezFlag},
		{names: []string{"t", "target"}, str: &target},
		{names: []string{"c", "certificate"}, str: &cert},
		{names: []string{"p", "password"}, str: &password},
	})
	if err != nil || args == nil {
		return err
	}
	src := mezFlag
	switch {
	case src != "" && len(args) > 0:
		// MakePQX lets -mz win over the positional argument; say so.
		out.warnf("pqx pack: warning: --mez %s given, ignoring %s\n", src, strings.Join(args, " "))
	case len(args) == 0:
		return usagef("missing file argument (pqx pack MEZ or pqx pack -mz MEZ)")
	case len(args) > 1:
		return usagef("pack takes one MEZ file, got extra arguments: %s", strings.Join(args[1:], " "))
	default:
		src = args[0]
	}
	if password != "" && cert == "" {
		return usagef("--password given without --certificate")
	}
	if target == "" {
		target = strings.TrimSuffix(src, filepath.Ext(src)) + ".pqx"
	}
	if abs1, err1 := filepath.Abs(src); err1 == nil {
		if abs2, err2 := filepath.Abs(target); err2 == nil && abs1 == abs2 {
			return usagef("target %s is the input file", target)
		}
	}
	modTime, err := mez.ModTime()
	if err != nil {
		return usagef("%v", err)
	}

	a, err := archive.Open(src, archive.DefaultLimits)
	if err != nil {
		if errors.Is(err, os.ErrNotExist) {
			return usagef("%s: no such file", src)
		}
		return failf("%v", err)
	}
	defer a.Close()
	var names []string
	for _, e := range a.Entries {
		names = append(names, e.Name)
	}
	if _, err := mez.SectionDocument(names); err != nil {
		out.warnf("pqx pack: warning: %s: %v\n", src, err)
	}
	var buf bytes.Buffer
	if err := opc.Pack(&buf, a, opc.Options{ModTime: modTime}); err != nil {
		return failf("%s: %v", src, err)
	}
	res := packResult{SourceMezPath: src, TargetPqxPath: target}
	for _, e := range a.Entries {
		part := opc.EscapeName(e.Name)
		res.Parts = append(res.Parts, packPart{PartName: part, ContentType: opc.ContentTypeFor(part), Size: e.Size})
	}
	data := buf.Bytes()
	if cert != "" {
		pfx, err := os.ReadFile(cert)
		if err != nil {
			return usagef("--certificate: %v", err)
		}
		s, err := sign.LoadPFX(pfx, password)
		if err != nil {
			return usagef("--certificate %s: %v", cert, err)
		}
		opt, err := sign.FromEnvironment()
		if err != nil {
			return usagef("%v", err)
		}
		signed, sr, err := sign.PackageResult(data, s, opt)
		if err != nil {
			return failf("signing %s: %v", target, err)
		}
		data = signed
		res.Signed, res.Thumbprint = true, sr.Thumbprint
	}
	if err := atomicfile.WriteFile(target, data, 0o644); err != nil {
		return failf("writing %s: %v", target, err)
	}
	if out.json {
		return out.writeJSON(res)
	}
	out.printf("packed %s -> %s (%d parts", src, target, len(res.Parts))
	if res.Signed {
		out.printf(", signed by thumbprint %s", res.Thumbprint)
	}
	out.printf(")\n")
	return nil
}
