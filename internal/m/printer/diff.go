package printer

import (
	"bytes"
	"fmt"
	"strings"
)

// Diff returns a unified diff (3 lines of context) from a to b, labelled
// with name, or nil when they are equal. It is meant for `pqx fmt -d`:
// the lines common to both ends are trimmed first and the middle is
// compared with a longest-common-subsequence table when that is small
// enough; a very large changed region is shown as one replacement.
func Diff(name string, a, b []byte) []byte {
	if bytes.Equal(a, b) {
		return nil
	}
	x, y := splitLines(a), splitLines(b)
	ops := diffLines(x, y)
	var out bytes.Buffer
	fmt.Fprintf(&out, "--- %s (original)\n+++ %s (formatted)\n", name, name)
	const ctx = 3
	// Group edit operations into hunks.
	for i := 0; i < len(ops); {
		if ops[i].kind == ' ' {
			i++
			continue
		}
		start := i - ctx
		if start < 0 {
			start = 0
		}
		end := i
		for end < len(ops) {
			if ops[end].kind != ' ' {
				end++
				continue
			}
			// Stop when the run of equal lines is longer than 2*ctx.
			j := end
			for j < len(ops) && ops[j].kind == ' ' {
				j++
			}
			if j == len(ops) || j-end > 2*ctx {
				end += min(ctx, j-end)
				break
			}
			end = j
		}
		ax, bx := ops[start].ai, ops[start].bi
		var an, bn int
		var body strings.Builder
		for _, op := range ops[start:end] {
			switch op.kind {
			case ' ':
				an++
				bn++
				body.WriteString(" " + x[op.ai])
			case '-':
				an++
				body.WriteString("-" + x[op.ai])
			case '+':
				bn++
				body.WriteString("+" + y[op.bi])
			}
			if !strings.HasSuffix(body.String(), "\n") {
				body.WriteString("\n\\ No newline at end of file\n")
			}
		}
		fmt.Fprintf(&out, "@@ -%d,%d +%d,%d @@\n%s", ax+1, an, bx+1, bn, body.String())
		i = end
	}
	return out.Bytes()
}

type diffOp struct {
	kind   byte // ' ', '-', '+'
	ai, bi int  // line indexes in a and b (position for inserts/deletes)
}

func splitLines(b []byte) []string {
	if len(b) == 0 {
		return nil
	}
	lines := strings.SplitAfter(string(b), "\n")
	if lines[len(lines)-1] == "" {
		lines = lines[:len(lines)-1]
	}
	return lines
}

func diffLines(x, y []string) []diffOp {
	var ops []diffOp
	p := 0
	for p < len(x) && p < len(y) && x[p] == y[p] {
		ops = append(ops, diffOp{' ', p, p})
		p++
	}
	s := 0
	for s < len(x)-p && s < len(y)-p && x[len(x)-1-s] == y[len(y)-1-s] {
		s++
	}
	mx, my := x[p:len(x)-s], y[p:len(y)-s]
	if len(mx)*len(my) <= 4<<20 {
		// lcs[i][j] = LCS length of mx[i:], my[j:].
		n, m := len(mx), len(my)
		lcs := make([]int32, (n+1)*(m+1))
		at := func(i, j int) *int32 { return &lcs[i*(m+1)+j] }
		for i := n - 1; i >= 0; i-- {
			for j := m - 1; j >= 0; j-- {
				if mx[i] == my[j] {
					*at(i, j) = *at(i+1, j+1) + 1
				} else {
					*at(i, j) = max(*at(i+1, j), *at(i, j+1))
				}
			}
		}
		i, j := 0, 0
		for i < n || j < m {
			switch {
			case i < n && j < m && mx[i] == my[j]:
				ops = append(ops, diffOp{' ', p + i, p + j})
				i++
				j++
			case i < n && (j == m || *at(i+1, j) >= *at(i, j+1)):
				ops = append(ops, diffOp{'-', p + i, p + j})
				i++
			default:
				ops = append(ops, diffOp{'+', p + i, p + j})
				j++
			}
		}
	} else {
		for i := range mx {
			ops = append(ops, diffOp{'-', p + i, p})
		}
		for j := range my {
			ops = append(ops, diffOp{'+', p + len(mx), p + j})
		}
	}
	for k := 0; k < s; k++ {
		ops = append(ops, diffOp{' ', len(x) - s + k, len(y) - s + k})
	}
	return ops
}
