package main

import (
	"fmt"
	"os"
	"path/filepath"
	"sort"
	"strings"

	"github.com/cpuguy83/go-md2man/v2/md2man"
	"github.com/urfave/cli/v2"

	"github.com/pqxdev/pqx/internal/atomicfile"
)

// The man pages and the Markdown command reference are generated from the
// CLI definition itself (names, usage, descriptions, flags), so they cannot
// drift from --help. urfave/cli's own ToMan leaves out command descriptions,
// which hold most of pqx's documentation, hence this generator.

func init() {
	register(&cli.Command{
		Name:   "man",
		Usage:  "print the pqx(1) man page",
		Hidden: true,
		Description: `Prints the pqx(1) man page (roff) on stdout. 'pqx docs man DIR' writes it and
one page per command.`,
		Action: func(c *cli.Context) error {
			if c.NArg() > 0 {
				return usagef("man takes no arguments")
			}
			_, err := fmt.Fprint(c.App.Writer, string(md2man.Render([]byte(appMarkdown(c.App, true)))))
			return err
		},
	})
	register(&cli.Command{
		Name:   "docs",
		Usage:  "generate documentation from the command definitions",
		Hidden: true,
		Description: `Generates documentation from pqx's own command definitions, for packaging
(release archives ship the man pages) and for docs/.`,
	})
	registerSub("docs", &cli.Command{
		Name:      "man",
		Usage:     "write man pages: DIR/pqx.1 and DIR/pqx-COMMAND.1 for each command",
		ArgsUsage: "DIR",
		Description: `Writes the man pages of pqx into DIR (created if needed): pqx.1 with the
overview and the list of commands, and pqx-COMMAND.1 (pqx-mock-idp.1 for
subcommands) with each command's description and options.`,
		Action: runDocsMan,
	})
	registerSub("docs", &cli.Command{
		Name:      "markdown",
		Usage:     "write the command reference as one Markdown FILE (- for stdout)",
		ArgsUsage: "FILE",
		Description: `Writes every command's usage, description and options as one Markdown
document, e.g. docs/commands.md.`,
		Action: runDocsMarkdown,
	})
}

// docCommand is one command with its full name ("mock idp").
type docCommand struct {
	path string
	cmd  *cli.Command
}

// visibleCommands lists the app's visible commands depth first, sorted.
func visibleCommands(app *cli.App) []docCommand {
	var out []docCommand
	var walk func(prefix string, cmds []*cli.Command)
	walk = func(prefix string, cmds []*cli.Command) {
		cmds = append([]*cli.Command(nil), cmds...)
		sort.Slice(cmds, func(i, j int) bool { return cmds[i].Name < cmds[j].Name })
		for _, c := range cmds {
			if c.Hidden || c.Name == "help" {
				continue
			}
			p := strings.TrimSpace(prefix + " " + c.Name)
			out = append(out, docCommand{p, c})
			walk(p, c.Subcommands)
		}
	}
	walk("", app.Commands)
	return out
}

