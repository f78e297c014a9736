package cli

import (
	"bytes"
	"compress/gzip"
	"io"
	"os"
	"path/filepath"
	"strings"
	"testing"
)

// The profiles a run is asked for are written when Main ends (gzipped
// pprof protobufs, as go tool pprof reads them); one that cannot be
// written is reported and leaves the exit code alone.
func TestMainWritesProfiles(t *testing.T) {
	dir := t.TempDir()
	cpu, allocs := filepath.Join(dir, "cpu.pb.gz"), filepath.Join(dir, "allocs.pb.gz")
	cmd := helper(t, "ok")
	cmd.Env = append(cmd.Env, envProfileCPU+"="+cpu, envProfileAllocs+"="+allocs)
	if code := exitCode(t, cmd.Run()); code != 0 {
		t.Fatalf("exit %d, want 0", code)
	}
	for _, name := range []string{cpu, allocs} {
		data, err := os.ReadFile(name)
		if err != nil {
			t.Fatal(err)
		}
		zr, err := gzip.NewReader(bytes.NewReader(data))
		if err != nil {
			t.Fatalf("%s: not a gzipped profile: %v", filepath.Base(name), err)
		}
		if raw, err := io.ReadAll(zr); err != nil || len(raw) == 0 {
			t.Fatalf("%s: %d bytes of profile, %v", filepath.Base(name), len(raw), err)
		}
	}

	cmd = helper(t, "ok")
	cmd.Env = append(cmd.Env, envProfileCPU+"="+filepath.Join(dir, "missing", "cpu.pb.gz"))
	var stderr strings.Builder
	cmd.Stderr = &stderr
	if code := exitCode(t, cmd.Run()); code != 0 {
		t.Fatalf("exit %d with an unwritable profile, want 0", code)
	}
	if !strings.HasPrefix(stderr.String(), envProfileCPU+": ") {
		t.Errorf("stderr %q, want a line naming %s", stderr.String(), envProfileCPU)
	}
}
