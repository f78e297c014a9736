package cassandra_test

import (
	"encoding/json"
	"io/fs"
	"net/url"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/cql/cqltest"
	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/testenv"
)

// compatTable makes a small table on the older server under test (a
// session through cqltest on LADING_COMPAT_HOSTS) and returns its name.
func compatTable(t *testing.T, rows int) string {
	t.Helper()
	t.Setenv("LADING_CASSANDRA_HOSTS", testenv.CompatHosts(t))
	s := cqltest.Session(t)
	ks := cqltest.Keyspace(t, s)
	cqltest.Exec(t, s, "CREATE TABLE "+ks+".t (k int PRIMARY KEY, v text)")
	cqltest.Insert(t, s, "INSERT INTO "+ks+".t (k, v) VALUES (?, ?)", rows, 8,
		func(i int) []any { return []any{i, "v" + strings.Repeat("x", i%7)} })
	return ks + ".t"
}

// TestCompatTLSClientCertificate: against a server that requires a
// client certificate on TLS, the exporter connects with the CA, the
// certificate and the key from files (?ca=&cert=&key=) and exports every
// row; without the certificate it is refused with a one-line error and
// exit 2 (not worth retrying), and a certificate without its key is a
// usage error before connecting.
func TestCompatTLSClientCertificate(t *testing.T) {
	dir := testenv.CompatTLSDir(t)
	hosts := testenv.CompatHosts(t)
	table := compatTable(t, 50)
	ca, cert, key := filepath.Join(dir, "ca.pem"), filepath.Join(dir, "client.pem"), filepath.Join(dir, "client.key")
	base := "cassandra://" + hosts + "/?ca=" + url.QueryEscape(ca)
	dest := sourcetest.FileDest(t)
	export := func(src, batch string) (int, string) {
		return sourcetest.Run(t, "--source", src, "--table", table, "--dest", dest, "--batch", batch, "--log-level", "warn")
	}
	if code, out := export(base+"&cert="+url.QueryEscape(cert)+"&key="+url.QueryEscape(key), "tls"); code != 0 {
		t.Fatalf("export over TLS with a client certificate: exit %d\n%s", code, out)
	}
	m, _ := sourcetest.ReadDump(t, sourcetest.OpenRoot(t, dest), sourcetest.OnlyDump(t, sourcetest.OpenRoot(t, dest), "tls", table))
	if m.Totals.Rows != 50 {
		t.Errorf("exported %d rows over TLS, want 50", m.Totals.Rows)
	}
	code, out := export(base, "nocert")
	if code != 2 || strings.Count(strings.TrimSpace(out), "\n") != 0 || !strings.Contains(out, "certificate") {
		t.Errorf("export without the client certificate: exit %d, output %q; want exit 2 and one line naming the certificate", code, out)
	}
	code, out = export(base+"&cert="+url.QueryEscape(cert), "nokey")
	if code != 2 || !strings.Contains(out, "cert and key go together") {
		t.Errorf("cert without key: exit %d, output %q; want exit 2", code, out)
	}
}

// TestCompatNodePausedMidExport: the only node is stopped (SIGSTOP) in
// the middle of an export and resumed 12 seconds later; the exporter
// waits, retries its pages and completes with every row exactly once.
func TestCompatNodePausedMidExport(t *testing.T) {
	pid := testenv.CompatPID(t)
	resumed := false
	resume := func() {
		if !resumed {
			resumed = true
			if err := syscall.Kill(pid, syscall.SIGCONT); err != nil {
				t.Errorf("resume the node: %v", err)
			}
		}
	}
	t.Cleanup(resume) // never leave the node stopped
	exportAcross(t, "paused", func() {
		if err := syscall.Kill(pid, syscall.SIGSTOP); err != nil {
			t.Fatal(err)
		}
		time.Sleep(12 * time.Second)
		resume()
	})
}

