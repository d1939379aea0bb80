// Command airlock is the gate of a trusted research environment: researchers gather
// workspace outputs into release requests, two independent output checkers review them,
// and released files leave the environment.
//
// The commands live in backend/cli; this file only hands over the process.
package main

import (
	"os"

	"github.com/trelab/airlock/backend/cli"
)

// version is set at build time: go build -ldflags "-X main.version=v1.2.3".
var version string

func main() {
	os.Exit(cli.Main(os.Args[1:], version, extraCommands()))
}
