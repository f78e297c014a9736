package status

import (
	"bytes"
	"os"
	"strings"
	"testing"
	"time"

	"github.com/lading-dev/lading/pkg/manifest"
)

// TestBatchMarkers: a batch whose marker (<batch>/_SUCCESS, from the
// golden file the manifest package pins) is in the export root but not
// yet in the ship root shows complete in one and absent in the other, in
// the report, the text and the page; a batch without a marker is listed
// without a time.
func TestBatchMarkers(t *testing.T) {
	src, dst := newLedgerRoot(t), newLedgerRoot(t)
	src.exported("2026-11-22", "crm.users", "20261122T154530Z", src.now.Add(-time.Hour))
	src.exported("b2", "crm.users", "20261206T010000Z", src.now.Add(-time.Hour))
	marker, err := os.ReadFile("../../pkg/manifest/testdata/batch.golden.json")
	if err != nil {
		t.Fatal(err)
	}
	if _, err := src.b.WriteAll(src.ctx, manifest.BatchSuccessKey("2026-11-22"), marker, nil); err != nil {
		t.Fatal(err)
	}
	rep, err := Build(src.ctx, Config{Roots: []string{src.url, dst.url}, Now: func() time.Time { return src.now }})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, m := range rep.Batches {
		at := "-"
		if m.At != nil {
			at = m.At.UTC().Format(time.RFC3339Nano)
		}
		got = append(got, m.Batch+" "+m.Where+" "+at)
		if m.At != nil && m.Tables != 2 {
			t.Errorf("%s: %d tables, want 2", m.Batch, m.Tables)
		}
	}
	want := []string{"2026-11-22 " + rep.Roots[0] + " 2026-11-22T16:02:11.5Z", "2026-11-22 " + rep.Roots[1] + " -", "b2 " + rep.Roots[0] + " -", "b2 " + rep.Roots[1] + " -"}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("batches:\n%s\nwant:\n%s", strings.Join(got, "\n"), strings.Join(want, "\n"))
	}
	var text, page bytes.Buffer
	if err := WriteText(&text, rep); err != nil {
		t.Fatal(err)
	}
	if err := WriteHTML(&page, rep); err != nil {
		t.Fatal(err)
	}
	if !strings.Contains(text.String(), "2026-11-22 complete 2026-11-22 16:02:11, 2 tables, in "+rep.Roots[0]) || strings.Contains(text.String(), "b2 complete") {
		t.Errorf("text:\n%s", text.String())
	}
	if !strings.Contains(page.String(), "<h2>Batch markers</h2>") || !strings.Contains(page.String(), "<td>2026-11-22</td><td>2026-11-22 16:02:11</td><td>2</td>") {
		t.Errorf("page lacks the batch marker row")
	}
}