// TestCompatNodeRestartedMidExport: the only node is killed (SIGKILL) in
// the middle of an export and started again on its data by the scripts
// (LADING_COMPAT_RESTART) 30 seconds later; the exporter keeps retrying
// its pages while no node answers (within --retry-for) and completes
// with every row exactly once.
func TestCompatNodeRestartedMidExport(t *testing.T) {
	pid := testenv.CompatPID(t)
	restart := testenv.CompatRestart(t)
	exportAcross(t, "restarted", func() {
		if err := syscall.Kill(pid, syscall.SIGKILL); err != nil {
			t.Fatal(err)
		}
		for i := 0; syscall.Kill(pid, 0) == nil; i++ {
			if i == 100 {
				t.Fatalf("the node (pid %d) is still alive 10 s after SIGKILL", pid)
			}
			time.Sleep(100 * time.Millisecond)
		}
		t0 := time.Now()
		// Down for longer than the page retries' 8 tries can last (their
		// backoffs add up to 25 s at most), so that only --retry-for
		// carries the export across, however fast the node restarts.
		time.Sleep(30 * time.Second)
		if out, err := exec.Command("bash", "-c", restart).CombinedOutput(); err != nil {
			t.Fatalf("restart the node (%s): %v\n%s", restart, err, out)
		}
		t.Logf("the node was down %s", time.Since(t0).Round(time.Second))
	})
}

// exportAcross exports a table of the older server slowly, runs disrupt
// once the export is reading (its plan is stored after it has connected
// and read the ring, however slowly the binary was built and started),
// and checks that the export then completes with every row exactly once.
func exportAcross(t *testing.T, batch string, disrupt func()) {
	t.Helper()
	const rows = 3000
	table := compatTable(t, rows)
	dest := sourcetest.FileDest(t)
	sourcetest.Binary(t) // built before the clock starts
	type result struct {
		code int
		out  string
	}
	done := make(chan result, 1)
	go func() {
		code, out := sourcetest.Run(t, "--source", "cassandra://"+testenv.CompatHosts(t)+"/", "--table", table,
			"--dest", dest, "--batch", batch, "--max-rate", "300", "--page-size", "50", "--log-level", "warn")
		done <- result{code, out}
	}()
	planned := time.Now().Add(90 * time.Second)
	for !hasFile(strings.TrimPrefix(dest, "file://"), "plan.json") {
		if time.Now().After(planned) {
			t.Fatal("the export stored no plan within 90 s")
		}
		select {
		case r := <-done:
			t.Fatalf("the export ended (exit %d) before it stored its plan\n%s", r.code, r.out)
		case <-time.After(100 * time.Millisecond):
		}
	}
	time.Sleep(time.Second)
	select {
	case r := <-done:
		t.Fatalf("the export ended (exit %d) before the node was disrupted: make it slower\n%s", r.code, r.out)
	default:
	}
	disrupt()
	r := <-done
	if r.code != 0 {
		t.Fatalf("export across the %s node: exit %d\n%s", batch, r.code, r.out)
	}
	root := sourcetest.OpenRoot(t, dest)
	_, lines := sourcetest.ReadDump(t, root, sourcetest.OnlyDump(t, root, batch, table))
	seen := map[string]bool{}
	for _, l := range lines {
		var row struct{ K *int }
		if err := json.Unmarshal(l, &row); err != nil || row.K == nil {
			t.Fatalf("dump line %s: %v", l, err)
		}
		k := strconv.Itoa(*row.K)
		if seen[k] {
			t.Errorf("row %s exported twice", k)
		}
		seen[k] = true
	}
	if len(seen) != rows {
		t.Errorf("exported %d distinct rows, want %d", len(seen), rows)
	}
}

// hasFile reports whether a file called name exists anywhere under dir.
func hasFile(dir, name string) bool {
	found := false
	filepath.WalkDir(dir, func(_ string, d fs.DirEntry, err error) error {
		if err == nil && d.Name() == name {
			found = true
			return filepath.SkipAll
		}
		return nil
	})
	return found
}
