package pqtest_test

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"github.com/pqxdev/pqx/internal/pqtest"
)

// Example runs a folder of query files: one matches its .pqout, one has
// none yet (it is written), one is ignored.
func Example() {
	dir, _ := os.MkdirTemp("", "pqtest")
	defer os.RemoveAll(dir)
	files := map[string]string{
		"Sum.query.pq":        `List.Sum({1, 2, 3})`,
		"Sum.query.pqout":     `6`,
		"Shape.query.pq":      `Table.SelectColumns(#table({"A", "B"}, {{1, "x"}}), {"B"})`,
		"Old.query.pq":        `"skipped"`,
		"Old.query.pq.ignore": ``,
	}
	for name, data := range files {
		os.WriteFile(filepath.Join(dir, name), []byte(data), 0o644)
	}
	tests, err := pqtest.Discover([]string{dir})
	if err != nil {
		panic(err)
	}
	results, err := pqtest.Run(context.Background(), tests, &pqtest.Options{})
	if err != nil {
		panic(err)
	}
	for _, r := range results {
		fmt.Println(strings.TrimSpace(fmt.Sprintf("%s: %s %s", filepath.Base(r.Query), r.Status, r.Details)))
	}
	out, _ := os.ReadFile(filepath.Join(dir, "Shape.query.pqout"))
	fmt.Print(string(out))
	// Output:
	// Old.query.pq: Skipped ignored by Old.query.pq.ignore
	// Shape.query.pq: Passed output file written
	// Sum.query.pq: Passed
	// #table(type table [B = any], {{"x"}})
}
