package cli

import (
	"context"
	"fmt"
	"runtime"
	"runtime/debug"
)

// BuildInfo describes the running binary.
type BuildInfo struct {
	Version   string
	Commit    string
	CommitAt  string
	Modified  bool
	GoVersion string
	Platform  string
}

// ReadBuildInfo combines the -ldflags version with the module's build information.
func ReadBuildInfo(version string) BuildInfo {
	bi := BuildInfo{Version: version, GoVersion: runtime.Version(), Platform: runtime.GOOS + "/" + runtime.GOARCH}
	if info, ok := debug.ReadBuildInfo(); ok {
		if bi.Version == "" && info.Main.Version != "" && info.Main.Version != "(devel)" {
			bi.Version = info.Main.Version
		}
		for _, s := range info.Settings {
			switch s.Key {
			case "vcs.revision":
				bi.Commit = s.Value
			case "vcs.time":
				bi.CommitAt = s.Value
			case "vcs.modified":
				bi.Modified = s.Value == "true"
			}
		}
		if info.GoVersion != "" {
			bi.GoVersion = info.GoVersion
		}
	}
	if bi.Version == "" {
		bi.Version = "dev"
	}
	if bi.Commit == "" {
		bi.Commit = "unknown"
	}
	return bi
}

func version(_ context.Context, env *Env, _ []string) error {
	bi := ReadBuildInfo(env.Version)
	fmt.Fprintf(env.Stdout, "airlock %s\n", bi.Version)
	commit := bi.Commit
	if bi.CommitAt != "" {
		commit += " (" + bi.CommitAt + ")"
	}
	if bi.Modified {
		commit += " with local changes"
	}
	fmt.Fprintf(env.Stdout, "commit %s\n", commit)
	fmt.Fprintf(env.Stdout, "%s %s\n", bi.GoVersion, bi.Platform)
	return nil
}
