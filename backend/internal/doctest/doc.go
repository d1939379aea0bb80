// Package doctest holds the test that keeps the code's citations true: every "docs/….md §N"
// a comment, test name or document cites must name a document of the repository and a
// section that document has, bare "§N" citations must have a document to refer to (the
// package doc, or an earlier explicit citation in the file), and no file may cite documents
// that live outside the repository. It has no code of its own.
package doctest
