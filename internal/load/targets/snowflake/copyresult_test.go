package snowflake

import (
	"strings"
	"testing"

	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/manifest"
)

func TestCheckCopyResults(t *testing.T) {
	parts := []*manifest.File{{Name: "part-a.ndjson.zst", Rows: 3}, {Name: "part-b.ndjson.zst", Rows: 2}}
	ok := func(file string, parsed, loaded, errs int64) copyResult {
		st := "LOADED"
		if errs > 0 {
			st = "PARTIALLY_LOADED"
		}
		return copyResult{File: file, Status: st, RowsParsed: parsed, RowsLoaded: loaded, ErrorsSeen: errs, FirstError: "bad", FirstLine: 2}
	}
	out, err := checkCopyResults(parts, []copyResult{ok("s3://dumps/p/part-b.ndjson.zst", 2, 1, 1), ok("part-a.ndjson.zst", 3, 3, 0)})
	if err != nil {
		t.Fatal(err)
	}
	if out.Loaded["part-a.ndjson.zst"] != 3 || out.Loaded["part-b.ndjson.zst"] != 1 || out.Rejected != 1 ||
		len(out.Rejects) != 1 || out.Rejects[0] != "part-b.ndjson.zst line 2: bad" {
		t.Errorf("outcome %+v", out)
	}

	for _, c := range []struct {
		name    string
		results []copyResult
		verify  bool
		want    string
	}{
		{"missing part", []copyResult{ok("part-a.ndjson.zst", 3, 3, 0)}, true, "did not report 1 of its parts: [part-b.ndjson.zst]"},
		{"unknown file", []copyResult{ok("part-a.ndjson.zst", 3, 3, 0), ok("part-b.ndjson.zst", 2, 2, 0), ok("other.ndjson.zst", 1, 1, 0)}, true, `"other.ndjson.zst"`},
		{"twice", []copyResult{ok("part-a.ndjson.zst", 3, 3, 0), ok("part-a.ndjson.zst", 3, 3, 0)}, true, "twice"},
		{"short part", []copyResult{ok("part-a.ndjson.zst", 2, 2, 0), ok("part-b.ndjson.zst", 2, 2, 0)}, true, "parsed 2 rows, the manifest says 3"},
		{"counts", []copyResult{ok("part-a.ndjson.zst", 3, 2, 0), ok("part-b.ndjson.zst", 2, 2, 0)}, true, "do not add up"},
		{"failed", []copyResult{{File: "part-a.ndjson.zst", Status: "LOAD_FAILED", FirstLine: 7, FirstError: "Numeric value 'x' is not recognized"}}, false, "line 7: Numeric value"},
	} {
		_, err := checkCopyResults(parts, c.results)
		if err == nil || fault.IsVerify(err) != c.verify || !strings.Contains(err.Error(), c.want) {
			t.Errorf("%s: err = %v, want one containing %q (verification failure: %v)", c.name, err, c.want, c.verify)
		}
	}
}
