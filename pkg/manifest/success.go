package manifest

import (
	"encoding/json"
	"time"
)

// Formats of a dump's _SUCCESS note: the exporter's, written where the
// dump was exported, and the shipper's, written at each copy.
const (
	FormatExported = "lading/exported/v1"
	FormatShipped  = "lading/shipped/v1"
)

// ExportedNote is the exporter's _SUCCESS note. Readers only need the
// object to exist; the note is for humans, audits and status (which
// tells the export root by it). It lives here, beside the dump's other
// documents, so that a reader of notes links no source driver.
type ExportedNote struct {
	Format string `json:"format"`
	Tool   Tool   `json:"tool"`
	// Dump is <batch>/<table>/<timestamp>.
	Dump        string `json:"dump"`
	Files       int64  `json:"files"`
	Rows        int64  `json:"rows"`
	StoredBytes int64  `json:"stored_bytes"`
	// ManifestSHA256 is the SHA-256 of manifest.json.
	ManifestSHA256 string    `json:"manifest_sha256"`
	FinishedAt     time.Time `json:"finished_at"`
}

// ShippedNote is the _SUCCESS note the shipper writes at the
// destination, last, once every file and the manifest are there and
// verified. Readers only need the marker to exist; the note is for
// humans and audits.
type ShippedNote struct {
	Format string `json:"format"`
	Tool   Tool   `json:"tool"`
	// Dump is <batch>/<table>/<timestamp>.
	Dump        string `json:"dump"`
	Files       int64  `json:"files"`
	StoredBytes int64  `json:"stored_bytes"`
	Rows        int64  `json:"rows"`
	// ManifestSHA256 is the SHA-256 of the manifest.json bytes shipped.
	ManifestSHA256 string `json:"manifest_sha256"`
	// Source is the source dump's URL, without credentials.
	Source    string    `json:"source"`
	ShippedAt time.Time `json:"shipped_at"`
}

// Marshal returns the note as indented JSON with a trailing newline.
func (n *ExportedNote) Marshal() ([]byte, error) { return marshalNote(n) }

// Marshal returns the note as indented JSON with a trailing newline.
func (n *ShippedNote) Marshal() ([]byte, error) { return marshalNote(n) }

func marshalNote(v any) ([]byte, error) {
	b, err := json.MarshalIndent(v, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
