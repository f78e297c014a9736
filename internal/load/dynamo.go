package load

import (
	"strings"

	"github.com/lading-dev/lading/internal/discover"
	"github.com/lading-dev/lading/internal/fault"
	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/manifest"
)

// SourceKindLoader is implemented by targets that load dumps of sources
// other than Cassandra (manifest source kinds such as "dynamodb"). A
// target without it loads Cassandra dumps only; the loader refuses any
// other dump for it (exit 2) before a table is created or a ledger
// record written. A target that takes a DynamoDB dump finds each row's
// item in format.Row.Item (Values is then empty).
type SourceKindLoader interface {
	LoadsSourceKind(kind string) bool
}

// checkSourceKind refuses a dump whose source kind the target does not
// load.
func (l *Loader) checkSourceKind(d discover.Dump, m *manifest.Manifest) error {
	kind := m.Source.Kind
	if kind == manifest.KindCassandra {
		return nil
	}
	if sk, ok := l.target.(SourceKindLoader); ok && sk.LoadsSourceKind(kind) {
		return nil
	}
	return fault.Usagef("%s is a dump of a %s table, which the %s target does not load (see docs/loader.md, \"Loading DynamoDB dumps\", for the targets that do)", d, kind, l.targetKind())
}

// targetKind names the target's kind (its URL scheme) in messages.
func (l *Loader) targetKind() string {
	scheme, _, _ := strings.Cut(l.opts.To, "://")
	return scheme
}

// sourceIndexes counts the secondary indexes a dump's source table has,
// as --route judges them: Cassandra indexes and materialized views, or
// DynamoDB global and local secondary indexes.
func sourceIndexes(m *manifest.Manifest) int {
	if m.Source.Kind == manifest.KindDynamoDB {
		return len(m.Source.DynamoDB.GlobalIndexes) + len(m.Source.DynamoDB.LocalIndexes)
	}
	return len(m.Source.Table.Indexes)
}

// rowDecoding turns one line of a part into a row.
type rowDecoding interface {
	DecodeRow(line []byte, row *format.Row) error
}

// dynamoDecoder decodes the items of a DynamoDB dump into Row.Item.
type dynamoDecoder struct{}

func (dynamoDecoder) DecodeRow(line []byte, row *format.Row) error {
	item, err := format.DecodeDynamoItem(line)
	if err != nil {
		return err
	}
	*row = format.Row{Item: item}
	return nil
}
