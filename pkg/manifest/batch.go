package manifest

import (
	"reflect"
	"slices"
	"time"
)

// Versions of the batch-level documents.
const (
	FormatTableList    = "lading/tables/v1"
	FormatBatchSuccess = "lading/batch/v1"
)

// TableListName sits at <batch>/_state/tables.json: the batch's table
// list, fixed by the first multi-table export of the batch.
const TableListName = "_state/tables.json"

const (
	docTableList    = "table list"
	docBatchSuccess = "batch marker"
)

var (
	tableListShape    = shapeOf(reflect.TypeFor[TableList]())
	batchSuccessShape = shapeOf(reflect.TypeFor[BatchSuccess]())
)

// TableList is <batch>/_state/tables.json: the tables a multi-table
// export (exporter --tables) found for its patterns the first time it
// ran in the batch. Every later run and every shard expands its patterns
// again and must find the same tables: shards split the work of the
// tables by their place in this list, and the batch marker is written
// when every table of the list is exported.
type TableList struct {
	Format string `json:"format"`
	Batch  string `json:"batch"`
	// Patterns are the patterns as the first run was given them, for
	// humans and for a re-run of a complete batch to recognise its own.
	Patterns []string `json:"patterns"`
	// Tables are sorted by Table, none twice.
	Tables  []BatchTable `json:"tables"`
	Created time.Time    `json:"created"`
}

// BatchTable is one table of a batch's table list.
type BatchTable struct {
	// Name is the table as the source names it (--table: keyspace.table
	// for Cassandra, the table's name for DynamoDB).
	Name string `json:"name"`
	// Table is its name in dump paths (<batch>/<table>/…).
	Table string `json:"table"`
}

// BatchSuccess is <batch>/_SUCCESS, the batch marker: written once, with
// a conditional create, when every table of the batch's table list has a
// complete dump; it lists those dumps with the SHA-256 of their
// manifest.json. The shipper copies it last, after every dump it lists
// is complete and verified at the destination, so a scheduler can wait
// for this one path.
type BatchSuccess struct {
	Format string `json:"format"`
	Tool   Tool   `json:"tool"`
	Batch  string `json:"batch"`
	// Dumps are sorted by Table, one per table of the list.
	Dumps     []BatchDump `json:"dumps"`
	Completed time.Time   `json:"completed"`
}

// BatchDump is one complete dump a batch marker lists.
type BatchDump struct {
	Table     string `json:"table"`
	Timestamp string `json:"timestamp"`
	// ManifestSHA256 is the SHA-256 of the dump's manifest.json bytes.
	ManifestSHA256 string `json:"manifest_sha256"`
	Rows           int64  `json:"rows"`
	Files          int64  `json:"files"`
	StoredBytes    int64  `json:"stored_bytes"`
}

// Prefix is the dump's prefix below the root: "<batch>/<table>/<timestamp>/".
func (d BatchDump) Prefix(batch string) string { return DumpPrefix(batch, d.Table, d.Timestamp) }

// TableListKey returns the key, below the root, of a batch's table list.
func TableListKey(batch string) string { return batch + "/" + TableListName }

// BatchSuccessKey returns the key, below the root, of a batch's marker:
// "<batch>/_SUCCESS".
func BatchSuccessKey(batch string) string { return batch + "/" + SuccessName }

// SameTables reports whether two lists name the same tables.
func SameTables(a, b []BatchTable) bool { return slices.Equal(a, b) }

// DecodeTableList decodes <batch>/_state/tables.json strictly.
func DecodeTableList(data []byte) (*TableList, error) {
	l := new(TableList)
	if err := decode(docTableList, data, FormatTableList, tableListShape, l); err != nil {
		return nil, err
	}
	if err := checkTableList(l); err != nil {
		return nil, err
	}
	return l, nil
}

// Marshal checks l as DecodeTableList would and returns its canonical
// bytes (see Manifest.Marshal).
func (l *TableList) Marshal() ([]byte, error) {
	if err := checkTableList(l); err != nil {
		return nil, err
	}
	return encode(docTableList, reflect.ValueOf(l).Elem(), tableListShape)
}

// DecodeBatchSuccess decodes <batch>/_SUCCESS strictly.
func DecodeBatchSuccess(data []byte) (*BatchSuccess, error) {
	s := new(BatchSuccess)
	if err := decode(docBatchSuccess, data, FormatBatchSuccess, batchSuccessShape, s); err != nil {
		return nil, err
	}
	if err := checkBatchSuccess(s); err != nil {
		return nil, err
	}
	return s, nil
}

// Marshal checks s as DecodeBatchSuccess would and returns its canonical
// bytes (see Manifest.Marshal).
func (s *BatchSuccess) Marshal() ([]byte, error) {
	if err := checkBatchSuccess(s); err != nil {
		return nil, err
	}
	return encode(docBatchSuccess, reflect.ValueOf(s).Elem(), batchSuccessShape)
}

func checkTableList(l *TableList) error {
	c := checker{doc: docTableList}
	if err := c.format(l.Format, FormatTableList); err != nil {
		return err
	}
	if err := ValidateBatch(l.Batch); err != nil {
		return c.errf("batch", "%v", err)
	}
	if len(l.Patterns) == 0 {
		return c.errf("patterns", "empty")
	}
	for i, p := range l.Patterns {
		if p == "" {
			return c.errf(joinIndex("patterns", i), "empty")
		}
	}
	if len(l.Tables) == 0 {
		return c.errf("tables", "empty")
	}
	for i, t := range l.Tables {
		path := joinIndex("tables", i)
		if t.Name == "" {
			return c.errf(joinField(path, "name"), "empty")
		}
		if err := ValidateTableName(t.Table); err != nil {
			return c.errf(joinField(path, "table"), "%v", err)
		}
		if i > 0 && t.Table <= l.Tables[i-1].Table {
			return c.errf(joinField(path, "table"), "%q after %q: want sorted, none twice", t.Table, l.Tables[i-1].Table)
		}
	}
	return c.time("created", l.Created)
}

func checkBatchSuccess(s *BatchSuccess) error {
	c := checker{doc: docBatchSuccess}
	if err := c.format(s.Format, FormatBatchSuccess); err != nil {
		return err
	}
	if err := c.tool("tool", s.Tool); err != nil {
		return err
	}
	if err := ValidateBatch(s.Batch); err != nil {
		return c.errf("batch", "%v", err)
	}
	if len(s.Dumps) == 0 {
		return c.errf("dumps", "empty")
	}
	for i, d := range s.Dumps {
		path := joinIndex("dumps", i)
		if err := ValidateTableName(d.Table); err != nil {
			return c.errf(joinField(path, "table"), "%v", err)
		}
		if i > 0 && d.Table <= s.Dumps[i-1].Table {
			return c.errf(joinField(path, "table"), "%q after %q: want sorted, none twice", d.Table, s.Dumps[i-1].Table)
		}
		if _, err := ParseTimestamp(d.Timestamp); err != nil {
			return c.errf(joinField(path, "timestamp"), "%v", err)
		}
		if err := c.hex(joinField(path, "manifest_sha256"), d.ManifestSHA256, sha256Pattern, 64); err != nil {
			return err
		}
	}
	return c.time("completed", s.Completed)
}
