package targettest

import (
	"bytes"
	"context"
	"encoding/hex"
	"math/rand/v2"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/internal/load"
	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/internal/testenv"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// s3Store opens a new prefix of the test S3 bucket, emptied when t ends:
// a store whose ledger writes take real round trips, so that kills land
// between them.
func s3Store(t *testing.T) *store {
	t.Helper()
	endpoint, bucket := testenv.S3(t)
	suffix := make([]byte, 4)
	for i := range suffix {
		suffix[i] = byte(rand.IntN(256))
	}
	u := "s3://" + bucket + "/targettest/" + hex.EncodeToString(suffix) + "?endpoint=" + url.QueryEscape(endpoint)
	b := loadtest.ScratchStore(t, u)
	return &store{url: u, b: b}
}

// The real loader killed with SIGKILL at five or more random points, then
// run again: every row once, exactly as dumped, one loaded record and one
// record per part in the ledger.
func (s *suite) kill9(t *testing.T) {
	const parts, perPart = 48, 250
	st := s3Store(t)
	tbl := s.smallTable("k9")
	loadtest.Write(t, st.b, loadtest.Dump{Table: tbl, Writetime: true, Parts: smallRows(tbl, parts, perPart)})
	d := st.readDump(t)
	target := s.h.NewTarget(t)

	args := append([]string{"--from", st.url, "--to", target, "--create-table", "--workers", "4", "--parts", "2", "--spool-dir", t.TempDir()}, loaderFlags(s.h)...)
	countParts := func() int { return len(st.keys(t, load.LedgerDir, "/parts/")) }
	killed, midLoad := KillLoop(t, filepath.Join(s.bins, "loader"), func(i int) []string {
		if i%2 == 1 {
			return append(append([]string{}, args...), "--spool-bytes", "0") // read every part twice
		}
		return args
	}, countParts, parts, 6)
	if killed < 5 || midLoad == 0 {
		t.Errorf("%d runs killed, %d of them mid-load: want at least 5 and 1", killed, midLoad)
	}
	r := s.command(t, "loader", append(args, "--verify", "full")...)
	if r.code != 0 || !strings.Contains(r.out, "loaded ") {
		t.Fatalf("final run: exit %d\n%s", r.code, r.out)
	}
	if strings.Contains(r.out, "verify full: failed") {
		t.Errorf("final run failed verification:\n%s", r.out)
	}
	s.checkRows(t, target, "k9", d)
	if n := len(st.loadedRecords(t)); n != 1 {
		t.Errorf("%d loaded records, want 1", n)
	}
	if n := countParts(); n != parts {
		t.Errorf("%d part records, want %d", n, parts)
	}
}

// KillLoop runs the command bin (args(i) are run i's arguments) and kills
// it with SIGKILL once progress() has grown by one to four, plus up to
// 40ms: mid-part, mid-batch or mid-ledger-write. It stops after kills
// kills, 2*kills runs, or a run that finished before its kill. It
// returns the runs killed, and how many were killed with progress
// between 0 and total (exclusive).
func KillLoop(t *testing.T, bin string, args func(i int) []string, progress func() int, total, kills int) (killed, midLoad int) {
	t.Helper()
	for i := 0; killed < kills && i < 2*kills; i++ {
		cmd := exec.Command(bin, args(i)...)
		cmd.Env = os.Environ()
		if err := cmd.Start(); err != nil {
			t.Fatal(err)
		}
		done := make(chan error, 1)
		go func() { done <- cmd.Wait() }()
		want := progress() + 1 + rand.IntN(4)
		deadline := time.Now().Add(60 * time.Second)
		finished := false
		for !finished && progress() < want && time.Now().Before(deadline) {
			select {
			case err := <-done:
				t.Logf("run %d finished before it was killed: %v", i, err)
				finished = true
			case <-time.After(5 * time.Millisecond):
			}
		}
		if finished {
			break
		}
		delay := time.Duration(rand.IntN(40)) * time.Millisecond
		time.Sleep(delay)
		cmd.Process.Kill()
		<-done
		killed++
		got := progress()
		if got > 0 && got < total {
			midLoad++
		}
		t.Logf("run %d killed %s after progress %d, %d of %d", i, delay, want, got, total)
	}
	return killed, midLoad
}

// blobTable has a blob partition key, for keys the target refuses, and
// blob values, for large ones.
func blobTable(name string) schema.Table {
	return schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: "blob", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "blob", Role: schema.Regular},
	}}
}

