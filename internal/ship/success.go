package ship

import (
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"time"

	"github.com/lading-dev/lading/internal/version"
	"github.com/lading-dev/lading/pkg/manifest"
)

// FormatSuccess is the format of the _SUCCESS note the shipper writes.
const FormatSuccess = "lading/shipped/v1"

// Success is the _SUCCESS note written at the destination, last, once
// every file and the manifest are there and verified. Readers only need
// the marker to exist; the note is for humans and audits.
type Success struct {
	Format string        `json:"format"`
	Tool   manifest.Tool `json:"tool"`
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

// newSuccess builds the note for a dump.
func newSuccess(tool, dump, source string, m *manifest.Manifest, manifestBytes []byte, now time.Time) Success {
	sum := sha256.Sum256(manifestBytes)
	s := Success{
		Format:         FormatSuccess,
		Tool:           manifest.Tool{Name: tool, Version: version.Version},
		Dump:           dump,
		Files:          int64(len(m.Files)),
		ManifestSHA256: hex.EncodeToString(sum[:]),
		Source:         source,
		ShippedAt:      now.UTC().Truncate(time.Millisecond),
	}
	for _, f := range m.Files {
		s.StoredBytes += f.StoredBytes
		s.Rows += f.Rows
	}
	return s
}

// Marshal returns the note as indented JSON with a trailing newline.
func (s Success) Marshal() ([]byte, error) {
	b, err := json.MarshalIndent(s, "", "  ")
	if err != nil {
		return nil, err
	}
	return append(b, '\n'), nil
}
