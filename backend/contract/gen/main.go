// Command gen writes frontend/src/api/types.gen.ts, the TypeScript of the API's JSON
// shapes, from the Go structs that make them (backend/contract, and the render and airlock
// values contract answers with): field names and optionality from the json tags, string
// unions from the typed constants of each string type, comments from the Go comments.
// Run it from the repository root after changing a wire type:
//
//	go run ./backend/contract/gen
//
// TestGeneratedTypesAreCurrent (make test) fails when the checked-in file differs from what
// this writes.
package main

import (
	"fmt"
	"io"
	"os"
	"path/filepath"

	"github.com/trelab/airlock/internal/fsutil"
)

// output is where the TypeScript goes, relative to the repository root.
const output = "frontend/src/api/types.gen.ts"

func main() {
	root, err := os.Getwd()
	if err == nil {
		var ts []byte
		ts, err = generate(root)
		if err == nil {
			err = fsutil.WriteFileAt(filepath.Join(root, output), ".types.gen", 0o644, func(w io.Writer) error {
				_, err := w.Write(ts)
				return err
			})
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}
