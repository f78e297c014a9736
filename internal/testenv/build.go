package testenv

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"sync"
	"testing"
)

// modulePath is lading's module; its commands are modulePath/cmd/NAME.
const modulePath = "github.com/lading-dev/lading"

// BuildCommands builds lading's commands NAME (exporter, shipper, loader,
// status) into dir with one go build, which links them in parallel. It
// needs no testing.T, so a test may build in a goroutine while it sets
// up its data.
func BuildCommands(dir string, names ...string) error {
	if len(names) == 0 {
		return nil
	}
	args := []string{"build", "-o", dir + string(filepath.Separator)}
	for _, n := range names {
		args = append(args, modulePath+"/cmd/"+n)
	}
	if out, err := exec.Command("go", args...).CombinedOutput(); err != nil {
		return fmt.Errorf("go build %s: %w\n%s", strings.Join(names, " "), err, out)
	}
	return nil
}

// built is the test process's directory of commands built by Commands.
var built struct {
	mu   sync.Mutex
	dir  string
	have map[string]bool
}

// Commands returns the directory that holds lading's commands NAME,
// each built once per test process (a later call builds only the names
// not built yet). A build that fails fails the test.
func Commands(t testing.TB, names ...string) string {
	t.Helper()
	built.mu.Lock()
	defer built.mu.Unlock()
	if built.dir == "" {
		// Not t.TempDir: the binaries serve every later test of the process.
		dir, err := os.MkdirTemp("", "lading-bin-")
		if err != nil {
			t.Fatal(err)
		}
		built.dir, built.have = dir, map[string]bool{}
	}
	var missing []string
	for _, n := range names {
		if !built.have[n] && !slices.Contains(missing, n) {
			missing = append(missing, n)
		}
	}
	if err := BuildCommands(built.dir, missing...); err != nil {
		t.Fatal(err)
	}
	for _, n := range missing {
		built.have[n] = true
	}
	return built.dir
}

// Command returns the path of lading's command name, built once per
// test process (see Commands).
func Command(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Commands(t, name), name)
}
