// Package version holds the version of the lading binaries. It is the one
// place the version lives: the command-line runtime prints it for
// --version, run reports carry it, and manifests record it as tool.version.
//
// Release builds set it at link time:
//
//	go build -ldflags "-X github.com/lading-dev/lading/internal/version.Version=v1.2.3" ./cmd/...
package version

// Version is the version of this build; "dev" when not set by -ldflags.
var Version = "dev"
