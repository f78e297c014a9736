package targettest

import (
	"reflect"
	"strings"
	"testing"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// typesHarness declares deviations only; the suite's comparison and
// column choice use nothing else of a harness.
type typesHarness struct {
	Harness
	holds map[string]Holding
}

func (h typesHarness) Holds(t string) Holding { return h.holds[t] }

var testCols = []schema.Column{
	{Name: "k", Type: "int", Role: schema.PartitionKey},
	{Name: "c", Type: "int", Role: schema.Clustering},
	{Name: "ts", Type: "timestamp", Role: schema.Regular},
	{Name: "du", Type: "duration", Role: schema.Regular},
	{Name: "s", Type: "text", Role: schema.Static},
}

func TestHeldColumns(t *testing.T) {
	h := typesHarness{holds: map[string]Holding{"duration": {NotHeld: true}}}
	held, all := heldColumns(h, testCols)
	if all || !reflect.DeepEqual(held, []string{"ts", "s"}) {
		t.Errorf("held %v all %v, want [ts s] and not all", held, all)
	}
	held, all = heldColumns(typesHarness{}, testCols)
	if !all || len(held) != 3 {
		t.Errorf("held %v all %v, want every non-key column", held, all)
	}
}

// Values compare exactly, or through the harness's documented ReadBack;
// missing, extra, duplicated and differing rows are each reported.
func TestDiffRows(t *testing.T) {
	millis := Holding{ReadBack: func(v []byte) []byte { return append(v[:len(v)-1:len(v)-1], 0) }, Note: "milliseconds"}
	s := &suite{h: typesHarness{holds: map[string]Holding{"timestamp": millis}}}
	row := func(k, c byte, ts byte, du, st string) format.Row {
		return format.Row{Values: [][]byte{{k}, {c}, {1, ts}, []byte(du), []byte(st)}}
	}
	want := []format.Row{row(1, 1, 7, "d", "s"), row(1, 2, 7, "d", "s"), row(2, 1, 7, "d", "s")}
	exact := []format.Row{row(1, 1, 0, "d", "s"), row(1, 2, 0, "d", "s"), row(2, 1, 0, "d", "s")}
	if d := s.diffRows(testCols, want, exact); len(d) != 0 {
		t.Errorf("documented deviation reported: %v", d)
	}
	got := []format.Row{
		row(1, 1, 7, "d", "s"), // timestamp not as documented
		row(2, 1, 0, "x", "s"), // duration differs
		row(2, 1, 0, "x", "s"), // read twice
		row(3, 1, 0, "d", "s"), // not in the dump
	} // (1, 2) missing
	d := strings.Join(s.diffRows(testCols, want, got), "\n")
	for _, w := range []string{
		"row 01/01 column ts timestamp: read back 0107, want 0100 (documented: milliseconds)",
		"row 01/02: missing",
		"row 02/01 column du duration: read back 78, want 64",
		"row 02/01: read back twice",
		"row 03/01: not in the dump",
	} {
		if !strings.Contains(d, w) {
			t.Errorf("differences do not include %q:\n%s", w, d)
		}
	}
}
