// Command bimain is a tiny program the provenance tests build to read the
// module list of a real binary (test binaries record none).
package main

import (
	"fmt"

	"github.com/google/go-cmp/cmp"
)

func main() { fmt.Println(cmp.Equal(1, 1)) }
