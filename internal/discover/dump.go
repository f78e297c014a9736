// Package discover finds dumps in a store: the
// <root>/<batch>/<table>/<timestamp>/ prefixes that the exporter writes,
// the shipper copies and the loader loads (DESIGN.md, "The dump: layout").
//
// Discovery lists with a delimiter, one level at a time, and never lists
// a dump's parts: which files belong to a dump is the manifest's business.
// Whether a dump is complete is the presence of its _SUCCESS marker.
package discover

import (
	"fmt"
	"path"

	"github.com/lading-dev/lading/pkg/manifest"
)

// Dump is one dump under a root.
type Dump struct {
	Batch     string
	Table     string
	Timestamp string
	// Prefix is the dump's prefix relative to the root, without a
	// trailing slash: <batch>/<table>/<timestamp>.
	Prefix string
	// Complete reports that _SUCCESS exists at Prefix (as of discovery).
	Complete bool
}

// NewDump names a dump, validating its three levels.
func NewDump(batch, table, timestamp string) (Dump, error) {
	if err := manifest.ValidateBatch(batch); err != nil {
		return Dump{}, err
	}
	if err := manifest.ValidateTableName(table); err != nil {
		return Dump{}, err
	}
	if _, err := manifest.ParseTimestamp(timestamp); err != nil {
		return Dump{}, err
	}
	return Dump{Batch: batch, Table: table, Timestamp: timestamp, Prefix: path.Join(batch, table, timestamp)}, nil
}

// Key returns the key of name (relative to the dump) relative to the root.
func (d Dump) Key(name string) string { return d.Prefix + "/" + name }

// ManifestKey is the key of the dump's manifest.json relative to the root.
func (d Dump) ManifestKey() string { return d.Key(manifest.ManifestName) }

// SuccessKey is the key of the dump's _SUCCESS marker relative to the root.
func (d Dump) SuccessKey() string { return d.Key(manifest.SuccessName) }

// String names the dump for messages: batch/table/timestamp.
func (d Dump) String() string { return d.Prefix }

// Filter narrows discovery; an empty field matches everything.
type Filter struct {
	Batch     string
	Table     string
	Timestamp string
}

// Validate checks the names the filter sets.
func (f Filter) Validate() error {
	if f.Batch != "" {
		if err := manifest.ValidateBatch(f.Batch); err != nil {
			return fmt.Errorf("--batch: %w", err)
		}
	}
	if f.Table != "" {
		if err := manifest.ValidateTableName(f.Table); err != nil {
			return fmt.Errorf("--table: %w", err)
		}
	}
	if f.Timestamp != "" {
		if _, err := manifest.ParseTimestamp(f.Timestamp); err != nil {
			return fmt.Errorf("--timestamp: %w", err)
		}
	}
	return nil
}

// Match reports whether d passes the filter.
func (f Filter) Match(d Dump) bool {
	return (f.Batch == "" || f.Batch == d.Batch) &&
		(f.Table == "" || f.Table == d.Table) &&
		(f.Timestamp == "" || f.Timestamp == d.Timestamp)
}

// Narrow combines the filter with one dump (a URL that named a dump): the
// filter's fields must be empty or agree with it.
func (f Filter) Narrow(d Dump) (Filter, error) {
	check := func(flag, have, want string) error {
		if have != "" && have != want {
			return fmt.Errorf("%s %s contradicts the dump the URL names (%s)", flag, have, d)
		}
		return nil
	}
	if err := check("--batch", f.Batch, d.Batch); err != nil {
		return f, err
	}
	if err := check("--table", f.Table, d.Table); err != nil {
		return f, err
	}
	if err := check("--timestamp", f.Timestamp, d.Timestamp); err != nil {
		return f, err
	}
	return Filter{Batch: d.Batch, Table: d.Table, Timestamp: d.Timestamp}, nil
}
