package ship

import (
	"crypto/sha256"
	"encoding/hex"
	"time"

	"github.com/lading-dev/lading/internal/version"
	"github.com/lading-dev/lading/pkg/manifest"
)

// newSuccess builds the note for a dump.
func newSuccess(tool, dump, source string, m *manifest.Manifest, manifestBytes []byte, now time.Time) *manifest.ShippedNote {
	sum := sha256.Sum256(manifestBytes)
	s := &manifest.ShippedNote{
		Format:         manifest.FormatShipped,
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
