package dynamodb_test

import (
	"slices"
	"testing"

	"github.com/lading-dev/lading/internal/export/sourcetest"
	"github.com/lading-dev/lading/internal/source/dynamodb/dynamotest"
)

// exportHarness runs the source conformance suite on --from-export: each
// table is written to dynalite and exported by hand into the S3 server,
// about 100 items a data file; rows are compared with the table's.
type exportHarness struct {
	dynamoHarness
	exports map[string]*nativeExport
}

func (h *exportHarness) NewTable(t testing.TB, n int) (string, string) {
	table, dumpTable := h.dynamoHarness.NewTable(t, n)
	h.exports[table] = buildExport(t, h.c, table, max(2, n/100))
	return table, dumpTable
}

func (h *exportHarness) SourceArgs(_ testing.TB, table string) []string {
	return []string{"--from-export", h.exports[table].URL, "--hash-key", "pk:S", "--range-key", "sk:N"}
}

// ChangeSchema changes the export's file list (its lines in another
// order): the plan's units would name other files.
func (h *exportHarness) ChangeSchema(t testing.TB, table string) {
	x := h.exports[table]
	slices.Reverse(x.Files)
	x.writeManifests(t)
}

// SlowArgs: 200 items a second (after a first second's burst), so that
// four killed runs read about half of the suite's 3,000 items.
func (h *exportHarness) SlowArgs() []string { return []string{"--max-rate", "200"} }

func (h *exportHarness) Args() []string {
	return []string{"--page-size", "25", "--part-size", "8KiB", "--log-level", "warn"}
}

func TestFromExportConformance(t *testing.T) {
	sourcetest.RunConformance(t, &exportHarness{dynamoHarness: dynamoHarness{c: dynamotest.Client(t)}, exports: map[string]*nativeExport{}})
}
