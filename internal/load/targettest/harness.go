// Package targettest is the conformance suite every loader target
// passes: RunConformance loads real dumps into the target through the
// real loader binary and checks the promises the loader makes whatever
// the target (values read back exactly, or as the target documents;
// reloads change nothing; kill -9 then a re-run gives every row once; a
// corrupt part writes nothing; schema refusals; verification catches
// lost and changed rows; rejects; the ledger across a dropped and
// recreated table; no refusal for size).
//
// A target's package runs it from one test over its real server (or
// emulator), with a Harness that reaches the target behind the loader's
// back:
//
//	func TestConformance(t *testing.T) {
//		targettest.RunConformance(t, &harness{...})
//	}
//
// The suite needs the shared test servers (Cassandra as the source of
// the round-trip dump, S3 for the kill test); outside them it skips,
// like every integration test, unless LADING_REQUIRE_SERVICES is set.
package targettest

import (
	"testing"

	"github.com/lading-dev/lading/pkg/format"
	"github.com/lading-dev/lading/pkg/schema"
)

// Harness opens the target the suite loads into and reads and changes
// it directly, without the loader. Its methods fail t on error.
type Harness interface {
	// NewTarget returns the --to URL of a new, empty namespace (a
	// keyspace, a database, a table prefix) for one case, removed when
	// t ends. The loader must be able to create tables in it with
	// --create-table.
	NewTarget(t *testing.T) string
	// Holds says how the target holds a column of a CQL type, as the
	// manifest spells it ("int", "list<int>", "frozen<addr>",
	// "vector<float, 3>"). Every type the target documents it holds
	// is in the round trip; the others are left out of the dump.
	Holds(cqlType string) Holding
	// ReadRows reads every row of a table back: one row per primary
	// key, its values in the order of cols (the dump's columns, key
	// columns first) as CQL native-protocol serializations, nil for
	// null, in any order.
	ReadRows(t *testing.T, target, table string, cols []schema.Column) []format.Row
	// DeleteRow deletes the row whose primary key columns (in cols
	// order) hold key.
	DeleteRow(t *testing.T, target, table string, cols []schema.Column, key [][]byte)
	// ChangeValue gives column col of that row another value.
	ChangeValue(t *testing.T, target, table string, cols []schema.Column, key [][]byte, col string)
	// DropTable drops a table; the loader's --create-table then
	// creates it again, as a new incarnation.
	DropTable(t *testing.T, target, table string)
	// CreateMismatched creates table name shaped like tbl except that
	// column col has another type, so that the loader's schema check
	// must refuse it, naming col; a target whose columns have no types
	// (Bigtable) gets the schema wrong the way it can (a missing column
	// family). It returns what the refusal must mention.
	CreateMismatched(t *testing.T, target, name string, tbl schema.Table, col string) (mentions string)
	// RefusedKey is a blob partition key value that the target refuses
	// for its content (a key over its size limit, say), and a word the
	// refusal's error contains; nil when the target refuses no key, and
	// the rejects case is then skipped, saying so.
	RefusedKey() (key []byte, mentions string)
}

// Holding is how a target holds values of one CQL type.
type Holding struct {
	// NotHeld: the target cannot hold the type (documented); the round
	// trip leaves such columns out.
	NotHeld bool
	// ReadBack maps a dump's value to what ReadRows returns for it when
	// the target holds the type only as its docs say (a timestamp kept
	// to the millisecond, say); nil: exactly the dump's bytes.
	ReadBack func(v []byte) []byte
	// Note is the documented deviation, quoted when a value differs.
	Note string
}

// Exact is the Holding of a type the target reads back byte for byte.
var Exact = Holding{}

// LoaderFlags is implemented by harnesses whose target is loaded with
// extra flags on every loader run of the suite (a smaller COPY group, so
// that the kill test's kills fall between the target's commits).
type LoaderFlags interface {
	LoaderFlags() []string
}

// loaderFlags returns the harness's extra loader flags, if any.
func loaderFlags(h Harness) []string {
	if lf, ok := h.(LoaderFlags); ok {
		return lf.LoaderFlags()
	}
	return nil
}
