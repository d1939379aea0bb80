package main

import (
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The checked-in TypeScript is what the generator writes from the Go structs: a wire type
// changed without `go run ./backend/contract/gen` fails here.
func TestGeneratedTypesAreCurrent(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	want, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	got, err := os.ReadFile(filepath.Join(root, output))
	if err != nil {
		t.Fatal(err)
	}
	if string(got) != string(want) {
		gl, wl := strings.Split(string(got), "\n"), strings.Split(string(want), "\n")
		for i := range max(len(gl), len(wl)) {
			g, w := line(gl, i), line(wl, i)
			if g != w {
				t.Fatalf("%s is out of date (run go run ./backend/contract/gen); first difference at line %d:\n have: %s\n want: %s", output, i+1, g, w)
			}
		}
	}
}

func line(lines []string, i int) string {
	if i < len(lines) {
		return lines[i]
	}
	return "(end of file)"
}

// The generator writes what the JSON is: names and optionality from the tags, unions from
// the constants, embedded structs as extends with their shadowed fields left out, and
// pointers as null unless omitted.
func TestGenerateShapes(t *testing.T) {
	root, err := filepath.Abs(filepath.Join("..", "..", ".."))
	if err != nil {
		t.Fatal(err)
	}
	out, err := generate(root)
	if err != nil {
		t.Fatal(err)
	}
	ts := string(out)
	for _, want := range []string{
		"export type Status = 'PENDING' | 'SUBMITTED' | 'PARTIALLY_REVIEWED' | 'REVIEWED' | 'RETURNED' | 'APPROVED' | 'REJECTED' | 'RELEASED' | 'WITHDRAWN';",
		"export interface Session {\n  user: User;\n  csrfToken: string;\n}",
		"export interface FileDetail extends Omit<Entry, 'actions'> {",
		"  lastSubmittedAt: string | null;",         // *time.Time
		"  warnings?: WarningCounts;",               // *Warnings, omitempty
		"  myVote: Vote | null;",                    // *airlock.Vote
		"  status?: WorkspaceFileStatus;",           // omitempty
		"  actions?: TreeFileActions;",              // omitzero
		"  min: number | null;",                     // *json.Number
		"  modifiedAt: string | null;",              // *time.Time
		"  code: Code;",                             // the error body
		"/** Session is the answer of login and me", // the comment names the TS type
		"export interface DesktopView {\n  user: string;\n  workspace: string;\n  request: string;\n}",
	} {
		if !strings.Contains(ts, want) {
			t.Errorf("the TypeScript lacks %q", want)
		}
	}
	for _, never := range []string{"Request *", "json:", "RequestSummary struct"} {
		if strings.Contains(ts, never) {
			t.Errorf("the TypeScript holds %q", never)
		}
	}
}