// mdEscaper keeps prose from being read as Markdown markup (<Kind> as HTML,
// *.pq as emphasis, [x] as a link).
var mdEscaper = strings.NewReplacer(`\`, `\\`, "*", `\*`, "_", `\_`, "<", `\<`, ">", `\>`, "[", `\[`, "]", `\]`, "`", "\\`", "#", `\#`)

// descriptionMarkdown turns a command description (hard-wrapped prose with
// indented examples and tables) into Markdown: indented lines become code
// blocks, so their alignment survives.
func descriptionMarkdown(desc string) string {
	var b strings.Builder
	inCode := false
	for _, line := range strings.Split(strings.TrimSpace(desc), "\n") {
		indented := strings.HasPrefix(line, " ") || strings.HasPrefix(line, "\t")
		switch {
		case indented && !inCode:
			b.WriteString("\n```\n")
			inCode = true
		case !indented && inCode && strings.TrimSpace(line) != "":
			b.WriteString("```\n\n")
			inCode = false
		}
		if inCode {
			b.WriteString(line + "\n")
		} else {
			b.WriteString(mdEscaper.Replace(line) + "\n")
		}
	}
	if inCode {
		b.WriteString("```\n")
	}
	return b.String()
}

// flagsMarkdown lists flags from each flag's own help line ("--out DIR,
// -o DIR\toutput DIR (default: ...)"): as a definition list for man pages
// (md2man renders it as .TP paragraphs), as a bullet list for the reference
// (GitHub's Markdown has no definition lists).
func flagsMarkdown(flags []cli.Flag, man bool) string {
	var b strings.Builder
	for _, f := range flags {
		names, usage, _ := strings.Cut(f.String(), "\t")
		b.WriteString(item(mdEscaper.Replace(names), mdEscaper.Replace(usage), man))
	}
	if !man && len(flags) > 0 {
		b.WriteString("\n")
	}
	return b.String()
}

// item is one term and its explanation.
func item(term, text string, man bool) string {
	if man {
		return "**" + term + "**\n: " + text + "\n\n"
	}
	return "- **" + term + "**: " + text + "\n"
}

func synopsis(path string, c *cli.Command) string {
	s := "**pqx " + path + "**"
	if len(c.VisibleFlags()) > 0 {
		s += " \\[options\\]"
	}
	if len(c.Subcommands) > 0 {
		s += " COMMAND"
	}
	if c.ArgsUsage != "" {
		s += " " + mdEscaper.Replace(c.ArgsUsage)
	}
	return s
}

// commandMarkdown is one command's page: as a man page (with the title
// line and top-level headings) or as a section of the reference.
func commandMarkdown(app *cli.App, dc docCommand, man bool) string {
	var b strings.Builder
	c := dc.cmd
	h := "###"
	if man {
		fmt.Fprintf(&b, "%% pqx-%s 1 \"pqx %s\"\n\n", strings.ReplaceAll(dc.path, " ", "-"), mdEscaper.Replace(versionString()))
		fmt.Fprintf(&b, "# NAME\n\npqx-%s - %s\n\n", strings.ReplaceAll(dc.path, " ", "-"), mdEscaper.Replace(c.Usage))
		h = "#"
	} else {
		fmt.Fprintf(&b, "## pqx %s\n\n%s\n\n", dc.path, mdEscaper.Replace(c.Usage))
	}
	fmt.Fprintf(&b, "%s SYNOPSIS\n\n%s\n\n", h, synopsis(dc.path, c))
	if c.Description != "" {
		fmt.Fprintf(&b, "%s DESCRIPTION\n\n%s\n", h, descriptionMarkdown(c.Description))
	}
	if subs := visibleSubcommands(c); len(subs) > 0 {
		fmt.Fprintf(&b, "%s COMMANDS\n\n", h)
		for _, s := range subs {
			b.WriteString(item("pqx "+dc.path+" "+s.Name, mdEscaper.Replace(s.Usage), man))
		}
		if !man {
			b.WriteString("\n")
		}
	}
	if flags := c.VisibleFlags(); len(flags) > 0 {
		fmt.Fprintf(&b, "%s OPTIONS\n\n%s", h, flagsMarkdown(flags, man))
	}
	if man {
		fmt.Fprintf(&b, "# SEE ALSO\n\n**pqx**(1)\n")
	}
	return b.String()
}

func visibleSubcommands(c *cli.Command) []*cli.Command {
	var out []*cli.Command
	for _, s := range c.Subcommands {
		if !s.Hidden && s.Name != "help" {
			out = append(out, s)
		}
	}
	sort.Slice(out, func(i, j int) bool { return out[i].Name < out[j].Name })
	return out
}

// appMarkdown is the overview: pqx(1) as a man page, or the head of the
// reference.
func appMarkdown(app *cli.App, man bool) string {
	var b strings.Builder
	h := "##"
	if man {
		fmt.Fprintf(&b, "%% pqx 1 \"pqx %s\"\n\n# NAME\n\npqx - %s\n\n", mdEscaper.Replace(versionString()), mdEscaper.Replace(app.Usage))
		h = "#"
	} else {
		fmt.Fprintf(&b, "# pqx command reference\n\n<!-- Generated by pqx docs markdown; do not edit. -->\n\npqx - %s\n\n", mdEscaper.Replace(app.Usage))
	}
	fmt.Fprintf(&b, "%s SYNOPSIS\n\n**pqx** \\[--json\\] \\[--quiet\\] COMMAND \\[options\\] \\[ARGUMENTS...\\]\n\n", h)
	fmt.Fprintf(&b, "%s GLOBAL OPTIONS\n\n%s", h, flagsMarkdown(app.VisibleFlags(), man))
	fmt.Fprintf(&b, "%s COMMANDS\n\n", h)
	for _, dc := range visibleCommands(app) {
		name := "pqx-" + strings.ReplaceAll(dc.path, " ", "-")
		if man {
			fmt.Fprintf(&b, "**pqx %s**\n: %s; see **%s**(1)\n\n", dc.path, mdEscaper.Replace(dc.cmd.Usage), name)
		} else {
			fmt.Fprintf(&b, "- [pqx %s](#%s): %s\n", dc.path, strings.ReplaceAll("pqx "+dc.path, " ", "-"), mdEscaper.Replace(dc.cmd.Usage))
		}
	}
	if !man {
		b.WriteString("\n")
	}
	fmt.Fprintf(&b, "%s EXIT STATUS\n\n0 success; 1 the job failed (a tenant, a test, a check); 2 usage or configuration error. **pqx verify** exits with MakePQX's VerifyResult codes instead.\n\n", h)
	fmt.Fprintf(&b, "%s ENVIRONMENT\n\n%s%s\n", h,
		item("SOURCE\\_DATE\\_EPOCH", "timestamp written into packages and signatures (reproducible builds)", man),
		item("NO\\_COLOR", "disables colour output", man))
	return b.String()
}

func runDocsMan(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("docs man needs one DIR")
	}
	dir := c.Args().First()
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return failf("docs man: %v", err)
	}
	out := outputOf(c)
	write := func(name, md string) error {
		p := filepath.Join(dir, name)
		if err := atomicfile.WriteFile(p, md2man.Render([]byte(md)), 0o644); err != nil {
			return failf("docs man: %v", err)
		}
		out.printf("%s\n", p)
		return nil
	}
	if err := write("pqx.1", appMarkdown(c.App, true)); err != nil {
		return err
	}
	for _, dc := range visibleCommands(c.App) {
		if err := write("pqx-"+strings.ReplaceAll(dc.path, " ", "-")+".1", commandMarkdown(c.App, dc, true)); err != nil {
			return err
		}
	}
	return nil
}

func runDocsMarkdown(c *cli.Context) error {
	if c.NArg() != 1 {
		return usagef("docs markdown needs one FILE (- for stdout)")
	}
	var b strings.Builder
	b.WriteString(appMarkdown(c.App, false))
	for _, dc := range visibleCommands(c.App) {
		b.WriteString(commandMarkdown(c.App, dc, false))
		b.WriteString("\n")
	}
	if c.Args().First() == "-" {
		_, err := fmt.Fprint(c.App.Writer, b.String())
		return err
	}
	if err := atomicfile.WriteFile(c.Args().First(), []byte(b.String()), 0o644); err != nil {
		return failf("docs markdown: %v", err)
	}
	return nil
}
