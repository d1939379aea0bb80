// Command airlock is the gate of a trusted research environment: researchers gather
// workspace outputs into release requests, two independent output checkers review them,
// and released files leave the environment.
package main

import (
	"fmt"
	"os"
)

func main() {
	if err := run(os.Args[1:]); err != nil {
		fmt.Fprintln(os.Stderr, "airlock:", err)
		os.Exit(1)
	}
}

func run(args []string) error {
	if len(args) == 0 {
		return fmt.Errorf("usage: airlock serve|desktop|demo|token|audit|request|version")
	}
	return fmt.Errorf("unknown command %q", args[0])
}
