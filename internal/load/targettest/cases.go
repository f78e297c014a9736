package targettest

import (
	"context"
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/load/loadtest"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// Exit codes of the commands (internal/fault).
const (
	exitUsage  = 2
	exitVerify = 3
)

// verified fails t unless a loader run loaded a dump and its full
// verification passed, or was skipped saying why (a target without
// load.Comparer). It reports whether values were verified.
func verified(t *testing.T, r run) bool {
	t.Helper()
	switch {
	case r.code != 0 || !strings.Contains(r.out, "loaded "):
		t.Fatalf("loader: exit %d, want a loaded dump:\n%s", r.code, r.out)
	case strings.Contains(r.out, "verify full: passed"):
		return true
	case strings.Contains(r.out, "verify full: skipped (") && strings.Contains(r.out, "cannot read rows back"):
		t.Logf("the target cannot read rows back: full verification skipped, and said so")
		return false
	default:
		t.Fatalf("loader did not report full verification:\n%s", r.out)
	}
	return false
}

// smallTable is the schema of the synthetic dumps: a clustered table
// with a text value and, when the target holds them, a list and a set.
func (s *suite) smallTable(name string) schema.Table {
	tbl := schema.Table{Keyspace: "src", Name: name, Columns: []schema.Column{
		{Name: "k", Type: "int", Role: schema.PartitionKey},
		{Name: "c", Type: "int", Role: schema.Clustering, Order: schema.Asc},
		{Name: "v", Type: "text", Role: schema.Regular},
	}}
	for _, c := range []schema.Column{{Name: "l", Type: "list<int>"}, {Name: "st", Type: "set<int>"}} {
		if !s.h.Holds(c.Type).NotHeld {
			c.Role = schema.Regular
			tbl.Columns = append(tbl.Columns, c)
		}
	}
	return tbl
}

// smallRows are perPart rows for each of parts parts of smallTable, ten
// rows a partition; lists and sets get elements written at two times.
func smallRows(tbl schema.Table, parts, perPart int) [][]format.Row {
	var out [][]format.Row
	for p := range parts {
		var rows []format.Row
		for i := range perPart {
			n := int32(p*perPart + i)
			r := format.Row{Values: [][]byte{loadtest.Int(n / 10), loadtest.Int(n % 10), loadtest.Text("row " + string(rune('a'+n%26)))},
				Writetime: [][]int64{nil, nil, {4000}}}
			for _, c := range tbl.Columns[3:] {
				switch c.Name {
				case "l":
					r.Values = append(r.Values, loadtest.Coll(loadtest.Int(n), loadtest.Int(n), loadtest.Int(n+1)))
					r.Writetime = append(r.Writetime, []int64{1000, 1000, 2000})
				case "st":
					r.Values = append(r.Values, loadtest.Coll(loadtest.Int(1), loadtest.Int(2)))
					r.Writetime = append(r.Writetime, []int64{1000, 3000})
				}
			}
			rows = append(rows, r)
		}
		out = append(out, rows)
	}
	return out
}

// smallDump writes a synthetic dump of smallTable into a new file store.
func (s *suite) smallDump(t *testing.T, name string, parts, perPart int) (*store, *dumpOf) {
	t.Helper()
	st := fileStore(t)
	tbl := s.smallTable(name)
	loadtest.Write(t, st.b, loadtest.Dump{Table: tbl, Writetime: true, Parts: smallRows(tbl, parts, perPart)})
	return st, st.readDump(t)
}

// Every CQL type the target holds, from a real Cassandra dump, reads
// back exactly (or as the harness documents); loading every part again
// over the loaded table changes nothing.
func (s *suite) everyType(t *testing.T) {
	target := s.h.NewTarget(t)
	d := s.every.readDump(t)
	if len(d.rows) != everyPartitions*3 {
		t.Fatalf("the dump holds %d rows, want %d", len(d.rows), everyPartitions*3)
	}
	verified(t, s.load(t, s.every, target, verifyArgs...))
	s.checkRows(t, target, "every", d)
	// Every part a second time.
	verified(t, s.load(t, s.every, target, append(verifyArgs, "--force")...))
	s.checkRows(t, target, "every", d)
	if recs := s.every.keys(t, "_state/", "/loaded/"); len(recs) == 0 {
		t.Error("no loaded record in the ledger")
	}
}

// A part whose bytes do not match the manifest's checksums writes no row
// and fails verification (exit 3), naming the part; whether the part is
// spooled to disk or read twice.
func (s *suite) corruptPart(t *testing.T) {
	ctx := context.Background()
	for _, spool := range []string{"64MiB", "0"} {
		t.Run("spool-bytes="+spool, func(t *testing.T) {
			st, d := s.smallDump(t, "corrupt", 2, 50)
			key := d.prefix + "/" + d.m.Files[0].Name
			data, err := st.b.ReadAll(ctx, key)
			if err != nil {
				t.Fatal(err)
			}
			data[len(data)/2] ^= 0x40
			if _, err := st.b.WriteAll(ctx, key, data, nil); err != nil {
				t.Fatal(err)
			}
			target := s.h.NewTarget(t)
			r := s.load(t, st, target, "--create-table", "--parts", "1", "--spool-bytes", spool)
			if r.code != exitVerify || !strings.Contains(r.out, d.m.Files[0].Name) {
				t.Fatalf("exit %d, want %d naming part %s:\n%s", r.code, exitVerify, d.m.Files[0].Name, r.out)
			}
			if rows := s.h.ReadRows(t, target, "corrupt", d.cols); len(rows) != 0 {
				t.Errorf("%d rows written from a dump whose first part is corrupt", len(rows))
			}
			if recs := st.loadedRecords(t); len(recs) != 0 {
				t.Errorf("recorded as loaded: %v", recs)
			}
		})
	}
}

// --create-table creates the table; a later dump loads into the existing
// table after its schema is checked; a table whose column has another
// type is refused (exit 2, naming the column) and a missing table without
// --create-table too, both writing nothing.
func (s *suite) schemaCases(t *testing.T) {
	target := s.h.NewTarget(t)
	st, d := s.smallDump(t, "sch", 1, 30)
	verified(t, s.load(t, st, target, verifyArgs...))
	s.checkRows(t, target, "sch", d)

	t.Run("check", func(t *testing.T) {
		later := fileStore(t)
		tbl := s.smallTable("sch")
		rows := smallRows(tbl, 1, 40)
		loadtest.Write(t, later.b, loadtest.Dump{Batch: "b2", Timestamp: "20260102T000000Z", Table: tbl, Writetime: true, Parts: rows})
		r := s.load(t, later, target, "--verify", "count")
		if r.code != 0 || !strings.Contains(r.out, "loaded ") {
			t.Fatalf("load into the existing table: exit %d\n%s", r.code, r.out)
		}
		if got := s.h.ReadRows(t, target, "sch", d.cols); len(got) != 40 {
			t.Errorf("%d rows, want 40", len(got))
		}
	})
	t.Run("mismatch", func(t *testing.T) {
		mentions := s.h.CreateMismatched(t, target, "mismatch", d.m.Source.Table, "v")
		r := s.load(t, st, target, "--target-table", "mismatch")
		if r.code != exitUsage || !strings.Contains(r.out, mentions) {
			t.Fatalf("exit %d, want %d naming %q:\n%s", r.code, exitUsage, mentions, r.out)
		}
		if got := s.h.ReadRows(t, target, "mismatch", d.cols[:2]); len(got) != 0 {
			t.Errorf("%d rows written despite the mismatch", len(got))
		}
	})
	t.Run("missing", func(t *testing.T) {
		r := s.load(t, st, target, "--target-table", "absent")
		if r.code != exitUsage || !strings.Contains(r.out, "absent") {
			t.Fatalf("exit %d, want %d naming the table:\n%s", r.code, exitUsage, r.out)
		}
	})
	if recs := st.loadedRecords(t); len(recs) != 1 {
		t.Errorf("loaded records %v, want the first load's only", recs)
	}
}

// forgetLoaded deletes the ledger's loaded records, so that the next run
// finds every part loaded and only verifies: what a load would see if
// rows were lost or changed between its writes and its verification.
func forgetLoaded(t *testing.T, st *store) {
	t.Helper()
	for _, k := range st.loadedRecords(t) {
		if err := st.b.Delete(context.Background(), k); err != nil {
			t.Fatal(err)
		}
	}
}

// --verify count catches a lost row, --verify full a lost row and a
// changed value (exit 3), and neither records the dump as loaded.
func (s *suite) verifyCatches(t *testing.T) {
	target := s.h.NewTarget(t)
	st, d := s.smallDump(t, "ver", 2, 20)
	if r := s.load(t, st, target, "--create-table", "--verify", "count"); r.code != 0 || !strings.Contains(r.out, "verify count: passed") {
		t.Fatalf("first load: exit %d\n%s", r.code, r.out)
	}
	lost, changed := d.rows[3], d.rows[25]
	forgetLoaded(t, st)
	s.h.DeleteRow(t, target, "ver", d.cols, keyOf(d.cols, lost))

	r := s.load(t, st, target, "--verify", "count")
	if r.code != exitVerify || !strings.Contains(r.out, "verify count") {
		t.Errorf("count after a lost row: exit %d, want %d:\n%s", r.code, exitVerify, r.out)
	}
	r = s.load(t, st, target, "--verify", "full")
	if r.code == 0 && strings.Contains(r.out, "verify full: skipped (") {
		t.Skip("the target cannot read rows back (no load.Comparer): full verification is skipped, and says so")
	}
	if r.code != exitVerify || !strings.Contains(r.out, "verify full") || !strings.Contains(r.out, "1 of 40 rows differ") {
		t.Errorf("full after a lost row: exit %d, want %d and 1 of 40 rows differing:\n%s", r.code, exitVerify, r.out)
	}

	if recs := st.loadedRecords(t); len(recs) != 0 {
		t.Errorf("recorded as loaded after a failed verification: %v", recs)
	}

	// A changed value, in a table of its own: a reload need not undo a
	// deletion (Cassandra keeps the newer tombstone over the dump's
	// writetimes).
	target = s.h.NewTarget(t)
	st, d = s.smallDump(t, "ver", 2, 20)
	verified(t, s.load(t, st, target, verifyArgs...))
	forgetLoaded(t, st)
	s.h.ChangeValue(t, target, "ver", d.cols, keyOf(d.cols, changed), "v")
	r = s.load(t, st, target, "--verify", "count")
	if r.code != 0 || !strings.Contains(r.out, "verify count: passed") {
		t.Errorf("count after a changed value: exit %d, want 0 (a count cannot see values):\n%s", r.code, r.out)
	}
	forgetLoaded(t, st)
	r = s.load(t, st, target, "--verify", "full")
	if r.code != exitVerify || !strings.Contains(r.out, "1 of 40 rows differ") || !strings.Contains(r.out, "column v") {
		t.Errorf("full after a changed value: exit %d, want %d naming column v:\n%s", r.code, exitVerify, r.out)
	}
	if recs := st.loadedRecords(t); len(recs) != 0 {
		t.Errorf("recorded as loaded after a failed verification: %v", recs)
	}
}

// A dump loaded into a table, then the table dropped and created again:
// the ledger sees a new incarnation and loads the dump again.
func (s *suite) incarnation(t *testing.T) {
	target := s.h.NewTarget(t)
	st, d := s.smallDump(t, "inc", 2, 25)
	verified(t, s.load(t, st, target, verifyArgs...))
	if r := s.load(t, st, target, verifyArgs...); r.code != 0 || !strings.Contains(r.out, "already loaded") {
		t.Fatalf("second run: exit %d, want already loaded:\n%s", r.code, r.out)
	}
	s.h.DropTable(t, target, "inc")
	verified(t, s.load(t, st, target, verifyArgs...))
	s.checkRows(t, target, "inc", d)
	if recs := st.loadedRecords(t); len(recs) != 2 {
		t.Errorf("loaded records %v, want one per incarnation", recs)
	}
}
