package snowflake

import (
	"context"
	"os"
	osexec "os/exec"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/testenv/snowfront"
)

// killedCopyCancelledBeforeReRunLoads: the loader is killed (SIGKILL)
// while its first COPY straight into an empty table runs. The stand-in,
// as Snowflake does, runs that COPY on after its client has gone, and
// here holds it back from landing for holdFor. The re-run must cancel it
// and wait for its end before it loads: afterwards, and after the killed
// run's COPY has ended, the table holds every row of the dump once.
func killedCopyCancelledBeforeReRunLoads(t *testing.T, bins string) {
	const holdFor = 15 * time.Second
	held, ended := make(chan struct{}), make(chan struct{})
	var first atomic.Bool
	f := frontWith(t, snowfront.Options{BeforeCopyLands: func(ctx context.Context, table string) error {
		if !strings.HasSuffix(table, ".rep") || !first.CompareAndSwap(false, true) {
			return nil
		}
		defer close(ended)
		close(held)
		select {
		case <-ctx.Done():
			return ctx.Err()
		case <-time.After(holdFor):
			return nil
		}
	}})
	rc := newDumpCase(t, f, 4)
	args := []string{"--from", rc.from, "--to", rc.target, "--create-table", "--copy-parts", "1", "--spool-dir", t.TempDir()}

	cmd := osexec.Command(filepath.Join(bins, "loader"), args...)
	cmd.Env = append(os.Environ(), EnvPassword+"=pw")
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	select {
	case <-held:
	case <-time.After(60 * time.Second):
		cmd.Process.Kill()
		cmd.Wait()
		t.Fatal("the loader's first COPY did not reach the stand-in in 60s")
	}
	cmd.Process.Kill()
	cmd.Wait()

	code, out := runLoader(t, bins, "pw", args...)
	if code != 0 || !strings.Contains(out, "loaded ") {
		t.Fatalf("re-run: exit %d\n%s", code, out)
	}
	select {
	case <-ended:
	case <-time.After(holdFor + 30*time.Second):
		t.Fatal("the killed run's COPY was not let go")
	}
	// Then until it has landed or failed.
	for deadline := time.Now().Add(30 * time.Second); f.Running() > 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatal("the killed run's COPY did not end")
		}
	}
	rc.checkExact(t)
	if !strings.Contains(out, "cancelling a statement an earlier run of this load left running") {
		t.Errorf("the re-run does not say it cancelled the killed run's COPY:\n%s", out)
	}
}