// A row the target refuses for its content goes to the reject file with
// its line and the target's reason; with --max-rejects 0 (the default)
// the load fails with exit 2 and records nothing, with 1 it loads and
// verifies the other rows.
func (s *suite) rejects(t *testing.T) {
	refused, mentions := s.h.RefusedKey()
	if refused == nil {
		t.Skip("the harness declares no key the target refuses")
	}
	st := fileStore(t)
	rows := []format.Row{
		{Values: [][]byte{[]byte("a"), loadtest.Int(1), {1}}},
		{Values: [][]byte{refused, loadtest.Int(1), {2}}},
		{Values: [][]byte{[]byte("b"), loadtest.Int(1), {3}}},
	}
	loadtest.Write(t, st.b, loadtest.Dump{Table: blobTable("rej"), Parts: [][]format.Row{rows}})
	d := st.readDump(t)
	target := s.h.NewTarget(t)
	r := s.load(t, st, target, "--create-table")
	if r.code != exitUsage || !strings.Contains(r.out, "max-rejects") {
		t.Fatalf("exit %d, want %d naming --max-rejects:\n%s", r.code, exitUsage, r.out)
	}
	if recs := st.loadedRecords(t); len(recs) != 0 {
		t.Errorf("recorded as loaded: %v", recs)
	}
	files := st.keys(t, load.LedgerDir, "/rejects/")
	if len(files) != 1 {
		t.Fatalf("reject files %v, want 1", files)
	}
	data, err := st.b.ReadAll(context.Background(), files[0])
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Contains(data, []byte(`"line":2`)) || !bytes.Contains(data, []byte(mentions)) {
		t.Errorf("reject file does not name line 2 and %q: %.300s", mentions, data)
	}
	// The row's own text, as the part has it (its key in hex).
	if !bytes.Contains(data, []byte(`"row":"{`)) || !bytes.Contains(data, []byte(hex.EncodeToString(refused[:64]))) {
		t.Errorf("reject file does not hold the row's text: %.300s", data)
	}

	r = s.load(t, st, target, "--max-rejects", "1", "--verify", "full")
	verified(t, r)
	if !strings.Contains(r.out, "1 rejected") {
		t.Errorf("summary does not count the reject:\n%s", r.out)
	}
	d.rows = append(d.rows[:1], d.rows[2])
	s.checkRows(t, target, "rej", d)
}

// A partition of 10,000 rows, rows of 30 KiB and a 1 MiB value load
// without a single refusal and read back exactly.
func (s *suite) wideAndLarge(t *testing.T) {
	var wide, big []format.Row
	for c := range 10000 {
		wide = append(wide, format.Row{Values: [][]byte{[]byte("wide"), loadtest.Int(int32(c)), bytes.Repeat([]byte{byte(c)}, 100)}})
	}
	for c := range 40 {
		big = append(big, format.Row{Values: [][]byte{[]byte("big"), loadtest.Int(int32(c)), bytes.Repeat([]byte{byte(c)}, 30<<10)}})
	}
	big = append(big, format.Row{Values: [][]byte{[]byte("mib"), loadtest.Int(0), bytes.Repeat([]byte{7}, 1<<20)}})
	st := fileStore(t)
	loadtest.Write(t, st.b, loadtest.Dump{Table: blobTable("wide"), Parts: [][]format.Row{wide, big}})
	d := st.readDump(t)
	target := s.h.NewTarget(t)
	r := s.load(t, st, target, verifyArgs...)
	verified(t, r)
	if !strings.Contains(r.out, "0 rejected") {
		t.Errorf("rows refused:\n%s", r.out)
	}
	s.checkRows(t, target, "wide", d)
}
