package testenv

import (
	"errors"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"sync"
	"syscall"
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
		// Not t.TempDir: the binaries serve every later test of the
		// process, which has no hook at its exit; the directory is named
		// after the process, and the next test process removes those of
		// processes that are gone.
		removeStaleCommands()
		dir, err := os.MkdirTemp("", fmt.Sprintf("%s%d-", binPrefix, os.Getpid()))
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

// binPrefix starts the name of a test process's directory of commands,
// followed by its process ID.
const binPrefix = "lading-bin-p"

// removeStaleCommands removes the directories of commands left by test
// processes that have exited (some 100-300 MB each).
func removeStaleCommands() {
	dirs, _ := filepath.Glob(filepath.Join(os.TempDir(), binPrefix+"*"))
	for _, d := range dirs {
		pid, _, ok := strings.Cut(strings.TrimPrefix(filepath.Base(d), binPrefix), "-")
		n, err := strconv.Atoi(pid)
		if !ok || err != nil || n <= 0 {
			continue
		}
		if err := syscall.Kill(n, 0); errors.Is(err, syscall.ESRCH) {
			os.RemoveAll(d)
		}
	}
}

// Command returns the path of lading's command name, built once per
// test process (see Commands).
func Command(t testing.TB, name string) string {
	t.Helper()
	return filepath.Join(Commands(t, name), name)
}
