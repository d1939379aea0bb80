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
	"os"
	"path/filepath"
)

// output is where the TypeScript goes, relative to the repository root.
const output = "frontend/src/api/types.gen.ts"

func main() {
	root, err := os.Getwd()
	if err == nil {
		var ts []byte
		ts, err = generate(root)
		if err == nil {
			err = writeAtomic(filepath.Join(root, output), ts)
		}
	}
	if err != nil {
		fmt.Fprintln(os.Stderr, "gen:", err)
		os.Exit(1)
	}
}

// writeAtomic writes data to path through a temporary file: written, fsynced, renamed.
func writeAtomic(path string, data []byte) (err error) {
	tmp, err := os.CreateTemp(filepath.Dir(path), "."+filepath.Base(path)+".*")
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			_ = tmp.Close()
			_ = os.Remove(tmp.Name())
		}
	}()
	if _, err = tmp.Write(data); err != nil {
		return err
	}
	if err = tmp.Sync(); err != nil {
		return err
	}
	if err = tmp.Close(); err != nil {
		return err
	}
	if err = os.Chmod(tmp.Name(), 0o644); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), path)
}
