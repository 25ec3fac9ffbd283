package rules

import (
	"fmt"
	"io"
	"strings"

	"github.com/pqxdev/pqx/internal/lint"
)

// Select turns a --rules specification into the rule IDs to disable. The
// specification is a comma-separated list: `ID` selects a rule, `-ID`
// deselects one, `all` selects every rule. When the list selects anything,
// only the selected rules run; a list of deselections alone runs every
// other rule. IDs are matched case-insensitively; the syntax check always
// runs and cannot be deselected. An unknown ID is an error naming it.
func Select(spec string) (disable []string, err error) {
	all := lint.Rules()
	selected := map[string]bool{}
	excluded := map[string]bool{}
	positive := false
	for _, item := range strings.Split(spec, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		neg := strings.HasPrefix(item, "-")
		id := strings.TrimPrefix(item, "-")
		if strings.EqualFold(id, "all") {
			if neg {
				return nil, fmt.Errorf("-all would disable every rule; use --syntax-only")
			}
			positive = true
			for _, r := range all {
				selected[r.ID] = true
			}
			continue
		}
		r := lookupFold(id)
		if r == nil {
			return nil, fmt.Errorf("unknown rule %q (see pqx lint --list-rules)", id)
		}
		if r.ID == lint.SyntaxRule {
			if neg {
				return nil, fmt.Errorf("syntax errors cannot be disabled")
			}
			continue
		}
		if neg {
			excluded[r.ID] = true
		} else {
			positive = true
			selected[r.ID] = true
		}
	}
	for _, r := range all {
		if r.ID == lint.SyntaxRule {
			continue
		}
		if excluded[r.ID] || positive && !selected[r.ID] && r.ID != lint.DirectiveRule {
			disable = append(disable, r.ID)
		}
	}
	return disable, nil
}

func lookupFold(id string) *lint.Rule {
	if r := lint.Lookup(id); r != nil {
		return r
	}
	for _, r := range lint.Rules() {
		if strings.EqualFold(r.ID, id) {
			return r
		}
	}
	return nil
}

// Explain writes the documentation of rule id (case-insensitive): its ID,
// severity and summary, then the explanation wrapped at 76 columns.
func Explain(w io.Writer, id string) error {
	r := lookupFold(id)
	if r == nil {
		return fmt.Errorf("unknown rule %q (see pqx lint --list-rules)", id)
	}
	var b strings.Builder
	fmt.Fprintf(&b, "%s (%s): %s\n\n", r.ID, r.Severity, r.Summary)
	col := 0
	for _, word := range strings.Fields(r.Explanation) {
		if col > 0 && col+1+len(word) > 76 {
			b.WriteByte('\n')
			col = 0
		}
		if col > 0 {
			b.WriteByte(' ')
			col++
		}
		b.WriteString(word)
		col += len(word)
	}
	b.WriteString("\n\nSuppress one finding with a comment on the line above it:\n")
	fmt.Fprintf(&b, "    // pqx:ignore %s reason why it does not apply\n", r.ID)
	_, err := io.WriteString(w, b.String())
	return err
}
